//! A spec that would remove live members of a data-bearing kind (a scale-down, a zone taken off
//! the list) is refused for that service, with what its database needs first: nothing of the
//! service is changed, and what depends on it waits too. A stateless kind shrinks as before; a
//! removal the command acknowledges (`--allow-member-removal`) is carried out, with a warning.

mod common;

use common::{base_live, converge, edited_examples, examples, plan_of, plan_removing_members};
use firecamp::plan::Plan;
use firecamp::view::{markdown, text};

/// The examples with `from` replaced by `to` once in the spec file ending with `file`.
fn examples_with(file: &str, from: &str, to: &str) -> firecamp_schema::Validation {
    edited_examples(|path, text| {
        if path.ends_with(file) {
            text.replacen(from, to, 1)
        } else {
            text
        }
    })
}

fn steps_of<'p>(plan: &'p Plan, service: &str) -> Vec<&'p str> {
    plan.steps
        .iter()
        .filter(|s| s.service.as_deref() == Some(service))
        .map(|s| s.id.as_str())
        .collect()
}

fn reason<'p>(plan: &'p Plan, service: &str) -> Option<&'p str> {
    plan.untouched
        .iter()
        .find(|u| u.service == service)
        .map(|u| u.reason.as_str())
}

#[test]
fn a_zookeeper_scale_down_is_refused_and_its_dependents_wait() {
    // Kafka in legacy ZooKeeper mode uses the ensemble.
    let legacy = |zookeeper_replicas: &str| {
        edited_examples(|path, text| {
            if path.ends_with("kafka.yaml") {
                text.replacen("  controllers: 3\n", "  zookeeper: zk\n", 1)
            } else if path.ends_with("zookeeper.yaml") {
                text.replacen("replicas: 3", zookeeper_replicas, 1)
            } else {
                text
            }
        })
    };
    let live = converge(&legacy("replicas: 3"), base_live());
    let shrunk = legacy("replicas: 1");
    let plan = plan_of(&shrunk, &live);
    assert!(
        steps_of(&plan, "zk").is_empty(),
        "{:?}",
        steps_of(&plan, "zk")
    );
    let why = reason(&plan, "zk").expect("zk is held back");
    assert!(
        why.contains("zk-server-b-0, zk-server-c-0") && why.contains("reconfig -remove"),
        "{why}"
    );
    // Kafka uses the ensemble: it is not changed under a refused ZooKeeper edit either.
    assert!(reason(&plan, "kafka").is_some(), "{:#?}", plan.untouched);
    assert!(
        markdown::render(&plan, "firecamp plan")
            .contains("Nothing to apply: 5 service(s) are left as they are"),
        "the pull-request comment does not say the specs match"
    );
    insta::assert_snapshot!(
        "zookeeper-scale-down",
        text::render(&plan, text::Style { color: false })
    );
}

#[test]
fn a_data_bearing_scale_down_keeps_every_member_and_volume() {
    let examples_live = converge(&examples(), base_live());
    // Kafka with a fourth broker, which is no controller, so that the 3 voters stay.
    let four_brokers = converge(
        &examples_with("kafka.yaml", "replicas: 3", "replicas: 4"),
        base_live(),
    );
    for (live, file, to, service, leaving) in [
        (
            &four_brokers,
            "kafka.yaml",
            "replicas: 3",
            "kafka",
            "kafka-broker-a-1",
        ),
        (
            &examples_live,
            "postgresql.yaml",
            "replicas: 2",
            "billing-pg",
            "billing-pg-standby-c-0",
        ),
        (
            &examples_live,
            "elasticsearch.yaml",
            "replicas: 2",
            "search-es",
            "search-es-data-c-0",
        ),
    ] {
        let shrunk = examples_with(file, "replicas: 3", to);
        let plan = plan_of(&shrunk, live);
        assert!(
            steps_of(&plan, service).is_empty(),
            "{service}: {:?}",
            steps_of(&plan, service)
        );
        let why = reason(&plan, service).unwrap_or_else(|| panic!("{service} is held back"));
        assert!(why.contains(leaving), "{service}: {why}");
        assert!(
            !plan.steps.iter().any(|s| s.resource.contains(leaving)),
            "nothing of {leaving} is touched"
        );
    }
}

#[test]
fn a_stateless_kind_shrinks_as_before() {
    let live = converge(&examples(), base_live());
    let shrunk = examples_with("kafka-sink-es.yaml", "replicas: 3", "replicas: 2");
    let plan = plan_of(&shrunk, &live);
    assert!(
        reason(&plan, "logs-sink").is_none(),
        "{:#?}",
        plan.untouched
    );
    assert!(
        !steps_of(&plan, "logs-sink").is_empty(),
        "the workers shrink"
    );
}

#[test]
fn an_acknowledged_removal_is_carried_out_with_a_warning() {
    let live = converge(&examples(), base_live());
    let shrunk = examples_with("zookeeper.yaml", "replicas: 3", "replicas: 1");
    let plan = plan_removing_members(&shrunk, &live);
    assert!(reason(&plan, "zk").is_none(), "{:#?}", plan.untouched);
    assert!(
        steps_of(&plan, "zk").contains(&"kubernetes:StatefulSet/firecamp/zk-server-b"),
        "{:?}",
        steps_of(&plan, "zk")
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("zk: 2 live member(s)") && w.contains("--allow-member-removal")),
        "{:?}",
        plan.warnings
    );
}
