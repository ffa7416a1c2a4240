//! The benchmark spec repo: 1,000 services with 5,000 members (500 ZooKeeper ensembles of 5 and
//! 500 Kafka clusters of 5 brokers, one file per pair) in a 3-zone cluster.

#![allow(
    dead_code,
    reason = "each benchmark and example uses a different part of this module"
)]

use std::path::Path;

pub mod process;

const CLUSTER: &str = "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {name: bench}\n\
spec: {region: us-east-1, vpcId: vpc-0a1b2c3d, zones: [{name: us-east-1a, subnetId: subnet-0a1b2c3d}, \
{name: us-east-1b, subnetId: subnet-1a1b2c3d}, {name: us-east-1c, subnetId: subnet-2a1b2c3d}], defaults: {volume: {size: 100Gi}}}\n";

/// Writes the Cluster and `pairs` ZooKeeper + Kafka files into `dir`.
pub fn write_specs(dir: &Path, pairs: usize) {
    std::fs::create_dir_all(dir).expect("spec folder");
    std::fs::write(dir.join("cluster.yaml"), CLUSTER).expect("write");
    for i in 0..pairs {
        let text = format!(
            "apiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: zk-{i}}}\nspec: {{replicas: 5, heapSize: 1Gi}}\n---\n\
             apiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {{name: kafka-{i}}}\nspec: {{replicas: 5, zookeeper: zk-{i}, heapSize: 1Gi}}\n"
        );
        std::fs::write(dir.join(format!("pair-{i}.yaml")), text).expect("write");
    }
}

/// Points the Cluster written by [`write_specs`] into `dir` at a real VPC and its subnets (zone
/// order a, b, c).
pub fn point_at(dir: &Path, vpc_id: &str, subnets: &[(String, String)]) {
    let file = dir.join("cluster.yaml");
    let mut text = std::fs::read_to_string(&file).expect("cluster.yaml");
    text = text.replace("vpc-0a1b2c3d", vpc_id);
    for (i, (subnet, _)) in subnets.iter().enumerate() {
        text = text.replace(&format!("subnet-{i}a1b2c3d"), subnet);
    }
    std::fs::write(&file, text).expect("cluster.yaml");
}
