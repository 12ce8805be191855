//! Summaries of timing samples, for `tagwall bench` and its connection-table part.

/// Median and 99th percentile (nearest rank) of `samples`.
pub(super) fn median_p99(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let rank = ((samples.len() as f64 * q).ceil() as usize).saturating_sub(1);
        samples.get(rank).copied().unwrap_or(0.0)
    };
    (at(0.5), at(0.99))
}
