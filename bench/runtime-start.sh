#!/bin/bash
# runtime-start.sh: start latency and peak RSS of quai-runtime, crun and runc on one busybox
# bundle running /bin/true. Run as root. See bench/README.md for what is measured and caveats.
#
# Environment:
#   RUNS=100          hyperfine runs per command          WARMUP=5   hyperfine warm-up runs
#   ROUNDS=4          RUNS are split into ROUNDS interleaved rounds (runtime order rotates)
#   RSS_RUNS=20       runs of `run` under GNU time -f %M (median reported)
#   RESULTS=/var/tmp/quai-bench   where the hyperfine JSON, raw RSS figures and table go
#   TMPBASE=/var/tmp  parent of the temp dir holding the bundle and the runtimes' --root dirs
#                     (its file system matters: quai-runtime fsyncs its state files)
#   QUAI_RUNTIME=quai-runtime     the quai-runtime binary (default: from PATH)
#   RUNTIMES="quai-runtime crun runc"   subset/order of runtimes to measure
#   CRUN_V1NS=auto|1|0   run crun in a private mount namespace without /sys/fs/cgroup/unified
#                        (auto: only when the host is hybrid with controllers on the v2 side)
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)

# Orphaned container inits (after `create` exits) are reparented to the nearest subreaper, else
# to PID 1. Make this script a child subreaper (bash reaps any child it is waiting for), so the
# benchmark neither depends on how fast PID 1 reaps nor leaves zombies behind. prctl(
# PR_SET_CHILD_SUBREAPER) survives execve; perl-base is Essential on Debian.
if [ -z "${QUAI_BENCH_REEXEC:-}" ]; then
  export QUAI_BENCH_REEXEC=1
  case $(uname -m) in x86_64) nr=157 ;; aarch64) nr=167 ;; *) nr= ;; esac
  if [ -n "$nr" ] && command -v perl >/dev/null 2>&1; then
    exec perl -e 'syscall($ARGV[0], 36, 1, 0, 0, 0) == 0 or warn "runtime-start.sh: PR_SET_CHILD_SUBREAPER: $!\n";
                  shift; exec {$ARGV[0]} @ARGV or die "exec: $!\n"' "$nr" /bin/bash "$SELF" "$@"
  fi
fi

RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
RSS_RUNS=${RSS_RUNS:-20}
ROUNDS=${ROUNDS:-4}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
RUNTIMES=${RUNTIMES:-"quai-runtime crun runc"}
CRUN_V1NS=${CRUN_V1NS:-auto}

die() { echo "runtime-start.sh: $*" >&2; exit 1; }
log() { printf '## %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "run as root"
for t in hyperfine jq unshare mountpoint; do
  command -v "$t" >/dev/null || die "$t not found (run scripts/install-deps.sh)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time; scripts/install-deps.sh)"
[ -x /bin/busybox ] || die "/bin/busybox not found (apt-get install busybox-static)"

# runtime name -> binary
declare -A BIN
for rt in $RUNTIMES; do
  case $rt in
    quai-runtime) b=${QUAI_RUNTIME:-$(command -v quai-runtime || true)} ;;
    crun|runc) b=$(command -v "$rt" || true) ;;
    *) die "unknown runtime $rt (quai-runtime, crun, runc)" ;;
  esac
  if [ -z "$b" ] || [ ! -x "$b" ]; then die "$rt not found (quai-runtime: build and install it; crun/runc: scripts/install-deps.sh)"; fi
  BIN[$rt]=$(readlink -f "$b")
done

# Hybrid cgroups (v1 controllers + cgroup2 at /sys/fs/cgroup/unified with controllers on it):
# crun 1.8 refuses them ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"). Run crun in a private mount namespace where the cgroup2 mount is detached, so it
# sees plain v1. The host's mounts are untouched. runc and quai-runtime run as they are.
hybrid=0
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
  hybrid=1
