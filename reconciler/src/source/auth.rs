//! Credentials for git remotes: a token (read from a file or an environment variable) for
//! https, or a key file for ssh. Tokens are never printed, not even by `Debug`.

use std::path::PathBuf;

use git2::{Cred, CredentialType};

/// How to authenticate to the remote.
#[derive(Clone, Default)]
pub enum GitAuth {
    /// No credentials (public remotes, paths, `git://`).
    #[default]
    None,
    /// An https token, sent as the password of `username` (default `x-access-token`).
    Token {
        /// The user name sent with it.
        username: String,
        /// The token.
        token: String,
    },
    /// An ssh private key.
    SshKey {
        /// The key file.
        path: PathBuf,
    },
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Token { username, .. } => {
                write!(f, "Token {{ username: {username:?}, token: (sensitive) }}")
            }
            Self::SshKey { path } => write!(f, "SshKey {{ path: {path:?} }}"),
        }
    }
}

impl GitAuth {
    /// A token from `file` (trailing whitespace trimmed) or from the environment variable `env`.
    ///
    /// # Errors
    /// The file cannot be read or the variable is not set.
    pub fn token_from(file: Option<&std::path::Path>, env: Option<&str>) -> Result<Self, String> {
        let token = match (file, env) {
            (Some(file), _) => std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read the git token file {}: {e}", file.display()))?,
            (None, Some(name)) => std::env::var(name)
                .map_err(|_| format!("the environment variable {name} (git token) is not set"))?,
            (None, None) => return Ok(Self::None),
        };
        Ok(Self::Token {
            username: "x-access-token".to_owned(),
            token: token.trim_end().to_owned(),
        })
    }

    /// The token, to scrub it from messages.
    pub(super) fn secret(&self) -> Option<&str> {
        match self {
            Self::Token { token, .. } if !token.is_empty() => Some(token),
            _ => None,
        }
    }

    /// Answers libgit2's credential request; `None` when there is nothing (more) to offer.
    pub(super) fn credential(
        &self,
        username_from_url: Option<&str>,
        allowed: CredentialType,
    ) -> Option<Result<Cred, git2::Error>> {
        match self {
            Self::Token { username, token }
                if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) =>
            {
                Some(Cred::userpass_plaintext(username, token))
            }
            Self::SshKey { path } if allowed.contains(CredentialType::SSH_KEY) => Some(
                Cred::ssh_key(username_from_url.unwrap_or("git"), None, path, None),
            ),
            _ => None,
        }
    }
}
