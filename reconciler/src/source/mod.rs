//! Where specs come from: a local folder, or a git remote polled for a branch or tag (with an
//! optional sub-path). A poll that finds the remote unchanged costs one round trip and no
//! checkout. The commit a plan was made from is carried into plans and status.

mod auth;
mod git;

pub use auth::GitAuth;
pub use git::{GitError, GitSource, Poll};

/// The commit specs were read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// Full commit id.
    pub commit: String,
    /// First line of its message.
    pub subject: String,
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short = self.commit.get(..12).unwrap_or(&self.commit);
        write!(f, "{short} \"{}\"", self.subject)
    }
}

/// A URL without its user information (`https://user:token@host/x` → `https://host/x`): what
/// logs and errors may show.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn user_information_never_survives_redaction() {
        assert_eq!(
            redact_url("https://x-access-token:ghp_secret@github.com/org/specs.git"),
            "https://github.com/org/specs.git"
        );
        assert_eq!(
            redact_url("ssh://git@host:22/specs.git"),
            "ssh://host:22/specs.git"
        );
        assert_eq!(
            redact_url("git://127.0.0.1:9418/specs"),
            "git://127.0.0.1:9418/specs"
        );
        assert_eq!(redact_url("/srv/specs.git"), "/srv/specs.git");
    }
}
