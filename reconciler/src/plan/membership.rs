//! Changes that would remove live members of a data-bearing kind (a scale-down, a zone taken off
//! the list, a zone list reordered so that member names change). Such a member is removed only
//! by its database's own operation ([`firecamp_catalog::lifecycle`]); until firecamp carries
//! those out, the service is held back with the reason, and nothing of it is changed, unless the
//! command acknowledges the loss (`--allow-member-removal`).

use std::collections::{BTreeMap, BTreeSet};

use firecamp_catalog::lifecycle::{MemberRemoval, member_removal};
use firecamp_catalog::{DesiredService, KubeObject};
use serde_json::Value;

use super::Desired;
use super::manifest::{DESIRED_HASH, desired_hash};
use crate::live::LiveState;

/// Live members a spec would remove from one service, and what its kind needs first.
#[derive(Debug, Clone)]
pub(crate) struct Removal {
    kind: &'static str,
    leaving: Vec<String>,
    needs: &'static str,
}

impl Removal {
    /// Why the service is held back.
    pub(crate) fn refusal(&self) -> String {
        format!(
            "the spec would remove {count} live member(s) ({names}): a {kind} member goes only after {needs}, which firecamp does not carry out yet; nothing of this service is changed, and the members and their volumes stay. Put spec.replicas and the zones back as they were to go on, or acknowledge the loss with --allow-member-removal",
            count = self.leaving.len(),
            names = self.leaving.join(", "),
            kind = self.kind,
            needs = self.needs,
        )
    }

    /// The warning when the removal is acknowledged (`--allow-member-removal`).
    pub(crate) fn acknowledged(&self, service: &str) -> String {
        format!(
            "{service}: {count} live member(s) ({names}) are removed without {needs}, as --allow-member-removal says: what only they hold is lost (their volumes stay)",
            count = self.leaving.len(),
            names = self.leaving.join(", "),
            needs = self.needs,
        )
    }
}

/// A live StatefulSet of a service: the desired-hash firecamp applied it with, and its members.
struct LiveSet<'l> {
    name: &'l str,
    applied: &'l Value,
    members: Vec<String>,
}

/// Service → the live members its spec would remove, for each desired service whose kind cannot
/// lose a member by a StatefulSet edit alone.
pub(crate) fn removals(desired: &Desired, live: &LiveState) -> BTreeMap<String, Removal> {
    let cluster = &desired.cluster.metadata.name;
    let mut live_members: BTreeMap<&str, Vec<LiveSet<'_>>> = BTreeMap::new();
    for object in live.objects.iter().filter(|o| o.owned_in(cluster)) {
        let (kind, _, name) = object.key();
        if kind != "StatefulSet" {
            continue;
        }
        let Some(service) = object.service() else {
            continue;
        };
        let value = object.value();
        let replicas = value["spec"]["replicas"].as_u64().unwrap_or(1);
        let members = (0..replicas)
            .map(|ordinal| format!("{name}-{ordinal}"))
            .collect();
        live_members.entry(service).or_default().push(LiveSet {
            name,
            applied: &value["metadata"]["annotations"][DESIRED_HASH],
            members,
        });
    }
    let mut found = BTreeMap::new();
    for service in &desired.services {
        let MemberRemoval::Refused { needs } = member_removal(service.kind) else {
            continue;
        };
        let Some(live) = live_members.get(service.name.as_str()) else {
            continue;
        };
        let kept: BTreeSet<&str> = service
            .members
            .iter()
            .map(|m| m.member.name.as_str())
            .collect();
        let mut leaving: Vec<String> = Vec::new();
        for set in live {
            // A StatefulSet the spec has not changed since firecamp applied it was scaled by hand:
            // putting it back is drift, not a spec removing members.
            if unchanged_since_applied(service, set.name, set.applied) {
                continue;
            }
            leaving.extend(
                set.members
                    .iter()
                    .filter(|m| !kept.contains(m.as_str()))
                    .cloned(),
            );
        }
        if !leaving.is_empty() {
            found.insert(
                service.name.clone(),
                Removal {
                    kind: service.kind.as_str(),
                    leaving,
                    needs,
                },
            );
        }
    }
    found
}

/// Whether `service` renders StatefulSet `set` exactly as it was when firecamp applied it with the
/// desired-hash `applied`.
fn unchanged_since_applied(service: &DesiredService, set: &str, applied: &Value) -> bool {
    service.objects.iter().any(|object| match object {
        KubeObject::StatefulSet(s) if s.metadata.name.as_deref() == Some(set) => {
            serde_json::to_value(object).is_ok_and(|v| applied == &Value::String(desired_hash(&v)))
        }
        _ => false,
    })
}
