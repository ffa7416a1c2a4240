//! Probe helpers.

use firecamp_schema::spec::volume::VolumeSpec;
use k8s_openapi::api::core::v1::{ExecAction, HTTPGetAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The slowest rate a long start phase may go at, in bytes a second: copying or replaying the
/// data volume at 20 MiB/s, half an st1 volume's baseline for each TiB (40 MiB/s, EBS volume
/// types).
const SLOWEST_START_RATE: i128 = 20 << 20;

/// The shortest and longest time a start may take, in seconds: an hour, a week.
const START_BOUNDS: (i128, i128) = (3_600, 7 * 86_400);

/// How often the startup probe asks, in seconds.
const STARTUP_PERIOD: i32 = 10;

/// A startup probe that opens a TCP connection to `port`, allowing as long as copying or
/// replaying all of `volume` at [`SLOWEST_START_RATE`] takes (at least an hour, at most a week).
/// Kubernetes runs no liveness or readiness probe until it succeeds ("If such a probe is
/// configured, it disables liveness and readiness checks until it succeeds", Kubernetes docs,
/// "Liveness, Readiness, and Startup Probes"), so a long legitimate start (a standby cloning its
/// primary, Kafka's log recovery, WiredTiger's) is not killed by the liveness probe.
#[must_use]
pub(crate) fn startup_tcp(port: u16, volume: Option<&VolumeSpec>) -> Probe {
    let bytes = volume
        .and_then(|v| v.size.as_ref())
        .and_then(|size| size.units().ok())
        .unwrap_or(0);
    let seconds = (bytes / SLOWEST_START_RATE).clamp(START_BOUNDS.0, START_BOUNDS.1);
    let checks = i32::try_from(seconds / i128::from(STARTUP_PERIOD)).unwrap_or(i32::MAX);
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(i32::from(port)),
            host: None,
        }),
        period_seconds: Some(STARTUP_PERIOD),
        timeout_seconds: Some(5),
        failure_threshold: Some(checks),
        ..Probe::default()
    }
}

/// A probe that opens a TCP connection to `port`.
#[must_use]
pub(crate) fn tcp(port: u16, initial_delay: i32, period: i32) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(i32::from(port)),
            host: None,
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(period),
        timeout_seconds: Some(5),
        failure_threshold: Some(6),
        ..Probe::default()
    }
}

/// A probe that runs `script` with `sh -c` in the container.
#[must_use]
pub(crate) fn exec(script: &str, initial_delay: i32, period: i32) -> Probe {
    Probe {
        exec: Some(ExecAction {
            command: Some(vec![
                "/bin/sh".to_owned(),
                "-c".to_owned(),
                script.to_owned(),
            ]),
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(period),
        timeout_seconds: Some(10),
        failure_threshold: Some(6),
        ..Probe::default()
    }
}

/// A probe that GETs `path` on `port` over HTTP.
#[must_use]
pub(crate) fn http_get(path: &str, port: u16, initial_delay: i32, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::Int(i32::from(port)),
            ..HTTPGetAction::default()
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(period),
        timeout_seconds: Some(5),
        failure_threshold: Some(6),
        ..Probe::default()
    }
}
