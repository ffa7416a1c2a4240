//! `--watch`: run again whenever a file under a path changes, saves coming in bursts (editors
//! write, rename, chmod) coalesced into one run.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::CommandError;

/// How long after a change firecamp waits for more before it runs.
const SETTLE: Duration = Duration::from_millis(100);

/// Calls `each` now and after every burst of changes under `path`; returns only on a watcher
/// error (the process is normally stopped with Ctrl-C).
pub(super) fn watch(path: &Path, mut each: impl FnMut()) -> Result<(), CommandError> {
    let (sender, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = sender.send(());
        }
    })?;
    watcher.watch(path, RecursiveMode::Recursive)?;
    loop {
        each();
        changes.recv()?;
        while changes.recv_timeout(SETTLE).is_ok() {}
    }
}
