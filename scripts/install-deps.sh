#!/bin/sh
# install-deps.sh: every Debian 12 package that quai's build, tests and benchmarks need.
# Run as root. Skips apt entirely when everything is already installed.
set -eu
PACKAGES="
  build-essential cmake ninja-build pkg-config ccache git
  libseccomp-dev libcap-dev libssl-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libarchive-dev libzstd-dev zlib1g-dev libcurl4-openssl-dev libboost-dev libcrypt-dev libisal-dev
  libxml2-dev libicu-dev nettle-dev liblzma-dev libbz2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev clang-format
  busybox-static util-linux procps iproute2 jq tmux python3
  podman buildah crun runc skopeo umoci debootstrap hyperfine time tini
  docker-registry apache2-utils openssl curl
  libnl-3-dev libnl-route-3-dev libnftables-dev nftables iperf3 wrk
"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
