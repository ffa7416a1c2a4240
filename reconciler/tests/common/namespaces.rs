//! In front of kube-fake-client 0.3: every request's verb and resource is recorded (what
//! firecamp's ClusterRole must grant), and the Namespace API, which the fake cannot route (it
//! reads `/api/v1/namespaces[/NAME]` as the start of a namespaced path and answers "Invalid
//! path"), is served here: server-side apply, get, list by label, delete, counted like the rest,
//! with queued failures. Lists with a `limit` are paged here (see `pagination`); every other
//! request goes to the fake unchanged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use kube_fake_client::label_selector::matches_label_selector;
use serde_json::{Value, json};

use super::fake_cluster::Requests;

/// A client whose Namespace requests are served here and all others by `fake`. Writes hold
/// `writes`, as the stand-in controllers' status writes do: kube-fake-client 0.3 updates an
/// object by reading it, then writing it back, with no lock in between, so a stand-in status
/// write racing firecamp's write could undo it (a StatefulSet back on its old template, its
/// restarted member made again and again from it) or bring a deleted object back (a replaced
/// StatefulSet that "still exists"); both were seen under full CI load.
pub fn with_namespaces(
    fake: kube::Client,
    requests: Arc<Requests>,
    writes: Arc<tokio::sync::Mutex<()>>,
) -> kube::Client {
    let store = Arc::new(Mutex::new(BTreeMap::<String, Value>::new()));
    let serial = Arc::new(AtomicU64::new(1));
    let service = tower::service_fn(move |request: Request<Body>| {
        let (fake, store, serial, requests, writes) = (
            fake.clone(),
            Arc::clone(&store),
            Arc::clone(&serial),
            Arc::clone(&requests),
            Arc::clone(&writes),
        );
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
                requests.calls.lock().expect("lock").insert(call);
            }
            let is_namespaces = matches!(path.len(), 3 | 4)
                && path[0] == "api"
                && path[1] == "v1"
                && path[2] == "namespaces";
            if !is_namespaces {
                if request.method() == Method::GET && query.contains_key("limit") {
                    return super::pagination::paged_list(&fake, request, &query).await;
                }
                if request.method() == Method::GET {
                    return fake.send(request).await;
                }
                let _alone = writes.lock().await;
                return fake.send(request).await;
            }
            let method = request.method().clone();
            let body = request.into_body().collect_bytes().await?;
            let mut store = store.lock().expect("lock");
            let answer = match (method, path.get(3)) {
                (Method::GET, None) => {
                    requests.lists.fetch_add(1, Ordering::SeqCst);
                    let selector = query.get("labelSelector").cloned().unwrap_or_default();
                    let items: Vec<Value> = store
                        .values()
                        .filter(|ns| {
                            selector.is_empty()
                                || matches_label_selector(&labels(ns), &selector).unwrap_or(false)
                        })
                        .cloned()
                        .collect();
                    (
                        StatusCode::OK,
                        json!({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}),
                    )
                }
                (Method::GET, Some(name)) => {
                    requests.gets.fetch_add(1, Ordering::SeqCst);
                    store
                        .get(name)
                        .map_or_else(|| not_found(name), |ns| (StatusCode::OK, ns.clone()))
                }
                (Method::PATCH, Some(name)) => {
                    requests.patches.fetch_add(1, Ordering::SeqCst);
                    if let Some(Some(error)) = requests.failures.lock().expect("lock").pop_front() {
                        let status = error.into_kube_err();
                        let code = match &status {
                            kube::Error::Api(s) => s.code,
                            _ => 500,
                        };
                        return Ok(Response::builder()
                            .status(code)
                            .header("content-type", "application/json")
                            .body(Body::from(json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "message": status.to_string()}).to_string().into_bytes()))
                            .expect("response"));
                    }
                    let mut applied: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let uid = store
                        .get(name)
                        .and_then(|ns| ns["metadata"]["uid"].as_str().map(str::to_owned))
                        .unwrap_or_else(|| format!("ns-{}", serial.fetch_add(1, Ordering::SeqCst)));
                    applied["metadata"]["uid"] = json!(uid);
                    applied["metadata"]["resourceVersion"] =
                        json!(serial.fetch_add(1, Ordering::SeqCst).to_string());
                    store.insert(name.clone(), applied.clone());
                    (StatusCode::OK, applied)
                }
                (Method::DELETE, Some(name)) => {
                    requests.deletes.fetch_add(1, Ordering::SeqCst);
                    store
                        .remove(name)
                        .map_or_else(|| not_found(name), |ns| (StatusCode::OK, ns))
                }
                (method, _) => (
                    StatusCode::METHOD_NOT_ALLOWED,
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 405, "message": format!("{method} is not served for namespaces here")}),
                ),
            };
            let (status, value) = answer;
            Ok::<_, kube::Error>(
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Body::from(value.to_string().into_bytes()))
                    .expect("response"),
            )
        }
    });
    kube::Client::new(service, "default")
}

fn labels(namespace: &Value) -> BTreeMap<String, String> {
    namespace["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect()
}

fn not_found(name: &str) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404, "reason": "NotFound",
               "message": format!("namespaces \"{name}\" not found")}),
    )
}

/// `(verb, API group, resource)` of a request, as RBAC sees it.
fn permission(
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
        ("GET", None) if query.get("watch").is_some_and(|w| w == "true") => "watch",
        ("GET", None) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        _ => return None,
    };
    let resource = subresource.map_or_else(|| resource.clone(), |s| format!("{resource}/{s}"));
    Some((verb.to_owned(), group, resource))
}
