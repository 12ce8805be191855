//! Bytes to [`Document`]s: JSON through `serde_json`, everything else through `serde-saphyr`,
//! with the [`Limits`] enforced before and during parsing.

use serde_saphyr::budget::BudgetBreach;

use super::error::{LoadError, Position, tidy};
use super::limits::Limits;
use super::raw::Document;

/// The UTF-8 byte order mark some editors write at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses every document of one input.
pub(crate) fn parse(file: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Document>, LoadError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(LoadError::Limit {
            file: file.to_string(),
            limit: "max_input_bytes",
            value: limits.max_input_bytes,
            what: format!("input of {} bytes", bytes.len()),
        });
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // JSON is YAML, but serde_json is several times faster on the large dumps kubectl prints.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => parse_json(file, bytes, limits),
        _ => parse_yaml(file, bytes, limits),
    }
}

fn parse_json(file: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Document>, LoadError> {
    if json_depth(bytes) > limits.max_depth {
        return Err(LoadError::Limit {
            file: file.to_string(),
            limit: "max_depth",
            value: limits.max_depth,
            what: "nesting".to_string(),
        });
    }
    let mut documents = Vec::new();
    // Several concatenated JSON values are read as several documents.
    for document in serde_json::Deserializer::from_slice(bytes).into_iter::<Document>() {
        documents.push(document.map_err(|error| json_error(file, &error))?);
    }
    Ok(documents)
}

/// The deepest nesting of `[`/`{` outside strings: checked before parsing so the depth limit
/// holds for JSON as it does for YAML (serde_json's own limit is a fixed 128).
fn json_depth(bytes: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn json_error(file: &str, error: &serde_json::Error) -> LoadError {
    let text = error.to_string();
    let position = (error.line() > 0).then(|| Position {
        line: error.line() as u64,
        column: error.column() as u64,
    });
    // serde_json appends the position to its message; it goes in front instead.
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = tidy(text.strip_suffix(&suffix).unwrap_or(&text));
    LoadError::Parse {
        file: file.to_string(),
        position,
        message,
    }
}

fn parse_yaml(file: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Document>, LoadError> {
    let text = std::str::from_utf8(bytes).map_err(|error| LoadError::Parse {
        file: file.to_string(),
        position: None,
        message: format!("input is not UTF-8: {error}"),
    })?;
    let documents: Vec<Document> =
        serde_saphyr::from_multiple_with_options(text, yaml_options(bytes.len(), limits))
            .map_err(|error| yaml_error(file, &error, limits))?;
    Ok(documents)
}

/// serde-saphyr's budget, sized to the input: its defaults (250,000 nodes) are too small for
/// a kubectl dump of a large cluster, and every count it bounds is at most proportional to
/// the input's length except alias replay, which [`Limits::max_alias_events`] bounds.
fn yaml_options(len: usize, limits: &Limits) -> serde_saphyr::Options {
    // Every YAML event takes at least half a byte of input (`[[]]`: 4 bytes, 4 events, plus
    // stream and document events); only alias replay adds events beyond that.
    let parsed = len.saturating_mul(2).saturating_add(64);
    let events = parsed.saturating_add(limits.max_alias_events);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(limits.max_input_bytes);
    budget.max_events = events;
    budget.max_nodes = events;
    budget.max_depth = limits.max_depth;
    budget.max_documents = limits.max_objects.saturating_add(1);
    budget.max_total_scalar_bytes = limits.max_input_bytes.max(len);
    budget.max_aliases = limits.max_alias_events;
    budget.max_anchors = parsed;
    budget.max_recorded_anchor_events = limits.max_alias_events;
    budget.max_recorded_anchor_bytes = limits.max_input_bytes;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = limits.max_alias_events;
    options.emit_comments = false;
    options.with_snippet = false;
    options
}

fn yaml_error(file: &str, error: &serde_saphyr::Error, limits: &Limits) -> LoadError {
    let mut inner = error;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    let limit = match inner {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => Some(("max_depth", limits.max_depth, "nesting")),
            BudgetBreach::Documents { .. } => {
                Some(("max_objects", limits.max_objects, "number of documents"))
            }
            // Only alias replay takes events and nodes beyond what the input's size allows.
            BudgetBreach::Events { .. }
            | BudgetBreach::Nodes { .. }
            | BudgetBreach::Aliases { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => Some((
                "max_alias_events",
                limits.max_alias_events,
                "alias expansion",
            )),
            BudgetBreach::InputBytes { .. } | BudgetBreach::ScalarBytes { .. } => {
                Some(("max_input_bytes", limits.max_input_bytes, "input size"))
            }
            _ => None,
        },
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => Some((
            "max_alias_events",
            limits.max_alias_events,
            "alias expansion",
        )),
        _ => None,
    };
    if let Some((limit, value, what)) = limit {
        return LoadError::Limit {
            file: file.to_string(),
            limit,
            value,
            what: what.to_string(),
        };
    }
    let position = error.location().map(|location| Position {
        line: location.line(),
        column: location.column(),
    });
    LoadError::Parse {
        file: file.to_string(),
        position,
        message: tidy(&yaml_message(error)),
    }
}

/// The parser's message, without the position it may append (the position goes in front).
fn yaml_message(error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    match error.location() {
        Some(location) => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            first.strip_suffix(&suffix).unwrap_or(first).to_string()
        }
        None => first.to_string(),
    }
}

/// The parsed form of one input, for tests of the parser alone.
#[cfg(test)]
fn parse_str(text: &str) -> Result<Vec<Document>, LoadError> {
    parse("test", text.as_bytes(), &Limits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a": "[[[{", "b": [{}]}"#), 3);
        assert_eq!(json_depth(br#"{"a": "\"[["}"#), 1);
    }

    #[test]
    fn yaml_and_json_documents() -> Result<(), LoadError> {
        assert_eq!(parse_str("kind: Pod\n---\nkind: Pod\n")?.len(), 2);
        assert_eq!(parse_str(r#"{"kind": "Pod"} {"kind": "Pod"}"#)?.len(), 2);
        assert_eq!(
            parse_str(r#"[{"kind": "Pod"}, {"kind": "Pod"}]"#)?[0]
                .0
                .len(),
            2
        );
        Ok(())
    }
}
