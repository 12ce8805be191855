//! The API server's syntax rules for names, label keys and values, and port names
//! (k8s.io/apimachinery/pkg/util/validation). Each check returns why a string fails, or `None`.

/// Longest DNS-1123 label (namespace names, label-key name parts).
const DNS_LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain (object names, label-key prefixes).
const DNS_SUBDOMAIN_MAX: usize = 253;
/// Longest label value and label-key name part.
const QUALIFIED_NAME_MAX: usize = 63;
/// Longest IANA service name (named ports).
const PORT_NAME_MAX: usize = 15;

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// A DNS-1123 label: at most 63 characters of `[a-z0-9-]`, starting and ending alphanumeric.
pub(crate) fn dns_label_error(s: &str) -> Option<String> {
    if s.len() > DNS_LABEL_MAX {
        return Some(format!("must be no more than {DNS_LABEL_MAX} characters"));
    }
    if !dns_label_syntax(s) {
        return Some(
            "must consist of lower case alphanumeric characters or '-', and must start and end \
             with an alphanumeric character"
                .to_string(),
        );
    }
    None
}

fn dns_label_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alnum(first)
                && is_lower_alnum(last)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
pub(crate) fn dns_subdomain_error(s: &str) -> Option<String> {
    if s.len() > DNS_SUBDOMAIN_MAX {
        return Some(format!(
            "must be no more than {DNS_SUBDOMAIN_MAX} characters"
        ));
    }
    if !s.split('.').all(dns_label_syntax) {
        return Some(
            "must consist of lower case alphanumeric characters, '-' or '.', and must start and \
             end with an alphanumeric character"
                .to_string(),
        );
    }
    None
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a qualified name, and any
/// non-empty label value.
fn qualified_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// A qualified name (label keys, selector keys): an optional DNS-subdomain prefix and `/`,
/// then a name of at most 63 characters of `[-A-Za-z0-9_.]`, alphanumeric at both ends.
pub(crate) fn label_key_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("prefix part must be non-empty".to_string());
        }
        if let Some(why) = dns_subdomain_error(prefix) {
            return Some(format!("prefix part {why}"));
        }
    }
    if name.is_empty() {
        return Some("name part must be non-empty".to_string());
    }
    if name.len() > QUALIFIED_NAME_MAX {
        return Some(format!(
            "name part must be no more than {QUALIFIED_NAME_MAX} characters"
        ));
    }
    if !qualified_syntax(name) {
        return Some(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start \
             and end with an alphanumeric character"
                .to_string(),
        );
    }
    None
}

/// A label value: empty, or at most 63 characters of `[-A-Za-z0-9_.]`, alphanumeric at both
/// ends.
pub(crate) fn label_value_error(value: &str) -> Option<String> {
    if value.len() > QUALIFIED_NAME_MAX {
        return Some(format!(
            "must be no more than {QUALIFIED_NAME_MAX} characters"
        ));
    }
    if !value.is_empty() && !qualified_syntax(value) {
        return Some(
            "must be empty or consist of alphanumeric characters, '-', '_' or '.', and must \
             start and end with an alphanumeric character"
                .to_string(),
        );
    }
    None
}

/// An IANA_SVC_NAME (RFC 6335), as named ports must be: 1-15 characters of `[a-z0-9-]`, at
/// least one letter, no leading, trailing or doubled `-`.
pub(crate) fn port_name_error(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > PORT_NAME_MAX {
        return Some(format!("must be 1-{PORT_NAME_MAX} characters long"));
    }
    let b = name.as_bytes();
    if !b.iter().all(|&c| is_lower_alnum(c) || c == b'-') {
        return Some("must contain only lower case alphanumeric characters and '-'".to_string());
    }
    if !b.iter().any(u8::is_ascii_lowercase) {
        return Some("must contain at least one letter (a-z)".to_string());
    }
    if name.contains("--") {
        return Some("must not contain consecutive hyphens".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must not begin or end with a hyphen".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(dns_label_error("default").is_none());
        assert!(dns_label_error("a-1").is_none());
        assert!(dns_label_error("").is_some());
        assert!(dns_label_error("-a").is_some());
        assert!(dns_label_error("A").is_some());
        assert!(dns_label_error("a.b").is_some());
        assert!(dns_label_error(&"a".repeat(64)).is_some());
    }

    #[test]
    fn dns_subdomains() {
        assert!(dns_subdomain_error("a.b-c.d").is_none());
        assert!(dns_subdomain_error("a..b").is_some());
        assert!(dns_subdomain_error("a.").is_some());
        assert!(dns_subdomain_error(&"a".repeat(254)).is_some());
    }

    #[test]
    fn label_keys() {
        assert!(label_key_error("app").is_none());
        assert!(label_key_error("kubernetes.io/metadata.name").is_none());
        assert!(label_key_error("App_1.x").is_none());
        assert!(label_key_error("/app").is_some());
        assert!(label_key_error("example.com/").is_some());
        assert!(label_key_error("Example.com/app").is_some());
        assert!(label_key_error("a/b/c").is_some());
        assert!(label_key_error("app-").is_some());
        assert!(label_key_error(&"a".repeat(64)).is_some());
    }

    #[test]
    fn label_values() {
        assert!(label_value_error("").is_none());
        assert!(label_value_error("v1.2_3-X").is_none());
        assert!(label_value_error("-v").is_some());
        assert!(label_value_error("a b").is_some());
        assert!(label_value_error(&"a".repeat(64)).is_some());
    }

    #[test]
    fn port_names() {
        assert!(port_name_error("http").is_none());
        assert!(port_name_error("h2-c").is_none());
        assert!(port_name_error("80").is_some());
        assert!(port_name_error("Http").is_some());
        assert!(port_name_error("a--b").is_some());
        assert!(port_name_error("-http").is_some());
        assert!(port_name_error("a23456789012345x").is_some());
        assert!(port_name_error("").is_some());
    }
}
