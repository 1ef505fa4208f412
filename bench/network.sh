#!/bin/bash
# network.sh: issue 6's network figures, side by side in one run.
#   throughput: iperf3 (Debian's) between two containers on a quai network, against two
#               network namespaces joined by a plain veth pair (the limit)
#   join:       `quai run --rm busybox true` on a quai network against --network none,
#               in a shuffled order
#   published:  wrk against busybox httpd behind a port published on 127.0.0.1, quai against
#               podman (CNI's bridge and portmap, runc) with the same image: a 1 MiB file
#               (MB/s) and a small one (requests/s), rounds alternating between the two
# Medians; ratios at the end. Run as root; see bench/README.md. Traffic stays between
# network namespaces on this machine.
#
# Environment: RUNS (runs of each, 60), SECONDS_PER_TEST (iperf3 -t and wrk -d, 5), ROUNDS
# (iperf3 and wrk rounds per side, 5), QUAI (build/release/src/cli/quai/quai), RESULTS
# (/var/tmp/quai-bench). podman sets the host's ip_forward and leaves iptables tables and its
# cni-podman0 bridge behind: whatever was not there before the run is put back as it was.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QUAI=${QUAI:-$HERE/../build/release/src/cli/quai/quai}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
RUNS=${RUNS:-60}
ROUNDS=${ROUNDS:-5}
SECS=${SECONDS_PER_TEST:-5}
for tool in jq iperf3 ip wrk podman nft; do
  command -v "$tool" >/dev/null || { echo "network.sh: $tool not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
mkdir -p "$RESULTS"
T=$(mktemp -d /var/tmp/quai-bench-network.XXXXXX)
Q="$QUAI --root $T/root"
NS_A=quaibench-a-$$ NS_B=quaibench-b-$$
P=(podman --root "$T/podman" --runroot "/run/quai-bench-podman-$$" --tmpdir "$T/podman-tmp"
   --events-backend none --cgroup-manager cgroupfs)
FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
TABLES_BEFORE=$(nft list tables)
CNI_BRIDGE_BEFORE=$(ip -o link show cni-podman0 2>/dev/null || true)
cleanup() {
  $Q rm -f srv web >/dev/null 2>&1 || true
  "${P[@]}" rm -af -t 0 >/dev/null 2>&1 || true
  "${P[@]}" rmi -af >/dev/null 2>&1 || true
  for id in $(ls "$T/root/networks" 2>/dev/null); do
    [ ${#id} = 64 ] && ip link del "qbr-${id:0:11}" 2>/dev/null || true
  done
  nft list tables | while read -r _ family name; do
    grep -qx "table $family $name" <<<"$TABLES_BEFORE" || nft delete table "$family" "$name"
  done
  [ -n "$CNI_BRIDGE_BEFORE" ] || ip link del cni-podman0 2>/dev/null || true
  echo "$FORWARD_BEFORE" >/proc/sys/net/ipv4/ip_forward
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$T" "/run/quai-bench-podman-$$"
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
veth_round() {
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
  sleep 0.2
  veth+=("$(ip netns exec "$NS_B" iperf3 -J -t "$SECS" -c 10.250.0.1 | gbits)")
}

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
bridge_round() {
  bridge+=("$($Q run --rm --network bench "${binds[@]}" debian:bookworm \
    iperf3 -J -t "$SECS" -c 10.251.0.10 | gbits)")
  sleep 0.2
}
# Each round measures both, the first one in turn: the machine's drift weighs on both alike.
veth=() bridge=()
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then veth_round; bridge_round; else bridge_round; veth_round; fi
done

# --- the time a network adds to `quai run`: the two commands in a shuffled order (shuf), so
# that what the run before leaves to the kernel (a namespace and its veth to delete, on 2
# cores) weighs on both alike. Strict alternation does not: there every network run follows a
# run without one, and on this machine that alone made the difference 3-4 ms larger than in
# any shuffled order. The network holds one other container (the iperf3 server).
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f\n", (b - a) * 1000}'; }
for _ in 1 2 3 4 5; do  # warm-up
  $Q run --rm --network none busybox true; $Q run --rm --network bench busybox true
done
none=() joined=()
for mode in $( (yes none | head -n "$RUNS"; yes bench | head -n "$RUNS") | shuf); do
  t0=$EPOCHREALTIME; $Q run --rm --network "$mode" busybox true; t1=$EPOCHREALTIME
  if [ "$mode" = none ]; then none+=("$(elapsed_ms "$t0" "$t1")"); else joined+=("$(elapsed_ms "$t0" "$t1")"); fi
done
printf '%s\n' "${none[@]}" >"$RESULTS/network-join-none.txt"
printf '%s\n' "${joined[@]}" >"$RESULTS/network-join-bench.txt"

# --- published ports: the same busybox image in both, httpd forking per request
$Q save -o "$T/busybox.tar" busybox
"${P[@]}" load -q -i "$T/busybox.tar" >/dev/null
# Root lacks CAP_SYS_RESOURCE here: podman's default rlimits cannot be set (run-start.sh).
PODMAN_RUN=(run -d --runtime runc --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)"
            --ulimit nproc=32768:32768)
SERVE='dd if=/dev/zero of=/tmp/big bs=1M count=1 2>/dev/null; echo hi >/tmp/small; exec httpd -f -p 80 -h /tmp'
$Q run -d --name web --network bridge -p 127.0.0.1:18190:80 busybox sh -c "$SERVE" >/dev/null
"${P[@]}" "${PODMAN_RUN[@]}" --name web -p 127.0.0.1:18191:80 localhost/busybox sh -c "$SERVE" >/dev/null
for port in 18190 18191; do
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/small" && break; sleep 0.1; done
done
# wrk's figure as a number: MB/s of Transfer/sec, or Requests/sec.
megabytes() { awk '/Transfer\/sec/ {v = $2; if (v ~ /GB/) v *= 1024; else if (v ~ /KB/) v /= 1024; printf "%.0f", v}'; }
requests() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
declare -A big small
for _ in $(seq "$ROUNDS"); do
  for side in quai:18190 podman:18191; do
    big[${side%%:*}]+="$(wrk -t2 -c16 -d"${SECS}s" "http://127.0.0.1:${side#*:}/big" | megabytes) "
    small[${side%%:*}]+="$(wrk -t2 -c16 -d"${SECS}s" "http://127.0.0.1:${side#*:}/small" | requests) "
  done
done

VETH=$(printf '%s\n' "${veth[@]}" | median)
BRIDGE=$(printf '%s\n' "${bridge[@]}" | median)
NONE=$(printf '%s\n' "${none[@]}" | median)
JOIN=$(printf '%s\n' "${joined[@]}" | median)
echo "iperf3, container to container on a quai network: ${BRIDGE} Gbit/s (runs: ${bridge[*]})"
echo "iperf3, two namespaces on a plain veth pair:      ${VETH} Gbit/s (runs: ${veth[*]})"
echo "  ratio (quai / limit): $(awk -v a="$BRIDGE" -v b="$VETH" 'BEGIN {printf "%.2f", a / b}')"
echo "quai run --rm busybox true: --network none ${NONE} ms, on a network ${JOIN} ms (median of $RUNS)"
echo "  added by the network: $(awk -v a="$JOIN" -v b="$NONE" 'BEGIN {printf "%.1f", a - b}') ms"
for kind in big small; do
  declare -n runs=$kind
  QF=$(tr ' ' '\n' <<<"${runs[quai]}" | grep . | median)
  PF=$(tr ' ' '\n' <<<"${runs[podman]}" | grep . | median)
  unit=$([ "$kind" = big ] && echo "MB/s, 1 MiB file" || echo "requests/s, 3-byte file")
  echo "wrk through a published port ($unit): quai $QF, podman $PF (runs: quai ${runs[quai]}/ podman ${runs[podman]})"
  echo "  ratio (quai / podman): $(awk -v a="$QF" -v b="$PF" 'BEGIN {printf "%.2f", a / b}')"
done
