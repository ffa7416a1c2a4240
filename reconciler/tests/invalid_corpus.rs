//! Runs `firecamp validate` on every case of the invalid-spec corpus in `tests/invalid/` and
//! snapshots what it prints. Every case must exit 1, point at file, line and column, name the
//! field where the YAML could be read, say what to do (a hint) on every line, and never print a
//! secret's value.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Cases whose problem concerns a whole document or the whole set, so no field is named.
const WITHOUT_FIELD: [&str; 4] = [
    "dangling-symlink",
    "document-not-a-mapping.yaml",
    "link-out-of-folder",
    "no-cluster",
];

/// Cases whose problem is a file with no text to point into (a link to nothing, a link out of the
/// spec folder): the file is named, with no line or column.
const WITHOUT_POSITION: [&str; 2] = ["dangling-symlink", "link-out-of-folder"];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/invalid")
}

fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("tests/invalid exists")
        .map(|entry| {
            entry
                .expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    cases.sort();
    cases
}

/// The field path of a `file:line:column: field: message` line, if it has one.
fn field_of(rest: &str) -> Option<&str> {
    let (candidate, _) = rest.split_once(": ")?;
    (!candidate.is_empty() && !candidate.contains(' ')).then_some(candidate)
}

/// Splits `case:line:column: rest` (or `case/file:line:column: rest`); `None` without a position.
fn positioned<'a>(line: &'a str, case: &str) -> Option<&'a str> {
    let after_case = line.strip_prefix(case)?;
    let (location, rest) = after_case.split_once(": ")?;

    let mut numbers = location.rsplit(':').take(2);
    let column_ok = numbers.next().is_some_and(|n| n.parse::<usize>().is_ok());
    let line_ok = numbers.next().is_some_and(|n| n.parse::<usize>().is_ok());
    (column_ok && line_ok).then_some(rest)
}

#[test]
fn every_invalid_spec_is_reported_with_file_line_and_field() {
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "the corpus needs at least 40 cases, has {}",
        cases.len()
    );
    for case in &cases {
        let output = Command::new(env!("CARGO_BIN_EXE_firecamp"))
            .args(["validate", case])
            .current_dir(corpus_dir())
            .output()
            .expect("firecamp runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{case}: exit status\n{stdout}{stderr}"
        );
        assert!(
            !stdout.contains("do-not-print") && !stderr.contains("do-not-print"),
            "{case} printed a secret"
        );
        let diagnostics: Vec<&str> = stdout
            .lines()
            .filter(|l| !l.starts_with(&format!("{case}: ")))
            .collect();
        let summary = stdout.lines().last().unwrap_or_default();
        assert!(
            summary.starts_with(&format!("{case}: ")) && summary.contains("problem"),
            "{case}: summary line\n{stdout}"
        );
        let set_level = case == "no-cluster";
        if !set_level {
            assert!(!diagnostics.is_empty(), "{case}: no diagnostics\n{stdout}");
        }
        let unhinted: Vec<&&str> = diagnostics
            .iter()
            .filter(|l| !l.contains(" (hint: "))
            .collect();
        assert!(
            unhinted.is_empty(),
            "{case}: every diagnostic says what to do\n{unhinted:#?}"
        );
        if WITHOUT_POSITION.contains(&case.as_str()) {
            assert!(
                diagnostics
                    .iter()
                    .all(|l| l.starts_with(&format!("{case}/")) && l.contains(".yaml: ")),
                "{case}: every diagnostic names its file\n{stdout}"
            );
            insta::assert_snapshot!(
                case.replace('.', "_"),
                format!("exit: {:?}\n{stdout}{stderr}", output.status.code())
            );
            continue;
        }
        let located: Vec<&str> = diagnostics
            .iter()
            .filter_map(|l| positioned(l, case))
            .collect();
        assert_eq!(
            located.len(),
            diagnostics.len(),
            "{case}: every diagnostic names file, line and column\n{stdout}"
        );
        let yaml_readable = !located
            .iter()
            .any(|rest| rest.contains("YAML") || rest.contains("UTF-8"));
        if yaml_readable && !WITHOUT_FIELD.contains(&case.as_str()) {
            assert!(
                located.iter().any(|rest| field_of(rest).is_some()),
                "{case}: no diagnostic names a field\n{stdout}"
            );
        }
        insta::assert_snapshot!(
            case.replace('.', "_"),
            format!("exit: {:?}\n{stdout}{stderr}", output.status.code())
        );
    }
}
