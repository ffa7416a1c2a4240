//! firecamp: a GitOps reconciler for FireCamp's catalog of stateful services on Kubernetes in AWS.
//! The plan engine (`plan`) is pure; the live model (`live`) is what providers fill and snapshots
//! store; `view` renders plans for people and programs; `apply` carries plans out through the
//! providers; `source` reads specs from git; `run` is the loop; `cli` is the command line, above
//! them all (nothing below it imports it).

pub mod apply;
pub mod cli;
pub mod error_chain;
pub mod live;
pub mod observe;
pub mod plan;
pub mod providers;
pub mod run;
pub mod source;
pub mod view;
