#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine with the Rust toolchain: formatting, lints, and the
# whole test suite. Later issues add the test tools they need here (a Python virtualenv with the
# moto server and kubernetes-validate), installed by this script, never by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Snapshot tests must fail on a mismatch, never rewrite the committed snapshots.
export INSTA_UPDATE=no

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace --locked
