#!/bin/sh
# Runs after every integration test (ctest fixture cleanup): the suite must leave no
# mounts, cgroups, processes, interfaces, firewall tables or state of its containers on the machine.
set -u
found=0
report() { echo "leak: $*"; found=1; }
if [ "$(id -u)" != 0 ]; then echo "leak_check: not root, nothing could have been left"; exit 0; fi
mounts=$(grep -E 'quai-it' /proc/self/mountinfo | awk '{print $5}')
[ -z "$mounts" ] || report "mounts: $mounts"
cgroups=$(find /sys/fs/cgroup -maxdepth 3 -type d \( -name 'quai' -o -name 'quai-it*' -o -name 'quaiit*' -o -name 'libpod-*' \) 2>/dev/null)
[ -z "$cgroups" ] || report "cgroups: $cgroups"
procs=$(pgrep -f 'quai-testhelper|quai-it' | grep -v "^$$\$" || true)
[ -z "$procs" ] || report "processes: $(ps -o pid=,args= -p "$(echo $procs | tr ' ' ',')" 2>/dev/null)"
links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(qbr-|qv[0-9a-f]{12})' || true)
[ -z "$links" ] || report "interfaces: $(echo $links)"
tables=$(nft list tables 2>/dev/null | awk '$3 ~ /^quai_/ {print $3}')
[ -z "$tables" ] || report "nftables tables: $(echo $tables)"
dirs=$(find /tmp -maxdepth 1 -name 'quai-it*' 2>/dev/null)
[ -z "$dirs" ] || report "temp dirs: $dirs"
[ "$found" = 0 ] && echo "leak_check: no leftover mounts, cgroups, processes, interfaces, nftables tables or temp dirs"
exit "$found"
