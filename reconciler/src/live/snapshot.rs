//! The live snapshot file: `{"formatVersion": 2, "live": {...}}`.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LiveState;

/// The version of the snapshot format this release reads and writes. Version 2: a node's `eni`
/// is firecamp's own static-IP interface (version 1 named the node's primary interface, the
/// VPC CNI's), and firecamp's interfaces no node has are listed.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Snapshot {
    format_version: u32,
    live: LiveState,
}

/// The largest snapshot read (a live dump of 1,000 services is about a tenth of this): a file
/// that is larger, or never ends (`/dev/zero`), is refused before it fills memory.
pub const MAX_SNAPSHOT_BYTES: u64 = 256 * 1024 * 1024;

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
    /// The path is not a regular file (a FIFO, a device, a folder), so it is not read.
    #[error(
        "live snapshot {path} is not a regular file; give the path of a file `firecamp live dump` wrote"
    )]
    NotAFile {
        /// The path.
        path: String,
    },
    /// The file is larger than [`MAX_SNAPSHOT_BYTES`].
    #[error("live snapshot {path} is larger than {max} bytes; a live dump is never this large")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit.
        max: u64,
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
    /// The snapshot contradicts itself or holds what no cluster does.
    #[error(
        "live snapshot {path} is not consistent: {problem}; write it again with `firecamp live dump`"
    )]
    Inconsistent {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
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
    read_snapshot_within(path, MAX_SNAPSHOT_BYTES)
}

/// [`read_snapshot`] with a size limit of `max` bytes.
fn read_snapshot_within(path: &Path, max: u64) -> Result<LiveState, SnapshotError> {
    let shown = path.display().to_string();
    let io = |source| SnapshotError::Io {
        path: shown.clone(),
        source,
    };
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(SnapshotError::NotAFile { path: shown });
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(max + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > max {
        return Err(SnapshotError::TooLarge { path: shown, max });
    }
    // A byte-order mark (some editors write one) is not JSON; it says nothing, so it goes.
    let snapshot: Snapshot = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
        .map_err(|e| SnapshotError::Invalid {
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
    consistency_problem(&snapshot.live).map_or(Ok(snapshot.live), |problem| {
        Err(SnapshotError::Inconsistent {
            path: shown,
            problem,
        })
    })
}

/// What makes `live` a state no cluster is in, if anything: an object that is not a JSON object
/// or has no kind or name, the same object, member or node twice, or one static IP recorded for
/// two members. A plan from such a state would delete or move what it cannot name.
fn consistency_problem(live: &LiveState) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, object) in live.objects.iter().enumerate() {
        let (kind, namespace, name) = object.key();
        if !object.is_object() || kind.is_empty() || name.is_empty() {
            return Some(format!(
                "objects[{i}] is not an object with a kind and a name"
            ));
        }
        if !seen.insert((kind, namespace, name)) {
            return Some(format!("{kind} {namespace}/{name} is listed twice"));
        }
    }
    let mut members = std::collections::BTreeSet::new();
    if let Some(twice) = live.members.iter().find(|m| !members.insert(&m.member)) {
        return Some(format!("member {} is listed twice", twice.member));
    }
    let mut nodes = std::collections::BTreeSet::new();
    if let Some(twice) = live.nodes.iter().find(|n| !nodes.insert(&n.name)) {
        return Some(format!("node {} is listed twice", twice.name));
    }
    let mut holders = std::collections::BTreeMap::new();
    for (member, recorded) in &live.static_ips {
        if let Some(other) = holders.insert(recorded.ip, member) {
            return Some(format!(
                "static IP {} is recorded for both {other} and {member}",
                recorded.ip
            ));
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The problem reading a snapshot of `live` finds.
    fn problem_of(live: serde_json::Value) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("live.json");
        let text = json!({"formatVersion": SNAPSHOT_FORMAT_VERSION, "live": live});
        std::fs::write(&path, text.to_string()).expect("write");
        match read_snapshot(&path) {
            Err(SnapshotError::Inconsistent { problem, .. }) => problem,
            other => panic!("{live}: {other:?}"),
        }
    }

    #[test]
    fn a_snapshot_with_a_byte_order_mark_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("live.json");
        let text = format!("\u{feff}{}", write_snapshot(&LiveState::default()));
        std::fs::write(&path, text).expect("write");
        assert!(read_snapshot(&path).is_ok());
    }

    #[test]
    fn hostile_snapshots_are_refused_with_what_is_wrong() {
        let zk = json!({"kind": "StatefulSet", "metadata": {"name": "zk", "namespace": "f"}});
        let member = json!({"member": "zk-0", "node": null, "ready": true});
        let ip = |member: &str| {
            (
                member.to_owned(),
                json!({"ip": "10.0.16.7", "service": "r", "subnetId": "s"}),
            )
        };
        for (live, problem) in [
            (
                json!({"objects": [1]}),
                "objects[0] is not an object with a kind and a name",
            ),
            (
                json!({"objects": [{"kind": "StatefulSet", "metadata": {}}]}),
                "objects[0] is not an object with a kind and a name",
            ),
            (
                json!({"objects": [zk, zk]}),
                "StatefulSet f/zk is listed twice",
            ),
            (
                json!({"members": [member, member]}),
                "member zk-0 is listed twice",
            ),
            (
                json!({"staticIps": serde_json::Map::from_iter([ip("a-0"), ip("b-0")])}),
                "static IP 10.0.16.7 is recorded for both a-0 and b-0",
            ),
        ] {
            assert_eq!(problem_of(live.clone()), problem, "{live}");
        }
    }

    #[test]
    fn a_snapshot_over_the_limit_is_refused_and_one_within_it_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("live.json");
        std::fs::write(&path, write_snapshot(&LiveState::default())).expect("write");
        let size = std::fs::metadata(&path).expect("size").len();
        assert!(read_snapshot_within(&path, size).is_ok());
        let refused = read_snapshot_within(&path, size - 1).expect_err("too large");
        assert!(
            matches!(&refused, SnapshotError::TooLarge { max, .. } if *max == size - 1),
            "{refused}"
        );
    }
}
