#!/bin/bash
# userns id against a known nesting (tests/cli/ns/nest.bash): every level's uid, gid and
# groups must equal what the kernel shows an opener in that namespace (/proc/PID/status
# read from inside it with nsenter), unmapped ids are 65534 and marked, callers inside the
# nesting see fewer levels, and errors name the cause.
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/cli/ns/nest.bash"
nest_private "$0" "$@"   # bind mounts made here vanish with a private mount namespace
trap 'kill ${PU:-} 2>/dev/null; nest_cleanup' EXIT

if ! nest_build; then tap_not_ok "the test nesting comes up"; tap_done; exit; fi
tap_ok "the test nesting comes up"

# kview OPENER-PID TARGET-PID: "uid gid groups" of TARGET as the kernel shows it in OPENER's
# user namespace (OPENER 0: ours).
kview() {
        local run=()
        [ "$1" = 0 ] || run=(nsenter --user --target "$1" --preserve-credentials)
        "${run[@]}" cat "/proc/$2/status" |
                awk '/^Uid:/{u=$2} /^Gid:/{g=$2} /^Groups:/{$1=""; gsub(/^ +| +$/,""); gsub(/ +/,","); gr=$0} END{print u, g, gr}'
}
# uview JSON UP: "uid gid groups" from userns id --json at level UP
uview() {
        python3 -c 'import json,sys; l=json.loads(sys.argv[1])["levels"][int(sys.argv[2])]
print(l["uid"]["id"], l["gid"]["id"], ",".join(str(g["id"]) for g in l["groups"]))' "$1" "$2"
}
umarks() {   # which values are marked unmapped at level UP: "uid gid groups..." as 0/1
        python3 -c 'import json,sys; l=json.loads(sys.argv[1])["levels"][int(sys.argv[2])]
print(*[int(not v["mapped"]) for v in [l["uid"], l["gid"]] + l["groups"]])' "$1" "$2"
}

run_cmd "$USERNS" id --json "$P3"
is "id --json P3 exits 0" "$RC" 0
J=$OUT
is "four levels from L3 up to ours" "$(python3 -c 'import json,sys; print([l["ns"] for l in json.load(sys.stdin)["levels"]])' <<<"$J")" "[$L3, $L2, $L1, 4026531837]"
is "level 0 (L3): the ids P3 itself uses" "$(uview "$J" 0)" "3 4 5,6"
is "level 1 (L2)" "$(uview "$J" 1)" "8 11 12,13"
is "level 2 (L1)" "$(uview "$J" 2)" "1008 2011 2012,2013"
is "level 3 (host)" "$(uview "$J" 3)" "101008 102011 102012,102013"
for lv in "0 $P3" "1 $P2" "2 $P1" "3 0"; do
        set -- $lv
        is "level $1 equals the kernel's view from inside that namespace" "$(uview "$J" "$1")" "$(kview "$2" "$P3")"
done
is "nothing is marked unmapped" "$(for u in 0 1 2 3; do umarks "$J" $u; done | tr -d ' \n')" "0000000000000000"

run_cmd "$USERNS" id "$P3"
like "text: one line per level, L3 first" "$(sed -n 2p <<<"$OUT")" "^0 +user:\[$L3\] +3 +4 +5,6$"
like "text: the host level last" "$(sed -n 5p <<<"$OUT")" "^3 +user:\[4026531837\] +101008 +102011 +102012,102013$"

# Host root joins L3 keeping its ids: kernel id 0 has no mapping in L1, L2 or L3.
nsenter --user --target "$P3" --preserve-credentials sleep 1000 &
PU=$!
for i in $(seq 100); do [ "$(readlink /proc/$PU/ns/user)" = "user:[$L3]" ] && break; sleep 0.05; done
run_cmd "$USERNS" id --json "$PU"
J=$OUT
is "unmapped: 65534 at L3" "$(uview "$J" 0 | cut -d' ' -f1-2)" "65534 65534"
is "unmapped: marked at L3, L2, L1, not on the host" "$(for u in 0 1 2 3; do umarks "$J" $u | cut -d' ' -f1-2; done | tr -d ' \n')" "11111100"
is "unmapped: the kernel also shows 65534 inside L3" "$(kview "$P3" "$PU" | cut -d' ' -f1-2)" "65534 65534"
is "unmapped: uid 0 on the host" "$(uview "$J" 3 | cut -d' ' -f1)" 0
run_cmd "$USERNS" id "$PU"
like "text marks unmapped ids" "$(sed -n 2p <<<"$OUT")" "65534\(unmapped\) +65534\(unmapped\)"

# Callers inside the nesting see the levels from the target up to their own.
run_cmd nsenter --user --target "$P1" "$USERNS" id --json "$P3"
is "from L1: exits 0" "$RC" 0
is "from L1: three levels, up to L1" "$(python3 -c 'import json,sys; print([l["ns"] for l in json.load(sys.stdin)["levels"]])' <<<"$OUT")" "[$L3, $L2, $L1]"
is "from L1: P3 is 1008 in L1" "$(uview "$OUT" 2)" "1008 2011 2012,2013"
run_cmd nsenter --user --target "$P2" "$USERNS" id --json
is "from L2, itself: one level" "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["levels"]))' <<<"$OUT")" 1
run_cmd "$USERNS" id
like "default: ourselves, one line" "$(sed -n 2p <<<"$OUT")" "^0 +user:\[4026531837\] +0 +0"

# Errors.
# A process above the caller: the kernel already refuses to show its namespace
# (ptrace read access to a task of an ancestor namespace needs CAP_SYS_PTRACE there).
run_cmd nsenter --user --target "$P2" "$USERNS" id "$P1"
is "a process above the caller: exit 1" "$RC" 1
like "  ... names the missing access" "$ERR" "/proc/$P1/ns/user: opening a process's namespace needs ptrace read access"
sleep 0 & gone=$!; wait $gone
run_cmd "$USERNS" id "$gone"
is "a gone process: exit 1" "$RC" 1
like "  ... says it is gone" "$ERR" "process $gone is gone|/proc/$gone/ns/user"
run_cmd "$USERNS" id notapid
is "a bad pid: exit 1" "$RC" 1

# Unprivileged: its own nesting (unshare -r twice maps 0 → 0 → 4242).
run_cmd "$AS_USER" -- bash -c '
        unshare --user --map-root-user -- unshare --user --map-root-user -- sleep 100 & p=$!
        for i in $(seq 100); do
                [ "$(readlink /proc/$p/exe)" = "$(readlink -f "$(command -v sleep)")" ] && break; sleep 0.05; done
        "$1" id --json $p; kill $p' _ "$USERNS"
is "unprivileged id exits 0" "$RC" 0
is "unprivileged: uid 0, 0, then 4242" "$(for u in 0 1 2; do uview "$OUT" $u | cut -d' ' -f1; done | tr '\n' ' ')" "0 0 4242 "
tap_done
