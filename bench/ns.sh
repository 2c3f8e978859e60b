#!/bin/bash
# bench/ns.sh: `userns tree` beside lsns, and `userns enter` beside nsenter, as ratios.
#
#   bench/ns.sh [BUILDDIR]     (as root; default BUILDDIR=build, the release build)
#
# Cases (each BENCH_ROUNDS rounds, default 3, of BENCH_RUNS runs per command, default 30,
# command order rotated per round; the table shows medians of the per-round means):
#   list:   userns tree --json   |  lsns -t user --json  |  lsns -t user --tree
#           (userns also reads fds and mountinfo, probes maps, and walks NS_GET_PARENT)
#   enter:  userns enter PID true  |  nsenter -t PID -U -m -n -u true  |  nsenter -t PID -a true
#           PID is a `userns run --net --mount --uts` namespace (nsenter needs the types spelled out)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/src/userns" ] || scripts/build
userns=$(realpath "$build/src/userns")
rounds=${BENCH_ROUNDS:-3} runs=${BENCH_RUNS:-30}
command -v hyperfine >/dev/null || { echo "bench/ns.sh: hyperfine is not installed" >&2; exit 1; }
work=$(mktemp -d /tmp/userns-bench-ns.XXXXXX)
"$userns" run --net --mount --uts --map-root -- sleep 600 &
target=$!
trap 'kill $target 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 100); do [ "$(readlink /proc/$target/exe)" = "$(readlink -f "$(command -v sleep)")" ] && break; sleep 0.05; done

run_case() {   # run_case NAME CMD...  (the first command is userns)
        local name=$1; shift
        local n=$# r i
        local cmds=("$@")
        for ((r = 0; r < rounds; r++)); do
                local order=()
                for ((i = 0; i < n; i++)); do order+=("${cmds[(i + r) % n]}"); done
                hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$work/$name.$r.json" \
                        "${order[@]}" >/dev/null 2>&1 || { echo "bench/ns.sh: hyperfine failed ($name)" >&2; exit 1; }
        done
        python3 - "$name" "${cmds[0]}" "$userns" "$work/$name".*.json <<'PY'
import json, statistics, sys
name, first, binary, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
means = {}
for f in files:
    for r in json.load(open(f))["results"]:
        means.setdefault(r["command"], []).append(r["mean"])
print("\n%s (%d rounds)" % (name, len(files)))
print("  %-60s %10s %14s" % ("command", "mean", "this / userns"))
base = statistics.median(means[first])
for cmd, m in means.items():
    print("  %-60s %7.2f ms %13.2fx" % (cmd.replace(binary, "userns"), statistics.median(m) * 1e3,
                                          statistics.median(m) / base))
PY
}
run_case list "$userns tree --json" "lsns -t user --json" "lsns -t user --tree"
run_case enter "$userns enter $target true" "nsenter -t $target -U -m -n -u true" "nsenter -t $target -a true"
echo
echo "user namespaces: userns tree lists $("$userns" tree --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["namespaces"]))'), lsns -t user lists $(lsns -t user -n | wc -l)"
