//! Reading clusters: document shapes, defaults, implied namespaces, warnings, modes.

use std::net::IpAddr;
use std::path::PathBuf;

use tagwall::k8s::{LoadError, LoadOptions, Loaded, Loader, load_files, load_str};
use tagwall::model::{Peer, PolicyPort, PortRule};
use tagwall::protocol::{PortRange, Protocol};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

fn pod_names(loaded: &Loaded) -> Vec<String> {
    loaded.cluster.pods.iter().map(|p| p.key()).collect()
}

#[test]
fn multi_document_yaml() -> Result<(), LoadError> {
    let loaded = load_str(
        "m.yaml",
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# only a comment\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x}\n...\n",
    )?;
    assert_eq!(pod_names(&loaded), ["default/a", "x/b"]);
    Ok(())
}

#[test]
fn list_and_nested_list() -> Result<(), LoadError> {
    // kubectl prints `items` before `kind`; a nested List is read too.
    let loaded = load_str(
        "l.yaml",
        "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n\
         - apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: Pod, metadata: {name: b}}\n  \
         - {apiVersion: v1, kind: PodList, items: [{kind: Pod, metadata: {name: c}}]}\n\
         kind: List\nmetadata: {resourceVersion: ''}\n",
    )?;
    assert_eq!(pod_names(&loaded), ["default/a", "default/b", "default/c"]);
    assert!(loaded.skipped_kinds.is_empty());
    Ok(())
}

#[test]
fn json_object_list_array_and_stream() -> Result<(), LoadError> {
    let object = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}"#;
    let list = r#" {"apiVersion": "v1", "items": [{"kind": "Pod", "metadata": {"name": "b"}}], "kind": "List"}"#;
    let array = r#"[{"kind": "Pod", "metadata": {"name": "c"}}]"#;
    let loaded = load_str("s.json", &format!("\u{feff}{object}\n{list}\n{array}"))?;
    assert_eq!(pod_names(&loaded), ["default/a", "default/b", "default/c"]);
    Ok(())
}

#[test]
fn other_kinds_are_skipped_and_counted() -> Result<(), LoadError> {
    let loaded = load_str(
        "k.yaml",
        "kind: Service\nspec: {ports: [{port: 80}]}\n---\nkind: Service\n---\nkind: Deployment\n\
         spec: {template: {spec: {containers: [{name: a}]}}}\n---\n\
         apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: calico}\n\
         spec: {selector: all(), types: [Ingress]}\n",
    )?;
    let counts: Vec<(&str, usize)> = loaded
        .skipped_kinds
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        counts,
        [
            ("Deployment", 1),
            ("NetworkPolicy (projectcalico.org/v3)", 1),
            ("Service", 2)
        ]
    );
    assert!(loaded.cluster.policies.is_empty());
    Ok(())
}

