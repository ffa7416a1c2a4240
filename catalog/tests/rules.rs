//! Rules every rendering follows: zone placement, name lengths, ports, references, secrets.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::SpecSet;
use firecamp_catalog::{KubeObject, render_service};
use k8s_openapi::api::apps::v1::StatefulSet;

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

fn cluster(zones: usize) -> String {
    let zones: Vec<String> = ZONES[..zones]
        .iter()
        .enumerate()
        .map(|(i, z)| format!("{{name: {z}, subnetId: subnet-{i}a1b2c3d}}"))
        .collect();
    format!(
        "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {{name: t}}\nspec: {{region: us-east-1, vpcId: vpc-0a1b2c3d, \
         zones: [{}], defaults: {{volume: {{size: 10Gi}}, journalVolume: {{size: 5Gi}}}}}}\n",
        zones.join(", ")
    )
}

fn statefulsets(objects: &[KubeObject]) -> Vec<&StatefulSet> {
    objects
        .iter()
        .filter_map(|o| {
            if let KubeObject::StatefulSet(s) = o {
                Some(&**s)
            } else {
                None
            }
        })
        .collect()
}

fn pinned_zone(statefulset: &StatefulSet) -> String {
    let spec = statefulset.spec.template.spec.as_ref().expect("pod spec");
    let affinity = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .expect("node affinity");
    let terms = &affinity
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .expect("required")
        .node_selector_terms;
    let expression = &terms[0].match_expressions.as_ref().expect("expressions")[0];
    assert_eq!(expression.key, "topology.kubernetes.io/zone");
    expression.values.as_ref().expect("values")[0].clone()
}

#[test]
fn members_round_robin_over_zones_and_each_statefulset_is_pinned_to_its_zone() {
    for zones in 1..=3 {
        for replicas in 1..=7u32 {
            // Cassandra allows every count but 2; ZooKeeper needs odd ones; Kafka takes any.
            let yaml = format!(
                "{}---\napiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: zk}}\nspec: {{replicas: 1, heapSize: 1Gi}}\n\
                 ---\napiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {{name: kafka}}\nspec: {{replicas: {replicas}, zookeeper: zk, heapSize: 1Gi}}\n",
                cluster(zones)
            );
            let set = SpecSet::from_yaml(&yaml);
            let desired = render_service(set.inputs(), &set.services["kafka"]).expect("renders");
            assert_eq!(desired.members.len(), replicas as usize);
            for (i, member) in desired.members.iter().enumerate() {
                assert_eq!(
                    member.member.zone,
                    ZONES[i % zones],
                    "{zones} zones, {replicas} members, member {i}"
                );
            }
            let mut per_zone = BTreeMap::new();
            for statefulset in statefulsets(&desired.objects) {
                let count = statefulset.spec.replicas.expect("replicas");
                *per_zone.entry(pinned_zone(statefulset)).or_insert(0) += count;
            }
            let counts: Vec<i32> = per_zone.values().copied().collect();
            assert_eq!(counts.iter().sum::<i32>(), replicas as i32);
            assert!(
                counts.iter().max().unwrap_or(&0) - counts.iter().min().unwrap_or(&0) <= 1,
                "balanced: {per_zone:?}"
            );
        }
    }
}

#[test]
fn shard_offsets_and_the_postgresql_primary_follow_firecamps_zone_rule() {
    let set = SpecSet::examples();
    let redis = render_service(set.inputs(), &set.services["sessions-redis"]).expect("renders");
    for member in &redis.members {
        let shard: usize = member
            .member
            .role
            .trim_start_matches("shard")
            .parse()
            .expect("shard number");
        assert_eq!(
            member.member.zone,
            ZONES[(shard + member.member.role_index as usize) % 3],
            "{}",
            member.member.name
        );
    }
    let postgres = render_service(set.inputs(), &set.services["billing-pg"]).expect("renders");
    let zones: Vec<(&str, &str)> = postgres
        .members
        .iter()
        .map(|m| (m.member.role.as_str(), m.member.zone.as_str()))
        .collect();
    assert_eq!(
        zones,
        [
            ("primary", "us-east-1a"),
            ("standby", "us-east-1b"),
            ("standby", "us-east-1c")
        ]
    );
}

