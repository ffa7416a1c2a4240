//! `firecamp run`'s tick on a real git repository, the real control plane and moto: a push is applied
//! on the next ticks, an unchanged remote costs one poll and no plan work, a push that breaks one
//! spec leaves that service untouched and applies the others, and the status records it all.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;

use common::git;
use common::world::{World, world};
use firecamp::plan::Action;
use firecamp::run::status::State;
use firecamp::run::{Reconciler, Settings, SpecSource, Tick};
use firecamp::source::{GitAuth, GitSource};

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];

/// Writes the examples (edited) into `work/specs`, commits and pushes.
fn push(world: &World, work: &Path, subject: &str, edit: &dyn Fn(&str, String) -> String) {
    for (path, text) in world.example_texts(&ZK_AND_REDIS, edit) {
        let file = work.join("specs").join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(file, text).expect("write");
    }
    git(work, &["add", "."]);
    git(work, &["commit", "--quiet", "-m", subject]);
    git(work, &["push", "--quiet", "origin", "main"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_applied_unchanged_remotes_cost_nothing_and_a_broken_spec_stays_untouched() {
    let world = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (bare, work) = (dir.path().join("specs.git"), dir.path().join("work"));
    std::fs::create_dir_all(&bare).expect("bare");
    std::fs::create_dir_all(&work).expect("work");
    git(&bare, &["init", "--bare", "--quiet"]);
    git(&work, &["init", "--quiet"]);
    git(
        &work,
        &["remote", "add", "origin", bare.to_str().expect("utf-8")],
    );
    push(&world, &work, "ZooKeeper and Redis", &|_, text| text);

    let source = GitSource::new(
        bare.to_str().expect("utf-8"),
        "main",
        Path::new("specs"),
        &dir.path().join("checkout"),
        GitAuth::None,
    );
    let client = world.cluster.client.clone();
    let mut reconciler = Reconciler::new(
        SpecSource::Git(source),
        world.writer(),
        client,
        Some(&world.aws),
        Settings::default(),
    );
    let mut ticks = 0;
    loop {
        ticks += 1;
        assert!(ticks <= 4, "no convergence in 4 ticks");
        // Converged means nothing left once the scheduler has placed every pod.
        world.await_placement().await;
        match reconciler.tick().await.expect("tick") {
            Tick::Applied(_, report) => assert!(report.succeeded(), "{report}"),
            Tick::Planned(plan) if plan.is_empty() => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    let head = git(&work, &["rev-parse", "HEAD"]);
    let recorded = world.status().await;
    assert_eq!(
        recorded.last_applied.as_ref().map(|r| r.commit.as_str()),
        Some(head.as_str())
    );
    assert_eq!(recorded.services["zk"].state, State::Ready);
    assert_eq!(recorded.services["sessions-redis"].state, State::Ready);

    // Nothing moved: one poll of the remote, no read of the cluster, no plan.
    world.cluster.pause_controllers(true).await;
    world.cluster.reset_counts();
    assert!(matches!(
        reconciler.tick().await.expect("tick"),
        Tick::Unchanged
    ));
    assert_eq!(world.cluster.requests.lists.load(Ordering::SeqCst), 0);
    assert_eq!(world.cluster.requests.writes(), 0);
    world.cluster.pause_controllers(false).await;

    // One push breaks Redis (2 shards are refused) and changes ZooKeeper's heap.
    push(
        &world,
        &work,
        "Smaller ZooKeeper heap; Redis typo",
        &|path, text| {
            if path.ends_with("zookeeper.yaml") {
                text.replace("heapSize: 2Gi", "heapSize: 1Gi")
            } else if path.ends_with("redis.yaml") {
                text.replace("shards: 3", "shards: 2")
            } else {
                text
            }
        },
    );
    let Tick::Applied(plan, report) = reconciler.tick().await.expect("tick") else {
        panic!("the push was not applied");
    };
    assert!(report.succeeded(), "{report}");
    assert!(plan.steps.iter().any(|s| s.action == Action::RestartMember));
    assert!(
        plan.steps
            .iter()
            .all(|s| s.service.as_deref() != Some("sessions-redis")),
        "the broken service is left exactly as it is"
    );
    let recorded = world.status().await;
    assert_eq!(recorded.services["sessions-redis"].state, State::Stalled);
    assert!(
        recorded.services["sessions-redis"]
            .reason
            .contains("spec has problems")
    );
    assert_eq!(
        recorded.last_attempted.as_ref().map(|r| r.subject.as_str()),
        Some("Smaller ZooKeeper heap; Redis typo")
    );
    assert!(recorded.runs.len() >= 3, "{:?}", recorded.runs);
}
