#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine with the Rust toolchain: formatting, lints, and the
# whole test suite. It first installs the test tools (never installed by hand):
#   - .venv/ (git-ignored): kubernetes-validate (the OpenAPI schemas of Kubernetes releases) and
#     the moto server (an AWS emulator the AWS provider tests start on 127.0.0.1);
#   - Debian's redis-server, postgresql and zookeeper: the real servers the rendered configs are
#     started with (on 127.0.0.1) by catalog/tests/real_servers.rs;
#   - Debian's iproute2 and iptables: the static-IP node script runs with them in a network
#     namespace of its own (catalog/tests/static_ip_node.rs);
#   - Debian's netcat-openbsd: ZooKeeper's rendered readiness probe runs with it;
#   - Debian's erlang-base: CouchDB's rendered vm.args is given to the real Erlang VM
#     (catalog/tests/couchdb_start.rs);
#   - Debian's libnss-wrapper: the cluster harness (catalog/tests/common/pods.rs) runs Redis,
#     ZooKeeper and PostgreSQL clusters as rendered, each member as its image's user;
#   - libssl-dev and pkg-config, which git2's https support builds against;
#   - jars from Maven Central (scripts/maven-jars.sh, cached outside the repository by version);
#   - the real Kubernetes control plane the Kubernetes-facing tests run on (etcd, kube-apiserver,
#     kube-controller-manager, kube-scheduler and kwok, built from Go modules by
#     scripts/k8s-build.sh once per version, then reused from its cache outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== test tools"
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
# The static-IP node script runs with the real ip and iptables (catalog/tests/static_ip_node.rs).
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables-nft >/dev/null 2>&1 || missing+=(iptables)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
# ZooKeeper's readiness probe runs with the real nc against the real server (real_servers.rs).
command -v nc >/dev/null 2>&1 || missing+=(netcat-openbsd)
# CouchDB's vm.args runs with the real Erlang VM (couchdb_start.rs).
command -v erl >/dev/null 2>&1 || missing+=(erlang-base)
# The cluster harness gives an image's user its passwd entry through nss_wrapper (common/pods.rs).
ls /usr/lib/*/libnss_wrapper.so >/dev/null 2>&1 || missing+=(libnss-wrapper)
# git2's https support links OpenSSL (libgit2 and libssh2 are built from source).
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x .venv/bin/kubernetes-validate ] || [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0' 'moto[server]==5.2.5'
fi

echo "== Kubernetes test world (scripts/k8s-build.sh)"
build_log="${TMPDIR:-/tmp}/firecamp-k8s-build.log"
if ! FIRECAMP_K8S_BIN="$(bash scripts/k8s-build.sh 2>"$build_log" | tail -1)"; then
  tail -50 "$build_log"
  exit 1
fi
tail -3 "$build_log"
export FIRECAMP_K8S_BIN

echo "== Maven Central jars (scripts/maven-jars.sh)"
FIRECAMP_MAVEN_JARS="$(bash scripts/maven-jars.sh)"
export FIRECAMP_MAVEN_JARS

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental caches only pay off across edits; a test run builds once.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
echo "disk free for target/: $(df -h --output=avail . | tail -1 | tr -d ' ')"
# Snapshot tests must fail on a mismatch, never rewrite the committed snapshots.
export INSTA_UPDATE=no

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace --locked
