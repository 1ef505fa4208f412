#!/bin/bash
# run-start.sh: `quai run --rm --network none busybox true` vs `podman run --rm --network none`
# (crun) of the same image vs `crun run` of an OCI bundle of the same rootfs; medians, ratios
# and peak RSS. Run as root. See bench/README.md.
#
# Environment:
#   RUNS=60        timed runs per command (split into ROUNDS rounds)   WARMUP=3 per round
#   ROUNDS=3       rounds; the command order rotates from round to round
#   RSS_RUNS=10    runs of quai under peak_rss (median reported)
#   QUAI=...       the quai binary (default: build/release/src/cli/quai/quai, else PATH)
#   PEAK_RSS=...   the peak_rss program (default: build/release/bench/peak_rss)
#   TMPBASE=/var/tmp   parent of the temp dir (quai's and podman's --root, the bundle)
#   RUNBASE=/run   parent of the run-time state dirs (quai's --runroot, podman's --runroot,
#                  crun's --root): tmpfs, where each tool keeps it by default
#   RESULTS=/var/tmp/quai-bench
#   HOST_NS=1      also time quai in the host mount namespace (hybrid cgroups), as an extra row
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=${RUNS:-60}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3}
RSS_RUNS=${RSS_RUNS:-10}
TMPBASE=${TMPBASE:-/var/tmp}
RUNBASE=${RUNBASE:-/run}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
HOST_NS=${HOST_NS:-1}
QUAI=${QUAI:-$HERE/../build/release/src/cli/quai/quai}
[ -x "$QUAI" ] || QUAI=$(command -v quai || true)
PEAK_RSS=${PEAK_RSS:-$HERE/../build/release/bench/peak_rss}

