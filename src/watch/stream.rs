//! Bytes to [`WatchEvent`]s: the envelopes `kubectl get --watch --output-watch-events -o json`
//! prints, one per line or pretty-printed and concatenated.
//!
//! The stream is cut into top-level JSON values before any is decoded, so one malformed event
//! costs only itself: its error says where it is, and the next event is read as if it were
//! the first.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::EventError;

/// What a watch event says happened (`type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// The object was created (or listed when the watch began).
    Added,
    /// The object changed.
    Modified,
    /// The object was deleted; the event holds its last state.
    Deleted,
    /// A resource-version checkpoint: nothing changed.
    Bookmark,
    /// The watch failed (the object is a `Status`, e.g. 410 Gone): the watcher must list again.
    Error,
}

impl EventType {
    /// The `type` as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
            EventType::Error => "ERROR",
        }
    }

    fn parse(text: &str) -> Option<EventType> {
        Some(match text {
            "ADDED" => EventType::Added,
            "MODIFIED" => EventType::Modified,
            "DELETED" => EventType::Deleted,
            "BOOKMARK" => EventType::Bookmark,
            "ERROR" => EventType::Error,
            _ => return None,
        })
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an event sits in its stream, for messages: `events.json: event 3 (line 41)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPosition {
    /// The stream's name.
    pub source: String,
    /// 1-based index of the event in the stream (malformed ones counted).
    pub index: usize,
    /// 1-based line the event starts on.
    pub line: u64,
}

impl std::fmt::Display for EventPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: event {} (line {})",
            self.source, self.index, self.line
        )
    }
}

/// One decoded envelope; its object is validated when it is applied (see
/// [`super::ClusterState::apply`]), with the loader's checks and messages.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    /// Where the event is.
    pub position: EventPosition,
    /// What happened.
    pub event_type: EventType,
    /// The object, as JSON text (absent only in a malformed event, which is never built).
    pub object: Box<RawValue>,
}

impl WatchEvent {
    /// An event for `object` (JSON text), as an agent builds one from its own watch client.
    pub fn new(
        position: EventPosition,
        event_type: EventType,
        object: &str,
    ) -> Result<WatchEvent, EventError> {
        let object =
            RawValue::from_string(object.to_string()).map_err(|error| EventError::Malformed {
                position: position.clone(),
                message: json_message(&error),
            })?;
        Ok(WatchEvent {
            position,
            event_type,
            object,
        })
    }
}

/// The envelope as printed.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    event_type: String,
    object: Option<Box<RawValue>>,
}

/// Every event of `bytes`, in order; a malformed one is an error in its place and reading goes
/// on after it. `source` names the stream in messages.
///
/// ```
/// use tagwall::watch::{EventType, events};
///
/// let stream = br#"{"type": "ADDED", "object": {"kind": "Namespace", "metadata": {"name": "a"}}}
/// {"type": "ADDED", "object": {"kind": "Pod"
/// {"type": "DELETED", "object": {"kind": "Namespace", "metadata": {"name": "a"}}}
/// "#;
/// let read: Vec<_> = events("watch.json", stream).collect();
/// assert_eq!(read.len(), 3);
/// assert_eq!(read[0].as_ref().map(|e| e.event_type).ok(), Some(EventType::Added));
/// assert_eq!(
///     read[1].as_ref().unwrap_err().to_string(),
///     "watch.json: event 2 (line 2): the event ends before its closing brace"
/// );
/// assert_eq!(read[2].as_ref().map(|e| e.event_type).ok(), Some(EventType::Deleted));
/// ```
pub fn events<'a>(
    source: &'a str,
    bytes: &'a [u8],
) -> impl Iterator<Item = Result<WatchEvent, EventError>> + 'a {
    let mut index = 0;
    Values::new(bytes).map(move |value| {
        index += 1;
        let position = EventPosition {
            source: source.to_string(),
            index,
            line: value.line,
        };
        decode(position, value)
    })
}

fn decode(position: EventPosition, value: Value<'_>) -> Result<WatchEvent, EventError> {
    let malformed = |message: String| EventError::Malformed {
        position: position.clone(),
        message,
    };
    let text = match value.outcome {
        Cut::Whole(text) => text,
        Cut::Truncated => {
            return Err(malformed(
                "the event ends before its closing brace".to_string(),
            ));
        }
        Cut::NotObject => return Err(malformed("expected an event object".to_string())),
    };
    let envelope: Envelope = serde_json::from_slice(text).map_err(|error| {
        let line = position.line + (error.line() as u64).saturating_sub(1);
        malformed(format!(
            "line {line} column {}: {}",
            error.column(),
            json_message(&error)
        ))
    })?;
    let event_type = EventType::parse(&envelope.event_type).ok_or_else(|| {
        malformed(format!(
            "type: `{}` is not one of ADDED, MODIFIED, DELETED, BOOKMARK, ERROR",
            crate::k8s::tidy_message(&envelope.event_type)
        ))
    })?;
    let object = envelope
        .object
        .ok_or_else(|| malformed("object: required".to_string()))?;
    Ok(WatchEvent {
        position,
        event_type,
        object,
    })
}

