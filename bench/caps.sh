#!/bin/bash
# Start-up cost of a capability ceiling: `userns run --userns-caps` (bounding/ambient sets,
# seccomp filter, sysctl, securebits) against bwrap's --disable-userns --cap-drop (an extra nested
# user namespace) and against the plain runs, side by side.  Needs hyperfine; RUNS (default 50).
#   bench/caps.sh [USERNS-BINARY]
set -eu
userns=${1:-${USERNS:-$(dirname "$0")/../build/src/userns}}
runs=${RUNS:-50}
command -v hyperfine >/dev/null || { echo "bench/caps.sh: hyperfine is not installed" >&2; exit 1; }
md=$(mktemp)
trap 'rm -f "$md"' EXIT
bw="bwrap --unshare-user --unshare-net --uid 0 --gid 0 --dev-bind / /"
hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$md" --style none \
        -n "userns run --net" "$userns run --net -- /bin/true" \
        -n "userns run --net --userns-caps all,-cap_net_admin" \
                "$userns run --net --userns-caps all,-cap_net_admin -- /bin/true" \
        -n "bwrap --unshare-net" "$bw /bin/true" \
        -n "bwrap --unshare-net --disable-userns --cap-drop CAP_NET_ADMIN" \
                "$bw --disable-userns --cap-drop CAP_NET_ADMIN /bin/true" \
        -n "setpriv --bounding-set -net_admin (no namespace)" \
                "setpriv --inh-caps=-net_admin --bounding-set=-net_admin /bin/true" >/dev/null
cat "$md"
