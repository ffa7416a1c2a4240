//! `firecamp run`'s tick: poll the specs, and unless nothing moved since a tick that left nothing
//! to do, validate, read the live state, plan, and apply by the policy; then record the status.
//! Drift (live changed outside git) is reported and corrected only with self-heal. A broken spec
//! leaves its service untouched while the others are applied (the plan engine's rule).

pub mod backoff;
pub mod driver;
mod held;
pub mod lease;
pub(crate) mod live_source;
mod refused;
mod settings;
pub mod status;

use std::collections::BTreeMap;
use std::time::Instant;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

use firecamp_schema::Limits;
use firecamp_schema::validate::{SourceError, read_specs};

use tokio_util::sync::CancellationToken;

use self::backoff::ServiceBackoff;
use self::held::{hold_back, without_drift};
use self::live_source::LiveSource;
use self::refused::RefusedAddresses;
pub use self::settings::{Observers, Policy, Settings, SpecSource};
use self::status::{RunRecord, STATUS_CONFIG_MAP, Status};
use crate::apply::{Appliers, Outcome, Report, StepOutcome, apply_plan};
use crate::plan::{Plan, PlanError, PlanOptions, Planner};
use crate::providers::ReadError;
use crate::providers::aws::AwsProviders;
use crate::providers::kubernetes::{KubeError, KubeWriter};
use crate::source::{GitError, Poll, Revision};

/// What a tick did.
#[derive(Debug)]
pub enum Tick {
    /// The specs did not move and the last tick left nothing to do: no plan work.
    Unchanged,
    /// A plan was made (empty, or not applied by policy).
    Planned(Plan),
    /// A plan was carried out.
    Applied(Plan, Report),
}

/// Why a tick could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The git source failed.
    #[error(transparent)]
    Source(#[from] GitError),
    /// The specs cannot be read.
    #[error("reading the specs")]
    Specs(#[from] SourceError),
    /// No plan can be made.
    #[error("planning")]
    Plan(#[from] PlanError),
    /// The live state cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The status cannot be read or written.
    #[error("recording the status")]
    Status(#[from] KubeError),
}

impl RunError {
    /// The stage that failed, as the `errors` metric labels it.
    #[must_use]
    pub const fn stage(&self) -> &'static str {
        match self {
            Self::Source(_) => "source",
            Self::Specs(_) => "specs",
            Self::Plan(_) => "plan",
            Self::Read(_) => "read",
            Self::Status(_) => "status",
        }
    }
}

/// The loop's state between ticks.
pub struct Reconciler<'a> {
    source: SpecSource,
    client: kube::Client,
    writer: KubeWriter,
    aws: Option<&'a AwsProviders>,
    settings: Settings,
    observers: Observers,
    stop: CancellationToken,
    backoff: ServiceBackoff,
    /// Plans each tick with what the last tick's plan learnt.
    planner: Planner,
    /// True when the last tick planned nothing left to do.
    settled: bool,
    status: Option<Status>,
    live: LiveSource,
    /// When the last plan from scratch was made.
    resynced: Instant,
    /// The last tick carried out steps: the next plans soon after, to see what they did (AWS
    /// steps change nothing the watches see).
    follow_up: bool,
    /// Addresses EC2 refused lately, kept out of the next choices.
    refused: RefusedAddresses,
}

impl std::fmt::Debug for Reconciler<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler")
            .field("source", &self.source)
            .field("settings", &self.settings)
            .field("backoff", &self.backoff)
            .field("settled", &self.settled)
            .finish_non_exhaustive()
    }
}

impl<'a> Reconciler<'a> {
    /// A reconciler; the status already in the cluster is read on the first tick.
    #[must_use]
    pub fn new(
        source: SpecSource,
        writer: KubeWriter,
        client: kube::Client,
        aws: Option<&'a AwsProviders>,
        settings: Settings,
    ) -> Self {
        Self {
            source,
            client,
            writer,
            aws,
            settings,
            observers: Observers::default(),
            stop: CancellationToken::new(),
            backoff: ServiceBackoff::new(settings.backoff_base, settings.backoff_cap),
            planner: Planner::new(),
            settled: false,
            status: None,
            live: LiveSource::new(settings.watch),
            resynced: Instant::now(),
            follow_up: false,
            refused: RefusedAddresses::default(),
        }
    }

