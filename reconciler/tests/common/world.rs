//! A world for end-to-end tests: moto with a three-zone network (four instances per zone), the real control plane with its
//! instances as nodes, and the examples pointed at both (a cluster name and namespace of the
//! test's own); plans read, made and carried out as `apply` does.

use std::collections::BTreeMap;
use std::time::Duration;

use firecamp::apply::{Appliers, Report, apply_plan};
use firecamp::live::LiveState;
use firecamp::plan::{Desired, Plan, PlanOptions, plan};
use firecamp::providers::aws::AwsProviders;
use firecamp::providers::kubernetes::{KubeWriter, WriteOptions};
use firecamp::providers::read_live_state;
use firecamp_aws::CallCounter;
use firecamp_aws::testing::{Moto, TestNetwork, TestZone, reserve_explicit, test_network_zones};
use firecamp_schema::Validation;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use tokio_util::sync::CancellationToken;

use super::cluster::TestCluster;

/// moto with a three-zone network, and a cluster whose nodes are its instances.
pub struct World {
    moto: Moto,
    /// The AWS providers on moto, for the code under test (its calls counted apart).
    pub aws: AwsProviders,
    /// The AWS providers the test reads with ([`World::read`]), counting into a counter of their
    /// own.
    observer: AwsProviders,
    /// The network moto holds.
    pub network: TestNetwork,
    /// The cluster (taken by this test until the world is dropped).
    pub cluster: TestCluster,
}

/// Nodes in each zone of the world's network.
pub const NODES_PER_ZONE: usize = 4;

/// A new world. Worlds of one test binary run one at a time (the cluster is taken in turn).
pub async fn world() -> World {
    let turn = super::cluster::take_turn().await;
    let moto = Moto::start();
    let settings = super::moto::fast_settings();
    let aws = AwsProviders::new(&moto.sdk(), &settings, CallCounter::default());
    let observer = AwsProviders::new(&moto.sdk(), &settings, CallCounter::default());
    // Four nodes per zone: members on the host network with the same port (four MongoDB
    // members in a zone of the examples) need a node each, and the real scheduler says so.
    // Zones a and b take static IPs from subnets of their own (the nodes run elsewhere); zone c's
    // nodes share its subnet, whose explicit reservation keeps EC2 away from the static range.
    let zone = |zone, cidr, nodes_cidr| TestZone {
        zone,
        cidr,
        nodes_cidr,
    };
    let network = test_network_zones(
        aws.ec2.client(),
        &[
            zone("us-east-1a", "10.0.16.0/20", Some("10.0.128.0/20")),
            zone("us-east-1b", "10.0.32.0/20", Some("10.0.144.0/20")),
            zone("us-east-1c", "10.0.48.0/20", None),
        ],
        NODES_PER_ZONE,
    )
    .await;
    // The examples' zone c takes its static IPs from an explicit reservation.
    reserve_explicit(aws.ec2.client(), &network.subnets[2].0, "10.0.48.0/26").await;
    let cluster = TestCluster::start_holding(turn, &network).await;
    World {
        moto,
        aws,
        observer,
        network,
        cluster,
    }
}

impl World {
    /// What `firecamp run` last recorded in the status ConfigMap.
    pub async fn status(&self) -> firecamp::run::status::Status {
        let map = kube::api::Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(
            self.cluster.admin.clone(),
            &self.cluster.namespace,
        )
        .get(firecamp::run::status::STATUS_CONFIG_MAP)
        .await
        .expect("status ConfigMap");
        firecamp::run::status::Status::from_config_map(&map.data.unwrap_or_default())
            .expect("status")
    }

