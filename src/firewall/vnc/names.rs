//! Names the Contrail config API server keeps as they are posted.
//!
//! - The server lower-cases a tag's `tag_type_name` and renames the tag `type=value` after it
//!   (`src/config/api-server/vnc_cfg_api_server/resources/tag.py`, `TagServer.pre_dbe_alloc`
//!   in Juniper/contrail-controller), so `App` and `app` would become one tag type and an upper
//!   case escape would be renamed under the rules that name it. [`escape`] writes only
//!   `[a-z0-9.-]` and `_xx` (two lower-case hex digits per byte): lower-casing leaves it as it
//!   is, and it is reversible ([`unescape`]), so distinct labels stay distinct tags.
//! - `:` is the one character the server refuses in names (`_INVALID_NAME_CHARS` in
//!   `vnc_cfg_api_server/api_server.py`); [`object_name`] escapes it (and `_`, to stay
//!   reversible) in rule names that carry IPv6 CIDRs.
//! - Sequence attributes are compared as strings by the vRouter agent (`AclEntryID::operator<`
//!   in `src/vnsw/agent/filter/acl_entry.h`; the policy list of `filter/policy_set.h` is a
//!   `std::map<std::string, uuid>`), so [`sequence`] zero-pads them as kube-manager does
//!   (`construct_sequence_number` in
//!   `src/container/kube-manager/kube_manager/vnc/vnc_security_policy.py`: `%05d.%d`).

use std::fmt::Write as _;

use crate::firewall::TagKind;

/// Label keys whose plain use as a Contrail tag type would mean something else: `namespace` is
/// ours, `label` is Contrail's one multi-valued type and `application` binds policy sets.
const RESERVED_TYPES: [&str; 3] = ["namespace", "label", "application"];

/// `_xx`-escapes every byte outside `[a-z0-9.-]` (so `_` itself and every upper-case letter).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'.' | b'-') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "_{byte:02x}");
        }
    }
    out
}

/// The text [`escape`] was given, or `None` when `text` is no escape's output.
pub fn unescape(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'_' {
            let hex = tail.get(..2)?;
            if hex.iter().any(u8::is_ascii_uppercase) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = tail.get(2..)?;
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// A tag's Contrail type name, one-to-one: namespace labels are `ns:<key>`, pod labels with a
/// reserved key (or a `:`, which Kubernetes keys never have) `label:<key>`, all escaped.
pub fn tag_type(kind: TagKind, key: &str) -> String {
    match kind {
        TagKind::Namespace if key == "namespace" => "namespace".to_string(),
        TagKind::Namespace => escape(&format!("namespace:{key}")),
        TagKind::Label if RESERVED_TYPES.contains(&key) || key.contains(':') => {
            escape(&format!("label:{key}"))
        }
        TagKind::Label => escape(key),
        TagKind::NamespaceLabel => escape(&format!("ns:{key}")),
    }
}

/// `type=value`, the name the API server gives a tag.
pub fn tag_name(tag_type: &str, value: &str) -> String {
    format!("{tag_type}={}", escape(value))
}

/// A name the API server accepts: `:` and `_` escaped as `_3a` and `_5f`, the rest kept.
pub fn object_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ':' => out.push_str("_3a"),
            '_' => out.push_str("_5f"),
            c => out.push(c),
        }
    }
    out
}

/// The sequence attribute of the `index`-th reference: `00000.0`, `00001.0`, ...
pub fn sequence(index: usize) -> String {
    format!("{index:05}.0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_survive_lower_casing_and_keep_case_apart() {
        for text in [
            "App",
            "app",
            "kubernetes.io/metadata.name",
            "a_b",
            "ns:x",
            "Ünï",
        ] {
            let escaped = escape(text);
            assert_eq!(escaped, escaped.to_lowercase(), "{text}");
            assert_eq!(unescape(&escaped).as_deref(), Some(text));
        }
        assert_ne!(escape("App"), escape("app"));
        assert_eq!(
            tag_type(TagKind::Label, "kubernetes.io/name"),
            "kubernetes.io_2fname"
        );
        assert_eq!(
            tag_type(TagKind::NamespaceLabel, "team"),
            tag_type(TagKind::NamespaceLabel, "team")
        );
        assert_ne!(
            tag_type(TagKind::NamespaceLabel, "team"),
            tag_type(TagKind::Label, "team")
        );
        assert_eq!(
            tag_type(TagKind::Label, "application"),
            "label_3aapplication"
        );
        assert_eq!(unescape("_4"), None);
        assert_eq!(unescape("_4A"), None);
    }

    #[test]
    fn names_lose_colons_and_stay_distinct() {
        let a = object_name("x-egress-np-0-ipBlock-0-cidr-fd00:31::/64-0");
        assert!(!a.contains(':'));
        assert_ne!(object_name("a:b"), object_name("a_3ab"));
    }

    #[test]
    fn sequences_order_as_strings_as_they_do_as_numbers() {
        let mut sequences: Vec<String> = (0..120).map(sequence).collect();
        let numeric = sequences.clone();
        sequences.sort();
        assert_eq!(sequences, numeric);
        assert_eq!(sequence(11), "00011.0");
    }
}