/// serde_json's message without the position it appends (ours goes in front).
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    crate::k8s::tidy_message(text.strip_suffix(&suffix).unwrap_or(&text))
}

/// One top-level value of the stream, or what stood in its place.
struct Value<'a> {
    line: u64,
    outcome: Cut<'a>,
}

enum Cut<'a> {
    /// A balanced `{...}`.
    Whole(&'a [u8]),
    /// A `{` whose closing brace never came before the next event or the end.
    Truncated,
    /// Text that is not an object, up to the next event.
    NotObject,
}

/// Cuts a stream into top-level values by counting brackets outside strings.
///
/// A `{` at the start of a line, outside a string, always starts an event: kubectl prints one
/// event per line (`-o json` compact) or pretty-printed with nested objects indented, so a line
/// starting with `{` inside an unfinished event means that event was cut short, and the
/// next one is not lost with it.
struct Values<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
    line_start: bool,
}

impl<'a> Values<'a> {
    fn new(bytes: &'a [u8]) -> Values<'a> {
        let bom = b"\xEF\xBB\xBF";
        let at = if bytes.starts_with(bom) { bom.len() } else { 0 };
        Values {
            bytes,
            at,
            line: 1,
            line_start: true,
        }
    }

    /// Moves past `b`, keeping the line count.
    fn step(&mut self, b: u8) {
        self.at += 1;
        self.line_start = b == b'\n';
        if self.line_start {
            self.line += 1;
        }
    }

    fn byte(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        while let Some(b) = self.byte().filter(u8::is_ascii_whitespace) {
            self.step(b);
        }
        let first = self.byte()?;
        let line = self.line;
        if first != b'{' {
            // Skip to the next line that starts an event.
            while let Some(b) = self.byte() {
                if b == b'{' && self.line_start {
                    break;
                }
                self.step(b);
            }
            return Some(Value {
                line,
                outcome: Cut::NotObject,
            });
        }
        let start = self.at;
        self.step(first);
        let mut depth = 1usize;
        let mut in_string = false;
        let mut escaped = false;
        while let Some(b) = self.byte() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                self.step(b);
                continue;
            }
            match b {
                b'{' if self.line_start => {
                    return Some(Value {
                        line,
                        outcome: Cut::Truncated,
                    });
                }
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.step(b);
                        let text = self.bytes.get(start..self.at).unwrap_or_default();
                        return Some(Value {
                            line,
                            outcome: Cut::Whole(text),
                        });
                    }
                }
                _ => {}
            }
            self.step(b);
        }
        Some(Value {
            line,
            outcome: Cut::Truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<EventType, String>> {
        events("s", text.as_bytes())
            .map(|e| e.map(|e| e.event_type).map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn one_per_line_and_pretty_printed() {
        let compact = "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\"}}\n{\"type\":\"BOOKMARK\",\"object\":{}}\n";
        assert_eq!(
            read(compact),
            vec![Ok(EventType::Added), Ok(EventType::Bookmark)]
        );
        let pretty = "{\n    \"type\": \"MODIFIED\",\n    \"object\": {\n        \"kind\": \"Pod\",\n        \"s\": \"}{\\\"\"\n    }\n}\n{\n    \"type\": \"DELETED\",\n    \"object\": {}\n}\n";
        assert_eq!(
            read(pretty),
            vec![Ok(EventType::Modified), Ok(EventType::Deleted)]
        );
    }

    #[test]
    fn a_bad_event_costs_only_itself() {
        let text = "garbage\n{\"type\":\"NOPE\",\"object\":{}}\n{\"type\":\"ADDED\"}\n{\"type\": \"ADDED\", \"object\": {\"a\": 1,}}\n{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"ERROR\",\"object\":{";
        let got = read(text);
        assert_eq!(
            got,
            vec![
                Err("s: event 1 (line 1): expected an event object".to_string()),
                Err("s: event 2 (line 2): type: `NOPE` is not one of ADDED, MODIFIED, DELETED, BOOKMARK, ERROR".to_string()),
                Err("s: event 3 (line 3): object: required".to_string()),
                Err("s: event 4 (line 4): line 4 column 37: key must be a string".to_string()),
                Ok(EventType::Added),
                Err("s: event 6 (line 6): the event ends before its closing brace".to_string()),
            ]
        );
    }
}
