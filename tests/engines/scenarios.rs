//! The scenario suite: every `tests/scenarios/*.yaml` file holds Kubernetes objects and one
//! `kind: Expectations` document (which the loader skips) with connection cases and truth
//! tables; every engine in [`ENGINES`] must answer each of them as expected.
//!
//! Expectations format:
//! ```yaml
//! apiVersion: tagwall.test/v1
//! kind: Expectations
//! cases:                       # from/to: NAMESPACE/POD or an IP address
//! - {from: x/a, to: 192.0.2.1, protocol: TCP, port: 80, allowed: true}
//! matrices:                    # rows are sources, columns destinations; . allowed, X denied
//! - protocol: TCP
//!   port: 80
//!   table: |
//!     from\to x/a x/b
//!     x/a     .   X
//!     x/b     .   .
//! ```
//! Where CN2 (whose faults `--mode cn2` reproduces) answers otherwise, a case states it as
//! `cn2: <bool>` and a matrix as `cn2_table`; engines of [`Semantics::Cn2`] are held to those.
//!
//! A case may also state the reference engine's reasons, in the short form of
//! `reason_summary`: `why: {egress: not isolated, ingress: "allowed by x/p2 rule 0"}`.
//!
//! A pod stands for its first address of the other end's family, as in `tagwall check` and
//! `tagwall matrix` (`tagwall::model::Endpoint`, `Pod::pair_addresses`); two ends with no common family are "not
//! allowed". Protocols without ports (ICMP is `"1"`) take port 0.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tagwall::evaluator::{self, Evaluator, Kind};
use tagwall::k8s;
use tagwall::model::{Cluster, Endpoint, addresses};
use tagwall::protocol::Protocol;
use tagwall::reference::kubernetes::{self, SideReason};
use tagwall::translate::Mode;
use tagwall::tuple::Tuple;

/// An engine ready to answer tuples over one cluster (its answer carries the reasons printed
/// on failures).
type Decide<'c> = Box<dyn Evaluator + 'c>;

/// Whose answers an engine must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Semantics {
    /// Kubernetes semantics: `allowed`, `table`.
    Kubernetes,
    /// CN2's, faults included: `cn2` and `cn2_table` where a file states them, else the
    /// Kubernetes answers.
    Cn2,
}

/// Every engine the scenarios run against: its name, whose answers it must give, which engine
/// and how policies are translated for it. Adding an engine is one line here.
const ENGINES: &[(&str, Semantics, Kind, Mode)] = &[
    (
        "reference",
        Semantics::Kubernetes,
        Kind::Reference,
        Mode::Kubernetes,
    ),
    (
        "linear",
        Semantics::Kubernetes,
        Kind::Linear,
        Mode::Kubernetes,
    ),
    (
        "compiled",
        Semantics::Kubernetes,
        Kind::Compiled,
        Mode::Kubernetes,
    ),
    ("linear --mode cn2", Semantics::Cn2, Kind::Linear, Mode::Cn2),
    (
        "compiled --mode cn2",
        Semantics::Cn2,
        Kind::Compiled,
        Mode::Cn2,
    ),
];

fn build(kind: Kind, mode: Mode, cluster: &Cluster) -> Decide<'_> {
    evaluator::build(kind, mode, cluster).unwrap()
}

/// An engine's verdict and its reasons, for failure messages.
fn decide(engine: &Decide<'_>, tuple: &Tuple) -> (bool, String) {
    let answer = engine.explain(tuple);
    (answer.allowed, answer.explanation)
}

/// Any document of a scenario file; only the `Expectations` one is used.
#[derive(Debug, Deserialize)]
struct Document {
    kind: Option<String>,
    #[serde(default)]
    cases: Vec<Case>,
    #[serde(default)]
    matrices: Vec<Matrix>,
}

#[derive(Debug, Deserialize)]
struct Case {
    from: String,
    to: String,
    protocol: String,
    port: u16,
    allowed: bool,
    /// CN2's answer, where it differs from Kubernetes' (a reproduced fault).
    #[serde(default)]
    cn2: Option<bool>,
    /// The reasons the reference engine must give, when the file states them.
    #[serde(default)]
    why: Option<Why>,
}

/// Expected reasons, one per side, in the short form of [`reason_summary`].
#[derive(Debug, Deserialize)]
struct Why {
    egress: String,
    ingress: String,
}

#[derive(Debug, Deserialize)]
struct Matrix {
    protocol: String,
    port: u16,
    table: String,
    /// CN2's table, where it differs from Kubernetes' (reproduced faults).
    #[serde(default)]
    cn2_table: Option<String>,
}

const EXPECTATIONS: &str = "Expectations";

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

fn tuple(src: std::net::IpAddr, dst: std::net::IpAddr, protocol: Protocol, port: u16) -> Tuple {
    let src_port = if protocol.has_ports() { 40000 } else { 0 };
    Tuple {
        src,
        dst,
        protocol,
        src_port,
        dst_port: port,
    }
}

fn protocol(text: &str, file: &str) -> Protocol {
    text.parse()
        .unwrap_or_else(|e| panic!("{file}: bad protocol in expectations: {e}"))
}

