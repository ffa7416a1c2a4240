//! Validation as a library: what is kept, what is left out, and the bounds on hostile input.

use std::path::Path;

use firecamp_schema::validate::{SourceFile, validate_files};
use firecamp_schema::{Limits, validate_path};

const CLUSTER: &str = "apiVersion: firecamp.io/v1alpha1
kind: Cluster
metadata: {name: t}
spec:
  region: us-east-1
  vpcId: vpc-0a1b2c3d
  zones: [{name: us-east-1a, subnetId: subnet-0a1b2c3d}]
  defaults: {volume: {size: 10Gi}}
";

const ZK: &str = "apiVersion: firecamp.io/v1alpha1
kind: ZooKeeper
metadata: {name: zk}
spec: {replicas: 1, heapSize: 1Gi}
";

fn validate(files: &[(&str, &str)]) -> firecamp_schema::Validation {
    let sources = files
        .iter()
        .map(|(path, text)| SourceFile::in_memory(*path, *text))
        .collect();
    validate_files(Path::new("specs"), sources, &Limits::default())
}

#[test]
fn a_valid_set_keeps_the_cluster_and_every_service() {
    let validation = validate(&[("specs/cluster.yaml", CLUSTER), ("specs/zk.yaml", ZK)]);
    assert!(validation.is_valid(), "{:?}", validation.diagnostics);
    assert!(validation.cluster.is_some());
    assert_eq!(validation.services.len(), 1);
    assert_eq!(validation.services[0].name(), "zk");
}

#[test]
fn a_document_with_a_problem_is_rejected_by_name_and_the_others_are_kept() {
    let kafka = "apiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {name: kafka}\nspec: {zookeeper: zk, heapSize: 1Gi, replicas: 1, colour: red}\n";
    let validation = validate(&[
        ("specs/cluster.yaml", CLUSTER),
        ("specs/zk.yaml", ZK),
        ("specs/kafka.yaml", kafka),
    ]);
    assert_eq!(
        validation
            .services
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>(),
        ["zk"]
    );
    assert_eq!(validation.rejected.len(), 1);
    assert_eq!(validation.rejected[0].name.as_deref(), Some("kafka"));
    assert_eq!(validation.rejected[0].kind.as_deref(), Some("Kafka"));
}

#[test]
fn a_reference_to_a_rejected_service_is_not_reported_as_missing() {
    let broken_zk = "apiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {name: zk}\nspec: {replicas: 1, heapSize: 1Gi, colour: red}\n";
    let kafka = "apiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {name: kafka}\nspec: {zookeeper: zk, heapSize: 1Gi, replicas: 1}\n";
    let validation = validate(&[
        ("specs/cluster.yaml", CLUSTER),
        ("specs/zk.yaml", broken_zk),
        ("specs/kafka.yaml", kafka),
    ]);
    let messages: Vec<String> = validation
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("unknown field \"colour\""));
}

#[test]
fn a_file_that_does_not_parse_is_recorded_as_broken_and_no_cluster_is_not_claimed() {
    let validation = validate(&[("specs/a.yaml", "kind: [unclosed\n"), ("specs/zk.yaml", ZK)]);
    assert_eq!(validation.broken_files, [Path::new("specs/a.yaml")]);
    assert!(
        validation
            .diagnostics
            .iter()
            .all(|d| !d.message.contains("no Cluster")),
        "the Cluster may be in the broken file: {:?}",
        validation.diagnostics
    );
}

#[test]
fn every_corpus_document_is_either_kept_or_listed_as_rejected() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/invalid");
    for entry in std::fs::read_dir(&corpus).expect("corpus") {
        let path = entry.expect("entry").path();
        let validation = validate_path(&path, &Limits::default()).expect("readable case");
        assert!(
            !validation.is_valid(),
            "{} should be invalid",
            path.display()
        );
        let accounted = validation.services.len()
            + usize::from(validation.cluster.is_some())
            + validation.rejected.len();
        assert_eq!(
            accounted,
            validation.documents,
            "{}: a document vanished",
            path.display()
        );
    }
}

#[test]
fn oversized_files_are_rejected_without_reading_them_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.yaml");
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    std::fs::write(&big, line.repeat(20_000)).expect("write");
    std::fs::write(dir.path().join("cluster.yaml"), CLUSTER).expect("write");
    let validation = validate_path(dir.path(), &Limits::default()).expect("readable");
    assert_eq!(validation.broken_files, [big]);
    assert!(
        validation.diagnostics[0]
            .message
            .contains("larger than 1048576 bytes")
    );
}