#[test]
fn implied_and_explicit_namespace_labels() -> Result<(), LoadError> {
    let loaded = load_str(
        "n.yaml",
        "kind: Namespace\napiVersion: v1\nmetadata:\n  name: prod\n  labels: {team: a, \
         kubernetes.io/metadata.name: wrong}\n---\nkind: Pod\nmetadata: {name: p, namespace: dev}\n\
         ---\nkind: NetworkPolicy\nmetadata: {name: n, namespace: ops}\n",
    )?;
    let namespaces = &loaded.cluster.namespaces;
    let labels = |name: &str| {
        namespaces.get(name).map(|ns| {
            ns.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(
        labels("prod"),
        Some(vec![
            "kubernetes.io/metadata.name=prod".to_string(),
            "team=a".to_string()
        ])
    );
    assert_eq!(
        labels("dev"),
        Some(vec!["kubernetes.io/metadata.name=dev".to_string()])
    );
    assert_eq!(
        labels("ops"),
        Some(vec!["kubernetes.io/metadata.name=ops".to_string()])
    );
    assert_eq!(namespaces.len(), 3);
    Ok(())
}

#[test]
fn pod_ips_fallback_ipv6_and_canonical() -> Result<(), LoadError> {
    let loaded = load_str(
        "ip.yaml",
        "kind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.9, podIPs: [{ip: 10.0.0.1}, {ip: 'fd00::1'}]}\n\
         ---\nkind: Pod\nmetadata: {name: b}\nstatus: {podIP: 10.0.0.2}\n\
         ---\nkind: Pod\nmetadata: {name: c}\nstatus: {podIPs: [{ip: '::ffff:10.0.0.3'}]}\n\
         ---\nkind: Pod\nmetadata: {name: d}\nstatus: {phase: Pending}\n",
    )?;
    let ips: Vec<Vec<IpAddr>> = loaded.cluster.pods.iter().map(|p| p.ips.clone()).collect();
    assert_eq!(
        ips,
        [
            vec![ip("10.0.0.1"), ip("fd00::1")],
            vec![ip("10.0.0.2")],
            vec![ip("10.0.0.3")],
            vec![]
        ]
    );
    Ok(())
}

#[test]
fn named_ports_of_containers_only() -> Result<(), LoadError> {
    let loaded = load_str(
        "p.yaml",
        "kind: Pod\nmetadata: {name: a}\nspec:\n  initContainers:\n  - ports: [{name: init, containerPort: 1}]\n  \
         containers:\n  - ports: [{name: web, containerPort: 8080}, {containerPort: 9}]\n  \
         - ports: [{name: dns, containerPort: 53, protocol: UDP}]\n",
    )?;
    let pod = &loaded.cluster.pods[0];
    let ports: Vec<(&str, u16, Protocol)> = pod
        .ports
        .iter()
        .map(|p| (p.name.as_str(), p.port, p.protocol))
        .collect();
    assert_eq!(
        ports,
        [("dns", 53, Protocol::Udp), ("web", 8080, Protocol::Tcp)]
    );
    Ok(())
}

#[test]
fn host_bits_are_cleared_with_a_warning() -> Result<(), LoadError> {
    let loaded = load_str(
        "h.yaml",
        "kind: NetworkPolicy\nmetadata: {name: t}\nspec:\n  ingress:\n  - from:\n    \
         - ipBlock: {cidr: 10.1.1.1/4, except: [10.1.1.1/16]}\n",
    )?;
    let Some(Peer::IpBlock(block)) = loaded.cluster.policies[0].ingress[0]
        .peers
        .as_ref()
        .and_then(|p| p.first())
    else {
        return Err(LoadError::Parse {
            file: "test".into(),
            position: None,
            message: "no ipBlock peer".into(),
        });
    };
    assert_eq!(block.cidr.to_string(), "0.0.0.0/4");
    assert_eq!(block.except[0].to_string(), "10.1.0.0/16");
    let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "h.yaml: NetworkPolicy default/t: spec.ingress[0].from[0].ipBlock.cidr: \
             `10.1.1.1/4` has host bits set; read as `0.0.0.0/4`",
            "h.yaml: NetworkPolicy default/t: spec.ingress[0].from[0].ipBlock.except[0]: \
             `10.1.1.1/16` has host bits set; read as `10.1.0.0/16`"
        ]
    );
    Ok(())
}

#[test]
fn policy_defaults() -> Result<(), LoadError> {
    let loaded = load_str(
        "d.yaml",
        "kind: NetworkPolicy\nmetadata: {name: ingress-only}\nspec:\n  podSelector: {}\n  \
         egress: []\n  ingress:\n  - from: []\n    ports: [{port: 80}, {protocol: UDP}, {port: dns, protocol: UDP}]\n  - {}\n\
         ---\nkind: NetworkPolicy\nmetadata: {name: both}\nspec:\n  egress: [{}]\n\
         ---\nkind: NetworkPolicy\nmetadata: {name: egress-only}\nspec:\n  policyTypes: [Egress]\n",
    )?;
    let policies = &loaded.cluster.policies;
    let by_name = |name: &str| policies.iter().find(|p| p.name == name);
    let types = |name: &str| by_name(name).map(|p| (p.policy_types.ingress, p.policy_types.egress));
    assert_eq!(types("ingress-only"), Some((true, false)));
    assert_eq!(types("both"), Some((true, true)));
    assert_eq!(types("egress-only"), Some((false, true)));
    let rules = by_name("ingress-only")
        .map(|p| p.ingress.clone())
        .unwrap_or_default();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].peers, None);
    assert_eq!(
        rules[0].ports,
        Some(vec![
            PortRule {
                protocol: Protocol::Tcp,
                port: Some(PolicyPort::Numbers(PortRange::single(80)))
            },
            PortRule {
                protocol: Protocol::Udp,
                port: None
            },
            PortRule {
                protocol: Protocol::Udp,
                port: Some(PolicyPort::Named("dns".to_string()))
            },
        ])
    );
    assert_eq!(
        (rules[1].peers.clone(), rules[1].ports.clone()),
        (None, None)
    );
    Ok(())
}

