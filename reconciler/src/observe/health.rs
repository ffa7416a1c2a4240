//! What `/healthz` and `/readyz` answer. Live: the loop made progress (a tick, a step, a lease
//! check) within the stall limit. Ready: the last tick succeeded, or this replica is a standby
//! whose lease check worked; not ready before the first tick or after a failed one, with why.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The loop's health; clones share it.
#[derive(Debug, Clone)]
pub struct Health(Arc<Mutex<Inner>>);

#[derive(Debug)]
struct Inner {
    last_beat: Instant,
    stall_after: Duration,
    not_ready: Option<String>,
}

impl Health {
    /// Live while a beat came within `stall_after`; not ready until the first tick.
    #[must_use]
    pub fn new(stall_after: Duration) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            last_beat: Instant::now(),
            stall_after,
            not_ready: Some("the first tick has not finished".to_owned()),
        })))
    }

    /// The loop made progress.
    pub fn beat(&self) {
        if let Ok(mut inner) = self.0.lock() {
            inner.last_beat = Instant::now();
        }
    }

    /// The loop works (a tick succeeded, or the standby's lease check did).
    pub fn ready(&self) {
        if let Ok(mut inner) = self.0.lock() {
            inner.last_beat = Instant::now();
            inner.not_ready = None;
        }
    }

    /// The loop does not work, and why.
    pub fn not_ready(&self, reason: &str) {
        if let Ok(mut inner) = self.0.lock() {
            inner.last_beat = Instant::now();
            inner.not_ready = Some(reason.to_owned());
        }
    }

    /// `Ok` when live, else why not.
    ///
    /// # Errors
    /// When the loop made no progress within the stall limit.
    pub fn live(&self) -> Result<(), String> {
        let inner = self
            .0
            .lock()
            .map_err(|_| "health state poisoned".to_owned())?;
        let quiet = inner.last_beat.elapsed();
        if quiet > inner.stall_after {
            return Err(format!(
                "no progress for {} s (limit {} s)",
                quiet.as_secs(),
                inner.stall_after.as_secs()
            ));
        }
        Ok(())
    }

    /// `Ok` when ready, else why not.
    ///
    /// # Errors
    /// Before the first tick, after a failed tick, or when not live.
    pub fn is_ready(&self) -> Result<(), String> {
        self.live()?;
        let inner = self
            .0
            .lock()
            .map_err(|_| "health state poisoned".to_owned())?;
        inner.not_ready.clone().map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_after_a_good_tick_not_after_a_failed_one_and_not_live_when_stalled() {
        let health = Health::new(Duration::from_secs(60));
        assert!(health.live().is_ok());
        assert_eq!(
            health.is_ready(),
            Err("the first tick has not finished".to_owned())
        );
        health.ready();
        assert_eq!(health.is_ready(), Ok(()));
        health.not_ready("reading the live state: connection refused");
        assert_eq!(
            health.is_ready(),
            Err("reading the live state: connection refused".to_owned())
        );
        let stalled = Health::new(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            stalled
                .live()
                .expect_err("stalled")
                .starts_with("no progress for")
        );
        assert!(stalled.is_ready().is_err());
    }
}