#[test]
fn every_name_and_label_value_fits_kubernetes_limits() {
    let set = SpecSet::examples();
    for object in set.all_objects() {
        let name = object.name();
        assert!(
            !name.is_empty() && name.len() <= 63,
            "{} {name}",
            object.kind()
        );
        if matches!(object, KubeObject::StatefulSet(_)) {
            assert!(
                name.len() <= 52,
                "StatefulSet {name} leaves no room for controller-revision-hash"
            );
        }
        for value in object.metadata().labels.iter().flatten().map(|(_, v)| v) {
            assert!(
                value.len() <= 63,
                "{} {name}: label value {value}",
                object.kind()
            );
        }
    }
    for desired in set.render().into_values().flatten() {
        for member in &desired.members {
            assert!(member.member.name.len() <= 63, "{}", member.member.name);
            assert!(member.dns_name.len() <= 253, "{}", member.dns_name);
        }
    }
}

#[test]
fn ports_are_unique_within_every_pod() {
    for object in SpecSet::examples().all_objects() {
        let KubeObject::StatefulSet(statefulset) = object else {
            continue;
        };
        let pod = statefulset.spec.template.spec.as_ref().expect("pod spec");
        let ports: Vec<_> = pod
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .collect();
        // Kubernetes keys a pod's ports by number and protocol: one number may be both TCP and UDP.
        let numbers: BTreeSet<(i32, &str)> = ports
            .iter()
            .map(|p| (p.container_port, p.protocol.as_deref().unwrap_or("TCP")))
            .collect();
        let names: BTreeSet<&str> = ports.iter().filter_map(|p| p.name.as_deref()).collect();
        assert_eq!(
            numbers.len(),
            ports.len(),
            "{:?}",
            statefulset.metadata.name
        );
        assert_eq!(names.len(), ports.len(), "{:?}", statefulset.metadata.name);
        assert!(
            names.iter().all(|n| n.len() <= 15),
            "port names are at most 15 characters"
        );
    }
}

#[test]
fn credentials_only_reach_pods_through_secret_references() {
    for object in SpecSet::examples().all_objects() {
        let pod = match &object {
            KubeObject::StatefulSet(s) => s.spec.template.spec.clone(),
            KubeObject::Job(j) => j.spec.as_ref().and_then(|s| s.template.spec.clone()),
            _ => None,
        };
        let Some(pod) = pod else { continue };
        for env in pod.containers.iter().flat_map(|c| c.env.iter().flatten()) {
            let sensitive = ["PASSWORD", "AUTH", "ENCRYPT", "COOKIE"]
                .iter()
                .any(|w| env.name.contains(w))
                && env.name != "AUTH_TYPE";
            if sensitive {
                assert!(
                    env.value.is_none(),
                    "{}: {} has a literal value",
                    object.name(),
                    env.name
                );
                let from_secret = env
                    .value_from
                    .as_ref()
                    .and_then(|v| v.secret_key_ref.as_ref())
                    .is_some();
                assert!(
                    from_secret,
                    "{}: {} must come from a Secret",
                    object.name(),
                    env.name
                );
            }
        }
    }
}

#[test]
fn static_ip_members_get_the_ip_containers_and_aws_requests() {
    let set = SpecSet::examples();
    let redis = render_service(set.inputs(), &set.services["sessions-redis"]).expect("renders");
    assert_eq!(redis.aws.static_ips.len(), redis.members.len());
    assert!(
        redis
            .aws
            .dns_records
            .iter()
            .all(|r| r.target == firecamp_catalog::RecordTarget::StaticIp)
    );
    for statefulset in statefulsets(&redis.objects) {
        let pod = statefulset.spec.template.spec.as_ref().expect("pod spec");
        let init: Vec<&str> = pod
            .init_containers
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(init, ["static-ip", "static-ip-release"]);
        assert_eq!(pod.host_network, Some(true));
    }
    let kafka = render_service(set.inputs(), &set.services["kafka"]).expect("renders");
    assert!(kafka.aws.static_ips.is_empty());
    assert!(
        kafka
            .aws
            .dns_records
            .iter()
            .all(|r| r.target == firecamp_catalog::RecordTarget::NodeIp)
    );
}

