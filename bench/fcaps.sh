#!/bin/bash
# userns fcaps beside libcap's getcap/setcap: read N files with capabilities, and write
# them, in one process each (hyperfine; build the release binary first: scripts/build).
#
#   bench/fcaps.sh [BUILDDIR] [N]      (defaults: build, 1000)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-1000}
userns=$PWD/$build/src/userns
[ -x "$userns" ] || { echo "bench/fcaps.sh: no $userns (run scripts/build)" >&2; exit 1; }
dir=$(mktemp -d /tmp/bench-fcaps.XXXXXX)
trap 'rm -rf "$dir"' EXIT
files=()
for ((i = 0; i < n; i++)); do : >"$dir/f$i"; files+=("$dir/f$i"); done
printf '%s\n' "${files[@]}" >"$dir/list"
# setcap takes CAPS FILE pairs; userns takes CAPS once
setcap -n 100000 $(sed 's/^/cap_net_raw,cap_net_bind_service=ep /' "$dir/list")

echo "# reading $n files (v3, rootid 100000)"
hyperfine -N --warmup 3 --export-markdown "$dir/read.md" \
        -n "getcap -n" "getcap -n $(tr '\n' ' ' <"$dir/list")" \
        -n "userns fcaps get" "$userns fcaps get $(tr '\n' ' ' <"$dir/list")" \
        -n "userns fcaps get --rootid 100000" "$userns fcaps get --rootid 100000 $(tr '\n' ' ' <"$dir/list")" \
        >/dev/null 2>&1
cat "$dir/read.md"

pairs=$(sed 's/^/cap_kill=ep /' "$dir/list" | tr '\n' ' ')
echo
echo "# writing $n files (v3, rootid 100000)"
hyperfine -N --warmup 3 --export-markdown "$dir/write.md" \
        -n "setcap -n" "setcap -n 100000 $pairs" \
        -n "userns fcaps set" "$userns fcaps set cap_kill=ep --rootid 100000 $(tr '\n' ' ' <"$dir/list")" \
        >/dev/null 2>&1
cat "$dir/write.md"
