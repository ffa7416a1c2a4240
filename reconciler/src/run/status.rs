//! What `firecamp run` records in the cluster after every tick: the last attempted and applied
//! commits, each service's state with its reason, and the last runs. Kept in the ConfigMap
//! `firecamp-status` of the cluster's namespace; it has firecamp's ownership label but not the
//! cluster label, so the bulk read (and so pruning) never sees it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::apply::{Outcome, Report};
use crate::plan::{Desired, Plan};
use crate::source::Revision;

/// The status ConfigMap's name.
pub const STATUS_CONFIG_MAP: &str = "firecamp-status";
/// Runs kept in the status.
pub const RUNS_KEPT: usize = 10;

/// A service's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Live matches the specs.
    Ready,
    /// Changes were carried out this tick; more may follow (members being placed, IPs, DNS).
    Reconciling,
    /// Its spec has problems, or a step failed: left as it is until the next attempt.
    Stalled,
}

/// A service's state and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// The state.
    pub state: State,
    /// Why, for people.
    pub reason: String,
}

/// One tick, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    /// When it ended, in seconds since the Unix epoch.
    pub at: u64,
    /// The commit it planned from.
    pub commit: Option<String>,
    /// `unchanged`, `applied`, `planned` or `failed`.
    pub outcome: String,
    /// Steps planned.
    pub steps: usize,
    /// Steps that failed.
    pub failed: usize,
}

/// The whole status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The commit last planned from.
    pub last_attempted: Option<Revision>,
    /// The commit last applied in full.
    pub last_applied: Option<Revision>,
    /// Each service's state.
    pub services: BTreeMap<String, ServiceStatus>,
    /// The last error of the loop itself (source, read, plan), if the last tick had one.
    pub last_error: Option<String>,
    /// Objects changed outside git that the last plan found (corrected only with self-heal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<String>,
    /// The last runs, newest last.
    pub runs: Vec<RunRecord>,
}

impl Status {
    /// Records a run, keeping the last [`RUNS_KEPT`].
    pub fn record(&mut self, run: RunRecord) {
        self.runs.push(run);
        let excess = self.runs.len().saturating_sub(RUNS_KEPT);
        self.runs.drain(..excess);
    }

    /// Each service's state after `plan` was (or was not, `report` none) carried out.
    pub fn update_services(&mut self, desired: &Desired, plan: &Plan, report: Option<&Report>) {
        self.services.clear();
        let failures: BTreeMap<&str, &str> = report
            .into_iter()
            .flat_map(|r| r.steps.iter())
            .filter_map(|s| match &s.outcome {
                Outcome::Failed(error) => plan
                    .steps
                    .iter()
                    .find(|p| p.id == s.id)
                    .and_then(|p| p.service.as_deref())
                    .map(|service| (service, error.as_str())),
                _ => None,
            })
            .collect();
        for service in &desired.services {
            let name = service.name.as_str();
            let pending = plan
                .steps
                .iter()
                .filter(|s| s.service.as_deref() == Some(name))
                .count();
            let status = match (failures.get(name), pending) {
                (Some(error), _) => ServiceStatus {
                    state: State::Stalled,
                    reason: (*error).to_owned(),
                },
                (None, 0) => ServiceStatus {
                    state: State::Ready,
                    reason: "as the specs say".to_owned(),
                },
                (None, n) if report.is_some() => ServiceStatus {
                    state: State::Reconciling,
                    reason: format!("{n} step(s) carried out"),
                },
                (None, n) => ServiceStatus {
                    state: State::Reconciling,
                    reason: format!("{n} step(s) planned, not applied (plan-only)"),
                },
            };
            self.services.insert(name.to_owned(), status);
        }
        for (name, reason) in &desired.rejected {
            self.services.insert(
                name.clone(),
                ServiceStatus {
                    state: State::Stalled,
                    reason: format!("left exactly as it is: {reason}"),
                },
            );
        }
        for name in &desired.suspended {
            self.services.insert(
                name.clone(),
                ServiceStatus {
                    state: State::Ready,
                    reason: "suspended".to_owned(),
                },
            );
        }
    }

    /// Marks the services backing off (service → why) as stalled.
    pub fn hold(&mut self, waiting: &BTreeMap<String, String>) {
        for (name, why) in waiting {
            self.services.insert(
                name.clone(),
                ServiceStatus {
                    state: State::Stalled,
                    reason: why.clone(),
                },
            );
        }
    }

    /// The ConfigMap that holds the status.
    #[must_use]
    pub fn manifest(&self, namespace: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": STATUS_CONFIG_MAP,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "firecamp", "app.kubernetes.io/component": "status"}
            },
            "data": {"status.json": serde_json::to_string_pretty(self).unwrap_or_default()}
        })
    }

    /// The status from its ConfigMap's data.
    ///
    /// # Errors
    /// The data is not a status.
    pub fn from_config_map(data: &BTreeMap<String, String>) -> Result<Self, serde_json::Error> {
        data.get("status.json")
            .map_or_else(|| Ok(Self::default()), |text| serde_json::from_str(text))
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let commit =
            |r: &Option<Revision>| r.as_ref().map_or("none".to_owned(), ToString::to_string);
        writeln!(f, "Last attempted: {}", commit(&self.last_attempted))?;
        writeln!(f, "Last applied:   {}", commit(&self.last_applied))?;
        if let Some(error) = &self.last_error {
            writeln!(f, "Last error:     {error}")?;
        }
        for (name, service) in &self.services {
            writeln!(
                f,
                "  {name:<24} {:<12} {}",
                format!("{:?}", service.state),
                service.reason
            )?;
        }
        for run in &self.runs {
            writeln!(
                f,
                "  run at {}: {} ({} steps, {} failed) {}",
                run.at,
                run.outcome,
                run.steps,
                run.failed,
                run.commit
                    .as_deref()
                    .map_or("", |c| c.get(..12).unwrap_or(c))
            )?;
        }
        Ok(())
    }
}
