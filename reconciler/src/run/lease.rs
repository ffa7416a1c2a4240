//! One writer: leader election with a `coordination.k8s.io` Lease. A replica holds the lease by
//! renewing it before it expires; a standby takes it over once it has expired. Every change of
//! the lease carries the resourceVersion it was read at, so two replicas never both win one
//! round. Leases do not fence a leader that stalls past its lease: firecamp's writes stay
//! idempotent (server-side apply, tolerant deletes) so a late write does no harm.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, PostParams};

use crate::providers::kubernetes::KubeError;

/// The Lease's name.
pub const LEASE_NAME: &str = "firecamp-leader";

/// A candidate for the lease.
#[derive(Clone)]
pub struct LeaderElector {
    api: Api<Lease>,
    identity: String,
    duration: Duration,
}

impl std::fmt::Debug for LeaderElector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElector")
            .field("identity", &self.identity)
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}

impl LeaderElector {
    /// A candidate called `identity` (e.g. its pod name) for the lease in `namespace`, held for
    /// `duration` after each renewal.
    #[must_use]
    pub fn new(client: kube::Client, namespace: &str, identity: &str, duration: Duration) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            identity: identity.to_owned(),
            duration,
        }
    }

    /// Acquires the lease, renews it, or takes over an expired one; true when this candidate
    /// leads until the next call (which must come well within the lease's duration).
    ///
    /// # Errors
    /// The API failed (a lost race is `Ok(false)`, not an error).
    pub async fn lead(&self) -> Result<bool, KubeError> {
        let label = format!("Lease {LEASE_NAME}");
        let now = Timestamp::now();
        let Some(current) = self
            .api
            .get_opt(LEASE_NAME)
            .await
            .map_err(|e| KubeError::request("get", &label, "leases", e))?
        else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(LEASE_NAME.to_owned()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(now, now, 0)),
            };
            return lost_race(
                self.api.create(&PostParams::default(), &lease).await,
                "create",
                &label,
            );
        };
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref();
        let renewed = spec.renew_time.map_or(Timestamp::UNIX_EPOCH, |t| t.0);
        let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
        let expired = renewed + SignedDuration::from_secs(seconds) < now;
        let transitions = spec.lease_transitions.unwrap_or(0);
        let next = match holder {
            Some(me) if me == self.identity => {
                self.spec(spec.acquire_time.map_or(now, |t| t.0), now, transitions)
            }
            _ if expired || holder.is_none() => self.spec(now, now, transitions + 1),
            _ => return Ok(false),
        };
        let mut lease = current;
        lease.spec = Some(next);
        lost_race(
            self.api
                .replace(LEASE_NAME, &PostParams::default(), &lease)
                .await,
            "update",
            &label,
        )
    }

    fn spec(&self, acquired: Timestamp, renewed: Timestamp, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(
                i32::try_from(self.duration.as_secs()).unwrap_or(i32::MAX),
            ),
            acquire_time: Some(MicroTime(acquired)),
            renew_time: Some(MicroTime(renewed)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }
}

/// A conflict (someone else wrote the lease first) loses the round; other errors are errors.
fn lost_race(
    result: kube::Result<Lease>,
    verb: &'static str,
    label: &str,
) -> Result<bool, KubeError> {
    match result {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(e) => Err(KubeError::request(verb, label, "leases", e)),
    }
}
