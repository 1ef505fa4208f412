#!/bin/bash
# debian-layer.sh: prints the path of a gzip layer holding the Debian image that
# `quai image bootstrap debian` makes (debootstrap with the host's apt sources, a few
# minutes), made once and cached in $QUAI_BENCH_CACHE. Run as root. See bench/README.md.
#
#   sudo LAYER=$(bench/debian-layer.sh) bench/layer-unpack.sh
#
# Environment: QUAI_BENCH_CACHE (/var/tmp/quai-bench-cache), QUAI (the quai binary, default
# build/release/src/cli/quai/quai, else PATH), TMPBASE (/var/tmp).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QUAI_BENCH_CACHE:-/var/tmp/quai-bench-cache}
QUAI=${QUAI:-$HERE/../build/release/src/cli/quai/quai}
[ -x "$QUAI" ] || QUAI=$(command -v quai || true)
LAYER=$CACHE/debian-layer.tar.gz

if [ -s "$LAYER" ]; then
  echo "$LAYER"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "debian-layer: run as root (debootstrap)" >&2; exit 1; }
if [ -z "$QUAI" ] || [ ! -x "$QUAI" ]; then
  echo "debian-layer: quai not found (set QUAI)" >&2
  exit 1
fi
for tool in jq tar gzip; do
  command -v "$tool" >/dev/null || { echo "debian-layer: $tool not installed" >&2; exit 1; }
done
mkdir -p "$CACHE"
WORK=$(mktemp -d "${TMPBASE:-/var/tmp}/quai-debian-layer.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

echo "debian-layer: quai image bootstrap debian (debootstrap, a few minutes)" >&2
"$QUAI" --root "$WORK/root" image bootstrap debian >&2
# The layer as quai exports it: an OCI archive, whose manifest names the one layer blob.
"$QUAI" --root "$WORK/root" save --format oci-archive -o "$WORK/debian.tar" debian
mkdir "$WORK/oci"
tar -xf "$WORK/debian.tar" -C "$WORK/oci"
manifest=$(jq -r '.manifests[0].digest | sub(":"; "/")' "$WORK/oci/index.json")
layers=$(jq -r '.layers | length' "$WORK/oci/blobs/$manifest")
[ "$layers" = 1 ] || { echo "debian-layer: expected one layer, found $layers" >&2; exit 1; }
blob=$WORK/oci/blobs/$(jq -r '.layers[0].digest | sub(":"; "/")' "$WORK/oci/blobs/$manifest")
# Registries serve gzip layers; quai stores its own imports uncompressed.
if [ "$(head -c2 "$blob" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
  cp "$blob" "$LAYER.tmp"
else
  gzip -n -c "$blob" >"$LAYER.tmp"
fi
mv "$LAYER.tmp" "$LAYER"
echo "$LAYER"
