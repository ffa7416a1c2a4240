//! Waiting, with a deadline: for a deleted object to be gone, a service's StatefulSets to be
//! ready, a Job to complete, a restarted member to come back on the current template. Pods that
//! waiting cannot fix (crash loops, image pulls, unschedulable) fail the wait at once.

use std::time::Instant;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams};

use firecamp_catalog::labels;

use super::KubeError;
use super::write::{WriteOptions, retry};
use crate::plan::Step;

/// Container states that waiting does not fix.
const FATAL_WAITING: [&str; 5] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
];

/// Waits on one cluster.
pub(crate) struct Health<'a> {
    client: &'a Client,
    options: &'a WriteOptions,
}

impl<'a> Health<'a> {
    pub(crate) fn new(client: &'a Client, options: &'a WriteOptions) -> Self {
        Self { client, options }
    }

    /// Polls `check` until it says done, fails, or the timeout passes.
    async fn until(
        &self,
        object: &str,
        what: &str,
        mut check: impl AsyncFnMut() -> Result<bool, KubeError>,
    ) -> Result<(), KubeError> {
        let deadline = Instant::now() + self.options.timeout;
        loop {
            if retry(self.options, &mut check).await? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(KubeError::Timeout {
                    object: object.to_owned(),
                    what: what.to_owned(),
                    seconds: self.options.timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.options.poll).await;
        }
    }

    /// Waits until `name` no longer exists.
    pub(crate) async fn wait_gone(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        label: &str,
    ) -> Result<(), KubeError> {
        self.until(label, "still exists", async || {
            api.get_opt(name)
                .await
                .map(|o| o.is_none())
                .map_err(|e| KubeError::request("get", label, "", e))
        })
        .await
    }

    /// Waits until every StatefulSet of `service` has all its replicas ready.
    pub(crate) async fn wait_service(
        &self,
        namespace: &str,
        service: &str,
    ) -> Result<(), KubeError> {
        let statefulsets: Api<StatefulSet> = Api::namespaced(self.client.clone(), namespace);
        let params = ListParams::default().labels(&service_selector(service));
        let label = format!("service {namespace}/{service}");
        self.until(&label, "not every member became ready", async || {
            self.fail_fast(namespace, service, None).await?;
            let list = statefulsets
                .list(&params)
                .await
                .map_err(|e| KubeError::request("list", &label, "statefulsets", e))?;
            Ok(list.items.iter().all(statefulset_ready))
        })
        .await
    }

    /// Fails when a pod of `service` other than `except` is in a state waiting cannot fix.
    async fn fail_fast(
        &self,
        namespace: &str,
        service: &str,
        except: Option<&str>,
    ) -> Result<(), KubeError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let params = ListParams::default().labels(&service_selector(service));
        let list = pods
            .list(&params)
            .await
            .map_err(|e| KubeError::request("list", format!("pods of {service}"), "pods", e))?;
        for pod in list
            .items
            .iter()
            .filter(|p| except.is_none() || p.metadata.name.as_deref() != except)
        {
            if let Some(reason) = pod_failure(pod) {
                return Err(KubeError::Unhealthy {
                    object: format!(
                        "Pod {namespace}/{}",
                        pod.metadata.name.as_deref().unwrap_or_default()
                    ),
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Waits until the Job of `step` has succeeded; fails when it has failed.
    pub(crate) async fn wait_job(
        &self,
        api: &Api<DynamicObject>,
        step: &Step,
    ) -> Result<(), KubeError> {
        let name = step.resource.rsplit('/').next().unwrap_or_default();
        self.until(&step.resource, "the job did not complete", async || {
            let job = api
                .get(name)
                .await
                .map_err(|e| KubeError::request("get", &step.resource, "jobs", e))?;
            let status = &job.data["status"];
            if let Some(failed) = status["conditions"].as_array().and_then(|c| {
                c.iter()
                    .find(|c| c["type"] == "Failed" && c["status"] == "True")
            }) {
                return Err(KubeError::Unhealthy {
                    object: step.resource.clone(),
                    reason: format!(
                        "the job failed: {} {}; see `kubectl logs job/{name}`",
                        failed["reason"].as_str().unwrap_or_default(),
                        failed["message"].as_str().unwrap_or_default()
                    ),
                });
            }
            Ok(status["succeeded"].as_u64().unwrap_or(0) >= 1)
        })
        .await
    }

    /// Restarts a member on the current template: waits until every other member of its service
    /// is ready (the member itself may be the one stuck) and its StatefulSet's controller has seen the template, deletes its pod, then waits
    /// until the pod is back, on the new template, ready.
    pub(crate) async fn restart_member(&self, step: &Step) -> Result<(), KubeError> {
        let (namespace, member) = step
            .resource
            .trim_start_matches("Pod ")
            .split_once('/')
            .unwrap_or_default();
        let wanted = step
            .after
            .as_ref()
            .and_then(|a| a["configHash"].as_str())
            .map(str::to_owned);
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        if let Some(service) = &step.service {
            self.until(
                &step.resource,
                "its service's members did not all become ready",
                async || {
                    self.fail_fast(namespace, service, Some(member)).await?;
                    let list = pods
                        .list(&ListParams::default().labels(&service_selector(service)))
                        .await
                        .map_err(|e| KubeError::request("list", &step.resource, "pods", e))?;
                    Ok(list
                        .items
                        .iter()
                        .filter(|p| p.metadata.name.as_deref() != Some(member))
                        .all(pod_ready))
                },
            )
            .await?;
        }
        let statefulset = member.rsplit_once('-').map_or(member, |(name, _)| name);
        let statefulsets: Api<StatefulSet> = Api::namespaced(self.client.clone(), namespace);
        self.until(
            &step.resource,
            "its StatefulSet's controller did not see the new template",
            async || {
                let current = statefulsets
                    .get(statefulset)
                    .await
                    .map_err(|e| KubeError::request("get", &step.resource, "statefulsets", e))?;
                Ok(observed(&current))
            },
        )
        .await?;
        let deleted = pods
            .get_opt(member)
            .await
            .map_err(|e| KubeError::request("get", &step.resource, "pods", e))?
            .and_then(|p| p.metadata.uid);
        retry(self.options, async || {
            match pods.delete(member, &DeleteParams::default()).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
                Err(e) => Err(KubeError::request("delete", &step.resource, "pods", e)),
            }
        })
        .await?;
        let mut seen = String::from("nothing yet");
        self.until(
            &step.resource,
            "the member did not come back ready on the new template",
            async || {
                let Some(pod) = pods
                    .get_opt(member)
                    .await
                    .map_err(|e| KubeError::request("get", &step.resource, "pods", e))?
                else {
                    "no pod".clone_into(&mut seen);
                    return Ok(false);
                };
                // Deletion is graceful: the old pod stays (terminating, with its old state, a
                // crash loop say) until its kubelet lets go; only the new pod tells anything.
                if pod.metadata.uid == deleted || pod.metadata.deletion_timestamp.is_some() {
                    "the old pod, terminating".clone_into(&mut seen);
                    return Ok(false);
                }
                if let Some(reason) = pod_failure(&pod) {
                    return Err(KubeError::Unhealthy {
                        object: step.resource.clone(),
                        reason,
                    });
                }
                let hash = pod
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(labels::CONFIG_HASH));
                seen = format!(
                    "pod {} with config hash {}, {}",
                    pod.metadata.uid.as_deref().unwrap_or("?"),
                    hash.map_or("none", String::as_str),
                    if pod_ready(&pod) {
                        "ready"
                    } else {
                        "not ready"
                    }
                );
                if hash != wanted.as_ref() && pod_ready(&pod) {
                    // Made again from the old template (the controller lagged): once more.
                    let _ = pods.delete(member, &DeleteParams::default()).await;
                    return Ok(false);
                }
                Ok(hash == wanted.as_ref() && pod_ready(&pod))
            },
        )
        .await
        .map_err(|error| match error {
            KubeError::Timeout {
                object,
                what,
                seconds,
            } => KubeError::Timeout {
                object,
                what: format!("{what} (last seen: {seen})"),
                seconds,
            },
            other => other,
        })
    }
}

fn service_selector(service: &str) -> String {
    format!(
        "{}={},{}={service}",
        labels::MANAGED_BY,
        labels::FIRECAMP,
        labels::SERVICE
    )
}

/// True when the StatefulSet controller has seen the current spec.
fn observed(statefulset: &StatefulSet) -> bool {
    let generation = statefulset.metadata.generation.unwrap_or(0);
    statefulset
        .status
        .as_ref()
        .is_some_and(|s| s.observed_generation.unwrap_or(0) >= generation)
}

fn statefulset_ready(statefulset: &StatefulSet) -> bool {
    let wanted = statefulset.spec.replicas.unwrap_or(1);
    observed(statefulset)
        && statefulset
            .status
            .as_ref()
            .is_some_and(|s| s.ready_replicas.unwrap_or(0) >= wanted)
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Why a pod will not become ready by waiting, when that is so.
fn pod_failure(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    let containers = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for container in containers {
        if let Some(waiting) = container.state.as_ref().and_then(|s| s.waiting.as_ref())
            && let Some(reason) = waiting.reason.as_deref()
            && FATAL_WAITING.contains(&reason)
        {
            return Some(format!(
                "container {} is {reason}: {}",
                container.name,
                waiting
                    .message
                    .as_deref()
                    .unwrap_or("see `kubectl describe pod`")
            ));
        }
    }
    // Unschedulable is often passing: the scheduler's cache had not yet seen a volume claim the
    // StatefulSet controller just made (seen on the real scheduler), or a node autoscaler is
    // adding a node. Only a pod that stayed unschedulable past a grace period is a failure.
    let now = Timestamp::now();
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| {
            c.type_ == "PodScheduled"
                && c.status == "False"
                && c.reason.as_deref() == Some("Unschedulable")
                && c.last_transition_time
                    .as_ref()
                    .is_none_or(|since| since.0 + UNSCHEDULABLE_GRACE < now)
        })
        .map(|c| {
            format!(
                "cannot be scheduled: {}",
                c.message.as_deref().unwrap_or("no node fits")
            )
        })
}

/// How long a pod may stay unschedulable before a wait gives up on it.
const UNSCHEDULABLE_GRACE: SignedDuration = SignedDuration::from_secs(60);

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::jiff::{SignedDuration, Timestamp};
    use serde_json::json;

    use super::pod_failure;

    fn unschedulable_since(seconds_ago: i64) -> Pod {
        let since = Timestamp::now() - SignedDuration::from_secs(seconds_ago);
        serde_json::from_value(json!({"status": {"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "lastTransitionTime": since.to_string(),
            "message": "0/12 nodes are available: persistentvolumeclaim \"data-x-0\" not found."}]}}))
        .expect("pod")
    }

    #[test]
    fn a_pod_is_given_up_on_only_after_staying_unschedulable_past_the_grace() {
        assert_eq!(
            pod_failure(&unschedulable_since(2)),
            None,
            "a passing state"
        );
        let failure = pod_failure(&unschedulable_since(120)).expect("a failure after 2 minutes");
        assert!(
            failure.starts_with("cannot be scheduled: 0/12 nodes"),
            "{failure}"
        );
    }
}
