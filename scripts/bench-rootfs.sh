#!/usr/bin/env bash
# Warm-cache rootfs stage, hostimg against mmdebstrap, for the same package set in one run on
# this machine (issue 3's benchmark). Both start warm: hostimg from its content store (only
# InRelease is fetched again), mmdebstrap with the same .debs copied into its apt archive
# cache and the builder's apt lists copied in (apt-get update then only revalidates InRelease).
# Both resolve; mmdebstrap also runs every maintainer script, which hostimg never does.
#
# usage: scripts/bench-rootfs.sh [MANIFEST]      (run as root; needs mmdebstrap)
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-manifests/qemu-dev.yaml}
hostimg=${HOSTIMG:-.build/release/hostimg}
cache=${HOSTIMG_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hostimg-bench}
runs=${RUNS:-3}
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 2; }
[ -x "$hostimg" ] || { echo "$hostimg missing: swift build -c release --product hostimg" >&2; exit 2; }

work=$(mktemp -d /tmp/hostimg-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
lock="$work/bench.lock"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Warm hostimg's cache and pin the package set.
"$hostimg" build "$manifest" --stage rootfs -o "$work/warm" --cache "$cache" --lock "$lock" >/dev/null 2>&1

# The same .debs, named as apt names them, for mmdebstrap's archive cache.
mkdir -p "$work/debs"
awk -F': ' '
  /^Package:/ {p=$2} /^Version:/ {v=$2} /^Architecture:/ {a=$2}
  /^SHA256:/ {s=$2; gsub(":", "%3a", v); print p "_" v "_" a ".deb " s}
' "$lock" | while read -r name sha; do
  cp "$cache/objects/sha256/${sha:0:2}/$sha" "$work/debs/$name"
done
includes=$(awk -F': ' '/^Include:/ {gsub(" ", "", $2); print $2}' "$lock")
count=$(ls "$work/debs" | wc -l)

hostimg_times=()
for i in $(seq "$runs"); do
  start=$(now)
  "$hostimg" build "$manifest" --stage rootfs -o "$work/h$i" --cache "$cache" --lock "$work/run$i.lock" >/dev/null 2>&1
  hostimg_times+=("$(echo "$(now) - $start" | bc)")
done

mm_times=()
for i in $(seq "$runs"); do
  start=$(now)
  mmdebstrap --quiet --mode=root --variant=required --include="$includes" \
    --skip=download/empty \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives "$1"/var/lib/apt/lists' \
    --setup-hook="cp $work/debs/*.deb \"\$1\"/var/cache/apt/archives/" \
    --setup-hook='cp /var/lib/apt/lists/*_InRelease /var/lib/apt/lists/*_Packages* "$1"/var/lib/apt/lists/ 2>/dev/null || true' \
    bookworm "$work/mm$i.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >/dev/null 2>"$work/mm$i.log" \
    || { echo "mmdebstrap failed:" >&2; tail -20 "$work/mm$i.log" >&2; exit 1; }
  mm_times+=("$(echo "$(now) - $start" | bc)")
done

h=$(printf '%s\n' "${hostimg_times[@]}" | median)
m=$(printf '%s\n' "${mm_times[@]}" | median)
printf 'rootfs stage, warm cache, %s packages (%s), median of %s runs:\n' "$count" "$manifest" "$runs"
printf '  hostimg build --stage rootfs : %6.2f s  (runs: %s)\n' "$h" "${hostimg_times[*]}"
printf '  mmdebstrap --variant=required: %6.2f s  (runs: %s)\n' "$m" "${mm_times[*]}"
printf '  ratio mmdebstrap / hostimg   : %6.1fx\n' "$(echo "$m / $h" | bc -l)"
printf '  tar sizes: hostimg %s, mmdebstrap %s\n' "$(du -h "$work/h1/rootfs.tar" | cut -f1)" "$(du -h "$work/mm1.tar" | cut -f1)"
