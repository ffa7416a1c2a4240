# Puts this member's static IP on the node's firecamp interface (`up`, the init container) or
# takes it off again (`down`, the preStop hook of the releasing sidecar). docs/static-ips.md, "The
# node side", says why each step is there. Runs in the host's network namespace with NET_ADMIN.
#
# Environment: POD_NAME; STATIC_IP_FILE, the member's entry of the allocation ConfigMap;
# STATIC_IP_RANGE, the zone's reservedCidr when it has one; STATIC_IP_WAIT_SECONDS, how long `up`
# waits for EC2; IMDS_ENDPOINT, the instance metadata service (default 169.254.169.254).
set -eu

fail() {
  echo "static-ip: $*" >&2
  exit 1
}
say() { echo "static-ip: $*"; }

# Routes of the address go in table 10000 + the interface's device number (the VPC CNI numbers its
# own tables from 1 up), chosen by a rule after the CNI's "to <pod> lookup main" rules (512).
TABLE_BASE=10000
RULE_PRIORITY=1600
SNAT_COMMENT=firecamp-static-ip

# to_int A.B.C.D: the address as a number; fails on anything that is not dotted-quad IPv4.
to_int() {
  printf '%s\n' "$1" | awk -F. 'NF != 4 { exit 1 }
    { n = 0; for (i = 1; i <= 4; i++) { if ($i !~ /^[0-9]+$/ || $i > 255) exit 1; n = n * 256 + $i }
      printf "%.0f\n", n }'
}

# to_dotted N: the dotted-quad form of a number.
to_dotted() {
  awk -v n="$1" 'BEGIN { printf "%d.%d.%d.%d\n", int(n / 16777216) % 256, int(n / 65536) % 256,
    int(n / 256) % 256, n % 256 }'
}

# block_size CIDR: how many addresses CIDR holds; fails unless it is A.B.C.D/0..32.
block_size() {
  bits="${1#*/}"
  case "$bits" in '' | *[!0-9]*) return 1 ;; esac
  [ "$bits" -le 32 ] || return 1
  to_int "${1%/*}" >/dev/null || return 1
  awk -v b="$bits" 'BEGIN { printf "%.0f\n", 2 ^ (32 - b) }'
}

# in_cidr ADDRESS CIDR: true when ADDRESS lies in CIDR.
in_cidr() {
  size="$(block_size "$2")" || return 1
  a="$(to_int "$1")" || return 1
  b="$(to_int "${2%/*}")"
  awk -v a="$a" -v b="$b" -v s="$size" 'BEGIN { exit !(int(a / s) == int(b / s)) }'
}

# router CIDR: the subnet's router, its network address + 1 (the VPC user guide, "Subnet CIDR
# blocks": the second address of every subnet is reserved for the VPC router).
router() {
  size="$(block_size "$1")"
  b="$(to_int "${1%/*}")"
  to_dotted "$(awk -v b="$b" -v s="$size" 'BEGIN { printf "%.0f\n", int(b / s) * s + 1 }')"
}

imds="${IMDS_ENDPOINT:-http://169.254.169.254}"

# IMDSv2: a session token first (PUT), then every read carries it.
token() {
  curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
    "$imds/latest/api/token"
}
meta() { curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $tok" "$imds/latest/meta-data/$1"; }

# link_of MAC: the name of this host's interface with that MAC, if there is one.
link_of() {
  ip -o link show | awk -v mac="$(printf '%s' "$1" | tr 'A-F' 'a-f')" '{
    for (i = 1; i < NF; i++) if ($i == "link/ether" && tolower($(i + 1)) == mac) {
      name = $2; sub(/:$/, "", name); sub(/@.*/, "", name); print name; exit } }'
}

# find_interface: sets mac, device and iface once EC2 lists the address on one of this instance's interfaces
# and the interface is present on the host.
find_interface() {
  tok="$(token)" || return 1
  for m in $(meta network/interfaces/macs/); do
    m="${m%/}"
    if meta "network/interfaces/macs/$m/local-ipv4s" | grep -qxF "$address"; then
      mac="$m"
      device="$(meta "network/interfaces/macs/$m/device-number")" || return 1
      iface="$(link_of "$m")"
      [ -n "$iface" ]
      return
    fi
  done
  return 1
}

# The VPC CNI SNATs traffic leaving the VPC to the primary interface's address (AWS-SNAT-CHAIN-0,
# jumped to from nat POSTROUTING); a RETURN before that jump keeps the static address. It goes in
# POSTROUTING, not in the CNI's chain, whose rules the CNI rewrites (computeStaleIptablesRules,
# pkg/networkutils/network.go in aws/amazon-vpc-cni-k8s). Both iptables backends are looked at:
# the rule goes where the CNI's jump is.

# snat_rule IPTABLES -C|-D|-I: checks, deletes or inserts (as the first rule) the exemption.
snat_rule() {
  if [ "$2" = -I ]; then position=1; else position=""; fi
  # shellcheck disable=SC2086 # an empty position is no argument
  "$1" -t nat "$2" POSTROUTING $position -s "$address/32" -m comment --comment "$SNAT_COMMENT" -j RETURN
}

