//! The rendered config files are accepted by the real software: Redis, PostgreSQL and ZooKeeper
//! from Debian's packages (installed by scripts/test.sh) are started on 127.0.0.1 with the
//! rendered files, only paths and ports rewritten, and must come up, answer, and show settings
//! that only firecamp's files set. ZooKeeper's rendered readiness probe runs against it too.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::SpecSet;
use firecamp_catalog::{KubeObject, render_service};

/// A server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The rendered ConfigMap files of one example-style service.
fn rendered_files(set: &SpecSet, service: &str) -> std::collections::BTreeMap<String, String> {
    let desired = render_service(set.inputs(), &set.services[service]).expect("renders");
    desired
        .objects
        .into_iter()
        .find_map(|o| {
            if let KubeObject::ConfigMap(c) = o {
                c.data
            } else {
                None
            }
        })
        .expect("a ConfigMap")
}

/// The readiness probe command of the first StatefulSet of `service`.
fn readiness_command(set: &SpecSet, service: &str) -> Vec<String> {
    let desired = render_service(set.inputs(), &set.services[service]).expect("renders");
    desired
        .objects
        .into_iter()
        .find_map(|o| match o {
            KubeObject::StatefulSet(s) => {
                s.spec.template.spec?.containers[0]
                    .readiness_probe
                    .clone()?
                    .exec?
                    .command
            }
            _ => None,
        })
        .expect("an exec readiness probe")
}

