#!/bin/sh
# demo.sh: the main job. Makes a busybox base image from the host's busybox-static (no
# registry), runs a container from it with quai, and shows what quai keeps about it.
# QUAI names the binary (default: quai on $PATH); QUAI_ROOT the store (default /var/lib/quai).
set -eu
quai=${QUAI:-quai}
if [ -n "${QUAI_ROOT:-}" ]; then quai="$quai --root $QUAI_ROOT"; fi
$quai image bootstrap busybox
command='echo "hello from a quai container: $(hostname), pid $$, user $(id -u)"; uname -srm'
echo "running: quai run --rm busybox sh -c '$command'"
$quai run --rm busybox sh -c "$command"
$quai images busybox
