//! The world's processes: each started with its output in a log file of the run folder, stopped
//! when its handle is dropped, and watched by a small shell process that stops them all and
//! removes the run folder once the process that started them is gone (a test binary's statics
//! are never dropped).

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::WorldError;

/// One running component.
#[derive(Debug)]
pub struct Component {
    /// Its name, e.g. `kube-apiserver`.
    pub name: &'static str,
    /// Its log file.
    pub log: PathBuf,
    child: Child,
}

impl Component {
    /// Starts `binary` with `args`, its stdout and stderr in `<dir>/<name>.log`, in a process
    /// group of its own (a terminal's Ctrl-C reaches the watchdog, which stops it in order).
    pub fn start(
        name: &'static str,
        binary: &Path,
        args: &[String],
        dir: &Path,
    ) -> Result<Self, WorldError> {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).map_err(|e| WorldError::io(&log, e))?;
        let err = out.try_clone().map_err(|e| WorldError::io(&log, e))?;
        let child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| WorldError::io(binary, e))?;
        Ok(Self { name, log, child })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error when the process has exited, with the end of its log.
    pub fn check_running(&mut self) -> Result<(), WorldError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(WorldError::Exited {
                component: self.name,
                status: status.to_string(),
                log_tail: tail(&self.log, 40),
            }),
            Err(e) => Err(WorldError::io(&self.log, e)),
        }
    }

    /// Sends `signal` (e.g. `STOP`, `CONT`) to the process.
    pub fn signal(&self, signal: &str) -> Result<(), WorldError> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .map_err(|e| WorldError::io(Path::new("kill"), e))?;
        if status.success() {
            Ok(())
        } else {
            Err(WorldError::Signal {
                component: self.name,
                signal: signal.to_owned(),
            })
        }
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        let _ = self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the watchdog: once this process is gone, it stops `pids` (TERM, then KILL) and removes
/// `dir`.
pub fn start_watchdog(pids: &[u32], dir: &Path) -> Result<Child, WorldError> {
    let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
    let script = r#"parent=$1; dir=$2; shift 2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
kill -CONT "$@" 2>/dev/null; kill -TERM "$@" 2>/dev/null
for _ in 1 2 3 4 5; do kill -0 "$@" 2>/dev/null || break; sleep 1; done
kill -KILL "$@" 2>/dev/null
rm -rf "$dir""#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("firecamp-k8s-world-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .args(&pids)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| WorldError::io(Path::new("sh"), e))
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, WorldError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| WorldError::io(Path::new("127.0.0.1:0"), e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| WorldError::io(Path::new("127.0.0.1:0"), e))
}

/// The last `lines` lines of a log file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
