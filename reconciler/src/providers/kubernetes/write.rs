//! Carrying out Kubernetes steps: server-side apply with field manager `firecamp`, replacement by
//! an orphaning delete then apply, volume expansion, jobs run to completion, member restarts and
//! deletions. Throttling, server errors and optimistic-concurrency conflicts are retried with
//! backoff; before a retry the object is read again and left alone when it is already as desired.

use std::time::Duration;

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use serde_json::{Value, json};

use super::health::Health;
use super::kinds::{ManagedKind, managed_kind};
use super::{FIELD_MANAGER, KubeError, StepProblem};
use crate::plan::diff::diff;
use crate::plan::kubernetes::identity;
use crate::plan::{Action, Step};

/// How writes behave.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Take over fields another field manager owns (server-side apply `force`).
    pub force: bool,
    /// Attempts per request on transient failures.
    pub attempts: u32,
    /// First retry delay; doubled each time, capped at 5 s, with jitter.
    pub backoff: Duration,
    /// How often waits look again.
    pub poll: Duration,
    /// How long a wait (deletion, health, job) may take.
    pub timeout: Duration,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            force: false,
            attempts: 6,
            backoff: Duration::from_millis(200),
            poll: Duration::from_secs(2),
            timeout: Duration::from_secs(600),
        }
    }
}

/// Writes plan steps to one cluster.
#[derive(Clone)]
pub struct KubeWriter {
    client: Client,
    options: WriteOptions,
}

impl std::fmt::Debug for KubeWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeWriter")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The API handle and name of one object.
struct Target {
    api: Api<DynamicObject>,
    kind: ManagedKind,
    name: String,
    label: String,
}

impl KubeWriter {
    /// A writer on `client`.
    #[must_use]
    pub fn new(client: Client, options: WriteOptions) -> Self {
        Self { client, options }
    }

    /// Carries out one Kubernetes step.
    ///
    /// # Errors
    /// The API's refusal (after retries), a failed wait, or a step that cannot be carried out.
    pub async fn run(&self, step: &Step) -> Result<(), KubeError> {
        let health = Health::new(&self.client, &self.options);
        match step.action {
            Action::Create | Action::Update => self.apply(manifest(step)?).await,
            Action::RunJob => {
                if let Some(service) = &step.service {
                    health
                        .wait_service(namespace_of(manifest(step)?), service)
                        .await?;
                }
                self.apply(manifest(step)?).await?;
                health
                    .wait_job(&self.target(manifest(step)?)?.api, step)
                    .await
            }
            Action::Replace => {
                let after = manifest(step)?;
                let orphan = after["kind"] == "StatefulSet";
                self.delete(after, orphan).await?;
                self.apply(after).await?;
                if after["kind"] == "Job" {
                    health.wait_job(&self.target(after)?.api, step).await?;
                }
                Ok(())
            }
            Action::Delete => {
                let before = step.before.as_ref().ok_or_else(|| problem(step))?;
                self.delete(before, false).await
            }
            Action::ExpandVolume => self.expand(step).await,
            Action::RestartMember => health.restart_member(step).await,
            _ => Ok(()),
        }
    }

    fn target(&self, object: &Value) -> Result<Target, KubeError> {
        let (kind_name, namespace, name) = identity(object);
        let label = if namespace.is_empty() {
            format!("{kind_name} {name}")
        } else {
            format!("{kind_name} {namespace}/{name}")
        };
        let kind = managed_kind(&kind_name).ok_or_else(|| KubeError::Step {
            object: label.clone(),
            problem: StepProblem::UnknownKind(kind_name.clone()),
        })?;
        let api = if kind.namespaced {
            Api::namespaced_with(self.client.clone(), &namespace, &kind.resource)
        } else {
            Api::all_with(self.client.clone(), &kind.resource)
        };
        Ok(Target {
            api,
            kind,
            name,
            label,
        })
    }