/// Checks one case against one engine; a mismatch is described in `failures`.
fn check_case(
    file: &str,
    (engine, semantics): (&str, Semantics),
    cluster: &Cluster,
    evaluator: &Decide<'_>,
    case: &Case,
    failures: &mut Vec<String>,
) {
    let resolve = |text: &str| {
        Endpoint::resolve(text, cluster).unwrap_or_else(|e| panic!("{file}: case {case:?}: {e}"))
    };
    let (from, to) = (resolve(&case.from), resolve(&case.to));
    let protocol = protocol(&case.protocol, file);
    let (allowed, why) = match addresses(from, to) {
        Some((src, dst)) => {
            let tuple = tuple(src, dst, protocol, case.port);
            let (allowed, why) = decide(evaluator, &tuple);
            (allowed, format!("tuple {tuple:?}\n{why}"))
        }
        None => (false, "no common address family".to_string()),
    };
    let expected = match semantics {
        Semantics::Kubernetes => case.allowed,
        Semantics::Cn2 => case.cn2.unwrap_or(case.allowed),
    };
    if allowed != expected {
        failures.push(format!(
            "{file}: engine `{engine}`: {} -> {} {} {}: expected {}, got {}\n{why}",
            case.from,
            case.to,
            case.protocol,
            case.port,
            verdict(expected),
            verdict(allowed)
        ));
    }
}

/// Checks a case's stated reasons against the reference engine (the firewall engines give
/// their reasons as rule ids, which scenario files do not name).
fn check_reasons(file: &str, cluster: &Cluster, case: &Case, failures: &mut Vec<String>) {
    let Some(why) = &case.why else {
        return;
    };
    let from = Endpoint::resolve(&case.from, cluster).unwrap();
    let to = Endpoint::resolve(&case.to, cluster).unwrap();
    let (src, dst) = addresses(from, to)
        .unwrap_or_else(|| panic!("{file}: case {case:?} states reasons for no connection"));
    let explanation = kubernetes::evaluate(
        cluster,
        &tuple(src, dst, protocol(&case.protocol, file), case.port),
    );
    let actual = (
        reason_summary(&explanation.egress),
        reason_summary(&explanation.ingress),
    );
    if actual != (why.egress.clone(), why.ingress.clone()) {
        failures.push(format!(
            "{file}: reasons for {} -> {} {} {}: expected egress `{}`, ingress `{}`; \
             got egress `{}`, ingress `{}`",
            case.from,
            case.to,
            case.protocol,
            case.port,
            why.egress,
            why.ingress,
            actual.0,
            actual.1
        ));
    }
}

/// `not a pod`, `same pod`, `not isolated`, `local node`, `Admin Deny by Kind/name rule N`,
/// `allowed by ns/policy rule N, ...` or
/// `denied, isolated by ns/policy, ...`.
fn reason_summary(side: &SideReason) -> String {
    match side {
        SideReason::NotPod { .. } => "not a pod".to_string(),
        SideReason::SamePod { .. } => "same pod".to_string(),
        SideReason::NotIsolated { .. } => "not isolated".to_string(),
        SideReason::LocalNode { .. } => "local node".to_string(),
        SideReason::Tier {
            tier,
            policy,
            rule,
            action,
            ..
        } => format!("{tier} {action} by {policy} rule {rule}"),
        SideReason::Allowed { by, .. } => {
            let rules: Vec<String> = by
                .iter()
                .map(|allowance| format!("{} rule {}", allowance.policy, allowance.rule))
                .collect();
            format!("allowed by {}", rules.join(", "))
        }
        SideReason::Denied { isolated_by, .. } => {
            format!("denied, isolated by {}", isolated_by.join(", "))
        }
    }
}

fn verdict(allowed: bool) -> &'static str {
    if allowed { "allowed" } else { "denied" }
}

