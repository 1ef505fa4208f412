#!/bin/bash
# build.sh: `quai build` vs `buildah bud --layers` (Debian's buildah), cold (--no-cache) and
# cached, of three Dockerfiles, in one run, same base images in both stores; medians and the
# quai/buildah ratio. Run as root. See bench/README.md.
#   3line   FROM busybox / RUN echo hi > /x / CMD cat /x           (the peers' 3-line build)
#   cmulti  a C program built in a debian+gcc stage, copied into busybox
#   apt     FROM debian / RUN apt-get update && apt-get install -y python3-minimal
# Environment:
#   RUNS=15 (3line, cmulti cached)  SLOW_RUNS=3 (cmulti and apt cold, apt cached)
#   QUAI=... (default build/release/src/cli/quai/quai)  TMPBASE=/var/tmp
#   RESULTS=/var/tmp/quai-bench   ONLY="3line cmulti apt"
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=${RUNS:-15}
SLOW_RUNS=${SLOW_RUNS:-3}
TMPBASE=${TMPBASE:-/var/tmp}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
ONLY=${ONLY:-3line cmulti apt}
QUAI=${QUAI:-$HERE/../build/release/src/cli/quai/quai}
die() { echo "build.sh: $*" >&2; exit 1; }
log() { printf '## %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || die "run as root"
for t in hyperfine jq buildah; do command -v $t >/dev/null || die "$t not found (scripts/install-deps.sh)"; done
[ -x "$QUAI" ] || die "quai not found: build it or set QUAI"
QUAI=$(readlink -f "$QUAI")

T=$(mktemp -d "$TMPBASE/quai-build-bench.XXXXXX")
OUT=$RESULTS/build-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
Q="$QUAI --root $T/quai"
# Root lacks CAP_SYS_RESOURCE and the hard RLIMIT_NOFILE is 20000 here: buildah's default
# ulimits would fail (as the peers' scripts set them).
B="buildah --root $T/buildah --runroot $T/buildah-run --storage-driver overlay"
BF="--layers --network host --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
cleanup() {
  $B rm -a >/dev/null 2>&1 || true
  $B rmi -a -f >/dev/null 2>&1 || true
  grep -o "$T[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

give_buildah() {  # image name → the same image in buildah's store, under the same name
  $Q save -o "$T/$1.tar" "$1"
  $B pull -q "docker-archive:$T/$1.tar" >/dev/null
}

log "base images (not timed)"
$Q image bootstrap busybox >/dev/null
give_buildah busybox
mkdir -p "$T/ctx/3line" "$T/ctx/cmulti" "$T/ctx/apt" "$T/ctx/gcc"
printf 'FROM busybox\nRUN echo hi > /x\nCMD cat /x\n' >"$T/ctx/3line/Dockerfile"
if [[ " $ONLY " == *" cmulti "* || " $ONLY " == *" apt "* ]]; then
  $Q image bootstrap debian >/dev/null
  give_buildah debian
fi
if [[ " $ONLY " == *" cmulti "* ]]; then
  printf 'FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*\n' >"$T/ctx/gcc/Dockerfile"
  $Q build -q -t debian-gcc "$T/ctx/gcc" >/dev/null
  give_buildah debian-gcc
  printf '#include <stdio.h>\nint main(void) { puts("hello from C"); return 0; }\n' >"$T/ctx/cmulti/hello.c"
  printf 'FROM debian-gcc AS build\nWORKDIR /src\nCOPY hello.c .\nRUN gcc -O2 -static -o /hello hello.c\n\nFROM busybox\nCOPY --from=build /hello /usr/local/bin/hello\nCMD ["hello"]\n' >"$T/ctx/cmulti/Dockerfile"
fi
printf 'FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends python3-minimal\nCMD ["python3", "--version"]\n' >"$T/ctx/apt/Dockerfile"

for name in $ONLY; do
  runs=$RUNS; cold_runs=$RUNS
  [ "$name" = 3line ] || cold_runs=$SLOW_RUNS
  [ "$name" = apt ] && runs=$SLOW_RUNS
  ctx=$T/ctx/$name
  log "$name: one build each to fill the caches"
  $Q build -q -t "b-$name" "$ctx" >/dev/null
  $B bud -q $BF -t "b-$name" "$ctx" >/dev/null
  log "$name: cached"
  hyperfine -N -w 2 -r "$runs" --export-json "$OUT/$name-cached.json" \
    -n "quai build (cached)" "$Q build -q -t b-$name $ctx" \
    -n "buildah bud (cached)" "$B bud -q $BF -t b-$name $ctx" >&2
  log "$name: cold"
  hyperfine -N -w 1 -r "$cold_runs" --export-json "$OUT/$name-cold.json" \
    -n "quai build (cold)" "$Q build -q --no-cache -t b-$name $ctx" \
    -n "buildah bud (cold)" "$B bud -q --no-cache $BF -t b-$name $ctx" >&2
done

echo "| Dockerfile | quai cold | buildah cold | ratio | quai cached | buildah cached | ratio |"
echo "|---|---|---|---|---|---|---|"
for name in $ONLY; do
  med() { jq -r ".results[$2].median * 1000 | floor" "$OUT/$name-$1.json"; }
  qc=$(med cold 0); bc=$(med cold 1); qh=$(med cached 0); bh=$(med cached 1)
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  printf '| %s | %d ms | %d ms | %s× | %d ms | %d ms | %s× |\n' "$name" "$qc" "$bc" \
    "$(ratio "$qc" "$bc")" "$qh" "$bh" "$(ratio "$qh" "$bh")"
done | tee "$OUT/summary.md"
