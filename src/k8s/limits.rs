//! Bounds on what one load may consume, so hostile input fails fast instead of exhausting memory.

/// Resource limits for loading. Exceeding one is a [`LoadError::Limit`](super::LoadError::Limit)
/// that names the limit and its value, in strict and lenient mode alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input, in bytes, one file (or one [`Loader::add_bytes`](super::Loader::add_bytes)
    /// call) may have.
    pub max_input_bytes: usize,
    /// Most objects (of every kind, list items included, lists themselves excluded) one load
    /// may read.
    pub max_objects: usize,
    /// Deepest nesting of lists and mappings in a document.
    pub max_depth: usize,
    /// Largest total size, in bytes, of one object's labels (keys plus values).
    pub max_label_bytes: usize,
    /// Most YAML events that alias (`*name`) expansion may replay in one input: the guard
    /// against "billion laughs" alias bombs.
    pub max_alias_events: usize,
}

impl Default for Limits {
    /// 256 MiB per input, a million objects, depth 64, 256 KiB of labels per object, a
    /// hundred thousand replayed alias events.
    fn default() -> Limits {
        Limits {
            max_input_bytes: 256 * 1024 * 1024,
            max_objects: 1_000_000,
            max_depth: 64,
            max_label_bytes: 256 * 1024,
            max_alias_events: 100_000,
        }
    }
}
