//! The live snapshot file: `{"formatVersion": 1, "live": {...}}`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LiveState;

/// The version of the snapshot format this release reads and writes.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Snapshot {
    format_version: u32,
    live: LiveState,
}

/// Why a snapshot cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file cannot be read or written.
    #[error("cannot access live snapshot {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a snapshot.
    #[error("live snapshot {path} is not valid (line {line}, column {column}): {message}")]
    Invalid {
        /// The file.
        path: String,
        /// Line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file was written by another format version.
    #[error(
        "live snapshot {path} has format version {found}; this firecamp reads version {SNAPSHOT_FORMAT_VERSION}"
    )]
    Version {
        /// The file.
        path: String,
        /// Its version.
        found: u32,
    },
}

/// Reads a snapshot file.
///
/// # Errors
/// When the file cannot be read, is not a snapshot, or has another format version.
pub fn read_snapshot(path: &Path) -> Result<LiveState, SnapshotError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
        path: shown.clone(),
        source,
    })?;
    let snapshot: Snapshot = serde_json::from_str(&text).map_err(|e| SnapshotError::Invalid {
        path: shown.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if snapshot.format_version != SNAPSHOT_FORMAT_VERSION {
        return Err(SnapshotError::Version {
            path: shown,
            found: snapshot.format_version,
        });
    }
    Ok(snapshot.live)
}

/// The snapshot file's text for `live`.
#[must_use]
pub fn write_snapshot(live: &LiveState) -> String {
    let snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        live: live.clone(),
    };
    format!(
        "{:#}\n",
        serde_json::to_value(&snapshot).unwrap_or_default()
    )
}
