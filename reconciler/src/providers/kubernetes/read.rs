//! The bulk read: one paginated list per managed kind, selected by firecamp's labels, plus the
//! members' pods, the nodes and the owner id (one GET). Never one GET per object.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{Namespace, Node as KubeNode, Pod};
use kube::api::{Api, DynamicObject, ListParams, ObjectList};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;

use firecamp_catalog::{labels, static_ip_config_map_name};

use super::KubeError;
use super::kinds::managed_kinds;
use crate::live::{LiveObject, LiveState, MemberPlacement, Node, StaticIp};
use crate::plan::static_ips::usable_range;

/// Objects per list page.
pub const PAGE_SIZE: u32 = 500;

/// Reads what firecamp owns in `cluster`, where the members run, and the nodes. AWS facts (the
/// nodes' ENIs, the subnets) are left for the AWS providers; static IPs get their subnet from
/// [`resolve_static_ip_subnets`] once the subnets are known.
///
/// # Errors
/// The first failed list.
pub async fn read_live(client: &Client, cluster: &str) -> Result<LiveState, KubeError> {
    let selector = firecamp_selector(cluster);
    let mut objects = Vec::new();
    for kind in managed_kinds() {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &kind.resource);
        for item in list_all(&api, &selector, &kind.resource.plural).await? {
            objects.push(LiveObject::new(served_object(item, &kind.resource)));
        }
    }
    objects.sort_by(|a, b| a.key().cmp(&b.key()));
    let pods: Api<Pod> = Api::all(client.clone());
    let mut members: Vec<MemberPlacement> = list_all(&pods, &selector, "pods")
        .await?
        .iter()
        .filter_map(placement)
        .collect();
    members.sort_by(|a, b| a.member.cmp(&b.member));
    let nodes: Api<KubeNode> = Api::all(client.clone());
    let mut nodes: Vec<Node> = list_all(&nodes, "", "nodes")
        .await?
        .iter()
        .filter_map(node)
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let static_ips = static_ips(&objects);
    Ok(LiveState {
        objects,
        members,
        nodes,
        static_ips,
        owner: read_owner(client).await?,
        ..LiveState::default()
    })
}

/// The owner id of what firecamp makes outside Kubernetes (DNS ownership records): the UID of
/// the cluster's `kube-system` namespace, which two Kubernetes clusters never share, even when
/// their Cluster documents have the same name.
///
/// # Errors
/// A failed get.
pub async fn read_owner(client: &Client) -> Result<Option<String>, KubeError> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = namespaces.get(OWNER_NAMESPACE).await.map_err(|e| {
        KubeError::request(
            "get",
            format!("Namespace {OWNER_NAMESPACE}"),
            "namespaces",
            e,
        )
    })?;
    Ok(namespace.metadata.uid)
}

/// The namespace whose UID is the owner id.
const OWNER_NAMESPACE: &str = "kube-system";

/// The label selector of what firecamp owns in `cluster` (its objects and its members' pods).
pub(super) fn firecamp_selector(cluster: &str) -> String {
    format!(
        "{}={},{}={cluster}",
        labels::MANAGED_BY,
        labels::FIRECAMP,
        labels::CLUSTER
    )
}

/// Every object of a list, page by page.
async fn list_all<K>(api: &Api<K>, selector: &str, plural: &str) -> Result<Vec<K>, KubeError>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut params = ListParams::default().limit(PAGE_SIZE);
    if !selector.is_empty() {
        params = params.labels(selector);
    }
    let mut items = Vec::new();
    loop {
        let page: ObjectList<K> = api
            .list(&params)
            .await
            .map_err(|e| KubeError::request("list", plural.to_owned(), plural, e))?;
        items.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(items),
        }
    }
}

/// An object as the live model keeps it: with its kind and apiVersion (list items may omit them),
/// without managed fields (bookkeeping of the API server, never compared).
pub(super) fn served_object(item: DynamicObject, resource: &kube::core::ApiResource) -> Value {
    let mut value = serde_json::to_value(&item).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "apiVersion".to_owned(),
            Value::String(resource.api_version.clone()),
        );
        object.insert("kind".to_owned(), Value::String(resource.kind.clone()));
        if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
            metadata.remove("managedFields");
        }
    }
    value
}

/// Where a member's pod runs, whether it is ready and which template it was made from.
pub(super) fn placement(pod: &Pod) -> Option<MemberPlacement> {
    let member = pod.metadata.name.clone()?;
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    Some(MemberPlacement {
        member,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        ready,
        config_hash: pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(labels::CONFIG_HASH).cloned()),
    })
}

/// A node with its zone, internal IP and EC2 instance id (`aws:///<zone>/<instance>`); nodes
/// missing any of them cannot hold members' addresses and are left out.
pub(super) fn node(node: &KubeNode) -> Option<Node> {
    let name = node.metadata.name.clone()?;
    let zone = node
        .metadata
        .labels
        .as_ref()?
        .get("topology.kubernetes.io/zone")?
        .clone();
    let host_ip = node
        .status
        .as_ref()?
        .addresses
        .as_ref()?
        .iter()
        .find(|a| a.type_ == "InternalIP")
        .and_then(|a| a.address.parse::<Ipv4Addr>().ok())?;
    let instance_id = node
        .spec
        .as_ref()?
        .provider_id
        .as_deref()?
        .rsplit('/')
        .next()
        .filter(|id| id.starts_with("i-"))?
        .to_owned();
    Some(Node {
        name,
        zone,
        host_ip,
        instance_id,
        eni: None,
    })
}

/// The recorded static IPs: every `<service>-static-ips` ConfigMap's member → address entries.
pub(super) fn static_ips(objects: &[LiveObject]) -> BTreeMap<String, StaticIp> {
    let mut recorded = BTreeMap::new();
    for object in objects.iter().filter(|o| o.key().0 == "ConfigMap") {
        let Some(service) = object.service() else {
            continue;
        };
        if object.key().2 != static_ip_config_map_name(service) {
            continue;
        }
        for (member, ip) in object["data"].as_object().into_iter().flatten() {
            if let Some(ip) = ip.as_str().and_then(|ip| ip.parse().ok()) {
                recorded.insert(
                    member.clone(),
                    StaticIp {
                        ip,
                        service: service.to_owned(),
                        subnet_id: String::new(),
                    },
                );
            }
        }
    }
    recorded
}

/// Fills in the subnet of each recorded static IP: the subnet whose CIDR holds it.
pub fn resolve_static_ip_subnets(live: &mut LiveState) {
    for recorded in live.static_ips.values_mut() {
        let address = u32::from(recorded.ip);
        if let Some(subnet) = live.subnets.iter().find(|s| {
            usable_range(&s.cidr).is_some_and(|(first, last)| (first..=last).contains(&address))
        }) {
            recorded.subnet_id.clone_from(&subnet.id);
        }
    }
}
