//! A local cluster to try firecamp end to end without EKS or AWS: the test world's real control
//! plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok's nodes and
//! kubelets, volumes provisioned in the pod's zone) with the nodes of a 3-zone network held by
//! moto. Writes into the folder given as argument `kubeconfig`, `aws-endpoint` (moto's URL) and
//! `examples/` (the bundled examples pointed at moto's network); then serves until stopped
//! (Ctrl-C or SIGTERM), and everything it started stops with it. `scripts/dev-cluster.sh` runs it.
//!
//! ```sh
//! cargo run --example dev_cluster -- /tmp/firecamp-dev &
//! export KUBECONFIG=/tmp/firecamp-dev/kubeconfig AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x
//! firecamp apply /tmp/firecamp-dev/examples --auto-approve --aws-endpoint-url "$(cat /tmp/firecamp-dev/aws-endpoint)"   # twice
//! firecamp plan /tmp/firecamp-dev/examples --aws-endpoint-url "$(cat /tmp/firecamp-dev/aws-endpoint)"      # nothing to do
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dev_cluster <dir>");
        std::process::exit(2);
    };
    let world = common::world::world().await;
    let examples = dir.join("examples");
    let mut replacements = vec![(
        "vpc-0a1b2c3d4e5f60718".to_owned(),
        world.network.vpc_id.clone(),
    )];
    for (i, (subnet, _)) in world.network.subnets.iter().enumerate() {
        replacements.push((format!("subnet-0a1b2c3d4e5f6071{}", i + 1), subnet.clone()));
    }
    for (path, mut text) in common::example_files() {
        for (from, to) in &replacements {
            text = text.replace(from.as_str(), to);
        }
        let file = examples.join(path);
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("examples folder");
        std::fs::write(&file, text).expect("example file");
    }
    std::fs::copy(world.cluster.plane.kubeconfig(), dir.join("kubeconfig")).expect("kubeconfig");
    std::fs::write(dir.join("aws-endpoint"), world.moto_url()).expect("endpoint");
    println!(
        "Kubernetes {} and moto {} are up; in {}: kubeconfig, aws-endpoint, examples/",
        world.cluster.plane.server(),
        world.moto_url(),
        dir.display()
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    println!("stopping");
}