#[test]
fn peers_and_port_ranges() -> Result<(), LoadError> {
    let loaded = load_str(
        "r.yaml",
        "kind: NetworkPolicy\nmetadata: {name: t, namespace: prod}\nspec:\n  egress:\n  - to:\n    \
         - namespaceSelector: {matchLabels: {team: a}}\n      podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [x, y]}]}\n    \
         - podSelector: {}\n    ports: [{port: 1000, endPort: 2000, protocol: SCTP}]\n",
    )?;
    let rule = &loaded.cluster.policies[0].egress[0];
    let peers = rule.peers.clone().unwrap_or_default();
    assert_eq!(peers.len(), 2);
    match &peers[0] {
        Peer::Pods {
            namespace_selector: Some(ns),
            pod_selector: Some(pods),
        } => {
            assert_eq!(ns.to_string(), "team=a");
            assert_eq!(pods.to_string(), "app notin (x,y)");
        }
        other => panic!("unexpected peer {other:?}"),
    }
    match &peers[1] {
        Peer::Pods {
            namespace_selector: None,
            pod_selector: Some(pods),
        } => assert!(pods.is_empty()),
        other => panic!("unexpected peer {other:?}"),
    }
    assert_eq!(
        rule.ports,
        Some(vec![PortRule {
            protocol: Protocol::Sctp,
            port: Some(PolicyPort::Numbers(PortRange {
                start: 1000,
                end: 2000
            }))
        }])
    );
    Ok(())
}

#[test]
fn spec_before_kind_is_read() -> Result<(), LoadError> {
    let loaded = load_str(
        "o.json",
        r#"{"spec": {"containers": [{"ports": [{"name": "web", "containerPort": 80}]}]},
            "status": {"podIP": "10.0.0.1"}, "metadata": {"name": "late"}, "kind": "Pod"}"#,
    )?;
    assert_eq!(
        loaded.cluster.pods[0].named_port("web", Protocol::Tcp),
        Some(80)
    );
    assert_eq!(loaded.cluster.pods[0].ips, [ip("10.0.0.1")]);
    Ok(())
}

#[test]
fn host_network_and_finished_pods_are_left_out() -> Result<(), LoadError> {
    let loaded = load_str(
        "f.yaml",
        "kind: Pod\nmetadata: {name: node-agent}\nspec: {hostNetwork: true}\nstatus: {podIP: 192.168.0.1}\n\
         ---\nkind: Pod\nmetadata: {name: job}\nstatus: {phase: Succeeded, podIP: 10.0.0.1}\n\
         ---\nkind: Pod\nmetadata: {name: web}\nstatus: {phase: Running, podIP: 10.0.0.1}\n",
    )?;
    assert_eq!(pod_names(&loaded), ["default/web"]);
    let fields: Vec<(&str, &str)> = loaded
        .warnings
        .iter()
        .map(|w| (w.object.as_str(), w.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("Pod default/node-agent", "spec.hostNetwork"),
            ("Pod default/job", "status.phase")
        ]
    );
    Ok(())
}

const MIXED: &str = "kind: Pod\nmetadata: {name: good}\n---\nkind: Pod\nmetadata: {name: Bad}\n---\n\
    kind: NetworkPolicy\nmetadata: {name: bad}\nspec: {ingress: [{ports: [{port: 0}]}]}\n---\n\
    kind: NetworkPolicy\nmetadata: {name: fine}\n";

#[test]
fn strict_fails_on_first_invalid_object() {
    let result = load_str("mixed.yaml", MIXED).map(|_| ());
    assert_eq!(
        result.map_err(|e| e.to_string()),
        Err(
            "mixed.yaml: Pod default/Bad: metadata.name: `Bad` is invalid: must consist of lower \
             case alphanumeric characters, '-' or '.', and must start and end with an \
             alphanumeric character"
                .to_string()
        )
    );
}

#[test]
fn lenient_skips_invalid_objects_with_one_warning_each() -> Result<(), LoadError> {
    let mut loader = Loader::new(LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    });
    loader.add_bytes("mixed.yaml", MIXED.as_bytes())?;
    let loaded = loader.finish()?;
    assert_eq!(pod_names(&loaded), ["default/good"]);
    let policies: Vec<String> = loaded.cluster.policies.iter().map(|p| p.key()).collect();
    assert_eq!(policies, ["default/fine"]);
    let warned: Vec<(&str, &str)> = loaded
        .warnings
        .iter()
        .map(|w| (w.object.as_str(), w.field.as_str()))
        .collect();
    assert_eq!(
        warned,
        [
            ("Pod default/Bad", "metadata.name"),
            ("NetworkPolicy default/bad", "spec.ingress[0].ports[0].port")
        ]
    );
    Ok(())
}

