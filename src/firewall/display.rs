//! Text forms of firewall objects, and the four tables the seed document shows.

use std::fmt::{self, Write as _};

use super::{Endpoint, FirewallConfig, Service, ServicePorts, Tag, TagKind, TagOp, TagTerm};

impl fmt::Display for Tag {
    /// `key=value`; a namespace label (Kubernetes mode) is `ns:key=value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}={}", kind_prefix(self.kind), self.key, self.value)
    }
}

fn kind_prefix(kind: TagKind) -> &'static str {
    match kind {
        TagKind::Namespace | TagKind::Label => "",
        TagKind::NamespaceLabel => "ns:",
        TagKind::Node => "node:",
    }
}

impl fmt::Display for TagTerm {
    /// `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, as kubectl prints selectors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = format!("{}{}", kind_prefix(self.kind), self.key);
        let list = |values: &std::collections::BTreeSet<String>| {
            values.iter().cloned().collect::<Vec<_>>().join(",")
        };
        match &self.op {
            TagOp::In(values) if values.len() == 1 => write!(f, "{key}={}", list(values)),
            TagOp::In(values) => write!(f, "{key} in ({})", list(values)),
            TagOp::NotIn(values) => write!(f, "{key} notin ({})", list(values)),
            TagOp::Exists => write!(f, "{key}"),
            TagOp::DoesNotExist => write!(f, "!{key}"),
        }
    }
}

impl fmt::Display for Service {
    /// `tcp:6379`, `tcp:80-90`, `tcp:http`, `tcp`, or `any`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(protocol) = self.protocol else {
            return f.write_str("any");
        };
        let protocol = protocol.to_string().to_ascii_lowercase();
        match &self.ports {
            ServicePorts::Any => write!(f, "{protocol}"),
            ServicePorts::Range(range) => write!(f, "{protocol}:{range}"),
            ServicePorts::Named(name) => write!(f, "{protocol}:{name}"),
        }
    }
}

impl FirewallConfig {
    /// An endpoint as Table 3 prints it: tags joined by `&&`, `Address Group: <prefixes>`, `any`.
    pub fn endpoint_text(&self, endpoint: &Endpoint) -> String {
        match endpoint {
            Endpoint::Any => "any".to_string(),
            Endpoint::Tags(terms) if terms.is_empty() => "all workloads".to_string(),
            Endpoint::Tags(terms) => terms
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" && "),
            Endpoint::AddressGroup(name) => match self.address_group(name) {
                Some(group) => format!("Address Group: {}", group_prefixes(group)),
                None => format!("Address Group: {name} (missing)"),
            },
        }
    }

    /// The seed document's Tables 1-4 for this configuration, plus the policy set's order.
    pub fn tables(&self) -> String {
        let mut out = String::new();
        let tags: Vec<Vec<String>> = self
            .tags
            .iter()
            .map(|t| vec![format!("{}{}", kind_prefix(t.kind), t.key), t.value.clone()])
            .collect();
        table(&mut out, "Table 1: Tags", &["Key", "Value"], &tags);
        let groups: Vec<Vec<String>> = self
            .address_groups
            .iter()
            .map(|g| vec![g.name.clone(), group_prefixes(g)])
            .collect();
        table(
            &mut out,
            "Table 2: Address Groups",
            &["Name", "Prefix"],
            &groups,
        );
        let rules: Vec<Vec<String>> = self
            .rules()
            .map(|(_, _, r)| {
                vec![
                    r.name.clone(),
                    format!("{:?}", r.action).to_ascii_lowercase(),
                    r.service.to_string(),
                    self.endpoint_text(&r.endpoint_1),
                    r.direction.as_str().to_string(),
                    self.endpoint_text(&r.endpoint_2),
                ]
            })
            .collect();
        table(
            &mut out,
            "Table 3: Firewall Rules",
            &[
                "Rule Name",
                "Action",
                "Service",
                "Endpoint1",
                "Direction",
                "Endpoint2",
            ],
            &rules,
        );
        // A Tier column only when some policy belongs to a tier, so CN2's own Table 4 keeps
        // its two columns.
        let tiered = self
            .application_policy_set
            .policies
            .iter()
            .any(|p| p.tier.is_some());
        let policies: Vec<Vec<String>> = self
            .application_policy_set
            .policies
            .iter()
            .map(|p| {
                let names: Vec<&str> = p.rules.iter().map(|r| r.name.as_str()).collect();
                let mut row = vec![p.name.clone()];
                if tiered {
                    row.push(p.tier.clone().unwrap_or_else(|| "-".to_string()));
                }
                row.push(names.join(", "));
                row
            })
            .collect();
        let header: &[&str] = if tiered {
            &["Name", "Tier", "Rules"]
        } else {
            &["Name", "Rules"]
        };
        table(&mut out, "Table 4: Firewall Policy", header, &policies);
        let order: Vec<&str> = self
            .application_policy_set
            .policies
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "Application Policy Set {}: {}",
            self.application_policy_set.name,
            order.join(", ")
        );
        out
    }
}

fn group_prefixes(group: &super::AddressGroup) -> String {
    let prefixes: Vec<String> = group.prefixes.iter().map(ToString::to_string).collect();
    let mut text = prefixes.join(", ");
    if !group.except.is_empty() {
        let holes: Vec<String> = group.except.iter().map(ToString::to_string).collect();
        text.push_str(&format!(" except {}", holes.join(", ")));
    }
    text
}

/// Appends a titled table with columns padded to their widest cell.
fn table(out: &mut String, title: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    let _ = writeln!(out, "{title}");
    line(out, &mut header.iter().copied());
    for row in rows {
        line(out, &mut row.iter().map(String::as_str));
    }
    out.push('\n');
}
