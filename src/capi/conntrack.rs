//! `tagwall_conntrack`: the connection table's packet entry point.

use std::ffi::c_char;

use super::engine::tagwall_engine;
use super::types::{tagwall_packet, tagwall_tuple};
use super::{clear_error, guard, set_error};
use crate::conntrack::{Config, ConnTable, Timestamp};
use crate::lookup::Decide;

/// A connection table (opaque): replies of allowed connections pass, memory stays bounded,
/// connections are decided again after the engine publishes a change.
///
/// Thread-safety: any number of threads may pass packets at once (the table is sharded);
/// [`tagwall_conntrack_free`] must be the last call on it.
pub struct tagwall_conntrack {
    table: ConnTable,
}

/// A connection table holding at most `capacity` connections (0: the default, 524288).
/// Returns the table, owned by the caller (free it with [`tagwall_conntrack_free`]), or null
/// with a message in `*error` (freed by the caller with `tagwall_string_free`).
///
/// # Safety
/// `error` is null or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_conntrack_new(
    capacity: usize,
    error: *mut *mut c_char,
) -> *mut tagwall_conntrack {
    guard(error, std::ptr::null_mut(), || {
        let mut config = Config::default();
        if capacity > 0 {
            config.capacity = capacity;
        }
        match ConnTable::new(config) {
            Ok(table) => {
                // SAFETY: as this function's contract.
                unsafe { clear_error(error) };
                Box::into_raw(Box::new(tagwall_conntrack { table }))
            }
            Err(e) => {
                // SAFETY: as this function's contract.
                unsafe { set_error(error, &e.to_string()) };
                std::ptr::null_mut()
            }
        }
    })
}

/// Answers one packet at time `now_ns` (the caller's monotonic clock, in nanoseconds): a new
/// connection is decided by the engine's decision in force, a reply of an allowed one passes,
/// a connection recorded under an older generation is decided again. Returns 0 and fills
/// `*out`; -1 when a pointer is null or the tuple's family is neither 4 nor 6.
///
/// # Safety
/// `table` and `engine` are null or live objects of this library; `tuple` null or readable;
/// `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_conntrack_packet(
    table: *const tagwall_conntrack,
    engine: *const tagwall_engine,
    tuple: *const tagwall_tuple,
    now_ns: u64,
    out: *mut tagwall_packet,
) -> i32 {
    guard(std::ptr::null_mut(), -1, || {
        // SAFETY: each null or valid, as the contract says.
        let (Some(table), Some(engine), Some(tuple)) =
            (unsafe { (table.as_ref(), engine.as_ref(), tuple.as_ref()) })
        else {
            return -1;
        };
        let Some(tuple) = tuple.to_tuple() else {
            return -1;
        };
        if out.is_null() {
            return -1;
        }
        // One decision answers, so the generation reported is the one that decided.
        let decision = engine.reader.engine().snapshot();
        let packet = table
            .table
            .packet(&*decision, &tuple, Timestamp::from_nanos(now_ns));
        // SAFETY: non-null and writable, as the contract says.
        unsafe { out.write(tagwall_packet::new(packet, Decide::generation(&*decision))) };
        0
    })
}

/// Connections in the table; 0 when `table` is null.
///
/// # Safety
/// `table` is null or a live table of this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_conntrack_len(table: *const tagwall_conntrack) -> usize {
    guard(std::ptr::null_mut(), 0, || {
        // SAFETY: null or a live table, as the contract says.
        unsafe { table.as_ref() }.map_or(0, |t| t.table.len())
    })
}

/// Frees a connection table. Null is accepted and ignored.
///
/// # Safety
/// `table` is null or a table of this library, not freed yet, that no other thread is using;
/// it must not be used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_conntrack_free(table: *mut tagwall_conntrack) {
    if table.is_null() {
        return;
    }
    guard(std::ptr::null_mut(), (), || {
        // SAFETY: a pointer `Box::into_raw` made, freed once, as the contract says.
        drop(unsafe { Box::from_raw(table) });
    });
}
