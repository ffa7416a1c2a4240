#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine with the Rust toolchain: formatting, lints, and the
# whole test suite. It first installs the test tools (never installed by hand):
#   - .venv/ (git-ignored): kubernetes-validate, the OpenAPI schemas of Kubernetes releases.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== test tools"
if [ ! -x .venv/bin/kubernetes-validate ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0'
fi

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Snapshot tests must fail on a mismatch, never rewrite the committed snapshots.
export INSTA_UPDATE=no

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace --locked
