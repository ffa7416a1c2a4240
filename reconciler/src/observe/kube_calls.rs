//! Counting Kubernetes API calls: a client that forwards every request to the real one and counts
//! it by operation (`list pods`, `apply statefulsets`, `get leases`, ...), and its 429 answers as
//! throttles, into the same counter as the AWS calls.

use firecamp_aws::CallCounter;
use http::{Method, Request};
use kube::client::Body;

/// The provider name Kubernetes calls are counted under.
pub const PROVIDER: &str = "kubernetes";

/// A client that counts every call `client` makes into `counter`.
#[must_use]
pub fn counted(client: kube::Client, counter: CallCounter) -> kube::Client {
    let namespace = client.default_namespace().to_owned();
    let service = tower::service_fn(move |request: Request<Body>| {
        let client = client.clone();
        let counter = counter.clone();
        async move {
            let operation = operation(&request);
            counter.count(PROVIDER, &operation);
            let response = client.send(request).await?;
            if response.status().as_u16() == 429 {
                counter.count_throttle(PROVIDER, &operation);
            }
            Ok::<_, kube::Error>(response)
        }
    });
    kube::Client::new(service, namespace)
}

/// `verb resource`, e.g. `list pods`, `apply statefulsets`, `update statefulsets/status`.
fn operation(request: &Request<Body>) -> String {
    let path = request.uri().path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // /api/v1/... or /apis/<group>/<version>/...
    let rest = match segments.first() {
        Some(&"api") => segments.get(2..).unwrap_or_default(),
        Some(&"apis") => segments.get(3..).unwrap_or_default(),
        _ => return format!("{} {path}", request.method().as_str().to_lowercase()),
    };
    let rest = match rest {
        ["namespaces", _, tail @ ..] if !tail.is_empty() => tail,
        other => other,
    };
    let (resource, named) = match rest {
        [kind] => ((*kind).to_owned(), false),
        [kind, _] => ((*kind).to_owned(), true),
        [kind, _, sub, ..] => (format!("{kind}/{sub}"), true),
        [] => ("unknown".to_owned(), false),
    };
    let is_apply = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/apply-patch"));
    let watch = request
        .uri()
        .query()
        .is_some_and(|q| q.contains("watch=true"));
    let verb = match *request.method() {
        Method::GET if watch => "watch",
        Method::GET if named => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH if is_apply => "apply",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => request.method().as_str(),
    };
    format!("{} {resource}", verb.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, uri: &str, content_type: Option<&str>) -> Request<Body> {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(content_type) = content_type {
            builder = builder.header(http::header::CONTENT_TYPE, content_type);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn operations_name_the_verb_and_resource() {
        let cases = [
            (
                Method::GET,
                "/api/v1/pods?labelSelector=x&limit=500",
                None,
                "list pods",
            ),
            (
                Method::GET,
                "/api/v1/namespaces/firecamp/configmaps/firecamp-status",
                None,
                "get configmaps",
            ),
            (
                Method::PATCH,
                "/apis/apps/v1/namespaces/firecamp/statefulsets/zk-a?fieldManager=firecamp",
                Some("application/apply-patch+yaml"),
                "apply statefulsets",
            ),
            (
                Method::PATCH,
                "/api/v1/namespaces/firecamp/persistentvolumeclaims/data-zk-a-0",
                Some("application/merge-patch+json"),
                "patch persistentvolumeclaims",
            ),
            (
                Method::PUT,
                "/apis/coordination.k8s.io/v1/namespaces/firecamp-system/leases/firecamp-leader",
                None,
                "update leases",
            ),
            (
                Method::POST,
                "/apis/coordination.k8s.io/v1/namespaces/firecamp-system/leases",
                None,
                "create leases",
            ),
            (
                Method::DELETE,
                "/api/v1/namespaces/firecamp/pods/zk-a-0",
                None,
                "delete pods",
            ),
            (
                Method::GET,
                "/apis/apps/v1/namespaces/firecamp/statefulsets/zk-a/status",
                None,
                "get statefulsets/status",
            ),
            (Method::GET, "/api/v1/namespaces", None, "list namespaces"),
            (Method::GET, "/api/v1/nodes/node-1", None, "get nodes"),
            (Method::GET, "/version", None, "get /version"),
        ];
        for (method, uri, content_type, expected) in cases {
            assert_eq!(
                operation(&request(method, uri, content_type)),
                expected,
                "{uri}"
            );
        }
    }
}
