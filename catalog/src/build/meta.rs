//! Object metadata.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::context::ServiceContext;
use crate::labels;

/// Metadata of a namespaced object of the service, with the service's labels plus `extra`.
pub(crate) fn service_meta(
    ctx: &ServiceContext<'_>,
    name: String,
    extra: BTreeMap<String, String>,
) -> ObjectMeta {
    let mut all = labels::service_labels(
        ctx.cluster_name(),
        ctx.name(),
        ctx.body().kind().as_str(),
        &ctx.service.metadata.labels,
    );
    all.extend(extra);
    ObjectMeta {
        name: Some(name),
        namespace: Some(ctx.namespace().to_owned()),
        labels: Some(all),
        ..ObjectMeta::default()
    }
}
