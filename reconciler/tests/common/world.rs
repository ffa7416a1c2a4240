//! A world for end-to-end tests: moto with a three-zone network, the fake cluster on its
//! instances, and the examples pointed at both; plans read, made and carried out as `apply` does.

use std::collections::BTreeMap;
use std::time::Duration;

use firecamp::apply::{Appliers, Report, apply_plan};
use firecamp::live::LiveState;
use firecamp::plan::{Desired, Plan, PlanOptions, plan};
use firecamp::providers::aws::AwsProviders;
use firecamp::providers::kubernetes::{KubeWriter, WriteOptions};
use firecamp::providers::read_live_state;
use firecamp_aws::testing::{Moto, TestNetwork, test_network_in};
use firecamp_aws::{AwsSettings, CallCounter};
use firecamp_schema::Validation;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use tokio_util::sync::CancellationToken;

use super::fake_cluster::FakeCluster;

/// moto with a three-zone network, and a fake cluster whose nodes are its instances.
pub struct World {
    _serial: tokio::sync::MutexGuard<'static, ()>,
    moto: Moto,
    /// The AWS providers on moto.
    pub aws: AwsProviders,
    /// The network moto holds.
    pub network: TestNetwork,
    /// The fake cluster.
    pub cluster: FakeCluster,
}

/// Worlds of one test binary run one at a time: each runs moto and stand-in controllers, and
/// several at once on 2 cores starve each other's controllers.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A new world.
pub async fn world() -> World {
    let serial = SERIAL.lock().await;
    let moto = Moto::start();
    let settings = AwsSettings {
        route53_per_second: 1_000.0,
        ec2_per_second: 1_000.0,
        ..AwsSettings::new("us-east-1")
    };
    let aws = AwsProviders::new(&moto.sdk(), &settings, CallCounter::default());
    let network = test_network_in(
        aws.ec2.client(),
        &[
            ("10.0.16.0/20", "us-east-1a"),
            ("10.0.32.0/20", "us-east-1b"),
            ("10.0.48.0/20", "us-east-1c"),
        ],
    )
    .await;
    let cluster = FakeCluster::start(&network).await;
    World {
        _serial: serial,
        moto,
        aws,
        network,
        cluster,
    }
}

impl World {
    /// What `firecamp run` last recorded in the status ConfigMap.
    pub async fn status(&self) -> firecamp::run::status::Status {
        let map = kube::api::Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(
            self.cluster.client.clone(),
            "firecamp",
        )
        .get(firecamp::run::status::STATUS_CONFIG_MAP)
        .await
        .expect("status ConfigMap");
        firecamp::run::status::Status::from_config_map(&map.data.unwrap_or_default())
            .expect("status")
    }

    /// The endpoint of the world's moto.
    pub fn moto_url(&self) -> &str {
        &self.moto.url
    }

    /// An SDK configuration on the world's moto.
    pub fn moto_sdk(&self) -> aws_config::SdkConfig {
        self.moto.sdk()
    }

    /// The example files (those `keep` selects), their Cluster pointed at the moto network, with
    /// `edit` applied to each file's text.
    pub fn example_texts(
        &self,
        keep: &[&str],
        edit: &dyn Fn(&str, String) -> String,
    ) -> Vec<(String, String)> {
        let mut replacements = vec![(
            "vpc-0a1b2c3d4e5f60718".to_owned(),
            self.network.vpc_id.clone(),
        )];
        for (i, (subnet, _)) in self.network.subnets.iter().enumerate() {
            replacements.push((format!("subnet-0a1b2c3d4e5f6071{}", i + 1), subnet.clone()));
        }
        let files: Vec<(String, String)> = super::example_files()
            .into_iter()
            .filter(|(path, _)| {
                path == "cluster.yaml" || keep.is_empty() || keep.contains(&path.as_str())
            })
            .map(|(path, mut text)| {
                for (from, to) in &replacements {
                    text = text.replace(from.as_str(), to);
                }
                let text = edit(&path, text);
                (path, text)
            })
            .collect();
        files
    }

    /// The example files (those `keep` selects), their Cluster pointed at the moto network, with
    /// `edit` applied to each file's text.
    pub fn examples(&self, keep: &[&str], edit: &dyn Fn(&str, String) -> String) -> Validation {
        let files = self.example_texts(keep, edit);
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let validation = super::specs(&refs);
        assert!(validation.is_valid(), "{:#?}", validation.diagnostics);
        validation
    }

    pub fn writer(&self) -> KubeWriter {
        self.writer_on(self.cluster.client.clone())
    }

    /// A writer with short waits on `client` (e.g. one that counts its calls).
    pub fn writer_on(&self, client: kube::Client) -> KubeWriter {
        KubeWriter::new(
            client,
            WriteOptions {
                backoff: Duration::from_millis(1),
                poll: Duration::from_millis(10),
                timeout: Duration::from_secs(90),
                ..WriteOptions::default()
            },
        )
    }

    pub async fn read(&self, validation: &Validation) -> LiveState {
        read_live_state(&self.cluster.client, Some(&self.aws), cluster(validation))
            .await
            .expect("live state")
    }

    /// Reads, plans and applies once.
    pub async fn apply(&self, validation: &Validation) -> (Plan, Report) {
        let live = self.read(validation).await;
        let plan = plan(
            &Desired::from_validation(validation).expect("desired"),
            &live,
            PlanOptions::default(),
        )
        .expect("plan");
        let report = self.carry_out(validation, &plan, &live).await;
        (plan, report)
    }

    /// Carries out `plan`, made from `live`.
    pub async fn carry_out(
        &self,
        validation: &Validation,
        plan: &Plan,
        live: &LiveState,
    ) -> Report {
        let writer = self.writer();
        let appliers = Appliers {
            cluster: cluster(validation),
            kubernetes: &writer,
            aws: Some(&self.aws),
            stop: &CancellationToken::new(),
            halt_service_on_failure: false,
        };
        apply_plan(plan, live, appliers, &mut |_| {}).await
    }

    /// Applies until a plan is empty; returns the number of rounds.
    pub async fn converge(&self, validation: &Validation) -> usize {
        for round in 1..=4 {
            let (plan, report) = self.apply(validation).await;
            eprintln!(
                "round {round}: {:?}",
                plan.steps
                    .iter()
                    .map(|s| (&s.id, &s.changes))
                    .collect::<Vec<_>>()
            );
            assert!(report.succeeded(), "round {round}: {report}");
            if plan.is_empty() {
                return round;
            }
        }
        panic!("no convergence in 4 rounds");
    }

    pub async fn pods(&self) -> BTreeMap<String, Pod> {
        Api::<Pod>::namespaced(self.cluster.client.clone(), "firecamp")
            .list(&ListParams::default())
            .await
            .expect("pods")
            .items
            .into_iter()
            .map(|p| (p.metadata.name.clone().unwrap_or_default(), p))
            .collect()
    }

    pub async fn claim_uids(&self) -> BTreeMap<String, String> {
        Api::<PersistentVolumeClaim>::namespaced(self.cluster.client.clone(), "firecamp")
            .list(&ListParams::default())
            .await
            .expect("claims")
            .items
            .into_iter()
            .map(|c| {
                (
                    c.metadata.name.unwrap_or_default(),
                    c.metadata.uid.unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// The Cluster document of a validation.
pub fn cluster(validation: &Validation) -> &firecamp_schema::spec::ClusterDocument {
    validation.cluster.as_ref().expect("cluster")
}

/// Leaves an example file as it is.
pub fn unchanged(_: &str, text: String) -> String {
    text
}
