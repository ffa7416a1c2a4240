//! Kafka's two modes as rendered: KRaft (controllers on the first brokers or of their own) for
//! every broker count, controller count and zone count, and legacy ZooKeeper mode.
//! `kafka_kraft.rs` runs a rendered KRaft cluster.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::SpecSet;
use firecamp_catalog::{DesiredService, KubeObject, render_service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

fn specs(zones: usize, documents: &str) -> SpecSet {
    let zones: Vec<String> = ZONES[..zones]
        .iter()
        .enumerate()
        .map(|(i, z)| format!("{{name: {z}, subnetId: subnet-{i}a1b2c3d}}"))
        .collect();
    SpecSet::from_yaml(&format!(
        "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {{name: t}}\nspec: {{region: us-east-1, vpcId: vpc-0a1b2c3d, \
         zones: [{}], defaults: {{volume: {{size: 10Gi}}, journalVolume: {{size: 5Gi}}}}}}\n{documents}",
        zones.join(", ")
    ))
}

fn kafka_document(name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {{name: {name}}}\nspec: {{heapSize: 1Gi, {spec}}}\n"
    )
}

/// `key=value` settings of each member's `server.properties`, by member.
fn server_properties(kafka: &DesiredService) -> BTreeMap<String, BTreeMap<String, String>> {
    let data = kafka
        .objects
        .iter()
        .find_map(|o| match o {
            KubeObject::ConfigMap(c) => c.data.clone(),
            _ => None,
        })
        .expect("a ConfigMap");
    kafka
        .members
        .iter()
        .map(|m| {
            let file = &data[&format!("{}.server.properties", m.member.name)];
            let settings = file
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            (m.member.name.clone(), settings)
        })
        .collect()
}

