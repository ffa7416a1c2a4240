//! ZooKeeper's rendered `logback.xml`, loaded by the real logback of ZooKeeper 3.9.5 (logback
//! 1.3.15 and slf4j-api 2.0.13 from Maven Central, fetched by `scripts/maven-jars.sh`) from the
//! config folder first on the classpath, as `zkEnv.sh` puts it: INFO reaches the console, DEBUG
//! does not, and logback reports no problem with the file. Without the file, logback's default
//! prints DEBUG (the catalog audit's finding: every DEBUG line shipped to CloudWatch).

mod common;

use std::path::Path;
use std::process::Command;

/// Runs `LogLevels.java` with `config` first on the classpath; its stdout and stderr.
fn log_levels(config: &Path) -> (String, String) {
    let jars = common::maven_jars();
    let classpath = [
        config.to_path_buf(),
        jars.join("logback-classic-1.3.15.jar"),
        jars.join("logback-core-1.3.15.jar"),
        jars.join("slf4j-api-2.0.13.jar"),
    ]
    .iter()
    .map(|p| p.display().to_string())
    .collect::<Vec<_>>()
    .join(":");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/LogLevels.java");
    let output = Command::new("java")
        .args(["-cp", &classpath])
        .arg(program)
        .output()
        .expect("java runs");
    assert!(output.status.success(), "{output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_rendered_logback_xml_logs_info_and_not_debug() {
    let config = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        config.path().join("logback.xml"),
        common::example_file("zk", "logback.xml"),
    )
    .expect("logback.xml");
    let (stdout, stderr) = log_levels(config.path());
    assert!(stdout.contains("firecamp-info-line"), "{stdout}{stderr}");
    assert!(
        stdout.contains(" - INFO "),
        "the rendered pattern: {stdout}"
    );
    assert!(!stdout.contains("firecamp-debug-line"), "{stdout}");
    assert!(
        !stdout.contains("|-WARN") && !stdout.contains("|-ERROR") && !stderr.contains("ERROR"),
        "logback found no problem in the file: {stdout}{stderr}"
    );

    // Without it (the image's file is not on the classpath), logback logs DEBUG.
    let empty = tempfile::tempdir().expect("temp dir");
    let (stdout, _) = log_levels(empty.path());
    assert!(stdout.contains("firecamp-debug-line"), "{stdout}");
}
