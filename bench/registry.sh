#!/bin/bash
# registry.sh: image push and pull over loopback, quai against its peers, in one run.
#   client:  quai push/pull  vs  skopeo copy (and podman pull, which also unpacks), all
#            against the same docker-registry (Debian's Distribution registry)
#   server:  quai registry serve  vs  docker-registry, with the same clients
# Images: the Debian image `quai image bootstrap debian` makes (one layer, ~200 MB) and a
# 512 MiB layer of random bytes. Medians of RUNS (5) with hyperfine; ratios at the end.
# Run as root; see bench/README.md. Nothing leaves the machine: every server is on 127.0.0.1.
#
# Environment: RUNS (5), QUAI (build/release/src/cli/quai/quai), QUAI_BENCH_CACHE
# (/var/tmp/quai-bench-cache: the source store, made once), RESULTS (/var/tmp/quai-bench),
# IMAGES ("debian random").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QUAI=${QUAI:-$HERE/../build/release/src/cli/quai/quai}
CACHE=${QUAI_BENCH_CACHE:-/var/tmp/quai-bench-cache}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
RUNS=${RUNS:-5}
IMAGES=${IMAGES:-debian random}
SRC=$CACHE/src-root
for tool in hyperfine jq skopeo podman docker-registry curl; do
  command -v "$tool" >/dev/null || { echo "registry.sh: $tool not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "registry.sh: run as root" >&2; exit 1; }
mkdir -p "$CACHE" "$RESULTS"
T=$(mktemp -d /var/tmp/quai-bench-registry.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  # podman's overlay driver leaves its storage's overlay directory mounted.
  findmnt -rn -o TARGET | grep "^$T/" | sort -r | xargs -r umount -l
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

# --- the source images, made once: quai's store, and the same images in podman's storage
[ -d "$SRC/images" ] && "$QUAI" --root "$SRC" images -q debian:bookworm | grep -q . ||
  "$QUAI" --root "$SRC" image bootstrap debian >&2
if ! "$QUAI" --root "$SRC" images -q random:512 | grep -q .; then
  mkdir "$T/random"; head -c 512M /dev/urandom > "$T/random/data"
  tar -C "$T/random" -cf "$T/random.tar" data; rm -rf "$T/random"
  "$QUAI" --root "$SRC" import "$T/random.tar" random:512 >&2; rm -f "$T/random.tar"
fi
P="podman --root $T/podman/root --runroot $T/podman/run --storage-driver overlay"
for image in debian:bookworm random:512; do
  "$QUAI" --root "$SRC" save -o "$T/image.tar" "$image"
  $P load -q -i "$T/image.tar" >/dev/null; rm -f "$T/image.tar"
done
cs() { echo "containers-storage:[overlay@$T/podman/root+$T/podman/run]localhost/$1"; }
# Every run of this script starts from the same memory: with the page cache filling memory,
# each allocation reclaimed first, and a pull's system time doubled (quai's and podman's).
sync; echo 3 > /proc/sys/vm/drop_caches

# --- the servers
DIST=127.0.0.1:5101 QREG=127.0.0.1:5102
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n' \
  "$T/dist" "$DIST" > "$T/dist.yml"
docker-registry serve "$T/dist.yml" > "$T/dist.log" 2>&1 & PIDS+=($!)
"$QUAI" --root "$T/qreg-root" registry serve --addr "$QREG" --storage "$T/qreg" > "$T/qreg.log" 2>&1 &
PIDS+=($!)
for reg in $DIST $QREG; do
  for _ in $(seq 100); do curl -fs "http://$reg/v2/" >/dev/null && break; sleep 0.1; done
done
# Prepare commands (hyperfine -N runs them without a shell), one script with three verbs:
#   wipe ADDR       empty a registry's storage under the running server, keeping the
#                   directories it holds open
#   cold            forget quai's compressed copies, records and blobs: the next push
#                   compresses again, as skopeo always does
#   aside DIR       move a pull's destination out of the way (deleted at exit)
# Each ends with sync, so that no run writes back the dirty pages of the one before. A pull
# goes to a fresh directory, and the last one is moved aside, not deleted: this root file
# system has no journal, and ext4 then skips inodes freed in the last 30 s one by one when it
# allocates new ones, which made that scan half of a Debian pull's profile right after an
# `rm -rf` of the last run's 7 000 files (both quai's and podman's).
mkdir "$T/trash"
cat > "$T/prepare.sh" <<PREPARE
case \$1 in
  wipe) if [ "\$2" = "$QREG" ]; then dirs="$T/qreg/blobs/sha256 $T/qreg/repositories"; else dirs=$T/dist/docker; fi
        for d in \$dirs; do [ -d \$d ] && find \$d -mindepth 1 -delete; done ;;
  cold) for record in $SRC/compressed/*/*; do
          [ -f "\$record" ] && rm -f "$SRC/blobs/sha256/\$(cut -d: -f2 "\$record")"
        done
        rm -rf "$SRC/compressed" ;;
  aside) [ -e "\$2" ] && mv "\$2" "$T/trash/\$(date +%s%N)" ;;
esac
sync
PREPARE
prep() { echo "sh $T/prepare.sh $*"; }
wipe() { echo "sh -c 'sh $T/prepare.sh wipe $1; ${2:+sh $T/prepare.sh $2}'"; }

SK="skopeo --insecure-policy"
for name in $IMAGES; do
  image=$([ "$name" = debian ] && echo debian:bookworm || echo random:512)
  repo=bench/$name
  JSON=$RESULTS/registry-$name.json
  "$QUAI" --root "$SRC" tag "$image" "$DIST/$repo:1"
  "$QUAI" --root "$SRC" tag "$image" "$QREG/$repo:1"
  # Pushes: a fresh registry each run; quai "cold" compresses again (as skopeo always does),
  # "warm" reuses the compressed blob it kept from the last push.
  hyperfine -N -r "$RUNS" --export-json "$RESULTS/registry-$name-push.json" \
    -p "$(wipe $DIST cold)" -n "quai push (cold) -> docker-registry" \
      "$QUAI --root $SRC push -q $DIST/$repo:1" \
    -p "$(wipe $DIST)" -n "quai push (warm) -> docker-registry" \
      "$QUAI --root $SRC push -q $DIST/$repo:1" \
    -p "$(wipe $DIST)" -n "skopeo push -> docker-registry" \
      "$SK copy -q --dest-tls-verify=false $(cs "$image") docker://$DIST/$repo:1" \
    -p "$(wipe $QREG)" -n "skopeo push -> quai registry" \
      "$SK copy -q --dest-tls-verify=false $(cs "$image") docker://$QREG/$repo:1" \
    -p "$(wipe $QREG cold)" -n "quai push (cold) -> quai registry" \
      "$QUAI --root $SRC push -q $QREG/$repo:1" \
    -p "$(wipe $QREG)" -n "quai push (warm) -> quai registry" \
      "$QUAI --root $SRC push -q $QREG/$repo:1" >&2 </dev/null
  # Pulls of what skopeo pushed last (gzip layers), into fresh storage each run.
  $SK copy -q --dest-tls-verify=false "$(cs "$image")" "docker://$DIST/$repo:1"
  $SK copy -q --dest-tls-verify=false "$(cs "$image")" "docker://$QREG/$repo:1"
  hyperfine -N -r "$RUNS" --export-json "$RESULTS/registry-$name-pull.json" \
    -p "$(prep aside $T/pull)" -n "quai pull (+unpack) <- docker-registry" \
      "$QUAI --root $T/pull pull -q $DIST/$repo:1" \
    -p "$(prep aside $T/pull)" -n "podman pull (+unpack) <- docker-registry" \
      "podman --root $T/pull/root --runroot $T/pull/run --storage-driver overlay pull -q --tls-verify=false $DIST/$repo:1" \
    -p "$(prep aside $T/pull)" -n "skopeo pull (dir:) <- docker-registry" \
      "$SK copy -q --src-tls-verify=false docker://$DIST/$repo:1 dir:$T/pull" \
    -p "$(prep aside $T/pull)" -n "skopeo pull (dir:) <- quai registry" \
      "$SK copy -q --src-tls-verify=false docker://$QREG/$repo:1 dir:$T/pull" \
    -p "$(prep aside $T/pull)" -n "quai pull (+unpack) <- quai registry" \
      "$QUAI --root $T/pull pull -q $QREG/$repo:1" >&2 </dev/null
  findmnt -rn -o TARGET | { grep "^$T/trash/" || true; } | sort -r | xargs -r umount -l
  rm -rf "${T:?}"/trash/*
  jq -s '{results: (map(.results) | add)}' "$RESULTS/registry-$name-push.json" \
    "$RESULTS/registry-$name-pull.json" > "$JSON"
  size=$(du -sb "$T/dist/docker/registry/v2/blobs" | cut -f1)
  echo "== $name: registry holds $size bytes (compressed layer + config + manifest)"
  jq -r --argjson size "$size" '.results[] |
    "\(.command)\t\(.median * 1000 | floor) ms\t\(($size / .median / 1048576) | floor) MiB/s"' "$JSON" |
    column -t -s $'\t'
  med() { jq -r --arg c "$1" '.results[] | select(.command == $c) | .median' "$JSON"; }
  ratio() { echo "scale=2; $(med "$1") / $(med "$2")" | bc; }
  echo "ratios (time, lower is better for the first):"
  echo "  quai pull / podman pull (docker-registry):          $(ratio "quai pull (+unpack) <- docker-registry" "podman pull (+unpack) <- docker-registry")"
  echo "  quai push cold / skopeo push (docker-registry):     $(ratio "quai push (cold) -> docker-registry" "skopeo push -> docker-registry")"
  echo "  quai push warm / skopeo push (docker-registry):     $(ratio "quai push (warm) -> docker-registry" "skopeo push -> docker-registry")"
  echo "  quai push cold / skopeo push (quai registry):       $(ratio "quai push (cold) -> quai registry" "skopeo push -> quai registry")"
  echo "  quai pull / skopeo pull to dir: (docker-registry):  $(ratio "quai pull (+unpack) <- docker-registry" "skopeo pull (dir:) <- docker-registry")"
  echo "  skopeo push: quai registry / docker-registry:       $(ratio "skopeo push -> quai registry" "skopeo push -> docker-registry")"
  echo "  skopeo pull: quai registry / docker-registry:       $(ratio "skopeo pull (dir:) <- quai registry" "skopeo pull (dir:) <- docker-registry")"
done