/// Checks a truth table cell by cell against one engine.
fn check_matrix(
    file: &str,
    (engine, semantics): (&str, Semantics),
    cluster: &Cluster,
    evaluator: &Decide<'_>,
    matrix: &Matrix,
    failures: &mut Vec<String>,
) {
    let table = match (semantics, &matrix.cn2_table) {
        (Semantics::Cn2, Some(cn2_table)) => cn2_table,
        _ => &matrix.table,
    };
    let mut lines = table.lines().filter(|line| !line.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_else(|| panic!("{file}: empty matrix"))
        .split_whitespace()
        .skip(1)
        .collect();
    let pod = |key: &str| {
        cluster
            .pods
            .iter()
            .find(|pod| pod.key() == key)
            .unwrap_or_else(|| panic!("{file}: matrix names unknown pod `{key}`"))
    };
    let protocol = protocol(&matrix.protocol, file);
    let mut actual = format!("\n  {:10} {}", "from\\to", header.join(" "));
    let mut wrong = Vec::new();
    for line in lines {
        let mut cells = line.split_whitespace();
        let from = cells.next().unwrap_or_default();
        let marks: Vec<&str> = cells.collect();
        assert_eq!(
            marks.len(),
            header.len(),
            "{file}: matrix row `{line}` has the wrong width"
        );
        let _ = write!(actual, "\n  {from:10}");
        for (to, mark) in header.iter().zip(marks) {
            let expected = match mark {
                "." => true,
                "X" => false,
                other => panic!("{file}: matrix cell `{other}` is neither `.` nor `X`"),
            };
            let (allowed, why) = match pod(from).pair_addresses(pod(to)) {
                Some((src, dst)) => decide(evaluator, &tuple(src, dst, protocol, matrix.port)),
                None => (false, "no common address family".to_string()),
            };
            let _ = write!(
                actual,
                " {:w$}",
                if allowed { "." } else { "X" },
                w = to.len()
            );
            if allowed != expected {
                wrong.push(format!(
                    "  {from} -> {to}: expected {}, got {}\n{why}",
                    verdict(expected),
                    verdict(allowed)
                ));
            }
        }
    }
    if !wrong.is_empty() {
        failures.push(format!(
            "{file}: engine `{engine}`: matrix {} {}: {} cell(s) wrong; actual table:{actual}\n{}",
            matrix.protocol,
            matrix.port,
            wrong.len(),
            wrong.join("\n")
        ));
    }
}

#[test]
fn scenarios_hold_for_every_engine() {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenario files found");
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        let file = path.display().to_string();
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let loaded = k8s::load_str(&file, &text).unwrap_or_else(|e| panic!("{file}: {e}"));
        // A warning means an object was changed or dropped: the expectations would then be
        // about another cluster than the file shows.
        assert!(
            loaded.warnings.is_empty(),
            "{file}: loader warnings: {:?}",
            loaded.warnings
        );
        assert_eq!(
            loaded.skipped_kinds.get(EXPECTATIONS),
            Some(&1),
            "{file}: the loader must skip exactly one expectations document"
        );
        let documents: Vec<Document> =
            serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let expectations: Vec<&Document> = documents
            .iter()
            .filter(|doc| doc.kind.as_deref() == Some(EXPECTATIONS))
            .collect();
        let [expectations] = expectations[..] else {
            panic!("{file}: needs exactly one `kind: {EXPECTATIONS}` document");
        };
        assert!(
            !expectations.cases.is_empty() || !expectations.matrices.is_empty(),
            "{file}: expects nothing"
        );
        for case in &expectations.cases {
            check_reasons(&file, &loaded.cluster, case, &mut failures);
        }
        for &(engine, semantics, kind, mode) in ENGINES {
            let decide = build(kind, mode, &loaded.cluster);
            for case in &expectations.cases {
                check_case(
                    &file,
                    (engine, semantics),
                    &loaded.cluster,
                    &decide,
                    case,
                    &mut failures,
                );
                checked += 1;
            }
            for matrix in &expectations.matrices {
                check_matrix(
                    &file,
                    (engine, semantics),
                    &loaded.cluster,
                    &decide,
                    matrix,
                    &mut failures,
                );
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} expectations failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The same objects decide differently once a label changes: nothing is cached across loads.
#[test]
fn changing_a_label_changes_the_decision() {
    let text = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: x, labels: {team: blue}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: y, labels: {team: blue}}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: a, labels: {app: db}},
   spec: {containers: [{name: c, image: i}]}, status: {podIP: 10.0.0.1}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: y, name: b, labels: {app: web}},
   spec: {containers: [{name: c, image: i}]}, status: {podIP: 10.0.0.2}}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {namespace: x, name: db-from-blue-web}
  spec:
    podSelector: {matchLabels: {app: db}}
    ingress:
    - from:
      - namespaceSelector: {matchLabels: {team: blue}}
        podSelector: {matchLabels: {app: web}}
"#;
    let decide_all = |text: &str| -> Vec<bool> {
        let loaded = k8s::load_str("label-change.yaml", text).unwrap();
        let web_to_db = tuple(
            "10.0.0.2".parse().unwrap(),
            "10.0.0.1".parse().unwrap(),
            Protocol::Tcp,
            5432,
        );
        ENGINES
            .iter()
            .map(|&(_, _, kind, mode)| build(kind, mode, &loaded.cluster).allowed(&web_to_db))
            .collect()
    };
    let all = |value: bool| vec![value; ENGINES.len()];
    assert_eq!(decide_all(text), all(true));
    // The pod's label changes: it no longer matches the peer's podSelector.
    let relabelled_pod = text.replace("labels: {app: web}", "labels: {app: batch}");
    assert_eq!(decide_all(&relabelled_pod), all(false));
    // The peer's namespace changes team: the namespaceSelector no longer matches.
    let relabelled_namespace = text.replace(
        "name: y, labels: {team: blue}",
        "name: y, labels: {team: red}",
    );
    assert_ne!(relabelled_namespace, text);
    assert_eq!(decide_all(&relabelled_namespace), all(false));
    // From the denied state, the selected pod's label changes: it is no longer isolated.
    let unselected = relabelled_pod.replace("labels: {app: db}}", "labels: {app: cache}}");
    assert_ne!(unselected, relabelled_pod);
    assert_eq!(decide_all(&unselected), all(true));
}
