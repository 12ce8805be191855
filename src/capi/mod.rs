//! The C ABI (feature `capi`): an agent written in C or C++ links `libtagwall.a` or
//! `libtagwall.so` and includes `tagwall.h` (next to this file, checked against these
//! definitions by a test, so it cannot go stale).
//!
//! Every entry point catches panics (none crosses the boundary: it becomes an error return),
//! checks its pointers for null, and documents who owns what it takes and returns. Objects are
//! opaque: a `tagwall_engine` (the cluster state, its decisions and rule names), a
//! `tagwall_snapshot` (one decision and its rule names, immutable), a `tagwall_conntrack` (a
//! connection table). Strings returned (error messages) are freed with
//! [`tagwall_string_free`].
//!
//! Organisation: `types` the plain structs and enums, `engine` create/apply/free, `lookup`
//! snapshots and lookups, `conntrack` the connection table, and this module the guards every
//! entry point runs under.

mod conntrack;
mod engine;
mod lookup;
mod types;

use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use conntrack::*;
pub use engine::*;
pub use lookup::*;
pub use types::*;

/// Runs `body`, turning a panic into `on_panic` and an error message in `error`.
fn guard<T>(error: *mut *mut c_char, on_panic: T, body: impl FnOnce() -> T) -> T {
    // The closure's captures are raw pointers and references the C caller lent for this call:
    // after a panic nothing of them is used again, so unwind safety is not in question.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(_) => {
            // SAFETY: `error` is null or points to writable storage for a pointer, as every
            // entry point that takes one documents.
            unsafe {
                set_error(
                    error,
                    "internal error: tagwall panicked; the call had no effect",
                )
            };
            on_panic
        }
    }
}

/// Stores a copy of `message` in `*error` (when `error` is not null), for the caller to free
/// with [`tagwall_string_free`].
///
/// # Safety
/// `error` is null or valid for writing one pointer.
unsafe fn set_error(error: *mut *mut c_char, message: &str) {
    if error.is_null() {
        return;
    }
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // SAFETY: checked non-null above; the caller vouches it is writable.
    unsafe { *error = text.into_raw() };
}

/// Sets `*error` to null (when `error` is not null): the call succeeded.
///
/// # Safety
/// `error` is null or valid for writing one pointer.
unsafe fn clear_error(error: *mut *mut c_char) {
    if !error.is_null() {
        // SAFETY: checked non-null above; the caller vouches it is writable.
        unsafe { *error = std::ptr::null_mut() };
    }
}

/// Frees a string tagwall returned (an error message). Null is accepted and ignored.
///
/// # Safety
/// `text` is null or a string tagwall returned that was not freed yet; it must not be used
/// after this call. Any thread may free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_string_free(text: *mut c_char) {
    if text.is_null() {
        return;
    }
    let _ = catch_unwind(|| {
        // SAFETY: the caller passes a pointer `CString::into_raw` made, once.
        drop(unsafe { CString::from_raw(text) });
    });
}
