//! `tagwall_engine`: create from files or bytes, apply watch events, free.

use std::ffi::{CStr, c_char};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use super::types::tagwall_mode;
use super::{clear_error, guard, set_error};
use crate::compile::Builder;
use crate::k8s::{LoadOptions, Loader};
use crate::translate::Mode;
use crate::watch::{ClusterState, Reader, events};

/// A cluster state and the decisions for it (opaque).
///
/// Thread-safety: every function taking a `tagwall_engine *` may be called from any thread,
/// concurrently with any other, except [`tagwall_engine_free`], which must be the last call on
/// it. Events applied concurrently are applied one after the other; lookups never wait for
/// them.
pub struct tagwall_engine {
    state: Mutex<ClusterState>,
    pub(crate) reader: Reader,
}

impl From<tagwall_mode> for Mode {
    fn from(mode: tagwall_mode) -> Mode {
        match mode {
            tagwall_mode::TAGWALL_MODE_KUBERNETES => Mode::Kubernetes,
            tagwall_mode::TAGWALL_MODE_CN2 => Mode::Cn2,
        }
    }
}

fn engine_of(loader: Loader, mode: tagwall_mode) -> Result<Box<tagwall_engine>, String> {
    let cluster = loader.finish().map_err(|e| e.to_string())?.cluster;
    let state = ClusterState::new(
        cluster,
        mode.into(),
        Builder::default(),
        LoadOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(Box::new(tagwall_engine {
        reader: state.reader(),
        state: Mutex::new(state),
    }))
}

/// Hands `result` to C: the engine, or null with the message in `error`.
///
/// # Safety
/// `error` is null or valid for writing one pointer.
unsafe fn hand_over(
    result: Result<Box<tagwall_engine>, String>,
    error: *mut *mut c_char,
) -> *mut tagwall_engine {
    match result {
        Ok(engine) => {
            // SAFETY: as this function's contract.
            unsafe { clear_error(error) };
            Box::into_raw(engine)
        }
        Err(message) => {
            // SAFETY: as this function's contract.
            unsafe { set_error(error, &message) };
            std::ptr::null_mut()
        }
    }
}

/// Creates an engine from Kubernetes objects in files (YAML or JSON, as `tagwall -f` reads
/// them, validated strictly), translated in `mode`.
///
/// Returns the engine, owned by the caller (free it with [`tagwall_engine_free`]), or null on
/// error, with `*error` set to a message the caller frees with `tagwall_string_free`
/// (`*error` is set to null on success).
///
/// # Safety
/// `paths` points to `count` NUL-terminated strings (borrowed for the call); `error` is null or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_engine_from_files(
    paths: *const *const c_char,
    count: usize,
    mode: tagwall_mode,
    error: *mut *mut c_char,
) -> *mut tagwall_engine {
    guard(error, std::ptr::null_mut(), || {
        let result = (|| {
            if paths.is_null() && count > 0 {
                return Err("paths: null".to_string());
            }
            let mut loader = Loader::new(LoadOptions::default());
            for i in 0..count {
                // SAFETY: the caller passes `count` valid string pointers.
                let path = unsafe { *paths.add(i) };
                if path.is_null() {
                    return Err(format!("paths[{i}]: null"));
                }
                // SAFETY: non-null and NUL-terminated, as the contract says.
                let path = unsafe { CStr::from_ptr(path) };
                let path = PathBuf::from(path.to_string_lossy().into_owned());
                loader.add_file(&path).map_err(|e| e.to_string())?;
            }
            engine_of(loader, mode)
        })();
        // SAFETY: as this function's contract.
        unsafe { hand_over(result, error) }
    })
}

/// Creates an engine from Kubernetes objects in memory (`len` bytes of YAML or JSON; `source`
/// names them in messages and may be null). Ownership and errors as
/// [`tagwall_engine_from_files`].
///
/// # Safety
/// `bytes` is valid for reading `len` bytes, `source` null or NUL-terminated (both borrowed for
/// the call); `error` is null or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_engine_from_bytes(
    bytes: *const u8,
    len: usize,
    source: *const c_char,
    mode: tagwall_mode,
    error: *mut *mut c_char,
) -> *mut tagwall_engine {
    guard(error, std::ptr::null_mut(), || {
        let result = (|| {
            // SAFETY: the caller passes `len` readable bytes (checked non-null when needed).
            let bytes = unsafe { slice(bytes, len) }.ok_or("bytes: null")?;
            // SAFETY: null or NUL-terminated, as the contract says.
            let source = unsafe { name(source, "bytes") };
            let mut loader = Loader::new(LoadOptions::default());
            loader
                .add_bytes(&source, bytes)
                .map_err(|e| e.to_string())?;
            engine_of(loader, mode)
        })();
        // SAFETY: as this function's contract.
        unsafe { hand_over(result, error) }
    })
}

