//! The bundled example spec repo: valid, complete and editor-ready.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use firecamp_schema::spec::ServiceKind;
use firecamp_schema::{Limits, validate_path};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The spec files below `dir`: what `firecamp validate` reads (hidden folders such as the CI
/// example's `.github` are not specs).
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn examples_are_valid_and_use_every_catalog_kind() {
    let validation = validate_path(&examples(), &Limits::default()).expect("readable");
    assert!(validation.is_valid(), "{:#?}", validation.diagnostics);
    let cluster = validation.cluster.expect("a Cluster");
    assert_eq!(cluster.spec.zones.len(), 3, "a 3-zone cluster");
    let kinds: BTreeSet<ServiceKind> = validation.services.iter().map(|s| s.body.kind()).collect();
    let all: BTreeSet<ServiceKind> = ServiceKind::ALL.iter().copied().collect();
    assert_eq!(kinds, all, "every catalog kind has an example");
}

#[test]
fn every_example_file_starts_with_a_modeline_to_the_committed_schema() {
    let mut files = Vec::new();
    yaml_files(&examples(), &mut files);
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} does not start with the modeline", file.display()));
        let schema = file.parent().expect("parent").join(target);
        assert!(
            schema.is_file(),
            "{}: modeline points at missing {}",
            file.display(),
            schema.display()
        );
        assert!(
            schema
                .canonicalize()
                .expect("resolves")
                .ends_with("schema/json/firecamp.schema.json")
        );
    }
}

#[test]
fn the_readme_example_is_a_valid_spec_set() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README");
    let block = readme
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a yaml block");
    let sources = vec![firecamp_schema::validate::SourceFile::in_memory(
        "README.md",
        block,
    )];
    let validation = firecamp_schema::validate::validate_files(
        Path::new("README.md"),
        sources,
        &Limits::default(),
    );
    assert!(validation.is_valid(), "{:#?}", validation.diagnostics);
    assert_eq!(validation.services.len(), 2);
}
