//! Inputs firecamp cannot read are errors that name them, never skipped and never waited on: a
//! spec file that is a dangling symbolic link, a link loop or a FIFO makes `plan` exit 1 naming
//! the file and plan no deletion (the services it held are left as they are), and a live
//! snapshot that is a FIFO or never ends (`/dev/zero`) is refused at once; a kubeconfig that
//! does not parse, or whose exec plugin fails or prints garbage, is named without the token
//! lines, the plugin's command line or its output.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Copies the examples' spec files into `dir`, keeping their folders.
fn copy_examples(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("examples") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_examples(&entry.path(), &target);
        } else if entry.path().extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn plan_against_the_snapshot(specs: &Path) -> Output {
    let snapshot = repo().join("examples/live-snapshot.json");
    Command::new(env!("CARGO_BIN_EXE_firecamp"))
        .args(["plan", specs.to_str().expect("utf-8"), "--live-snapshot"])
        .arg(snapshot)
        .output()
        .expect("firecamp runs")
}

/// Makes the entry that stands where a spec file was.
type MakeFile<'a> = &'a dyn Fn(&Path);

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn a_spec_file_that_cannot_be_read_fails_the_plan_and_deletes_nothing() {
    let consul = Path::new("coordination/consul.yaml");
    // A copy as it is: the snapshot's Consul objects are kept (the plan deletes none of them).
    let dir = tempfile::tempdir().expect("temp dir");
    let intact = dir.path().join("intact");
    copy_examples(&repo().join("examples"), &intact);
    let baseline = String::from_utf8_lossy(&plan_against_the_snapshot(&intact).stdout).into_owned();
    assert!(
        !baseline.contains("- StatefulSet firecamp/consul"),
        "{baseline}"
    );
    // Removing the file really does plan Consul's deletion, so the cases below can fail.
    let removed = dir.path().join("removed");
    copy_examples(&repo().join("examples"), &removed);
    std::fs::remove_file(removed.join(consul)).expect("remove");
    let planned = String::from_utf8_lossy(&plan_against_the_snapshot(&removed).stdout).into_owned();
    assert!(
        planned.contains("- StatefulSet firecamp/consul"),
        "{planned}"
    );

    let cases: [(&str, MakeFile<'_>); 3] = [
        ("dangling", &|file| {
            symlink("../../gone/consul.yaml", file).expect("link");
        }),
        ("loop", &|file| symlink(file, file).expect("loop")),
        ("fifo", &|file| mkfifo(file)),
    ];
    for (name, make) in cases {
        let specs = dir.path().join(name);
        copy_examples(&repo().join("examples"), &specs);
        let file = specs.join(consul);
        std::fs::remove_file(&file).expect("remove");
        make(&file);
        let started = Instant::now();
        let output = plan_against_the_snapshot(&specs);
        assert!(started.elapsed() < Duration::from_secs(30), "{name}: hung");
        let (out, err) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains("consul.yaml"),
            "{name}: the file is named: {err}"
        );
        assert!(
            !out.contains("- StatefulSet"),
            "{name}: nothing deleted: {out}"
        );
    }
}

#[test]
fn a_snapshot_that_is_a_fifo_or_never_ends_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("snapshot.json");
    mkfifo(&fifo);
    for (snapshot, said) in [
        (fifo.as_path(), "is not a regular file"),
        (Path::new("/dev/zero"), "is not a regular file"),
    ] {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_firecamp"))
            .current_dir(repo())
            .args(["plan", "examples", "--live-snapshot"])
            .arg(snapshot)
            .output()
            .expect("firecamp runs");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(started.elapsed() < Duration::from_secs(30), "hung");
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(err.contains(said), "{err}");
    }
}

/// A kubeconfig for a cluster nobody serves, with `user` as its user's entry.
fn kubeconfig(dir: &Path, name: &str, user: &str) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n\
         contexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user:\n{user}"
    );
    std::fs::write(&path, text).expect("kubeconfig");
    path
}

#[test]
fn kubeconfig_and_exec_plugin_errors_never_print_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let exec = |script: &str| {
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      \
             args: [\"-c\", {script:?}]\n      interactiveMode: Never\n"
        )
    };
    let cases = [
        (
            "parse",
            "    token: eyJhbGciOiJSUzI1NiJ9.CANARY-K12.sig\n    as-groups: system:masters\n"
                .to_owned(),
            "line 15 column 16",
        ),
        (
            "exec-fails",
            exec("echo '{\"status\":{\"token\":\"CANARY-K06\"}}'; echo CANARY-K06 >&2; exit 3"),
            "exit status: 3",
        ),
        (
            "exec-garbage",
            exec("echo '{\"status\":{\"token\":\"CANARY-K11\"}, oops'"),
            "failed to parse auth exec output",
        ),
    ];
    for (name, user, said) in cases {
        let config = kubeconfig(dir.path(), name, &user);
        let output = Command::new(env!("CARGO_BIN_EXE_firecamp"))
            .current_dir(repo())
            .env("KUBECONFIG", &config)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .args(["live", "dump", "examples", "--no-aws"])
            .output()
            .expect("firecamp runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{name}");
        assert!(!all.contains("CANARY"), "{name}: {all}");
        assert!(
            all.contains(said),
            "{name}: the problem is still named: {all}"
        );
    }
}
