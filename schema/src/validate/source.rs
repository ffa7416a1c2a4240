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
/// Every entry named like a spec file is read or reported: one that is not a regular file (a
/// dangling symbolic link, a link loop, a FIFO, a device, a socket), cannot be opened, is too
/// large or is not UTF-8 comes back with that file's diagnostic, so validation counts it broken
/// and a plan deletes nothing. Nothing that is not a regular file is ever opened, so a FIFO never
/// blocks the read. Below a folder, a symbolic link that leads out of it is refused the same way
/// (as Argo CD refuses out-of-bounds symlinks since GHSA-6gcg-hp2x-q54h): whoever can push to the
/// spec repository must not make firecamp read other files the process can see.
///
/// # Errors
/// When `path` cannot be read or holds more than `limits.max_files` spec files.
pub fn read_specs(path: &Path, limits: &Limits) -> Result<Vec<SourceFile>, SourceError> {
    let unreadable = |source| SourceError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let metadata = fs::metadata(path).map_err(unreadable)?;
    let mut files = Vec::new();
    let bound = if metadata.is_dir() {
        collect(path, limits, &mut files)?;
        Some(fs::canonicalize(path).map_err(unreadable)?)
    } else {
        files.push(path.to_owned());
        None
    };
    Ok(files
        .into_iter()
        .map(|file| read_one(file, bound.as_deref(), limits))
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
        } else if is_spec_file(&path) && !(file_type.is_symlink() && path.is_dir()) {
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

fn read_one(path: PathBuf, bound: Option<&Path>, limits: &Limits) -> SourceFile {
    let content = read_bounded(&path, bound, limits.max_file_bytes).map_err(|problem| {
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

fn read_bounded(path: &Path, bound: Option<&Path>, max: u64) -> Result<String, ReadProblem> {
    let unreadable = |e: std::io::Error| {
        ReadProblem::new(
            format!("cannot read file: {e}"),
            "check the file and its permissions",
        )
    };
    let metadata = fs::metadata(path).map_err(|e| not_a_file(path, &e))?;
    if !metadata.is_file() {
        return Err(ReadProblem::new(
            format!("not a regular file ({})", kind_of(&metadata.file_type())),
            "a spec must be a regular file; replace it with the file it stands for, or remove it",
        ));
    }
    if let Some(bound) = bound
        && !fs::canonicalize(path).is_ok_and(|real| real.starts_with(bound))
    {
        return Err(ReadProblem::new(
            "a symbolic link to a file outside the spec folder".to_owned(),
            "copy the file into the spec folder, or link to one inside it",
        ));
    }
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

/// Why `path` has no metadata: a symbolic link that leads nowhere, a loop of links, or another
/// I/O failure.
fn not_a_file(path: &Path, error: &std::io::Error) -> ReadProblem {
    let link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match (link, error.kind()) {
        (true, std::io::ErrorKind::NotFound) => ReadProblem::new(
            "a symbolic link to a file that does not exist".to_owned(),
            "restore the file it points to, or remove the link",
        ),
        (true, _) if error.raw_os_error() == Some(LINK_LOOP) => ReadProblem::new(
            "a loop of symbolic links".to_owned(),
            "point the link at a file, or remove it",
        ),
        _ => ReadProblem::new(
            format!("cannot read file: {error}"),
            "check the file and its permissions",
        ),
    }
}

/// `ELOOP` on Linux: too many levels of symbolic links.
const LINK_LOOP: i32 = 40;

/// What a file that is not a regular file is.
fn kind_of(file_type: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else if file_type.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// The diagnostic of each file read from `dir`, by file name.
    fn problems(dir: &Path) -> Vec<(String, String)> {
        read_specs(dir, &Limits::default())
            .expect("the folder reads")
            .into_iter()
            .map(|f| {
                let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned());
                let problem = f.content.err().map_or_else(String::new, |d| d.message);
                (name.unwrap_or_default(), problem)
            })
            .collect()
    }

    #[test]
    fn entries_that_are_not_regular_files_are_reported_never_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::write(root.join("a-good.yaml"), "kind: Cluster\n").expect("write");
        symlink(root.join("gone.yaml"), root.join("b-dangling.yaml")).expect("link");
        symlink(root.join("c-loop.yaml"), root.join("c-loop.yaml")).expect("loop");
        symlink("/dev/null", root.join("d-device.yml")).expect("device link");
        let fifo = root.join("e-fifo.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        fs::create_dir(root.join("folder")).expect("folder");
        symlink(root.join("folder"), root.join("f-folder.yaml")).expect("folder link");
        symlink(root.join("a-good.yaml"), root.join("g-link.yaml")).expect("good link");
        assert_eq!(
            problems(root),
            [
                ("a-good.yaml".to_owned(), String::new()),
                (
                    "b-dangling.yaml".to_owned(),
                    "a symbolic link to a file that does not exist".to_owned()
                ),
                (
                    "c-loop.yaml".to_owned(),
                    "a loop of symbolic links".to_owned()
                ),
                (
                    "d-device.yml".to_owned(),
                    "not a regular file (a device)".to_owned()
                ),
                (
                    "e-fifo.yaml".to_owned(),
                    "not a regular file (a FIFO)".to_owned()
                ),
                ("g-link.yaml".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn a_fifo_given_as_the_spec_path_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("specs.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let files = read_specs(&fifo, &Limits::default()).expect("read");
        let problem = files[0].content.as_ref().expect_err("not read");
        assert_eq!(problem.message, "not a regular file (a FIFO)");
    }

    #[test]
    fn a_link_out_of_the_spec_folder_is_refused_and_one_inside_it_read() {
        let outside = tempfile::tempdir().expect("temp dir");
        fs::write(outside.path().join("secret.yaml"), "token: canary\n").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir(root.join("shared")).expect("folder");
        fs::write(root.join("shared/zk.yaml"), "kind: ZooKeeper\n").expect("write");
        symlink(outside.path().join("secret.yaml"), root.join("a-out.yaml")).expect("link");
        symlink("shared/zk.yaml", root.join("b-in.yaml")).expect("link");
        let read = read_specs(root, &Limits::default()).expect("the folder reads");
        let by_name = |name: &str| {
            read.iter()
                .find(|f| f.path.file_name().is_some_and(|n| n == name))
                .expect("listed")
        };
        let refused = by_name("a-out.yaml").content.as_ref().expect_err("refused");
        assert_eq!(
            refused.message,
            "a symbolic link to a file outside the spec folder"
        );
        assert!(!refused.to_string().contains("canary"));
        assert_eq!(
            by_name("b-in.yaml").content.as_deref(),
            Ok("kind: ZooKeeper\n")
        );
        let single = read_specs(&root.join("a-out.yaml"), &Limits::default()).expect("read");
        assert!(single[0].content.is_ok(), "a file named directly is read");
    }
}
