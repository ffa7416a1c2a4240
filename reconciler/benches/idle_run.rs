//! `firecamp run` with nothing to do, against the 1,000-service benchmark repo (5,000 members)
//! installed on the test world's real control plane (its controllers and kwok made the pods, then
//! were paused) and moto (the members' records), specs from a git repository by path. Two kinds
//! of tick are measured: the settled tick (the remote did not move, the watches saw nothing and
//! the last tick left nothing to do: one poll, no plan work) and the re-planning tick (what
//! `--self-heal` does every time: poll, validate, render, read ENIs and records, plan), with the
//! cluster read in bulk (`--no-watch`) and from the watch cache. The process's resident memory
//! (the API server and moto are other processes) and CPU time per tick are printed.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use firecamp::run::{Policy, Reconciler, Settings, SpecSource, Tick};
use firecamp::source::{GitAuth, GitSource};

use common::publish;
use common::world::{World, world};
use support::process::Firecamp;

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn memory() -> (u64, u64) {
    support::process::memory_of("self")
}

/// User + system CPU time of this process.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'), from the state: utime is the 12th,
    // stime the 13th (in clock ticks of 10 ms).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

fn reconciler<'a>(
    world: &'a World,
    bare: &Path,
    cache: &Path,
    settings: Settings,
) -> Reconciler<'a> {
    let source = GitSource::new(
        bare.to_str().expect("utf-8"),
        "main",
        Path::new("specs"),
        cache,
        GitAuth::None,
    );
    let client = world.cluster.client.clone();
    Reconciler::new(
        SpecSource::Git(source),
        world.writer(),
        client,
        Some(&world.aws),
        settings,
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (start_rss, _) = memory();
    let world = runtime.block_on(world());
    let (bare, work) = (dir.path().join("specs.git"), dir.path().join("work"));
    support::write_specs(&work.join("specs"), 500);
    support::point_at(
        &work.join("specs"),
        &world.network.vpc_id,
        &world.network.subnets,
    );
    publish(&work, &bare, "1,000 services");
    let cache = dir.path().join("checkout");

    // Install: apply until a plan is empty (the controllers and kwok place the pods meanwhile).
    let apply = Settings {
        self_heal: true,
        watch: false,
        ..Settings::default()
    };
    let mut installer = reconciler(&world, &bare, &cache, apply);
    for round in 1..=6 {
        let tick = runtime.block_on(installer.tick()).expect("install tick");
        match tick {
            Tick::Applied(plan, report) => {
                eprintln!(
                    "install round {round}: {} steps; {report}",
                    plan.steps.len()
                );
            }
            Tick::Planned(plan) if plan.is_empty() => break,
            other => panic!("unexpected {other:?}"),
        }
        runtime.block_on(async { tokio::time::sleep(Duration::from_secs(2)).await });
    }
    drop(installer);
    runtime.block_on(world.cluster.pause_controllers(true));
    let (installed_rss, _) = memory();
    measure_the_binary(&world, &bare, &work, dir.path());
    if std::env::var_os(BINARY_ONLY).is_some() {
        return;
    }

    let mut group = c.benchmark_group("idle run, 1,000 services / 5,000 members");
    group.sample_size(10);
    let plan_only = Settings {
        policy: Policy::PlanOnly,
        self_heal: true,
        watch: false,
        ..Settings::default()
    };
    let mut replanning = reconciler(&world, &bare, &cache, plan_only);
    let cpu_before = cpu();
    let mut ticks = 0u32;
    group.bench_function(
        "re-planning tick (self-heal, --no-watch): poll, validate, render, bulk read, plan",
        |b| {
            b.iter(|| {
                ticks += 1;
                runtime.block_on(replanning.tick()).expect("tick")
            });
        },
    );
    let cpu_per_replan = (cpu() - cpu_before) / ticks.max(1);
    drop(replanning);

    let watching = Settings {
        watch: true,
        ..plan_only
    };
    let mut cached = reconciler(&world, &bare, &cache, watching);
    let synced = std::time::Instant::now();
    runtime
        .block_on(cached.tick())
        .expect("the tick that fills the cache");
    eprintln!(
        "the watch cache listed everything in {:?}",
        synced.elapsed()
    );
    let (cached_rss, _) = memory();
    group.bench_function(
        "re-planning tick (self-heal): poll, validate, render, plan from the watch cache",
        |b| b.iter(|| runtime.block_on(cached.tick()).expect("tick")),
    );

    // A change to the specs (one file's heap size, pushed): the next tick plans it from the cache.
    let pair = work.join("specs/pair-0.yaml");
    let original = std::fs::read_to_string(&pair).expect("pair-0");
    std::fs::write(
        &pair,
        original.replacen("heapSize: 1Gi", "heapSize: 2Gi", 1),
    )
    .expect("edit");
    publish(&work, &bare, "a heap size");
    let pushed = std::time::Instant::now();
    let tick = runtime.block_on(cached.tick()).expect("tick");
    let steps = match &tick {
        Tick::Planned(plan) => plan.steps.len(),
        other => panic!("the change is planned: {other:?}"),
    };
    eprintln!(
        "a pushed change planned from the cache in {:?} ({steps} steps)",
        pushed.elapsed()
    );
    std::fs::write(&pair, original).expect("revert");
    publish(&work, &bare, "the heap size again");
    drop(cached);
    let mut settled = reconciler(
        &world,
        &bare,
        &cache,
        Settings {
            self_heal: false,
            ..watching
        },
    );
    let first = runtime.block_on(settled.tick()).expect("tick");
    assert!(
        matches!(&first, Tick::Planned(plan) if plan.is_empty()),
        "the cluster is in sync: {first:?}"
    );
    world.cluster.reset_counts();
    let quiet = std::time::Instant::now();
    let cpu_before = cpu();
    let mut ticks = 0u32;
    group.bench_function(
        "settled tick: the remote did not move, the watches saw nothing",
        |b| {
            b.iter(|| {
                ticks += 1;
                let tick = runtime.block_on(settled.tick()).expect("tick");
                assert!(matches!(tick, Tick::Unchanged));
            });
        },
    );
    let cpu_per_settled = (cpu() - cpu_before) / ticks.max(1);
    let requests = world.cluster.requests.all();
    let quiet = quiet.elapsed();
    group.finish();
    let (rss, peak) = memory();
    eprintln!(
        "memory (MiB): at start {start_rss}; after the install (this process only) {installed_rss}; \
         with the watch cache filled {cached_rss}; after the ticks {rss}; peak {peak}"
    );
    eprintln!("CPU per tick: re-planning {cpu_per_replan:?}; settled {cpu_per_settled:?}");
    eprintln!(
        "Kubernetes requests while settled: {requests} in {quiet:?} ({ticks} settled ticks, the watches open)"
    );
}

