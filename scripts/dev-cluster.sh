#!/usr/bin/env bash
# A local cluster to try firecamp end to end, without EKS or AWS: the test world's real
# Kubernetes control plane (built once by scripts/k8s-build.sh) with fake nodes in three zones,
# and moto for EC2 and Route53. Writes into DIR (default /tmp/firecamp-dev) a kubeconfig,
# aws-endpoint and examples/ (the bundled examples pointed at moto's network), prints what to
# run, and serves until Ctrl-C; everything it started stops with it.
#
#   bash scripts/dev-cluster.sh /tmp/firecamp-dev
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(realpath -m "${1:-/tmp/firecamp-dev}")"
mkdir -p "$dir"

bash scripts/k8s-build.sh >/dev/null
if [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
cargo build --quiet -p firecamp --bin firecamp --example dev_cluster
firecamp="$PWD/target/debug/firecamp"
cat <<EOT
When the cluster says it is up, in another shell (apply twice: the second apply chooses, assigns
and records static IPs for the members where the scheduler put them, and gives them DNS records;
then the plan is empty):
  export KUBECONFIG=$dir/kubeconfig AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  $firecamp apply $dir/examples --auto-approve --aws-endpoint-url "\$(cat $dir/aws-endpoint)"
  $firecamp apply $dir/examples --auto-approve --aws-endpoint-url "\$(cat $dir/aws-endpoint)"
  $firecamp plan $dir/examples --aws-endpoint-url "\$(cat $dir/aws-endpoint)"
EOT
exec target/debug/examples/dev_cluster "$dir"
