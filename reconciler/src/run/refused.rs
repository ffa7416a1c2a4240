//! Addresses EC2 refused to assign because something firecamp cannot see has them (another
//! account's interface in a shared VPC, which `DescribeNetworkInterfaces` does not show): the loop
//! remembers them for an hour and gives them to the plan as taken, so the next choice is another
//! address instead of the same refusal every tick. After an hour an address is tried again (it
//! may have been freed). A one-shot `apply` has no memory: its next run may try the address once
//! more.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::apply::Report;
use crate::live::LiveState;

/// How long a refused address is kept out of the choices.
const REMEMBERED_FOR: Duration = Duration::from_secs(3600);

/// Refused addresses, with when EC2 last refused each.
#[derive(Debug, Default)]
pub(crate) struct RefusedAddresses {
    refused: BTreeMap<Ipv4Addr, Instant>,
}

impl RefusedAddresses {
    /// Remembers the addresses `report` says EC2 refused, at `now`.
    pub(crate) fn learn(&mut self, report: &Report, now: Instant) {
        for ip in &report.refused_ips {
            self.refused.insert(*ip, now);
        }
    }

    /// Forgets what was refused more than an hour before `now`, and marks the rest taken in
    /// `live`.
    pub(crate) fn mark(&mut self, live: &mut LiveState, now: Instant) {
        self.refused
            .retain(|_, at| now.saturating_duration_since(*at) < REMEMBERED_FOR);
        live.refused_ips.extend(self.refused.keys().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_address_is_taken_for_an_hour() {
        let mut refused = RefusedAddresses::default();
        let start = Instant::now();
        let report = Report {
            refused_ips: vec![Ipv4Addr::new(10, 0, 16, 6)],
            ..Report::default()
        };
        refused.learn(&report, start);
        let mut live = LiveState::default();
        refused.mark(&mut live, start + Duration::from_secs(3599));
        assert_eq!(
            live.refused_ips.iter().copied().collect::<Vec<_>>(),
            [Ipv4Addr::new(10, 0, 16, 6)]
        );
        let mut later = LiveState::default();
        refused.mark(&mut later, start + REMEMBERED_FOR);
        assert!(later.refused_ips.is_empty(), "tried again after an hour");
    }
}
