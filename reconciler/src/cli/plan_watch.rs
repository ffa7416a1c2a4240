//! `firecamp plan --watch`: a plan on every save, made with the incremental planner the `run`
//! loop uses (files unchanged since the last save are not validated or rendered again, services
//! known in sync are not compared) against the live state the loop's watches keep (or the
//! snapshot, or an empty cluster). Each plan says how long it took from the save.

use std::io::Write;
use std::time::Instant;

use firecamp_schema::Limits;
use firecamp_schema::validate::read_specs;

use super::connect::{Connection, runtime};
use super::plan::{PlanArgs, print_plan};
use super::{CommandError, ExitStatus};
use crate::live::{LiveState, read_snapshot};
use crate::plan::{Plan, PlanError, PlanOptions, Planner};
use crate::run::live_source::LiveSource;

/// The cluster, once connected: its client and AWS, and the watches.
struct Watched {
    connection: Connection,
    live: LiveSource,
}

/// What the saves share: the planner and where the live state comes from.
struct Session<'a> {
    args: &'a PlanArgs,
    limits: Limits,
    planner: Planner,
    snapshot: Option<LiveState>,
    cluster: Option<Watched>,
}

/// Plans now and on every save under the path until Ctrl-C.
pub(super) fn watch_plans(
    args: &PlanArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, CommandError> {
    let runtime = runtime()?;
    let mut session = Session {
        args,
        limits: Limits::default(),
        planner: Planner::new(),
        snapshot: args
            .live_snapshot
            .as_deref()
            .map(read_snapshot)
            .transpose()?,
        cluster: None,
    };
    super::watch::watch(&args.path, || {
        let saved = Instant::now();
        match runtime.block_on(session.plan(err)) {
            Ok((plan, source)) => {
                let _ = print_plan(args, &plan, &source, out);
            }
            Err(error) => {
                let _ = writeln!(err, "error: {}", crate::error_chain::chain(&*error));
            }
        }
        let _ = writeln!(out, "Planned in {} ms.", saved.elapsed().as_millis());
        let _ = writeln!(
            out,
            "Watching {} for changes (Ctrl-C to stop).",
            args.path.display()
        );
        let _ = out.flush();
    })?;
    Ok(ExitStatus::Success)
}

impl Session<'_> {
    /// Loads the specs as saved and plans them; returns the plan and what it was made against.
    async fn plan(&mut self, err: &mut dyn Write) -> Result<(Plan, String), CommandError> {
        let files = read_specs(&self.args.path, &self.limits)?;
        if let Some(validation) = self.planner.load(&self.args.path, files, &self.limits)? {
            for diagnostic in &validation.diagnostics {
                writeln!(err, "{diagnostic}")?;
            }
        }
        let cluster = self
            .planner
            .desired()
            .ok_or(PlanError::NoCluster)?
            .cluster
            .clone();
        let (live, source) = match (&self.snapshot, self.args.offline) {
            (Some(snapshot), _) => (snapshot.clone(), "the live snapshot".to_owned()),
            (None, true) => (
                LiveState::default(),
                "an empty cluster (--offline)".to_owned(),
            ),
            (None, false) => {
                if self.cluster.is_none() {
                    self.cluster = Some(Watched {
                        connection: self.args.connect.connect(&cluster).await?,
                        live: LiveSource::new(true),
                    });
                }
                let watched = self.cluster.as_mut().ok_or("not connected")?;
                let client = watched.connection.client.clone();
                let aws = watched.connection.aws.as_ref();
                let live = watched.live.read(&client, aws, &cluster).await?;
                (live, format!("cluster {}", cluster.metadata.name))
            }
        };
        let options = PlanOptions {
            allow_empty: self.args.allow_empty,
            allow_member_removal: self.args.allow_member_removal,
        };
        Ok((self.planner.plan(&live, options)?, source))
    }
}
