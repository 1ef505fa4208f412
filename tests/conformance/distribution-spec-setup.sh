#!/usr/bin/env bash
# distribution-spec-setup.sh - build the OCI distribution-spec conformance
# suite (github.com/opencontainers/distribution-spec, conformance/) OFFLINE
# on Debian 12, as a compiled ginkgo test binary (`go test -c`).
#
# Why it is built this way:
# - No Go module proxy is reachable, only Debian's apt. So the build runs in
#   GOPATH mode (GO111MODULE=off) with GOPATH=$WORKDIR/gopath:/usr/share/gocode:
#   Debian's golang-*-dev packages install their source as a GOPATH tree, and
#   GOPATH mode ignores go.mod/go.sum version pins (no module graph to resolve,
#   so no go.mod of any transitive dependency has to be downloaded).
# - Debian packages (apt) provide: ginkgo v2 2.15.0 and gomega 1.27.10 (both
#   from bookworm-backports; bookworm itself only has ginkgo v1 / gomega 1.10),
#   go-digest, google/uuid, go-resty 2.6.0, govalidator, mapstructure, x/net,
#   x/sys, x/text, go-logr, pprof. The suite pins ginkgo 2.11 / gomega 1.27.8 /
#   resty 2.7.0 but compiles against these.
# - Debian installs resty at github.com/go-resty/resty (no /v2 suffix), so a
#   symlink $WORKDIR/gopath/src/github.com/go-resty/resty/v2 -> it is made.
# - Not in Debian: github.com/bloodorangeio/reggie (the suite's HTTP client):
#   taken from a git snapshot (REGGIE_GIT, tag v0.6.1, as the suite's go.mod).
# - Go >= 1.21 (golang-1.2x-go from bookworm-backports; bookworm's 1.19 is too
#   old for ginkgo 2.15, whose go.mod says go 1.20); installs under
#   /usr/lib/go-1.2x and does not replace /usr/bin/go.
# - Suite commit: 13a5d3ee (main, 2026-04-13) = the LAST commit whose
#   conformance/ is the ginkgo/reggie suite; the next commit (a221f94
#   "Conformance redesign") replaces it by a `go build` program that needs
#   go 1.24 + goccy/go-yaml + image-spec 1.1.1 (not in bookworm). Compared to
#   tag v1.1.1 (a139cc4, same go.mod, also builds: SUITE_REF=v1.1.1) it has
#   the sorted tag-list check, mixed-case tags and the fixed `last` pagination
#   test (03_discovery_test.go).
#
# Nothing fetched goes into a repository: sources are unpacked under $WORKDIR.
#
# Env knobs:
#   SRC_GIT        git dir of a github.com/opencontainers/distribution-spec
#                  snapshot (required unless SRC_TARBALL)
#   SRC_TARBALL    alternatively a .tar(.gz) of that repo (top dir stripped
#                  with STRIP=1 if needed); must contain conformance/
#   SUITE_REF      commit/tag to export from SRC_GIT (default 13a5d3ee..., above)
#   REGGIE_GIT     git dir of a github.com/bloodorangeio/reggie snapshot
#   REGGIE_TARBALL alternatively a .tar(.gz) of reggie (REGGIE_STRIP=1 likewise)
#   REGGIE_REF     commit/tag (default v0.6.1 = a277a935...)
#   WORKDIR        default /var/tmp/distribution-conformance
#   SKIP_APT=1     do not touch apt
#   WITH_DOCKER_REGISTRY=1  also apt-get install docker-registry + curl, for the
#                  reference run (distribution-spec-docker-registry.sh); off by
#                  default because on a systemd host the package starts its own
#                  registry service on :5000
# Output: $WORKDIR/bin/conformance.test (path printed on the last line).
set -euo pipefail

