//! The command line: parse arguments, run one command, map the outcome to an exit status.

mod apply;
mod connect;
mod live;
mod plan;
mod plan_watch;
mod run;
mod schema;
mod status;
mod validate;
mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::observe::logging::LogFormat;

/// What a run ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked (for `validate`: the specs are valid; for `plan`: a plan was made).
    Success,
    /// The specs have problems (for `plan`: any error).
    Invalid,
    /// firecamp could not do what was asked (bad arguments, unreadable path).
    Error,
    /// `plan --detailed-exitcode`: the plan has changes.
    Changes,
}

impl ExitStatus {
    /// The process exit code: 0, 1, 2, and 2 for `Changes` (as Terraform's detailed exit code).
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Invalid => 1,
            Self::Error | Self::Changes => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        Self::from(status.code())
    }
}

/// firecamp: reconcile stateful services on Kubernetes in AWS from YAML specs in git.
#[derive(Debug, Parser)]
#[command(name = "firecamp", version, about, max_term_width = 100)]
pub struct Cli {
    /// How logs are written to stderr (level from RUST_LOG).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// firecamp's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every spec under a folder (or one file) and report every problem.
    ///
    /// Exit status: 0 when valid, 1 when any spec has a problem, 2 when the path cannot be read.
    Validate {
        /// Folder of spec files (searched recursively for *.yaml and *.yml), or one file.
        path: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show what would change to make the live state match the specs.
    ///
    /// Exit status: 0 success (with --detailed-exitcode: no changes), 2 changes (only with
    /// --detailed-exitcode), 1 any error or spec problem.
    Plan(plan::PlanArgs),
    /// Plan, confirm, then carry the plan out step by step (Kubernetes, EC2, Route53).
    ///
    /// Exit status: 0 when every step was carried out (or nothing needed doing), 1 when a step
    /// failed, the specs have problems or the apply was cancelled.
    Apply(apply::ApplyArgs),
    /// Read the live state.
    #[command(subcommand)]
    Live(live::LiveCommand),
    /// The GitOps loop: poll the specs, plan, apply, record the status; every --interval seconds.
    ///
    /// Exit status (with --once): 0 when the tick succeeded, 1 when it failed.
    Run(Box<run::RunArgs>),
    /// Print what `firecamp run` last recorded (commits, services, runs).
    Status(status::StatusArgs),
    /// Print the JSON Schema of spec documents, or write one file per kind.
    Schema {
        /// Write firecamp.schema.json and one <kind>.schema.json per kind into this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print only this kind's schema (e.g. Cassandra).
        #[arg(long, conflicts_with = "out")]
        kind: Option<String>,
    },
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// How plans are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// For a terminal.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For programs (docs/plan-json.md).
    Json,
}

/// Parses the process arguments, runs the command and returns its exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::observe::logging::init(cli.log_format);
    // Not locked for the whole command: log events from other threads write to stderr too.
    run(cli, &mut std::io::stdout(), &mut std::io::stderr()).into()
}

/// Runs one command, writing results to `out` and failures to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    // `plan --detailed-exitcode` gives 2 a meaning (changes), so plan errors exit 1.
    let (result, failure) = match cli.command {
        Command::Validate { path, format } => {
            (validate::run(&path, format, out), ExitStatus::Error)
        }
        Command::Plan(args) => (plan::run(&args, out, err), ExitStatus::Invalid),
        Command::Apply(args) => (apply::run(&args, out, err), ExitStatus::Invalid),
        Command::Live(command) => (live::run(&command, out), ExitStatus::Error),
        Command::Run(args) => (run::run(&args, out), ExitStatus::Invalid),
        Command::Status(args) => (status::run(&args, out), ExitStatus::Error),
        Command::Schema { out: dir, kind } => (
            schema::run(dir.as_deref(), kind.as_deref(), out),
            ExitStatus::Error,
        ),
    };
    result.unwrap_or_else(|error| {
        let _ = writeln!(err, "error: {}", crate::error_chain::chain(&*error));
        failure
    })
}

/// Validates the specs under `path`, prints every problem to `err`, and renders the valid ones.
fn load_desired(
    path: &std::path::Path,
    err: &mut dyn Write,
) -> Result<(firecamp_schema::Validation, crate::plan::Desired), CommandError> {
    let validation = firecamp_schema::validate_path(path, &firecamp_schema::Limits::default())?;
    for diagnostic in &validation.diagnostics {
        writeln!(err, "{diagnostic}")?;
    }
    let desired = crate::plan::Desired::from_validation(&validation)?;
    Ok((validation, desired))
}

/// The error of a command that could not run.
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
