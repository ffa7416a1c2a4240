//! `firecamp validate`: report every problem of a spec set.

use std::io::Write;
use std::path::Path;

use firecamp_schema::{Limits, Validation, validate_path};
use serde_json::json;

use super::{CommandError, ExitStatus, Format};

/// Validates `path` and prints the diagnostics and a summary.
pub(super) fn run(
    path: &Path,
    format: Format,
    out: &mut dyn Write,
) -> Result<ExitStatus, CommandError> {
    let validation = validate_path(path, &Limits::default())?;
    match format {
        Format::Text => print_text(path, &validation, out)?,
        Format::Json => print_json(&validation, out)?,
    }
    Ok(if validation.is_valid() {
        ExitStatus::Success
    } else {
        ExitStatus::Invalid
    })
}

fn print_text(path: &Path, validation: &Validation, out: &mut dyn Write) -> std::io::Result<()> {
    for diagnostic in &validation.diagnostics {
        writeln!(out, "{diagnostic}")?;
    }
    let documents = plural(validation.documents, "document");
    let files = plural(validation.files, "file");
    if validation.is_valid() {
        let services = plural(validation.services.len(), "service");
        writeln!(
            out,
            "{}: {documents} in {files} valid (1 Cluster, {services})",
            path.display()
        )
    } else {
        let problems = plural(validation.diagnostics.len(), "problem");
        let rejected = validation.rejected.len() + validation.broken_files.len();
        writeln!(
            out,
            "{}: {problems} in {documents} in {files}; {} left out",
            path.display(),
            plural(rejected, "document or file")
        )
    }
}

fn print_json(validation: &Validation, out: &mut dyn Write) -> std::io::Result<()> {
    let report = json!({
        "formatVersion": 1,
        "valid": validation.is_valid(),
        "files": validation.files,
        "documents": validation.documents,
        "services": validation.services.iter().map(|s| json!({"name": s.name(), "kind": s.body.kind()})).collect::<Vec<_>>(),
        "rejected": validation.rejected,
        "brokenFiles": validation.broken_files,
        "diagnostics": validation.diagnostics,
    });
    writeln!(out, "{report:#}")
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
