//! The git source on real repositories: a bare repository by path and the same served by
//! `git daemon` on 127.0.0.1. A push is picked up by the next poll, an unchanged remote is one
//! round trip and no checkout, tags and sub-paths work, and credentials never reach an error.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::git;
use firecamp::source::{GitAuth, GitSource, Poll};
use firecamp_schema::{Limits, validate_path};

/// A bare repository `specs.git` with a `specs/` folder (the examples' Cluster and ZooKeeper)
/// pushed to `main`, and the working copy that pushes to it.
struct Remote {
    _dir: tempfile::TempDir,
    bare: PathBuf,
    work: PathBuf,
}

impl Remote {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bare = dir.path().join("specs.git");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&bare).expect("bare dir");
        git(&bare, &["init", "--bare", "--quiet"]);
        std::fs::create_dir_all(work.join("specs")).expect("work dir");
        git(&work, &["init", "--quiet"]);
        std::fs::write(work.join("specs/cluster.yaml"), common::cluster_yaml()).expect("cluster");
        let zk =
            std::fs::read_to_string(common::repo().join("examples/coordination/zookeeper.yaml"))
                .expect("zookeeper.yaml");
        std::fs::write(work.join("specs/zookeeper.yaml"), zk).expect("zk");
        git(&work, &["add", "."]);
        git(
            &work,
            &["commit", "--quiet", "-m", "Add the ZooKeeper ensemble"],
        );
        git(
            &work,
            &["remote", "add", "origin", bare.to_str().expect("utf-8")],
        );
        git(&work, &["push", "--quiet", "origin", "main"]);
        Self {
            _dir: dir,
            bare,
            work,
        }
    }

    fn push_change(&self, from: &str, to: &str, subject: &str) {
        let file = self.work.join("specs/zookeeper.yaml");
        let text = std::fs::read_to_string(&file)
            .expect("zk")
            .replace(from, to);
        std::fs::write(&file, text).expect("write");
        git(&self.work, &["commit", "--quiet", "-am", subject]);
        git(&self.work, &["push", "--quiet", "origin", "main"]);
    }
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime")
}

#[test]
fn a_push_is_picked_up_and_an_unchanged_remote_costs_no_checkout() {
    let remote = Remote::new();
    let cache = tempfile::tempdir().expect("cache");
    let checkout = cache.path().join("checkout");
    let url = remote.bare.to_str().expect("utf-8");
    let mut source = GitSource::new(url, "main", Path::new("specs"), &checkout, GitAuth::None);
    let first = source.poll().expect("first poll");
    let Poll::Changed(revision) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(revision.subject, "Add the ZooKeeper ensemble");
    assert_eq!(revision.commit, git(&remote.work, &["rev-parse", "HEAD"]));
    let validation = validate_path(&source.specs_dir(), &Limits::default()).expect("readable");
    assert!(
        validation.is_valid() && validation.services.len() == 1,
        "{:#?}",
        validation.diagnostics
    );

    let file = source.specs_dir().join("zookeeper.yaml");
    let before = modified(&file);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        source.poll().expect("second poll"),
        Poll::Unchanged(revision.clone())
    );
    assert_eq!(modified(&file), before, "nothing was checked out");

    remote.push_change(
        "heapSize: 2Gi",
        "heapSize: 3Gi",
        "Give ZooKeeper a 3 GiB heap",
    );
    let Poll::Changed(next) = source.poll().expect("third poll") else {
        panic!("not picked up")
    };
    assert_eq!(next.subject, "Give ZooKeeper a 3 GiB heap");
    assert!(
        std::fs::read_to_string(&file)
            .expect("zk")
            .contains("heapSize: 3Gi")
    );

    // A restarted firecamp finds its checkout and does not check out again.
    let mut restarted = GitSource::new(url, "main", Path::new("specs"), &checkout, GitAuth::None);
    assert_eq!(
        restarted.poll().expect("after restart"),
        Poll::Unchanged(next)
    );
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(base: &Path) -> (Daemon, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // git-daemon itself, not `git daemon` (which would leave it running when killed), with no
    // inherited output (a leftover would hold the test runner's pipes open).
    let exec_path = git(base, &["--exec-path"]);
    let child = Command::new(Path::new(&exec_path).join("git-daemon"))
        .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .spawn()
        .expect("git daemon starts");
    let daemon = Daemon(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "git daemon did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    (daemon, port)
}

#[test]
fn a_tag_served_by_git_daemon_is_checked_out_at_its_commit() {
    let remote = Remote::new();
    git(&remote.work, &["tag", "-a", "v1", "-m", "first release"]);
    git(&remote.work, &["push", "--quiet", "origin", "v1"]);
    remote.push_change("heapSize: 2Gi", "heapSize: 3Gi", "After the release");
    let base = remote.bare.parent().expect("parent").to_owned();
    let (_daemon, port) = serve(&base);
    let cache = tempfile::tempdir().expect("cache");
    let url = format!("git://127.0.0.1:{port}/specs.git");
    let mut tagged = GitSource::new(
        &url,
        "v1",
        Path::new("specs"),
        &cache.path().join("v1"),
        GitAuth::None,
    );
    let Poll::Changed(at_tag) = tagged.poll().expect("tag") else {
        panic!("nothing checked out")
    };
    assert_eq!(at_tag.subject, "Add the ZooKeeper ensemble");
    let zk = std::fs::read_to_string(tagged.specs_dir().join("zookeeper.yaml")).expect("zk");
    assert!(
        zk.contains("heapSize: 2Gi"),
        "the tagged content, not main's"
    );
    let mut main = GitSource::new(
        &url,
        "main",
        Path::new("specs"),
        &cache.path().join("main"),
        GitAuth::None,
    );
    assert_eq!(
        main.poll().expect("main").revision().subject,
        "After the release"
    );
    let mut missing = GitSource::new(
        &url,
        "no-such-branch",
        Path::new(""),
        &cache.path().join("x"),
        GitAuth::None,
    );
    let error = missing.poll().expect_err("missing ref").to_string();
    assert!(
        error.contains("no branch or tag named no-such-branch"),
        "{error}"
    );
}

#[test]
fn credentials_never_appear_in_errors() {
    let cache = tempfile::tempdir().expect("cache");
    let token = "tok_9f8e7d6c5b4a";
    let url = format!("https://x-access-token:{token}@127.0.0.1:9/org/specs.git");
    let auth = GitAuth::Token {
        username: "x-access-token".to_owned(),
        token: token.to_owned(),
    };
    assert!(!format!("{auth:?}").contains(token));
    let mut source = GitSource::new(&url, "main", Path::new(""), &cache.path().join("c"), auth);
    let error = source
        .poll()
        .expect_err("nothing listens on port 9")
        .to_string();
    assert!(!error.contains(token), "{error}");
    assert!(
        error.contains("https://127.0.0.1:9/org/specs.git"),
        "{error}"
    );
}