snat_add() {
  exempted=""
  for ipt in iptables-nft iptables-legacy; do
    command -v "$ipt" >/dev/null 2>&1 || continue
    "$ipt" -t nat -S POSTROUTING 2>/dev/null | grep -q -- '-j AWS-SNAT-CHAIN-0' || continue
    snat_rule "$ipt" -C 2>/dev/null || snat_rule "$ipt" -I
    exempted="$exempted $ipt"
  done
  if [ -n "$exempted" ]; then
    say "$address exempted from the VPC CNI's SNAT ($exempted )"
  else
    say "no AWS-SNAT-CHAIN-0 jump in nat POSTROUTING (external SNAT or another CNI): no SNAT exemption needed"
  fi
}

snat_del() {
  for ipt in iptables-nft iptables-legacy; do
    command -v "$ipt" >/dev/null 2>&1 || continue
    n=0
    while [ "$n" -lt 16 ] && snat_rule "$ipt" -C 2>/dev/null; do
      snat_rule "$ipt" -D
      n=$((n + 1))
    done
  done
}

# has_rule [TABLE]: true when firecamp's rule for the address (to TABLE, or to any table) is there.
has_rule() {
  ip rule show | awk -v p="$RULE_PRIORITY:" -v a="$address" -v t="${1:-}" '
    $1 == p && $2 == "from" && $3 == a && (t == "" || $5 == t) { found = 1 } END { exit !found }'
}

up() {
  waited=0
  until find_interface; do
    if [ "$waited" -ge "$STATIC_IP_WAIT_SECONDS" ]; then
      fail "EC2 has not listed $address on an interface of this node after ${waited}s (firecamp assigns it once the node's firecamp interface is attached; see the plan)"
    fi
    if [ $((waited % 30)) -eq 0 ]; then
      say "waiting for EC2 to list $address on this node's firecamp interface"
    fi
    sleep 2
    waited=$((waited + 2))
  done
  case "$device" in '' | *[!0-9]*) fail "the instance metadata gave no device number for $mac" ;; esac
  if [ "$device" -eq 0 ]; then
    fail "$address is on the primary interface (device 0), which the VPC CNI manages; it belongs on firecamp's interface"
  fi
  cidr="$(meta "network/interfaces/macs/$mac/subnet-ipv4-cidr-block")"
  in_cidr "$address" "$cidr" || fail "$address is outside the subnet of $iface ($cidr)"
  if [ -n "${STATIC_IP_RANGE:-}" ] && ! in_cidr "$address" "$STATIC_IP_RANGE"; then
    fail "$address is outside the zone's static range $STATIC_IP_RANGE"
  fi
  table=$((TABLE_BASE + device))
  # Interfaces attached after boot come up down on AL2023 (awslabs/amazon-eks-ami#2180).
  ip link set dev "$iface" up
  if ! ip -o addr show dev "$iface" | grep -qF " inet $address/"; then
    ip addr add "$address/32" dev "$iface"
  fi
  ip route replace "$cidr" dev "$iface" table "$table"
  ip route replace default via "$(router "$cidr")" dev "$iface" table "$table"
  if ! has_rule "$table"; then
    ip rule add from "$address" lookup "$table" priority "$RULE_PRIORITY"
  fi
  snat_add
  say "$address is on $iface (device $device, $cidr), replies leave through it (table $table)"
}

down() {
  snat_del
  n=0
  while [ "$n" -lt 16 ] && has_rule; do
    ip rule del from "$address" priority "$RULE_PRIORITY"
    n=$((n + 1))
  done
  for dev in $(ip -o addr show | awk -v a="$address/32" '$3 == "inet" && $4 == a { print $2 }'); do
    ip addr del "$address/32" dev "$dev"
  done
  say "$address removed from this node"
}

# await_entry: waits until the member's entry is in the allocation ConfigMap. firecamp chooses a new
# member's address once its pod has a node, assigns it to that node's interface, and records it
# only then (a later plan than the one that made the pod); the kubelet shows a new key of a mounted
# ConfigMap within its sync period.
await_entry() {
  waited=0
  until [ -s "$STATIC_IP_FILE" ]; do
    if [ "$waited" -ge "$STATIC_IP_WAIT_SECONDS" ]; then
      fail "firecamp has not recorded a static IP for $POD_NAME after ${waited}s ($STATIC_IP_FILE is empty; see the plan)"
    fi
    if [ $((waited % 30)) -eq 0 ]; then
      say "waiting for firecamp to assign and record the static IP of $POD_NAME"
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

case "${1:-}" in
  up) await_entry ;;
  down)
    if [ ! -s "$STATIC_IP_FILE" ]; then
      say "no static IP recorded for $POD_NAME: nothing to take off"
      exit 0
    fi
    ;;
  *) fail "usage: static-ip up|down" ;;
esac
address="$(tr -d ' \n' <"$STATIC_IP_FILE")"
to_int "$address" >/dev/null || fail "the allocation of $POD_NAME is not an IPv4 address"
"$1"
