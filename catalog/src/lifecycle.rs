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