    /// The test's namespace (where the examples' services go).
    pub fn namespace(&self) -> &str {
        &self.cluster.namespace
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
                if path == "cluster.yaml" {
                    text = self.cluster.cluster_text(&text);
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
        KubeWriter::new(client, Self::write_options())
    }

    /// A writer that takes over fields other managers own (`apply --force`).
    pub fn forcing_writer(&self) -> KubeWriter {
        KubeWriter::new(
            self.cluster.client.clone(),
            WriteOptions {
                force: true,
                ..Self::write_options()
            },
        )
    }

    fn write_options() -> WriteOptions {
        WriteOptions {
            backoff: Duration::from_millis(1),
            poll: Duration::from_millis(10),
            timeout: Duration::from_secs(90),
            ..WriteOptions::default()
        }
    }

    /// What the cluster and AWS hold now (AWS read with the test's own providers).
    pub async fn read(&self, validation: &Validation) -> LiveState {
        read_live_state(
            &self.cluster.client,
            Some(&self.observer),
            cluster(validation),
        )
        .await
        .expect("live state")
    }

    /// Reads as firecamp does (its calls counted on [`World::aws`]) and plans, writing nothing;
    /// returns the plan and what it was made from.
    pub async fn plan(&self, validation: &Validation) -> (Plan, LiveState) {
        let live = read_live_state(&self.cluster.client, Some(&self.aws), cluster(validation))
            .await
            .expect("live state");
        let plan = plan(
            &Desired::from_validation(validation).expect("desired"),
            &live,
            PlanOptions::default(),
        )
        .expect("plan");
        (plan, live)
    }

    /// Reads, plans and applies once.
    pub async fn apply(&self, validation: &Validation) -> (Plan, Report) {
        let (plan, live) = self.plan(validation).await;
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
        self.carry_out_with(validation, plan, live, &self.writer())
            .await
    }

    /// Carries out `plan`, made from `live`, with `writer`.
    pub async fn carry_out_with(
        &self,
        validation: &Validation,
        plan: &Plan,
        live: &LiveState,
        writer: &KubeWriter,
    ) -> Report {
        let appliers = Appliers {
            cluster: cluster(validation),
            kubernetes: writer,
            aws: Some(&self.aws),
            stop: &CancellationToken::new(),
            halt_service_on_failure: false,
        };
        apply_plan(plan, live, appliers, &mut |_| {}).await
    }

    /// Applies until a plan is empty; returns the number of rounds.
    pub async fn converge(&self, validation: &Validation) -> usize {
        for round in 1..=4 {
            self.await_placement().await;
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

    /// Waits (up to 30 s) until every StatefulSet of the namespace has all its pods and the
    /// scheduler has given each pod a node: a plan made while a member waits for its pod or its
    /// node leaves out what needs the node (its static IP, its DNS record), so an empty plan would
    /// not yet mean converged.
    pub async fn await_placement(&self) {
        for _ in 0..300 {
            let pods = self.pods().await;
            let sets = by_name(self.in_namespace::<StatefulSet>(), |s| {
                s.spec.replicas.unwrap_or(1)
            })
            .await;
            let all_made = sets.iter().all(|(set, replicas)| {
                (0..*replicas).all(|i| pods.contains_key(&format!("{set}-{i}")))
            });
            if all_made
                && pods
                    .values()
                    .all(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_some()))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// After member restarts: the next plan is empty, or only updates the A records of members
    /// the real scheduler put on another node of their zone (only the zone is required of it);
    /// then nothing is left.
    pub async fn settle_after_restarts(&self, validation: &Validation) {
        let live = self.read(validation).await;
        let next = super::plan_of(validation, &live);
        assert!(
            next.steps
                .iter()
                .all(|s| s.provider == firecamp::plan::Provider::Route53
                    && s.action == firecamp::plan::Action::Update),
            "{:#?}",
            next.steps
                .iter()
                .map(|s| (&s.id, s.action, &s.reason, &s.changes))
                .collect::<Vec<_>>()
        );
        let rounds = self.converge(validation).await;
        assert_eq!(rounds, if next.is_empty() { 1 } else { 2 });
    }

    pub async fn pods(&self) -> BTreeMap<String, Pod> {
        by_name(self.in_namespace(), |p| p).await
    }

    /// The test namespace's claims, with the volume each is bound to (none while unbound).
    pub async fn claims(&self) -> BTreeMap<String, Option<String>> {
        by_name(self.in_namespace::<PersistentVolumeClaim>(), |c| {
            let bound = c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
            c.spec.and_then(|s| s.volume_name).filter(|_| bound)
        })
        .await
    }

    /// The zone of every PersistentVolume (from its node affinity).
    pub async fn volume_zones(&self) -> BTreeMap<String, String> {
        by_name(
            Api::<PersistentVolume>::all(self.cluster.admin.clone()),
            |v| {
                let affinity =
                    serde_json::to_value(v.spec.and_then(|s| s.node_affinity)).unwrap_or_default();
                affinity["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            },
        )
        .await
    }

    /// The test namespace's Jobs, and whether each has completed.
    pub async fn jobs(&self) -> BTreeMap<String, bool> {
        by_name(self.in_namespace::<Job>(), |j| {
            j.status.and_then(|s| s.conditions).is_some_and(|c| {
                c.iter()
                    .any(|c| c.type_ == "Complete" && c.status == "True")
            })
        })
        .await
    }

    pub async fn claim_uids(&self) -> BTreeMap<String, String> {
        by_name(self.in_namespace::<PersistentVolumeClaim>(), |c| {
            c.metadata.uid.unwrap_or_default()
        })
        .await
    }

    /// The administrator's API of kind `K` in the test namespace.
    fn in_namespace<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        Api::namespaced(self.cluster.admin.clone(), &self.cluster.namespace)
    }
}

/// Every object `api` lists, by name, as `value` makes it.
async fn by_name<K, V>(api: Api<K>, value: impl Fn(K) -> V) -> BTreeMap<String, V>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|object| {
            (
                object.meta().name.clone().unwrap_or_default(),
                value(object),
            )
        })
        .collect()
}

/// The Cluster document of a validation.
pub fn cluster(validation: &Validation) -> &firecamp_schema::spec::ClusterDocument {
    validation.cluster.as_ref().expect("cluster")
}

/// Edits the example file whose path ends with `suffix` by `edit`; leaves the others as they are.
pub fn edit_file<'a>(
    suffix: &'a str,
    edit: impl Fn(String) -> String + 'a,
) -> impl Fn(&str, String) -> String + 'a {
    move |path, text| {
        if path.ends_with(suffix) {
            edit(text)
        } else {
            text
        }
    }
}

/// Leaves an example file as it is.
pub fn unchanged(_: &str, text: String) -> String {
    text
}
