//! `firecamp apply`: validate, read the live state, plan, confirm, then carry the plan out step
//! by step and say what was done, what failed and what was skipped.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use super::connect::{ConnectArgs, runtime};
use super::{CommandError, ExitStatus};
use crate::apply::{Appliers, apply_plan};
use crate::plan::{PlanOptions, plan};
use crate::providers::kubernetes::{KubeWriter, WriteOptions};
use crate::providers::read_live_state;
use crate::view::text;

/// Arguments of `firecamp apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Folder of spec files, or one file.
    pub path: PathBuf,
    /// How to reach the cluster and AWS.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Apply without asking (required when stdin is not a terminal; implied by --plan).
    #[arg(long)]
    pub auto_approve: bool,
    /// Take over fields that another field manager owns (server-side apply force).
    #[arg(long)]
    pub force: bool,
    /// Allow a plan that deletes every service when the specs describe none.
    #[arg(long)]
    pub allow_empty: bool,
    /// Remove live members of a data-bearing kind (a scale-down, a zone taken off) as a plain
    /// StatefulSet edit, without the database's own removal: what only they hold is lost.
    #[arg(long)]
    pub allow_member_removal: bool,
    /// Carry out this saved plan (`firecamp plan --format json`); refused when a plan made now
    /// would do something else (the specs or the live state moved).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Longest wait for one object (deletion, a service's health, a job, a member restart).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
}

/// Runs `firecamp apply`.
pub(super) fn run(
    args: &ApplyArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, CommandError> {
    let (validation, desired) = super::load_desired(&args.path, err)?;
    runtime()?.block_on(async {
        let connection = args.connect.connect(&desired.cluster).await?;
        let (client, aws) = (connection.client, connection.aws);
        let live = read_live_state(&client, aws.as_ref(), &desired.cluster).await?;
        let plan = plan(
            &desired,
            &live,
            PlanOptions {
                allow_empty: args.allow_empty,
                allow_member_removal: args.allow_member_removal,
            },
        )?;
        if let Some(file) = &args.plan {
            let saved: crate::plan::Plan = serde_json::from_str(&std::fs::read_to_string(file)?)
                .map_err(|e| format!("{} is not a firecamp JSON plan: {e}", file.display()))?;
            if let Some(difference) = saved.difference(&plan) {
                return Err(format!(
                    "refusing to apply {}: {difference}; the specs or the live state moved since it was made, plan again",
                    file.display()
                )
                .into());
            }
        }
        let color = std::io::stdout().is_terminal();
        write!(out, "{}", text::render(&plan, text::Style { color }))?;
        if plan.is_empty() {
            return Ok(status(validation.is_valid(), true));
        }
        let approved = args.auto_approve || args.plan.is_some();
        if !approved && !confirm(plan.steps.len(), out)? {
            writeln!(out, "Apply cancelled; nothing was changed.")?;
            return Ok(ExitStatus::Invalid);
        }
        let writer = KubeWriter::new(
            client,
            WriteOptions {
                force: args.force,
                timeout: Duration::from_secs(args.timeout),
                ..WriteOptions::default()
            },
        );
        let stop = CancellationToken::new();
        let on_interrupt = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let appliers = Appliers {
            cluster: &desired.cluster,
            kubernetes: &writer,
            aws: aws.as_ref(),
            stop: &stop,
            halt_service_on_failure: false,
        };
        let bar = progress_bar(plan.steps.len());
        let mut progress = |step: &crate::apply::StepOutcome| {
            bar.suspend(|| {
                let _ = writeln!(out, "{step}");
            });
            bar.inc(1);
            bar.set_message(step.resource.clone());
        };
        let report = apply_plan(&plan, &live, appliers, &mut progress).await;
        bar.finish_and_clear();
        writeln!(out, "{report}")?;
        Ok(status(validation.is_valid(), report.succeeded()))
    })
}

/// A progress bar on a terminal (stderr); hidden otherwise, where the step lines say it all.
fn progress_bar(steps: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(u64::try_from(steps).unwrap_or(u64::MAX));
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {elapsed}  {wide_msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn status(valid: bool, succeeded: bool) -> ExitStatus {
    if valid && succeeded {
        ExitStatus::Success
    } else {
        ExitStatus::Invalid
    }
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(steps: usize, out: &mut dyn Write) -> Result<bool, CommandError> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "refusing to apply without confirmation: stdin is not a terminal; pass --auto-approve"
                .into(),
        );
    }
    write!(
        out,
        "Carry out these {steps} steps? Only 'yes' is accepted: "
    )?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
