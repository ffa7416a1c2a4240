//! What can go wrong starting or using the world.

use std::path::{Path, PathBuf};

/// Why the world could not start or do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// A file or program could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file or program.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The build script failed.
    #[error("scripts/k8s-build.sh failed ({status}):\n{stderr}")]
    Build {
        /// Its exit status.
        status: String,
        /// The end of what it printed.
        stderr: String,
    },
    /// openssl failed.
    #[error("openssl {args}: {stderr}")]
    Openssl {
        /// Its arguments.
        args: String,
        /// What it printed.
        stderr: String,
    },
    /// A component exited.
    #[error("{component} exited ({status}); the end of its log:\n{log_tail}")]
    Exited {
        /// The component.
        component: &'static str,
        /// Its exit status.
        status: String,
        /// The end of its log.
        log_tail: String,
    },
    /// A signal could not be sent.
    #[error("could not send SIG{signal} to {component}")]
    Signal {
        /// The component.
        component: &'static str,
        /// The signal.
        signal: String,
    },
    /// Something did not happen in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A Kubernetes request failed.
    #[error("kubernetes: {0}")]
    Kubernetes(String),
}

impl WorldError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn kube(what: &'static str) -> impl Fn(kube::Error) -> Self {
        move |e| Self::Kubernetes(format!("{what}: {e}"))
    }
}
