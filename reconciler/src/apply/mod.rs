//! Carrying out a plan: its steps in plan order, each by its provider. A failed step skips every
//! step that depends on it, directly or not, and nothing else. Route53 steps are held back and
//! sent together (as few change batches as AWS allows) when a later step needs them, or at the end.
//! A stop request lets the step in flight finish and skips the rest. In `run`, a failed step also
//! halts the rest of its service.

mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use firecamp_aws::AwsError;
use firecamp_schema::spec::ClusterDocument;
use tokio_util::sync::CancellationToken;

pub use report::{Outcome, Report, StepOutcome};

use crate::live::LiveState;
use crate::plan::{Plan, Provider, Step};
use crate::providers::aws::AwsProviders;
use crate::providers::kubernetes::KubeWriter;

/// Who carries out the steps.
#[derive(Debug, Clone, Copy)]
pub struct Appliers<'a> {
    /// The cluster the plan is for.
    pub cluster: &'a ClusterDocument,
    /// Kubernetes steps.
    pub kubernetes: &'a KubeWriter,
    /// EC2 and Route53 steps; without them those steps fail (e.g. `--no-aws`).
    pub aws: Option<&'a AwsProviders>,
    /// Once cancelled, the steps not yet started are skipped (the step in flight finishes).
    pub stop: &'a CancellationToken,
    /// Skip every later step of a service once one of its steps failed (`run`), not only the
    /// steps that depend on it (`apply`).
    pub halt_service_on_failure: bool,
}

/// Carries out `plan`, made from `live`, calling `progress` as each step ends.
pub async fn apply_plan(
    plan: &Plan,
    live: &LiveState,
    appliers: Appliers<'_>,
    progress: &mut dyn FnMut(&StepOutcome),
) -> Report {
    let mut run = Run {
        live,
        appliers,
        progress,
        report: Report::default(),
        failed_roots: BTreeMap::new(),
        failed_services: BTreeMap::new(),
        held_records: Vec::new(),
    };
    for step in &plan.steps {
        // A record change waiting on held record changes goes in the same batch (applied in
        // order); anything else waiting on them needs them sent first.
        let joins_the_batch = step.provider == Provider::Route53 && appliers.aws.is_some();
        if !joins_the_batch
            && step
                .depends_on
                .iter()
                .any(|d| run.held_records.iter().any(|(held, _)| held.id == *d))
        {
            run.send_records().await;
        }
        if let Some(root) = step
            .depends_on
            .iter()
            .find_map(|d| run.failed_roots.get(d))
            .cloned()
        {
            run.record(step, Outcome::Skipped(format!("{root} did not succeed")), 0);
            run.failed_roots.insert(step.id.clone(), root);
            continue;
        }
        if let Some(failed) = step
            .service
            .as_ref()
            .filter(|_| appliers.halt_service_on_failure)
            .and_then(|service| run.failed_services.get(service))
            .cloned()
        {
            let why = format!("an earlier step of its service failed ({failed})");
            run.record(step, Outcome::Skipped(why), 0);
            continue;
        }
        if appliers.stop.is_cancelled() {
            run.record(
                step,
                Outcome::Skipped("stopping: not started".to_owned()),
                0,
            );
            continue;
        }
        let started = Instant::now();
        let outcome = match (step.provider, appliers.aws) {
            (Provider::Route53, Some(_)) => {
                run.held_records.push((step, started));
                continue;
            }
            (Provider::Kubernetes, _) => appliers
                .kubernetes
                .run(step)
                .await
                .map_err(|e| e.to_string()),
            (Provider::Ec2, Some(aws)) => match aws.run_ec2_step(step, live).await {
                Err(error) if error.refuses_address() => {
                    run.report.refused_ips.extend(assigned_ip(step));
                    Err(error.to_string())
                }
                result => result.map_err(|e| e.to_string()),
            },
            (_, None) => Err("AWS is not configured for this run (--no-aws)".to_owned()),
        };
        let outcome = outcome.map_or_else(Outcome::Failed, |()| Outcome::Done);
        run.record(step, outcome, elapsed_ms(started));
    }
    run.send_records().await;
    run.report
}

/// A plan being carried out.
struct Run<'a, 'p> {
    live: &'a LiveState,
    appliers: Appliers<'a>,
    progress: &'p mut dyn FnMut(&StepOutcome),
    report: Report,
    /// Steps that did not succeed → the failed step behind them.
    failed_roots: BTreeMap<String, String>,
    /// Services with a failed step → that step.
    failed_services: BTreeMap<String, String>,
    /// Route53 steps waiting to be sent, with when they were reached.
    held_records: Vec<(&'a Step, Instant)>,
}

impl Run<'_, '_> {
    fn record(&mut self, step: &Step, outcome: Outcome, millis: u64) {
        if !matches!(outcome, Outcome::Done) && !self.failed_roots.contains_key(&step.id) {
            self.failed_roots.insert(step.id.clone(), step.id.clone());
        }
        if let (Outcome::Failed(_), Some(service)) = (&outcome, &step.service) {
            self.failed_services
                .entry(service.clone())
                .or_insert_with(|| step.id.clone());
        }
        let entry = StepOutcome {
            id: step.id.clone(),
            resource: step.resource.clone(),
            action: step.action,
            outcome,
            millis,
        };
        (self.progress)(&entry);
        self.report.steps.push(entry);
    }

    /// Sends the held Route53 steps; a name AWS refused fails only its own step.
    async fn send_records(&mut self) {
        let held = std::mem::take(&mut self.held_records);
        let Some(aws) = self.appliers.aws else { return };
        if held.is_empty() {
            return;
        }
        let steps: Vec<&Step> = held.iter().map(|(s, _)| *s).collect();
        let result = aws
            .change_records(self.appliers.cluster, &steps, self.live)
            .await;
        let refused: BTreeSet<&str> = match &result {
            Err(AwsError::Records(names)) => names.iter().map(|(n, _)| n.as_str()).collect(),
            _ => BTreeSet::new(),
        };
        for (step, started) in held {
            let name = record_name(step);
            let outcome = match &result {
                Ok(()) => Outcome::Done,
                Err(AwsError::Records(_)) if !refused.contains(name) => Outcome::Done,
                Err(error) => Outcome::Failed(error.to_string()),
            };
            self.record(step, outcome, elapsed_ms(started));
        }
    }
}

/// The address an assign or move step gives out.
fn assigned_ip(step: &Step) -> Option<std::net::Ipv4Addr> {
    step.after
        .as_ref()
        .and_then(|a| a["ip"].as_str())
        .and_then(|ip| ip.parse().ok())
}

fn record_name(step: &Step) -> &str {
    step.after
        .as_ref()
        .or(step.before.as_ref())
        .and_then(|v| v["name"].as_str())
        .unwrap_or_default()
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
