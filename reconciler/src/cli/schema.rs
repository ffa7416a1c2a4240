//! `firecamp schema`: print or write the JSON Schema of spec documents.

use std::io::Write;
use std::path::Path;

use firecamp_schema::json_schema;
use firecamp_schema::suggest::closest;

use super::{CommandError, ExitStatus};

/// Prints the combined schema, one kind's schema, or writes every schema file into `dir`.
pub(super) fn run(
    dir: Option<&Path>,
    kind: Option<&str>,
    out: &mut dyn Write,
) -> Result<ExitStatus, CommandError> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for (name, content) in json_schema::rendered_files() {
            let path = dir.join(&name);
            std::fs::write(&path, content)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            writeln!(out, "wrote {}", path.display())?;
        }
        return Ok(ExitStatus::Success);
    }
    let schema = match kind {
        None => json_schema::combined().clone(),
        Some(kind) => {
            let kinds = json_schema::document_kinds();
            if !kinds.contains(&kind) {
                let hint = closest(kind, kinds.iter().copied()).map_or_else(
                    || format!("kinds: {}", kinds.join(", ")),
                    |k| format!("did you mean {k}?"),
                );
                return Err(format!("unknown kind \"{kind}\" ({hint})").into());
            }
            json_schema::for_kind(kind)
        }
    };
    writeln!(out, "{schema:#}")?;
    Ok(ExitStatus::Success)
}
