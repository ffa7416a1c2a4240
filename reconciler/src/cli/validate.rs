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
    let path = path.display();
    if validation.is_valid() {
        let services = plural(validation.services.len(), "service");
        let files = plural(validation.files, "file");
        return writeln!(out, "{path}: valid: 1 Cluster and {services} in {files}");
    }
    let mut left_out = Vec::new();
    if !validation.rejected.is_empty() {
        left_out.push(plural(validation.rejected.len(), "document"));
    }
    if !validation.broken_files.is_empty() {
        let files = plural(validation.broken_files.len(), "file");
        left_out.push(format!("{files} that could not be read"));
    }
    let problems = plural(validation.diagnostics.len(), "problem");
    if left_out.is_empty() {
        writeln!(out, "{path}: {problems}")
    } else {
        writeln!(out, "{path}: {problems}; left out: {}", left_out.join(", "))
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
