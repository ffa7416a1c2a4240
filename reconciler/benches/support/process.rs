//! The `firecamp` binary measured as a process: started with the test world's kubeconfig and
//! moto, its resident memory read from `/proc`, its API calls and ticks from its `/metrics`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `firecamp` process; killed when dropped.
pub struct Firecamp {
    child: Child,
    /// Where `run` serves `/metrics` (none for `plan --watch`).
    port: Option<u16>,
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `VmRSS` and `VmHWM` of process `pid` (`self`: this one), in MiB.
pub fn memory_of(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

impl Firecamp {
    /// Starts `firecamp <args>` against the world's API server (`kubeconfig`) and moto
    /// (`moto_url`), in `dir`; `run` gets a free `--http-address`.
    pub fn start(dir: &Path, kubeconfig: &Path, moto_url: &str, args: &[&str]) -> Self {
        let port = (args.first() == Some(&"run")).then(free_port);
        let mut command = Command::new(env!("CARGO_BIN_EXE_firecamp"));
        command
            .current_dir(dir)
            .env("KUBECONFIG", kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("RUST_LOG", "warn")
            .args(args)
            .args(["--aws-endpoint-url", moto_url])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(port) = port {
            command.args(["--http-address", &format!("127.0.0.1:{port}")]);
        }
        let child = command.spawn().expect("firecamp starts");
        Self { child, port }
    }

    /// `VmRSS` and `VmHWM` of the process, in MiB.
    pub fn memory(&self) -> (u64, u64) {
        memory_of(&self.child.id().to_string())
    }

    /// The `/metrics` page (empty while it does not answer).
    pub fn metrics(&self) -> String {
        let Some(port) = self.port else {
            return String::new();
        };
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            return String::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n");
        let mut page = String::new();
        let _ = stream.read_to_string(&mut page);
        page
    }

    /// The sum of the samples of metric `name` whose labels contain `labels`.
    pub fn sum(&self, name: &str, labels: &str) -> f64 {
        self.metrics()
            .lines()
            .filter(|l| l.starts_with(name) && l.contains(labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until `done` holds, at most `limit`; panics when it never does.
    pub fn wait_for(&self, limit: Duration, what: &str, done: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process's standard output, line by line (once).
    pub fn lines(&mut self) -> std::io::Lines<BufReader<ChildStdout>> {
        BufReader::new(self.child.stdout.take().expect("stdout")).lines()
    }
}

impl Drop for Firecamp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
