//! `firecamp run`: the scheduled loop. Every tick (jittered): poll the specs, plan, apply by the
//! policy, record the status. A failing tick backs off exponentially (capped at 10 minutes);
//! SIGTERM or Ctrl-C ends the loop after the tick in flight. With leader election only the
//! replica holding the Lease ticks (it renews the Lease while a tick runs).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use firecamp_schema::{Limits, validate_path};

use super::connect::{ConnectArgs, runtime};
use super::{CommandError, ExitStatus};
use crate::plan::Desired;
use crate::providers::kubernetes::{KubeWriter, WriteOptions};
use crate::run::lease::LeaderElector;
use crate::run::{Policy, Reconciler, SpecSource, Tick};
use crate::source::{GitAuth, GitSource};

/// Arguments of `firecamp run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Local folder of specs (without --git), or the folder inside the repository (with --git).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Git remote to poll (a path, file://, git://, https:// or ssh://).
    #[arg(long, value_name = "URL")]
    pub git: Option<String>,
    /// Branch or tag to follow.
    #[arg(long = "ref", value_name = "REF", default_value = "main")]
    pub reference: String,
    /// Where the remote is checked out.
    #[arg(long, value_name = "DIR", default_value = ".firecamp/checkout")]
    pub cache_dir: PathBuf,
    /// File holding an https token (e.g. a mounted Secret).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["token_env", "ssh_key"])]
    pub token_file: Option<PathBuf>,
    /// Environment variable holding an https token.
    #[arg(long, value_name = "NAME", conflicts_with = "ssh_key")]
    pub token_env: Option<String>,
    /// ssh private key file.
    #[arg(long, value_name = "FILE")]
    pub ssh_key: Option<PathBuf>,
    /// Seconds between ticks (±10% jitter).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub interval: u64,
    /// Run one tick and exit (0 when it succeeded).
    #[arg(long)]
    pub once: bool,
    /// Apply plans, or only record them.
    #[arg(long, value_enum, default_value_t = Policy::Apply)]
    pub policy: Policy,
    /// Correct changes made outside git too (by default they are reported only).
    #[arg(long)]
    pub self_heal: bool,
    /// Tick only while holding the Lease `firecamp-leader` (run several replicas, one writes).
    #[arg(long)]
    pub leader_election: bool,
    /// Namespace of the Lease.
    #[arg(long, value_name = "NAMESPACE", default_value = "firecamp-system")]
    pub lease_namespace: String,
    /// This replica's name in the Lease (default: $POD_NAME, else $HOSTNAME).
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    /// How to reach the cluster and AWS.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// How long the Lease holds after a renewal; it is renewed every third of that during a tick.
const LEASE: Duration = Duration::from_secs(15);

/// Runs `firecamp run`.
pub(super) fn run(args: &RunArgs, out: &mut dyn Write) -> Result<ExitStatus, CommandError> {
    let source = match &args.git {
        Some(url) => {
            let auth = match &args.ssh_key {
                Some(path) => GitAuth::SshKey { path: path.clone() },
                None => GitAuth::token_from(args.token_file.as_deref(), args.token_env.as_deref())?,
            };
            let mut git = GitSource::new(url, &args.reference, &args.path, &args.cache_dir, auth);
            git.poll()?;
            SpecSource::Git(git)
        }
        None => SpecSource::Local(args.path.clone()),
    };
    let specs = match &source {
        SpecSource::Git(git) => git.specs_dir(),
        SpecSource::Local(dir) => dir.clone(),
    };
    let desired = Desired::from_validation(&validate_path(&specs, &Limits::default())?)?;
    runtime()?.block_on(async {
        let (client, aws) = args.connect.connect(&desired.cluster).await?;
        let writer = KubeWriter::new(client.clone(), WriteOptions::default());
        let mut reconciler = Reconciler::new(
            source,
            writer,
            client.clone(),
            aws.as_ref(),
            args.policy,
            args.self_heal,
        );
        let elector = args.leader_election.then(|| {
            let identity = args
                .identity
                .clone()
                .or_else(|| std::env::var("POD_NAME").ok())
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| format!("firecamp-{}", std::process::id()));
            LeaderElector::new(client.clone(), &args.lease_namespace, &identity, LEASE)
        });
        let mut failures = 0u32;
        loop {
            if let Some(elector) = &elector
                && !elector.lead().await?
            {
                writeln!(out, "standby: another replica holds the lease")?;
                tokio::select! {
                    () = tokio::time::sleep(LEASE / 3) => continue,
                    () = shutdown() => return Ok(ExitStatus::Success),
                }
            }
            let renewer = elector.clone().map(|elector| {
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(LEASE / 3).await;
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
                    writeln!(out, "{}", describe(&tick))?;
                    jittered(Duration::from_secs(args.interval))
                }
                Err(error) => {
                    failures += 1;
                    writeln!(out, "tick failed: {}", super::chain(&error))?;
                    if args.once {
                        return Ok(ExitStatus::Invalid);
                    }
                    Duration::from_secs(args.interval.max(1) << failures.min(6))
                        .min(Duration::from_secs(600))
                }
            };
            if args.once {
                return Ok(ExitStatus::Success);
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown() => {
                    writeln!(out, "stopping: the tick in flight is done")?;
                    return Ok(ExitStatus::Success);
                }
            }
        }
    })
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

async fn shutdown() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
