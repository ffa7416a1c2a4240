//! Every AWS call goes through here: a client-side token bucket per provider, and a counter of
//! calls and throttled answers by provider and operation (the Kubernetes client counts into it too).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Calls made, and calls answered with throttling, by `(provider, operation)`.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<Counts>>);

#[derive(Debug, Default)]
struct Counts {
    calls: BTreeMap<(String, String), u64>,
    throttles: BTreeMap<(String, String), u64>,
}

impl CallCounter {
    /// Records one call.
    pub fn count(&self, provider: &str, operation: &str) {
        if let Ok(mut counts) = self.0.lock() {
            *counts
                .calls
                .entry((provider.to_owned(), operation.to_owned()))
                .or_default() += 1;
        }
    }

    /// Records one answer that asked to slow down (HTTP 429, EC2's `RequestLimitExceeded`,
    /// Route53's `Throttling`).
    pub fn count_throttle(&self, provider: &str, operation: &str) {
        if let Ok(mut counts) = self.0.lock() {
            *counts
                .throttles
                .entry((provider.to_owned(), operation.to_owned()))
                .or_default() += 1;
        }
    }

    /// The call counts so far.
    #[must_use]
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.0.lock().map(|c| c.calls.clone()).unwrap_or_default()
    }

    /// The throttled answers so far.
    #[must_use]
    pub fn throttles(&self) -> BTreeMap<(String, String), u64> {
        self.0
            .lock()
            .map(|c| c.throttles.clone())
            .unwrap_or_default()
    }

    /// Calls of `operation` so far.
    #[must_use]
    pub fn get(&self, provider: &str, operation: &str) -> u64 {
        self.snapshot()
            .get(&(provider.to_owned(), operation.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// All calls so far.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

/// A token bucket: `per_second` tokens a second, up to `burst`.
#[derive(Debug, Clone)]
pub struct RateLimiter(Arc<tokio::sync::Mutex<Bucket>>);

#[derive(Debug)]
struct Bucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// A limiter of `per_second` requests a second with a burst of `burst`.
    #[must_use]
    pub fn new(per_second: f64, burst: f64) -> Self {
        let per_second = per_second.max(0.001);
        Self(Arc::new(tokio::sync::Mutex::new(Bucket {
            per_second,
            burst,
            tokens: burst,
            refilled: Instant::now(),
        })))
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        let mut bucket = self.0.lock().await;
        loop {
            let now = Instant::now();
            let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * bucket.per_second).min(bucket.burst);
            bucket.refilled = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return;
            }
            let wait = (1.0 - bucket.tokens) / bucket.per_second;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bucket_allows_its_burst_then_its_rate() {
        let limiter = RateLimiter::new(5.0, 2.0);
        let start = Instant::now();
        for _ in 0..7 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!(
            (0.99..1.01).contains(&elapsed),
            "2 at once, then 5 at 5/s: {elapsed}"
        );
    }

    #[test]
    fn the_counter_counts_by_operation() {
        let counter = CallCounter::default();
        counter.count("ec2", "DescribeSubnets");
        counter.count("ec2", "DescribeSubnets");
        counter.count("route53", "ListResourceRecordSets");
        assert_eq!(counter.get("ec2", "DescribeSubnets"), 2);
        assert_eq!(counter.total(), 3);
    }
}
