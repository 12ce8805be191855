//! Serde input types mirroring the Kubernetes JSON, before validation.
//!
//! Only the fields network policy needs are read; every other field (`managedFields`,
//! `annotations`, most of `status`...) is skipped by serde without being stored. Scalars whose
//! type users get wrong (`port`, `protocol`, `cidr`...) are read as [`Scalar`], so that a wrong
//! type becomes a validation error with a field path instead of a bare parser error.
//!
//! An object's `spec` and `status` are read according to its `kind`. kubectl prints `apiVersion`
//! and `kind` before `spec` (JSON field order, and YAML's sorted keys), so they are usually
//! known in time and `spec` is read straight into the right type; when `spec` comes first it
//! is buffered as a generic value and converted once the kind is known.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::raw_tiers::RawTierSpec;

/// A scalar field read without insisting on its type, so validation can name the field when
/// the type is wrong.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    /// An integer.
    Int(i128),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A non-integer number.
    Float(f64),
    /// A list (its contents skipped).
    List,
    /// A mapping (its contents skipped).
    Map,
    /// `null` (or an empty YAML value) where a value was given, e.g. a label's value: Go
    /// would read it as `""`, the API server's validation never sees it, and a user who
    /// wrote it most likely lost a value, so it is an error with a field path.
    Null,
}

impl Scalar {
    /// Bytes of text the value holds (a string's length; other values are short).
    pub(crate) fn text_len(&self) -> usize {
        match self {
            Scalar::Str(s) => s.len(),
            _ => 0,
        }
    }

    /// What the value is, for messages: `a list`, `` `abc` ``.
    pub(crate) fn describe(&self) -> String {
        match self {
            Scalar::Int(n) => format!("`{n}`"),
            Scalar::Str(s) => format!("`{s}`"),
            Scalar::Bool(b) => format!("`{b}`"),
            Scalar::Float(x) => format!("`{x}`"),
            Scalar::List => "a list".to_string(),
            Scalar::Map => "a mapping".to_string(),
            Scalar::Null => "null".to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(i128::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Int(i128::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Scalar, E> {
        Ok(i128::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::List)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Map)
    }
}

/// Labels or `matchLabels` as written: values read as [`Scalar`]s, so that an integer
/// (`tier: 1`) or a null is one validation error with a field path, whichever order the
/// object's fields come in and whether the input is YAML or JSON (a YAML parser would read
/// `1` as the string `"1"` when it knows a string is wanted, but not when the spec is
/// buffered first; the API server rejects the number either way).
pub(crate) type RawLabels = BTreeMap<String, Scalar>;

/// `metadata`, the parts network policy reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Option<RawLabels>,
}

/// A Pod's `spec`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPodSpec {
    pub containers: Option<Vec<RawContainer>>,
    pub host_network: Option<Scalar>,
    pub node_name: Option<String>,
}

/// `spec.containers[*]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawContainer {
    pub ports: Option<Vec<RawContainerPort>>,
}

/// `spec.containers[*].ports[*]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawContainerPort {
    pub name: Option<String>,
    pub container_port: Option<Scalar>,
    pub protocol: Option<Scalar>,
}

/// A Pod's `status`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPodStatus {
    pub phase: Option<String>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(rename = "podIPs")]
    pub pod_ips: Option<Vec<RawPodIp>>,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    #[serde(rename = "hostIPs")]
    pub host_ips: Option<Vec<RawPodIp>>,
}

/// A Node's `status`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawNodeStatus {
    pub addresses: Option<Vec<RawNodeAddress>>,
}

/// `status.addresses[*]` of a Node.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawNodeAddress {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub address: Option<String>,
}

/// `status.podIPs[*]`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawPodIp {
    pub ip: Option<String>,
}

/// A NetworkPolicy's `spec`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPolicySpec {
    pub pod_selector: Option<RawSelector>,
    pub policy_types: Option<Vec<Scalar>>,
    pub ingress: Option<Vec<RawRule>>,
    pub egress: Option<Vec<RawRule>>,
}

