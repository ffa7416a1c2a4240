//! Per-service backoff: a service whose steps failed is left alone for a while, twice as long
//! after each failure in a row (capped), while the other services go on. A tick that carries out
//! every step of the service clears it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Services waiting before their next attempt.
#[derive(Debug, Clone)]
pub struct ServiceBackoff {
    base: Duration,
    cap: Duration,
    failing: BTreeMap<String, Failing>,
}

/// A service that failed, and when it may be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    /// Failed ticks in a row.
    pub failures: u32,
    /// The next attempt is not before this.
    pub until: Instant,
    /// The last failure, for people.
    pub reason: String,
}

impl ServiceBackoff {
    /// Waits `base` after the first failure, doubling up to `cap`.
    #[must_use]
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            failing: BTreeMap::new(),
        }
    }

    /// Records a failed attempt of `service` at `now`.
    pub fn failed(&mut self, service: &str, reason: &str, now: Instant) {
        let failures = self.failing.get(service).map_or(0, |f| f.failures) + 1;
        let wait = self
            .base
            .saturating_mul(1 << (failures - 1).min(16))
            .min(self.cap);
        self.failing.insert(
            service.to_owned(),
            Failing {
                failures,
                until: now + wait,
                reason: reason.to_owned(),
            },
        );
    }

    /// Records that every step of `service` was carried out.
    pub fn succeeded(&mut self, service: &str) {
        self.failing.remove(service);
    }

    /// Forgets services no longer in the specs.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.failing.retain(|name, _| keep(name));
    }

    /// The services still waiting at `now`, with why, e.g.
    /// `backing off after 2 failed attempts, next in 40 s: <reason>`.
    #[must_use]
    pub fn waiting(&self, now: Instant) -> BTreeMap<String, String> {
        self.failing
            .iter()
            .filter(|(_, f)| f.until > now)
            .map(|(name, f)| {
                let left = f.until.saturating_duration_since(now).as_secs().max(1);
                (
                    name.clone(),
                    format!(
                        "backing off after {} failed attempt(s), next in {left} s: {}",
                        f.failures, f.reason
                    ),
                )
            })
            .collect()
    }

    /// True when no service has failed since its last success.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.failing.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_each_failure_up_to_the_cap_and_clear_on_success() {
        let mut backoff = ServiceBackoff::new(Duration::from_secs(10), Duration::from_secs(35));
        let now = Instant::now();
        backoff.failed("redis", "ImagePullBackOff", now);
        assert!(
            backoff
                .waiting(now + Duration::from_secs(9))
                .contains_key("redis")
        );
        assert!(backoff.waiting(now + Duration::from_secs(10)).is_empty());
        backoff.failed("redis", "again", now);
        let waiting = backoff.waiting(now + Duration::from_secs(19));
        assert_eq!(
            waiting["redis"],
            "backing off after 2 failed attempt(s), next in 1 s: again"
        );
        assert!(backoff.waiting(now + Duration::from_secs(20)).is_empty());
        backoff.failed("redis", "third", now);
        assert!(
            backoff
                .waiting(now + Duration::from_secs(34))
                .contains_key("redis")
        );
        assert!(
            backoff.waiting(now + Duration::from_secs(35)).is_empty(),
            "capped"
        );
        backoff.failed("kafka", "x", now);
        backoff.succeeded("redis");
        assert_eq!(
            backoff.waiting(now).keys().collect::<Vec<_>>(),
            ["kafka"],
            "one service's success leaves the others waiting"
        );
        backoff.retain(|name| name != "kafka");
        assert!(backoff.is_empty());
    }
}
