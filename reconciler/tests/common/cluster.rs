//! A cluster for the Kubernetes-facing tests: the real control plane of `firecamp-k8s-world`
//! (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok), shared by the tests of
//! one test binary, which take it one at a time. Each test gets a cluster name and a namespace
//! of its own, nodes made from its moto network's instances, and a client for firecamp that
//! counts every request by verb and can fail firecamp's next writes on request.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firecamp_aws::testing::TestNetwork;
use firecamp_catalog::labels;
use firecamp_k8s_world::{ControlPlane, Controllers, FakeNode, set_nodes, shared};
use http::{Method, Request, Response};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::client::Body;
use serde_json::json;

/// Image names containing this never pull (the world's kwok stages keep such pods in
/// `ImagePullBackOff`).
pub const BROKEN_IMAGE: &str = "does-not-exist";

/// The label on every namespace a test made: the next test deletes them.
const TEST_NAMESPACE: &str = "firecamp.io/test-namespace";

/// An error the API server is made to answer instead of carrying out one of firecamp's writes.
#[derive(Debug, Clone)]
pub struct Failure {
    /// HTTP status, e.g. 409.
    pub code: u16,
    /// The Status reason, e.g. `Conflict`.
    pub reason: &'static str,
    /// The message.
    pub message: String,
}

impl Failure {
    /// A 500 Internal Server Error.
    pub fn internal(message: &str) -> Self {
        Self {
            code: 500,
            reason: "InternalError",
            message: message.to_owned(),
        }
    }

    /// A 409 Conflict.
    pub fn conflict(message: &str) -> Self {
        Self {
            code: 409,
            reason: "Conflict",
            message: message.to_owned(),
        }
    }

    /// A 400 Bad Request.
    pub fn bad_request(message: &str) -> Self {
        Self {
            code: 400,
            reason: "BadRequest",
            message: message.to_owned(),
        }
    }

    fn response(&self) -> Response<Body> {
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "code": self.code, "reason": self.reason, "message": self.message});
        Response::builder()
            .status(self.code)
            .header("content-type", "application/json")
            .body(Body::from(status.to_string().into_bytes()))
            .expect("response")
    }
}

/// firecamp's requests by verb, and failures queued for its next writes.
#[derive(Debug, Default)]
pub struct Requests {
    /// Server-side applies and patches.
    pub patches: AtomicUsize,
    /// Deletes.
    pub deletes: AtomicUsize,
    /// Lists.
    pub lists: AtomicUsize,
    /// Single-object reads.
    pub gets: AtomicUsize,
    /// Watch calls.
    pub watches: AtomicUsize,
    /// For firecamp's next patches, in order: a failure to answer instead, or none to carry it out.
    pub failures: Mutex<VecDeque<Option<Failure>>>,
    /// Every `(verb, API group, resource)` firecamp asked for.
    pub calls: Mutex<BTreeSet<(String, String, String)>>,
}

impl Requests {
    /// Every request so far.
    pub fn all(&self) -> usize {
        [
            &self.patches,
            &self.deletes,
            &self.lists,
            &self.gets,
            &self.watches,
        ]
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .sum()
    }

    /// firecamp's writes so far.
    pub fn writes(&self) -> usize {
        self.patches.load(Ordering::SeqCst) + self.deletes.load(Ordering::SeqCst)
    }
}

/// A test's turn at the world.
pub type Turn = tokio::sync::MutexGuard<'static, ()>;

/// Waits for this test's turn at the world.
pub async fn take_turn() -> Turn {
    SERIAL.lock().await
}

/// One test's share of the world.
pub struct TestCluster {
    _serial: Turn,
    /// The control plane.
    pub plane: &'static ControlPlane,
    /// firecamp's client: counted, with queued failures.
    pub client: kube::Client,
    /// The test's own client (administrator), not counted.
    pub admin: kube::Client,
    /// What firecamp asked of the API server.
    pub requests: Arc<Requests>,
    /// The test's cluster name (the Cluster document's `metadata.name`).
    pub name: String,
    /// The test's namespace (the Cluster document's `namespace`): firecamp makes it, as it would
    /// on a new cluster (made beforehand by [`TestCluster::without_nodes`]).
    pub namespace: String,
    paused: std::sync::atomic::AtomicBool,
}

/// Tests of one binary take the world one at a time: their nodes differ.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static NEXT: AtomicUsize = AtomicUsize::new(1);

