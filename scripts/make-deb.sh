#!/usr/bin/env bash
# `make deb`: hostimg as a Debian package, hostimg_VERSION_amd64.deb in DEST (default out/):
#   /usr/bin/hostimg                    the tool (Swift runtime and Foundation linked statically)
#   /usr/lib/hostimg/hostimg-init       the initrd's /init (a static executable)
#   /usr/lib/hostimg/hostimg-agent      the on-host agent put into every image
#   /usr/share/man/man1/hostimg*.1.gz   man pages generated from --help (help2man)
#   /usr/share/bash-completion/completions/hostimg
# The build finds the init and the agent in ../lib/hostimg/ from /proc/self/exe, so the
# installed `hostimg build` works from any directory. Depends on the shared libraries the
# binaries link (dpkg-shlibdeps), plus the tools the build runs (depmod, gpgv).
#
# usage: scripts/make-deb.sh BUILD_DIR [DEST]    (BUILD_DIR holds the release binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/make-deb.sh BUILD_DIR [DEST]}
dest=${2:-out}
for tool in help2man dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install help2man dpkg-dev)" >&2; exit 2; }
done
for program in hostimg hostimg-init hostimg-agent; do
  [ -x "$build/$program" ] || { echo "$build/$program is missing: build the release products first (make deb does)" >&2; exit 2; }
done
version=$("$build/hostimg" --version)
work=$(mktemp -d /var/tmp/hostimg-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/hostimg_${version}_amd64

install -D -m 0755 "$build/hostimg" "$root/usr/bin/hostimg"
install -D -m 0755 "$build/hostimg-init" "$root/usr/lib/hostimg/hostimg-init"
install -D -m 0755 "$build/hostimg-agent" "$root/usr/lib/hostimg/hostimg-agent"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/hostimg" 2>/dev/null || true

# Man pages: hostimg(1) and one per subcommand, from the commands' own --help.
mkdir -p "$root/usr/share/man/man1"
page() {  # page NAME SUMMARY [SUBCOMMAND]
  local name=$1 summary=$2 sub=${3:-}
  help2man --no-info --no-discard-stderr --version-string="$version" --name="$summary" \
    --help-option="${sub:+$sub }--help" "$build/hostimg" \
    | sed "s/^\.TH HOSTIMG /.TH $(echo "$name" | tr a-z- A-Z-) /" \
    | gzip -9n > "$root/usr/share/man/man1/$name.1.gz"
}
page hostimg "build and run minimal, immutable hypervisor-host images"
for sub in build lint verify inspect sign keygen explain switch status; do
  summary=$("$build/hostimg" "$sub" --help 2>&1 | sed -n 's/^OVERVIEW: //p' | head -1)
  page "hostimg-$sub" "${summary:-hostimg $sub}" "$sub"
done
mkdir -p "$root/usr/share/bash-completion/completions"
"$build/hostimg" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/hostimg"

# What lintian flags on purpose: the initrd's /init is static (it runs before any library is
# there), and the YAML parser (Yams) carries libyaml's C sources inside the tool.
mkdir -p "$root/usr/share/lintian/overrides"
cat > "$root/usr/share/lintian/overrides/hostimg" <<'OVERRIDES'
# The initrd's /init runs before the root file system (and its libraries) is mounted.
hostimg: statically-linked-binary [usr/lib/hostimg/hostimg-init]
# Yams (the YAML parser hostimg links statically) vendors libyaml's C sources.
hostimg: embedded-library libyaml [usr/bin/hostimg]
# The build writes the dpkg database of the image it builds, not the host's.
hostimg: uses-dpkg-database-directly [usr/bin/hostimg]
OVERRIDES

mkdir -p "$root/usr/share/doc/hostimg"
cat > "$root/usr/share/doc/hostimg/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hostimg
Comment: Built from the hostimg source tree; the Swift runtime and Foundation are linked
 statically into /usr/bin/hostimg (Apache-2.0 with Runtime Library Exception).

Files: *
Copyright: 2026 the hostimg authors
License: hostimg
 The hostimg project has not published a license yet; this package is for the
 project's own hosts and pipelines.
COPYRIGHT
changelog_date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" -R)
printf 'hostimg (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- hostimg builders <builders@hostimg.invalid>  %s\n' \
  "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo source)" "$changelog_date" \
  | gzip -9n > "$root/usr/share/doc/hostimg/changelog.gz"

# Dependencies: the shared libraries the binaries need (dpkg-shlibdeps), and the tools.
mkdir -p "$work/debian" "$root/DEBIAN"
printf 'Source: hostimg\n\nPackage: hostimg\nArchitecture: amd64\n' > "$work/debian/control"
libs=$(cd "$work" && dpkg-shlibdeps -O "$root/usr/bin/hostimg" "$root/usr/lib/hostimg/hostimg-agent" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: hostimg
Version: $version
Architecture: amd64
Maintainer: hostimg builders <builders@hostimg.invalid>
Installed-Size: $size
Depends: ${libs:+$libs, }kmod, gpgv, systemd-boot-efi, zstd
Recommends: erofs-utils, cryptsetup-bin, gdisk, dosfstools, mtools, sbsigntool, qemu-system-x86, ovmf
Section: admin
Priority: optional
Homepage: https://hostimg.invalid/
Description: build and run minimal, immutable hypervisor-host images
 hostimg turns declarative YAML manifests into a disk image with signed A/B
 root partitions (EROFS, dm-verity and a signature), a unified kernel image
 per slot behind systemd-boot, a signed update bundle, a lock file, an SBOM
 and signed provenance. It lints manifests, and its on-host agent switches a
 host to a new image by kexec while keeping its VMs' memory in place.
CONTROL
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
mkdir -p "$dest"
deb="$dest/hostimg_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
