//! `tagwall_snapshot`: one decision with its rule names, and lookups on it.

use std::ffi::c_char;

use super::engine::{slice, tagwall_engine};
use super::guard;
use super::types::{tagwall_tuple, tagwall_verdict};
use crate::lookup::Verdict;
use crate::watch::Snapshot;

/// One decision and the names of its rules (opaque, immutable).
///
/// Thread-safety: any number of threads may look up on one snapshot at once;
/// [`tagwall_snapshot_free`] must be the last call on it. A snapshot stays valid (and
/// unchanged) after its engine applies events or is freed.
pub struct tagwall_snapshot {
    snapshot: Snapshot,
}

/// The decision in force now, with its rule names; owned by the caller (free it with
/// [`tagwall_snapshot_free`]). Null when `engine` is null. Taking one costs two atomic loads:
/// take one per batch of packets, or whenever the generation moved.
///
/// # Safety
/// `engine` is null or an engine from this library, not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_engine_snapshot(
    engine: *const tagwall_engine,
) -> *mut tagwall_snapshot {
    guard(std::ptr::null_mut(), std::ptr::null_mut(), || {
        // SAFETY: null or a live engine, as the contract says.
        match unsafe { engine.as_ref() } {
            Some(engine) => Box::into_raw(Box::new(tagwall_snapshot {
                snapshot: engine.reader.snapshot(),
            })),
            None => std::ptr::null_mut(),
        }
    })
}

/// The generation of the snapshot's decision; 0 when `snapshot` is null.
///
/// # Safety
/// `snapshot` is null or a snapshot from this library, not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_snapshot_generation(snapshot: *const tagwall_snapshot) -> u64 {
    guard(std::ptr::null_mut(), 0, || {
        // SAFETY: null or a live snapshot, as the contract says.
        unsafe { snapshot.as_ref() }.map_or(0, |s| s.snapshot.decision.generation())
    })
}

fn verdict(snapshot: &Snapshot, verdict: Verdict) -> tagwall_verdict {
    tagwall_verdict::new(
        verdict,
        snapshot.decision.generation(),
        Some(&snapshot.rules),
    )
}

/// Decides one tuple as a new connection. Returns 0 and fills `*out` (its rule names point
/// into the snapshot: valid until it is freed); -1 when a pointer is null or the tuple's
/// family is neither 4 nor 6 (`*out` untouched).
///
/// # Safety
/// `snapshot` is null or a live snapshot; `tuple` null or readable; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_snapshot_lookup(
    snapshot: *const tagwall_snapshot,
    tuple: *const tagwall_tuple,
    out: *mut tagwall_verdict,
) -> i32 {
    guard(std::ptr::null_mut(), -1, || {
        // SAFETY: each null or valid, as the contract says.
        let (Some(snapshot), Some(tuple)) =
            (unsafe { snapshot.as_ref() }, unsafe { tuple.as_ref() })
        else {
            return -1;
        };
        let Some(tuple) = tuple.to_tuple() else {
            return -1;
        };
        if out.is_null() {
            return -1;
        }
        let answer = verdict(&snapshot.snapshot, snapshot.snapshot.lookup(&tuple));
        // SAFETY: non-null and writable, as the contract says.
        unsafe { out.write(answer) };
        0
    })
}

/// Decides `count` tuples: `out[i]` for `tuples[i]`, as [`tagwall_snapshot_lookup`] would.
/// Returns how many tuples had a family other than 4 or 6 (their `out` entries have
/// `allowed` 0 and both sides `TAGWALL_SIDE_NO_MATCH`), or -1 when a pointer is null.
///
/// # Safety
/// `snapshot` is null or a live snapshot; `tuples` readable and `out` writable for `count`
/// elements (either may be null when `count` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_snapshot_lookup_batch(
    snapshot: *const tagwall_snapshot,
    tuples: *const tagwall_tuple,
    count: usize,
    out: *mut tagwall_verdict,
) -> i64 {
    guard(std::ptr::null_mut(), -1, || {
        // SAFETY: null or a live snapshot, as the contract says.
        let Some(snapshot) = (unsafe { snapshot.as_ref() }) else {
            return -1;
        };
        // SAFETY: `count` readable tuples, as the contract says.
        let Some(tuples) = (unsafe { slice(tuples, count) }) else {
            return -1;
        };
        if out.is_null() && count > 0 {
            return -1;
        }
        let mut bad = 0i64;
        let converted: Vec<crate::tuple::Tuple> = tuples
            .iter()
            .map(|t| {
                t.to_tuple().unwrap_or_else(|| {
                    bad += 1;
                    // Stands in for the malformed tuple; its answer is replaced below.
                    crate::tuple::Tuple {
                        src: std::net::Ipv4Addr::UNSPECIFIED.into(),
                        dst: std::net::Ipv4Addr::UNSPECIFIED.into(),
                        protocol: crate::protocol::Protocol::Other(0),
                        src_port: 0,
                        dst_port: 0,
                    }
                })
            })
            .collect();
        let mut verdicts = vec![Verdict::default(); count];
        snapshot
            .snapshot
            .decision
            .lookup_batch(&converted, &mut verdicts);
        for (i, (tuple, found)) in tuples.iter().zip(verdicts).enumerate() {
            let found = if tuple.to_tuple().is_some() {
                found
            } else {
                Verdict::default()
            };
            // SAFETY: `i < count`, and `out` is writable for `count` elements.
            unsafe { out.add(i).write(verdict(&snapshot.snapshot, found)) };
        }
        bad
    })
}

/// Frees a snapshot (and, when it was the last holder, its decision and names). Null is
/// accepted and ignored.
///
/// # Safety
/// `snapshot` is null or a snapshot from this library, not freed yet, that no other thread is
/// using; neither it nor rule names read from it may be used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_snapshot_free(snapshot: *mut tagwall_snapshot) {
    if snapshot.is_null() {
        return;
    }
    guard(std::ptr::null_mut::<*mut c_char>(), (), || {
        // SAFETY: a pointer `Box::into_raw` made, freed once, as the contract says.
        drop(unsafe { Box::from_raw(snapshot) });
    });
}
