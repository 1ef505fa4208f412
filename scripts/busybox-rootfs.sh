#!/bin/sh
# busybox-rootfs.sh DIR [HELPER]: a minimal root filesystem in DIR from the host's
# busybox-static (Debian package), with HELPER (quai-testhelper) copied to /bin if given.
set -eu
dir=$1
helper=${2:-}
[ -z "$helper" ] || helper=$(readlink -f "$helper")
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "busybox-rootfs.sh: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
ldd "$busybox" 2>&1 | grep -q 'not a dynamic' || {
  echo "busybox-rootfs.sh: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root var run home
chmod 1777 tmp
cp "$busybox" bin/busybox
# Every applet as a symlink to /bin/busybox, placed where busybox says it belongs.
for applet in $(bin/busybox --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$(dirname "$applet")"
  ln -sf /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
echo '127.0.0.1 localhost' > etc/hosts
: > etc/resolv.conf
echo busybox > etc/hostname
if [ -n "$helper" ]; then cp "$helper" bin/quai-testhelper; fi
