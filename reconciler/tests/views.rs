//! Snapshots of the text, Markdown and JSON plans for the examples, against an empty cluster and
//! against the example live snapshot; and the Markdown size limit on a large change set.

mod common;

use common::{examples, plan_of, repo, specs};
use firecamp::live::{LiveState, read_snapshot};
use firecamp::view::markdown::MAX_COMMENT;
use firecamp::view::{json, markdown, text};

fn live_snapshot() -> LiveState {
    read_snapshot(&repo().join("examples/live-snapshot.json")).expect("readable")
}

/// The JSON plan without the full before/after manifests (they are in the service snapshots).
fn json_outline(plan: &firecamp::plan::Plan) -> String {
    let mut value: serde_json::Value = serde_json::from_str(&json::render(plan)).expect("json");
    for step in value["steps"].as_array_mut().into_iter().flatten() {
        for side in ["before", "after"] {
            if !step[side].is_null() {
                step[side] = serde_json::json!("…");
            }
        }
    }
    format!("{value:#}")
}

#[test]
fn plans_against_an_empty_cluster() {
    let plan = plan_of(&examples(), &LiveState::default());
    insta::assert_snapshot!(
        "empty-text",
        text::render(&plan, text::Style { color: false })
    );
    insta::assert_snapshot!(
        "empty-markdown",
        markdown::render(&plan, "firecamp plan for `examples/`")
    );
    insta::assert_snapshot!("empty-json", json_outline(&plan));
}

#[test]
fn plans_against_the_example_live_snapshot() {
    let plan = plan_of(&examples(), &live_snapshot());
    insta::assert_snapshot!(
        "snapshot-text",
        text::render(&plan, text::Style { color: false })
    );
    insta::assert_snapshot!(
        "snapshot-markdown",
        markdown::render(&plan, "firecamp plan for `examples/`")
    );
    insta::assert_snapshot!("snapshot-json", json_outline(&plan));
}

#[test]
fn the_json_plan_round_trips() {
    let plan = plan_of(&examples(), &live_snapshot());
    let back: firecamp::plan::Plan = serde_json::from_str(&json::render(&plan)).expect("parses");
    assert_eq!(back, plan);
    assert_eq!(back.format_version, 1);
}

#[test]
fn a_two_thousand_member_change_stays_within_a_pull_request_comment() {
    let mut yaml = std::fs::read_to_string(repo().join("examples/cluster.yaml")).expect("cluster");
    for i in 0..400 {
        yaml.push_str(&format!(
            "---\napiVersion: firecamp.io/v1alpha1\nkind: Cassandra\nmetadata: {{name: cas-{i}}}\n\
             spec: {{replicas: 5, heapSize: 2Gi, resources: {{limits: {{memory: 4Gi}}}}}}\n"
        ));
    }
    let plan = plan_of(&specs(&[("specs.yaml", &yaml)]), &LiveState::default());
    assert_eq!(plan.members.len(), 2_000);
    let comment = markdown::render(&plan, "firecamp plan");
    assert!(comment.len() <= MAX_COMMENT, "{} characters", comment.len());
    assert!(comment.contains("Plan: "), "the summary survives the cut");
    assert!(
        comment.contains("| cas-0 |"),
        "the summary table comes first"
    );
    assert_eq!(
        comment.matches("<details>").count(),
        comment.matches("</details>").count(),
        "no section is left open by the cut"
    );
    assert!(comment.ends_with("run `firecamp plan` for all of it._\n"));
}

#[test]
fn colour_is_only_added_when_asked() {
    let plan = plan_of(&examples(), &live_snapshot());
    assert!(!text::render(&plan, text::Style { color: false }).contains('\u{1b}'));
    assert!(text::render(&plan, text::Style { color: true }).contains("\u{1b}[33m"));
}
