//! Properties of the plan engine over generated spec sets: plans are deterministic; applying a
//! plan and planning again converges to an empty plan; removing a service only ever plans
//! deletions of that service, never of its volumes under the default policy.

mod common;

use common::{base_live, converge, plan_of, specs};
use firecamp::plan::Action;
use proptest::prelude::*;

const ZONES: [(&str, &str); 3] = [
    ("us-east-1a", "subnet-0a1b2c3d4e5f60711"),
    ("us-east-1b", "subnet-0a1b2c3d4e5f60712"),
    ("us-east-1c", "subnet-0a1b2c3d4e5f60713"),
];

/// One generated service.
#[derive(Debug, Clone)]
enum Generated {
    ZooKeeper(u32),
    Kafka(u32),
    Redis { shards: u32, replicas: u32 },
    Consul(u32),
    Cassandra(u32),
    PostgreSql(u32),
}

fn service() -> impl Strategy<Value = Generated> {
    prop_oneof![
        prop::sample::select(vec![1u32, 3, 5]).prop_map(Generated::ZooKeeper),
        (1u32..=4).prop_map(Generated::Kafka),
        (prop::sample::select(vec![1u32, 3]), 1u32..=3)
            .prop_map(|(shards, replicas)| Generated::Redis { shards, replicas }),
        prop::sample::select(vec![1u32, 3]).prop_map(Generated::Consul),
        prop::sample::select(vec![1u32, 3, 4]).prop_map(Generated::Cassandra),
        (1u32..=4).prop_map(Generated::PostgreSql),
    ]
}

fn yaml(zones: usize, services: &[Generated]) -> String {
    let zone_list: Vec<String> = ZONES[..zones]
        .iter()
        .map(|(z, s)| format!("{{name: {z}, subnetId: {s}}}"))
        .collect();
    let mut text = format!(
        "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {{name: prod}}\nspec: {{region: us-east-1, vpcId: vpc-0a1b2c3d4e5f60718, \
         zones: [{}], dns: {{domain: prod-firecamp.com}}, defaults: {{volume: {{size: 10Gi}}, journalVolume: {{size: 5Gi}}}}}}\n",
        zone_list.join(", ")
    );
    let has_zk = services
        .iter()
        .any(|s| matches!(s, Generated::ZooKeeper(_)));
    for (i, service) in services.iter().enumerate() {
        let (kind, spec) = match service {
            Generated::ZooKeeper(n) => ("ZooKeeper", format!("{{replicas: {n}, heapSize: 1Gi}}")),
            Generated::Kafka(n) if has_zk => {
                let zk = services
                    .iter()
                    .position(|s| matches!(s, Generated::ZooKeeper(_)))
                    .unwrap_or(0);
                (
                    "Kafka",
                    format!("{{replicas: {n}, zookeeper: s{zk}, heapSize: 1Gi}}"),
                )
            }
            Generated::Kafka(_) => ("ZooKeeper", "{replicas: 1, heapSize: 1Gi}".to_owned()),
            Generated::Redis { shards, replicas } => (
                "Redis",
                format!(
                    "{{shards: {shards}, replicas: {replicas}, memorySize: 1Gi, resources: {{limits: {{memory: 2Gi}}}}}}"
                ),
            ),
            Generated::Consul(n) => ("Consul", format!("{{replicas: {n}}}")),
            Generated::Cassandra(n) => (
                "Cassandra",
                format!("{{replicas: {n}, heapSize: 1Gi, resources: {{limits: {{memory: 2Gi}}}}}}"),
            ),
            Generated::PostgreSql(n) => (
                "PostgreSQL",
                format!(
                    "{{replicas: {n}, adminPassword: {{secretName: pg, key: a}}, replicationPassword: {{secretName: pg, key: r}}}}"
                ),
            ),
        };
        text.push_str(&format!("---\napiVersion: firecamp.io/v1alpha1\nkind: {kind}\nmetadata: {{name: s{i}}}\nspec: {spec}\n"));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn plans_are_deterministic_and_converge(zones in 1usize..=3, services in prop::collection::vec(service(), 1..6)) {
        let text = yaml(zones, &services);
        let validation = specs(&[("specs.yaml", &text)]);
        prop_assert!(validation.is_valid(), "{:?}", validation.diagnostics);
        let live = base_live();
        let first = serde_json::to_string(&plan_of(&validation, &live)).expect("json");
        let second = serde_json::to_string(&plan_of(&validation, &live)).expect("json");
        prop_assert_eq!(first, second);
        let converged = converge(&validation, live);
        prop_assert!(plan_of(&validation, &converged).is_empty());
    }

    #[test]
    fn removing_a_service_only_deletes_that_service_and_keeps_its_volumes(services in prop::collection::vec(service(), 2..5), pick in any::<prop::sample::Index>()) {
        let text = yaml(3, &services);
        let validation = specs(&[("specs.yaml", &text)]);
        let converged = converge(&validation, base_live());
        let removed = pick.index(services.len());
        let kept: Vec<&str> = text.split("---\n").enumerate().filter(|(i, _)| *i != removed + 1).map(|(_, d)| d).collect();
        let smaller = specs(&[("specs.yaml", &kept.join("---\n"))]);
        prop_assume!(smaller.is_valid());
        let plan = plan_of(&smaller, &converged);
        let name = format!("s{removed}");
        for step in &plan.steps {
            prop_assert_eq!(step.service.as_deref(), Some(name.as_str()), "{} {}", step.id, step.reason);
            prop_assert_eq!(step.action, Action::Delete);
            prop_assert!(!step.resource.starts_with("PersistentVolumeClaim"));
        }
    }
}