/// `spec.ingress[*]` (`from`) or `spec.egress[*]` (`to`).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawRule {
    pub from: Option<Vec<RawPeer>>,
    pub to: Option<Vec<RawPeer>>,
    pub ports: Option<Vec<RawPort>>,
}

/// One entry of `from`/`to`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPeer {
    pub pod_selector: Option<RawSelector>,
    pub namespace_selector: Option<RawSelector>,
    pub ip_block: Option<RawIpBlock>,
}

/// `ipBlock`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawIpBlock {
    pub cidr: Option<Scalar>,
    pub except: Option<Vec<Scalar>>,
}

/// One entry of `ports`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPort {
    pub protocol: Option<Scalar>,
    pub port: Option<Scalar>,
    pub end_port: Option<Scalar>,
}

/// A `metav1.LabelSelector`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawSelector {
    pub match_labels: Option<RawLabels>,
    pub match_expressions: Option<Vec<RawRequirement>>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawRequirement {
    pub key: Option<String>,
    pub operator: Option<Scalar>,
    pub values: Option<Vec<Scalar>>,
}

/// The kinds read for their content; everything else is only counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    /// `v1` Namespace.
    Namespace,
    /// `v1` Pod.
    Pod,
    /// `networking.k8s.io/v1` NetworkPolicy.
    NetworkPolicy,
    /// `v1` Node.
    Node,
    /// `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy.
    ClusterNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy.
    BaselineAdminNetworkPolicy,
}

impl Known {
    /// The `apiVersion` read for this kind.
    pub(crate) fn api_version(self) -> &'static str {
        match self {
            Known::Namespace | Known::Pod | Known::Node => "v1",
            Known::NetworkPolicy => "networking.k8s.io/v1",
            Known::ClusterNetworkPolicy => "policy.networking.k8s.io/v1alpha2",
            Known::AdminNetworkPolicy | Known::BaselineAdminNetworkPolicy => {
                "policy.networking.k8s.io/v1alpha1"
            }
        }
    }

    /// The kind's name.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Known::Namespace => "Namespace",
            Known::Pod => "Pod",
            Known::NetworkPolicy => "NetworkPolicy",
            Known::Node => "Node",
            Known::ClusterNetworkPolicy => "ClusterNetworkPolicy",
            Known::AdminNetworkPolicy => "AdminNetworkPolicy",
            Known::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        }
    }

    /// Whether `api_version` is another version of this very kind (the Kubernetes API group
    /// that serves it), rather than another project's kind of the same name: NetworkPolicy
    /// was served as `extensions/v1beta1` before `networking.k8s.io/v1`, while Calico's
    /// `projectcalico.org/v3` NetworkPolicy is a different resource. Pods and Namespaces are
    /// in the core group, whose versions have no `/`.
    pub(crate) fn same_resource(self, api_version: &str) -> bool {
        match self {
            Known::Namespace | Known::Pod | Known::Node => !api_version.contains('/'),
            Known::NetworkPolicy => ["networking.k8s.io/", "extensions/"]
                .iter()
                .any(|group| api_version.starts_with(group)),
            // Other versions of the network-policy-api (v1beta1 ...) change the schema.
            Known::ClusterNetworkPolicy
            | Known::AdminNetworkPolicy
            | Known::BaselineAdminNetworkPolicy => {
                api_version.starts_with("policy.networking.k8s.io/")
            }
        }
    }

    /// The known kind for `kind` and `apiVersion` (absent `apiVersion` accepted, as hand-written
    /// test files often leave it out).
    pub(crate) fn of(kind: &str, api_version: Option<&str>) -> Option<Known> {
        let known = match kind {
            "Namespace" => Known::Namespace,
            "Pod" => Known::Pod,
            "NetworkPolicy" => Known::NetworkPolicy,
            "Node" => Known::Node,
            "ClusterNetworkPolicy" => Known::ClusterNetworkPolicy,
            "AdminNetworkPolicy" => Known::AdminNetworkPolicy,
            "BaselineAdminNetworkPolicy" => Known::BaselineAdminNetworkPolicy,
            _ => return None,
        };
        match api_version {
            Some(v) if v != known.api_version() => None,
            _ => Some(known),
        }
    }
}

