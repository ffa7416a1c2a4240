//! `firecamp plan`: validate the specs, read the live state, plan, print (`--watch`: again on
//! every save, see `plan_watch`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::connect::{ConnectArgs, runtime};
use super::{CommandError, ExitStatus, PlanFormat};
use crate::live::{LiveState, read_snapshot};
use crate::plan::{Plan, PlanOptions, plan};
use crate::providers::read_live_state;
use crate::view::{json, markdown, text};

/// Arguments of `firecamp plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Folder of spec files, or one file.
    pub path: PathBuf,
    /// How to reach the cluster and AWS (when neither --live-snapshot nor --offline is given).
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Plan against a live snapshot (from `firecamp live dump`) instead of the cluster.
    #[arg(long, value_name = "FILE", conflicts_with = "offline")]
    pub live_snapshot: Option<PathBuf>,
    /// Plan against an empty cluster (everything is created).
    #[arg(long)]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 2 when the plan has changes, 0 when it has none (1 on any error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Allow a plan that deletes every service when the specs describe none.
    #[arg(long)]
    pub allow_empty: bool,
    /// Remove live members of a data-bearing kind (a scale-down, a zone taken off) as a plain
    /// StatefulSet edit, without the database's own removal: what only they hold is lost.
    #[arg(long)]
    pub allow_member_removal: bool,
    /// Never colour the text plan (it is coloured only on a terminal anyway).
    #[arg(long)]
    pub no_color: bool,
    /// Plan again on every save under the path (until Ctrl-C).
    #[arg(long, conflicts_with = "detailed_exitcode")]
    pub watch: bool,
}

/// Runs `firecamp plan`, once or (`--watch`) on every save.
pub(super) fn run(
    args: &PlanArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, CommandError> {
    if args.watch {
        super::plan_watch::watch_plans(args, out, err)
    } else {
        plan_once(args, out, err)
    }
}

fn plan_once(
    args: &PlanArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, CommandError> {
    let (validation, desired) = super::load_desired(&args.path, err)?;
    let (live, source) = match (&args.live_snapshot, args.offline) {
        (Some(file), _) => (
            read_snapshot(file)?,
            format!("live snapshot {}", file.display()),
        ),
        (None, true) => (
            LiveState::default(),
            "an empty cluster (--offline)".to_owned(),
        ),
        (None, false) => {
            let live = runtime()?.block_on(async {
                let connection = args.connect.connect(&desired.cluster).await?;
                let (client, aws) = (connection.client, connection.aws);
                Ok::<_, CommandError>(
                    read_live_state(&client, aws.as_ref(), &desired.cluster).await?,
                )
            })?;
            (live, format!("cluster {}", desired.cluster.metadata.name))
        }
    };
    let plan = plan(
        &desired,
        &live,
        PlanOptions {
            allow_empty: args.allow_empty,
            allow_member_removal: args.allow_member_removal,
        },
    )?;
    print_plan(args, &plan, &source, out)?;
    Ok(if !validation.is_valid() {
        ExitStatus::Invalid
    } else if args.detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Prints `plan`, made against `source`, in the format asked for.
pub(super) fn print_plan(
    args: &PlanArgs,
    plan: &Plan,
    source: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match args.format {
        PlanFormat::Text => {
            writeln!(out, "Planning {} against {source}.", args.path.display())?;
            let color = !args.no_color && std::io::stdout().is_terminal();
            write!(out, "{}", text::render(plan, text::Style { color }))?;
        }
        PlanFormat::Markdown => write!(
            out,
            "{}",
            markdown::render(
                plan,
                &format!("firecamp plan for `{}`", args.path.display())
            )
        )?,
        PlanFormat::Json => write!(out, "{}", json::render(plan))?,
    }
    Ok(())
}
