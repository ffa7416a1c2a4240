//! A cluster for the Kubernetes provider tests: kube-fake-client's in-memory API server, nodes
//! made from the moto network's instances, and a stand-in for what does not run there: the
//! StatefulSet controller (pods and volume claims), the kubelets (readiness, image pulls) and the
//! Job controller (completion). Every request firecamp makes is counted by verb; errors can be
//! queued for its next writes.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube_fake_client::{ClientBuilder, Error as FakeError, interceptor};
use serde_json::json;

use firecamp_aws::testing::TestNetwork;
use firecamp_catalog::labels;

/// Image names containing this never pull.
pub const BROKEN_IMAGE: &str = "does-not-exist";

/// Requests by verb, and errors queued for firecamp's next writes.
#[derive(Debug, Default)]
pub struct Requests {
    /// Server-side applies and patches by the field manager `firecamp`.
    pub patches: AtomicUsize,
    /// Deletes (firecamp is the only one that deletes).
    pub deletes: AtomicUsize,
    /// Lists.
    pub lists: AtomicUsize,
    /// Single-object reads.
    pub gets: AtomicUsize,
    /// For firecamp's next patches, in order: an error to return instead, or none to carry it out.
    pub failures: Mutex<VecDeque<Option<FakeError>>>,
    /// Every `(verb, API group, resource)` firecamp asked for.
    pub calls: Mutex<std::collections::BTreeSet<(String, String, String)>>,
}

impl Requests {
    /// Firecamp's writes so far.
    pub fn writes(&self) -> usize {
        self.patches.load(Ordering::SeqCst) + self.deletes.load(Ordering::SeqCst)
    }
}

/// The fake cluster and its stand-in controllers.
pub struct FakeCluster {
    /// A client of the fake API server.
    pub client: kube::Client,
    /// What firecamp asked of it.
    pub requests: Arc<Requests>,
    paused: Arc<std::sync::atomic::AtomicBool>,
    /// Held by the stand-in controllers while they work.
    gate: Arc<tokio::sync::Mutex<()>>,
    controllers: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        self.controllers.abort();
    }
}

