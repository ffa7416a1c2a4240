//! The loop as operators see it, on the real control plane and moto: the
//! HTTP endpoint serves Prometheus metrics (API calls counted by provider and operation), health
//! and readiness; a failing service backs off on its own while the others go on; and of two loops
//! against the same cluster only the one holding the Lease writes, the other taking over when the
//! first stops.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::cluster::BROKEN_IMAGE;
use common::world::{World, unchanged, world};
use firecamp::observe::health::Health;
use firecamp::observe::kube_calls::counted;
use firecamp::observe::metrics::Metrics;
use firecamp::observe::server::serve;
use firecamp::run::driver::{Schedule, drive};
use firecamp::run::lease::LeaderElector;
use firecamp::run::status::{STATUS_CONFIG_MAP, State, Status};
use firecamp::run::{Observers, Reconciler, Settings, SpecSource, Tick};
use firecamp_aws::CallCounter;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];

/// Writes the examples (edited) into `dir`.
fn write_specs(world: &World, dir: &Path, edit: &dyn Fn(&str, String) -> String) {
    for (path, text) in world.example_texts(&ZK_AND_REDIS, edit) {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(file, text).expect("write");
    }
}

/// `GET path`: the status code and the body.
async fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: firecamp\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("request");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("response");
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

/// The value of the sample `name` (with its labels) in a Prometheus text page.
fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Ticks until a plan is empty, each tick once the scheduler has placed every pod.
async fn settle(world: &World, reconciler: &mut Reconciler<'_>) {
    for _ in 0..4 {
        world.await_placement().await;
        match reconciler.tick().await.expect("tick") {
            Tick::Applied(_, report) => assert!(report.succeeded(), "{report}"),
            Tick::Planned(plan) if plan.is_empty() => return,
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("no convergence in 4 ticks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_serves_metrics_health_and_readiness_with_api_calls_by_operation() {
    let world = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_specs(&world, dir.path(), &unchanged);
    let calls = world.aws.counter.clone();
    let client = counted(world.cluster.client.clone(), calls.clone());
    let observers = Observers {
        metrics: Metrics::default(),
        health: Health::new(Duration::from_secs(60)),
        calls: calls.clone(),
    };
    let mut reconciler = Reconciler::new(
        SpecSource::Local(dir.path().to_owned()),
        world.writer_on(client.clone()),
        client,
        Some(&world.aws),
        Settings::default(),
    )
    .with_observers(observers.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let stop = reconciler.stop_token();
    let server = tokio::spawn(serve(
        listener,
        observers.metrics.clone(),
        observers.health.clone(),
        stop.clone(),
    ));

    assert_eq!(get(address, "/healthz").await, (200, "ok\n".to_owned()));
    let (code, why) = get(address, "/readyz").await;
    assert_eq!(code, 503, "not ready before the first tick");
    assert!(why.contains("first tick"), "{why}");

    settle(&world, &mut reconciler).await;
    assert_eq!(get(address, "/readyz").await, (200, "ok\n".to_owned()));
    let (code, page) = get(address, "/metrics").await;
    assert_eq!(code, 200);
    let kube_lists = calls.get("kubernetes", "list pods");
    assert!(kube_lists >= 2, "one list of pods per tick at least");
    assert_eq!(
        sample(
            &page,
            r#"firecamp_api_calls_total{provider="kubernetes",operation="list pods"}"#
        ),
        Some(kube_lists as f64),
        "{page}"
    );
    assert_eq!(
        sample(
            &page,
            r#"firecamp_api_calls_total{provider="ec2",operation="DescribeNetworkInterfaces"}"#
        ),
        Some(calls.get("ec2", "DescribeNetworkInterfaces") as f64),
    );
    assert!(
        sample(
            &page,
            r#"firecamp_api_calls_total{provider="kubernetes",operation="apply statefulsets"}"#
        )
        .is_some_and(|n| n >= 6.0),
        "one apply per StatefulSet at least"
    );
    assert_eq!(
        sample(&page, r#"firecamp_ticks_total{outcome="in_sync"}"#),
        Some(1.0)
    );
    assert!(sample(&page, r#"firecamp_ticks_total{outcome="applied"}"#).is_some_and(|n| n >= 1.0));
    assert!(
        sample(
            &page,
            r#"firecamp_applied_steps_total{action="create",outcome="done"}"#
        )
        .is_some_and(|n| n > 10.0)
    );
    assert_eq!(
        sample(&page, r#"firecamp_services{state="Ready"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&page, r#"firecamp_services{state="Stalled"}"#),
        Some(0.0)
    );
    assert!(sample(&page, "firecamp_reconcile_duration_seconds_count").is_some_and(|n| n >= 2.0));
    assert!(
        !page.contains("firecamp_plan_steps{"),
        "the last plan was empty: no steps by action"
    );
    assert_eq!(get(address, "/nothing").await.0, 404);

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops with the loop")
        .expect("server task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_backs_off_on_its_own_while_the_others_go_on() {
    let world = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_specs(&world, dir.path(), &unchanged);
    let settings = Settings {
        backoff_base: Duration::from_secs(3),
        ..Settings::default()
    };
    let mut reconciler = Reconciler::new(
        SpecSource::Local(dir.path().to_owned()),
        world.writer(),
        world.cluster.client.clone(),
        Some(&world.aws),
        settings,
    );
    settle(&world, &mut reconciler).await;

    // ZooKeeper's new image never pulls; Redis gets smaller requests.
    write_specs(&world, dir.path(), &|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace(
                "heapSize: 2Gi",
                &format!("heapSize: 2Gi\n  image: zookeeper:{BROKEN_IMAGE}"),
            )
        } else {
            text.replace(
                "requests: {cpu: \"1\", memory: 8Gi}",
                "requests: {cpu: 500m, memory: 8Gi}",
            )
        }
    });
    let Tick::Applied(plan, report) = reconciler.tick().await.expect("tick") else {
        panic!("the change was not applied");
    };
    assert!(!report.succeeded());
    let redis_steps: Vec<_> = plan
        .steps
        .iter()
        .filter(|s| s.service.as_deref() == Some("sessions-redis"))
        .map(|s| s.id.clone())
        .collect();
    assert!(!redis_steps.is_empty());
    assert!(
        report
            .steps
            .iter()
            .filter(|s| redis_steps.contains(&s.id))
            .all(|s| s.outcome == firecamp::apply::Outcome::Done),
        "Redis goes on: {report}"
    );
    assert_eq!(world.status().await.services["zk"].state, State::Stalled);

    // At once again: ZooKeeper is left alone, and said to be backing off (whatever is left of
    // Redis's changes may go on).
    let zk_pods = zk_pod_uids(&world).await;
    let plan = plan_of(reconciler.tick().await.expect("tick"));
    assert!(
        plan.steps
            .iter()
            .all(|s| s.service.as_deref() != Some("zk")),
        "ZooKeeper is left alone: {:?}",
        plan.steps.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("zk: backing off after 1 failed attempt(s)")),
        "{:?}",
        plan.warnings
    );
    assert_eq!(
        zk_pod_uids(&world).await,
        zk_pods,
        "no ZooKeeper pod deleted while backing off"
    );
    let recorded = world.status().await;
    assert_eq!(recorded.services["zk"].state, State::Stalled);
    assert!(
        recorded.services["zk"].reason.contains("backing off"),
        "{:?}",
        recorded.services["zk"]
    );
    assert_ne!(recorded.services["sessions-redis"].state, State::Stalled);

    // Once the wait is over, ZooKeeper is tried again; it fails again and waits twice as long.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let Tick::Applied(_, report) = reconciler.tick().await.expect("tick") else {
        panic!("ZooKeeper is tried again after the wait");
    };
    assert!(!report.succeeded());
    let reason = world.status().await.services["zk"].reason.clone();
    let plan = plan_of(reconciler.tick().await.expect("tick"));
    assert!(
        plan.warnings.iter().any(|w| w
            .starts_with("zk: backing off after 2 failed attempt(s), next in 6 s")
            || w.starts_with("zk: backing off after 2 failed attempt(s), next in 5 s")),
        "{:?} ({reason})",
        plan.warnings
    );
}

/// The plan a tick made, applied or not.
fn plan_of(tick: Tick) -> firecamp::plan::Plan {
    match tick {
        Tick::Planned(plan) | Tick::Applied(plan, _) => plan,
        Tick::Unchanged => panic!("the tick planned nothing"),
    }
}

/// The uids of ZooKeeper's pods, by name.
async fn zk_pod_uids(world: &World) -> BTreeMap<String, Option<String>> {
    world
        .pods()
        .await
        .into_iter()
        .filter(|(name, _)| name.starts_with("zk-"))
        .map(|(name, pod)| (name, pod.metadata.uid))
        .collect()
}

/// Kubernetes operations other than the Lease's.
fn writes_beyond_the_lease(calls: &CallCounter) -> BTreeMap<(String, String), u64> {
    calls
        .snapshot()
        .into_iter()
        .filter(|((provider, operation), _)| {
            provider == "kubernetes"
                && !operation.ends_with(" leases")
                && !operation.starts_with("get ")
                && !operation.starts_with("list ")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_loops_only_the_leader_writes_and_the_other_takes_over_when_it_stops() {
    let world = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_specs(&world, dir.path(), &unchanged);
    let lease = Duration::from_secs(2);
    let schedule = Schedule {
        interval: Duration::from_millis(300),
        once: false,
        lease,
    };
    let replica = |name: &str, calls: &CallCounter| {
        let client = counted(world.cluster.client.clone(), calls.clone());
        let elector = LeaderElector::new(client.clone(), "firecamp-system", name, lease);
        let reconciler = Reconciler::new(
            SpecSource::Local(dir.path().to_owned()),
            world.writer_on(client.clone()),
            client,
            Some(&world.aws),
            Settings::default(),
        );
        (reconciler, elector)
    };
    let (calls_a, calls_b) = (CallCounter::default(), CallCounter::default());
    let (mut a, elector_a) = replica("replica-a", &calls_a);
    let (mut b, elector_b) = replica("replica-b", &calls_b);
    let (stop_a, stop_b) = (a.stop_token(), b.stop_token());
    // replica-a starts first and leads; replica-b starts while it works.
    let first = elector_a.lead().await.expect("lease");
    assert!(first);

    let watch = async {
        // Until replica-a has applied everything (the status says both services are ready).
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let ready =
                Api::<ConfigMap>::namespaced(world.cluster.admin.clone(), world.namespace())
                    .get_opt(STATUS_CONFIG_MAP)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|m| Status::from_config_map(&m.data.unwrap_or_default()).ok())
                    .is_some_and(|s| {
                        s.services
                            .values()
                            .filter(|v| v.state == State::Ready)
                            .count()
                            == 2
                    });
            if ready {
                break;
            }
        }
        assert!(
            writes_beyond_the_lease(&calls_b).is_empty(),
            "the standby wrote: {:?}",
            writes_beyond_the_lease(&calls_b)
        );
        assert!(
            !writes_beyond_the_lease(&calls_a).is_empty(),
            "the leader wrote nothing"
        );
        // replica-a stops (SIGTERM); replica-b takes over once the lease expires.
        stop_a.cancel();
        let lists_before = calls_b.get("kubernetes", "list pods");
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if calls_b.get("kubernetes", "list pods") > lists_before {
                break;
            }
        }
        assert!(
            calls_b.get("kubernetes", "list pods") > lists_before,
            "replica-b took over and ticked"
        );
        stop_b.cancel();
    };
    let (mut said_a, mut said_b) = (Vec::new(), Vec::new());
    let mut say_a = |line: &str| said_a.push(line.to_owned());
    let mut say_b = |line: &str| said_b.push(line.to_owned());
    let (ran_a, ran_b, ()) = tokio::join!(
        drive(&mut a, Some(&elector_a), schedule, &mut say_a),
        drive(&mut b, Some(&elector_b), schedule, &mut say_b),
        watch,
    );
    assert!(ran_a.expect("replica-a") && ran_b.expect("replica-b"));
    assert!(
        said_b.iter().any(|l| l.starts_with("standby")),
        "{said_b:?}"
    );
    assert!(
        !said_a.iter().any(|l| l.starts_with("standby")),
        "{said_a:?}"
    );
}
