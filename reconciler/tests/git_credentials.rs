//! Where the git token may go, against real HTTP peers on loopback speaking to libgit2: a remote
//! that redirects to another host never gets the token sent there (the other host asks for it
//! and is refused), the same host asked directly does get it (so the check can fail), and a
//! token is refused over plain `http://` unless allowed.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firecamp::source::{GitAuth, GitSource};

const TOKEN: &str = "CANARY-G16-token";

/// An HTTP/1.1 peer on `address`: every request's head is kept; each is answered by `answer`.
struct Peer {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Peer {
    fn start(address: &str, answer: impl Fn(&str) -> String + Send + 'static) -> Self {
        let listener = TcpListener::bind((address, 0)).expect("bind");
        let port = listener.local_addr().expect("address").port();
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = Arc::clone(&heads);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let head = read_head(&stream);
                kept.lock().expect("heads").push(head.clone());
                let _ = (&stream).write_all(answer(&head).as_bytes());
            }
        });
        Self { port, heads }
    }

    /// True when any request carried an `Authorization` header.
    fn saw_credentials(&self) -> bool {
        self.heads
            .lock()
            .expect("heads")
            .iter()
            .any(|h| h.to_ascii_lowercase().contains("\nauthorization:"))
    }

    fn requests(&self) -> usize {
        self.heads.lock().expect("heads").len()
    }
}

fn read_head(stream: &TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

/// Asks for Basic credentials, every time.
fn ask_for_credentials(_: &str) -> String {
    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\n\
     Connection: close\r\n\r\n"
        .to_owned()
}

fn token() -> GitAuth {
    GitAuth::Token {
        username: "x-access-token".to_owned(),
        token: TOKEN.to_owned(),
    }
}

fn poll(url: &str, allow_plain_http: bool) -> String {
    let cache = tempfile::tempdir().expect("cache");
    GitSource::new(url, "main", Path::new(""), &cache.path().join("c"), token())
        .allow_plain_http(allow_plain_http)
        .poll()
        .expect_err("no repository is served")
        .to_string()
}

#[test]
fn a_redirect_to_another_host_never_gets_the_token() {
    let elsewhere = Peer::start("127.0.0.2", ask_for_credentials);
    let target = format!("http://127.0.0.2:{}/evil/specs.git", elsewhere.port);
    let location = target.clone();
    let remote = Peer::start("127.0.0.1", move |head| {
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        let rest = path.strip_prefix("/org/specs.git").unwrap_or(path);
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}{rest}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
    });
    let error = poll(
        &format!("http://127.0.0.1:{}/org/specs.git", remote.port),
        true,
    );
    assert!(remote.requests() >= 1, "the remote was asked");
    assert!(
        elsewhere.requests() >= 1,
        "the redirect was followed: {error}"
    );
    assert!(
        !elsewhere.saw_credentials(),
        "the other host got credentials: {:?}",
        elsewhere.heads.lock().expect("heads")
    );
    assert!(!error.contains(TOKEN), "{error}");
    assert!(error.contains("none sent"), "{error}");

    // The same host configured as the remote does get the token: the check above can fail.
    let direct = poll(&target, true);
    assert!(elsewhere.saw_credentials(), "asked directly: {direct}");
    assert!(!direct.contains(TOKEN), "{direct}");
}

#[test]
fn a_token_is_refused_over_plain_http_unless_allowed() {
    let remote = Peer::start("127.0.0.1", ask_for_credentials);
    let error = poll(
        &format!("http://127.0.0.1:{}/org/specs.git", remote.port),
        false,
    );
    assert!(
        error.contains("refusing to send the git token over plain http://"),
        "{error}"
    );
    assert_eq!(remote.requests(), 0, "nothing was sent");
}

#[test]
fn credentials_in_the_url_that_are_refused_are_called_refused() {
    let remote = Peer::start("127.0.0.1", ask_for_credentials);
    let cache = tempfile::tempdir().expect("cache");
    let url = format!(
        "http://user:CANARY-G11@127.0.0.1:{}/org/specs.git",
        remote.port
    );
    let error = GitSource::new(
        &url,
        "main",
        Path::new(""),
        &cache.path().join("c"),
        GitAuth::None,
    )
    .poll()
    .expect_err("refused")
    .to_string();
    assert!(
        error.contains("refused the credentials in the URL"),
        "{error}"
    );
    assert!(!error.contains("CANARY"), "{error}");
}
