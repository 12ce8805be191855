//! Dress generated objects as `kubectl get -o json|yaml` prints them: uids, timestamps,
//! `managedFields`, `ownerReferences`, full container specs and statuses. These are the bytes a
//! real dump is made of, and the loader must skip them fast.

use serde_json::{Value, json};

use crate::rng::Rng;

const NODES: usize = 40;
const TIME: &str = "2024-05-01T10:05:00Z";

fn uid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        b >> 52,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// Adds what the API server and kubectl add to every object's metadata.
fn dress_metadata(rng: &mut Rng, object: &mut Value, index: usize) {
    let metadata = &mut object["metadata"];
    metadata["uid"] = json!(uid(rng));
    metadata["resourceVersion"] = json!(format!("{}", 100_000 + index));
    metadata["creationTimestamp"] = json!(TIME);
}

/// A Pod as the API server stores it once scheduled and running.
pub(crate) fn dress_pod(rng: &mut Rng, pod: &mut Value, index: usize) {
    dress_metadata(rng, pod, index);
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or("pod")
        .to_string();
    let owner = name
        .rsplit_once('-')
        .map_or(name.as_str(), |(owner, _)| owner)
        .to_string();
    let container = pod["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or("app")
        .to_string();
    let node = format!("worker-{}", rng.below(NODES));
    let metadata = &mut pod["metadata"];
    metadata["generateName"] = json!(format!("{owner}-"));
    metadata["labels"]["pod-template-hash"] = json!(format!("{:x}", rng.next_u64() >> 28));
    metadata["annotations"] = json!({
        "kubectl.kubernetes.io/restartedAt": TIME,
        "prometheus.io/scrape": "true",
    });
    metadata["ownerReferences"] = json!([{
        "apiVersion": "apps/v1",
        "blockOwnerDeletion": true,
        "controller": true,
        "kind": "ReplicaSet",
        "name": owner,
        "uid": uid(rng),
    }]);
    metadata["managedFields"] = json!([
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:annotations": {".": {}, "f:kubectl.kubernetes.io/restartedAt": {}},
                    "f:generateName": {},
                    "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}, "f:tier": {}, "f:version": {}},
                    "f:ownerReferences": {".": {}, format!("k:{{\"uid\":\"{}\"}}", uid(rng)): {}},
                },
                "f:spec": {
                    "f:containers": {
                        format!("k:{{\"name\":\"{container}\"}}"): {
                            ".": {}, "f:env": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                            "f:ports": {".": {}}, "f:resources": {".": {}, "f:limits": {}, "f:requests": {}},
                            "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {},
                            "f:volumeMounts": {},
                        },
                    },
                    "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {},
                    "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {},
                },
            },
            "manager": "kube-controller-manager",
            "operation": "Update",
            "time": TIME,
        },
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:status": {
                "f:conditions": {
                    "k:{\"type\":\"ContainersReady\"}": {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}},
                    "k:{\"type\":\"Initialized\"}": {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}},
                    "k:{\"type\":\"Ready\"}": {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}},
                },
                "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {},
                "f:podIP": {}, "f:podIPs": {}, "f:startTime": {},
            }},
            "manager": "kubelet",
            "operation": "Update",
            "subresource": "status",
            "time": TIME,
        },
    ]);
    let spec = &mut pod["spec"];
    let c = &mut spec["containers"][0];
    c["image"] = json!(format!(
        "registry.example.com/{container}:1.{}.{}",
        rng.below(30),
        rng.below(10)
    ));
    c["imagePullPolicy"] = json!("IfNotPresent");
    c["env"] = json!([
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
    ]);
    c["resources"] = json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}});
    c["terminationMessagePath"] = json!("/dev/termination-log");
    c["terminationMessagePolicy"] = json!("File");
    c["volumeMounts"] = json!([{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access", "readOnly": true}]);
    spec["dnsPolicy"] = json!("ClusterFirst");
    spec["enableServiceLinks"] = json!(true);
    spec["nodeName"] = json!(node);
    spec["preemptionPolicy"] = json!("PreemptLowerPriority");
    spec["priority"] = json!(0);
    spec["restartPolicy"] = json!("Always");
    spec["schedulerName"] = json!("default-scheduler");
    spec["securityContext"] = json!({});
    spec["serviceAccount"] = json!("default");
    spec["serviceAccountName"] = json!("default");
    spec["terminationGracePeriodSeconds"] = json!(30);
    spec["tolerations"] = json!([
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
    ]);
    spec["volumes"] = json!([{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
    ]}}]);
    let host_ip = format!("192.168.{}.{}", rng.below(4), 10 + rng.below(NODES));
    let status = &mut pod["status"];
    status["conditions"] = json!([
        {"lastProbeTime": null, "lastTransitionTime": TIME, "status": "True", "type": "Initialized"},
        {"lastProbeTime": null, "lastTransitionTime": TIME, "status": "True", "type": "Ready"},
        {"lastProbeTime": null, "lastTransitionTime": TIME, "status": "True", "type": "ContainersReady"},
        {"lastProbeTime": null, "lastTransitionTime": TIME, "status": "True", "type": "PodScheduled"},
    ]);
    status["containerStatuses"] = json!([{
        "containerID": format!("containerd://{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
        "image": format!("registry.example.com/{container}:1.0.0"),
        "imageID": format!("registry.example.com/{container}@sha256:{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
        "lastState": {},
        "name": container,
        "ready": true,
        "restartCount": rng.below(3),
        "started": true,
        "state": {"running": {"startedAt": TIME}},
    }]);
    status["hostIP"] = json!(host_ip);
    status["hostIPs"] = json!([{"ip": host_ip}]);
    status["qosClass"] = json!("Burstable");
    status["startTime"] = json!(TIME);
}

/// A Namespace or NetworkPolicy as the API server stores it.
pub(crate) fn dress_other(rng: &mut Rng, object: &mut Value, index: usize) {
    dress_metadata(rng, object, index);
    let manager = if object["kind"] == "Namespace" {
        object["spec"] = json!({"finalizers": ["kubernetes"]});
        object["status"] = json!({"phase": "Active"});
        "kubectl-create"
    } else {
        object["metadata"]["generation"] = json!(1);
        "kubectl-client-side-apply"
    };
    object["metadata"]["managedFields"] = json!([{
        "apiVersion": object["apiVersion"].clone(),
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:spec": {}},
        "manager": manager,
        "operation": "Update",
        "time": TIME,
    }]);
}
