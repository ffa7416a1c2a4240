//! Observability of the loop: logs, Prometheus metrics, health, and the HTTP endpoint serving
//! them; and the Kubernetes client that counts its calls.

pub mod health;
pub mod kube_calls;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod server;
