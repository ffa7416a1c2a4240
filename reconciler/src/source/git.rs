//! A git remote polled for one branch or tag: the remote's refs are listed first (one round trip),
//! and only a new commit is fetched and checked out into the cache folder. URLs are shown without
//! user information and tokens are scrubbed from every message.

use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{AutotagOption, Direction, FetchOptions, ObjectType, RemoteCallbacks, Repository};

use super::{GitAuth, Revision, redact_url};

/// The local ref a fetched commit is kept under.
const FETCHED: &str = "refs/firecamp/source";

/// What a poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// The ref still points at the commit checked out.
    Unchanged(Revision),
    /// A new commit was fetched and checked out.
    Changed(Revision),
}

impl Poll {
    /// The commit the specs are at now.
    #[must_use]
    pub fn revision(&self) -> &Revision {
        match self {
            Self::Unchanged(r) | Self::Changed(r) => r,
        }
    }
}

/// A failed git operation, safe to print: no user information, no token.
#[derive(Debug, thiserror::Error)]
#[error("git {action} {url}: {message}")]
pub struct GitError {
    /// What was being done.
    pub action: &'static str,
    /// The remote, redacted.
    pub url: String,
    /// libgit2's message, scrubbed.
    pub message: String,
}

/// A git remote, one branch or tag of it, and the folder it is checked out in.
#[derive(Debug)]
pub struct GitSource {
    url: String,
    reference: String,
    sub_path: PathBuf,
    checkout: PathBuf,
    auth: GitAuth,
    allow_plain_http: bool,
    current: Option<Revision>,
}

impl GitSource {
    /// A source for `reference` (a branch, a tag, or a full `refs/...` name) of `url`, with specs
    /// under `sub_path`, checked out in `checkout`.
    #[must_use]
    pub fn new(
        url: &str,
        reference: &str,
        sub_path: &Path,
        checkout: &Path,
        auth: GitAuth,
    ) -> Self {
        Self {
            url: url.to_owned(),
            reference: reference.to_owned(),
            sub_path: sub_path.to_owned(),
            checkout: checkout.to_owned(),
            auth,
            allow_plain_http: false,
            current: None,
        }
    }

    /// Lets the token go to an `http://` remote, where anyone on the path can read it (refused
    /// by default).
    #[must_use]
    pub const fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// The folder the specs are in.
    #[must_use]
    pub fn specs_dir(&self) -> PathBuf {
        self.checkout.join(&self.sub_path)
    }

