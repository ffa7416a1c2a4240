//! The README's "Day-2 operations" table says, for every kind, exactly what its catalog module
//! says of removing a member.

mod common;

use firecamp_catalog::lifecycle::{MemberRemoval, member_removal};
use firecamp_schema::spec::ServiceKind;

#[test]
fn the_readme_states_each_kinds_member_removal_rule() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).expect("README.md");
    let plain_row = readme
        .lines()
        .find(|l| l.ends_with("| shrinks: the member keeps no state of its own |"))
        .expect("the row of the kinds that shrink");
    let plain: Vec<&str> = plain_row
        .trim_start_matches('|')
        .split('|')
        .next()
        .expect("the kinds")
        .split(',')
        .map(str::trim)
        .collect();
    for kind in ServiceKind::ALL {
        match member_removal(*kind) {
            MemberRemoval::Refused { needs } => {
                let row = format!("| {} | refused: {needs} |", kind.as_str());
                assert!(readme.contains(&row), "README.md lacks the row\n{row}");
                assert!(
                    !plain.contains(&kind.as_str()),
                    "{kind:?} is listed as shrinking"
                );
            }
            MemberRemoval::Plain => assert!(
                plain.contains(&kind.as_str()),
                "{kind:?} is not in the row of the kinds that shrink: {plain_row}"
            ),
        }
    }
}
