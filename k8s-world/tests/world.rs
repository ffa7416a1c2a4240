//! The world itself: the real StatefulSet controller makes pods, the real scheduler places them
//! by zone, kwok makes them Running and Ready, the stand-in EBS provisioner binds their claims in
//! the pod's zone and grows them; pods marked by image name fail as asked.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use firecamp_k8s_world::{FakeNode, set_nodes, shared};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

fn nodes() -> Vec<FakeNode> {
    ["us-east-1a", "us-east-1a", "us-east-1b"]
        .iter()
        .enumerate()
        .map(|(i, zone)| FakeNode {
            instance_id: format!("i-0world{i}"),
            zone: (*zone).to_owned(),
            ip: format!("10.0.{}.{}", 16 * (i + 1), 10 + i),
        })
        .collect()
}

async fn create<K>(api: &Api<K>, object: serde_json::Value) -> K
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let object: K = serde_json::from_value(object).expect("object");
    api.create(&PostParams::default(), &object)
        .await
        .expect("create")
}

async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {timeout:?}\n{}",
            shared().log_tails(15)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn statefulset(name: &str, zone: &str, image: &str, class: Option<&str>) -> serde_json::Value {
    let mut spec = json!({
        "serviceName": name,
        "replicas": 2,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "affinity": {
                    "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}},
                    "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                        {"labelSelector": {"matchLabels": {"app": name}}, "topologyKey": "kubernetes.io/hostname"}]}
                },
                "containers": [{"name": "main", "image": image,
                                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}}}]
            }
        }
    });
    if let Some(class) = class {
        spec["volumeClaimTemplates"] = json!([{
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class,
                     "resources": {"requests": {"storage": "10Gi"}}}
        }]);
    }
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec})
}

/// A client of the world, its nodes made, and `namespace` made with its default ServiceAccount.
async fn nodes_and_namespace(namespace: &str) -> kube::Client {
    let world = shared();
    let client = world.client().await.expect("client");
    set_nodes(&client, &nodes(), Duration::from_secs(60))
        .await
        .expect("nodes ready");
    create(
        &Api::<Namespace>::all(client.clone()),
        json!({"metadata": {"name": namespace}}),
    )
    .await;
    world
        .wait_for_service_account(&client, namespace, Duration::from_secs(30))
        .await
        .expect("service account");
    client
}

fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_members_are_scheduled_by_zone_run_and_get_volumes_in_their_zone() {
    let client = nodes_and_namespace("world-sts").await;
    create(
        &Api::<StorageClass>::all(client.clone()),
        json!({
            "metadata": {"name": "world-gp3"}, "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "gp3", "csi.storage.k8s.io/fstype": "xfs"},
            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": true
        }),
    )
    .await;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "world-sts");
    create(
        &sets,
        statefulset("db", "us-east-1a", "example/db:1", Some("world-gp3")),
    )
    .await;

    let pods: Api<Pod> = Api::namespaced(client.clone(), "world-sts");
    let placed: BTreeMap<String, String> = until(
        "both members Running and Ready",
        Duration::from_secs(90),
        || async {
            let list = pods
                .list(&ListParams::default().labels("app=db"))
                .await
                .ok()?;
            (list.items.len() == 2 && list.items.iter().all(ready)).then(|| {
                list.items
                    .iter()
                    .map(|p| {
                        (
                            p.metadata.name.clone().unwrap_or_default(),
                            p.spec
                                .as_ref()
                                .and_then(|s| s.node_name.clone())
                                .unwrap_or_default(),
                        )
                    })
                    .collect()
            })
        },
    )
    .await;
    let in_zone_a: Vec<String> = nodes()
        .iter()
        .filter(|n| n.zone == "us-east-1a")
        .map(FakeNode::name)
        .collect();
    assert!(placed.values().all(|n| in_zone_a.contains(n)), "{placed:?}");
    assert_ne!(
        placed["db-0"], placed["db-1"],
        "anti-affinity: one member per node"
    );

    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "world-sts");
    let claim = claims.get("data-db-0").await.expect("claim");
    assert_eq!(
        claim.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Bound")
    );
    let volume_name = claim
        .spec
        .as_ref()
        .and_then(|s| s.volume_name.clone())
        .expect("volume");
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let volume = volumes.get(&volume_name).await.expect("volume");
    let affinity =
        serde_json::to_value(&volume.spec.as_ref().expect("spec").node_affinity).expect("json");
    assert_eq!(
        affinity["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"],
        json!(["us-east-1a"])
    );

    // Expansion: the claim asks for more; the volume and the claim's status follow.
    claims
        .patch(
            "data-db-0",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"resources": {"requests": {"storage": "20Gi"}}}})),
        )
        .await
        .expect("grow");
    until(
        "the claim grown to 20Gi",
        Duration::from_secs(30),
        || async {
            let claim = claims.get("data-db-0").await.ok()?;
            let capacity = claim.status?.capacity?.get("storage")?.0.clone();
            (capacity == "20Gi").then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_marked_by_image_fail_as_asked_and_unplaceable_pods_stay_pending() {
    let client = nodes_and_namespace("world-fail").await;
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "world-fail");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "world-fail");
    for (name, image) in [
        ("pull", "example/does-not-exist:1"),
        ("crash", "example/crash-loop:1"),
        ("slow", "example/never-ready:1"),
    ] {
        create(&sets, statefulset(name, "us-east-1a", image, None)).await;
    }
    // Zone c has no node: the real scheduler leaves the member Pending.
    create(
        &sets,
        statefulset("nowhere", "us-east-1c", "example/db:1", None),
    )
    .await;

    let reason = |pod: &Pod| -> Option<String> {
        pod.status
            .as_ref()?
            .container_statuses
            .as_ref()?
            .first()?
            .state
            .as_ref()?
            .waiting
            .as_ref()?
            .reason
            .clone()
    };
    let pulled = until(
        "pull-0 in ImagePullBackOff",
        Duration::from_secs(60),
        || async {
            let pod = pods.get_opt("pull-0").await.ok()??;
            (reason(&pod).as_deref() == Some("ImagePullBackOff")).then_some(pod)
        },
    )
    .await;
    assert!(!ready(&pulled));
    let crashed = until(
        "crash-0 in CrashLoopBackOff",
        Duration::from_secs(60),
        || async {
            let pod = pods.get_opt("crash-0").await.ok()??;
            (reason(&pod).as_deref() == Some("CrashLoopBackOff")).then_some(pod)
        },
    )
    .await;
    assert_eq!(
        crashed.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Running")
    );
    until("slow-0 Running", Duration::from_secs(60), || async {
        let pod = pods.get_opt("slow-0").await.ok()??;
        (pod.status.as_ref()?.phase.as_deref() == Some("Running")).then_some(())
    })
    .await;
    // Give kwok time to (wrongly) make them Ready, then check they stayed as asked.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for name in ["pull-0", "crash-0", "slow-0"] {
        let pod = pods.get(name).await.expect("pod");
        assert!(!ready(&pod), "{name} must not be Ready");
    }
    // A StatefulSet waits for member 0 before it makes member 1.
    assert!(pods.get_opt("pull-1").await.expect("get").is_none());
    let nowhere = pods.get("nowhere-0").await.expect("pod");
    let status = nowhere.status.expect("status");
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    let scheduled = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "PodScheduled")
        .expect("the scheduler said why");
    assert_eq!(scheduled.status, "False");
    assert_eq!(scheduled.reason.as_deref(), Some("Unschedulable"));
}
