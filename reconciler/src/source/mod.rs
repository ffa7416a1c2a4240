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

/// A git URL as logs and errors may show it: without user information (`https://user:token@host/x`
/// → `https://host/x`, also when the password holds a `/`), without a query or fragment (where
/// `?access_token=` goes), and scp-style `user:password@host:path` → `host:path`. Where it is
/// unclear whether text is user information, it is dropped.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let (url, cut) = match url.find(['?', '#']) {
        Some(at) => (&url[..at], true),
        None => (url, false),
    };
    let shown = match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let userinfo_end = rest[..authority_end].rfind('@').or_else(|| {
                // `user:pa/ss@host/path`: a `:` before a later `@` reads as a password.
                rest.rfind('@').filter(|&at| rest[..at].contains(':'))
            });
            match userinfo_end {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => format!("{scheme}://{rest}"),
            }
        }
        None => match url.rfind('@') {
            // scp-style `user@host:path`, or a local path with an `@`: the part before it goes.
            Some(at) if !url[..at].contains('/') => url[at + 1..].to_owned(),
            _ => url.to_owned(),
        },
    };
    if cut {
        format!("{shown}?(redacted)")
    } else {
        shown
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

    #[test]
    fn every_url_form_loses_its_secrets() {
        for (url, shown) in [
            (
                "https://user:CAN/ARY-G02@127.0.0.1:1/x",
                "https://127.0.0.1:1/x",
            ),
            ("user:CANARY-G03@host:org/specs.git", "host:org/specs.git"),
            ("git@github.com:org/specs.git", "github.com:org/specs.git"),
            (
                "https://host/org/specs.git?access_token=CANARY-G06",
                "https://host/org/specs.git?(redacted)",
            ),
            ("https://host/x#CANARY-frag", "https://host/x?(redacted)"),
            (
                "https://host/org/specs@v1.git",
                "https://host/org/specs@v1.git",
            ),
            ("https://a:b@c@host/x", "https://host/x"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("CANARY"), "{url}");
        }
    }
}
