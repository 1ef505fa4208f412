#!/bin/bash
# layer-unpack.sh: unpack time of one gzip layer, quai's unpack_layer vs `tar -xzf` vs
# `umoci unpack`. The layer is $LAYER when set (the Debian image: LAYER=$(bench/debian-layer.sh)),
# else one made from system directories ($SOURCES). See bench/README.md.
set -euo pipefail

RUNS=${RUNS:-20}
WARMUP=${WARMUP:-2}
TMPBASE=${TMPBASE:-/var/tmp}
RESULTS=${RESULTS:-/var/tmp/quai-bench}
SOURCES=${SOURCES:-"usr/lib/python3.11 usr/share/perl usr/lib/x86_64-linux-gnu/perl usr/share/i18n usr/share/zoneinfo usr/lib/x86_64-linux-gnu/gconv etc"}
# Each run's tree is moved aside instead of removed on disk file systems (not tmpfs): ext4
# skips inodes freed in the last minute when it allocates (recently_deleted()), and scanning
# past thousands of them cost every tool 4-5 s of system time, more than the unpack itself.
KEEP_TREES=${KEEP_TREES:-auto}
HERE=$(cd "$(dirname "$0")" && pwd)
UNPACK=${UNPACK_LAYER:-$HERE/../build/release/bench/unpack_layer}

for tool in hyperfine jq umoci tar gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "layer-unpack: $tool not installed" >&2; exit 1; }
done
[ -x "$UNPACK" ] || {
  echo "layer-unpack: build it first: cmake --preset release -DQUAI_BENCH=ON &&" \
    "ninja -C build/release unpack_layer (or set UNPACK_LAYER)" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || { echo "layer-unpack: run as root (ownership, devices)" >&2; exit 1; }

WORK=$(mktemp -d "$TMPBASE/quai-layer-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
OUT=$RESULTS/layer-unpack-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

# 1. The layer: $LAYER, or a gzip tar of system directories, made as a registry layer would
# be (numeric owners, paths relative to /).
if [ -n "${LAYER:-}" ]; then
  gzip -t "$LAYER" || { echo "layer-unpack: $LAYER is not a gzip file" >&2; exit 1; }
  cp "$LAYER" "$WORK/layer.tar.gz"
else
  # shellcheck disable=SC2086  # SOURCES is a list of paths
  tar -C / --numeric-owner -czf "$WORK/layer.tar.gz" $SOURCES
fi
diff_id=$(gzip -dc "$WORK/layer.tar.gz" | sha256sum | cut -d' ' -f1)
tar_size=$(gzip -dc "$WORK/layer.tar.gz" | wc -c)
entries=$(tar -tzf "$WORK/layer.tar.gz" | wc -l)

# 2. An OCI image layout around the same blob, for umoci: oci-layout, index.json, a
# manifest and a config, each stored under its sha256.
blob() {  # blob FILE -> prints "digest size" after storing FILE in the layout
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$WORK/oci/blobs/sha256/$digest"
  echo "$digest $size"
}
mkdir -p "$WORK/oci/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' >"$WORK/oci/oci-layout"
cp "$WORK/layer.tar.gz" "$WORK/layer.blob"
read -r layer_digest layer_size < <(blob "$WORK/layer.blob")
jq -n --arg d "sha256:$diff_id" \
  '{architecture:"amd64",os:"linux",config:{},rootfs:{type:"layers",diff_ids:[$d]}}' \
  >"$WORK/config.json"
read -r config_digest config_size < <(blob "$WORK/config.json")
jq -n --arg cd "sha256:$config_digest" --argjson cs "$config_size" \
  --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" \
  '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$ld,size:$ls}]}' \
  >"$WORK/manifest.json"
read -r manifest_digest manifest_size < <(blob "$WORK/manifest.json")
jq -n --arg d "sha256:$manifest_digest" --argjson s "$manifest_size" \
  '{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",
    digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":"bench"}}]}' \
  >"$WORK/oci/index.json"

# 3. Same result: quai's diff_id, and the same tree as tar's (names, types, modes, owners,
# link targets, mtimes, content).
"$UNPACK" "$WORK/layer.tar.gz" "$WORK/check-quai" >"$OUT/unpack_layer.out"
grep -q "sha256:$diff_id" "$OUT/unpack_layer.out" || { echo "layer-unpack: diff_id differs" >&2; exit 1; }
mkdir "$WORK/check-tar"
tar -xzf "$WORK/layer.tar.gz" -C "$WORK/check-tar"
listing() {
  (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %l %T@\n' | sort &&
    find . \( -type b -o -type c \) -exec stat -c '%n device %t:%T' {} + | sort)
}
# Contents of regular files (diff -r cannot compare device nodes, which the Debian layer has).
contents() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
# Directories that the tar does not list (parents of the sources) get times of the moment.
diff <(listing "$WORK/check-quai" | grep -v -E '^\./(usr|usr/lib|usr/share|usr/lib/x86_64-linux-gnu) d') \
  <(listing "$WORK/check-tar" | grep -v -E '^\./(usr|usr/lib|usr/share|usr/lib/x86_64-linux-gnu) d') \
  >"$OUT/tree.diff" || { echo "layer-unpack: trees differ, see $OUT/tree.diff" >&2; exit 1; }
cmp -s <(contents "$WORK/check-quai") <(contents "$WORK/check-tar") ||
  { echo "layer-unpack: file contents differ" >&2; exit 1; }
mkdir "$WORK/old"
mv "$WORK/check-quai" "$WORK/check-tar" "$WORK/old/"

# 4. Timing. Every run starts from an empty target after `sync`, so that writeback of the
# previous run's files does not land in the next one's time.
if [ "$KEEP_TREES" = auto ]; then
  [ "$(stat -f -c %T "$WORK")" = tmpfs ] && KEEP_TREES=0 || KEEP_TREES=1
fi
if [ "$KEEP_TREES" = 1 ]; then
  prepare="sh -c 'if [ -e $WORK/out ]; then mv $WORK/out $WORK/old/\$(date +%s%N); fi; mkdir $WORK/out && sync'"
else
  prepare="sh -c 'rm -rf $WORK/out && mkdir $WORK/out && sync'"
fi
hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$OUT/hyperfine.json" \
  --prepare "$prepare" \
  -n quai "$UNPACK $WORK/layer.tar.gz $WORK/out/rootfs" \
  -n "tar -xzf" "tar -xzf $WORK/layer.tar.gz -C $WORK/out" \
  -n "umoci unpack" "umoci unpack --image $WORK/oci:bench $WORK/out/bundle" \
  | tee "$OUT/hyperfine.txt"

# 5. Summary: medians and ratios against quai.
{
  echo "layer: ${LAYER:-system directories ($SOURCES)}"
  echo "       $(stat -c %s "$WORK/layer.tar.gz") bytes gzip, $tar_size bytes tar, $entries entries"
  jq -r '.results as $r | ($r[] | select(.command == "quai") | .median) as $q |
    ["command", "median_s", "mean_s", "stddev_s", "min_s", "vs_quai"],
    ($r[] | [.command, (.median*1000|round/1000), (.mean*1000|round/1000),
             (.stddev*1000|round/1000), (.min*1000|round/1000),
             ((.median/$q*100|round)/100 | tostring + "x")]) | @tsv' "$OUT/hyperfine.json" |
    column -t -s $'\t'
  echo "target: $(stat -f -c %T "$WORK") ($TMPBASE), trees kept between runs: $KEEP_TREES"
  echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(uname -r)"
} | tee "$OUT/summary.txt"