    /// Server-side apply of one manifest (firecamp's own records, e.g. its status); on a retry,
    /// the object is read first and left alone when in sync.
    ///
    /// # Errors
    /// The API's refusal, after retries.
    pub async fn apply(&self, manifest: &Value) -> Result<(), KubeError> {
        let target = self.target(manifest)?;
        let mut params = PatchParams::apply(FIELD_MANAGER);
        params.force = self.options.force;
        let mut first = true;
        retry(&self.options, async || {
            if !std::mem::take(&mut first) && self.in_sync(&target, manifest).await? {
                return Ok(());
            }
            target
                .api
                .patch(&target.name, &params, &Patch::Apply(manifest))
                .await
                .map(drop)
                .map_err(|e| {
                    KubeError::request("apply", &target.label, &target.kind.resource.plural, e)
                })
        })
        .await
    }

    /// True when the live object already has every field of `manifest`.
    async fn in_sync(&self, target: &Target, manifest: &Value) -> Result<bool, KubeError> {
        match target.api.get_opt(&target.name).await {
            Ok(Some(live)) => {
                let live = serde_json::to_value(&live).unwrap_or(Value::Null);
                Ok(diff(manifest, &live).is_empty())
            }
            Ok(None) => Ok(false),
            Err(e) => Err(KubeError::request(
                "get",
                &target.label,
                &target.kind.resource.plural,
                e,
            )),
        }
    }

    /// Deletes `object` (pods and volumes orphaned when `orphan`) and waits until it is gone.
    async fn delete(&self, object: &Value, orphan: bool) -> Result<(), KubeError> {
        let target = self.target(object)?;
        let params = DeleteParams {
            propagation_policy: Some(if orphan {
                PropagationPolicy::Orphan
            } else {
                PropagationPolicy::Background
            }),
            ..DeleteParams::default()
        };
        retry(&self.options, async || {
            match target.api.delete(&target.name, &params).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
                Err(e) => Err(KubeError::request(
                    "delete",
                    &target.label,
                    &target.kind.resource.plural,
                    e,
                )),
            }
        })
        .await?;
        Health::new(&self.client, &self.options)
            .wait_gone(&target.api, &target.name, &target.label)
            .await
    }

    /// Grows a volume claim to the planned size.
    async fn expand(&self, step: &Step) -> Result<(), KubeError> {
        let before = step.before.as_ref().ok_or_else(|| problem(step))?;
        let size = step
            .after
            .as_ref()
            .map(|a| a["spec"]["resources"]["requests"]["storage"].clone())
            .ok_or_else(|| problem(step))?;
        let target = self.target(before)?;
        let patch = json!({"spec": {"resources": {"requests": {"storage": size}}}});
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        };
        retry(&self.options, async || {
            target
                .api
                .patch(&target.name, &params, &Patch::Merge(&patch))
                .await
                .map(drop)
                .map_err(|e| {
                    KubeError::request("patch", &target.label, &target.kind.resource.plural, e)
                })
        })
        .await
    }
}

fn manifest(step: &Step) -> Result<&Value, KubeError> {
    step.after.as_ref().ok_or_else(|| problem(step))
}

fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

fn problem(step: &Step) -> KubeError {
    KubeError::Step {
        object: step.resource.clone(),
        problem: StepProblem::NoManifest,
    }
}

/// Runs `attempt` until it succeeds, fails for good, or runs out of attempts; waits grow
/// exponentially (capped at 5 s) with up to 50% jitter.
pub(crate) async fn retry<T>(
    options: &WriteOptions,
    mut attempt: impl AsyncFnMut() -> Result<T, KubeError>,
) -> Result<T, KubeError> {
    let mut delay = options.backoff;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if error.is_transient() && tries < options.attempts => {
                tokio::time::sleep(jittered(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                tries += 1;
            }
            outcome => return outcome,
        }
    }
}

fn jittered(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let spread = u32::try_from(delay.as_millis() / 2)
        .unwrap_or(u32::MAX)
        .max(1);
    delay + Duration::from_millis(u64::from(nanos % spread))
}
