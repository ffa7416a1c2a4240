//! A member's number (its index in the service, its place in its role) is what some databases
//! know it by: Kafka's node.id, ZooKeeper's myid, which member of a Redis shard is its master.
//! The catalog records each member's number on its StatefulSet; a spec that gives a live member
//! another number while its name stays (the Cluster's zones reordered) holds its service back,
//! with the member and both numbers, and nothing of it changes. Kinds that do not number their
//! members go on.

mod common;

use common::{base_live, converge, edited_examples, examples, plan_of};
use firecamp::plan::Plan;

/// The examples with the Cluster's first two zones swapped.
fn zones_reordered() -> firecamp_schema::Validation {
    edited_examples(|path, text| {
        if !path.ends_with("cluster.yaml") {
            return text;
        }
        let a = "    - name: us-east-1a\n      subnetId: subnet-0a1b2c3d4e5f60711\n";
        let b = "    - name: us-east-1b\n      subnetId: subnet-0a1b2c3d4e5f60712\n";
        assert!(
            text.contains(&format!("{a}{b}")),
            "the example's zones:\n{text}"
        );
        text.replacen(&format!("{a}{b}"), &format!("{b}{a}"), 1)
    })
}

fn reason<'p>(plan: &'p Plan, service: &str) -> Option<&'p str> {
    plan.untouched
        .iter()
        .find(|u| u.service == service)
        .map(|u| u.reason.as_str())
}

fn steps_of<'p>(plan: &'p Plan, service: &str) -> Vec<&'p str> {
    plan.steps
        .iter()
        .filter(|s| s.service.as_deref() == Some(service))
        .map(|s| s.id.as_str())
        .collect()
}

#[test]
fn reordered_zones_never_renumber_a_live_member() {
    let live = converge(&examples(), base_live());
    let plan = plan_of(&zones_reordered(), &live);
    for (service, member, meaning) in [
        ("kafka", "kafka-broker-a-0", "node.id"),
        ("zk", "zk-server-a-0", "myid"),
    ] {
        assert!(
            steps_of(&plan, service).is_empty(),
            "{service}: {:?}",
            steps_of(&plan, service)
        );
        let why = reason(&plan, service).unwrap_or_else(|| panic!("{service} is held back"));
        assert!(
            why.contains(member) && why.contains(meaning) && why.contains("zones"),
            "{service}: {why}"
        );
    }
    // The numbers stay as they were applied: the same spec plans nothing for them.
    let again = plan_of(&examples(), &live);
    for service in ["kafka", "zk"] {
        assert!(reason(&again, service).is_none(), "{:#?}", again.untouched);
    }
}
