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

/// How a live member of `kind` may be removed.
#[must_use]
pub fn member_removal(kind: ServiceKind) -> MemberRemoval {
    crate::kinds::member_removal(kind)
}
