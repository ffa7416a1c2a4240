//! Validation speed: the bundled examples, a large generated spec set, and how fast hostile input
//! (a YAML alias bomb, a maximum-size file) is rejected.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use firecamp_schema::validate::{SourceFile, validate_files};
use firecamp_schema::{Limits, validate_path};

const CLUSTER: &str = "apiVersion: firecamp.io/v1alpha1
kind: Cluster
metadata: {name: bench}
spec:
  region: us-east-1
  vpcId: vpc-0a1b2c3d
  zones:
    - {name: us-east-1a, subnetId: subnet-0a1b2c3d}
    - {name: us-east-1b, subnetId: subnet-1a1b2c3d}
    - {name: us-east-1c, subnetId: subnet-2a1b2c3d}
  defaults: {volume: {size: 100Gi}, journalVolume: {size: 20Gi}}
";

/// A spec set of `pairs` ZooKeeper + Kafka services, one file per pair.
fn generated_set(pairs: usize) -> Vec<SourceFile> {
    let mut files = vec![SourceFile::in_memory("specs/cluster.yaml", CLUSTER)];
    for i in 0..pairs {
        let text = format!(
            "apiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: zk-{i}}}\nspec: {{replicas: 3, heapSize: 2Gi}}\n---\n\
             apiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {{name: kafka-{i}}}\n\
             spec:\n  replicas: 3\n  zookeeper: zk-{i}\n  heapSize: 4Gi\n  resources: {{limits: {{memory: 8Gi}}}}\n  volume: {{size: 500Gi, type: st1}}\n"
        );
        files.push(SourceFile::in_memory(format!("specs/pair-{i}.yaml"), text));
    }
    files
}

fn alias_bomb() -> String {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(", ")
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    c.bench_function("validate examples/ (18 documents, from disk)", |b| {
        b.iter(|| validate_path(black_box(&examples), &limits).expect("readable"));
    });
    let set = generated_set(500);
    c.bench_function(
        "validate 1,001 documents (500 ZooKeeper+Kafka pairs)",
        |b| {
            b.iter(|| validate_files(Path::new("specs"), black_box(set.clone()), &limits));
        },
    );
    let bomb = vec![SourceFile::in_memory("specs/bomb.yaml", alias_bomb())];
    c.bench_function("reject a 10^10-node alias bomb", |b| {
        b.iter(|| validate_files(Path::new("specs"), black_box(bomb.clone()), &limits));
    });
    let long_scalar = format!(
        "apiVersion: firecamp.io/v1alpha1\nkind: Logstash\nmetadata: {{name: big}}\nspec:\n  pipeline: \"{}\"\n",
        "x".repeat(1_000_000)
    );
    let big = vec![SourceFile::in_memory("specs/big.yaml", long_scalar)];
    c.bench_function("validate a 1 MB document", |b| {
        b.iter(|| validate_files(Path::new("specs"), black_box(big.clone()), &limits));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
