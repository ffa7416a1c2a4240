//! The loop around ticks: only the replica holding the Lease ticks (renewing it while a tick
//! runs), ticks come every interval (±10%) and 200 ms after a change the watches saw, a failing
//! tick backs off exponentially (capped at 10 minutes), and a stop request ends the loop after
//! the step in flight.

use std::time::Duration;

use super::lease::LeaderElector;
use super::{Reconciler, Tick};
use crate::providers::kubernetes::KubeError;

/// How often the loop ticks.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Between ticks (jittered by ±10%).
    pub interval: Duration,
    /// One tick, then return.
    pub once: bool,
    /// How long the Lease holds; it is renewed every third of that.
    pub lease: Duration,
}

/// Runs ticks until the reconciler's stop token is cancelled (or once), telling `say` what each
/// tick did. Returns false when the `once` tick failed.
///
/// # Errors
/// When the Lease cannot be read or written.
pub async fn drive(
    reconciler: &mut Reconciler<'_>,
    elector: Option<&LeaderElector>,
    schedule: Schedule,
    say: &mut dyn FnMut(&str),
) -> Result<bool, KubeError> {
    let stop = reconciler.stop_token();
    let observers = reconciler.observers().clone();
    observers.metrics.leader(elector.is_none());
    let mut failures = 0u32;
    while !stop.is_cancelled() {
        if let Some(elector) = elector {
            let leads = elector.lead().await?;
            observers.metrics.leader(leads);
            if !leads {
                observers.health.ready();
                tracing::info!("standby: another replica holds the lease");
                say("standby: another replica holds the lease");
                tokio::select! {
                    () = tokio::time::sleep(schedule.lease / 3) => continue,
                    () = stop.cancelled() => break,
                }
            }
        }
        let renewer = elector.cloned().map(|elector| {
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(schedule.lease / 3).await;
                    let _ = elector.lead().await;
                }
            })
        });
        let ticked = reconciler.tick().await;
        if let Some(renewer) = renewer {
            renewer.abort();
        }
        let wait = match ticked {
            Ok(tick) => {
                failures = 0;
                say(&describe(&tick));
                jittered(schedule.interval)
            }
            Err(error) => {
                failures += 1;
                let error = crate::error_chain::chain(&error);
                tracing::error!(%error, failures, "tick failed");
                say(&format!("tick failed: {error}"));
                if schedule.once {
                    return Ok(false);
                }
                (schedule.interval.max(Duration::from_secs(1)) * (1 << failures.min(6)))
                    .min(Duration::from_secs(600))
            }
        };
        if schedule.once {
            break;
        }
        // After a failed tick the backoff holds; otherwise a change the watches see ends the wait.
        let mut changes = (failures == 0).then(|| reconciler.live_changes()).flatten();
        let wait = if failures == 0 && reconciler.live_pending() {
            FOLLOW_UP
        } else {
            wait
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => {}
            () = changed(changes.as_mut()) => {
                // Let a burst of changes (a rollout, a node's pods) settle into one plan.
                tokio::time::sleep(DEBOUNCE).await;
            }
        }
    }
    Ok(true)
}

/// How long after a change the watches saw the next tick starts.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// How long after a tick that carried out steps, or that missed changes while it ran, the next
/// starts.
pub const FOLLOW_UP: Duration = Duration::from_secs(1);

/// Waits for the next change the watches see (forever without watches, or once they end).
async fn changed(changes: Option<&mut tokio::sync::watch::Receiver<u64>>) {
    if let Some(changes) = changes
        && changes.changed().await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

fn describe(tick: &Tick) -> String {
    match tick {
        Tick::Unchanged => "unchanged: nothing to do".to_owned(),
        Tick::Planned(plan) if plan.is_empty() => "in sync".to_owned(),
        Tick::Planned(plan) => format!("planned {} step(s), not applied", plan.steps.len()),
        Tick::Applied(_, report) => report.to_string(),
    }
}

fn jittered(interval: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tenth = interval / 10;
    interval - tenth + tenth * 2 * (nanos % 1000) / 1000
}