/// An object's `spec` and `status`, read by kind.
#[derive(Clone, Debug, Default)]
pub(crate) enum Body {
    /// A Pod's.
    Pod {
        spec: RawPodSpec,
        status: RawPodStatus,
    },
    /// A NetworkPolicy's.
    NetworkPolicy { spec: RawPolicySpec },
    /// A Node's.
    Node { status: RawNodeStatus },
    /// A ClusterNetworkPolicy's, AdminNetworkPolicy's or BaselineAdminNetworkPolicy's.
    Tier { spec: RawTierSpec },
    /// Nothing read (Namespace, or a kind not read).
    #[default]
    Nothing,
}

/// One entry of a List's `items`, or of a top-level JSON array.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// A mapping.
    Object(Box<RawObject>),
    /// Anything else, which no List should hold.
    NotObject,
}

/// One Kubernetes object, or a List of them.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawObject {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: RawMeta,
    pub body: Body,
    /// `items`, when it is a list.
    pub items: Option<Vec<Item>>,
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawObject, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Field {
    ApiVersion,
    Kind,
    Metadata,
    Spec,
    Status,
    Items,
    #[serde(other)]
    Other,
}

/// Reads a field's value as `T` when its kind is known, or buffers it when it is not yet.
enum Part<T> {
    Absent,
    Read(T),
    Buffered(serde_json::Value),
}

impl<T: de::DeserializeOwned> Part<T> {
    /// A field read directly; `null` counts as absent, as in Go.
    fn read(value: Option<T>) -> Part<T> {
        value.map_or(Part::Absent, Part::Read)
    }

    fn resolve<E: de::Error>(self) -> Result<T, E>
    where
        T: Default,
    {
        match self {
            Part::Absent => Ok(T::default()),
            Part::Read(value) => Ok(value),
            Part::Buffered(serde_json::Value::Null) => Ok(T::default()),
            Part::Buffered(value) => T::deserialize(value).map_err(E::custom),
        }
    }
}

struct ObjectVisitor;

/// What `spec`/`status` should be read as, given what is known of the object so far.
enum Reading {
    Pod,
    NetworkPolicy,
    Node,
    Tier,
    Skip,
    Buffer,
}

