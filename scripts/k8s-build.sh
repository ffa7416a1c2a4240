#!/usr/bin/env bash
# Builds the real Kubernetes test world's binaries from Go modules, once per version, and reuses
# them after that: etcd, kube-apiserver, kube-controller-manager and kube-scheduler from the
# tools module in tools/k8s (k8s.io/kubernetes with every staging module pinned by `replace`), and
# kwok (fake nodes and pod lifecycle) by `go install`. Nothing is downloaded but Go modules.
#
# The binaries go to $FIRECAMP_K8S_CACHE (default /var/tmp/firecamp-k8s/<versions>/bin), outside
# the repository; a stamp of the inputs (go.mod, go.sum, this script) says when they are current.
# Prints the bin folder on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/usr/local/go/bin:$PATH" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

KUBE_VERSION=v1.37.2
KWOK_VERSION=v0.8.0
cache="${FIRECAMP_K8S_CACHE:-/var/tmp/firecamp-k8s/${KUBE_VERSION}-kwok-${KWOK_VERSION}}"
bin="$cache/bin"
want=$(cat tools/k8s/go.mod tools/k8s/go.sum scripts/k8s-build.sh | sha256sum | cut -c1-16)
if [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$want" ]; then
  echo "k8s test world binaries: cached in $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "k8s-build: the Go toolchain is needed (go not found)" >&2; exit 2; }
mkdir -p "$bin"
rm -f "$bin/.stamp"
start=$(date +%s)

# Version stamping, as Kubernetes' own build does (hack/lib/version.sh): unstamped binaries report
# v0.0.0-master, which clients and kwok read as a version.
minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags="$ldflags -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

echo "k8s-build: kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION" >&2
(cd tools/k8s && go build -trimpath -ldflags "$ldflags" -o "$bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
echo "k8s-build: etcd" >&2
(cd tools/k8s && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
# kwok has its own module graph; kept out of the tools module so its newer dependencies do not
# move Kubernetes' own.
echo "k8s-build: kwok $KWOK_VERSION" >&2
(cd "$cache" && GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
# kwok's stage files (what turns a pod Running and Ready, a node Ready, a claim Bound) ship in
# its module; the test world reads them from there.
stages=$(cd "$cache" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
ln -sfn "$stages/kustomize/stage" "$cache/kwok-stages"

"$bin/kube-apiserver" --version >&2
echo "k8s-build: built in $(( $(date +%s) - start )) s" >&2
echo "$want" > "$bin/.stamp"
echo "$bin"