    /// Reports to `observers` instead of private ones.
    #[must_use]
    pub fn with_observers(mut self, observers: Observers) -> Self {
        self.observers = observers;
        self
    }

    /// What the loop reports to.
    #[must_use]
    pub const fn observers(&self) -> &Observers {
        &self.observers
    }

    /// Changes the watches saw, once they run (after the first planning tick).
    #[must_use]
    pub fn live_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.live.changes()
    }

    /// True when the next tick should come soon: the watches saw a change the last plan did
    /// not, or the last tick carried out steps.
    #[must_use]
    pub fn live_pending(&self) -> bool {
        self.live.moved() || self.follow_up && self.settings.watch
    }

    /// Cancelling this token stops an apply after the step in flight; the tick then ends.
    #[must_use]
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// One tick, timed and reported to the observers.
    ///
    /// # Errors
    /// See [`RunError`]; the status records the error when it can be written.
    pub async fn tick(&mut self) -> Result<Tick, RunError> {
        let started = Instant::now();
        self.observers.health.beat();
        let ticked = self.tick_inner().await;
        let metrics = &self.observers.metrics;
        metrics.calls_from(&self.observers.calls);
        let outcome = match &ticked {
            Ok(Tick::Unchanged) => "unchanged",
            Ok(Tick::Planned(plan)) if plan.is_empty() => "in_sync",
            Ok(Tick::Planned(_)) => "planned",
            Ok(Tick::Applied(_, report)) if report.succeeded() => "applied",
            Ok(Tick::Applied(..)) => "failed",
            Err(error) => {
                metrics.error(error.stage());
                "error"
            }
        };
        metrics.tick(outcome, started.elapsed().as_secs_f64());
        match &ticked {
            Ok(_) => self.observers.health.ready(),
            Err(error) => self
                .observers
                .health
                .not_ready(&crate::error_chain::chain(error)),
        }
        tracing::info!(
            outcome,
            millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "tick"
        );
        ticked
    }

    async fn tick_inner(&mut self) -> Result<Tick, RunError> {
        let (dir, revision, moved) = match &mut self.source {
            SpecSource::Local(dir) => (dir.clone(), None, true),
            SpecSource::Git(git) => {
                let poll = git.poll()?;
                let moved = matches!(poll, Poll::Changed(_));
                (git.specs_dir(), Some(poll.revision().clone()), moved)
            }
        };
        let resync = self.resynced.elapsed() >= self.settings.resync;
        self.follow_up = false;
        let live_moved = self.live.moved();
        if !moved && !live_moved && !resync && self.settled && !self.settings.self_heal {
            if let Some(status) = &mut self.status {
                status.record(run(revision.as_ref(), "unchanged", 0, 0));
            }
            return Ok(Tick::Unchanged);
        }
        if resync {
            self.planner = Planner::new();
            self.live.forget_aws();
            self.resynced = Instant::now();
        }
        if let Some(revision) = &revision {
            tracing::info!(commit = %revision.commit, subject = %revision.subject, moved, live_moved, resync, "planning");
        }
        let limits = Limits::default();
        self.planner
            .load(&dir, read_specs(&dir, &limits)?, &limits)?;
        let cluster = {
            let desired = self.planner.desired().ok_or(PlanError::NoCluster)?;
            for (name, reason) in &desired.rejected {
                tracing::warn!(service = %name, "left exactly as it is: {reason}");
            }
            desired.cluster.clone()
        };
        let namespace = cluster.spec.namespace.clone();
        let mut status = match self.status.take() {
            Some(status) => status,
            None => self.read_status(&namespace).await?,
        };
        status.last_attempted.clone_from(&revision);
        let mut live = self.live.read(&self.client, self.aws, &cluster).await?;
        self.refused.mark(&mut live, Instant::now());
        let planned = self.planner.plan(&live, PlanOptions::default())?;
        let desired = self.planner.desired().ok_or(PlanError::NoCluster)?;
        let (planned, drifted) = if self.settings.self_heal {
            (planned, Vec::new())
        } else {
            without_drift(planned)
        };
        for drift in &drifted {
            tracing::warn!(object = %drift.resource, fields = %drift.fields.join(", "), "changed outside git: reported, not corrected (--self-heal corrects it)");
        }
        self.observers
            .metrics
            .drift(drifted.iter().map(|d| d.resource.as_str()));
        let drift = drifted.len();
        self.backoff
            .retain(|name| desired.services.iter().any(|s| s.name == name));
        let waiting = self.backoff.waiting(Instant::now());
        let planned = hold_back(planned, &waiting);
        self.observers.metrics.planned(&planned);
        self.settled = planned.is_empty() && self.backoff.is_empty();
        let tick = if self.settings.policy == Policy::Apply && !planned.is_empty() {
            let appliers = Appliers {
                cluster: &cluster,
                kubernetes: &self.writer,
                aws: self.aws,
                stop: &self.stop,
                halt_service_on_failure: true,
            };
            let health = self.observers.health.clone();
            let report = apply_plan(&planned, &live, appliers, &mut |step| {
                health.beat();
                log_step(step);
            })
            .await;
            self.observers.metrics.applied(&report);
            self.refused.learn(&report, Instant::now());
            record_attempts(&mut self.backoff, &planned, &report);
            if report.succeeded() {
                status.last_applied.clone_from(&revision);
            }
            self.settled &= report.succeeded();
            self.follow_up = true;
            self.live.forget_aws();
            Tick::Applied(planned, report)
        } else {
            if planned.is_empty() && waiting.is_empty() {
                status.last_applied.clone_from(&revision);
            }
            Tick::Planned(planned)
        };
        let (plan_ref, report) = match &tick {
            Tick::Applied(p, r) => (p, Some(r)),
            Tick::Planned(p) => (p, None),
            Tick::Unchanged => unreachable!("returned above"),
        };
        status.update_services(desired, plan_ref, report);
        status.drift = drifted.into_iter().map(|d| d.resource).collect();
        status.hold(&waiting);
        self.observers.metrics.services(&status);
        let outcome = match report {
            Some(r) if !r.succeeded() => "failed".to_owned(),
            Some(_) => "applied".to_owned(),
            None if drift > 0 => format!("planned; {drift} drift step(s) reported, not corrected"),
            None => "planned".to_owned(),
        };
        status.last_error = None;
        status.record(run(
            revision.as_ref(),
            &outcome,
            plan_ref.steps.len(),
            report.map_or(0, Report::failed),
        ));
        self.writer.apply(&status.manifest(&namespace)).await?;
        self.status = Some(status);
        Ok(tick)
    }

    async fn read_status(&self, namespace: &str) -> Result<Status, RunError> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
        let found = api.get_opt(STATUS_CONFIG_MAP).await.map_err(|e| {
            KubeError::request(
                "get",
                format!("ConfigMap {namespace}/{STATUS_CONFIG_MAP}"),
                "configmaps",
                e,
            )
        })?;
        Ok(found
            .and_then(|c| c.data)
            .and_then(|data| Status::from_config_map(&data).ok())
            .unwrap_or_default())
    }
}