WORKDIR=${WORKDIR:-/var/tmp/distribution-conformance}
SRC_GIT=${SRC_GIT:-}
SUITE_REF=${SUITE_REF:-13a5d3ee28577b88968656ab5b68b54dfef30158}
REGGIE_GIT=${REGGIE_GIT:-}
REGGIE_REF=${REGGIE_REF:-a277a9357ad144a16a6dc34ea422b6f94c7c62b1}
GOPATH_LOCAL=$WORKDIR/gopath
SUITE_DIR=$GOPATH_LOCAL/src/github.com/opencontainers/distribution-spec
REGGIE_DIR=$GOPATH_LOCAL/src/github.com/bloodorangeio/reggie
DEBIAN_GOCODE=/usr/share/gocode

log() { printf '[dist-setup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- packages
BPO_PKGS="golang-github-onsi-ginkgo-v2-dev golang-gomega-dev"
PKGS="golang-github-opencontainers-go-digest-dev golang-github-google-uuid-dev
  golang-github-go-resty-resty-dev golang-github-asaskevich-govalidator-dev
  golang-github-mitchellh-mapstructure-dev golang-golang-x-net-dev git tar gzip"
if [ "${SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding Debian bookworm-backports apt source"
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  apt-get update -q >/dev/null
  GOPKG=
  for v in 1.23 1.22 1.21; do
    if apt-cache show "golang-$v-go" >/dev/null 2>&1; then GOPKG=golang-$v-go; break; fi
  done
  [ -n "$GOPKG" ] || die "no golang-1.2x-go (>= 1.21) in apt; is bookworm-backports reachable?"
  log "installing $GOPKG $BPO_PKGS (bookworm-backports) and $(echo $PKGS)"
  apt-get install -y -q -t bookworm-backports $GOPKG $BPO_PKGS >/dev/null \
    || die "apt-get install -t bookworm-backports $GOPKG $BPO_PKGS failed"
  # shellcheck disable=SC2086
  apt-get install -y -q $PKGS >/dev/null || die "apt-get install $PKGS failed"
  if [ "${WITH_DOCKER_REGISTRY:-0}" = 1 ]; then
    apt-get install -y -q docker-registry curl >/dev/null || die "apt-get install docker-registry failed"
  fi
fi

GOBIN_DIR=
for v in 1.24 1.23 1.22 1.21; do
  if [ -x /usr/lib/go-$v/bin/go ]; then GOBIN_DIR=/usr/lib/go-$v/bin; break; fi
done
[ -n "$GOBIN_DIR" ] || die "Go >= 1.21 not found under /usr/lib/go-1.2x (install golang-1.23-go from bookworm-backports)"
export PATH=$GOBIN_DIR:$PATH
log "using $(go version)"

# Debian library sources the suite needs (package -> GOPATH dir).
missing=
for d in github.com/onsi/ginkgo/v2:golang-github-onsi-ginkgo-v2-dev \
         github.com/onsi/gomega:golang-gomega-dev \
         github.com/opencontainers/go-digest:golang-github-opencontainers-go-digest-dev \
         github.com/google/uuid:golang-github-google-uuid-dev \
         github.com/go-resty/resty:golang-github-go-resty-resty-dev \
         github.com/asaskevich/govalidator:golang-github-asaskevich-govalidator-dev \
         github.com/mitchellh/mapstructure:golang-github-mitchellh-mapstructure-dev \
         golang.org/x/net:golang-golang-x-net-dev; do
  [ -d "$DEBIAN_GOCODE/src/${d%%:*}" ] || missing="$missing ${d#*:}"
done
[ -z "$missing" ] || die "missing Debian Go sources; apt-get install:$missing (ginkgo-v2/gomega with -t bookworm-backports)"
# ginkgo v2 >= 2.x with the API the suite uses (ReportAfterEach, JunitReportConfig.OmitLeafNodeType)
grep -qs OmitLeafNodeType "$DEBIAN_GOCODE/src/github.com/onsi/ginkgo/v2/reporters/junit_report.go" \
  || die "ginkgo v2 in $DEBIAN_GOCODE is too old (need >= 2.9; bookworm-backports has 2.15.0)"

# ---------------------------------------------------------------- sources
unpack() { # name git ref tarball strip dest
  local name=$1 git=$2 ref=$3 tarball=$4 strip=$5 dest=$6
  rm -rf "$dest"; mkdir -p "$dest"
  if [ -n "$tarball" ]; then
    [ -f "$tarball" ] || die "$name tarball $tarball not found"
    log "unpacking $name from $tarball"
    tar -xf "$tarball" -C "$dest" --strip-components="$strip"
    echo "tarball:$(basename "$tarball")" > "$dest/.commit"
  elif [ -n "$git" ] && git --git-dir="$git" rev-parse -q --verify "$ref^{commit}" >/dev/null 2>&1; then
    log "exporting $name $ref from $git"
    git --git-dir="$git" archive "$ref" | tar -x -C "$dest"
    git --git-dir="$git" rev-parse "$ref^{commit}" > "$dest/.commit"
  elif [ -n "$git" ]; then
    die "$name: $git is not a git dir or lacks $ref (git --git-dir=$git log --oneline -3)"
  else
    return 1
  fi
}

unpack distribution-spec "$SRC_GIT" "$SUITE_REF" "${SRC_TARBALL:-}" "${STRIP:-0}" "$SUITE_DIR" || {
  log "no distribution-spec source: get a snapshot of github.com/opencontainers/distribution-spec"
  die "(e.g. the fetch tool: github:opencontainers/distribution-spec) and set SRC_GIT to its git dir, or SRC_TARBALL"
}
[ -f "$SUITE_DIR/conformance/00_conformance_suite_test.go" ] && [ -f "$SUITE_DIR/conformance/setup.go" ] \
  || die "$SUITE_DIR/conformance is not the ginkgo suite (ref $SUITE_REF is probably after the 'Conformance redesign'; use the default SUITE_REF or v1.1.1)"
unpack reggie "$REGGIE_GIT" "$REGGIE_REF" "${REGGIE_TARBALL:-}" "${REGGIE_STRIP:-0}" "$REGGIE_DIR" || {
  log "no reggie source (github.com/bloodorangeio/reggie is not packaged by Debian):"
  die "fetch github:bloodorangeio/reggie and set REGGIE_GIT to its git dir, or REGGIE_TARBALL"
}
[ -f "$REGGIE_DIR/client.go" ] && [ -f "$REGGIE_DIR/request.go" ] || die "$REGGIE_DIR does not look like reggie"

# import path github.com/go-resty/resty/v2 -> Debian's github.com/go-resty/resty
mkdir -p "$GOPATH_LOCAL/src/github.com/go-resty/resty"
ln -sfn "$DEBIAN_GOCODE/src/github.com/go-resty/resty" "$GOPATH_LOCAL/src/github.com/go-resty/resty/v2"

# ---------------------------------------------------------------- build (offline)
export GO111MODULE=off GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOFLAGS=
export GOPATH=$GOPATH_LOCAL:$DEBIAN_GOCODE GOCACHE=$WORKDIR/gocache
COMMIT=$(cat "$SUITE_DIR/.commit")
VERSION="${COMMIT:0:12}"
mkdir -p "$WORKDIR/bin"
cd "$SUITE_DIR/conformance"
log "building conformance test binary (suite $COMMIT, reggie $(cat "$REGGIE_DIR/.commit"))"
go test -c -p "${BUILD_JOBS:-1}" \
  -ldflags "-X github.com/opencontainers/distribution-spec/conformance.Version=$VERSION" \
  -o "$WORKDIR/bin/conformance.test" . || die "go test -c failed (see above)"
echo "$COMMIT" > "$WORKDIR/bin/conformance.commit"
log "done; run: distribution-spec-run.sh URL [NAMESPACE]"
echo "$WORKDIR/bin/conformance.test"
