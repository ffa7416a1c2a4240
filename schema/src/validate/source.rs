//! Finding and reading spec files, within [`Limits`].

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Pos};
use crate::limits::Limits;

/// A spec file's text, or the reason it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path shown in diagnostics.
    pub path: PathBuf,
    /// The content, or a diagnostic saying why it is missing.
    pub content: Result<String, Diagnostic>,
}

impl SourceFile {
    /// A file held in memory.
    #[must_use]
    pub fn in_memory(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            content: Ok(text.into()),
        }
    }
}

/// Why the spec path itself cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The path cannot be read.
    #[error("cannot read {path}")]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Too many spec files.
    #[error("{path} holds more than {limit} spec files")]
    TooManyFiles {
        /// The folder.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
}

/// Reads `path`: a single file, or every `*.yaml` / `*.yml` file below a folder, in sorted order,
/// skipping hidden entries (such as `.git`) and symbolic links to folders.
///
/// # Errors
/// When `path` cannot be read or holds more than `limits.max_files` spec files. Problems with one
/// file (too large, not UTF-8) come back as that file's diagnostic instead.
pub fn read_specs(path: &Path, limits: &Limits) -> Result<Vec<SourceFile>, SourceError> {
    let unreadable = |source| SourceError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let metadata = fs::metadata(path).map_err(unreadable)?;
    let mut files = Vec::new();
    if metadata.is_dir() {
        collect(path, limits, &mut files)?;
    } else {
        files.push(path.to_owned());
    }
    Ok(files
        .into_iter()
        .map(|file| read_one(file, limits))
        .collect())
}

fn collect(dir: &Path, limits: &Limits, files: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let unreadable = |source| SourceError::Unreadable {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(unreadable)?
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().map_err(unreadable)?;
        if file_type.is_dir() {
            collect(&path, limits, files)?;
        } else if is_spec_file(&path) && (file_type.is_file() || path.is_file()) {
            if files.len() >= limits.max_files {
                return Err(SourceError::TooManyFiles {
                    path: dir.to_owned(),
                    limit: limits.max_files,
                });
            }
            files.push(path);
        }
    }
    Ok(())
}

fn is_spec_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn read_one(path: PathBuf, limits: &Limits) -> SourceFile {
    let content = read_bounded(&path, limits.max_file_bytes).map_err(|problem| {
        let diagnostic =
            Diagnostic::new(&path, problem.message).hint(Some(problem.hint.to_owned()));
        match problem.pos {
            Some(pos) => diagnostic.at(pos),
            None => diagnostic,
        }
    });
    SourceFile { path, content }
}

struct ReadProblem {
    message: String,
    hint: &'static str,
    pos: Option<Pos>,
}

impl ReadProblem {
    fn new(message: String, hint: &'static str) -> Self {
        Self {
            message,
            hint,
            pos: None,
        }
    }
}

fn read_bounded(path: &Path, max: u64) -> Result<String, ReadProblem> {
    let unreadable = |e: std::io::Error| {
        ReadProblem::new(
            format!("cannot read file: {e}"),
            "check the file and its permissions",
        )
    };
    let file = fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max {
        let hint = "a spec file is never this large; split it or remove what is not a spec";
        return Err(ReadProblem::new(
            format!("file is larger than {max} bytes"),
            hint,
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = String::from_utf8_lossy(valid);
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ReadProblem {
            message: "file is not UTF-8 text".to_owned(),
            hint: "save the file as UTF-8",
            pos: Some(Pos::new(line, column)),
        }
    })
}
