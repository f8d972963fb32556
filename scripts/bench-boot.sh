#!/usr/bin/env bash
# Boot benchmark (issue 5): hostimg's initrd against the one Debian's initramfs-tools makes
# for the same kernel, in one run.
#
#  1. builds MANIFEST (signed with a throwaway key) and installs the same kernel package, at
#     the version the lock pins, with initramfs-tools into a scratch Debian root (mmdebstrap),
#     which runs update-initramfs with Debian's defaults (MODULES=most, zstd); then
#     mkinitramfs again with MODULES=list and the kernel file's initrd modules, the smallest
#     initramfs-tools can make for this boot;
#  2. sizes: modules before and after pruning (report.json), the three initrds;
#  3. the time to make an initrd: hostimg's boot stage (with the uki and esp stages when the
#     report has them), once with the compressed-initrd cache emptied ("cold") and once
#     filled ("warm"), both with the package cache warm, against mkinitramfs MODULES=list for
#     the same kernel in the scratch root (median of RUNS);
#  4. times under QEMU (-accel tcg, the same machine for both): QEMU start to the first line
#     of each initrd's userspace ("hostimg-init:" / initramfs-tools' "Loading, please
#     wait..."), and for hostimg on to the switch into the host's init, systemd's banner and
#     the self-test's first line. Median of RUNS boots.
#
# usage: scripts/bench-boot.sh [MANIFEST]   (root; the network to Debian's mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-manifests/qemu-dev.yaml}
hostimg=${HOSTIMG:-.build/release/hostimg}
cache=${HOSTIMG_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hostimg-bench}
runs=${RUNS:-3}
[ -x "$hostimg" ] || { echo "$hostimg missing: swift build -c release --product hostimg" >&2; exit 2; }
for tool in mmdebstrap qemu-system-x86_64 python3 zstd; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

work=$(mktemp -d /tmp/hostimg-bench-boot.XXXXXX)
trap 'rm -rf "$work"' EXIT
lock="$work/bench.lock"

"$hostimg" keygen --out "$work/keys" >/dev/null 2>&1
"$hostimg" build "$manifest" -o "$work/out" --cache "$cache" --lock "$lock" \
  --key "$work/keys/key.pem" --cert "$work/keys/cert.pem" >/dev/null 2>"$work/build.log" \
  || { cat "$work/build.log" >&2; exit 1; }
name=$(basename "$manifest" .yaml)
report="$work/out/report.json"
read -r package version kernel modules < <(python3 - "$lock" "$report" "$manifest" <<'EOF'
import json, os, sys, yaml
report = json.load(open(sys.argv[2]))
manifest = yaml.safe_load(open(sys.argv[3]))
kernel = yaml.safe_load(open(os.path.join(os.path.dirname(sys.argv[3]), manifest["kernel"])))
# The lock pins the meta package and the image package it depends on, which Debian names
# after the kernel release the report gives.
release = report["drivers"]["kernelVersion"]
image = "linux-image-" + release
stanzas = [dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
           for block in open(sys.argv[1]).read().split("\n\n")]
version = next((s["Version"] for s in stanzas if s.get("Package") == image), "-")
print(image, version, release, ",".join(kernel.get("initrd", {}).get("modules", [])))
EOF
)
# The lock's repositories ("URL SUITE/COMPONENT") as mmdebstrap's sources.
mirrors=()
while read -r url suite; do
  mirrors+=("deb $url ${suite%%/*} ${suite#*/}")
done < <(awk '/^Repositories:/ {r = 1; next} r && /^ / {print $1, $2; next} {r = 0}' "$lock")
[ "$version" = "-" ] && pin="$package" || pin="$package=$version"

