#!/usr/bin/env bash
# The .deb on a clean Debian 12: an mmdebstrap chroot (minbase, no Swift toolchain), the
# package installed with apt from the file, then `hostimg keygen` and a signed `hostimg build`
# of the example (from a copy of manifests/, kernels/, hardware/ and overlays/) run from /
# inside it, and `hostimg verify` of the image and of the provenance.
# Needs root and Debian's mirror.
#
# usage: scripts/test-deb-install.sh DEB
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(readlink -f "${1:?usage: scripts/test-deb-install.sh DEB}")
work=$(mktemp -d /var/tmp/hostimg-deb-test.XXXXXX)
root=$work/root
cleanup() {
  for m in proc sys dev; do umount -R -l "$root/$m" 2>/dev/null || true; done
  # Never remove through a mount that is still there (the host's /dev, /proc or /sys).
  for m in proc sys dev; do
    if mountpoint -q "$root/$m"; then echo "$root/$m is still mounted; $work left in place" >&2; return; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
# The sources of a fresh Debian 12 install: the example uses the builder's apt sources.
mmdebstrap --variant=minbase --include=ca-certificates bookworm "$root" \
  "deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main" >/dev/null 2>"$work/mmdebstrap.log" \
  || { cat "$work/mmdebstrap.log" >&2; exit 1; }
cp "$deb" "$root/tmp/"
mkdir -p "$root/srv/project"
cp -r manifests kernels hardware overlays "$root/srv/project/"
for m in proc sys dev; do mount --rbind "/$m" "$root/$m"; done
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" /bin/sh -c "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/$(basename "$deb") >/dev/null"
chroot "$root" /bin/sh -c "command -v swift || echo 'no swift toolchain here'; hostimg --version; man -w hostimg-build 2>/dev/null || ls /usr/share/man/man1/hostimg-build.1.gz"
chroot "$root" /bin/sh -c "cd / && hostimg keygen --out /srv/keys >/dev/null 2>&1 && hostimg build /srv/project/manifests/qemu-dev.yaml --locked -o /srv/out --key /srv/keys/key.pem --cert /srv/keys/cert.pem" | tail -4
chroot "$root" /bin/sh -c "cd / && ls /srv/out && hostimg verify /srv/out/qemu-dev.img --cert /srv/keys/cert.pem >/dev/null && hostimg verify --provenance /srv/out --cert /srv/keys/cert.pem | tail -1"