/// Replaces the value of `key` in `key<sep>value` lines.
fn set_value(text: &str, key: &str, separator: &str, value: &str) -> String {
    let prefix = format!("{key}{separator}");
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with(&prefix) {
                found = true;
                format!("{prefix}{value}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(found, "no {key} line in the rendered file");
    lines.join("\n") + "\n"
}

/// Sends `request` and reads until the peer closes or `until` appears.
fn exchange(port: u16, request: &[u8], until: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(request).expect("writes");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
        if String::from_utf8_lossy(&answer).contains(until) {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} did not come up within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn redis_command(port: u16, words: &[&str]) -> String {
    let mut request = format!("*{}\r\n", words.len());
    for word in words {
        request.push_str(&format!("${}\r\n{word}\r\n", word.len()));
    }
    exchange(port, request.as_bytes(), "\r\n")
}

#[test]
fn redis_starts_with_the_rendered_redis_conf() {
    let set = SpecSet::examples();
    let files = rendered_files(&set, "sessions-redis");
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut conf = set_value(&files["redis.conf"], "port", " ", &port.to_string());
    conf = set_value(&conf, "bind", " ", "127.0.0.1");
    conf = set_value(&conf, "dir", " ", &dir.path().display().to_string());
    conf = set_value(
        &conf,
        "cluster-config-file",
        " ",
        &dir.path().join("nodes.conf").display().to_string(),
    );
    // Two free ports, never the same one twice.
    let bus_port = std::iter::repeat_with(free_port)
        .find(|p| *p != port)
        .expect("another free port");
    conf = set_value(&conf, "cluster-port", " ", &bus_port.to_string());
    let path = dir.path().join("redis.conf");
    std::fs::write(&path, conf).expect("write");
    let _server = Server(
        Command::new("redis-server")
            .arg(&path)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server from Debian's package"),
    );
    wait_until("redis-server", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    // Answering, not only accepting: in one CI run the first PING, just after the port opened,
    // got no reply.
    wait_until("redis-server's PONG", || {
        redis_command(port, &["PING"]) == "+PONG\r\n"
    });
    assert!(
        redis_command(port, &["CONFIG", "GET", "maxmemory"]).starts_with("-ERR unknown command"),
        "CONFIG is renamed"
    );
    let maxmemory = exchange(
        port,
        b"*3\r\n$9\r\nfc-config\r\n$3\r\nGET\r\n$9\r\nmaxmemory\r\n",
        "6442450944",
    );
    assert!(
        maxmemory.contains("6442450944"),
        "maxmemory from the spec: {maxmemory}"
    );
    assert!(
        redis_command(port, &["FLUSHALL"]).starts_with("-ERR unknown command"),
        "FLUSHALL is disabled"
    );
}

#[test]
fn zookeeper_starts_with_the_rendered_zoo_cfg_and_its_readiness_probe_passes() {
    let yaml = "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec: {region: us-east-1, vpcId: vpc-0a1b2c3d, \
                zones: [{name: us-east-1a, subnetId: subnet-0a1b2c3d}], defaults: {volume: {size: 10Gi}}}\n---\n\
                apiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {name: zk}\nspec: {replicas: 1, heapSize: 512Mi}\n";
    let set = SpecSet::from_yaml(yaml);
    let files = rendered_files(&set, "zk");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::write(data.join("myid"), &files["zk-server-a-0.myid"]).expect("myid");
    let port = free_port();
    let mut cfg = set_value(
        &files["zoo.cfg"],
        "dataDir",
        "=",
        &data.display().to_string(),
    );
    cfg = set_value(&cfg, "dataLogDir", "=", &data.display().to_string());
    cfg = set_value(&cfg, "clientPort", "=", &port.to_string());
    cfg = set_value(
        &cfg,
        "server.1",
        "=",
        &format!("127.0.0.1:{}:{}", free_port(), free_port()),
    );
    let path = dir.path().join("zoo.cfg");
    std::fs::write(&path, cfg).expect("write");
    // The rendered readiness probe, run with the real nc, only the port rewritten.
    let probe: Vec<String> = readiness_command(&set, "zk")
        .into_iter()
        .map(|w| w.replace("127.0.0.1 2181", &format!("127.0.0.1 {port}")))
        .collect();
    let ready = || {
        Command::new(&probe[0])
            .args(&probe[1..])
            .status()
            .expect("the probe runs")
            .success()
    };
    assert!(!ready(), "not Ready before the server runs: {probe:?}");
    let _server = Server(
        Command::new("java")
            .args([
                "-Xmx256m",
                "-cp",
                "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            ])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ZooKeeper from Debian's package"),
    );
    wait_until("ZooKeeper", || {
        TcpStream::connect(("127.0.0.1", port))
            .is_ok_and(|_| exchange(port, b"srvr", "Mode:").contains("Mode:"))
    });
    assert_eq!(exchange(port, b"ruok", "imok"), "imok");
    // Ready once it serves (polled: one CI run saw the probe's first srvr go unanswered).
    wait_until("the rendered readiness probe", ready);
    let status = exchange(port, b"srvr", "Mode:");
    assert!(status.contains("Mode: standalone"), "{status}");
    let conf = exchange(port, b"conf", "maxClientCnxns");
    assert!(
        conf.contains("maxClientCnxns=0"),
        "the rendered settings are in force: {conf}"
    );
}

/// PostgreSQL's binaries from Debian's package.
fn postgres_bin(name: &str) -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("Debian's postgresql package");
    let mut dirs: Vec<PathBuf> = versions
        .map(|e| e.expect("entry").path().join("bin"))
        .collect();
    dirs.sort();
    dirs.last().expect("a PostgreSQL version").join(name)
}

/// A command run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
fn as_postgres(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn postgresql_starts_with_the_rendered_configs_and_creates_the_replication_user() {
    let set = SpecSet::examples();
    let files = rendered_files(&set, "billing-pg");
    let dir = tempfile::Builder::new()
        .prefix("firecamp-pg")
        .tempdir()
        .expect("temp dir");
    let root = dir.path();
    run(Command::new("chmod").arg("777").arg(root));
    let data = root.join("data");
    let hba = root.join("pg_hba.conf");
    std::fs::write(&hba, &files["pg_hba.conf"]).expect("write");
    run(as_postgres(&postgres_bin("initdb"))
        .args(["-U", "postgres", "-D"])
        .arg(&data)
        .stdout(Stdio::null()));
    let port = free_port();
    let mut conf = files["postgresql.conf"].clone();
    for (key, value) in [
        ("data_directory", data.display().to_string()),
        ("hba_file", hba.display().to_string()),
        (
            "ident_file",
            data.join("pg_ident.conf").display().to_string(),
        ),
        ("listen_addresses", "127.0.0.1".to_owned()),
        ("port", port.to_string()),
    ] {
        conf = set_value(
            &conf,
            key,
            " = ",
            &if key == "port" {
                value
            } else {
                format!("'{value}'")
            },
        );
    }
    conf.push_str(&format!("unix_socket_directories = '{}'\n", root.display()));
    let conf_path = root.join("postgresql.conf");
    std::fs::write(&conf_path, conf).expect("write");
    let _server = Server(
        as_postgres(&postgres_bin("postgres"))
            .arg("-c")
            .arg(format!("config_file={}", conf_path.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts"),
    );
    let socket = root.display().to_string();
    wait_until("PostgreSQL", || {
        as_postgres(&postgres_bin("pg_isready"))
            .args(["-q", "-h", &socket, "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    });
    let script = root.join("create-replication-user.sh");
    std::fs::write(&script, &files["create-replication-user.sh"]).expect("write");
    run(as_postgres(Path::new("/bin/sh"))
        .arg(&script)
        .env("PGHOST", &socket)
        .env("PGPORT", port.to_string())
        .env("REPLICATION_USER", "repluser")
        .env("REPLICATION_PASSWORD", "it's a \"secret\""));
    let query = |user: &str, password: &str, host: &str, sql: &str| {
        let output = run(as_postgres(Path::new("/usr/bin/psql"))
            .args([
                "-h",
                host,
                "-p",
                &port.to_string(),
                "-U",
                user,
                "-d",
                "postgres",
                "-Atc",
                sql,
            ])
            .env("PGPASSWORD", password));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    assert_eq!(query("postgres", "", &socket, "SHOW wal_level"), "replica");
    assert_eq!(
        query("postgres", "", &socket, "SHOW password_encryption"),
        "scram-sha-256"
    );
    assert_eq!(
        query(
            "postgres",
            "",
            &socket,
            "SELECT rolreplication FROM pg_roles WHERE rolname = 'repluser'"
        ),
        "t"
    );
    // Over TCP the rendered pg_hba.conf asks for the SCRAM password the script set.
    assert_eq!(
        query(
            "repluser",
            "it's a \"secret\"",
            "127.0.0.1",
            "SELECT current_user"
        ),
        "repluser"
    );
    let wrong = as_postgres(Path::new("/usr/bin/psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "repluser",
            "-d",
            "postgres",
            "-c",
            "SELECT 1",
        ])
        .env("PGPASSWORD", "wrong")
        .output()
        .expect("runs");
    assert!(!wrong.status.success(), "a wrong password is refused");

    // PostgreSQL's own parser (pg_hba_file_rules reads the file as it is now) reads a hostile
    // replicationUser as one name, or the render refuses it.
    for user in [
        "all",
        "+admins",
        "a b,c#d",
        "x' OR 1",
        "\u{e9}t\u{e9}",
        "u\nhost all all 0.0.0.0/0 trust",
    ] {
        let mut document = set.services["billing-pg"].clone();
        if let firecamp_schema::spec::Service::PostgreSql(spec) = &mut document.body {
            spec.replication_user = user.to_owned();
        }
        let Ok(desired) = render_service(set.inputs(), &document) else {
            assert!(user.contains('\n'), "{user:?} refused");
            continue;
        };
        let hba_text = desired
            .objects
            .iter()
            .find_map(|o| match o {
                KubeObject::ConfigMap(c) => c.data.as_ref()?.get("pg_hba.conf").cloned(),
                _ => None,
            })
            .expect("pg_hba.conf");
        std::fs::write(&hba, hba_text).expect("write");
        let rules = query(
            "postgres",
            "",
            &socket,
            "SELECT count(*), count(error), \
             max(array_to_json(user_name)::text) FILTER (WHERE 'replication' = ANY(database)) \
             FROM pg_hba_file_rules",
        );
        let expected = serde_json::to_string(&[user]).expect("json");
        assert_eq!(rules, format!("4|0|{expected}"), "{user:?}");
    }
}