fn run(revision: Option<&Revision>, outcome: &str, steps: usize, failed: usize) -> RunRecord {
    RunRecord {
        at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        commit: revision.map(|r| r.commit.clone()),
        outcome: outcome.to_owned(),
        steps,
        failed,
    }
}

/// Services with a failed step back off; services whose every step was done are cleared.
fn record_attempts(backoff: &mut ServiceBackoff, plan: &Plan, report: &Report) {
    let service_of = |id: &str| {
        plan.steps
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.service.clone())
    };
    let mut done: BTreeMap<String, bool> = BTreeMap::new();
    let now = Instant::now();
    for step in &report.steps {
        let Some(service) = service_of(&step.id) else {
            continue;
        };
        if let Outcome::Failed(reason) = &step.outcome {
            tracing::warn!(%service, step = %step.resource, %reason, "backing off");
            backoff.failed(&service, reason, now);
        }
        *done.entry(service).or_insert(true) &= matches!(step.outcome, Outcome::Done);
    }
    for (service, all_done) in done {
        if all_done {
            backoff.succeeded(&service);
        }
    }
}

fn log_step(step: &StepOutcome) {
    match &step.outcome {
        Outcome::Done => {
            tracing::info!(step = %step.resource, action = %step.action, millis = step.millis, "done");
        }
        Outcome::Failed(reason) => {
            tracing::warn!(step = %step.resource, action = %step.action, %reason, "failed");
        }
        Outcome::Skipped(reason) => {
            tracing::info!(step = %step.resource, action = %step.action, %reason, "skipped");
        }
    }
}
