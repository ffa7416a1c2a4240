//! List pagination in front of kube-fake-client 0.3, which cuts a list at `limit` and never
//! returns a `continue` token (so a reader that pages, as firecamp does, silently missed every
//! object past the first page). Lists with a `limit` are answered here in pages from the fake's
//! whole list, with `continue` tokens, as the API server does.

use std::collections::BTreeMap;

use http::{Request, Response, header};
use kube::client::Body;
use serde_json::Value;

/// Answers a list request with `limit` (and maybe `continue`) one page at a time.
pub async fn paged_list(
    fake: &kube::Client,
    request: Request<Body>,
    query: &BTreeMap<String, String>,
) -> Result<Response<Body>, kube::Error> {
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let offset = query
        .get("continue")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);
    let rest = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            query
                .iter()
                .filter(|(k, _)| *k != "limit" && *k != "continue"),
        )
        .finish();
    let (mut parts, body) = request.into_parts();
    parts.uri = format!("{}?{rest}", parts.uri.path())
        .parse()
        .expect("a list URI");
    let response = fake.send(Request::from_parts(parts, body)).await?;
    let (mut parts, body) = response.into_parts();
    let bytes = body.collect_bytes().await?;
    let Ok(mut list) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(Response::from_parts(parts, Body::from(bytes.to_vec())));
    };
    if let Some(items) = list["items"].as_array_mut() {
        let total = items.len();
        let end = offset.saturating_add(limit).min(total);
        let page: Vec<Value> = items.drain(offset.min(total)..end).collect();
        *items = page;
        if end < total {
            list["metadata"]["continue"] = Value::String(end.to_string());
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(
        parts,
        Body::from(serde_json::to_vec(&list).expect("json")),
    ))
}
