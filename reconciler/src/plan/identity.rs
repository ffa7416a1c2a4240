//! Changes to what a database fixes when its cluster is first formed (Kafka's metadata mode, its
//! ZooKeeper service, its KRaft controllers: [`firecamp_catalog::lifecycle::identity_rule`]). The
//! catalog records that identity on each StatefulSet; a spec whose identity differs from a live
//! StatefulSet's holds its service back with the reason, and nothing of it is changed. No flag
//! acknowledges it: new settings would start the members on data that is not theirs.

use std::collections::BTreeMap;

use firecamp_catalog::lifecycle::{IDENTITY_ANNOTATION, identity_pairs, identity_rule};
use firecamp_catalog::{DesiredService, KubeObject};

use super::Desired;
use crate::live::LiveState;

/// Service → why its spec is held back, for each desired service whose identity differs from
/// one of its live StatefulSets'.
pub(crate) fn identity_changes(desired: &Desired, live: &LiveState) -> BTreeMap<String, String> {
    let cluster = &desired.cluster.metadata.name;
    let mut live_identities: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
    for object in live.objects.iter().filter(|o| o.owned_in(cluster)) {
        let (kind, _, name) = object.key();
        if kind != "StatefulSet" {
            continue;
        }
        let Some(service) = object.service() else {
            continue;
        };
        let recorded = object.value()["metadata"]["annotations"][IDENTITY_ANNOTATION]
            .as_str()
            .map(str::to_owned);
        live_identities
            .entry(service)
            .or_default()
            .push((name, recorded.unwrap_or_default()));
    }
    let mut found = BTreeMap::new();
    for service in &desired.services {
        let Some(rule) = identity_rule(service.kind) else {
            continue;
        };
        let (Some(wanted), Some(sets)) = (
            desired_identity(service),
            live_identities.get(service.name.as_str()),
        ) else {
            continue;
        };
        let mut changes: Vec<String> = Vec::new();
        for (set, recorded) in sets {
            let recorded = if recorded.is_empty() {
                rule.unrecorded
            } else {
                recorded.as_str()
            };
            for change in differences(recorded, &wanted) {
                let change = format!("{change} (StatefulSet {set})");
                if !changes.contains(&change) {
                    changes.push(change);
                }
            }
        }
        if !changes.is_empty() {
            found.insert(
                service.name.clone(),
                format!(
                    "the spec changes {}. {}; nothing of this service is changed. To go on, {}",
                    changes.join(", "),
                    rule.fixed,
                    rule.to_go_on
                ),
            );
        }
    }
    found
}

/// The identity the catalog recorded on the service's StatefulSets.
fn desired_identity(service: &DesiredService) -> Option<String> {
    service.objects.iter().find_map(|object| match object {
        KubeObject::StatefulSet(s) => s
            .metadata
            .annotations
            .as_ref()?
            .get(IDENTITY_ANNOTATION)
            .cloned(),
        _ => None,
    })
}

/// `key: "live" → "wanted"` for each key both identities have with different values.
fn differences(live: &str, wanted: &str) -> Vec<String> {
    let wanted = identity_pairs(wanted);
    identity_pairs(live)
        .into_iter()
        .filter_map(|(key, was)| {
            let (_, now) = wanted.iter().find(|(k, _)| *k == key)?;
            (was != *now).then(|| format!("{key} from \"{was}\" to \"{now}\""))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::differences;

    #[test]
    fn only_keys_both_sides_have_are_compared() {
        assert_eq!(
            differences("metadata=zookeeper", "metadata=kraft;voters=0,1,2"),
            ["metadata from \"zookeeper\" to \"kraft\""]
        );
        assert!(differences("metadata=zookeeper", "metadata=zookeeper;zookeeper=zk").is_empty());
        assert_eq!(
            differences("metadata=kraft;voters=0", "metadata=kraft;voters=0,1,2"),
            ["voters from \"0\" to \"0,1,2\""]
        );
    }
}
