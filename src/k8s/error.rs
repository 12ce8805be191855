//! What can go wrong while loading, and the warnings a successful load carries.

use std::fmt;

/// Which object an error or warning is about: `NetworkPolicy default/test`, `Namespace prod`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// The object's `kind` (`object` when it has none).
    pub kind: &'static str,
    /// `metadata.namespace` after defaulting; `None` for cluster-scoped kinds (Namespace).
    pub namespace: Option<String>,
    /// `metadata.name`, empty when the object has none.
    pub name: String,
}

impl ObjectRef {
    /// `namespace/name`, or `name` for cluster-scoped kinds.
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "<unnamed>".to_string()
        } else {
            tidy(&self.name)
        };
        match &self.namespace {
            Some(namespace) => write!(f, "{} {}/{name}", self.kind, tidy(namespace)),
            None => write!(f, "{} {name}", self.kind),
        }
    }
}

/// Longest stretch of a message (its text between two backticks) kept whole; longer ones are
/// user input (our own wording is shorter) and are cut, so a megabyte name costs a short error.
const STRETCH_MAX: usize = 200;
/// How much of a cut stretch is kept.
const STRETCH_KEPT: usize = 64;

/// A message as one short line: control characters (a line break in a quoted name or CIDR)
/// escaped as `\n` and the like, and any stretch between backticks longer than [`STRETCH_MAX`]
/// cut to its start and its length: errors and warnings are printed one per line.
pub(crate) fn tidy(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4 * STRETCH_MAX));
    for (i, stretch) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let (kept, cut) = match stretch.char_indices().nth(STRETCH_MAX) {
            Some(_) => {
                let end = stretch
                    .char_indices()
                    .nth(STRETCH_KEPT)
                    .map_or(stretch.len(), |(at, _)| at);
                (&stretch[..end], true)
            }
            None => (stretch, false),
        };
        for c in kept.chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        if cut {
            out.push_str(&format!("... ({} bytes)", stretch.len()));
        }
    }
    out
}

/// Where a parser error happened, when the parser says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

/// A failed load. Every variant names the input (`file`) it came from; object errors also name
/// the object and the field path, as the API server does:
/// `policy.yaml: NetworkPolicy default/test: spec.ingress[0].ports[0].port: ...`.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read: {error}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// A document is not well-formed YAML or JSON, or does not have the shape of a Kubernetes
    /// object (e.g. a list where a mapping belongs).
    #[error("{file}: {}{message}", Located(.position))]
    Parse {
        /// The input.
        file: String,
        /// Line and column, when the parser gives them.
        position: Option<Position>,
        /// The parser's message.
        message: String,
    },
    /// An object the API server would reject.
    #[error("{file}: {object}: {field}: {message}")]
    Invalid {
        /// The input.
        file: String,
        /// The object.
        object: Box<ObjectRef>,
        /// The field path, e.g. `spec.ingress[0].from[1].ipBlock.cidr`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Two objects of one kind with one namespace and name, in one input or across inputs.
    #[error("{file}: {object}: metadata.name: {}", already_defined(first_file))]
    Duplicate {
        /// The input of the second definition.
        file: String,
        /// The object.
        object: Box<ObjectRef>,
        /// The input of the first definition.
        first_file: String,
    },
    /// Two pods share an IP: an IP must identify one pod.
    #[error("{file}: {object}: {field}: {}", ip_taken(ip, other, other_file))]
    DuplicateIp {
        /// The input of the second pod.
        file: String,
        /// The second pod.
        object: Box<ObjectRef>,
        /// The field of the second pod that holds the IP.
        field: String,
        /// The shared IP.
        ip: std::net::IpAddr,
        /// The first pod.
        other: Box<ObjectRef>,
        /// The input of the first pod.
        other_file: String,
    },
    /// The input exceeds one of the [`Limits`](super::Limits).
    #[error("{file}: {what} exceeds the limit {limit} ({value})")]
    Limit {
        /// The input.
        file: String,
        /// The [`Limits`](super::Limits) field exceeded.
        limit: &'static str,
        /// The limit's value.
        value: usize,
        /// What exceeded it.
        what: String,
    },
}

/// A list entry that is not an object: a parse error, or skipped in lenient mode.
pub(crate) const NOT_AN_OBJECT: &str = "a list holds an entry that is not an object";

/// [`LoadError::Duplicate`]'s words after the field.
fn already_defined(first_file: &str) -> String {
    format!("already defined in `{first_file}`")
}

/// [`LoadError::DuplicateIp`]'s words after the field.
fn ip_taken(ip: &std::net::IpAddr, other: &ObjectRef, other_file: &str) -> String {
    format!(
        "`{ip}` is also the IP of Pod `{}` in `{other_file}`",
        other.key()
    )
}

impl LoadError {
    /// What lenient loading says instead of failing with an object's error: the error's own
    /// words, and that the object was left out. Errors about a whole input (which lenient
    /// loading does not skip) keep their whole text.
    pub(crate) fn skipped(self) -> Warning {
        let (source, object, field, message) = match self {
            LoadError::Invalid {
                file,
                object,
                field,
                message,
            } => (file, object.to_string(), field, message),
            LoadError::Duplicate {
                file,
                object,
                first_file,
            } => (
                file,
                object.to_string(),
                "metadata.name".to_string(),
                already_defined(&first_file),
            ),
            LoadError::DuplicateIp {
                file,
                object,
                field,
                ip,
                other,
                other_file,
            } => (
                file,
                object.to_string(),
                field,
                ip_taken(&ip, &other, &other_file),
            ),
            LoadError::Parse {
                file,
                position: None,
                message,
            } if message == NOT_AN_OBJECT => {
                return Warning {
                    source: file,
                    object: String::new(),
                    field: String::new(),
                    message: format!("{message}; entry skipped"),
                };
            }
            whole => (
                String::new(),
                String::new(),
                String::new(),
                whole.to_string(),
            ),
        };
        Warning {
            source,
            object,
            field,
            message: format!("{message}; object skipped"),
        }
    }
}

/// Renders an optional position as `line L column C: `.
struct Located<'a>(&'a Option<Position>);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, "line {} column {}: ", p.line, p.column),
            None => Ok(()),
        }
    }
}

/// Something a load accepted but changed or left out: a CIDR with host bits, a pod on the
/// host network, an invalid object skipped in lenient mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The input.
    pub source: String,
    /// The object, e.g. `Pod default/web` (empty when the warning is about no one object).
    pub object: String,
    /// The field path (empty when the warning is about the whole object).
    pub field: String,
    /// What was accepted, changed or left out.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.source)?;
        if !self.object.is_empty() {
            write!(f, "{}: ", self.object)?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}