# Debian's initrd for the same kernel.
mmdebstrap --quiet --variant=apt --include="$pin,initramfs-tools,zstd" bookworm "$work/debian" "${mirrors[@]}" \
  >"$work/mmdebstrap.log" 2>&1 || { tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
debian_most="$work/debian/boot/initrd.img-$kernel"
[ -f "$debian_most" ] || { echo "mmdebstrap made no $debian_most" >&2; exit 1; }
mkdir -p "$work/conf/conf.d" "$work/conf/hooks" "$work/conf/scripts"
cp -a "$work/debian/etc/initramfs-tools/." "$work/conf/"
sed -i 's/^MODULES=.*/MODULES=list/' "$work/conf/initramfs.conf"
echo "$modules" | tr ',' '\n' >"$work/conf/modules"
cp -a "$work/conf" "$work/debian/tmp/bench-conf"
now() { date +%s.%N; }
mkinitramfs_times=()
for _ in $(seq "$runs"); do
  start=$(now)
  chroot "$work/debian" mkinitramfs -d /tmp/bench-conf -o /tmp/initrd-list "$kernel" >/dev/null 2>&1
  mkinitramfs_times+=("$(echo "$(now) - $start" | bc)")
done
debian_list="$work/debian/tmp/initrd-list"

# hostimg's initrd stages again, the packages cached: first without the compressed-initrd
# cache (InitrdCache), then with the entry that build left.
initrd_stages() {
  "$hostimg" build "$manifest" -o "$work/again" --cache "$cache" --lock "$lock" --locked \
    --key "$work/keys/key.pem" --cert "$work/keys/cert.pem" >/dev/null 2>&1
  python3 -c '
import json, sys
stages = {s["name"]: s["seconds"] for s in json.load(open(sys.argv[1]))["stages"]}
names = [n for n in ("boot", "initrd", "uki", "esp") if n in stages]
print(round(sum(stages[n] for n in names), 3), "+".join(names))' "$work/again/report.json"
}
rm -rf "$cache/initrd"
read -r initrd_cold initrd_stage_names < <(initrd_stages)
read -r initrd_warm _ < <(initrd_stages)
rm -rf "$work/again"

python3 - "$report" "$work/out" "$debian_most" "$debian_list" "$runs" "$kernel" \
  "$initrd_cold" "$initrd_warm" "$initrd_stage_names" "${mkinitramfs_times[*]}" <<'EOF'
import json, os, subprocess, sys, time, re, statistics, select
report_path, out, debian_most, debian_list, runs, kernel, cold, warm, stage_names, mkinitramfs = sys.argv[1:]
runs = int(runs)
report = json.load(open(report_path))
d = report["drivers"]
print(f"boot benchmark, kernel {kernel}, median of {runs} boots")
before = (d.get("modulesBefore"), d.get("bytesBefore"))
after = (d.get("modulesAfter"), d.get("bytesAfter"))
print(f"  modules:  {before[0]} ({before[1]:,} bytes) before pruning, {after[0]} ({after[1]:,} bytes) kept")
ours = os.path.getsize(os.path.join(out, "initrd.img"))
most = os.path.getsize(debian_most)
lst = os.path.getsize(debian_list)
print(f"  initrd:   hostimg {ours:>11,} bytes")
print(f"            initramfs-tools MODULES=most (Debian's default) {most:>11,} bytes   ratio {most/ours:5.2f} x")
print(f"            initramfs-tools MODULES=list (same modules)     {lst:>11,} bytes   ratio {lst/ours:5.2f} x")
print(f"            hostimg / MODULES=list: {ours/lst:5.2f} ({'no larger' if ours <= lst else 'LARGER'})")
peer = statistics.median(float(t) for t in mkinitramfs.split())
cold, warm = float(cold), float(warm)
print(f"  making it: hostimg stages {stage_names}, packages cached, compressed-initrd cache empty {cold:6.2f} s")
print(f"             the same with the cache filled by that build                          {warm:6.2f} s")
print(f"             mkinitramfs MODULES=list, same kernel (median of {runs})                    {peer:6.2f} s")
print(f"             hostimg / mkinitramfs: {cold/peer:5.2f} (cache empty), {warm/peer:5.2f} (filled)")

cmdline = open(os.path.join(out, "cmdline.txt")).read().strip()
image = [f for f in os.listdir(out) if f.endswith(".img") and f != "initrd.img"][0]
def boot(initrd, append, marks, stop, limit=240):
    command = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2",
               "-m", "1536", "-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio",
               # hardware/qemu-q35.yaml's devices, which qemu-dev's tuning names (docs/boot.md)
               "-device", "intel-iommu,intremap=off",
               "-netdev", "user,id=mgmt,restrict=on", "-device", "virtio-net-pci,netdev=mgmt,addr=02.0",
               "-netdev", "user,id=dp,restrict=on", "-device", "e1000e,netdev=dp,addr=03.0",
               "-kernel", os.path.join(out, "vmlinuz"), "-initrd", initrd,
               "-append", append, "-drive", f"file={os.path.join(out, image)},if=none,id=root,format=raw,snapshot=on",
               "-device", "virtio-blk-pci,drive=root,addr=04.0"]
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    seen, buffer = {}, b""
    try:
        while time.monotonic() - start < limit:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if not ready:
                if process.poll() is not None: break
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk: break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            now = time.monotonic() - start
            for line in lines:
                text = line.decode("utf-8", "replace")
                for key, pattern in marks.items():
                    if key not in seen and re.search(pattern, text): seen[key] = now
            if stop in seen: break
    finally:
        process.kill(); process.wait()
    return seen

ours_marks = {"init": r"hostimg-init: ", "switch": r"hostimg-init: switching root", "systemd": r"Welcome to",
              "selftest": r"hostimg-selftest: begin"}
debian_marks = {"init": r"Loading, please wait"}
ours_runs, debian_runs = [], []
for _ in range(runs):
    ours_runs.append(boot(os.path.join(out, "initrd.img"), cmdline + " hostimg.selftest=1", ours_marks, "selftest"))
    debian_runs.append(boot(debian_most, "console=ttyS0,115200n8 root=/dev/vda9 rootdelay=1 panic=-1", debian_marks, "init", 120))
def median(rows, key):
    values = [r[key] for r in rows if key in r]
    return statistics.median(values) if len(values) == len(rows) else None
def show(label, value):
    print(f"  {label:<48} " + (f"{value:6.2f} s" if value is not None else "   not reached"))
print("  QEMU start (TCG) to ...")
o, g = median(ours_runs, "init"), median(debian_runs, "init")
show("hostimg-init's first line", o)
show("initramfs-tools' first line (MODULES=most)", g)
if o and g: print(f"  {'':<48} ratio {g/o:5.2f} x")
show("hostimg-init switching into the host's init", median(ours_runs, "switch"))
show("systemd's banner (the host's init running)", median(ours_runs, "systemd"))
show("the self-test's first line (multi-user)", median(ours_runs, "selftest"))
EOF
