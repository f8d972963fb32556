#!/usr/bin/env bash
# The image stage against the upstream tools, in one run on the same root tree (issue 4's
# benchmark): hostimg's EROFS writer + dm-verity + signing + GPT disk (the stage times from
# report.json) against `mkfs.erofs` (uncompressed) + `veritysetup format` on the extracted
# tree. Both read warm files: hostimg from its content store, mkfs.erofs from the extracted
# directory (read once beforehand so it sits in the page cache).
#
# usage: scripts/bench-image.sh [MANIFEST]      (run as root; needs the network once to warm the cache)
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-manifests/qemu-dev.yaml}
hostimg=${HOSTIMG:-.build/release/hostimg}
cache=${HOSTIMG_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hostimg-bench}
runs=${RUNS:-3}
[ -x "$hostimg" ] || { echo "$hostimg missing: swift build -c release --product hostimg" >&2; exit 2; }
for tool in mkfs.erofs veritysetup python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

work=$(mktemp -d /tmp/hostimg-bench-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
lock="$work/bench.lock"
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The same tree both ways: hostimg's rootfs.tar, extracted with owners, modes and xattrs.
"$hostimg" build "$manifest" --stage rootfs -o "$work/tree" --cache "$cache" --lock "$lock" >/dev/null 2>&1
mkdir "$work/root"
tar --xattrs --xattrs-include='*' --numeric-owner -xpf "$work/tree/rootfs.tar" -C "$work/root" 2>/dev/null
cat $(find "$work/root" -type f) >/dev/null 2>&1 || true
"$hostimg" keygen --out "$work/keys" >/dev/null 2>&1
salt=$(printf '%064d' 0)
uuid=00000000-0000-4000-8000-000000000000

hostimg_times=(); hostimg_erofs=(); hostimg_verity=()
for i in $(seq "$runs"); do
  "$hostimg" build "$manifest" -o "$work/h$i" --cache "$cache" --lock "$lock" --locked \
    --key "$work/keys/key.pem" --cert "$work/keys/cert.pem" >/dev/null 2>&1
  stage() { python3 -c '
import json, sys
stages = {s["name"]: s["seconds"] for s in json.load(open(sys.argv[1]))["stages"]}
print(sum(stages[n] for n in sys.argv[2:]))' "$work/h$i/report.json" "$@"; }
  hostimg_times+=("$(stage erofs verity sign disk)")
  hostimg_erofs+=("$(stage erofs)")
  hostimg_verity+=("$(stage verity)")
  rm -rf "$work/h$i"
done

upstream_times=(); upstream_erofs=(); upstream_verity=()
for i in $(seq "$runs"); do
  rm -f "$work/u.erofs" "$work/u.verity"
  start=$(now)
  mkfs.erofs --quiet -T0 -U "$uuid" "$work/u.erofs" "$work/root" >/dev/null
  middle=$(now)
  veritysetup format --salt="$salt" --uuid="$uuid" "$work/u.erofs" "$work/u.verity" >/dev/null
  end=$(now)
  upstream_times+=("$(echo "$end - $start" | bc)")
  upstream_erofs+=("$(echo "$middle - $start" | bc)")
  upstream_verity+=("$(echo "$end - $middle" | bc)")
done

h=$(printf '%s\n' "${hostimg_times[@]}" | median)
u=$(printf '%s\n' "${upstream_times[@]}" | median)
size=$(du -b "$work/u.erofs" | cut -f1)
printf 'image stage, %s (%s MiB EROFS from mkfs.erofs), median of %s runs\n' "$manifest" "$((size / 1048576))" "$runs"
he=$(printf '%s\n' "${hostimg_erofs[@]}" | median); ue=$(printf '%s\n' "${upstream_erofs[@]}" | median)
hv=$(printf '%s\n' "${hostimg_verity[@]}" | median); uv=$(printf '%s\n' "${upstream_verity[@]}" | median)
printf '  EROFS:  hostimg %6.3f s   mkfs.erofs             %6.3f s   ratio %5.2f x\n' "$he" "$ue" "$(echo "$ue / $he" | bc -l)"
printf '  verity: hostimg %6.3f s   veritysetup format     %6.3f s   ratio %5.2f x\n' "$hv" "$uv" "$(echo "$uv / $hv" | bc -l)"
printf '  whole:  hostimg %6.3f s   (erofs+verity+sign+disk; disk = GPT + fsync of the image)\n' "$h"
printf '          upstream %5.3f s   (mkfs.erofs + veritysetup format)   ratio %5.2f x\n' "$u" "$(echo "$u / $h" | bc -l)"
