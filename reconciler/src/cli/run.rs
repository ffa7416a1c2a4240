//! `firecamp run`: the loop. Every tick (jittered), and within a second of a change the watches
//! see: poll the specs, plan, apply by the policy, record the status. A failing tick backs off
//! exponentially (capped at 10 minutes), a failing service on its own (`--service-backoff`);
//! SIGTERM or Ctrl-C lets the step in flight finish, skips the rest and exits. With leader election only the replica holding the Lease ticks
//! (it renews the Lease while a tick runs). `/metrics`, `/healthz` and `/readyz` are served on
//! `--http-address`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use firecamp_schema::{Limits, validate_path};

use super::connect::{ConnectArgs, runtime};
use super::{CommandError, ExitStatus};
use crate::observe::health::Health;
use crate::observe::metrics::Metrics;
use crate::observe::server::serve;
use crate::plan::PlanError;
use crate::providers::kubernetes::{KubeWriter, WriteOptions};
use crate::run::driver::{Schedule, drive};
use crate::run::lease::LeaderElector;
use crate::run::{Observers, Policy, Reconciler, Settings, SpecSource};
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
    /// Send the git token to an `http://` remote (refused by default: anyone on the way can read
    /// it).
    #[arg(long)]
    pub allow_plain_http: bool,
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
    /// Read the cluster in bulk on each planning tick instead of keeping it current with watches
    /// (which re-plan within a second of a change to an owned object, a member's pod or a node).
    #[arg(long)]
    pub no_watch: bool,
    /// Seconds between plans from scratch (re-reading AWS state) while nothing else moves.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub resync: u64,
    /// Tick only while holding the Lease `firecamp-leader` (run several replicas, one writes).
    #[arg(long)]
    pub leader_election: bool,
    /// Namespace of the Lease.
    #[arg(long, value_name = "NAMESPACE", default_value = "firecamp-system")]
    pub lease_namespace: String,
    /// This replica's name in the Lease (default: $POD_NAME, else $HOSTNAME).
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    /// Seconds a service whose steps failed is left alone (doubling with each failure in a row).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub service_backoff: u64,
    /// Where /metrics, /healthz and /readyz are served ("off", or with --once: nothing).
    #[arg(long, value_name = "ADDRESS", default_value = "0.0.0.0:8080")]
    pub http_address: String,
    /// /healthz fails when the loop made no progress for this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub stall_after: u64,
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
            let mut git = GitSource::new(url, &args.reference, &args.path, &args.cache_dir, auth)
                .allow_plain_http(args.allow_plain_http);
            git.poll()?;
            SpecSource::Git(git)
        }
        None => SpecSource::Local(args.path.clone()),
    };
    let specs = match &source {
        SpecSource::Git(git) => git.specs_dir(),
        SpecSource::Local(dir) => dir.clone(),
    };
    // Only the Cluster is needed to connect: the services are validated and rendered by each
    // tick (holding their rendered objects here kept about 100 MiB for 1,000 services alive).
    let cluster = validate_path(&specs, &Limits::default())?
        .cluster
        .ok_or(PlanError::NoCluster)?;
    runtime()?.block_on(async {
        let connection = args.connect.connect(&cluster).await?;
        let (client, aws) = (connection.client, connection.aws);
        let observers = Observers {
            metrics: Metrics::default(),
            health: Health::new(Duration::from_secs(args.stall_after.max(args.interval * 3))),
            calls: connection.calls,
        };
        let writer = KubeWriter::new(client.clone(), WriteOptions::default());
        let settings = Settings {
            policy: args.policy,
            self_heal: args.self_heal,
            backoff_base: Duration::from_secs(args.service_backoff),
            watch: !args.no_watch && !args.once,
            resync: Duration::from_secs(args.resync),
            ..Settings::default()
        };
        let mut reconciler = Reconciler::new(source, writer, client.clone(), aws.as_ref(), settings)
            .with_observers(observers.clone());
        let stop = reconciler.stop_token();
        let on_signal = stop.clone();
        tokio::spawn(async move {
            shutdown().await;
            tracing::info!("stop requested: finishing the step in flight");
            on_signal.cancel();
        });
        if args.http_address != "off" && !args.once {
            let listener = tokio::net::TcpListener::bind(&args.http_address)
                .await
                .map_err(|e| {
                    format!(
                        "cannot serve on --http-address {}: {e} (pick another address, or `off`)",
                        args.http_address
                    )
                })?;
            tracing::info!(address = %listener.local_addr()?, "serving /metrics, /healthz, /readyz");
            tokio::spawn(serve(
                listener,
                observers.metrics.clone(),
                observers.health.clone(),
                stop.clone(),
            ));
        }
        let elector = args.leader_election.then(|| {
            let identity = args
                .identity
                .clone()
                .or_else(|| std::env::var("POD_NAME").ok())
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| format!("firecamp-{}", std::process::id()));
            LeaderElector::new(client.clone(), &args.lease_namespace, &identity, LEASE)
        });
        let schedule = Schedule {
            interval: Duration::from_secs(args.interval),
            once: args.once,
            lease: LEASE,
        };
        let mut say = |line: &str| {
            let _ = writeln!(out, "{line}");
        };
        let ok = drive(&mut reconciler, elector.as_ref(), schedule, &mut say).await?;
        Ok(if ok { ExitStatus::Success } else { ExitStatus::Invalid })
    })
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
