#!/bin/sh
# demo.sh: the main job. Makes a busybox root filesystem from the host's busybox-static,
# writes an OCI bundle for it, and runs a container with quai-runtime.
set -eu
runtime=${QUAI_RUNTIME:-quai-runtime}
work=$(mktemp -d /tmp/quai-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$(dirname "$0")/busybox-rootfs.sh" "$work/rootfs"
cd "$work"
"$runtime" spec
command='echo "hello from a quai container: $(hostname), pid $$, $(cat /proc/self/cgroup | wc -l) cgroups"; uname -srm'
jq --arg c "$command" '.process.terminal = false | .process.args = ["sh", "-c", $c]' config.json > config.new
mv config.new config.json
echo "running: $runtime run demo-$$ -- sh -c '$command'"
"$runtime" --root "$work/state" run "demo-$$"
