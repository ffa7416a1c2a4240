//! CouchDB's rendered `start.sh`, run by `sh` with the image's paths mapped under a temporary
//! folder and `couchdb` replaced by a program that only reports it was started (CouchDB itself
//! does not run here): the admin's ini file it writes is read back by a port of CouchDB's ini
//! reader, and a Secret value that file or vm.args would read as something else stops the start
//! before anything is written, without printing the value.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use common::formats::couchdb_ini;

/// The rendered `start.sh` of the example CouchDB.
fn start_script() -> String {
    common::example_file("docs-couch", "start.sh")
}

/// Runs the script under `root` with the given admin password and cookie.
fn run(root: &Path, password: &str, cookie: &str) -> Output {
    let mapped = start_script()
        .replace("/opt/couchdb/bin/couchdb", "echo started")
        .replace("/data/", &format!("{}/data/", root.display()))
        .replace("/run/firecamp", &format!("{}/run", root.display()));
    std::fs::create_dir_all(root.join("run")).expect("runtime folder");
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
