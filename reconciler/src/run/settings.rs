//! How the loop is set up: where the specs come from, what a tick does with a plan, how it
//! behaves, and what it reports to.

use std::path::PathBuf;
use std::time::Duration;

use firecamp_aws::CallCounter;

use crate::observe::health::Health;
use crate::observe::metrics::Metrics;
use crate::source::GitSource;

/// Where the specs come from.
#[derive(Debug)]
pub enum SpecSource {
    /// A local folder, read every tick.
    Local(PathBuf),
    /// A git remote, polled every tick.
    Git(GitSource),
}

/// What a tick does with a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Policy {
    /// Carry it out.
    #[default]
    Apply,
    /// Only record it.
    PlanOnly,
}

/// How the loop behaves.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// What a tick does with a plan.
    pub policy: Policy,
    /// Correct drift too.
    pub self_heal: bool,
    /// How long a service whose steps failed is left alone (doubling with each failure in a row).
    pub backoff_base: Duration,
    /// The longest a failing service is left alone.
    pub backoff_cap: Duration,
    /// Keep the live state current with watches (re-plan when it changes); without, a settled
    /// loop reads nothing until the specs move or a resync is due.
    pub watch: bool,
    /// How often a settled loop plans from scratch anyway, re-reading AWS state.
    pub resync: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            policy: Policy::Apply,
            self_heal: false,
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(600),
            watch: true,
            resync: Duration::from_secs(600),
        }
    }
}

/// What the loop reports to: metrics, health, and the call counter behind the API metrics.
#[derive(Debug, Clone)]
pub struct Observers {
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// `/healthz` and `/readyz`.
    pub health: Health,
    /// Calls to Kubernetes and AWS.
    pub calls: CallCounter,
}

impl Default for Observers {
    fn default() -> Self {
        Self {
            metrics: Metrics::default(),
            health: Health::new(Duration::from_secs(3600)),
            calls: CallCounter::default(),
        }
    }
}
