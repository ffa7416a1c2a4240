//! The `firecamp` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    firecamp::cli::main()
}
