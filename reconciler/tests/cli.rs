//! The `firecamp` binary end to end: exit codes, schema output, JSON output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn firecamp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firecamp"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("firecamp runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn validate_examples_exits_zero_and_says_so() {
    let output = firecamp(&["validate", "examples/"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    insta::assert_snapshot!(stdout(&output), @"examples/: valid: 1 Cluster and 17 services in 13 files");
}

#[test]
fn validate_an_unreadable_path_exits_two_with_the_path() {
    let output = firecamp(&["validate", "no/such/specs"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot read no/such/specs: "),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(firecamp(&["validate"]).status.code(), Some(2));
    assert_eq!(firecamp(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn validate_json_lists_diagnostics_rejected_documents_and_never_secrets() {
    let output = firecamp(&[
        "validate",
        "--format",
        "json",
        "tests/invalid/plaintext-password.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(!text.contains("do-not-print"));
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON report");
    assert_eq!(report["formatVersion"], 1);
    assert_eq!(report["valid"], false);
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["field"], "spec.adminPassword");
    assert_eq!(diagnostic["pos"]["line"], 10);
    assert_eq!(report["rejected"][0]["name"], "pg");
}

#[test]
fn schema_prints_one_schema_covering_every_kind() {
    let output = firecamp(&["schema"]);
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON schema");
    let kinds = schema["properties"]["kind"]["enum"]
        .as_array()
        .expect("kinds")
        .len();
    assert_eq!(kinds, 15);
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn schema_for_one_kind_and_a_misspelt_kind() {
    let output = firecamp(&["schema", "--kind", "Cassandra"]);
    let schema: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON schema");
    assert!(schema["definitions"].get("CassandraSpec").is_some());
    assert!(schema["definitions"].get("RedisSpec").is_none());
    let output = firecamp(&["schema", "--kind", "cassandra"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean Cassandra?"));
}

#[test]
fn schema_out_writes_the_committed_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().to_str().expect("utf-8 path");
    assert_eq!(firecamp(&["schema", "--out", out]).status.code(), Some(0));
    let mut written: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    written.sort();
    assert_eq!(written.len(), 16);
    for path in written {
        let committed = repo()
            .join("schema/json")
            .join(path.file_name().expect("name"));
        let same =
            std::fs::read(&path).expect("written") == std::fs::read(&committed).unwrap_or_default();
        assert!(same, "{} differs from the committed schema", path.display());
    }
}

#[test]
fn cluster_commands_without_a_reachable_cluster_fail_clearly_and_change_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-kubeconfig");
    for args in [
        vec!["apply", "examples", "--auto-approve", "--no-aws"],
        vec!["run", "examples", "--once", "--no-aws"],
        vec!["status", "examples"],
        vec!["live", "dump", "examples", "--no-aws"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_firecamp"))
            .current_dir(repo())
            .env("KUBECONFIG", &missing)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .args(&args)
            .output()
            .expect("firecamp runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        let said = format!("{stderr}{}", stdout(&output));
        assert!(
            said.contains("cannot configure the Kubernetes client"),
            "{args:?}: {said}"
        );
    }
}

#[test]
fn plan_watch_plans_again_after_a_save() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("temp dir");
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).expect("specs");
    std::fs::copy(
        repo().join("examples/cluster.yaml"),
        specs.join("cluster.yaml"),
    )
    .expect("cluster");
    let zk =
        std::fs::read_to_string(repo().join("examples/coordination/zookeeper.yaml")).expect("zk");
    std::fs::write(specs.join("zk.yaml"), &zk).expect("zk");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firecamp"))
        .args(["plan", "--offline", "--watch", "--no-color"])
        .arg(&specs)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("firecamp runs");
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let plan_until_watching = || {
        let mut text = String::new();
        loop {
            let line = received
                .recv_timeout(Duration::from_secs(20))
                .expect("a plan within 20 s");
            if line.starts_with("Watching ") {
                return text;
            }
            text.push_str(&line);
            text.push('\n');
        }
    };
    let first = plan_until_watching();
    assert!(
        first.contains("Service zk") && !first.contains("Service zk2"),
        "{first}"
    );
    std::fs::write(specs.join("zk2.yaml"), zk.replace("name: zk", "name: zk2")).expect("save");
    let second = plan_until_watching();
    let _ = child.kill();
    let _ = child.wait();
    assert!(second.contains("Service zk2"), "{second}");
    let millis = |plan: &str| -> u64 {
        plan.lines()
            .find_map(|l| {
                l.strip_prefix("Planned in ")?
                    .strip_suffix(" ms.")?
                    .parse()
                    .ok()
            })
            .expect("how long the plan took")
    };
    eprintln!(
        "plan --watch: first plan {} ms, after the save {} ms",
        millis(&first),
        millis(&second)
    );
}

/// A kubeconfig in `dir` for a server nobody listens on (every request is refused), with `user`.
fn refused_kubeconfig(dir: &std::path::Path, user: &str) -> std::path::PathBuf {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: \"http://127.0.0.1:1\"}}}}]\n\
             users: [{{name: u, user: {user}}}]\n\
             contexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"
        ),
    )
    .expect("kubeconfig");
    kubeconfig
}

#[test]
fn run_logs_json_lines_that_name_the_failure_and_never_the_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = refused_kubeconfig(dir.path(), "{token: secret-token-4711}");
    for format in ["json", "human"] {
        let output = Command::new(env!("CARGO_BIN_EXE_firecamp"))
            .current_dir(repo())
            .env("KUBECONFIG", &kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("RUST_LOG")
            .args([
                "--log-format",
                format,
                "run",
                "examples",
                "--once",
                "--no-aws",
            ])
            .output()
            .expect("firecamp runs");
        assert_eq!(output.status.code(), Some(1), "a failed tick exits 1");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("secret-token-4711") && !stdout(&output).contains("secret-token-4711"),
            "the token leaked: {stderr}"
        );
        let lines: Vec<&str> = stderr.lines().collect();
        let failure = lines
            .iter()
            .find(|l| l.contains("tick failed"))
            .unwrap_or_else(|| panic!("no failure logged: {stderr}"));
        if format == "json" {
            for line in &lines {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            }
            let event: serde_json::Value = serde_json::from_str(failure).expect("json");
            assert_eq!(event["level"], "ERROR", "{event}");
            assert!(
                event["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("127.0.0.1")
                        || e.contains("refused")
                        || e.contains("connect")),
                "{event}"
            );
        } else {
            assert!(serde_json::from_str::<serde_json::Value>(failure).is_err());
            assert!(failure.contains("ERROR"), "{failure}");
        }
    }
}

#[test]
fn run_stops_on_sigterm() {
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = refused_kubeconfig(dir.path(), "{}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firecamp"))
        .current_dir(repo())
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args([
            "run",
            "examples",
            "--no-aws",
            "--interval",
            "1",
            "--http-address",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("firecamp runs");
    // Let it tick (and fail: nothing listens) and wait for the next tick.
    std::thread::sleep(Duration::from_millis(1_500));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("firecamp run did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("stop requested"), "{stderr}");
}
