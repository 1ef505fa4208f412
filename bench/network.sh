#!/bin/bash
# network.sh: issue 6's network figures, side by side in one run.
#   throughput: iperf3 (Debian's) between two containers on a quai network, against two
#               network namespaces joined by a plain veth pair (the limit)
#   join:       `quai run --rm busybox true` on a quai network against --network none
# Medians; ratios at the end. Run as root; see bench/README.md. Traffic stays between
# network namespaces on this machine.
#
# Environment: RUNS (hyperfine runs, 30), SECONDS_PER_TEST (iperf3 -t, 5), ROUNDS (iperf3
# rounds per side, 5), QUAI (build/release/src/cli/quai/quai), RESULTS (/var/tmp/quai-bench).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QUAI=${QUAI:-$HERE/../build/release/src/cli/quai/quai}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
RUNS=${RUNS:-30}
ROUNDS=${ROUNDS:-5}
SECS=${SECONDS_PER_TEST:-5}
for tool in hyperfine jq iperf3 ip; do
  command -v "$tool" >/dev/null || { echo "network.sh: $tool not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
mkdir -p "$RESULTS"
T=$(mktemp -d /var/tmp/quai-bench-network.XXXXXX)
Q="$QUAI --root $T/root"
NS_A=quaibench-a-$$ NS_B=quaibench-b-$$
cleanup() {
  $Q rm -f srv >/dev/null 2>&1 || true
  for id in $(ls "$T/root/networks" 2>/dev/null); do
    [ ${#id} = 64 ] && ip link del "qbr-${id:0:11}" 2>/dev/null || true
  done
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# iperf3's received bits per second, as Gbit/s.
gbits() { jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'; }

# --- the limit: two namespaces, one veth pair, the host's MTU (as quai's networks take it)
DEV=$(ip route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
MTU=$(cat "/sys/class/net/$DEV/mtu" 2>/dev/null || echo 1500)
ip netns add "$NS_A"; ip netns add "$NS_B"
ip link add qbv-a netns "$NS_A" mtu "$MTU" type veth peer qbv-b netns "$NS_B" mtu "$MTU"
ip -n "$NS_A" addr add 10.250.0.1/24 dev qbv-a; ip -n "$NS_A" link set qbv-a up
ip -n "$NS_B" addr add 10.250.0.2/24 dev qbv-b; ip -n "$NS_B" link set qbv-b up
veth=()
for _ in $(seq "$ROUNDS"); do
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
  sleep 0.2
  veth+=("$(ip netns exec "$NS_B" iperf3 -J -t "$SECS" -c 10.250.0.1 | gbits)")
done

# --- quai: the Debian image with the host's iperf3 bound in (the same Debian release)
"$QUAI" --root "$T/root" image bootstrap busybox >/dev/null
if ! $Q images -q debian:bookworm | grep -q .; then
  CACHE=${QUAI_BENCH_CACHE:-/var/tmp/quai-bench-cache}/src-root
  if [ -d "$CACHE" ]; then
    "$QUAI" --root "$CACHE" save -o "$T/debian.tar" debian:bookworm && $Q load -q -i "$T/debian.tar" >/dev/null
    rm -f "$T/debian.tar"
  else
    $Q image bootstrap debian >/dev/null
  fi
fi
binds=(-v /usr/bin/iperf3:/usr/bin/iperf3:ro)
for lib in $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*\.so[^ ]*'); do binds+=(-v "$lib:$lib:ro"); done
$Q network create --subnet 10.251.0.0/24 bench >/dev/null
$Q run -d --name srv --network bench --ip 10.251.0.10 "${binds[@]}" debian:bookworm \
  sh -c 'while true; do iperf3 -s -1 >/dev/null 2>&1; done' >/dev/null
sleep 0.5
bridge=()
for _ in $(seq "$ROUNDS"); do
  bridge+=("$($Q run --rm --network bench "${binds[@]}" debian:bookworm \
    iperf3 -J -t "$SECS" -c 10.251.0.10 | gbits)")
  sleep 0.2
done

# --- the time a network adds to `quai run`
hyperfine -N -w 3 -r "$RUNS" --export-json "$RESULTS/network-join.json" \
  -n "quai run --network none" "$Q run --rm --network none busybox true" \
  -n "quai run --network bench" "$Q run --rm --network bench busybox true" >&2 </dev/null

VETH=$(printf '%s\n' "${veth[@]}" | median)
BRIDGE=$(printf '%s\n' "${bridge[@]}" | median)
NONE=$(jq -r '.results[0].median * 10000 | round / 10' "$RESULTS/network-join.json")
JOIN=$(jq -r '.results[1].median * 10000 | round / 10' "$RESULTS/network-join.json")
echo "iperf3, container to container on a quai network: ${BRIDGE} Gbit/s (runs: ${bridge[*]})"
echo "iperf3, two namespaces on a plain veth pair:      ${VETH} Gbit/s (runs: ${veth[*]})"
echo "  ratio (quai / limit): $(awk -v a="$BRIDGE" -v b="$VETH" 'BEGIN {printf "%.2f", a / b}')"
echo "quai run --rm busybox true: --network none ${NONE} ms, on a network ${JOIN} ms (median of $RUNS)"
echo "  added by the network: $(awk -v a="$JOIN" -v b="$NONE" 'BEGIN {printf "%.1f", a - b}') ms"