/// The port each StatefulSet's readiness probe dials, by role.
fn probe_ports(kafka: &DesiredService) -> BTreeMap<String, i32> {
    kafka
        .objects
        .iter()
        .filter_map(|o| match o {
            KubeObject::StatefulSet(s) => {
                let role = s.metadata.labels.as_ref()?["app.kubernetes.io/component"].clone();
                let probe = s.spec.template.spec.as_ref()?.containers[0]
                    .readiness_probe
                    .clone()?;
                let IntOrString::Int(port) = probe.tcp_socket?.port else {
                    return None;
                };
                Some((role, port))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_kraft_member_has_its_index_as_node_id_and_the_quorum_is_exactly_the_voters() {
    for zones in 1..=3 {
        for brokers in 1..=7u32 {
            for dedicated in [false, true] {
                for controllers in [None, Some(1), Some(3), Some(5)] {
                    if !dedicated
                        && controllers.unwrap_or(if brokers >= 3 { 3 } else { 1 }) > brokers
                    {
                        continue;
                    }
                    let quorum =
                        controllers.map_or(String::new(), |c| format!(", controllers: {c}"));
                    let set = specs(
                        zones,
                        &kafka_document(
                            "kafka",
                            &format!(
                                "replicas: {brokers}, dedicatedControllers: {dedicated}{quorum}"
                            ),
                        ),
                    );
                    let case = format!(
                        "{zones} zones, {brokers} brokers, dedicated {dedicated}, controllers {controllers:?}"
                    );
                    let kafka =
                        render_service(set.inputs(), &set.services["kafka"]).expect("renders");
                    let expected_voters =
                        controllers.unwrap_or(if brokers >= 3 || dedicated { 3 } else { 1 });
                    let settings = server_properties(&kafka);
                    let mut node_ids = BTreeSet::new();
                    let mut voters: Vec<String> = Vec::new();
                    for member in &kafka.members {
                        let own = &settings[&member.member.name];
                        assert_eq!(own["node.id"], member.member.index.to_string(), "{case}");
                        assert!(
                            node_ids.insert(own["node.id"].clone()),
                            "{case}: unique node ids"
                        );
                        let roles = own["process.roles"].as_str();
                        match member.member.role.as_str() {
                            "controller" => {
                                assert!(dedicated, "{case}");
                                assert_eq!(roles, "controller", "{case}");
                            }
                            "broker" => {
                                assert_eq!(own["broker.rack"], member.member.zone, "{case}");
                                assert_eq!(
                                    own["advertised.listeners"],
                                    format!("PLAINTEXT://{}:9092", member.dns_name),
                                    "{case}"
                                );
                                let combined =
                                    !dedicated && member.member.role_index < expected_voters;
                                assert_eq!(
                                    roles,
                                    if combined {
                                        "broker,controller"
                                    } else {
                                        "broker"
                                    },
                                    "{case}"
                                );
                            }
                            other => panic!("{case}: role {other}"),
                        }
                        if roles.contains("controller") {
                            voters
                                .push(format!("{}@{}:9094", member.member.index, member.dns_name));
                            assert!(
                                own["listeners"].contains("CONTROLLER://0.0.0.0:9094"),
                                "{case}"
                            );
                        }
                        assert!(!own.contains_key("zookeeper.connect"), "{case}");
                    }
                    assert_eq!(voters.len() as u32, expected_voters, "{case}");
                    for own in settings.values() {
                        assert_eq!(own["controller.quorum.voters"], voters.join(","), "{case}");
                    }
                    // The voters spread over as many zones as they can.
                    let voter_zones: BTreeSet<&str> = kafka
                        .members
                        .iter()
                        .filter(|m| voters.iter().any(|v| v.contains(&m.dns_name)))
                        .map(|m| m.member.zone.as_str())
                        .collect();
                    assert_eq!(
                        voter_zones.len(),
                        zones.min(expected_voters as usize),
                        "{case}"
                    );
                    let ports = probe_ports(&kafka);
                    assert_eq!(ports["broker"], 9092, "{case}");
                    if dedicated {
                        assert_eq!(
                            ports["controller"], 9094,
                            "{case}: controllers serve no clients"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn adding_brokers_changes_no_controller_and_every_node_formats_with_the_service_cluster_id() {
    let render = |brokers: u32, name: &str| {
        let set = specs(
            3,
            &kafka_document(
                name,
                &format!("replicas: {brokers}, dedicatedControllers: true"),
            ),
        );
        render_service(set.inputs(), &set.services[name]).expect("renders")
    };
    let (before, after) = (render(3, "kafka"), render(6, "kafka"));
    let (before_settings, after_settings) = (server_properties(&before), server_properties(&after));
    for (member, own) in &before_settings {
        assert_eq!(
            after_settings[member]["node.id"], own["node.id"],
            "{member} keeps its node id when brokers are added"
        );
        assert_eq!(
            after_settings[member]["controller.quorum.voters"],
            own["controller.quorum.voters"]
        );
    }
    let cluster_id = |kafka: &DesiredService| -> BTreeSet<String> {
        kafka
            .objects
            .iter()
            .filter_map(|o| match o {
                KubeObject::StatefulSet(s) => s.spec.template.spec.clone(),
                _ => None,
            })
            .flat_map(|pod| pod.containers[0].env.clone().unwrap_or_default())
            .filter(|e| e.name == "KAFKA_CLUSTER_ID")
            .filter_map(|e| e.value)
            .collect()
    };
    let ids = cluster_id(&before);
    assert_eq!(ids.len(), 1, "one cluster id for every node: {ids:?}");
    let id = ids.iter().next().expect("an id");
    assert_eq!(id.len(), 22, "Kafka's Uuid form: {id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{id}"
    );
    assert_eq!(
        cluster_id(&after),
        ids,
        "the id depends on the names, not the size"
    );
    assert_ne!(
        cluster_id(&render(3, "other")),
        ids,
        "each service has its own id"
    );
    let start = common::example_file("kafka", "start.sh");
    assert!(
        start.contains(
            "kafka-storage.sh format --ignore-formatted --cluster-id \"$KAFKA_CLUSTER_ID\""
        ),
        "{start}"
    );
}

#[test]
fn kafka_ui_and_connect_are_given_the_brokers_only() {
    let set = specs(
        3,
        &format!(
            "{}---\napiVersion: firecamp.io/v1alpha1\nkind: KafkaManager\nmetadata: {{name: ui}}\n\
             spec: {{kafka: [kafka], heapSize: 1Gi, user: admin, password: {{secretName: ui, key: password}}}}\n",
            kafka_document("kafka", "replicas: 3, dedicatedControllers: true")
        ),
    );
    let ui = render_service(set.inputs(), &set.services["ui"]).expect("renders");
    let env: BTreeMap<String, String> = ui
        .objects
        .iter()
        .filter_map(|o| match o {
            KubeObject::StatefulSet(s) => s.spec.template.spec.clone(),
            _ => None,
        })
        .flat_map(|pod| pod.containers[0].env.clone().unwrap_or_default())
        .filter_map(|e| Some((e.name, e.value?)))
        .collect();
    assert_eq!(env["KAFKA_CLUSTERS_0_NAME"], "kafka");
    let servers: Vec<&str> = env["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"]
        .split(',')
        .collect();
    assert_eq!(servers.len(), 3, "{servers:?}");
    assert!(
        servers
            .iter()
            .all(|s| s.contains("-broker-") && s.ends_with(":9092")),
        "{servers:?}"
    );
}

#[test]
fn zookeeper_mode_is_kafka_3_9_with_zookeeper_connect_listing_exactly_the_zookeeper_members() {
    let set = specs(
        3,
        &format!(
            "{}---\napiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: zk}}\nspec: {{replicas: 3, heapSize: 1Gi}}\n",
            kafka_document("kafka", "replicas: 3, zookeeper: zk")
        ),
    );
    let zookeeper = render_service(set.inputs(), &set.services["zk"]).expect("renders");
    let expected: Vec<String> = zookeeper
        .members
        .iter()
        .map(|m| format!("{}:2181", m.dns_name))
        .collect();
    let kafka = render_service(set.inputs(), &set.services["kafka"]).expect("renders");
    let settings = server_properties(&kafka);
    assert_eq!(settings.len(), 3);
    for (member, own) in &settings {
        let (hosts, chroot) = own["zookeeper.connect"].split_once('/').expect("a chroot");
        assert_eq!(hosts.split(',').collect::<Vec<_>>(), expected, "{member}");
        assert_eq!(chroot, "kafka");
        assert!(
            own.contains_key("broker.id") && !own.contains_key("process.roles"),
            "{member}"
        );
    }
    for object in &kafka.objects {
        if let KubeObject::StatefulSet(s) = object {
            let container = &s.spec.template.spec.as_ref().expect("pod").containers[0];
            assert_eq!(container.image.as_deref(), Some("apache/kafka:3.9.2"));
            assert!(
                container
                    .env
                    .iter()
                    .flatten()
                    .all(|e| e.name != "KAFKA_CLUSTER_ID"),
                "no KRaft format in ZooKeeper mode"
            );
        }
    }
}
