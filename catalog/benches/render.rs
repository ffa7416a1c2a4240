//! Rendering speed: the bundled examples, and a large generated spec set.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use firecamp_catalog::{Inputs, render_platform, render_service};
use firecamp_schema::validate::{SourceFile, validate_files};
use firecamp_schema::{Limits, Validation, validate_path};

fn inputs_of(
    validation: Validation,
) -> (
    firecamp_schema::spec::ClusterDocument,
    BTreeMap<String, firecamp_schema::spec::ServiceDocument>,
) {
    assert!(validation.is_valid(), "{:?}", validation.diagnostics);
    let services = validation
        .services
        .into_iter()
        .map(|s| (s.name().to_owned(), s))
        .collect();
    (validation.cluster.expect("a Cluster"), services)
}

/// 250 ZooKeeper + 250 Kafka services on a 3-zone cluster.
fn generated(pairs: usize) -> Validation {
    let mut files = vec![SourceFile::in_memory(
        "specs/cluster.yaml",
        "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {name: bench}\nspec: {region: us-east-1, vpcId: vpc-0a1b2c3d, \
         zones: [{name: us-east-1a, subnetId: subnet-0a1b2c3d}, {name: us-east-1b, subnetId: subnet-1a1b2c3d}, \
         {name: us-east-1c, subnetId: subnet-2a1b2c3d}], defaults: {volume: {size: 100Gi}}}\n",
    )];
    for i in 0..pairs {
        files.push(SourceFile::in_memory(
            format!("specs/{i}.yaml"),
            format!(
                "apiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: zk-{i}}}\nspec: {{heapSize: 1Gi}}\n---\n\
                 apiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {{name: kafka-{i}}}\nspec: {{zookeeper: zk-{i}, heapSize: 1Gi, replicas: 6}}\n"
            ),
        ));
    }
    validate_files(Path::new("specs"), files, &Limits::default())
}

fn bench(c: &mut Criterion) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let (cluster, services) =
        inputs_of(validate_path(&examples, &Limits::default()).expect("readable"));
    let inputs = Inputs {
        cluster: &cluster,
        services: &services,
    };
    c.bench_function("render examples/ (17 services + platform)", |b| {
        b.iter(|| {
            let rendered: Vec<_> = services
                .values()
                .map(|s| render_service(black_box(inputs), s))
                .collect();
            (rendered, render_platform(inputs))
        });
    });
    let (cluster, services) = inputs_of(generated(250));
    let inputs = Inputs {
        cluster: &cluster,
        services: &services,
    };
    c.bench_function("render 500 services (250 ZooKeeper + 250 Kafka)", |b| {
        b.iter(|| {
            services
                .values()
                .map(|s| render_service(black_box(inputs), s))
                .collect::<Vec<_>>()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
