//! A moto world for the AWS tests: two zones with static subnets of their own and two nodes each,
//! the Cluster document naming them, and plans carried out on AWS for real (the Kubernetes side
//! in the live model).

use std::net::Ipv4Addr;

use firecamp::live::{LiveState, Node, simulate_apply};
use firecamp::plan::{Desired, Plan, PlanOptions, plan};
use firecamp::providers::aws::AwsProviders;
use firecamp_aws::testing::{Moto, TestNetwork, TestZone, test_network_zones};
use firecamp_aws::{AwsSettings, CallCounter};
use firecamp_schema::Validation;

use super::schedule;

/// The owner id a Kubernetes read would give (the kube-system namespace's UID).
pub const OWNER: &str = "5e1f-kube-system-uid";

/// moto with the test network, firecamp's AWS providers on it, and the nodes.
pub struct World {
    pub _moto: Moto,
    pub aws: AwsProviders,
    pub network: TestNetwork,
    pub cluster_yaml: String,
    pub nodes: Vec<Node>,
}

/// AWS settings for moto: its rate limits high enough that no test waits on them.
pub fn fast_settings() -> AwsSettings {
    AwsSettings {
        route53_per_second: 1_000.0,
        ec2_per_second: 1_000.0,
        ..AwsSettings::new("us-east-1")
    }
}

/// Starts moto and makes the network.
pub async fn world() -> World {
    let moto = Moto::start();
    let aws = AwsProviders::new(&moto.sdk(), &fast_settings(), CallCounter::default());
    // Each zone's static IPs come from a subnet of their own; the nodes run in another one.
    let network = test_network_zones(
        aws.ec2.client(),
        &[
            TestZone {
                zone: "us-east-1a",
                cidr: "10.0.16.0/20",
                nodes_cidr: Some("10.0.128.0/20"),
            },
            TestZone {
                zone: "us-east-1b",
                cidr: "10.0.32.0/20",
                nodes_cidr: Some("10.0.144.0/20"),
            },
        ],
        2,
    )
    .await;
    let vpc_id = network.vpc_id.clone();
    let zones: Vec<String> = network
        .subnets
        .iter()
        .map(|(id, zone)| format!("{{name: {zone}, subnetId: {id}}}"))
        .collect();
    let nodes: Vec<Node> = network
        .nodes
        .iter()
        .map(|n| Node {
            name: format!("node-{}", n.instance_id),
            zone: n.zone.clone(),
            host_ip: n.ip.parse().expect("ipv4"),
            instance_id: n.instance_id.clone(),
            eni: None,
        })
        .collect();
    let cluster_yaml = format!(
        "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {{name: prod}}\nspec: {{region: us-east-1, vpcId: {vpc_id}, \
         zones: [{}], defaults: {{volume: {{size: 10Gi}}}}}}\n",
        zones.join(", ")
    );
    World {
        _moto: moto,
        aws,
        network,
        cluster_yaml,
        nodes,
    }
}

impl World {
    /// The Cluster document and `services`, validated.
    pub fn specs(&self, services: &str) -> Validation {
        super::specs(&[
            ("cluster.yaml", &self.cluster_yaml),
            ("services.yaml", services),
        ])
    }

    /// Reads the AWS side into `live` (the nodes and the owner id as Kubernetes would give them).
    pub async fn read(&self, validation: &Validation, live: &mut LiveState) {
        if live.nodes.is_empty() {
            live.nodes = self.nodes.clone();
        }
        live.owner.get_or_insert_with(|| OWNER.to_owned());
        self.aws
            .read_into(validation.cluster.as_ref().expect("cluster"), live)
            .await
            .expect("AWS read");
    }

    /// Plans, applies (Kubernetes in the model, AWS for real), schedules, reads again: until the
    /// plan is empty.
    pub async fn converge(&self, validation: &Validation, mut live: LiveState) -> LiveState {
        for _ in 0..4 {
            self.read(validation, &mut live).await;
            let plan = plan_of(validation, &live);
            if plan.is_empty() {
                return live;
            }
            self.aws
                .apply(validation.cluster.as_ref().expect("cluster"), &plan, &live)
                .await
                .expect("AWS apply");
            live = simulate_apply(&plan, &live);
            schedule(&mut live);
        }
        panic!("no convergence");
    }

    /// Each node's name with the addresses on its firecamp interface.
    pub async fn enis(&self) -> Vec<(String, Vec<Ipv4Addr>)> {
        let mut live = LiveState {
            nodes: self.nodes.clone(),
            owner: Some(OWNER.to_owned()),
            ..LiveState::default()
        };
        let cluster = super::specs(&[("cluster.yaml", &self.cluster_yaml)])
            .cluster
            .expect("cluster");
        self.aws.read_into(&cluster, &mut live).await.expect("read");
        live.nodes
            .into_iter()
            .map(|n| (n.name, n.eni.map(|e| e.secondary_ips).unwrap_or_default()))
            .collect()
    }
}

/// Plans with default options.
pub fn plan_of(validation: &Validation, live: &LiveState) -> Plan {
    plan(
        &Desired::from_validation(validation).expect("desired"),
        live,
        PlanOptions::default(),
    )
    .expect("plan")
}
