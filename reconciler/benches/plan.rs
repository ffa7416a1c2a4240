//! Planning a large cluster that is in sync: 1,000 services with 5,000 members (500 ZooKeeper
//! ensembles of 5 and 500 Kafka clusters of 5 brokers, one file per pair) against the floor of
//! reading and parsing the same YAML files. Both run on the allocator the `firecamp` binary ships
//! with (jemalloc).

mod support;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use firecamp::live::{LiveState, simulate_apply, write_snapshot};
use firecamp::plan::{Desired, PlanOptions, Planner, plan};
use firecamp_schema::validate::read_specs;
use firecamp_schema::yaml::load_documents;
use firecamp_schema::{Limits, validate_path};

/// The live state after applying the plan from an empty cluster: everything in sync.
fn in_sync(desired: &Desired) -> LiveState {
    let first = plan(desired, &LiveState::default(), PlanOptions::default()).expect("plan");
    simulate_apply(&first, &LiveState::default())
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    support::write_specs(dir.path(), 500);
    let limits = Limits::default();
    let validation = validate_path(dir.path(), &limits).expect("readable");
    assert!(
        validation.is_valid(),
        "{:?}",
        validation.diagnostics.first()
    );
    let desired = Desired::from_validation(&validation).expect("desired");
    assert_eq!(desired.services.len(), 1_000);
    assert_eq!(
        desired
            .services
            .iter()
            .map(|s| s.members.len())
            .sum::<usize>(),
        5_000
    );
    let live = in_sync(&desired);
    assert!(
        plan(&desired, &live, PlanOptions::default())
            .expect("plan")
            .is_empty(),
        "the live state is in sync"
    );

    // With FIRECAMP_BENCH_OUT=<dir>, the specs and the in-sync live snapshot are also written
    // there, to measure `firecamp plan <dir>/specs --live-snapshot <dir>/live.json` as a process.
    if let Some(out) = std::env::var_os("FIRECAMP_BENCH_OUT") {
        let out = std::path::Path::new(&out);
        support::write_specs(&out.join("specs"), 500);
        std::fs::write(out.join("live.json"), write_snapshot(&live)).expect("snapshot");
    }

    let mut group = c.benchmark_group("1,000 services / 5,000 members in sync");
    group.sample_size(10);
    group.bench_function("floor: read and parse the YAML", |b| {
        b.iter(|| {
            let files = read_specs(black_box(dir.path()), &limits).expect("readable");
            files
                .into_iter()
                .map(|f| {
                    load_documents(&f.content.expect("text"), &limits)
                        .expect("yaml")
                        .len()
                })
                .sum::<usize>()
        });
    });
    group.bench_function("firecamp plan: read, validate, render, plan", |b| {
        b.iter(|| {
            let validation = validate_path(black_box(dir.path()), &limits).expect("readable");
            let desired = Desired::from_validation(&validation).expect("desired");
            plan(&desired, &live, PlanOptions::default()).expect("plan")
        });
    });
    group.bench_function("plan() alone (desired and live given)", |b| {
        b.iter(|| plan(black_box(&desired), &live, PlanOptions::default()).expect("plan"));
    });
    // What `run` does every tick: read the files, then plan with what the last plan learnt.
    let mut planner = Planner::new();
    let mut replan = |live: &LiveState| {
        let files = read_specs(black_box(dir.path()), &limits).expect("readable");
        planner.load(dir.path(), files, &limits).expect("load");
        planner.plan(live, PlanOptions::default()).expect("plan")
    };
    assert!(replan(&live).is_empty());
    group.bench_function("re-plan: read, then plan what moved (nothing)", |b| {
        b.iter(|| replan(&live));
    });
    // One StatefulSet written since the last plan (a new resourceVersion): its service is
    // rendered and compared again, every other one is known in sync.
    let mut written = live.clone();
    let statefulset = written
        .objects
        .iter_mut()
        .find(|o| o["kind"] == "StatefulSet")
        .expect("a StatefulSet");
    statefulset.edit(|o| o["metadata"]["resourceVersion"] = serde_json::json!("999999999"));
    let mut turn = false;
    group.bench_function("re-plan: read, then plan what moved (one service)", |b| {
        b.iter(|| {
            turn = !turn;
            replan(if turn { &written } else { &live })
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