impl FakeCluster {
    /// A cluster whose nodes are the network's instances; the stand-in controllers run every 10 ms.
    pub async fn start(network: &TestNetwork) -> Self {
        let requests = Arc::new(Requests::default());
        let counted = |requests: &Arc<Requests>| Arc::clone(requests);
        let (on_patch, on_delete, on_list, on_get) = (
            counted(&requests),
            counted(&requests),
            counted(&requests),
            counted(&requests),
        );
        let funcs = interceptor::Funcs::new()
            .patch(move |ctx| {
                if ctx.params.field_manager.as_deref() == Some("firecamp") {
                    on_patch.patches.fetch_add(1, Ordering::SeqCst);
                    if let Some(Some(error)) = on_patch.failures.lock().expect("lock").pop_front() {
                        return Err(error);
                    }
                }
                Ok(None)
            })
            .delete(move |_| {
                on_delete.deletes.fetch_add(1, Ordering::SeqCst);
                Ok(None)
            })
            .list(move |_| {
                on_list.lists.fetch_add(1, Ordering::SeqCst);
                Ok(None)
            })
            .get(move |_| {
                on_get.gets.fetch_add(1, Ordering::SeqCst);
                Ok(None)
            });
        let nodes: Vec<Node> = network
            .nodes
            .iter()
            .map(|n| {
                serde_json::from_value(json!({
                    "metadata": {"name": format!("node-{}", n.instance_id),
                                 "labels": {"topology.kubernetes.io/zone": n.zone}},
                    "spec": {"providerID": format!("aws:///{}/{}", n.zone, n.instance_id)},
                    "status": {"addresses": [{"type": "InternalIP", "address": n.ip}]}
                }))
                .expect("node")
            })
            .collect();
        let fake = ClientBuilder::new()
            .with_objects(nodes)
            .with_status_subresource::<StatefulSet>()
            .with_status_subresource::<Job>()
            .with_interceptor_funcs(funcs)
            .build()
            .await
            .expect("fake client");
        // The stand-in controllers talk to the fake directly: only firecamp's requests are
        // recorded as calls.
        let background = fake.clone();
        let writes = Arc::new(tokio::sync::Mutex::new(()));
        let client =
            super::namespaces::with_namespaces(fake, Arc::clone(&requests), Arc::clone(&writes));
        let gate = Arc::new(tokio::sync::Mutex::new(()));
        let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pause = Arc::clone(&paused);
        let working = Arc::clone(&gate);
        let controllers = tokio::spawn(async move {
            loop {
                {
                    let _working = working.lock().await;
                    if !pause.load(Ordering::SeqCst)
                        && let Err(error) = settle(&background, &writes).await
                    {
                        eprintln!("stand-in controllers: {error}");
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        Self {
            client,
            requests,
            paused,
            gate,
            controllers,
        }
    }

    /// Pauses (true) or resumes the stand-in controllers, e.g. to count only firecamp's requests.
    pub async fn pause_controllers(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        drop(self.gate.lock().await);
    }

    /// Sets every request counter back to zero.
    pub fn reset_counts(&self) {
        for counter in [
            &self.requests.patches,
            &self.requests.deletes,
            &self.requests.lists,
            &self.requests.gets,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }
}

/// One pass of the stand-in controllers. A StatefulSet that cannot be handled (say, deleted since
/// the list) does not hold back the others; the first such error is returned after the pass.
/// Status writes hold `writes`, as firecamp's writes do (see `namespaces::with_namespaces`).
async fn settle(client: &kube::Client, writes: &tokio::sync::Mutex<()>) -> kube::Result<()> {
    let nodes: Vec<Node> = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await?
        .items;
    let statefulsets: Api<StatefulSet> = Api::all(client.clone());
    let mut failed = None;
    for statefulset in statefulsets.list(&ListParams::default()).await?.items {
        if let Err(error) = run_statefulset(client, &statefulset, &nodes, writes).await {
            failed.get_or_insert(error);
        }
    }
    let jobs: Api<Job> = Api::all(client.clone());
    for job in jobs.list(&ListParams::default()).await?.items {
        if job
            .status
            .as_ref()
            .is_some_and(|s| s.succeeded.is_some() || s.failed.is_some())
        {
            continue;
        }
        let broken = serde_json::to_string(&job.spec)
            .unwrap_or_default()
            .contains(BROKEN_IMAGE);
        let status = if broken {
            json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]})
        } else {
            json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})
        };
        let namespace = job.metadata.namespace.clone().unwrap_or_default();
        let _alone = writes.lock().await;
        Api::<Job>::namespaced(client.clone(), &namespace)
            .patch_status(
                job.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::Merge(json!({"status": status})),
            )
            .await?;
    }
    failed.map_or(Ok(()), Err)
}

/// Pods and volume claims for every ordinal, on a node of the StatefulSet's zone; its status.
async fn run_statefulset(
    client: &kube::Client,
    statefulset: &StatefulSet,
    nodes: &[Node],
    writes: &tokio::sync::Mutex<()>,
) -> kube::Result<()> {
    let name = statefulset.metadata.name.clone().unwrap_or_default();
    let namespace = statefulset.metadata.namespace.clone().unwrap_or_default();
    let Some(spec) = &statefulset.spec else {
        return Ok(());
    };
    let zone = statefulset
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::ZONE))
        .cloned()
        .unwrap_or_default();
    let zone_nodes: Vec<&Node> = nodes
        .iter()
        .filter(|n| {
            n.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("topology.kubernetes.io/zone"))
                == Some(&zone)
        })
        .collect();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
    let replicas = spec.replicas.unwrap_or(1);
    let mut ready = 0;
    for ordinal in 0..replicas {
        let member = format!("{name}-{ordinal}");
        for template in spec.volume_claim_templates.iter().flatten() {
            let claim = format!(
                "{}-{member}",
                template.metadata.name.as_deref().unwrap_or_default()
            );
            if claims.get_opt(&claim).await?.is_none() {
                let mut pvc = PersistentVolumeClaim {
                    metadata: template.metadata.clone(),
                    spec: template.spec.clone(),
                    ..PersistentVolumeClaim::default()
                };
                pvc.metadata.name = Some(claim);
                pvc.metadata.namespace = Some(namespace.clone());
                claims.create(&PostParams::default(), &pvc).await?;
            }
        }
        let pod = match pods.get_opt(&member).await? {
            Some(pod) => pod,
            None => {
                let node = zone_nodes
                    .get(usize::try_from(ordinal).unwrap_or(0) % zone_nodes.len().max(1))
                    .and_then(|n| n.metadata.name.clone());
                pods.create(&PostParams::default(), &new_pod(statefulset, &member, node))
                    .await?
            }
        };
        if pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        {
            ready += 1;
        }
    }
    // Like the real controller's status update, the write carries the resourceVersion it read:
    // a StatefulSet replaced meanwhile never gets the old one's observedGeneration.
    let status = json!({
        "metadata": {"resourceVersion": statefulset.metadata.resource_version},
        "status": {"replicas": replicas, "readyReplicas": ready,
                   "observedGeneration": statefulset.metadata.generation.unwrap_or(0)}
    });
    let _alone = writes.lock().await;
    match Api::<StatefulSet>::namespaced(client.clone(), &namespace)
        .patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
        .await
    {
        Err(kube::Error::Api(conflict)) if conflict.code == 409 => Ok(()),
        other => other.map(drop),
    }
}

/// A member's pod from the StatefulSet's current template: ready, unless its image never pulls.
fn new_pod(statefulset: &StatefulSet, member: &str, node: Option<String>) -> Pod {
    let template = statefulset
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let mut pod = Pod {
        metadata: template.metadata.unwrap_or_default(),
        spec: template.spec,
        ..Pod::default()
    };
    pod.metadata.name = Some(member.to_owned());
    pod.metadata
        .namespace
        .clone_from(&statefulset.metadata.namespace);
    pod.metadata.owner_references = Some(vec![OwnerReference {
        api_version: "apps/v1".to_owned(),
        kind: "StatefulSet".to_owned(),
        name: statefulset.metadata.name.clone().unwrap_or_default(),
        uid: statefulset.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        ..OwnerReference::default()
    }]);
    let images: BTreeMap<String, String> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
        .collect();
    if let Some(spec) = pod.spec.as_mut() {
        spec.node_name = node;
    }
    let broken = images
        .iter()
        .find(|(_, image)| image.contains(BROKEN_IMAGE));
    pod.status = Some(
        serde_json::from_value(match broken {
            Some((container, image)) => json!({
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": container, "image": image, "imageID": "", "ready": false,
                    "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": format!("Back-off pulling image \"{image}\"")}}}]
            }),
            None => json!({"conditions": [{"type": "Ready", "status": "True"}]}),
        })
        .expect("pod status"),
    );
    pod
}
