//! `firecamp live dump`: read the live state and print it as a snapshot, so plans can be made
//! where no cluster credentials exist (`plan --live-snapshot`).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use firecamp_schema::{Limits, validate_path};

use super::connect::{ConnectArgs, runtime};
use super::{CommandError, ExitStatus};
use crate::live::write_snapshot;
use crate::plan::Desired;
use crate::providers::read_live_state;

/// `firecamp live` commands.
#[derive(Debug, Subcommand)]
pub enum LiveCommand {
    /// Print the live state firecamp plans against as a JSON snapshot.
    Dump(DumpArgs),
}

/// Arguments of `firecamp live dump`.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Folder of spec files (its Cluster document says which cluster, zones and subnets).
    pub path: PathBuf,
    /// How to reach the cluster and AWS.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs a `firecamp live` command.
pub(super) fn run(command: &LiveCommand, out: &mut dyn Write) -> Result<ExitStatus, CommandError> {
    let LiveCommand::Dump(args) = command;
    let validation = validate_path(&args.path, &Limits::default())?;
    let desired = Desired::from_validation(&validation)?;
    let live = runtime()?.block_on(async {
        let connection = args.connect.connect(&desired.cluster).await?;
        let (client, aws) = (connection.client, connection.aws);
        Ok::<_, CommandError>(read_live_state(&client, aws.as_ref(), &desired.cluster).await?)
    })?;
    write!(out, "{}", write_snapshot(&live))?;
    Ok(ExitStatus::Success)
}
