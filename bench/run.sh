#!/bin/bash
# bench/run.sh: `userns run` against unshare (util-linux) and bwrap, side by side, as ratios.
#
#   bench/run.sh [BUILDDIR]        (as root; default BUILDDIR=build, the release build)
#   USERNS_BIN=/path/to/userns bench/run.sh   (measure another build of the binary)
#
# Two cases, each measured by one hyperfine invocation per round, with every tool run
# under the same unprivileged test identity (tests/lib/as-user) so the comparison is fair:
#   self-map:  userns run true  |  unshare -Ur true  |  bwrap --unshare-user --uid 0 --gid 0 --ro-bind / / true
#              (the identity has no subordinate ranges: one self-map each)
#   subid:     userns run --map-auto true  |  unshare --map-auto --map-root-user true
#              (subordinate ranges 200000:65536: both run newuidmap and newgidmap)
# The machine is shared, so each case runs BENCH_ROUNDS times (default 5) with the command
# order rotated, BENCH_RUNS runs each (default 100); the table shows the median of the
# per-round means and the median of the per-round ratios.  Targets: userns/unshare
# <= 0.9 (self-map) and <= 0.6 (subid).
set -eu
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build}
[ -x "$build/src/userns" ] || scripts/build
userns=$(realpath "${USERNS_BIN:-$build/src/userns}")
rounds=${BENCH_ROUNDS:-5} runs=${BENCH_RUNS:-100}
for t in hyperfine unshare bwrap newuidmap; do
        command -v "$t" >/dev/null || { echo "bench/run.sh: $t is not installed" >&2; exit 1; }
done
work=$(mktemp -d /tmp/userns-bench.XXXXXX); chmod 777 "$work"
trap 'rm -rf "$work"' EXIT

# case NAME AS-USER-ARGS -- CMD...  (first command is userns, the others are peers)
run_case() {
        local name=$1; shift
        local asargs=()
        while [ "$1" != -- ]; do asargs+=("$1"); shift; done; shift
        local cmds=("$@") n=$# r i
        for ((r = 0; r < rounds; r++)); do
                local order=()
                for ((i = 0; i < n; i++)); do order+=("${cmds[(i + r) % n]}"); done
                "$src/tests/lib/as-user" "${asargs[@]}" -- hyperfine -N --style none --warmup 10 \
                        --runs "$runs" --export-csv "$work/$name.$r.csv" "${order[@]}" >/dev/null 2>&1 ||
                        { echo "bench/run.sh: hyperfine failed for $name (round $r)" >&2; exit 1; }
        done
        # per round: command,mean; then medians of means and of ratios to the userns command
        awk -F, -v first="${cmds[0]}" -v name="$name" '
                FNR == 1 { round++; next }
                { gsub(/^"|"$/, "", $1); mean[$1, round] = $2; seen[$1] = 1; if (!($1 in ord)) { ord[$1] = ++nc; cmd[nc] = $1 } }
                function median(a, k,    i, j, t) {
                        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
                }
                END {
                        printf "\n%s (%d rounds)\n", name, round
                        printf "  %-62s %10s %18s\n", "command", "mean", "userns / this"
                        for (c = 1; c <= nc; c++) {
                                delete m; delete q
                                for (r = 1; r <= round; r++) { m[r] = mean[cmd[c], r]; q[r] = mean[first, r] / mean[cmd[c], r] }
                                printf "  %-62s %8.0f us %17.2fx\n", cmd[c], median(m, round) * 1e6, median(q, round)
                        }
                }' $(for ((r = 0; r < rounds; r++)); do echo "$work/$name.$r.csv"; done)
}

echo "userns run vs unshare and bwrap; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs x $rounds rounds"
run_case self-map --no-subid -- "$userns run true" "unshare -Ur true" \
        "bwrap --unshare-user --uid 0 --gid 0 --ro-bind / / true"
run_case subordinate-ranges -- "$userns run --map-auto true" "unshare --map-auto --map-root-user true"
echo
echo "targets: userns/unshare <= 0.90x (self-map), <= 0.60x (subordinate ranges)"