impl TestCluster {
    /// The world with the network's instances as its nodes (or the nodes it has, when the network
    /// has none), cleared of what earlier tests left.
    pub async fn start(network: &TestNetwork) -> Self {
        Self::start_holding(take_turn().await, network).await
    }

    /// [`TestCluster::start`] for a test that already took its turn (to make its network in
    /// turn too).
    pub async fn start_holding(serial: Turn, network: &TestNetwork) -> Self {
        let plane = tokio::task::block_in_place(shared);
        let admin = plane.client().await.expect("client");
        clear(&admin).await;
        if !network.nodes.is_empty() {
            let nodes: Vec<FakeNode> = network
                .nodes
                .iter()
                .map(|n| FakeNode {
                    instance_id: n.instance_id.clone(),
                    zone: n.zone.clone(),
                    ip: n.ip.to_string(),
                })
                .collect();
            set_nodes(&admin, &nodes, Duration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("{e}\n{}", plane.log_tails(20)));
        }
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{}-{n}", std::process::id() % 10_000);
        let namespace = format!("firecamp-{name}");
        // Where firecamp's Lease lives (deploy/rbac.yaml's namespace); kept between tests.
        let system: Namespace =
            serde_json::from_value(json!({"metadata": {"name": "firecamp-system"}}))
                .expect("namespace");
        match Api::<Namespace>::all(admin.clone())
            .create(&PostParams::default(), &system)
            .await
        {
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            other => drop(other.expect("create firecamp-system")),
        }
        let requests = Arc::new(Requests::default());
        let client = counted(plane.client().await.expect("client"), Arc::clone(&requests));
        Self {
            _serial: serial,
            plane,
            client,
            admin,
            requests,
            name,
            namespace,
            paused: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A cluster without nodes of its own, its namespace made beforehand (for tests that make no
    /// pods and write into the namespace themselves).
    pub async fn without_nodes() -> Self {
        let cluster = Self::start(&TestNetwork {
            vpc_id: String::new(),
            subnets: Vec::new(),
            node_subnets: Vec::new(),
            nodes: Vec::new(),
        })
        .await;
        let object: Namespace = serde_json::from_value(json!({
            "metadata": {"name": cluster.namespace, "labels": {TEST_NAMESPACE: "true"}}
        }))
        .expect("namespace");
        Api::<Namespace>::all(cluster.admin.clone())
            .create(&PostParams::default(), &object)
            .await
            .expect("create the test namespace");
        cluster
            .plane
            .wait_for_service_account(&cluster.admin, &cluster.namespace, Duration::from_secs(30))
            .await
            .expect("service account");
        cluster
    }

    /// From now on firecamp's client authenticates as the ServiceAccount `namespace/name` (with a
    /// token from the TokenRequest API), so the API server holds it to that account's RBAC;
    /// still counted, with the same queued failures.
    pub async fn act_as_service_account(&mut self, namespace: &str, name: &str) {
        let request: k8s_openapi::api::authentication::v1::TokenRequest =
            serde_json::from_value(json!({"spec": {"audiences": [], "expirationSeconds": 3600}}))
                .expect("token request");
        let token = Api::<k8s_openapi::api::core::v1::ServiceAccount>::namespaced(
            self.admin.clone(),
            namespace,
        )
        .create_token_request(name, &PostParams::default(), &request)
        .await
        .expect("a token for the ServiceAccount")
        .status
        .and_then(|s| s.token)
        .expect("a token");
        let client = self.plane.client_with_token(&token).await.expect("client");
        self.client = counted(client, Arc::clone(&self.requests));
    }

    /// Pauses (true) or resumes the controllers (kube-controller-manager and kwok), e.g. to hold
    /// the cluster still while counting firecamp's requests.
    pub async fn pause_controllers(&self, paused: bool) {
        for which in [Controllers::ControllerManager, Controllers::Kwok] {
            self.plane.pause(which, paused).expect("signal");
        }
        self.paused.store(paused, Ordering::SeqCst);
    }

    /// Sets every request counter back to zero.
    pub fn reset_counts(&self) {
        for counter in [
            &self.requests.patches,
            &self.requests.deletes,
            &self.requests.lists,
            &self.requests.gets,
            &self.requests.watches,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }

    /// The example Cluster document's text with this test's name and namespace.
    pub fn cluster_text(&self, text: &str) -> String {
        text.replacen(
            "metadata:\n  name: prod\n",
            &format!("metadata:\n  name: {}\n", self.name),
            1,
        )
        .replace(
            "namespace: firecamp\n",
            &format!("namespace: {}\n", self.namespace),
        )
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if self.paused.load(Ordering::SeqCst) {
            for which in [Controllers::ControllerManager, Controllers::Kwok] {
                let _ = self.plane.pause(which, false);
            }
        }
    }
}

/// Deletes what earlier tests left: their namespaces, made by them or by firecamp (not waited
/// for: their objects belong to other cluster names) and firecamp's cluster-level objects (their
/// names are the same for every cluster).
async fn clear(admin: &kube::Client) {
    let namespaces: Api<Namespace> = Api::all(admin.clone());
    let made_by_firecamp = format!("{}={}", labels::MANAGED_BY, labels::FIRECAMP);
    let mut left = Vec::new();
    for selector in [TEST_NAMESPACE, made_by_firecamp.as_str()] {
        left.extend(
            namespaces
                .list(&ListParams::default().labels(selector))
                .await
                .expect("namespaces")
                .items,
        );
    }
    for namespace in left {
        if namespace.metadata.deletion_timestamp.is_none() {
            let name = namespace.metadata.name.unwrap_or_default();
            let _ = namespaces.delete(&name, &DeleteParams::default()).await;
        }
    }
    let managed =
        ListParams::default().labels(&format!("{}={}", labels::MANAGED_BY, labels::FIRECAMP));
    let classes: Api<StorageClass> = Api::all(admin.clone());
    let _ = classes
        .delete_collection(&DeleteParams::default(), &managed)
        .await;
    let roles: Api<ClusterRole> = Api::all(admin.clone());
    let _ = roles
        .delete_collection(&DeleteParams::default(), &managed)
        .await;
    let bindings: Api<ClusterRoleBinding> = Api::all(admin.clone());
    let _ = bindings
        .delete_collection(&DeleteParams::default(), &managed)
        .await;
}

/// `client` with every request counted and recorded, and queued failures answered instead of
/// firecamp's next patches.
fn counted(client: kube::Client, requests: Arc<Requests>) -> kube::Client {
    let service = tower::service_fn(move |request: Request<Body>| {
        let (client, requests) = (client.clone(), Arc::clone(&requests));
        async move {
            let path: Vec<String> = request
                .uri()
                .path()
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            let query: BTreeMap<String, String> =
                form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                    .into_owned()
                    .collect();
            if let Some(call) = permission(request.method(), &path, &query) {
                let counter = match call.0.as_str() {
                    "patch" => Some(&requests.patches),
                    "delete" | "deletecollection" => Some(&requests.deletes),
                    "list" => Some(&requests.lists),
                    "get" => Some(&requests.gets),
                    "watch" => Some(&requests.watches),
                    _ => None,
                };
                if let Some(counter) = counter {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let is_patch = call.0 == "patch";
                requests.calls.lock().expect("lock").insert(call.clone());
                if is_patch {
                    if let Some(Some(failure)) = requests.failures.lock().expect("lock").pop_front()
                    {
                        return Ok(failure.response());
                    }
                    // A server-side apply that makes the object is also a `create` for RBAC (the
                    // API server checks both verbs); it answers 201 Created.
                    let response = client.send(request).await?;
                    if response.status() == http::StatusCode::CREATED {
                        let (_, group, resource) = call;
                        let create = ("create".to_owned(), group, resource);
                        requests.calls.lock().expect("lock").insert(create);
                    }
                    return Ok(response);
                }
            }
            client.send(request).await
        }
    });
    kube::Client::new(service, "default")
}

/// `(verb, API group, resource)` of a request, as RBAC sees it.
pub fn permission(
    method: &Method,
    path: &[String],
    query: &BTreeMap<String, String>,
) -> Option<(String, String, String)> {
    let (group, rest) = match path.first().map(String::as_str) {
        Some("api") => (String::new(), path.get(2..)?),
        Some("apis") => (path.get(1)?.clone(), path.get(3..)?),
        _ => return None,
    };
    let (resource, name, subresource) = match rest {
        [namespaces, _, resource, tail @ ..] if namespaces == "namespaces" => {
            (resource, tail.first(), tail.get(1))
        }
        [resource, tail @ ..] => (resource, tail.first(), tail.get(1)),
        [] => return None,
    };
    let verb = match (method.as_str(), name) {
        ("GET", Some(_)) => "get",
        ("GET", None) if query.get("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
        ("GET", None) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", Some(_)) => "delete",
        ("DELETE", None) => "deletecollection",
        _ => return None,
    };
    let resource = subresource.map_or_else(|| resource.clone(), |s| format!("{resource}/{s}"));
    Some((verb.to_owned(), group, resource))
}
