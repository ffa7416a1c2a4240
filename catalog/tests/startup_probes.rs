//! Kinds whose legitimate start can be long get a startup probe sized to their data volume: a
//! PostgreSQL standby keeps 5432 closed while `pg_basebackup` clones its primary, Kafka while it
//! recovers its logs after an unclean stop, MongoDB while WiredTiger recovers, Cassandra while it
//! replays its commit log. Without one, the liveness probe (6 failures, 20 s apart, after 60 s)
//! killed such a start after about 3 minutes, and a clone started over from scratch, for ever
//! (the catalog audit's blocker 7). Kubernetes runs no liveness or readiness probe until the
//! startup probe succeeds ("Liveness, Readiness, and Startup Probes", kubernetes.io): that
//! contract is what these tests rely on.

mod common;

use common::SpecSet;
use firecamp_catalog::KubeObject;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The rate every start must be allowed: its whole data volume at 20 MiB/s.
const SLOWEST_RATE: i64 = 20 << 20;

/// Bytes of a Kubernetes quantity with a binary suffix (`250Gi`).
fn bytes(quantity: &Quantity) -> i64 {
    let text = &quantity.0;
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: i64 = number.parse().expect("a number");
    let shift = match unit {
        "" => 0,
        "Ki" => 10,
        "Mi" => 20,
        "Gi" => 30,
        "Ti" => 40,
        other => panic!("unit {other}"),
    };
    number << shift
}

/// How long the main container's start may take before Kubernetes kills it, in seconds.
fn start_budget(statefulset: &k8s_openapi::api::apps::v1::StatefulSet) -> Option<i64> {
    let container = &statefulset.spec.template.spec.as_ref()?.containers[0];
    let probe = container.startup_probe.as_ref()?;
    Some(i64::from(probe.period_seconds? * probe.failure_threshold?))
}

/// The data volume's size, from the claim template.
fn data_volume(statefulset: &k8s_openapi::api::apps::v1::StatefulSet) -> i64 {
    let claims = statefulset
        .spec
        .volume_claim_templates
        .as_ref()
        .expect("claims");
    let data = claims
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some("data"))
        .expect("a data claim");
    let requests = data
        .spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .expect("requests");
    bytes(&requests["storage"])
}

#[test]
fn long_starts_are_allowed_as_long_as_their_volume_takes_to_copy() {
    let rendered = SpecSet::examples().render();
    let mut checked = Vec::new();
    for service in [
        "billing-pg",
        "kafka",
        "catalog-mongo",
        "events-mongo",
        "orders-cas",
    ] {
        let Some(Ok(desired)) = rendered.get(service) else {
            panic!("{service} renders");
        };
        for object in &desired.objects {
            let KubeObject::StatefulSet(statefulset) = object else {
                continue;
            };
            let name = statefulset.metadata.name.clone().unwrap_or_default();
            let budget =
                start_budget(statefulset).unwrap_or_else(|| panic!("{name}: no startup probe"));
            let needed = (data_volume(statefulset) / SLOWEST_RATE).max(3_600);
            assert!(
                budget >= needed,
                "{name}: {budget} s to start, a copy of its volume at 20 MiB/s takes {needed} s"
            );
            assert!(
                budget <= 7 * 86_400 + 10,
                "{name}: at most a week, {budget} s"
            );
            checked.push(name);
        }
    }
    assert!(
        checked.iter().any(|n| n.starts_with("billing-pg-standby")),
        "a PostgreSQL standby is checked: {checked:?}"
    );
    assert!(checked.len() >= 6, "{checked:?}");
}
