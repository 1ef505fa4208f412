#!/bin/sh
# Builds each fixture of tests/fixtures/build with quai and with buildah (Debian's), from the
# same busybox image, and compares what a user gets: the image config (jq -S, build-time
# fields like dates left out) and the file tree (path, type and mode, owner, size, link
# target; not times). Prints one line per fixture and the differences; exits 1 when a
# difference is not one of those explained in docs/conformance.md and listed in
# tests/conformance/buildah-known.txt, or when buildah cannot build a fixture.
#   tests/conformance/buildah-compare.sh [QUAI=build/release/src/cli/quai/quai]
set -eu
[ -n "${TRACE:-}" ] && set -x
cd "$(dirname "$0")/../.."
QUAI=${QUAI:-$PWD/build/release/src/cli/quai/quai}
FIXTURES="config copy multistage run escape onbuild-base onbuild-child"
WORK=$(mktemp -d /var/tmp/quai-buildah-cmp.XXXXXX)
# runc: Debian 12's crun refuses containers on this hybrid cgroup layout (docs/DECISIONS.md).
B="buildah --root $WORK/buildah --runroot $WORK/buildah-run --storage-driver overlay"
q() { "$QUAI" --root "$WORK/quai" "$@"; }
cleanup() {
  $B rm -a >/dev/null 2>&1 || true
  $B rmi -a -f >/dev/null 2>&1 || true
  grep -o "$WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Config fields that differ by design between two builds of the same Dockerfile.
normalise_config='del(.Hostname, .Domainname, .Image, .Labels["io.buildah.version"])
  | with_entries(select(.value != null and .value != false and .value != ""
                        and .value != [] and .value != {}))'

# The known differences of one fixture: starts of changed diff lines, - or + included.
known_for() {
  grep -v '^#' tests/conformance/buildah-known.txt | awk -F '\t' -v f="$1" '$1 == f || $1 == "*" { print $2 }'
}

tree_of() {  # docker-archive → its files (tests/conformance/archive_tree.py)
  python3 tests/conformance/archive_tree.py "$1"
}

q image bootstrap busybox >/dev/null
q save -o "$WORK/busybox.tar" busybox
$B tag "$($B pull -q "docker-archive:$WORK/busybox.tar")" docker.io/library/busybox:latest

status=0
for f in $FIXTURES; do
  # What buildah 1.28 cannot parse is left out of both builds, and said.
  ctx=$WORK/ctx-$f
  cp -a "tests/fixtures/build/$f" "$ctx"
  python3 tests/conformance/buildah_compat.py "tests/fixtures/build/$f/Dockerfile" \
    >"$ctx/Dockerfile" 2>"$WORK/$f.dropped"
  sed "s/^/$f: /" "$WORK/$f.dropped"
  q build -q -t "cmp-$f" "$ctx" >/dev/null
  if ! $B bud -q --runtime runc --format docker --network host --layers -t "cmp-$f" "$ctx" \
      >/dev/null 2>"$WORK/$f.buildah.err"; then
    echo "$f: buildah cannot build it: $(grep -m1 Error "$WORK/$f.buildah.err")"
    status=1
    continue
  fi
  if [ "$f" = onbuild-base ]; then  # the base of onbuild-child, in each store
    q tag cmp-onbuild-base quai-onbuild-base
    $B tag localhost/cmp-onbuild-base docker.io/library/quai-onbuild-base
  fi
  q save -o "$WORK/$f.quai.tar" "cmp-$f"
  $B push -q "localhost/cmp-$f" "docker-archive:$WORK/$f.buildah.tar:cmp-$f:latest" >/dev/null
  $B inspect --type image "localhost/cmp-$f" | jq -S ".Docker.config | $normalise_config" \
    >"$WORK/$f.buildah.json"
  q image inspect "cmp-$f" | jq -S ".[0].Config | $normalise_config" >"$WORK/$f.quai.json"
  tree_of "$WORK/$f.buildah.tar" >"$WORK/$f.buildah.tree"
  tree_of "$WORK/$f.quai.tar" >"$WORK/$f.quai.tree"
  diff -u "$WORK/$f.buildah.json" "$WORK/$f.quai.json" >"$WORK/$f.diff" || true
  diff -u "$WORK/$f.buildah.tree" "$WORK/$f.quai.tree" >>"$WORK/$f.diff" || true
  # The changed lines that are not known (and explained) differences.
  known_for "$f" >"$WORK/$f.known"
  grep -E '^[-+]' "$WORK/$f.diff" | grep -vE '^(---|\+\+\+) ' |
    while IFS= read -r line; do
      known=no
      while IFS= read -r start; do
        case "$line" in "$start"*) known=yes ;; esac
      done <"$WORK/$f.known"
      [ $known = yes ] || printf '%s\n' "$line"
    done >"$WORK/$f.unknown"
  if [ ! -s "$WORK/$f.diff" ]; then
    echo "$f: same config, same files"
  elif [ ! -s "$WORK/$f.unknown" ]; then
    echo "$f: only known differences:"
    grep -E '^[-+]' "$WORK/$f.diff" | grep -vE '^(---|\+\+\+) ' | sed 's/^/    /'
  else
    echo "$f: DIFFERENT:"
    sed 's/^/    /' "$WORK/$f.diff"
    status=1
  fi
done
exit $status