die() { echo "run-start.sh: $*" >&2; exit 1; }
log() { printf '## %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "run as root"
for t in hyperfine jq podman crun unshare mountpoint tar; do
  command -v "$t" >/dev/null || die "$t not found (scripts/install-deps.sh)"
done
if [ -z "$QUAI" ] || [ ! -x "$QUAI" ]; then die "quai not found: build it (cmake --build build/release --target quai) or set QUAI"; fi
[ -x "$PEAK_RSS" ] || die "peak_rss not found: cmake --preset release -DQUAI_BENCH=ON && cmake --build build/release --target peak_rss"
QUAI=$(readlink -f "$QUAI")

T=$(mktemp -d "$TMPBASE/quai-run-bench.XXXXXX")
R=$(mktemp -d "$RUNBASE/quai-run-bench.XXXXXX")
OUT=$RESULTS/run-start-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
Q=("$QUAI" --root "$T/quai" --runroot "$R/quai")
P=(podman --root "$T/podman/root" --runroot "$R/podman" --tmpdir "$T/podman/tmp"
   --events-backend none --cgroup-manager cgroupfs)
# Root lacks CAP_SYS_RESOURCE here and the hard RLIMIT_NOFILE is 20000: podman's default
# rlimits (1048576) cannot be set; it gets what the peers' harness gives it (quai clamps by
# itself).
PODMAN_FLAGS="--network none --ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=32768:32768"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  "${P[@]}" rm -af >/dev/null 2>&1
  crun --root "$R/crun" delete -f qbfixed >/dev/null 2>&1
  crun --root "$R/crun" delete -f qbfixedq >/dev/null 2>&1
  # podman's storage mounts live in the private namespaces below; they are gone with them
  rm -rf "$T" "$R"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# crun 1.8 refuses hybrid cgroups (v1 + controllers on /sys/fs/cgroup/unified). Every command
# is measured in one private mount namespace without that mount, so all three see the same
# pure v1 hierarchy; the host's mounts are untouched.
in_v1ns() {
  unshare --mount --propagation private sh -c \
    'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 97; fi; exec "$@"' sh "$@"
}

# --- one image for all three: quai's busybox, saved and loaded into podman, unpacked as a bundle
log "temp dir $T"
"${Q[@]}" image bootstrap busybox >/dev/null
"${Q[@]}" save -o "$T/busybox.tar" busybox
mkdir -p "$T/archive" "$T/bundle/rootfs"
tar -xf "$T/busybox.tar" -C "$T/archive"
layers=$(jq -r '.[0].Layers | length' "$T/archive/manifest.json")
[ "$layers" = 1 ] || die "expected one layer in quai's busybox image, found $layers"
tar -xf "$T/archive/$(jq -r '.[0].Layers[0]' "$T/archive/manifest.json")" -C "$T/bundle/rootfs"
in_v1ns "${P[@]}" load -q -i "$T/busybox.tar" >/dev/null
image=$(in_v1ns "${P[@]}" images --format '{{.Repository}}:{{.Tag}}' | head -1)
[ -n "$image" ] || die "podman load gave no image"
# crun's own default spec: pid, network, ipc, uts, mount and cgroup namespaces, the default
# mounts, masked and read-only paths, 3 capabilities; /bin/true, no terminal.
(cd "$T/bundle" && crun spec)
jq --argjson hard "$(ulimit -Hn)" '.process.terminal = false | .process.args = ["true"]
  | .process.rlimits = [(.process.rlimits // [])[]
      | if .type == "RLIMIT_NOFILE" then .hard = ([.hard, $hard] | min) | .soft = ([.soft, .hard] | min) else . end]' \
  "$T/bundle/config.json" >"$T/bundle/config.json.new"
mv "$T/bundle/config.json.new" "$T/bundle/config.json"
cp "$T/bundle/config.json" "$OUT/crun-config.json"

# For context, not for the target: crun on the config quai's monitor made for a container
# (Docker's capabilities, quai's seccomp allowlist, masked paths; the same rootfs, read-write
# as quai's overlay), without the bind mounts of files in quai's container directory.
cid=$("${Q[@]}" run -d --network none busybox sleep 600)
"${Q[@]}" wait "$cid" >/dev/null 2>&1 &
sleep 0.5
mkdir -p "$T/bundle-quai"
ln -s ../bundle/rootfs "$T/bundle-quai/rootfs"
jq '.root = {path: "rootfs", readonly: false} | .process.args = ["true"] | del(.linux.cgroupsPath)
  | .mounts |= map(select(.destination | IN("/etc/hostname", "/etc/hosts", "/etc/resolv.conf") | not))' \
  "$R/quai/runtime/$cid/config.json" >"$T/bundle-quai/config.json"
"${Q[@]}" rm -f "$cid" >/dev/null
wait
cp "$T/bundle-quai/config.json" "$OUT/crun-quai-config.json"

declare -A CMD
CMD[quai]="${Q[*]} run --rm --network none busybox true"
CMD[podman]="${P[*]} run --rm $PODMAN_FLAGS $image true"
CMD[crun]="crun --root $R/crun run --bundle $T/bundle qbfixed"
CMD[crun-quai-config]="crun --root $R/crun run --bundle $T/bundle-quai qbfixedq"
ORDER=(quai podman crun crun-quai-config)

# --- each works and leaves nothing behind
for name in "${ORDER[@]}"; do
  # shellcheck disable=SC2086  # the commands are word lists
  in_v1ns ${CMD[$name]} </dev/null || die "$name failed: ${CMD[$name]}"
done
[ -z "$(ls -A "$T/quai/containers")" ] || die "quai run --rm left a container behind"
[ -z "$(in_v1ns "${P[@]}" ps -aq)" ] || die "podman run --rm left a container behind"

{
  echo "date: $(date -Is)  host: $(uname -r), $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "quai: $QUAI ($(sha256sum "$QUAI" | cut -c1-16))"
  echo "podman: $(podman --version)  (runtime $(in_v1ns "${P[@]}" info --format '{{.Host.OCIRuntime.Name}}'))"
  echo "crun: $(crun --version | head -1)"
  echo "image: quai's busybox (quai save | podman load: $image), bundle rootfs from the same layer"
  echo "temp dir: $T on $(df --output=fstype "$T" | tail -1)"
  echo "hyperfine $(hyperfine --version | cut -d' ' -f2), RUNS=$RUNS in $ROUNDS rounds, WARMUP=$WARMUP"
  echo "commands (all in one private mount ns without /sys/fs/cgroup/unified):"
  for name in "${ORDER[@]}"; do echo "  $name: ${CMD[$name]}"; done
} | tee "$OUT/meta.txt" >&2

# --- timing: ROUNDS hyperfine runs with all three side by side, order rotated each round
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
for ((r = 0; r < ROUNDS; r++)); do
  args=()
  for ((k = 0; k < ${#ORDER[@]}; k++)); do
    name=${ORDER[$(( (k + r) % ${#ORDER[@]} ))]}
    args+=(-n "$name" "${CMD[$name]}")
  done
  log "round $((r + 1))/$ROUNDS (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
  in_v1ns hyperfine -N --runs "$per" --warmup "$WARMUP" --export-json "$OUT/round$r.json" \
    "${args[@]}" </dev/null >&2
done
if [ "$HOST_NS" = 1 ]; then
  log "quai in the host mount namespace (hybrid cgroups: one more hierarchy)"
  hyperfine -N --runs "$per" --warmup "$WARMUP" --export-json "$OUT/hostns.json" \
    -n "quai (host ns)" "${CMD[quai]}" </dev/null >&2
fi

# --- peak RSS of quai run: the CLI and the monitor (a descendant that outlives the CLI's wait)
for ((i = 0; i < RSS_RUNS; i++)); do
  # shellcheck disable=SC2086
  in_v1ns "$PEAK_RSS" ${CMD[quai]} </dev/null 2>>"$OUT/rss.txt"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR==0) ? "-" : (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
rss_cli=$(sed -n 's/^peak_rss: cli .*maxrss_kib=//p' "$OUT/rss.txt" | median)
rss_monitor=$(sed -n 's/^peak_rss: descendant .*maxrss_kib=//p' "$OUT/rss.txt" | median)

# --- table: pooled medians, ratios, targets
hostns_json=()
if [ "$HOST_NS" = 1 ]; then hostns_json=("$OUT/hostns.json"); fi
jq -r -s '[.[] | .results[]] | group_by(.command)[]
  | (map(.times) | add | sort) as $t | ($t | length) as $n
  | [.[0].command, (if $n % 2 == 1 then $t[($n - 1) / 2] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end),
     ($t | add / $n), $t[0], (map(.median) | min), (map(.median) | max), $n] | @tsv' \
  "$OUT"/round*.json "${hostns_json[@]}" >"$OUT/summary.tsv"
awk -F'\t' -v rss_cli="$rss_cli" -v rss_mon="$rss_monitor" '
  { name[NR] = $1; med[$1] = $2 * 1000; mean[$1] = $3 * 1000; mn[$1] = $4 * 1000
    lo[$1] = $5 * 1000; hi[$1] = $6 * 1000; n[$1] = $7 }
  END {
    fmt = "%-16s %9s %8s %7s %13s %5s %8s\n"
    printf fmt, "command", "median_ms", "mean_ms", "min_ms", "round_medians", "runs", "vs_crun"
    for (i = 1; i <= NR; i++) {
      c = name[i]
      printf fmt, c, sprintf("%.1f", med[c]), sprintf("%.1f", mean[c]), sprintf("%.1f", mn[c]),
        sprintf("%.1f-%.1f", lo[c], hi[c]), n[c], sprintf("%.2fx", med[c] / med["crun"])
    }
    q = med["quai"]; c = med["crun"]; p = med["podman"]
    printf "\nquai / crun bundle run: %.2fx (target <= 1.5x): %s\n", q / c, (q <= 1.5 * c) ? "met" : "NOT met"
    printf "podman / quai:          %.2fx (target >= 5x):   %s\n", p / q, (p >= 5 * q) ? "met" : "NOT met"
    printf "peak RSS of quai run --rm: CLI %.1f MiB, monitor %.1f MiB (target <= 10 MiB): %s\n",
      rss_cli / 1024, rss_mon / 1024, (rss_cli <= 10240 && rss_mon <= 10240) ? "met" : "NOT met"
  }' "$OUT/summary.tsv" | tee "$OUT/table.txt"
echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg); raw: $OUT"