/// Set: only the binary is measured (the in-process ticks are skipped).
const BINARY_ONLY: &str = "IDLE_RUN_BINARY_ONLY";

/// How long the idle binary is watched, and how many samples of its memory are taken.
const IDLE_WINDOW: Duration = Duration::from_secs(120);

/// `firecamp run` and `firecamp plan --watch` as processes on the installed world: the time to
/// the first plan (the watch cache filled), resident memory and Kubernetes calls while settled,
/// and the time from a saved spec file to its plan on screen.
fn measure_the_binary(world: &World, bare: &Path, work: &Path, dir: &Path) {
    let kubeconfig = world.cluster.plane.kubeconfig();
    let git = format!("file://{}", bare.display());
    let checkout = dir.join("binary-checkout");
    let started = std::time::Instant::now();
    let run = Firecamp::start(
        dir,
        kubeconfig,
        world.moto_url(),
        &[
            "run",
            "specs",
            "--git",
            &git,
            "--cache-dir",
            checkout.to_str().expect("utf-8"),
            "--policy",
            "plan-only",
        ],
    );
    let ticks = |f: &Firecamp| f.sum("firecamp_ticks_total", "");
    run.wait_for(Duration::from_secs(300), "the first tick", |f| {
        ticks(f) >= 1.0
    });
    let first = started.elapsed();
    std::thread::sleep(Duration::from_secs(5));
    let kube_calls = |f: &Firecamp| f.sum("firecamp_api_calls_total", "provider=\"kubernetes\"");
    let before = kube_calls(&run);
    let (settled_rss, _) = run.memory();
    let window = std::time::Instant::now();
    let mut highest = settled_rss;
    while window.elapsed() < IDLE_WINDOW {
        std::thread::sleep(Duration::from_secs(5));
        highest = highest.max(run.memory().0);
    }
    let calls = kube_calls(&run) - before;
    let (rss, peak) = run.memory();
    let mib = |name: &str| run.sum(name, "") / f64::from(1 << 20);
    let (held, kept) = (
        mib("firecamp_heap_allocated_bytes"),
        mib("firecamp_heap_resident_bytes"),
    );
    let per_hour = calls * 3600.0 / IDLE_WINDOW.as_secs_f64();
    eprintln!(
        "firecamp run (binary): first tick done {first:?} after start; settled resident memory \
         {settled_rss} MiB, at most {highest} MiB over {IDLE_WINDOW:?}, {rss} MiB at the end \
         (peak {peak} MiB; heap held {held:.0} MiB, kept resident by jemalloc {kept:.0} MiB); \
         {calls} Kubernetes calls in {IDLE_WINDOW:?} ({per_hour:.0} per hour, \
         besides one watch call per watched kind every 30 minutes); {} ticks",
        ticks(&run)
    );
    drop(run);

    let mut watch = Firecamp::start(
        work,
        kubeconfig,
        world.moto_url(),
        &["plan", "specs", "--watch"],
    );
    let mut lines = watch.lines();
    let mut wait_planned = || {
        for line in lines.by_ref() {
            if line.expect("output").starts_with("Watching ") {
                return;
            }
        }
        panic!("plan --watch stopped");
    };
    let started = std::time::Instant::now();
    wait_planned();
    let first = started.elapsed();
    let pair = work.join("specs/pair-1.yaml");
    let original = std::fs::read_to_string(&pair).expect("pair-1");
    let mut saves = Vec::new();
    for heap in ["2Gi", "3Gi", "1Gi"] {
        std::thread::sleep(Duration::from_secs(1));
        std::fs::write(
            &pair,
            original.replacen("heapSize: 1Gi", &format!("heapSize: {heap}"), 1),
        )
        .expect("save");
        let saved = std::time::Instant::now();
        wait_planned();
        saves.push(saved.elapsed());
    }
    let (rss, peak) = watch.memory();
    eprintln!(
        "firecamp plan --watch (binary): first plan {first:?}; save to plan on screen {saves:?}; \
         resident memory {rss} MiB (peak {peak} MiB)"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
