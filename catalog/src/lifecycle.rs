//! What each kind needs of its day-2 operations, as data the plan engine sequences or refuses.
//! Each kind's module says it ([`crate::kinds`]); this is the shape it takes.

use firecamp_schema::spec::ServiceKind;

/// How a live member of a kind may be removed (a scale-down, a zone taken off the list or
/// reordered so that member names change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRemoval {
    /// The member holds nothing the others lack: the StatefulSet shrinks and its pod goes.
    Plain,
    /// The database must first move the member's data or role to the others; firecamp does not
    /// carry that out yet, so a change that removes a member is refused.
    Refused {
        /// What the database needs first, as its best operator does it.
        needs: &'static str,
    },
}

/// Annotation on each StatefulSet of a kind whose cluster fixes settings when it is first formed
/// (its identity): `key=value` pairs joined by `;`, e.g. `metadata=kraft;voters=0,1,2`.
pub const IDENTITY_ANNOTATION: &str = "firecamp.io/identity";

/// What a kind fixes when its cluster is first formed, and how its live identity is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityRule {
    /// What the database fixes, and why a spec cannot change it in place.
    pub fixed: &'static str,
    /// What the user can do instead.
    pub to_go_on: &'static str,
    /// The identity of a live StatefulSet firecamp applied before it recorded one.
    pub unrecorded: &'static str,
}

/// The identity rule of `kind`, when it has one.
#[must_use]
pub fn identity_rule(kind: ServiceKind) -> Option<IdentityRule> {
    crate::kinds::identity_rule(kind)
}

/// Annotation on each StatefulSet of a kind that knows its members by number
/// ([`member_numbering`]): the number of each member, in ordinal order, joined by `,`.
pub const MEMBER_NUMBERS_ANNOTATION: &str = "firecamp.io/member-numbers";

/// How a kind knows its members by number: Kafka's node.id, ZooKeeper's myid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberNumbering {
    /// What the number is called in the database, e.g. `myid`.
    pub number: &'static str,
    /// The number of the service's first member (member index 0).
    pub first: u32,
    /// Why the database cannot take a new number for a live member.
    pub kept: &'static str,
}

impl MemberNumbering {
    /// The number the database knows the member of `index` by.
    #[must_use]
    pub const fn of(self, index: u32) -> u32 {
        self.first.saturating_add(index)
    }
}

/// How `kind` numbers its members, when the database knows them by number.
#[must_use]
pub fn member_numbering(kind: ServiceKind) -> Option<MemberNumbering> {
    crate::kinds::member_numbering(kind)
}

/// The `key=value` pairs of an identity annotation.
#[must_use]
pub fn identity_pairs(value: &str) -> Vec<(&str, &str)> {
    value
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .collect()
}

/// How a live member of `kind` may be removed.
#[must_use]
pub fn member_removal(kind: ServiceKind) -> MemberRemoval {
    crate::kinds::member_removal(kind)
}