fn reading(kind: Option<&str>, api_version: Option<&str>) -> Reading {
    let Some(kind) = kind else {
        return Reading::Buffer;
    };
    // With `apiVersion` not seen yet, the kind is read as the known one; should `apiVersion`
    // turn out to be another, the object is skipped and what was read dropped.
    match Known::of(
        kind,
        api_version.or_else(|| Known::of(kind, None).map(Known::api_version)),
    ) {
        Some(Known::Pod) => Reading::Pod,
        Some(Known::NetworkPolicy) => Reading::NetworkPolicy,
        Some(Known::Node) => Reading::Node,
        Some(
            Known::ClusterNetworkPolicy
            | Known::AdminNetworkPolicy
            | Known::BaselineAdminNetworkPolicy,
        ) => Reading::Tier,
        Some(Known::Namespace) | None => Reading::Skip,
    }
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = RawObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object (a mapping with `kind`)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
        let mut object = RawObject::default();
        let mut pod_spec: Part<RawPodSpec> = Part::Absent;
        let mut pod_status: Part<RawPodStatus> = Part::Absent;
        let mut policy_spec: Part<RawPolicySpec> = Part::Absent;
        let mut node_status: Part<RawNodeStatus> = Part::Absent;
        let mut tier_spec: Part<RawTierSpec> = Part::Absent;
        let mut buffered_spec = None;
        let mut buffered_status = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::ApiVersion => object.api_version = map.next_value()?,
                Field::Kind => object.kind = map.next_value()?,
                Field::Metadata => {
                    object.metadata = map.next_value::<Option<RawMeta>>()?.unwrap_or_default()
                }
                Field::Spec => match reading(object.kind.as_deref(), object.api_version.as_deref())
                {
                    Reading::Pod => pod_spec = Part::read(map.next_value()?),
                    Reading::NetworkPolicy => policy_spec = Part::read(map.next_value()?),
                    Reading::Tier => tier_spec = Part::read(map.next_value()?),
                    Reading::Node | Reading::Skip => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    Reading::Buffer => buffered_spec = Some(map.next_value()?),
                },
                Field::Status => {
                    match reading(object.kind.as_deref(), object.api_version.as_deref()) {
                        Reading::Pod => pod_status = Part::read(map.next_value()?),
                        Reading::Node => node_status = Part::read(map.next_value()?),
                        Reading::Buffer => buffered_status = Some(map.next_value()?),
                        Reading::NetworkPolicy | Reading::Tier | Reading::Skip => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Field::Items => {
                    // kubectl prints `items` before `kind`, so a List's items are read before
                    // the List is known to be one; a non-list `items` is skipped.
                    object.items = map.next_value::<ItemsField>()?.0;
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = object.kind.as_deref().unwrap_or("");
        match Known::of(kind, object.api_version.as_deref()) {
            Some(Known::Pod) => {
                if let Some(value) = buffered_spec {
                    pod_spec = Part::Buffered(value);
                }
                if let Some(value) = buffered_status {
                    pod_status = Part::Buffered(value);
                }
                object.body = Body::Pod {
                    spec: pod_spec.resolve()?,
                    status: pod_status.resolve()?,
                };
            }
            Some(Known::NetworkPolicy) => {
                if let Some(value) = buffered_spec {
                    policy_spec = Part::Buffered(value);
                }
                object.body = Body::NetworkPolicy {
                    spec: policy_spec.resolve()?,
                };
            }
            Some(Known::Node) => {
                if let Some(value) = buffered_status {
                    node_status = Part::Buffered(value);
                }
                object.body = Body::Node {
                    status: node_status.resolve()?,
                };
            }
            Some(
                Known::ClusterNetworkPolicy
                | Known::AdminNetworkPolicy
                | Known::BaselineAdminNetworkPolicy,
            ) => {
                if let Some(value) = buffered_spec {
                    tier_spec = Part::Buffered(value);
                }
                object.body = Body::Tier {
                    spec: tier_spec.resolve()?,
                };
            }
            Some(Known::Namespace) | None => {}
        }
        Ok(object)
    }
}

/// `items` when it is a list of objects; `None` when it is anything else.
struct ItemsField(Option<Vec<Item>>);

impl<'de> Deserialize<'de> for ItemsField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ItemsField, D::Error> {
        deserializer.deserialize_any(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = ItemsField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ItemsField, A::Error> {
        ItemSeq.visit_seq(seq).map(|items| ItemsField(Some(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemsField, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ItemsField(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<ItemsField, E> {
        Ok(ItemsField(None))
    }
}

/// Reads a sequence of [`Item`]s.
struct ItemSeq;

impl<'de> Visitor<'de> for ItemSeq {
    type Value = Vec<Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Item>, A::Error> {
        // No `size_hint` preallocation: a hostile hint must not reserve memory.
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            items.push(item);
        }
        Ok(items)
    }
}

struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        deserializer.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
        ObjectVisitor
            .visit_map(map)
            .map(|o| Item::Object(Box::new(o)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Item::NotObject)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
    fn visit_none<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
}

/// A whole document: one object, or (JSON) an array of objects.
pub(crate) struct Document(pub Vec<Item>);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Document, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object or a list of objects")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Document, A::Error> {
        ObjectVisitor
            .visit_map(map)
            .map(|object| Document(vec![Item::Object(Box::new(object))]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Document, A::Error> {
        ItemSeq.visit_seq(seq).map(Document)
    }
}