/// Applies watch events: `len` bytes holding one or more events as `kubectl get --watch
/// --output-watch-events -o json` prints them. Each event that changes what network policy sees
/// publishes a new decision at once; lookups running meanwhile finish on the decision they
/// started with. A bad event is skipped and the rest applied.
///
/// Returns how many events were skipped (0: all applied), with their messages, one per line,
/// in `*error` (null when none; the caller frees it with `tagwall_string_free`); -1 when
/// `engine` or `bytes` is null.
///
/// # Safety
/// `engine` is an engine from this library, not freed; `bytes` valid for reading `len` bytes
/// and `source` null or NUL-terminated (borrowed for the call); `error` null or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_engine_apply(
    engine: *const tagwall_engine,
    bytes: *const u8,
    len: usize,
    source: *const c_char,
    error: *mut *mut c_char,
) -> i64 {
    guard(error, -1, || {
        // SAFETY: null or a live engine, as the contract says.
        let Some(engine) = (unsafe { engine.as_ref() }) else {
            // SAFETY: as this function's contract.
            unsafe { set_error(error, "engine: null") };
            return -1;
        };
        // SAFETY: the caller passes `len` readable bytes.
        let Some(bytes) = (unsafe { slice(bytes, len) }) else {
            // SAFETY: as this function's contract.
            unsafe { set_error(error, "bytes: null") };
            return -1;
        };
        // SAFETY: null or NUL-terminated, as the contract says.
        let source = unsafe { name(source, "events") };
        // A writer that panicked left the state as it was before its event (events change the
        // state only once their decision is built), so a poisoned lock is safe to take.
        let mut state = engine.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut messages = Vec::new();
        for event in events(&source, bytes) {
            if let Err(skipped) = event.and_then(|event| state.apply(&event)) {
                messages.push(skipped.to_string());
            }
        }
        if messages.is_empty() {
            // SAFETY: as this function's contract.
            unsafe { clear_error(error) };
        } else {
            // SAFETY: as this function's contract.
            unsafe { set_error(error, &messages.join("\n")) };
        }
        i64::try_from(messages.len()).unwrap_or(i64::MAX)
    })
}

/// The generation of the decision in force (1 after creation, one more per published change);
/// 0 when `engine` is null.
///
/// # Safety
/// `engine` is null or an engine from this library, not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_engine_generation(engine: *const tagwall_engine) -> u64 {
    guard(std::ptr::null_mut(), 0, || {
        // SAFETY: null or a live engine, as the contract says.
        unsafe { engine.as_ref() }.map_or(0, |e| e.reader.engine().generation())
    })
}

/// Frees an engine. Null is accepted and ignored. Snapshots taken from it stay valid until
/// they are freed themselves.
///
/// # Safety
/// `engine` is null or an engine from this library, not freed yet, that no other thread is
/// using; it must not be used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tagwall_engine_free(engine: *mut tagwall_engine) {
    if engine.is_null() {
        return;
    }
    guard(std::ptr::null_mut(), (), || {
        // SAFETY: a pointer `Box::into_raw` made, freed once, as the contract says.
        drop(unsafe { Box::from_raw(engine) });
    });
}

/// `len` bytes at `bytes` (an empty slice for `len` 0, whatever `bytes` is); `None` for a null
/// pointer to a non-empty range.
///
/// # Safety
/// `bytes` is valid for reading `len` bytes when `len` > 0 and it is not null.
pub(super) unsafe fn slice<'a, T>(bytes: *const T, len: usize) -> Option<&'a [T]> {
    if len == 0 {
        return Some(&[]);
    }
    if bytes.is_null() {
        return None;
    }
    // SAFETY: non-null, `len` elements readable, as the contract says.
    Some(unsafe { std::slice::from_raw_parts(bytes, len) })
}

/// The caller's name for an input, or `fallback`.
///
/// # Safety
/// `source` is null or NUL-terminated.
unsafe fn name(source: *const c_char, fallback: &str) -> String {
    if source.is_null() {
        return fallback.to_string();
    }
    // SAFETY: non-null and NUL-terminated, as the contract says.
    unsafe { CStr::from_ptr(source) }
        .to_string_lossy()
        .into_owned()
}
