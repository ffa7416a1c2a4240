//! Problems found by semantic rules, addressed by field path; [`crate::validate`] turns them into
//! diagnostics with file, line and column.

use crate::path::FieldPath;

/// One rule violation inside a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field at fault.
    pub path: FieldPath,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The problems of one document.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Records a problem at `path` (dotted, e.g. `spec.volume.size`) with what to do about it:
    /// every rule says how to fix what it refuses.
    pub fn add(&mut self, path: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.0.push(Problem {
            path: FieldPath::parse(path),
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// True when nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded problems.
    #[must_use]
    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }
}
