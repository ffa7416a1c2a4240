//! A Plan is plain data: ordered steps across providers, with before/after, a reason for people
//! and the steps each depends on. Rendering and applying it are separate modules.

use serde::{Deserialize, Serialize};

/// The version of the JSON plan format (`docs/plan-json.md`).
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Which system a step changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// The Kubernetes API.
    Kubernetes,
    /// Route53.
    Route53,
    /// EC2 (static IPs).
    Ec2,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Create a resource.
    Create,
    /// Change a resource in place.
    Update,
    /// Delete and recreate (an immutable field changed); pods and volumes are kept.
    Replace,
    /// Delete a resource.
    Delete,
    /// Grow a volume claim.
    ExpandVolume,
    /// Record a member's static IP (the lowest free address of its zone's subnet).
    AllocateIp,
    /// Put a member's static IP on the ENI of the node it runs on.
    AssignIp,
    /// Move a member's static IP from another node's ENI to its node's.
    MoveIp,
    /// Give a deleted service's static IP back.
    ReleaseIp,
    /// Run an init task (a Job).
    RunJob,
    /// Restart a member (delete its pod) so it runs the current pod template.
    RestartMember,
}

impl std::fmt::Display for Action {
    /// The action as the JSON plan names it, e.g. `restart-member`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Delete => "delete",
            Self::ExpandVolume => "expand-volume",
            Self::AllocateIp => "allocate-ip",
            Self::AssignIp => "assign-ip",
            Self::MoveIp => "move-ip",
            Self::ReleaseIp => "release-ip",
            Self::RunJob => "run-job",
            Self::RestartMember => "restart-member",
        })
    }
}

impl Action {
    /// The symbol of the action in the text plan.
    #[must_use]
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Create | Self::AllocateIp | Self::RunJob => "+",
            Self::Update
            | Self::ExpandVolume
            | Self::AssignIp
            | Self::MoveIp
            | Self::RestartMember => "~",
            Self::Replace => "-/+",
            Self::Delete | Self::ReleaseIp => "-",
        }
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// Path, e.g. `spec.replicas` or `spec.template.spec.containers[kafka].image`.
    pub path: String,
    /// Live value (absent when the field is new).
    pub before: Option<serde_json::Value>,
    /// Desired value (absent when the field is removed).
    pub after: Option<serde_json::Value>,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Stable id, e.g. `kubernetes:StatefulSet/firecamp/kafka-broker-a`.
    pub id: String,
    /// The system changed.
    pub provider: Provider,
    /// What is done.
    pub action: Action,
    /// The resource, e.g. `StatefulSet firecamp/kafka-broker-a`.
    pub resource: String,
    /// The service it belongs to; none for cluster-level resources.
    pub service: Option<String>,
    /// Live state (absent for creates).
    pub before: Option<serde_json::Value>,
    /// Desired state (absent for deletes).
    pub after: Option<serde_json::Value>,
    /// The fields that change (updates and replacements).
    pub changes: Vec<FieldChange>,
    /// Why, for people; apply never branches on it.
    pub reason: String,
    /// True when live changed outside git (the desired state is the one last applied).
    pub drift: bool,
    /// Steps that must be done first.
    pub depends_on: Vec<String>,
}

/// A member as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedMember {
    /// Member (pod) name.
    pub name: String,
    /// Service.
    pub service: String,
    /// Zone.
    pub zone: String,
    /// Node it runs on, when scheduled.
    pub node: Option<String>,
    /// Its address: static IP, else its node's IP, when known.
    pub ip: Option<String>,
    /// DNS name.
    pub dns_name: String,
}

/// A service the plan leaves exactly as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Untouched {
    /// The service.
    pub service: String,
    /// Why.
    pub reason: String,
}

/// Counts of the plan's steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Creations (objects, IP allocations, jobs).
    pub add: usize,
    /// In-place changes (updates, expansions, IP assignments, restarts).
    pub change: usize,
    /// Replacements.
    pub replace: usize,
    /// Deletions and releases.
    pub destroy: usize,
    /// Resources already as desired.
    pub in_sync: usize,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Format version of this structure.
    pub format_version: u32,
    /// Steps, in an order that respects every dependency.
    pub steps: Vec<Step>,
    /// Every desired member with its placement.
    pub members: Vec<PlannedMember>,
    /// Services left exactly as they are.
    pub untouched: Vec<Untouched>,
    /// Things to know that are not steps (held-back deletions, conflicts, volume shrinks).
    pub warnings: Vec<String>,
    /// Counts.
    pub summary: Summary,
}

impl Plan {
    /// True when nothing needs doing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How `self` (a saved plan) differs from `current` (the plan made now) in what it would
    /// do: steps, their order, actions, desired states and changed fields. Live states (`before`)
    /// are not compared: they move with every status update. `None` when they do the same.
    #[must_use]
    pub fn difference(&self, current: &Self) -> Option<String> {
        if self.format_version != current.format_version {
            return Some(format!(
                "the saved plan has format version {}, this firecamp writes {}",
                self.format_version, current.format_version
            ));
        }
        for (saved, now) in self.steps.iter().zip(&current.steps) {
            if saved.id != now.id || saved.action != now.action {
                return Some(format!(
                    "the saved plan's step {} ({:?}) is now {} ({:?})",
                    saved.id, saved.action, now.id, now.action
                ));
            }
            if saved.after != now.after || saved.changes != now.changes {
                return Some(format!("step {} would now write something else", saved.id));
            }
        }
        (self.steps.len() != current.steps.len()).then(|| {
            format!(
                "the saved plan has {} steps, a plan made now has {}",
                self.steps.len(),
                current.steps.len()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn actions_display_as_the_json_plan_names_them() {
        for action in [
            Action::Create,
            Action::Update,
            Action::Replace,
            Action::Delete,
            Action::ExpandVolume,
            Action::AllocateIp,
            Action::AssignIp,
            Action::MoveIp,
            Action::ReleaseIp,
            Action::RunJob,
            Action::RestartMember,
        ] {
            assert_eq!(
                serde_json::to_value(action).expect("json"),
                action.to_string(),
                "{action:?}"
            );
        }
    }
}
