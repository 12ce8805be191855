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
///
/// A table-driven scan, one lookup per byte and no data-dependent branch, that skips 8-byte
/// words holding no byte it cares about: this runs over every byte of dumps of hundreds of
/// megabytes, and pretty-printed JSON is mostly indentation and plain string content.
fn json_depth(bytes: &[u8]) -> usize {
    let mut state = OUTSIDE;
    let mut depth: i64 = 0;
    let mut deepest: i64 = 0;
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let mut array = [0u8; 8];
        array.copy_from_slice(word);
        let x = u64::from_le_bytes(array);
        let plain = if state == OUTSIDE {
            !has_structural_byte(x)
        } else {
            state == INSIDE && !has_byte(x, b'"') && !has_byte(x, b'\\')
        };
        if plain {
            continue;
        }
        for &b in word {
            let step = JSON_SCAN[usize::from(state)][usize::from(b)];
            state = step & STATE_MASK;
            depth += i64::from(step >> 2) - 1;
            deepest = deepest.max(depth);
        }
    }
    for &b in words.remainder() {
        let step = JSON_SCAN[usize::from(state)][usize::from(b)];
        state = step & STATE_MASK;
        depth += i64::from(step >> 2) - 1;
        deepest = deepest.max(depth);
    }
    usize::try_from(deepest).unwrap_or(0)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `x` is `b` (the classic zero-byte test on `x ^ b...b`).
fn has_byte(x: u64, b: u8) -> bool {
    let v = x ^ (ONES * u64::from(b));
    v.wrapping_sub(ONES) & !v & HIGHS != 0
}

/// Whether `x` may hold `"`, `\\`, `[`, `]`, `{` or `}`. Clearing bit 5 maps `{|}` onto `[\\]`,
/// so `|` is a false positive, which only costs the slow path.
fn has_structural_byte(x: u64) -> bool {
    let folded = x & (ONES * 0xDF);
    has_byte(x, b'"') || has_byte(folded, b'[') || has_byte(folded, b'\\') || has_byte(folded, b']')
}

/// Scanner states: outside strings, inside one, just after a backslash inside one.
const OUTSIDE: u8 = 0;
const INSIDE: u8 = 1;
const ESCAPED: u8 = 2;
const STATE_MASK: u8 = 0b11;

/// `JSON_SCAN[state][byte]`: the next state in the low two bits, and the change of depth plus
/// one in the bits above (0: closes, 1: no change, 2: opens).
static JSON_SCAN: [[u8; 256]; 3] = json_scan_table();

const fn json_scan_table() -> [[u8; 256]; 3] {
    const SAME: u8 = 1 << 2;
    let mut table = [[0u8; 256]; 3];
    let mut b = 0;
    while b < 256 {
        let (outside, inside) = match b as u8 {
            b'"' => (INSIDE | SAME, OUTSIDE | SAME),
            b'\\' => (OUTSIDE | SAME, ESCAPED | SAME),
            b'[' | b'{' => (OUTSIDE | (2 << 2), INSIDE | SAME),
            b']' | b'}' => (OUTSIDE, INSIDE | SAME),
            _ => (OUTSIDE | SAME, INSIDE | SAME),
        };
        table[OUTSIDE as usize][b] = outside;
        table[INSIDE as usize][b] = inside;
        table[ESCAPED as usize][b] = INSIDE | SAME;
        b += 1;
    }
    table
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
    // YAML 1.2 core booleans only: a label value `y` or `no` is a string (kubectl writes YAML
    // 1.2, and values are read untyped so that a number is an error, not a string).
    options.strict_booleans = true;
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
        assert_eq!(json_depth(br#"{"a": "\\", "b": [[]]}"#), 3);
        assert_eq!(json_depth(b"]]]["), 0);
        assert_eq!(json_depth(b""), 0);
        // Words skipped whole, inside and outside strings, then brackets in a later word.
        let text =
            br#"{"aaaaaaaaaaaaaaaaaaaaaa": "bbbbbbbbbbbbbbbbbbbbb[[[[",         "c": [[[ {}]]]}"#;
        assert_eq!(json_depth(text), 5);
        let escaped = br#"["aaaaaa\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", [[[]]]]"#;
        assert_eq!(json_depth(escaped), 4);
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
