//! Members a spec would renumber. Kafka (node.id) and ZooKeeper (myid) know a member by its number
//! ([`firecamp_catalog::lifecycle::member_numbering`]), which follows from the member's place in
//! the zone list; the catalog records each StatefulSet's numbers, by ordinal. A spec under which a
//! live member keeps its name but gets another number (the zones reordered, a zone put in the
//! middle) holds its service back with the member and both numbers, and nothing of it changes.
//! Live StatefulSets applied before numbers were recorded are not compared.

use std::collections::BTreeMap;

use firecamp_catalog::lifecycle::{MEMBER_NUMBERS_ANNOTATION, MemberNumbering, member_numbering};
use firecamp_catalog::{DesiredService, KubeObject};

use super::Desired;
use crate::live::LiveState;

/// Service → why its spec is held back, for each desired service that would give a live member
/// another number.
pub(crate) fn renumberings(desired: &Desired, live: &LiveState) -> BTreeMap<String, String> {
    let cluster = &desired.cluster.metadata.name;
    let mut recorded: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for object in live.objects.iter().filter(|o| o.owned_in(cluster)) {
        let (kind, _, name) = object.key();
        let numbers = object.value()["metadata"]["annotations"][MEMBER_NUMBERS_ANNOTATION].as_str();
        if let (true, Some(service), Some(numbers)) =
            (kind == "StatefulSet", object.service(), numbers)
        {
            recorded.insert((service, name), numbers);
        }
    }
    let mut found = BTreeMap::new();
    for service in &desired.services {
        let Some(numbering) = member_numbering(service.kind) else {
            continue;
        };
        let changes: Vec<String> = desired_numbers(service)
            .into_iter()
            .filter_map(|(set, wanted)| {
                let live = recorded.get(&(service.name.as_str(), set))?;
                Some(renumbered(set, live, wanted, numbering))
            })
            .flatten()
            .collect();
        if !changes.is_empty() {
            found.insert(
                service.name.clone(),
                format!(
                    "the spec renumbers live members: {}. {}; nothing of this service is changed. To go on, put the zones (the service's, else the Cluster's) back in the order they were applied, and add new zones at the end of the list",
                    changes.join(", "),
                    numbering.kept
                ),
            );
        }
    }
    found
}

/// StatefulSet name → the numbers the catalog recorded on it.
fn desired_numbers(service: &DesiredService) -> Vec<(&str, &str)> {
    service
        .objects
        .iter()
        .filter_map(|object| match object {
            KubeObject::StatefulSet(s) => Some((
                s.metadata.name.as_deref()?,
                s.metadata
                    .annotations
                    .as_ref()?
                    .get(MEMBER_NUMBERS_ANNOTATION)?
                    .as_str(),
            )),
            _ => None,
        })
        .collect()
}

/// `member X would have <number> N instead of M` for each ordinal both lists have with
/// different numbers.
fn renumbered(set: &str, live: &str, wanted: &str, numbering: MemberNumbering) -> Vec<String> {
    live.split(',')
        .zip(wanted.split(','))
        .enumerate()
        .filter(|(_, (was, now))| was != now)
        .map(|(ordinal, (was, now))| {
            format!(
                "member {set}-{ordinal} would have {} {now} instead of {was}",
                numbering.number
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::renumbered;
    use firecamp_catalog::lifecycle::MemberNumbering;

    const MYID: MemberNumbering = MemberNumbering {
        number: "myid",
        first: 1,
        kept: "",
    };

    #[test]
    fn only_ordinals_both_sides_have_are_compared() {
        assert_eq!(
            renumbered("zk-server-a", "1,4", "2,5,8", MYID),
            [
                "member zk-server-a-0 would have myid 2 instead of 1",
                "member zk-server-a-1 would have myid 5 instead of 4"
            ]
        );
        assert!(renumbered("zk-server-a", "1", "1,4", MYID).is_empty());
        assert!(renumbered("zk-server-a", "1,4", "1", MYID).is_empty());
    }
}
