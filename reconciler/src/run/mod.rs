//! `firecamp run`'s tick: poll the specs, and unless nothing moved since a tick that left nothing
//! to do, validate, read the live state, plan, and apply by the policy; then record the status.
//! Drift (live changed outside git) is reported and corrected only with self-heal. A broken spec
//! leaves its service untouched while the others are applied (the plan engine's rule).

pub mod lease;
pub mod status;

use std::collections::BTreeSet;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

use firecamp_schema::validate::SourceError;
use firecamp_schema::{Limits, validate_path};

use self::status::{RunRecord, STATUS_CONFIG_MAP, Status};
use crate::apply::{Appliers, Report, apply_plan};
use crate::plan::{Desired, Plan, PlanError, PlanOptions, plan};
use crate::providers::aws::AwsProviders;
use crate::providers::kubernetes::{KubeError, KubeWriter};
use crate::providers::{ReadError, read_live_state};
use crate::source::{GitError, GitSource, Poll, Revision};

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

/// The loop's state between ticks.
pub struct Reconciler<'a> {
    source: SpecSource,
    client: kube::Client,
    writer: KubeWriter,
    aws: Option<&'a AwsProviders>,
    policy: Policy,
    self_heal: bool,
    /// True when the last tick planned nothing left to do.
    settled: bool,
    status: Option<Status>,
}

impl std::fmt::Debug for Reconciler<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler")
            .field("source", &self.source)
            .field("policy", &self.policy)
            .field("self_heal", &self.self_heal)
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
        policy: Policy,
        self_heal: bool,
    ) -> Self {
        Self {
            source,
            client,
            writer,
            aws,
            policy,
            self_heal,
            settled: false,
            status: None,
        }
    }

    /// One tick.
    ///
    /// # Errors
    /// See [`RunError`]; the status records the error when it can be written.
    pub async fn tick(&mut self) -> Result<Tick, RunError> {
        let (dir, revision, moved) = match &mut self.source {
            SpecSource::Local(dir) => (dir.clone(), None, true),
            SpecSource::Git(git) => {
                let poll = git.poll()?;
                let moved = matches!(poll, Poll::Changed(_));
                (git.specs_dir(), Some(poll.revision().clone()), moved)
            }
        };
        if !moved && self.settled && !self.self_heal {
            if let Some(status) = &mut self.status {
                status.record(run(revision.as_ref(), "unchanged", 0, 0));
            }
            return Ok(Tick::Unchanged);
        }
        let desired = Desired::from_validation(&validate_path(&dir, &Limits::default())?)?;
        let namespace = desired.cluster.spec.namespace.clone();
        let mut status = match self.status.take() {
            Some(status) => status,
            None => self.read_status(&namespace).await?,
        };
        status.last_attempted.clone_from(&revision);
        let live = read_live_state(&self.client, self.aws, &desired.cluster).await?;
        let planned = plan(&desired, &live, PlanOptions::default())?;
        let (planned, drift) = if self.self_heal {
            (planned, 0)
        } else {
            without_drift(planned)
        };
        self.settled = planned.is_empty();
        let tick = if self.policy == Policy::Apply && !planned.is_empty() {
            let appliers = Appliers {
                cluster: &desired.cluster,
                kubernetes: &self.writer,
                aws: self.aws,
            };
            let report = apply_plan(&planned, &live, appliers, &mut |_| {}).await;
            if report.succeeded() {
                status.last_applied.clone_from(&revision);
            }
            self.settled &= report.succeeded();
            Tick::Applied(planned, report)
        } else {
            if planned.is_empty() {
                status.last_applied.clone_from(&revision);
            }
            Tick::Planned(planned)
        };
        let (plan_ref, report) = match &tick {
            Tick::Applied(p, r) => (p, Some(r)),
            Tick::Planned(p) => (p, None),
            Tick::Unchanged => unreachable!("returned above"),
        };
        status.update_services(&desired, plan_ref, report);
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

/// The plan without drift corrections (and the steps that wait for them), and how many there were.
fn without_drift(mut plan: Plan) -> (Plan, usize) {
    let mut removed: BTreeSet<String> = plan
        .steps
        .iter()
        .filter(|s| s.drift)
        .map(|s| s.id.clone())
        .collect();
    let drift = removed.len();
    loop {
        let before = removed.len();
        for step in &plan.steps {
            if step.depends_on.iter().any(|d| removed.contains(d)) {
                removed.insert(step.id.clone());
            }
        }
        if removed.len() == before {
            break;
        }
    }
    plan.steps.retain(|s| !removed.contains(&s.id));
    if drift > 0 {
        plan.warnings.push(format!("{drift} change(s) made outside git are reported, not corrected (run with --self-heal to correct them)"));
    }
    (plan, drift)
}