#[test]
fn too_many_documents_in_one_file_are_rejected() {
    let text = "---\na: 1\n".repeat(1_001);
    let validation = validate(&[("specs/cluster.yaml", CLUSTER), ("specs/many.yaml", &text)]);
    assert!(
        validation
            .diagnostics
            .iter()
            .any(|d| d.message.contains("more than 1000 YAML documents"))
    );
}

#[test]
fn hidden_folders_and_non_yaml_files_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("cluster.yml"), CLUSTER).expect("write");
    std::fs::create_dir(dir.path().join(".github")).expect("mkdir");
    std::fs::write(dir.path().join(".github/workflow.yaml"), "on: push\n").expect("write");
    std::fs::write(dir.path().join("README.md"), "# specs\n").expect("write");
    let validation = validate_path(dir.path(), &Limits::default()).expect("readable");
    assert!(validation.is_valid(), "{:?}", validation.diagnostics);
    assert_eq!(validation.files, 1);
}

#[test]
fn a_missing_path_is_an_error_not_a_diagnostic() {
    assert!(validate_path(Path::new("/nonexistent/firecamp/specs"), &Limits::default()).is_err());
}

#[test]
fn a_fully_qualified_domain_is_used_without_its_final_dot() {
    let cluster = CLUSTER.replace(
        "  defaults:",
        "  dns: {domain: prod.example.internal.}\n  defaults:",
    );
    let validation = validate(&[("specs/cluster.yaml", &cluster), ("specs/zk.yaml", ZK)]);
    assert!(validation.is_valid(), "{:?}", validation.diagnostics);
    let cluster = validation.cluster.expect("cluster");
    assert_eq!(
        cluster.spec.domain(&cluster.metadata.name),
        "prod.example.internal"
    );
}

#[test]
fn a_name_with_control_characters_is_shown_escaped() {
    let zk = ZK.replace("name: zk", "name: \"zk\\e[2J\\nvalid\"");
    let validation = validate(&[("specs/cluster.yaml", CLUSTER), ("specs/zk.yaml", &zk)]);
    let shown: Vec<&str> = validation
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        shown.iter().any(|m| m.contains("zk\\u{1b}[2J\\nvalid")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .all(|m| !m.contains('\u{1b}') && !m.contains('\n')),
        "{shown:?}"
    );
}

/// `count` documents of `keys` labels each (a ZooKeeper with that many labels: about 2 nodes a
/// label).
fn labelled_documents(count: usize, keys: usize) -> String {
    (0..count)
        .map(|d| {
            let labels: Vec<String> = (0..keys).map(|k| format!("l{k}: v")).collect();
            format!(
                "---\napiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: zk{d}, \
                 labels: {{{}}}}}\nspec: {{replicas: 1, heapSize: 1Gi}}\n",
                labels.join(", ")
            )
        })
        .collect()
}

#[test]
fn documents_under_the_document_limit_cannot_add_up_past_the_file_or_set_budget() {
    let limits = Limits {
        max_nodes_per_document: 100,
        max_nodes_per_file: 250,
        max_nodes_per_set: 400,
        ..Limits::default()
    };
    let check = |files: Vec<(&str, String)>| {
        let sources = files
            .into_iter()
            .map(|(path, text)| SourceFile::in_memory(path, text))
            .collect();
        validate_files(Path::new("specs"), sources, &limits)
    };
    // One document of ~90 nodes passes; three in one file exceed the file's 250.
    let one = check(vec![("specs/a.yaml", labelled_documents(1, 40))]);
    assert!(one.broken_files.is_empty(), "{:?}", one.diagnostics);
    let three = check(vec![("specs/a.yaml", labelled_documents(3, 40))]);
    assert_eq!(three.broken_files, [Path::new("specs/a.yaml")]);
    assert!(
        three.diagnostics[0]
            .message
            .contains("more than 250 nodes together"),
        "{:?}",
        three.diagnostics
    );
    // Files each within the file budget exceed the set's 400 together: the later file breaks.
    let files: Vec<(&str, String)> = ["specs/a.yaml", "specs/b.yaml", "specs/c.yaml"]
        .into_iter()
        .map(|path| (path, labelled_documents(2, 40)))
        .collect();
    let set = check(files);
    assert_eq!(
        set.broken_files,
        [Path::new("specs/c.yaml")],
        "{:?}",
        set.diagnostics
    );
}