#[test]
fn lenient_still_fails_on_parse_errors() {
    let mut loader = Loader::new(LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    });
    assert!(matches!(
        loader.add_bytes("broken.yaml", b"kind: Pod\nmetadata: {name: [\n"),
        Err(LoadError::Parse { .. })
    ));
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tagwall-k8s-load-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[test]
fn duplicates_across_files() -> Result<(), LoadError> {
    let dir = temp_dir("dups");
    let a = dir.join("a.yaml");
    let b = dir.join("b.json");
    let write = |path: &PathBuf, text: &str| {
        std::fs::write(path, text).map_err(|error| LoadError::Read {
            file: path.display().to_string(),
            error,
        })
    };
    write(
        &a,
        "kind: Pod\nmetadata: {name: web, labels: {v: '1'}}\nstatus: {podIP: 10.0.0.1}\n",
    )?;
    write(
        &b,
        r#"{"kind": "Pod", "metadata": {"name": "web", "labels": {"v": "2"}}, "status": {"podIP": "10.0.0.2"}}"#,
    )?;
    let paths = [a.clone(), b.clone()];
    let strict = load_files(&paths, LoadOptions::default()).map(|_| ());
    assert_eq!(
        strict.map_err(|e| e.to_string()),
        Err(format!(
            "{}: Pod default/web: metadata.name: already defined in `{}`",
            b.display(),
            a.display()
        ))
    );
    let lenient = load_files(
        &paths,
        LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        },
    )?;
    assert_eq!(lenient.cluster.pods.len(), 1);
    assert_eq!(
        lenient.cluster.pods[0].labels.get("v").map(String::as_str),
        Some("1")
    );
    assert_eq!(lenient.warnings.len(), 1);
    let missing = load_files(&[dir.join("missing.yaml")], LoadOptions::default());
    assert!(matches!(missing, Err(LoadError::Read { .. })));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn lenient_drops_second_pod_with_a_shared_ip() -> Result<(), LoadError> {
    let mut loader = Loader::new(LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    });
    loader.add_bytes(
        "ips.yaml",
        b"kind: Pod\nmetadata: {name: b}\nstatus: {podIP: 10.0.0.1}\n---\n\
          kind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.1}\n",
    )?;
    let loaded = loader.finish()?;
    assert_eq!(pod_names(&loaded), ["default/a"]);
    assert_eq!(
        loaded
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>(),
        [
            "ips.yaml: Pod default/b: status.podIP: `10.0.0.1` is also the IP of Pod `default/a` \
          in `ips.yaml`; object skipped"
        ]
    );
    Ok(())
}

#[test]
fn kubectl_shaped_fields_are_ignored() -> Result<(), LoadError> {
    let loaded = load_str(
        "kubectl.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: {a: b}\n  creationTimestamp: '2024-01-01T00:00:00Z'\n  \
         labels: {app: web}\n  managedFields:\n  - manager: kubectl\n    fieldsV1: {f:metadata: {f:labels: {.: {}}}}\n  \
         name: web\n  namespace: prod\n  ownerReferences: [{kind: ReplicaSet, name: web-1}]\n\
         spec:\n  containers:\n  - image: nginx\n    name: web\n    ports: [{containerPort: 80, name: http, protocol: TCP}]\n    \
         resources: {}\n  nodeName: n1\n\
         status:\n  conditions: [{type: Ready, status: 'True'}]\n  hostIP: 192.168.1.1\n  phase: Running\n  \
         podIP: 10.244.1.5\n  podIPs:\n  - ip: 10.244.1.5\n",
    )?;
    let pod = &loaded.cluster.pods[0];
    assert_eq!(pod.key(), "prod/web");
    assert_eq!(pod.named_port("http", Protocol::Tcp), Some(80));
    assert_eq!(pod.ips, [ip("10.244.1.5")]);
    Ok(())
}

#[test]
fn documentation_example_loads() -> Result<(), LoadError> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/test-network-policy.yaml");
    let loaded = load_files(&[path], LoadOptions::default())?;
    let cluster = &loaded.cluster;
    assert!(loaded.warnings.is_empty());
    assert_eq!(
        cluster.namespaces.keys().collect::<Vec<_>>(),
        ["default", "myproject", "other"]
    );
    assert_eq!(
        pod_names(&loaded),
        [
            "default/backend",
            "default/db",
            "default/frontend",
            "myproject/client",
            "other/client"
        ]
    );
    let policy = &cluster.policies[0];
    assert_eq!(policy.key(), "default/test-network-policy");
    assert!(policy.policy_types.ingress && policy.policy_types.egress);
    assert_eq!(policy.ingress[0].peers.as_ref().map(Vec::len), Some(3));
    let db = cluster.pods.iter().find(|p| p.name == "db");
    assert_eq!(
        db.and_then(|p| p.named_port("redis", Protocol::Tcp)),
        Some(6379)
    );
    Ok(())
}