#[test]
fn a_config_map_larger_than_kubernetes_accepts_fails_the_render() {
    use firecamp_catalog::RenderError;
    use firecamp_catalog::object_limits::{MAX_CONFIG_MAP_DATA, config_map_data_size};
    use firecamp_schema::spec::Service;

    let set = SpecSet::examples();
    let sized = |shards: u32, replicas: u32| {
        let mut redis = set.services["sessions-redis"].clone();
        let Service::Redis(spec) = &mut redis.body else {
            panic!("sessions-redis is a Redis");
        };
        spec.shards = shards;
        spec.workload.replicas = Some(replicas);
        redis
    };
    // Past validation's member limits: 5,000 members' files in one ConfigMap.
    let redis = sized(1000, 5);
    match render_service(set.inputs(), &redis) {
        Err(RenderError::ConfigMapTooLarge {
            service,
            config_map,
            bytes,
            limit,
        }) => {
            assert_eq!(
                (service.as_str(), config_map.as_str()),
                ("sessions-redis", "sessions-redis-config")
            );
            assert!(bytes > limit && limit == MAX_CONFIG_MAP_DATA, "{bytes}");
        }
        other => panic!("{other:?}"),
    }
    // The largest service validation allows still fits.
    let rendered = render_service(set.inputs(), &sized(1000, 2)).expect("2,000 members render");
    let size = rendered
        .objects
        .iter()
        .find_map(|o| match o {
            KubeObject::ConfigMap(c) => Some(config_map_data_size(c)),
            _ => None,
        })
        .expect("a ConfigMap");
    assert!(size <= MAX_CONFIG_MAP_DATA, "{size}");
}

/// Consul's agent binds server RPC (8300) and Serf (8301, 8302) to `-bind`, the member's static IP,
/// and its HTTP API and DNS to `client_addr` (the agent configuration reference: "-bind - The
/// address that should be bound to for internal cluster communications", "client_addr - The
/// address to which Consul will bind client interfaces, including the HTTP and DNS servers").
/// On the host network the kubelet's TCP probe dials the node's address: it must be a client port
/// on 0.0.0.0, never a cluster port.
#[test]
fn consuls_liveness_probe_dials_a_port_consul_listens_on_for_the_node_address() {
    let desired = SpecSet::examples()
        .render()
        .remove("consul")
        .expect("the Consul example")
        .expect("it renders");
    let files = desired
        .objects
        .iter()
        .find_map(|o| match o {
            KubeObject::ConfigMap(c) if c.metadata.name.as_deref() == Some("consul-config") => {
                c.data.clone()
            }
            _ => None,
        })
        .expect("consul-config");
    let config: serde_json::Value =
        serde_json::from_str(&files["consul.json"]).expect("consul.json is JSON");
    assert_eq!(config["client_addr"], "0.0.0.0");
    let client_ports: Vec<i64> = [("http", 8500), ("dns", 8600), ("https", -1)]
        .iter()
        .map(|(name, default)| config["ports"][name].as_i64().unwrap_or(*default))
        .collect();
    assert!(
        files["start.sh"].contains("-bind=\"$address\"")
            && files["start.sh"].contains("firecamp-static-ip"),
        "the cluster ports are bound to the static IP: {}",
        files["start.sh"]
    );
    for statefulset in statefulsets(&desired.objects) {
        let pod = statefulset.spec.template.spec.as_ref().expect("pod spec");
        assert_eq!(pod.host_network, Some(true));
        let probe = pod.containers[0]
            .liveness_probe
            .as_ref()
            .expect("a liveness probe");
        let socket = probe.tcp_socket.as_ref().expect("a TCP probe");
        assert!(socket.host.is_none(), "dials the pod's (node's) address");
        let port = match &socket.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p) => i64::from(*p),
            other => panic!("a numbered port, got {other:?}"),
        };
        assert!(
            client_ports.contains(&port),
            "{port} is not one of the client ports {client_ports:?} Consul serves on 0.0.0.0"
        );
    }
}
