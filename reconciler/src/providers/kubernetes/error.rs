//! Errors of the Kubernetes provider: each names the verb and the object, carries the API's
//! answer, and says what to do.

use std::fmt;

/// What went wrong talking to the Kubernetes API.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// No usable kubeconfig or in-cluster configuration.
    #[error("cannot configure the Kubernetes client: {0}")]
    Config(String),
    /// The API refused or failed a request.
    #[error("{verb} {object}: {message} (HTTP {code}{reason}); {hint}")]
    Api {
        /// The verb, e.g. `apply` or `list`.
        verb: &'static str,
        /// The object or collection, e.g. `StatefulSet firecamp/kafka-broker-a`.
        object: String,
        /// HTTP status code.
        code: u16,
        /// The API's reason, with a leading `, ` when present.
        reason: Reason,
        /// The API's message.
        message: String,
        /// What to do about it.
        hint: String,
    },
    /// The API could not be reached or answered something unreadable.
    #[error("{verb} {object}: {message}")]
    Transport {
        /// The verb.
        verb: &'static str,
        /// The object or collection.
        object: String,
        /// The client's error with its causes, [credential-safe](super::credential_safe).
        message: String,
    },
    /// A wait ran out of time.
    #[error("{object}: {what} after {seconds} s; check `kubectl describe` of it and its pods")]
    Timeout {
        /// The object waited for.
        object: String,
        /// What did not happen.
        what: String,
        /// How long firecamp waited.
        seconds: u64,
    },
    /// A member or job failed in a way waiting cannot fix.
    #[error("{object}: {reason}")]
    Unhealthy {
        /// The pod or job.
        object: String,
        /// Why, as Kubernetes reports it.
        reason: String,
    },
    /// The step cannot be carried out as written (a plan edited by hand, an unknown kind).
    #[error("{object}: {problem}")]
    Step {
        /// The step's resource.
        object: String,
        /// What is wrong.
        #[source]
        problem: StepProblem,
    },
}

/// Why a step cannot be carried out.
#[derive(Debug, thiserror::Error)]
pub enum StepProblem {
    /// The step has no manifest.
    #[error("the step carries no manifest")]
    NoManifest,
    /// firecamp does not manage this kind.
    #[error("kind {0} is not one firecamp manages")]
    UnknownKind(String),
}

/// The API's reason for an error, shown after the code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reason(pub String);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, ", {}", self.0)
        }
    }
}

impl KubeError {
    /// The error of a configuration kube cannot use, [credential-safe](super::credential_safe).
    pub(crate) fn config(error: &(dyn std::error::Error + 'static)) -> Self {
        Self::Config(super::credential_safe(&crate::error_chain::chain(error)))
    }

    /// The error of a failed request: API errors keep their code and get a hint.
    pub(crate) fn request(
        verb: &'static str,
        object: impl Into<String>,
        plural: &str,
        error: kube::Error,
    ) -> Self {
        let object = object.into();
        match error {
            kube::Error::Api(status) => {
                let hint = hint(verb, plural, status.code, &status.message);
                Self::Api {
                    verb,
                    object,
                    code: status.code,
                    reason: Reason(status.reason.clone()),
                    message: status.message.clone(),
                    hint,
                }
            }
            source => Self::Transport {
                verb,
                object,
                message: super::credential_safe(&crate::error_chain::chain(&source)),
            },
        }
    }

    /// The HTTP status code of an API error.
    #[must_use]
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when trying again may work: throttling, server errors, an unreachable API, and
    /// optimistic-concurrency conflicts (not field-ownership conflicts, which need `--force`).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { code, message, .. } => {
                *code == 429 || *code >= 500 || (*code == 409 && !is_ownership_conflict(message))
            }
            Self::Transport { .. } => true,
            _ => false,
        }
    }
}

/// True for a server-side apply conflict with another field manager.
fn is_ownership_conflict(message: &str) -> bool {
    message.starts_with("Apply failed with") || message.contains("conflict with \"")
}

fn hint(verb: &str, plural: &str, code: u16, message: &str) -> String {
    match code {
        401 => "the credentials were refused; check the kubeconfig context or the service account token".to_owned(),
        403 => format!("firecamp's identity lacks `{verb}` on `{plural}`: grant it in its ClusterRole (deploy/)"),
        404 => "it does not exist (deleted meanwhile?); plan again".to_owned(),
        409 if is_ownership_conflict(message) => "another field manager owns these fields; change them there, or apply with --force to take them over".to_owned(),
        409 => "the object changed meanwhile; plan again".to_owned(),
        422 => "the API server rejected the object; check the spec fields it names".to_owned(),
        429 => "the API server is throttling; firecamp retried and gave up, try again later".to_owned(),
        _ if code >= 500 => "the API server failed; firecamp retried and gave up, try again later".to_owned(),
        _ => "see the message".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use kube::core::Status;

    use super::KubeError;

    fn api_error(code: u16, reason: &str, message: &str) -> kube::Error {
        kube::Error::Api(Status::failure(message, reason).with_code(code).boxed())
    }

    #[test]
    fn a_denial_names_the_missing_verb_and_resource() {
        let error = KubeError::request(
            "apply",
            "StatefulSet firecamp/zk-server-a",
            "statefulsets",
            api_error(
                403,
                "Forbidden",
                "statefulsets.apps \"zk-server-a\" is forbidden",
            ),
        );
        let text = error.to_string();
        assert!(text.contains("lacks `apply` on `statefulsets`"), "{text}");
        assert!(text.contains("StatefulSet firecamp/zk-server-a"), "{text}");
        assert!(!error.is_transient());
    }

    #[test]
    fn throttling_server_errors_and_stale_writes_are_retried_but_ownership_conflicts_are_not() {
        let transient = |code, message: &str| {
            KubeError::request("apply", "x", "configmaps", api_error(code, "", message))
                .is_transient()
        };
        assert!(transient(429, "too many requests"));
        assert!(transient(503, "etcd unavailable"));
        assert!(transient(
            409,
            "the object has been modified; please apply your changes to the latest version"
        ));
        assert!(!transient(
            409,
            "Apply failed with 1 conflict: conflict with \"kubectl\" using v1: .data.x"
        ));
        assert!(!transient(422, "spec.replicas: Invalid value"));
        let conflict = KubeError::request(
            "apply",
            "ConfigMap firecamp/zk",
            "configmaps",
            api_error(
                409,
                "Conflict",
                "Apply failed with 1 conflict: conflict with \"kubectl\"",
            ),
        );
        assert!(conflict.to_string().contains("--force"), "{conflict}");
    }
}
