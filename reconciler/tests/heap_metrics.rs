//! The binary's `/metrics` reports its heap as its allocator (jemalloc) counts it, so the memory a
//! long-running loop holds can be told apart from memory freed but not yet given back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The value of the unlabelled metric `name` on `page`.
fn value(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn scrape(port: u16) -> String {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut page = String::new();
    let _ = stream.read_to_string(&mut page);
    page
}

/// `VmRSS` of process `pid`, in bytes.
fn resident_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib * 1024.0)
}

#[test]
fn metrics_report_the_heap_held_and_kept_resident_within_the_process_resident_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    // Nobody listens on port 1: every tick fails to read the cluster, the endpoint still serves.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"http://127.0.0.1:1\"}}]\n\
         users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n\
         current-context: x\n",
    )
    .expect("kubeconfig");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firecamp"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["run", "examples", "--no-aws", "--interval", "1"])
        .args(["--http-address", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("firecamp runs");
    let started = Instant::now();
    let heap = loop {
        let page = scrape(port);
        let allocated = value(&page, "firecamp_heap_allocated_bytes");
        let resident = value(&page, "firecamp_heap_resident_bytes");
        if let (Some(allocated), Some(resident)) = (allocated, resident) {
            break Some((allocated, resident, resident_of(child.id())));
        }
        if started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    let (allocated, resident, process) = heap.expect("the heap gauges within 30 s");
    // The examples' specs are parsed and rendered: the heap holds at least that much.
    assert!(allocated > 100_000.0, "allocated {allocated}");
    assert!(
        resident >= allocated,
        "resident {resident} < allocated {allocated}"
    );
    assert!(
        resident <= process,
        "the allocator's resident {resident} exceeds the process's VmRSS {process}"
    );
}
