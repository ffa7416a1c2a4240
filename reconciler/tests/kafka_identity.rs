//! What a Kafka cluster fixes when it is first formed (its metadata mode, its ZooKeeper service,
//! its KRaft controllers) is recorded on its StatefulSets; a spec that changes it is held back with
//! the reason, and so is what depends on it, with nothing changed. Brokers added to a KRaft
//! cluster whose quorum stays are planned as usual.

mod common;

use common::{base_live, converge, edited_examples, examples, plan_of};
use firecamp::live::LiveState;
use firecamp::plan::Plan;
use firecamp_catalog::lifecycle::IDENTITY_ANNOTATION;

/// The examples with the Kafka service's spec edited by `edit`.
fn examples_with_kafka(edit: impl Fn(String) -> String) -> firecamp_schema::Validation {
    edited_examples(|path, text| {
        if path.ends_with("streaming/kafka.yaml") {
            edit(text)
        } else {
            text
        }
    })
}

/// The examples with the Kafka service in legacy ZooKeeper mode on the example ensemble.
fn zookeeper_mode() -> firecamp_schema::Validation {
    examples_with_kafka(|text| text.replacen("  controllers: 3\n", "  zookeeper: zk\n", 1))
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

/// `live` with the identity annotation taken off every StatefulSet: as firecamp applied it before
/// it recorded identities.
fn unrecorded(mut live: LiveState) -> LiveState {
    for object in &mut live.objects {
        if object.key().0 == "StatefulSet" {
            object.edit(|o| {
                if let Some(annotations) = o["metadata"]["annotations"].as_object_mut() {
                    annotations.remove(IDENTITY_ANNOTATION);
                }
            });
        }
    }
    live
}

#[test]
fn a_zookeeper_mode_cluster_is_not_restarted_as_kraft_and_its_dependents_wait() {
    for (live, how) in [
        (converge(&zookeeper_mode(), base_live()), "recorded"),
        (
            unrecorded(converge(&zookeeper_mode(), base_live())),
            "applied before identities were recorded",
        ),
    ] {
        let plan = plan_of(&examples(), &live);
        assert!(
            steps_of(&plan, "kafka").is_empty(),
            "{how}: {:?}",
            steps_of(&plan, "kafka")
        );
        let why = reason(&plan, "kafka").unwrap_or_else(|| panic!("{how}: kafka is held back"));
        assert!(
            why.contains("metadata from \"zookeeper\" to \"kraft\"")
                && why.contains("MirrorMaker")
                && why.contains("nothing of this service is changed"),
            "{how}: {why}"
        );
        for dependent in ["kafka-manager", "logs-sink"] {
            assert!(
                steps_of(&plan, dependent).is_empty() && reason(&plan, dependent).is_some(),
                "{how}: {dependent} uses kafka and waits too"
            );
        }
        // The same spec in ZooKeeper mode is no change at all.
        let same = plan_of(&zookeeper_mode(), &live);
        assert!(
            reason(&same, "kafka").is_none(),
            "{how}: {:#?}",
            same.untouched
        );
    }
}

#[test]
fn a_new_kraft_quorum_is_refused_and_added_brokers_are_planned() {
    let live = converge(&examples(), base_live());
    let fewer_voters =
        examples_with_kafka(|text| text.replacen("controllers: 3", "controllers: 1", 1));
    let plan = plan_of(&fewer_voters, &live);
    assert!(steps_of(&plan, "kafka").is_empty());
    let why = reason(&plan, "kafka").expect("kafka is held back");
    assert!(why.contains("voters from \"0,1,2\" to \"0\""), "{why}");

    let dedicated = examples_with_kafka(|text| {
        text.replacen(
            "controllers: 3",
            "controllers: 3\n  dedicatedControllers: true",
            1,
        )
    });
    let why = reason(&plan_of(&dedicated, &live), "kafka").map(str::to_owned);
    assert!(
        why.as_deref()
            .is_some_and(|w| w.contains("controllers from \"combined\" to \"dedicated\"")),
        "{why:?}"
    );

    let more_brokers = examples_with_kafka(|text| text.replacen("replicas: 3", "replicas: 5", 1));
    let plan = plan_of(&more_brokers, &live);
    assert!(reason(&plan, "kafka").is_none(), "{:#?}", plan.untouched);
    assert!(
        steps_of(&plan, "kafka")
            .iter()
            .any(|s| s.contains("kafka-broker-a")),
        "{:?}",
        steps_of(&plan, "kafka")
    );
}
