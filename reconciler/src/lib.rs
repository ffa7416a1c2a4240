//! firecamp: a GitOps reconciler for FireCamp's catalog of stateful services on Kubernetes in AWS.
//! This crate holds the command line; the plan engine, providers and git source join it in later
//! releases.

pub mod cli;