    /// Looks at the remote; fetches and checks out only when the ref moved.
    ///
    /// # Errors
    /// The remote cannot be reached or read, or the ref does not exist.
    pub fn poll(&mut self) -> Result<Poll, GitError> {
        if self.auth.secret().is_some()
            && !self.allow_plain_http
            && url::Url::parse(&self.url).is_ok_and(|u| u.scheme() == "http")
        {
            return Err(GitError {
                action: "connect to",
                url: redact_url(&self.url),
                message: "refusing to send the git token over plain http://, where anyone on \
                          the way can read it; use https:// (or --allow-plain-http to accept \
                          the risk)"
                    .to_owned(),
            });
        }
        let repository = self.open()?;
        let mut remote = repository
            .remote_anonymous(&self.url)
            .map_err(|e| self.error("remote", &e))?;
        let (name, commit) = {
            let connection = remote
                .connect_auth(Direction::Fetch, Some(self.callbacks()), None)
                .map_err(|e| self.error("connect to", &e))?;
            let heads = connection
                .list()
                .map_err(|e| self.error("list refs of", &e))?;
            let listed: Vec<(String, String)> = heads
                .iter()
                .map(|h| (h.name().to_owned(), h.oid().to_string()))
                .collect();
            resolve(&listed, &self.reference).ok_or_else(|| GitError {
                action: "find ref in",
                url: redact_url(&self.url),
                message: format!("no branch or tag named {}", self.reference),
            })?
        };
        if let Some(current) = &self.current
            && current.commit == commit
        {
            return Ok(Poll::Unchanged(current.clone()));
        }
        let revision = {
            let mut options = FetchOptions::new();
            options.remote_callbacks(self.callbacks());
            options.download_tags(AutotagOption::None);
            remote
                .fetch(&[format!("+{name}:{FETCHED}")], Some(&mut options), None)
                .map_err(|e| self.error("fetch", &e))?;
            let fetched = repository
                .find_reference(FETCHED)
                .and_then(|r| r.peel(ObjectType::Commit))
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| self.error("read the fetched commit of", &e))?;
            repository
                .checkout_tree(
                    fetched.as_object(),
                    Some(CheckoutBuilder::new().force().remove_untracked(true)),
                )
                .and_then(|()| repository.set_head_detached(fetched.id()))
                .map_err(|e| self.error("check out", &e))?;
            revision_of(&fetched)
        };
        self.current = Some(revision.clone());
        Ok(Poll::Changed(revision))
    }

    /// The cache repository, created on first use; a checkout left by an earlier run is reused.
    fn open(&mut self) -> Result<Repository, GitError> {
        let repository = match Repository::open(&self.checkout) {
            Ok(repository) => repository,
            Err(_) => Repository::init(&self.checkout)
                .map_err(|e| self.error("prepare a checkout for", &e))?,
        };
        if self.current.is_none()
            && let Ok(head) = repository.head().and_then(|h| h.peel_to_commit())
        {
            self.current = Some(revision_of(&head));
        }
        Ok(repository)
    }

    fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        let mut attempts = 0;
        callbacks.credentials(move |url, username, allowed| {
            attempts += 1;
            if attempts > 3 {
                return Err(git2::Error::from_str("the remote refused the credentials"));
            }
            if self.auth.secret().is_some() && !same_origin(&self.url, url) {
                return Err(git2::Error::from_str(&format!(
                    "{} asks for credentials, and the token goes only to the configured remote's \
                     scheme, host and port (a redirect led elsewhere): none sent",
                    redact_url(url)
                )));
            }
            self.auth.credential(username, allowed).unwrap_or_else(|| {
                // libgit2 tries a URL's own user information before asking.
                let in_url = url::Url::parse(&self.url).is_ok_and(|u| !u.username().is_empty());
                Err(git2::Error::from_str(if in_url {
                    "the remote refused the credentials in the URL"
                } else {
                    "the remote asks for credentials and none are configured"
                }))
            })
        });
        callbacks
    }

    fn error(&self, action: &'static str, error: &git2::Error) -> GitError {
        let mut message = error.message().replace(&self.url, &redact_url(&self.url));
        if let Some(secret) = self.auth.secret() {
            message = message.replace(secret, "(sensitive)");
        }
        GitError {
            action,
            url: redact_url(&self.url),
            message,
        }
    }
}

/// True when `asked` has the scheme, host and port (or the scheme's default port) of
/// `configured`; false when either is not a URL.
fn same_origin(configured: &str, asked: &str) -> bool {
    let origin = |url: &str| {
        url::Url::parse(url).ok().map(|u| {
            (
                u.scheme().to_owned(),
                u.host_str().map(str::to_ascii_lowercase),
                u.port_or_known_default(),
            )
        })
    };
    origin(configured).is_some_and(|c| origin(asked) == Some(c))
}

fn revision_of(commit: &git2::Commit<'_>) -> Revision {
    Revision {
        commit: commit.id().to_string(),
        subject: commit
            .summary_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default(),
    }
}

/// The full ref name to fetch and the commit it points at: a full name as given, else the branch,
/// else the tag (annotated tags by their peeled commit).
fn resolve(heads: &[(String, String)], reference: &str) -> Option<(String, String)> {
    let find = |name: &str| {
        heads
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, oid)| oid.clone())
    };
    if reference.starts_with("refs/") {
        return find(reference).map(|oid| (reference.to_owned(), oid));
    }
    let branch = format!("refs/heads/{reference}");
    if let Some(oid) = find(&branch) {
        return Some((branch, oid));
    }
    let tag = format!("refs/tags/{reference}");
    find(&format!("{tag}^{{}}"))
        .or_else(|| find(&tag))
        .map(|oid| (tag, oid))
}
