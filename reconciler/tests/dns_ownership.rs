//! DNS ownership on the pure side: the ownership TXT records carry the owner id of the Kubernetes
//! cluster (its kube-system namespace's UID), so a second firecamp whose Cluster document has the
//! same name (a blue/green move in one VPC) never changes or deletes the first one's records, and
//! records written before owner ids are taken over by writing the id into them.

mod common;

use common::{base_live, converge, examples, plan_of};
use firecamp::live::{LiveState, simulate_apply};
use firecamp::plan::{Action, Provider};

fn txt_values(live: &LiveState) -> Vec<&str> {
    live.dns_records
        .iter()
        .filter(|r| r.record_type == "TXT")
        .map(|r| r.values[0].as_str())
        .collect()
}

fn blue() -> LiveState {
    let mut live = base_live();
    live.owner = Some("3f2a-blue".to_owned());
    converge(&examples(), live)
}

#[test]
fn ownership_records_carry_the_owner_id() {
    let live = blue();
    let values = txt_values(&live);
    assert!(!values.is_empty());
    assert!(
        values
            .iter()
            .all(|v| v.contains("cluster=prod") && v.contains("owner=3f2a-blue")),
        "{values:?}"
    );
    assert!(plan_of(&examples(), &live).is_empty());
}

#[test]
fn another_kubernetes_clusters_records_are_left_alone_even_with_the_same_cluster_name() {
    let mut green = blue();
    green.owner = Some("9d41-green".to_owned());
    let plan = plan_of(&examples(), &green);
    assert!(
        !plan.steps.iter().any(|s| s.provider == Provider::Route53),
        "{:?}",
        plan.steps.iter().map(|s| &s.resource).collect::<Vec<_>>()
    );
    let records = green
        .dns_records
        .iter()
        .filter(|r| r.record_type == "A")
        .count();
    let warned = plan
        .warnings
        .iter()
        .filter(|w| w.contains("another Kubernetes cluster"))
        .count();
    assert_eq!(warned, records, "{:?}", plan.warnings);
}

#[test]
fn records_written_before_owner_ids_are_taken_over_once() {
    let mut legacy = blue();
    for record in &mut legacy.dns_records {
        if record.record_type == "TXT" {
            record.values[0] = record.values[0].replace(",owner=3f2a-blue", "");
        }
    }
    let plan = plan_of(&examples(), &legacy);
    let updates: Vec<_> = plan
        .steps
        .iter()
        .filter(|s| s.provider == Provider::Route53)
        .collect();
    assert!(!updates.is_empty());
    assert!(
        updates
            .iter()
            .all(|s| s.action == Action::Update && s.changes.iter().any(|c| c.path == "owner")),
        "{updates:?}"
    );
    let after = simulate_apply(&plan, &legacy);
    assert!(
        txt_values(&after)
            .iter()
            .all(|v| v.contains("owner=3f2a-blue"))
    );
    assert!(plan_of(&examples(), &after).is_empty());
}
