#!/usr/bin/env bash
# The install phase of `hostimg switch` (issue 15's benchmark): installing an update bundle
# into a slot of a disk image file, beside two peers writing the same root payload into the
# same partition of a copy of the same image, in one run:
#
#  - hostimg: the whole `hostimg switch BUNDLE --disk COPY --cert CERT --keep K` command
#    (signature, one full read of the bundle to check every payload's SHA-256, emptying the
#    slot, root/verity/verity-sig streamed through zstd into their partitions, fsync, the slot
#    read back through its verity tree, relabelling, the UKI into the ESP), and from the
#    timestamps of its progress lines the write alone ("made unbootable" to the verity-sig
#    line: zstd, SHA-256 again and pwrite, before the fsync) and the write with fsync and
#    read-back (to "reads back");
#  - `zstd -dc root.erofs.zst | dd of=COPY seek=PARTITION conv=notrunc,fsync` (the payload
#    extracted from the bundle beforehand);
#  - RAUC (Debian's rauc): `rauc install` of a plain bundle (mksquashfs -comp zstd) whose one
#    image is the uncompressed root payload, into a raw slot that is a loop device over the same
#    partition of a copy, then an fsync of the copy (the loop device writes through the page
#    cache of the image file, which hostimg and dd fsync). RAUC needs the D-Bus service: it
#    runs on a private session bus (dbus-run-session, DBUS_STARTER_BUS_TYPE=session) in a
#    private mount namespace whose /proc/cmdline carries `rauc.external` (booted from outside
#    the slots), as no slot here is the running root. Where RAUC cannot run, its error and
#    what was tried are printed and the rest goes on.
#
# Every run gets a fresh copy of the image with the target root partition punched out (so
# every contender allocates and writes the same blocks, and each result is compared with the
# payload afterwards). Page caches are not dropped: the contenders run in rounds, each once
# per round so that other load on the machine hits them alike; the first round warms the caches
# (bundle, extracted payload, RAUC bundle) and is not counted; the median of RUNS rounds and
# their range are printed. MB = 10^6 bytes of the uncompressed root payload. hostimg writes
# slot A when slot A already holds the bundle's root hash (as with a build's own image and
# bundle: `--keep A` is refused), else slot B; the peers write the same partition. The kernel
# may have no GPT partition scanning (then losetup -P makes no partition devices), so RAUC's
# slot is a loop device with the partition's offset and size.
#
# usage: scripts/bench-install.sh [MANIFEST | OUT_DIR]   (root; an existing OUT_DIR, or
#        out/NAME for the manifest, is used as it is; else the manifest is built with a
#        throwaway key, which needs the network to Debian's mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-manifests/qemu-dev.yaml}
hostimg=${HOSTIMG:-.build/release/hostimg}
cache=${HOSTIMG_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hostimg-bench}
runs=${RUNS:-3}
[ -x "$hostimg" ] || { echo "$hostimg missing: swift build -c release --product hostimg" >&2; exit 2; }
for tool in zstd dd sgdisk fallocate python3 bc; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /var/tmp/hostimg-bench-install.XXXXXX)
loops=()
cleanup() {
  for loop in "${loops[@]}"; do losetup -d "$loop" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The build output: OUT_DIR, out/NAME for MANIFEST, or a build of MANIFEST.
if [ -d "$target" ]; then
  out=$target
else
  out=out/$(basename "$target" .yaml)
fi
image=$(ls "$out"/*.img 2>/dev/null | grep -v '/initrd\.img$' | head -1 || true)
bundle=$(ls "$out"/*.bundle 2>/dev/null | head -1 || true)
keys=${BENCH_KEYS:-$(dirname "$out")/keys}
if [ -n "$image" ] && [ -n "$bundle" ] && [ -f "$keys/cert.pem" ]; then
  built="existing build output $out"
else
  [ -f "$target" ] || { echo "$target: no image, bundle and $keys/cert.pem, and not a manifest to build" >&2; exit 2; }
  keys=$work/keys
  "$hostimg" keygen --out "$keys" >/dev/null 2>&1
  "$hostimg" build "$target" -o "$work/out" --cache "$cache" --lock "$work/bench.lock" \
    --key "$keys/key.pem" --cert "$keys/cert.pem" >/dev/null 2>"$work/build.log" \
    || { cat "$work/build.log" >&2; exit 1; }
  out=$work/out
  image=$(ls "$out"/*.img | grep -v '/initrd\.img$' | head -1)
  bundle=$(ls "$out"/*.bundle | head -1)
  built="built now from $target with a throwaway key"
fi
cert=$keys/cert.pem

# A fresh copy of the image for one run, the target root partition punched out once known.
start_sector=""; sectors=""; sector_size=""
fresh() {
  rm -f "$work/disk.img"
  cp --sparse=always "$image" "$work/disk.img"
  if [ -n "$start_sector" ]; then
    fallocate --punch-hole --offset $((start_sector * sector_size)) --length $((sectors * sector_size)) "$work/disk.img"
  fi
  sync
}
# Whether the target partition of the copy holds exactly the root payload.
check_written() {
  dd if="$work/disk.img" bs="$sector_size" skip="$start_sector" count=$((root_size / sector_size)) status=none \
    | cmp -s - "$work/root.img" || { echo "$1: the partition does not hold the root payload afterwards" >&2; exit 1; }
}

# The root payload, as the peers get it.
manifest_json=$(tar xOf "$bundle" manifest.json)
read -r root_member root_size < <(python3 -c '
import json, sys
root = next(p for p in json.loads(sys.argv[1])["payloads"] if p["role"] == "root")
print(root["file"], root["size"])' "$manifest_json")
tar xOf "$bundle" "$root_member" >"$work/root.zst"
zstd -q -dc "$work/root.zst" >"$work/root.img"

# hostimg: which slot it writes. The helper times the command and each of its
# progress lines (on stdout) from the start, and prints "TOTAL WRITE WRITE+FSYNC+READBACK
# PARTITION".
keep=A
"$hostimg" switch "$bundle" --disk "$image" --cert "$cert" --keep A --dry-run >"$work/dry.log" 2>&1 || {
  grep -q 'already holds root hash' "$work/dry.log" || { cat "$work/dry.log" >&2; exit 1; }
  keep=B
}
run_hostimg() {
  python3 - "$hostimg" "$bundle" "$work/disk.img" "$cert" "$keep" "$work/switch.log" <<'EOF'
import re, subprocess, sys, time
hostimg, bundle, disk, cert, keep, log = sys.argv[1:]
start = time.monotonic()
process = subprocess.Popen([hostimg, "switch", bundle, "--disk", disk, "--cert", cert, "--keep", keep],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
lines = [(time.monotonic() - start, line.rstrip("\n")) for line in process.stdout]
status = process.wait()
total = time.monotonic() - start
with open(log, "w") as f:
    f.writelines(f"{t:8.3f} {line}\n" for t, line in lines)
if status != 0:
    sys.exit(f"hostimg switch exited {status}: see {log}")
def at(pattern):
    return next(t for t, line in lines if re.search(pattern, line))
partition = re.search(r"root payload, \d+ bytes, into partition (\d+)", "\n".join(l for _, l in lines)).group(1)
unbootable = at(r"made unbootable")
print(f"{total:.3f} {at(r'verity-sig payload') - unbootable:.3f} {at(r'reads back') - unbootable:.3f} {partition}")
EOF
}
fresh   # a first run, to learn the partition
read -r _ _ _ partition < <(run_hostimg)
sector_size=$(sgdisk -p "$image" | awk '/Sector size \(logical\)/ {print $4}')
start_sector=$(sgdisk -i "$partition" "$image" | awk '/^First sector/ {print $3}')
sectors=$(( $(sgdisk -i "$partition" "$image" | awk '/^Last sector/ {print $3}') - start_sector + 1 ))
run_dd() {
  zstd -q -dc "$work/root.zst" | dd of="$work/disk.img" bs=1M iflag=fullblock oflag=seek_bytes \
    seek=$((start_sector * sector_size)) conv=notrunc,fsync status=none
}

# RAUC. One run sets rauc_result to "SECONDS_INSTALL SECONDS_WITH_FSYNC SECONDS_COPY", the
# last from the service's log lines "writing data to device" and "Updating slot ... status"
# (millisecond stamps: the copy of the image into the slot, with the flush of the loop device,
# which its last close or an fsync of it passes on to the image file); logs in $work/rauc.
rauc_tried="rauc $(rauc --version 2>/dev/null | awk '{print $2}' || true); a 'plain' bundle (mksquashfs -comp zstd),
      its one raw image the root payload, signed with the key of $cert;
      system.conf: compatible=hostimg-bench, bootloader=noop, [keyring] path= that certificate,
      check-purpose=codesign, one raw slot rootfs.0 on a loop device over partition $partition
      (its offset and size); \`rauc service\` on a private session bus (dbus-run-session,
      DBUS_STARTER_BUS_TYPE=session) in a private mount namespace whose /proc/cmdline adds
      rauc.external; \`rauc install\` as its client"
rauc_error=""
rauc_times=(); rauc_synced=(); rauc_copy=()
run_rauc() {
  local loop status=0 install synced copy
  loop=$(losetup -f --show -o $((start_sector * sector_size)) --sizelimit $((sectors * sector_size)) "$work/disk.img") || return 1
  loops+=("$loop")
  cat >"$work/rauc/system.conf" <<EOF
[system]
compatible=hostimg-bench
bootloader=noop
mountprefix=$work/rauc/mnt

[keyring]
path=$cert
check-purpose=codesign

[slot.rootfs.0]
device=$loop
type=raw
bootname=A
EOF
  unshare -m --propagation private dbus-run-session -- bash -c '
    set -u
    rauc=$1
    mount --bind "$rauc/cmdline" /proc/cmdline || exit 1
    export DBUS_STARTER_BUS_TYPE=session
    rauc service --conf="$rauc/system.conf" >"$rauc/service.log" 2>&1 &
    service=$!
    for _ in $(seq 100); do rauc status >/dev/null 2>&1 && break; sleep 0.1; done
    start=$(date +%s.%N)
    rauc install "$rauc/bench.raucb" >"$rauc/install.log" 2>&1; status=$?
    installed=$(date +%s.%N)
    sync "$2"
    synced=$(date +%s.%N)
    kill "$service"; wait "$service" 2>/dev/null
    echo "$status $(echo "$installed - $start" | bc) $(echo "$synced - $start" | bc)" >"$rauc/result"
  ' rauc-bench "$work/rauc" "$work/disk.img" 2>"$work/rauc/session.log" || status=$?
  losetup -d "$loop"; loops=()
  [ "$status" = 0 ] && [ -f "$work/rauc/result" ] || return 1
  read -r status install synced <"$work/rauc/result"
  rm -f "$work/rauc/result"
  [ "$status" = 0 ] || return 1
  copy=$(awk '
    function seconds(stamp,  t) { split(stamp, t, ":"); return t[1] * 3600 + t[2] * 60 + t[3] }
    /writing data to device/ {start = seconds($2)}
    /Updating slot .* status/ {end = seconds($2)}
    END {printf "%.3f", end - start}' "$work/rauc/service.log")
  rauc_result="$install $synced $copy"
}
rauc_failed() {
  rauc_error=$1
  for f in session.log install.log service.log; do
    [ -s "$work/rauc/$f" ] || continue
    rauc_error+=$'\n'"      $f:"$'\n'"$(grep -v -e '^ *[0-9]*% ' -e 'Failed to set fd limit' "$work/rauc/$f" | tail -4 | sed 's/^/        /')"
  done
}
mkdir -p "$work/rauc/image" "$work/rauc/mnt"
if ! command -v rauc >/dev/null || ! command -v mksquashfs >/dev/null; then
  rauc_error="rauc or mksquashfs is not installed (apt-get install rauc squashfs-tools)"
else
  cp "$work/root.img" "$work/rauc/image/root.img"
  printf '[update]\ncompatible=hostimg-bench\nversion=1\n\n[image.rootfs]\nfilename=root.img\n' >"$work/rauc/image/manifest.raucm"
  echo "$(cat /proc/cmdline) rauc.external" >"$work/rauc/cmdline"
  if ! rauc bundle --cert="$cert" --key="$keys/key.pem" --mksquashfs-args="-comp zstd" \
      "$work/rauc/image" "$work/rauc/bench.raucb" >"$work/rauc/bundle.log" 2>&1; then
    rauc_error="rauc bundle failed: $(tail -3 "$work/rauc/bundle.log")"
  else
    rm -rf "$work/rauc/image"
  fi
fi

# The rounds, each contender once per round (so a change in the machine's load hits all of
# them alike); round 0 warms the caches and is not counted.
hostimg_total=(); hostimg_write=(); hostimg_written=(); dd_times=()
for i in $(seq 0 "$runs"); do
  fresh
  read -r total write written _ < <(run_hostimg)
  check_written hostimg
  [ "$i" = 0 ] || { hostimg_total+=("$total"); hostimg_write+=("$write"); hostimg_written+=("$written"); }

  fresh
  start=$(now)
  run_dd
  end=$(now)
  check_written "zstd | dd"
  [ "$i" = 0 ] || dd_times+=("$(echo "$end - $start" | bc)")

  [ -z "$rauc_error" ] || continue
  fresh
  if ! run_rauc; then rauc_failed "rauc install failed (round $i)"; continue; fi
  check_written RAUC
  [ "$i" = 0 ] && continue
  read -r install synced copy <<<"$rauc_result"
  rauc_times+=("$install"); rauc_synced+=("$synced"); rauc_copy+=("$copy")
done

mb() { echo "$root_size / 1000000 / $1" | bc -l; }
# row LABEL VALUES...: the median, its MB/s and the range of the rounds.
row() {
  local label=$1 m lo hi; shift
  m=$(printf '%s\n' "$@" | median)
  lo=$(printf '%s\n' "$@" | sort -n | head -1); hi=$(printf '%s\n' "$@" | sort -n | tail -1)
  printf '  %-42s %6.3f s  %6.1f MB/s   (%.3f-%.3f s)\n' "$label" "$m" "$(mb "$m")" "$lo" "$hi"
}
h=$(printf '%s\n' "${hostimg_total[@]}" | median)
hs=$(printf '%s\n' "${hostimg_written[@]}" | median)
d=$(printf '%s\n' "${dd_times[@]}" | median)
printf 'install phase, %s (%s), median of %s rounds after a warm-up round\n' \
  "$(basename "$bundle")" "$built" "$runs"
printf '  (page caches warm, not dropped; load average %s at the start)\n' "$load"
printf '  root payload %s bytes (%s MB) into partition %s of a copy of %s (hostimg --keep %s)\n' \
  "$root_size" "$(echo "$root_size / 1000000" | bc)" "$partition" "$(basename "$image")" "$keep"
row "hostimg switch --disk (whole command)" "${hostimg_total[@]}"
row "  its write: zstd+SHA-256+pwrite, no fsync" "${hostimg_write[@]}"
row "  its write + fsync + verity read-back" "${hostimg_written[@]}"
row "zstd -dc | dd conv=fsync" "${dd_times[@]}"
if [ "${#rauc_times[@]}" -gt 0 ]; then
  rs=$(printf '%s\n' "${rauc_synced[@]}" | median)
  rc=$(printf '%s\n' "${rauc_copy[@]}" | median)
  row "rauc install (plain bundle, raw slot)" "${rauc_times[@]}"
  row "rauc install + fsync of the image file" "${rauc_synced[@]}"
  row "  its copy into the slot (service log)" "${rauc_copy[@]}"
fi
if [ -n "$rauc_error" ]; then
  printf '  rauc install: %s: %s\n' "$([ "${#rauc_times[@]}" -gt 0 ] && echo "failed later" || echo "not measured")" "$rauc_error"
  printf '    tried: %s\n' "$rauc_tried"
fi
ratio() { printf '    %-44s %5.2f x\n' "$1" "$(echo "$2 / $3" | bc -l)"; }
printf '  ratios of throughput (medians), hostimg / peer, above 1: hostimg faster\n'
ratio "hostimg whole command / zstd|dd" "$d" "$h"
ratio "hostimg write+fsync+read-back / zstd|dd" "$d" "$hs"
if [ "${#rauc_times[@]}" -gt 0 ]; then
  ratio "hostimg whole command / rauc install + fsync" "$rs" "$h"
  ratio "hostimg write+fsync+read-back / RAUC's copy" "$rc" "$hs"
fi
