#!/usr/bin/env bash
# distribution-spec-run.sh URL [NAMESPACE] - run the OCI distribution-spec
# conformance binary (built by distribution-spec-setup.sh) against the
# registry at URL with all four workflows enabled: pull, push, content
# discovery, content management (OCI_TEST_* = 1), a cross-mount namespace set.
#
# URL        e.g. http://127.0.0.1:5000 (http:// is added if no scheme given)
# NAMESPACE  repository to test in (default conformance/test); the cross-mount
#            source repo is $OCI_CROSSMOUNT_NAMESPACE (default NAMESPACE-mount)
#
# Env knobs:
#   CONFORMANCE_BIN  test binary (default $WORKDIR/bin/conformance.test)
#   WORKDIR          default /var/tmp/distribution-conformance
#   REPORT_DIR       where junit.xml, report.html, report.json, specs.txt and
#                    run.log go (default $WORKDIR/report); it is emptied first
#   SUITE_TIMEOUT    ginkgo -timeout (default 10m)
#   FOCUS / SKIP     ginkgo -focus / -skip regexps on spec texts
#   any OCI_* variable of the suite (OCI_USERNAME, OCI_PASSWORD, OCI_DEBUG,
#   OCI_HIDE_SKIPPED_WORKFLOWS, OCI_DELETE_MANIFEST_BEFORE_BLOBS,
#   OCI_AUTOMATIC_CROSSMOUNT, OCI_SKIP_EMPTY_LAYER_PUSH_TEST, ...) is passed on.
#
# Last line printed: "conformance: N passed, N failed, N skipped" (specs).
# Exit code: 0 if no spec failed, 1 if any failed, 2 on usage/setup error.
set -uo pipefail

log() { printf '[dist-run] %s\n' "$*" >&2; }
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 URL [NAMESPACE]" >&2; exit 2; }

URL=$1
case $URL in http://*|https://*) ;; *) URL=http://$URL ;; esac
URL=${URL%/}
NS=${2:-conformance/test}
WORKDIR=${WORKDIR:-/var/tmp/distribution-conformance}
BIN=${CONFORMANCE_BIN:-$WORKDIR/bin/conformance.test}
REPORT_DIR=${REPORT_DIR:-$WORKDIR/report}
[ -x "$BIN" ] || { log "no test binary at $BIN: run distribution-spec-setup.sh first"; exit 2; }

rm -rf "$REPORT_DIR"; mkdir -p "$REPORT_DIR"
REPORT_DIR=$(cd "$REPORT_DIR" && pwd)

export OCI_ROOT_URL=$URL OCI_NAMESPACE=$NS
export OCI_CROSSMOUNT_NAMESPACE=${OCI_CROSSMOUNT_NAMESPACE:-$NS-mount}
export OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1
export OCI_HIDE_SKIPPED_WORKFLOWS=${OCI_HIDE_SKIPPED_WORKFLOWS:-0}
export OCI_DEBUG=${OCI_DEBUG:-0}
export OCI_REPORT_DIR=$REPORT_DIR

args=(-test.v -ginkgo.v -ginkgo.no-color -ginkgo.timeout="${SUITE_TIMEOUT:-10m}"
      -ginkgo.json-report="$REPORT_DIR/report.json")
[ -n "${FOCUS:-}" ] && args+=(-ginkgo.focus="$FOCUS")
[ -n "${SKIP:-}" ] && args+=(-ginkgo.skip="$SKIP")

log "suite $(cat "${BIN%/*}/conformance.commit" 2>/dev/null || echo '?') against $URL namespace=$NS crossmount=$OCI_CROSSMOUNT_NAMESPACE"
log "report dir: $REPORT_DIR"
# run from the report dir so stray relative output files land there too
( cd "$REPORT_DIR" && "$BIN" "${args[@]}" ) 2>&1 | tee "$REPORT_DIR/run.log"
rc=${PIPESTATUS[0]}

# Per-spec results "STATE<TAB>container > ... > spec text" from the ginkgo JSON report.
if [ -s "$REPORT_DIR/report.json" ] && command -v python3 >/dev/null; then
  python3 - "$REPORT_DIR/report.json" > "$REPORT_DIR/specs.txt" <<'EOF' || true
import json, sys
for suite in json.load(open(sys.argv[1])):
    for s in suite.get("SpecReports", []):
        if s.get("LeafNodeType") != "It":
            continue
        path = " > ".join(s.get("ContainerHierarchyTexts") or [])
        print("%s\t%s > %s" % (s["State"], path, s.get("LeafNodeText", "")))
EOF
fi

# Counts: from the junit report (testsuite attributes), else from ginkgo's "Ran" line.
passed='' failed='' skipped=''
J=$REPORT_DIR/junit.xml
if [ -s "$J" ]; then
  ts=$(grep -m1 -o '<testsuite [^>]*>' "$J" || true)
  attr() { printf '%s' "$ts" | sed -n "s/.* $1=\"\\([0-9]*\\)\".*/\\1/p"; }
  tests=$(attr tests); f=$(attr failures); e=$(attr errors); skipped=$(attr skipped)
  if [ -n "$tests" ] && [ -n "$f" ] && [ -n "$skipped" ]; then
    failed=$(( f + ${e:-0} ))
    # junit "tests" also counts a suite-level ReportAfterSuite node (80 for 79
    # specs), hence the spec list below is preferred when python3 made it.
    passed=$(( tests - failed - skipped ))
  fi
fi
if [ -s "$REPORT_DIR/specs.txt" ]; then
  passed=$(grep -c '^passed' "$REPORT_DIR/specs.txt")
  failed=$(grep -Ec '^(failed|panicked|timedout|interrupted|aborted)' "$REPORT_DIR/specs.txt")
  skipped=$(grep -Ec '^(skipped|pending)' "$REPORT_DIR/specs.txt")
fi
if [ -z "$passed" ]; then
  line=$(grep -E '^(SUCCESS|FAIL)! -- [0-9]+ Passed \| [0-9]+ Failed' "$REPORT_DIR/run.log" | tail -1)
  passed=$(sed -n 's/.*-- \([0-9]*\) Passed.*/\1/p' <<<"$line")
  failed=$(sed -n 's/.*| \([0-9]*\) Failed.*/\1/p' <<<"$line")
  skipped=$(sed -n 's/.*| \([0-9]*\) Skipped.*/\1/p' <<<"$line")
fi
if [ -z "$passed" ] || [ -z "$failed" ]; then
  log "could not read results (binary exit code $rc); see $REPORT_DIR/run.log"
  echo "conformance: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
[ -s "$REPORT_DIR/specs.txt" ] && grep -Ev '^(passed|skipped)' "$REPORT_DIR/specs.txt" | sed 's/^/[dist-run] NOT PASSED: /' >&2
log "reports: $REPORT_DIR/{junit.xml,report.html,report.json,specs.txt,run.log}"
echo "conformance: $passed passed, $failed failed, ${skipped:-0} skipped"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
[ "$failed" -eq 0 ] && log "test binary exited $rc although no spec failed; see $REPORT_DIR/run.log"
exit 1