fi
case $CRUN_V1NS in auto) crun_ns=$hybrid ;; 1|0) crun_ns=$CRUN_V1NS ;; *) die "CRUN_V1NS=auto|1|0" ;; esac
in_v1ns() {
  unshare --mount --propagation private sh -c \
    'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 97; fi; exec "$@"' sh "$@"
}
# prefix for commands of runtime $1
ns_prefix() { if [ "$1" = crun ] && [ "$crun_ns" = 1 ]; then echo in_v1ns; fi; }

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$RESULTS/runtime-start-$STAMP
mkdir -p "$OUT"
T=$(mktemp -d "${TMPBASE:-/var/tmp}/quai-bench-start.XXXXXX")   # bundle + every --root
TAG=qbs$$                      # container ids and the cgroup path all carry this tag
CGPATH=/quai-bench-$$          # linux.cgroupsPath, the same for every runtime

# --- clean-up: containers, cgroups, temp dir; also on Ctrl-C / TERM ---------------------------
cleanup() {
  local rc=$? rt id d
  trap - EXIT INT TERM HUP
  set +e
  for rt in $RUNTIMES; do
    [ -d "$T/state/$rt" ] || continue
    for d in "$T/state/$rt"/*/; do
      [ -d "$d" ] || continue
      id=$(basename "$d")
      $(ns_prefix "$rt") "${BIN[$rt]}" --root "$T/state/$rt" delete --force "$id" >/dev/null 2>&1
    done
  done
  # anything still in our cgroup (e.g. an init blocked before `start`), then the cgroups
  for d in /sys/fs/cgroup/*/"${CGPATH#/}" /sys/fs/cgroup/"${CGPATH#/}"; do
    [ -d "$d" ] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | xargs -r kill -9 2>/dev/null
  done
  sleep 0.1
  for d in /sys/fs/cgroup/*/"${CGPATH#/}" /sys/fs/cgroup/"${CGPATH#/}"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
sha() { sha256sum "$1" | cut -c1-16; }
# quai-runtime is rebuilt and reinstalled often: measure a private copy taken now, so that a
# reinstall halfway through cannot mix two builds in one table.
QUAI_INSTALLED='' QUAI_SHA0=''
if [ -n "${BIN[quai-runtime]:-}" ]; then
  QUAI_INSTALLED=${BIN[quai-runtime]}
  mkdir -p "$T/bin"
  cp "$QUAI_INSTALLED" "$T/bin/quai-runtime"
  BIN[quai-runtime]=$T/bin/quai-runtime
  QUAI_SHA0=$(sha "$T/bin/quai-runtime")
fi

# --- bundle -------------------------------------------------------------------------------------
B=$T/bundle
log "bundle in $B"
"$REPO/scripts/busybox-rootfs.sh" "$B/rootfs"
gen=${BIN[quai-runtime]:-}
if [ -n "$gen" ]; then (cd "$B" && "$gen" spec); else (cd "$B" && "${BIN[runc]:-${BIN[crun]}}" spec); fi
mv "$B/config.json" "$T/spec.template.json"
hard_nofile=$(ulimit -Hn)
# Same config for all three runtimes:
#  - ociVersion 1.0.2: crun 1.8.1 rejects the 1.2.0 that `quai-runtime spec` writes
#    ("unknown version specified"); runc 1.1 and quai accept 1.0.2.
#  - namespaces pid/ipc/uts/mount/network/cgroup, the spec's default mounts, masked/readonly
#    paths and 3 capabilities; no seccomp (no profile all three would compile identically).
#  - rlimits clamped to the hard RLIMIT_NOFILE (root lacks CAP_SYS_RESOURCE here).
#  - one explicit cgroupsPath, so every runtime puts the container at the same place
#    (defaults differ: quai /quai/ID, crun /ID, runc /ID but memory under the caller's cgroup).
jq --arg cg "$CGPATH" --argjson hard "$hard_nofile" '
    .ociVersion = "1.0.2"
  | .process.terminal = false
  | .process.args = ["/bin/true"]
  | .root = {path: "rootfs", readonly: true}
  | .hostname = "bench"
  | .linux.namespaces = [{type:"pid"},{type:"ipc"},{type:"uts"},{type:"mount"},{type:"network"},{type:"cgroup"}]
  | del(.linux.seccomp)
  | .linux.cgroupsPath = $cg
  | .process.rlimits = [(.process.rlimits // [])[]
        | if .type == "RLIMIT_NOFILE" then .hard = ([.hard, $hard] | min) | .soft = ([.soft, .hard] | min) else . end]
  ' "$T/spec.template.json" > "$B/config.json"
cp "$B/config.json" "$OUT/config.json"

# create + start + wait for the container's init to exit + delete, with a unique id per run.
# The init's pid comes from --pid-file; waiting is a no-fork poll of /proc/PID/stat until the
# process is gone or a zombie (then `start` has returned and /bin/true has run to completion).
cat > "$T/lifecycle.sh" <<'EOF'
#!/bin/sh
# lifecycle.sh RUNTIME ROOT BUNDLE TAG PIDDIR   (RUNTIME "none": wrapper cost only)
rt=$1 root=$2 bundle=$3 id=$4l$$ pidf=$5/$4l$$.pid
if [ "$rt" = none ]; then /bin/true create; /bin/true start; /bin/true delete; exit 0; fi
"$rt" --root "$root" create --bundle "$bundle" --pid-file "$pidf" "$id" || exit 1
read -r pid < "$pidf" || [ -n "$pid" ] || exit 1   # pid files have no newline
"$rt" --root "$root" start "$id" || exit 1
while read -r st 2>/dev/null < "/proc/$pid/stat"; do
  case $st in *") Z "*|*") X "*) break ;; esac
done
"$rt" --root "$root" delete "$id" || exit 1
rm -f "$pidf"
EOF
# run with a unique id per run (needs a shell; compare with the -N fixed-id row)
cat > "$T/run-unique.sh" <<'EOF'
#!/bin/sh
# run-unique.sh RUNTIME ROOT BUNDLE TAG
exec "$1" --root "$2" run --bundle "$3" "$4u$$"
EOF
mkdir -p "$T/pid"

# --- meta ---------------------------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "host: $(hostname)  kernel: $(uname -r)  cpus: $(nproc)  model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  if [ "$hybrid" = 1 ]; then
    echo "cgroups: hybrid (v1 + cgroup2 at /sys/fs/cgroup/unified with '$(cat /sys/fs/cgroup/unified/cgroup.controllers)')"
  else
    echo "cgroups: $(stat -f -c %T /sys/fs/cgroup)"
  fi
  echo "crun in private mount ns without /sys/fs/cgroup/unified: $(if [ "$crun_ns" = 1 ]; then echo yes; else echo no; fi)"
  for rt in $RUNTIMES; do echo "$rt: ${BIN[$rt]}  $("${BIN[$rt]}" --version 2>&1 | head -1)  sha256:$(sha "${BIN[$rt]}")"; done
  [ -z "$QUAI_INSTALLED" ] || echo "quai-runtime copied from $QUAI_INSTALLED (mtime $(date -r "$QUAI_INSTALLED" -Is))"
  echo "temp dir (bundle, --root dirs): $T on $(df --output=fstype "$T" | tail -1)"
  echo "hyperfine: $(hyperfine --version)  RUNS=$RUNS ROUNDS=$ROUNDS WARMUP=$WARMUP RSS_RUNS=$RSS_RUNS"
  echo "loadavg at start: $(loadavg)"
} | tee "$OUT/meta.txt" >&2

# --- sanity: every runtime runs the bundle, and `run` removes the container on exit --------------
for rt in $RUNTIMES; do
  R=$T/state/$rt; mkdir -p "$R"; P=$(ns_prefix "$rt")
  $P "${BIN[$rt]}" --root "$R" run --bundle "$B" "${TAG}check" </dev/null \
    || die "$rt run failed on the bundle ($OUT/config.json)"
  left=$(ls -A "$R")
  cg=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name "${CGPATH#/}" | tr '\n' ' ')
  if [ -n "$left" ] || $P "${BIN[$rt]}" --root "$R" state "${TAG}check" >/dev/null 2>&1; then
    die "$rt run left the container behind (state dir: $left)"
  fi
  [ -z "$cg" ] || die "$rt run left cgroups behind: $cg"
  $P sh "$T/lifecycle.sh" "${BIN[$rt]}" "$R" "$B" "${TAG}check" "$T/pid" </dev/null \
    || die "$rt create/start/delete failed"
  [ -z "$(ls -A "$R")" ] || die "$rt delete left state behind"
  echo "$rt: run deletes the container and its cgroups on exit: yes" | tee -a "$OUT/meta.txt" >&2
done

# --- measurements -------------------------------------------------------------------------------
# The machine drifts (2 cores, other work): instead of one block of RUNS per runtime, do ROUNDS
# rounds of RUNS/ROUNDS runs each, rotating the runtime order every round, and pool the times.
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
read -r -a rts <<< "$RUNTIMES"
echo "rounds: $ROUNDS x $per runs per command (+$WARMUP warm-up runs per round)" | tee -a "$OUT/meta.txt" >&2
for ((r = 1; r <= ROUNDS; r++)); do
  for ((k = 0; k < ${#rts[@]}; k++)); do
    rt=${rts[$(( (k + r - 1) % ${#rts[@]} ))]}
    R=$T/state/$rt; P=$(ns_prefix "$rt"); bin=${BIN[$rt]}
    log "round $r/$ROUNDS: $rt (loadavg $(loadavg))"
    echo "round $r $rt loadavg before: $(loadavg)" >> "$OUT/meta.txt"
    $P hyperfine -N --runs "$per" --warmup "$WARMUP" --export-json "$OUT/$rt.round$r.json" \
      -n "$rt|run" "$bin --root $R run --bundle $B ${TAG}fixed" \
      -n "$rt|run, unique id (sh)" "sh $T/run-unique.sh $bin $R $B $TAG" \
      -n "$rt|create+start+wait+delete (sh)" "sh $T/lifecycle.sh $bin $R $B $TAG $T/pid" \
      </dev/null >&2
    [ -z "$(ls -A "$R")" ] || die "$rt left containers behind: $(ls -A "$R")"
  done
  hyperfine -N --runs "$per" --warmup "$WARMUP" --export-json "$OUT/baseline.round$r.json" \
    -n "(none)|sh wrapper, no runtime" "sh $T/lifecycle.sh none x x x x" </dev/null >&2
done
for rt in $RUNTIMES; do
  R=$T/state/$rt; P=$(ns_prefix "$rt"); bin=${BIN[$rt]}
  log "$rt: peak RSS of run, $RSS_RUNS runs"
  # shellcheck disable=SC2016 # the inner sh expands them
  $P sh -c 'i=0; while [ $i -lt "$1" ]; do
      /usr/bin/time -a -o "$2" -f %M "$3" --root "$4" run --bundle "$5" "$6" </dev/null || exit 1
      i=$((i+1)); done' sh "$RSS_RUNS" "$OUT/$rt.rss" "$bin" "$R" "$B" "${TAG}rss"
done
echo "loadavg at end: $(loadavg)" | tee -a "$OUT/meta.txt" >&2
if [ -n "$QUAI_INSTALLED" ] && [ "$(sha "$QUAI_INSTALLED")" != "$QUAI_SHA0" ]; then
  echo "note: $QUAI_INSTALLED was replaced during the benchmark; the figures are for the copy taken at the start (sha256:$QUAI_SHA0)" | tee -a "$OUT/meta.txt" >&2
fi

# --- table --------------------------------------------------------------------------------------
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"} else if (NR%2) {print a[(NR+1)/2]} else {print int((a[NR/2]+a[NR/2+1])/2)}}'; }
for rt in $RUNTIMES; do echo "$rt $(median < "$OUT/$rt.rss")"; done > "$OUT/rss.txt"
# pooled statistics over all rounds, ms: runtime, operation, median, mean, stddev, min, max,
# lowest and highest per-round median, number of runs
stats() { # NAME FILES...
  local name=$1; shift
  jq -r -s --arg name "$name" '
    [.[] | .results[] | select(.command == $name)] as $rs
    | ($rs | map(.times) | add | sort) as $t | ($t | length) as $n
    | ($t | add / $n) as $mean
    | (if $n % 2 == 1 then $t[($n - 1) / 2] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end) as $med
    | (if $n > 1 then (($t | map((. - $mean) * (. - $mean)) | add) / ($n - 1) | sqrt) else 0 end) as $sd
    | ($rs | map(.median)) as $rm
    | ($name | split("|")) + ([$med, $mean, $sd, $t[0], $t[-1], ($rm | min), ($rm | max)] | map(. * 1000)) + [$n]
    | @tsv' "$@"
}
{
  for rt in $RUNTIMES; do
    for op in "run" "run, unique id (sh)" "create+start+wait+delete (sh)"; do
      stats "$rt|$op" "$OUT/$rt".round*.json
    done
  done
  stats "(none)|sh wrapper, no runtime" "$OUT"/baseline.round*.json
} > "$OUT/summary.tsv"
awk -F'\t' -v rssfile="$OUT/rss.txt" '
  BEGIN { while ((getline l < rssfile) > 0) { split(l, a, " "); rss[a[1]] = a[2] } }
  { rt[NR]=$1; op[NR]=$2; med[NR]=$3; mean[NR]=$4; sd[NR]=$5; mn[NR]=$6; rlo[NR]=$8; rhi[NR]=$9
    if ($1 == "crun") crun[$2] = $3 }
  END {
    fmt = "%-13s %-30s %9s %8s %9s %7s %13s %8s %9s\n"
    printf fmt, "runtime", "operation", "median_ms", "mean_ms", "stddev_ms", "min_ms", "round_medians", "vs_crun", "rss_KiB"
    for (i = 1; i <= NR; i++) {
      r = (op[i] in crun && crun[op[i]] > 0) ? sprintf("%.2fx", med[i] / crun[op[i]]) : "-"
      m = (op[i] == "run" && rt[i] in rss) ? rss[rt[i]] : "-"
      printf fmt, rt[i], op[i], sprintf("%.2f", med[i]), sprintf("%.2f", mean[i]), sprintf("%.2f", sd[i]),
        sprintf("%.2f", mn[i]), sprintf("%.1f-%.1f", rlo[i], rhi[i]), r, m
    }
  }' "$OUT/summary.tsv" > "$OUT/table.txt"
{
  echo
  echo "quai bench: OCI runtime start latency, busybox bundle, /bin/true ($(date -Is), $(nproc) cpus, RUNS=$RUNS as $ROUNDS rounds)"
  cat "$OUT/table.txt"
  echo
  echo "run: hyperfine -N (no shell), fixed id (each run deletes its container, verified)."
  echo "(sh) rows include a /bin/sh wrapper; its own cost is the 'sh wrapper, no runtime' row."
  echo "round_medians: lowest-highest median of the $ROUNDS rounds (drift). vs_crun: ratio of medians."
  echo "rss_KiB: peak RSS of run, median of $RSS_RUNS runs of GNU time %M (largest ru_maxrss in the"
  echo "runtime's process tree, incl. reaped children such as runc init)."
  [ "$crun_ns" = 1 ] && echo "crun ran (with its hyperfine) in a private mount ns without /sys/fs/cgroup/unified (pure v1 view, one hierarchy fewer); runc and quai-runtime ran in the host ns (hybrid)."
  echo "loadavg: $(grep -E '^loadavg (at start|at end)' "$OUT/meta.txt" | sed 's/loadavg //' | tr '\n' ' ')"
  echo "raw: $OUT"
} | tee "$OUT/report.txt"
