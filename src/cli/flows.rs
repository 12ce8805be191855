//! `tagwall bench --conntrack`: the connection table in front of the compiled engine, on
//! replayed flows with replies.
//!
//! Each tuple of the traffic mix is one flow: its first packet (a table miss, decided by the
//! engine and, when allowed, inserted), then its reply and further packets both ways (hits).
//! Time is simulated, one microsecond a packet, so no entry expires during the run. Reported:
//! median latency of first packets (miss + decide + insert) and of hits, and throughput with
//! one thread and two.

use std::fmt::Write as _;
use std::hint::black_box;
use std::thread;
use std::time::Instant;

use serde::Serialize;

use super::CliError;
use super::percentiles::median_p99;
use crate::compile::Decision;
use crate::conntrack::{self, ConnTable, Timestamp};
use crate::tuple::Tuple;

/// Packets of a flow after its first: reply, then alternating directions.
const FOLLOW_UPS: usize = 7;

/// Packets timed together (one clock read per group).
const GROUP: usize = 64;

/// What the connection-table run reports.
#[derive(Debug, Serialize)]
pub(super) struct FlowReport {
    /// Flows replayed (distinct tuples of the mix).
    flows: usize,
    /// Median per-packet time of first packets: miss, engine lookup, insert.
    insert_median_ns: f64,
    /// Median per-packet time of packets of known connections (both directions).
    hit_median_ns: f64,
    /// Packets per second, one thread, whole replay.
    packets_per_second_1_thread: f64,
    /// Packets per second, two threads each replaying half of the flows into one table.
    packets_per_second_2_threads: f64,
    /// Memory of one entry, map overhead included.
    bytes_per_entry: usize,
    /// Entries live at the end of the one-thread run.
    entries: usize,
    /// The table's counters after the one-thread run.
    counters: conntrack::Counters,
}

fn table(flows: usize) -> Result<ConnTable, CliError> {
    let config = conntrack::Config {
        capacity: flows.next_power_of_two().max(1 << 16),
        ..conntrack::Config::default()
    };
    Ok(ConnTable::new(config)?)
}

/// Packet `i` of a flow: even ones go the flow's way, odd ones are replies.
fn packet(flow: &Tuple, i: usize) -> Tuple {
    if i % 2 == 1 { flow.reversed() } else { *flow }
}

/// Replays `flows` through a fresh table: the first packet of every flow, then the follow-ups.
fn replay(table: &ConnTable, decision: &Decision, flows: &[Tuple], clock: &mut u64) {
    for flow in flows {
        *clock += 1_000;
        black_box(table.packet(decision, flow, Timestamp::from_nanos(*clock)));
    }
    for i in 1..=FOLLOW_UPS {
        for flow in flows {
            *clock += 1_000;
            black_box(table.packet(decision, &packet(flow, i), Timestamp::from_nanos(*clock)));
        }
    }
}

/// Runs the connection-table benchmark over the distinct tuples of `tuples`.
pub(super) fn bench(decision: &Decision, tuples: &[Tuple]) -> Result<FlowReport, CliError> {
    // Distinct tuples in the mix's order (a sorted order would flatter the caches).
    let mut seen = ahash::AHashSet::with_capacity(tuples.len());
    let flows: Vec<Tuple> = tuples
        .iter()
        .filter(|t| seen.insert(**t))
        .copied()
        .collect();

    // First packets and hits, timed in groups on one table.
    let timed = table(flows.len())?;
    let mut clock = 0u64;
    let mut inserts = Vec::new();
    for group in flows.chunks(GROUP) {
        let started = Instant::now();
        for flow in group {
            clock += 1_000;
            black_box(timed.packet(decision, flow, Timestamp::from_nanos(clock)));
        }
        inserts.push(started.elapsed().as_secs_f64() * 1e9 / group.len() as f64);
    }
    let mut hits = Vec::new();
    for i in 1..=FOLLOW_UPS {
        for group in flows.chunks(GROUP) {
            let started = Instant::now();
            for flow in group {
                clock += 1_000;
                black_box(timed.packet(decision, &packet(flow, i), Timestamp::from_nanos(clock)));
            }
            hits.push(started.elapsed().as_secs_f64() * 1e9 / group.len() as f64);
        }
    }
    let packets = (flows.len() * (FOLLOW_UPS + 1)) as f64;

    let one = table(flows.len())?;
    let started = Instant::now();
    replay(&one, decision, &flows, &mut 0);
    let one_thread = packets / started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE);

    let two = table(flows.len())?;
    let (left, right) = flows.split_at(flows.len() / 2);
    let started = Instant::now();
    thread::scope(|scope| {
        for half in [left, right] {
            let two = &two;
            scope.spawn(move || replay(two, decision, half, &mut 0));
        }
    });
    let two_threads = packets / started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE);

    Ok(FlowReport {
        flows: flows.len(),
        insert_median_ns: median_p99(&mut inserts).0,
        hit_median_ns: median_p99(&mut hits).0,
        packets_per_second_1_thread: one_thread,
        packets_per_second_2_threads: two_threads,
        bytes_per_entry: ConnTable::bytes_per_entry(),
        entries: one.len(),
        counters: one.counters(),
    })
}

/// The report as lines for people.
pub(super) fn report_lines(report: &FlowReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "connection table ({} flows, {} packets each)",
        report.flows,
        FOLLOW_UPS + 1
    );
    let _ = writeln!(
        out,
        "first packet    {:.1} ns median (miss, lookup, insert)",
        report.insert_median_ns
    );
    let _ = writeln!(out, "hit             {:.1} ns median", report.hit_median_ns);
    let _ = writeln!(
        out,
        "1 thread        {:.0} packets/s",
        report.packets_per_second_1_thread
    );
    let _ = writeln!(
        out,
        "2 threads       {:.0} packets/s",
        report.packets_per_second_2_threads
    );
    let _ = writeln!(out, "entry           {} bytes", report.bytes_per_entry);
    let _ = writeln!(out, "entries         {}", report.entries);
    out
}
