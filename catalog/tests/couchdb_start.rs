//! CouchDB's rendered `start.sh`, run by `sh` with the image's paths mapped under a temporary
//! folder and `couchdb` replaced by a program that only reports it was started (CouchDB itself
//! does not run here): the admin's ini file it writes is read back by a port of CouchDB's ini
//! reader, and a Secret value that file or vm.args would read as something else stops the start
//! before anything is written, without printing the value. The vm.args it writes is given to
//! the real Erlang VM (Debian's `erl`) as `bin/couchdb` gives it (`-args_file`), with an empty
//! stdin as in a container: the VM stays up (without `+Bd -noinput` it halts in about a second).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use common::formats::couchdb_ini;

/// The rendered `start.sh` of the example CouchDB.
fn start_script() -> String {
    common::example_file("docs-couch", "start.sh")
}

/// The script with the image's paths under `root`, its rendered files in `root/config`, and
/// `couchdb` replaced by `couchdb`.
fn mapped(root: &Path, couchdb: &str) -> String {
    std::fs::create_dir_all(root.join("run")).expect("runtime folder");
    std::fs::create_dir_all(root.join("config")).expect("config folder");
    let vm_args = root.join("config/vm.args");
    if !vm_args.exists() {
        let rendered = common::example_file("docs-couch", "vm.args");
        std::fs::write(&vm_args, rendered).expect("vm.args");
    }
    start_script()
        .replace("/opt/couchdb/bin/couchdb", couchdb)
        .replace("/etc/firecamp/", &format!("{}/config/", root.display()))
        .replace("/data/", &format!("{}/data/", root.display()))
        .replace("/run/firecamp", &format!("{}/run", root.display()))
}

/// Runs the script under `root` with the given admin password and cookie.
fn run(root: &Path, password: &str, cookie: &str) -> Output {
    let mapped = mapped(root, "echo started");
    Command::new("sh")
        .args(["-c", &mapped])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("POD_NAME", "docs-couch-node-a-0")
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", password)
        .env("COUCHDB_COOKIE", cookie)
        .output()
        .expect("sh runs")
}

#[test]
fn the_admin_file_holds_exactly_the_secrets_values() {
    let root = tempfile::tempdir().expect("temp dir");
    let output = run(root.path(), "p=a;ss word#1", "cookie-1");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "started\n");
    let ini = std::fs::read_to_string(root.path().join("run/admins.ini")).expect("admins.ini");
    assert_eq!(
        couchdb_ini(&ini),
        Some(json!([
            {"section": "admins", "key": "admin", "value": "p=a;ss word#1"},
            {"section": "chttpd_auth", "key": "secret", "value": "cookie-1"},
        ]))
    );
    let args = std::fs::read_to_string(root.path().join("run/vm.args")).expect("vm.args");
    assert!(args.contains("-setcookie cookie-1\n"), "{args}");
}

#[test]
fn a_secret_its_files_would_misread_stops_the_start_unprinted() {
    let cases = [
        ("pw\n[admins]\nintruder = x", "cookie-1"),
        ("pw\r", "cookie-1"),
        (" pw", "cookie-1"),
        ("pw ", "cookie-1"),
        ("pw ;comment", "cookie-1"),
        ("pw\tx", "cookie-1"),
        ("pw", "c\n-eval os:cmd(\"id\")"),
        ("pw", "c -eval x"),
    ];
    for (password, cookie) in cases {
        let root = tempfile::tempdir().expect("temp dir");
        let output = run(root.path(), password, cookie);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{password:?} {cookie:?} started");
        assert!(stderr.contains("change the Secret"), "{stderr}");
        assert!(
            !stderr.contains(password) && !stderr.contains(cookie),
            "{stderr}"
        );
        assert!(String::from_utf8_lossy(&output.stdout).is_empty());
        assert!(!root.path().join("run/admins.ini").exists());
        assert!(!root.path().join("run/vm.args").exists());
    }
}

/// Runs the script with `bin/couchdb`'s VM start (`erl -args_file "$COUCHDB_ARGS_FILE"`, CouchDB's
/// `rel/overlay/bin/couchdb`) and an eval that says `alive` after 3 seconds, in a network namespace
/// of its own (epmd and the distribution port bind there, and epmd is stopped after), with stdin
/// empty as a container's is.
fn run_vm(root: &Path) -> Output {
    let vm = "erl -args_file \"$COUCHDB_ARGS_FILE\" -eval 'timer:sleep(3000), io:format(\"alive~n\"), halt(0)'";
    let script = mapped(root, vm);
    Command::new("unshare")
        .args([
            "--net",
            "--map-root-user",
            "--",
            "sh",
            "-c",
            "ip link set lo up; sh -c \"$SCRIPT\" </dev/null; rc=$?; epmd -kill >/dev/null 2>&1; exit $rc",
        ])
        .env("SCRIPT", script)
        .env("POD_NAME", "docs-couch-node-a-0")
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", "pw")
        .env("COUCHDB_COOKIE", "cookie-1")
        .env("HOME", root)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("unshare runs")
}

#[test]
fn the_rendered_vm_args_keep_the_erlang_vm_up_without_a_terminal() {
    let root = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    let output = run_vm(root.path());
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("alive"),
        "{output:?}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    let args = std::fs::read_to_string(root.path().join("run/vm.args")).expect("vm.args");
    assert!(
        args.contains("-name couchdb@docs-couch-node-a-0.") && args.contains("-setcookie cookie-1"),
        "{args}"
    );

    // The same file without the image's `+Bd -noinput`, as firecamp wrote it before: the VM
    // reads its shell from the empty stdin and halts before the eval is done.
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(root.path().join("config")).expect("config folder");
    let without = common::example_file("docs-couch", "vm.args").replace("+Bd -noinput\n", "");
    std::fs::write(root.path().join("config/vm.args"), without).expect("vm.args");
    let output = run_vm(root.path());
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("alive"),
        "{output:?}"
    );
}

/// The value of `key` in `section` of CouchDB's ini text, as CouchDB reads it.
fn ini_value(entries: &serde_json::Value, section: &str, key: &str) -> Option<String> {
    entries.as_array()?.iter().rev().find_map(|e| {
        (e["section"] == section && e["key"] == key)
            .then(|| e["value"].as_str().map(str::to_owned))?
    })
}

/// `chttpd_auth:party_mode_handler` reads `require_valid_user` and
/// `require_valid_user_except_for_up` from `[chttpd]` (`src/chttpd/src/chttpd_auth.erl`; the
/// catalog audit, CouchDB section), and CouchDB 3 documents `enable_cors` under `[chttpd]`
/// (`src/docs/src/config/http.rst`): anonymous requests are refused, except `/_up`, which the
/// readiness probe asks without credentials.
#[test]
fn anonymous_requests_are_refused_except_the_probes_up() {
    let ini = couchdb_ini(&common::example_file("docs-couch", "local.ini")).expect("ini");
    assert_eq!(
        ini_value(&ini, "chttpd", "require_valid_user").as_deref(),
        Some("true")
    );
    assert_eq!(
        ini_value(&ini, "chttpd", "require_valid_user_except_for_up").as_deref(),
        Some("true")
    );
    assert_eq!(
        ini_value(&ini, "chttpd", "enable_cors").as_deref(),
        Some("true")
    );
    assert_eq!(ini_value(&ini, "chttpd_auth", "require_valid_user"), None);
    assert_eq!(ini_value(&ini, "httpd", "enable_cors"), None);
}
