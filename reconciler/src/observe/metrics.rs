//! The Prometheus metrics `firecamp run` serves on `/metrics`: tick durations and outcomes, the
//! last plan's steps by action, steps carried out, API calls and throttles by provider and
//! operation, errors by stage, services by state, whether this replica leads, and the heap as the
//! allocator counts it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use firecamp_aws::CallCounter;

use super::memory::heap_bytes;
use crate::apply::{Outcome, Report};
use crate::plan::Plan;
use crate::run::status::{State, Status};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    action: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    provider: String,
    operation: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectLabel {
    object: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

/// Call counts already added to the counters, by `(provider, operation)`.
type Seen = BTreeMap<(String, String), u64>;

/// firecamp's metrics; clones share them.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    duration: Histogram,
    ticks: Family<OutcomeLabel, Counter>,
    plan_steps: Family<ActionLabel, Gauge>,
    steps: Family<StepLabels, Counter>,
    calls: Family<CallLabels, Counter>,
    throttles: Family<CallLabels, Counter>,
    errors: Family<StageLabel, Counter>,
    services: Family<StateLabel, Gauge>,
    drift: Family<ObjectLabel, Gauge>,
    leader: Gauge,
    heap_allocated: Gauge,
    heap_resident: Gauge,
    seen: Mutex<(Seen, Seen)>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("firecamp");
        let inner = Inner {
            duration: Histogram::new(exponential_buckets(0.05, 2.0, 14)),
            ticks: Family::default(),
            plan_steps: Family::default(),
            steps: Family::default(),
            calls: Family::default(),
            throttles: Family::default(),
            errors: Family::default(),
            services: Family::default(),
            drift: Family::default(),
            leader: Gauge::default(),
            heap_allocated: Gauge::default(),
            heap_resident: Gauge::default(),
            seen: Mutex::new((Seen::new(), Seen::new())),
            registry: Registry::default(),
        };
        registry.register(
            "reconcile_duration_seconds",
            "How long a tick took (poll, plan, apply, status)",
            inner.duration.clone(),
        );
        registry.register("ticks", "Ticks by outcome", inner.ticks.clone());
        registry.register(
            "plan_steps",
            "Steps of the last plan, by action",
            inner.plan_steps.clone(),
        );
        registry.register(
            "applied_steps",
            "Steps carried out, by action and outcome",
            inner.steps.clone(),
        );
        registry.register(
            "api_calls",
            "Calls to Kubernetes, EC2 and Route53, by provider and operation",
            inner.calls.clone(),
        );
        registry.register(
            "api_throttles",
            "Calls answered with throttling, by provider and operation",
            inner.throttles.clone(),
        );
        registry.register(
            "errors",
            "Errors by stage (source, specs, plan, read, status, step)",
            inner.errors.clone(),
        );
        registry.register(
            "services",
            "Services by state after the last tick",
            inner.services.clone(),
        );
        registry.register(
            "drift",
            "1 for each object the last plan found changed outside git",
            inner.drift.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the lease (or runs without election)",
            inner.leader.clone(),
        );
        registry.register(
            "heap_allocated_bytes",
            "Heap the program holds, as jemalloc counts it (read at each scrape)",
            inner.heap_allocated.clone(),
        );
        registry.register(
            "heap_resident_bytes",
            "Memory jemalloc keeps resident for the heap, freed or not (read at each scrape)",
            inner.heap_resident.clone(),
        );
        Self(Arc::new(Inner { registry, ..inner }))
    }
}

impl Metrics {
    /// A tick that took `seconds` and ended with `outcome`.
    pub fn tick(&self, outcome: &str, seconds: f64) {
        self.0.duration.observe(seconds);
        self.0
            .ticks
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The objects the last plan found changed outside git.
    pub fn drift<'a>(&self, objects: impl Iterator<Item = &'a str>) {
        self.0.drift.clear();
        for object in objects {
            self.0
                .drift
                .get_or_create(&ObjectLabel {
                    object: object.to_owned(),
                })
                .set(1);
        }
    }

    /// The plan a tick made.
    pub fn planned(&self, plan: &Plan) {
        self.0.plan_steps.clear();
        for step in &plan.steps {
            self.0
                .plan_steps
                .get_or_create(&ActionLabel {
                    action: step.action.to_string(),
                })
                .inc();
        }
    }

    /// The steps a tick carried out.
    pub fn applied(&self, report: &Report) {
        for step in &report.steps {
            let outcome = match step.outcome {
                Outcome::Done => "done",
                Outcome::Failed(_) => "failed",
                Outcome::Skipped(_) => "skipped",
            };
            self.0
                .steps
                .get_or_create(&StepLabels {
                    action: step.action.to_string(),
                    outcome: outcome.to_owned(),
                })
                .inc();
        }
    }

    /// An error at `stage`.
    pub fn error(&self, stage: &str) {
        self.0
            .errors
            .get_or_create(&StageLabel {
                stage: stage.to_owned(),
            })
            .inc();
    }

    /// The services' states from the status.
    pub fn services(&self, status: &Status) {
        for state in [State::Ready, State::Reconciling, State::Stalled] {
            let count = status
                .services
                .values()
                .filter(|s| s.state == state)
                .count();
            self.0
                .services
                .get_or_create(&StateLabel {
                    state: format!("{state:?}"),
                })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// Whether this replica leads.
    pub fn leader(&self, leads: bool) {
        self.0.leader.set(i64::from(leads));
    }

    /// Adds the calls and throttles `counter` saw since the last call.
    pub fn calls_from(&self, counter: &CallCounter) {
        let Ok(mut seen) = self.0.seen.lock() else {
            return;
        };
        let (calls, throttles) = &mut *seen;
        add_new(&self.0.calls, calls, counter.snapshot());
        add_new(&self.0.throttles, throttles, counter.throttles());
    }

    /// The metrics in Prometheus' text format.
    #[must_use]
    pub fn encode(&self) -> String {
        if let Some((allocated, resident)) = heap_bytes() {
            let gauge = |bytes: u64| i64::try_from(bytes).unwrap_or(i64::MAX);
            self.0.heap_allocated.set(gauge(allocated));
            self.0.heap_resident.set(gauge(resident));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.0.registry);
        text
    }
}

fn add_new(family: &Family<CallLabels, Counter>, seen: &mut Seen, now: Seen) {
    for ((provider, operation), count) in now {
        let before = seen.insert((provider.clone(), operation.clone()), count);
        let new = count.saturating_sub(before.unwrap_or(0));
        if new > 0 {
            family
                .get_or_create(&CallLabels {
                    provider,
                    operation,
                })
                .inc_by(new);
        }
    }
}
