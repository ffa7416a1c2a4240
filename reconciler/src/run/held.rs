//! Steps a tick leaves out of the plan it applies: drift corrections (without self-heal) and the
//! steps of services backing off, each with every step that waits on them.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::{Plan, Step};

/// An object changed outside git: its resource and the fields that differ from the specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Drifted {
    /// e.g. `StatefulSet firecamp/zk-server-a`.
    pub resource: String,
    /// The changed fields' paths (never their values: they may be secret).
    pub fields: Vec<String>,
}

/// The plan without drift corrections (and the steps that wait for them), and the drifted
/// objects.
pub(super) fn without_drift(mut plan: Plan) -> (Plan, Vec<Drifted>) {
    let drifted: Vec<Drifted> = plan
        .steps
        .iter()
        .filter(|s| s.drift)
        .map(|s| Drifted {
            resource: s.resource.clone(),
            fields: s.changes.iter().map(|c| c.path.clone()).collect(),
        })
        .collect();
    remove_with_dependents(&mut plan, |s| s.drift);
    if !drifted.is_empty() {
        plan.warnings.push(format!("{} change(s) made outside git are reported, not corrected (run with --self-heal to correct them)", drifted.len()));
    }
    (plan, drifted)
}

/// The plan without the steps of services backing off (and the steps that wait for them).
pub(super) fn hold_back(mut plan: Plan, waiting: &BTreeMap<String, String>) -> Plan {
    if waiting.is_empty() {
        return plan;
    }
    remove_with_dependents(&mut plan, |s| {
        s.service
            .as_ref()
            .is_some_and(|name| waiting.contains_key(name))
    });
    for (service, why) in waiting {
        plan.warnings.push(format!("{service}: {why}"));
    }
    plan
}

/// Removes the steps `remove` picks and every step that depends on them, directly or not;
/// returns how many `remove` picked.
fn remove_with_dependents(plan: &mut Plan, remove: impl Fn(&Step) -> bool) -> usize {
    let mut removed: BTreeSet<String> = plan
        .steps
        .iter()
        .filter(|s| remove(s))
        .map(|s| s.id.clone())
        .collect();
    let picked = removed.len();
    loop {
        let before = removed.len();
        for step in &plan.steps {
            if step.depends_on.iter().any(|d| removed.contains(d)) {
                removed.insert(step.id.clone());
            }
        }
        if removed.len() == before {
            break;
        }
    }
    plan.steps.retain(|s| !removed.contains(&s.id));
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Provider, Summary};

    fn step(id: &str, service: &str, depends_on: &[&str], drift: bool) -> Step {
        Step {
            id: id.to_owned(),
            provider: Provider::Kubernetes,
            action: Action::Update,
            resource: id.to_owned(),
            service: Some(service.to_owned()),
            before: None,
            after: None,
            changes: Vec::new(),
            reason: String::new(),
            drift,
            depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn plan(steps: Vec<Step>) -> Plan {
        Plan {
            format_version: 1,
            steps,
            members: Vec::new(),
            untouched: Vec::new(),
            warnings: Vec::new(),
            summary: Summary::default(),
        }
    }

    fn ids(plan: &Plan) -> Vec<&str> {
        plan.steps.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn drift_and_everything_waiting_on_it_is_left_out_with_a_warning() {
        let (kept, drift) = without_drift(plan(vec![
            step("a", "zk", &[], true),
            step("b", "zk", &["a"], false),
            step("c", "kafka", &["b"], false),
            step("d", "kafka", &[], false),
        ]));
        assert_eq!(
            drift,
            [Drifted {
                resource: "a".to_owned(),
                fields: Vec::new()
            }]
        );
        assert_eq!(ids(&kept), ["d"], "b waits on a, c on b");
        assert_eq!(kept.warnings.len(), 1);
    }

    #[test]
    fn a_service_backing_off_is_held_with_its_dependents_in_other_services() {
        let waiting = BTreeMap::from([("zk".to_owned(), "backing off".to_owned())]);
        let kept = hold_back(
            plan(vec![
                step("a", "zk", &[], false),
                step("b", "kafka", &["a"], false),
                step("c", "redis", &[], false),
            ]),
            &waiting,
        );
        assert_eq!(ids(&kept), ["c"]);
        assert_eq!(kept.warnings, ["zk: backing off"]);
    }
}
