#!/usr/bin/env bash
# distribution-spec-docker-registry.sh - reference run: start Debian's
# docker-registry (Distribution 2.8.2, apt package docker-registry) on
# 127.0.0.1:$PORT with a throw-away config (filesystem storage in a temp dir,
# storage.delete.enabled=true, no auth), run distribution-spec-run.sh against
# it, then stop that registry (by its PID) and delete the temp dir.
# Needs: apt-get install docker-registry; distribution-spec-setup.sh done.
# Env: PORT (default 5000), REPORT_DIR, WORKDIR, anything distribution-spec-run.sh takes.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${PORT:-5000}
REG=${DOCKER_REGISTRY:-/usr/bin/docker-registry}
[ -x "$REG" ] || { echo "[dist-ref] $REG missing: apt-get install docker-registry" >&2; exit 2; }
T=$(mktemp -d /tmp/dist-registry.XXXXXX)
cat > "$T/config.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $T/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$PORT
YML
"$REG" serve "$T/config.yml" > "$T/registry.log" 2>&1 &
RPID=$!
cleanup() { kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; cp "$T/registry.log" "${REPORT_DIR:-${WORKDIR:-/var/tmp/distribution-conformance}/report}/registry.log" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null && break
  kill -0 "$RPID" 2>/dev/null || { echo "[dist-ref] docker-registry exited:" >&2; cat "$T/registry.log" >&2; exit 2; }
  sleep 0.2
done
echo "[dist-ref] docker-registry pid $RPID on 127.0.0.1:$PORT ($("$REG" --version))" >&2
"$HERE/distribution-spec-run.sh" "http://127.0.0.1:$PORT" "${1:-conformance/test}"
