#!/bin/bash
# userns tree against a known nesting built without userns (tests/cli/ns/nest.bash):
# parents, depths, owners, maps relative to the parent (checked against what the kernel
# shows an opener in the parent), member pids, a namespace held only by a bind mount,
# --all-types, the text form, lsns, and an unprivileged caller.
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/cli/ns/nest.bash"
nest_private "$0" "$@"   # bind mounts made here vanish with a private mount namespace
trap 'kill ${PN:-} 2>/dev/null; nest_cleanup' EXIT

# tap_python DESC-PREFIX SCRIPT: run python checks printing "PASS msg" / "FAIL msg" lines
tap_python() {
        local line
        while IFS= read -r line; do
                case $line in
                PASS\ *) tap_ok "${line#PASS }" ;;
                FAIL\ *) tap_not_ok "${line#FAIL }" ;;
                *) tap_diag "$line" ;;
                esac
        done < <(python3 -c "$1" 2>&1)
}

if ! nest_build; then tap_not_ok "the test nesting comes up"; tap_done; exit; fi
tap_ok "the test nesting comes up (L1 $L1, L2 $L2, L3 $L3, LK $LK)"
check "LK is kept by a bind mount only (its process is gone)" nest_keep
# A net and a uts namespace owned by L1 (for --all-types).
nsenter --user --target "$P1" unshare --net --uts sleep 1000 &
PN=$!
for i in $(seq 100); do [ "$(readlink /proc/$PN/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
NETNS=$(readlink /proc/$PN/ns/net | tr -dc 0-9) UTSNS=$(readlink /proc/$PN/ns/uts | tr -dc 0-9)

# What the kernel shows an opener in the parent namespace: lower ids relative to the parent.
kmap() { nsenter --user --target "$1" --preserve-credentials cat "/proc/$2/$3" | awk '{printf "%s%s:%s:%s", (NR>1?",":""), $1, $2, $3}'; }
export K_L2_UID=$(kmap "$P1" "$P2" uid_map) K_L2_GID=$(kmap "$P1" "$P2" gid_map)
export K_L3_UID=$(kmap "$P2" "$P3" uid_map) K_L3_GID=$(kmap "$P2" "$P3" gid_map)
hmap() { awk '{printf "%s%s:%s:%s", (NR>1?",":""), $1, $2, $3}' "/proc/$1/$2"; }
export H_L3_UID=$(hmap "$P3" uid_map) H_L2_GID=$(hmap "$P2" gid_map)
export L1 L2 L3 LK P1 P2 P3 NEST NETNS UTSNS

run_cmd "$USERNS" tree --json --all-types
is "tree --json exits 0" "$RC" 0
export JSON=$OUT
tap_python '
import json, os
E = os.environ
try:
    doc = json.loads(E["JSON"])
    print("PASS the output is one JSON document")
except Exception as e:
    print("FAIL the output is one JSON document:", e); raise SystemExit
ns = {n["ns"]: n for n in doc["namespaces"]}
def m(s): return [dict(zip(("first","lower_first","count"), map(int, e.split(":")))) for e in s.split(",")]
def check(desc, got, want):
    print(("PASS " if got == want else "FAIL ") + desc)
    if got != want: print("  got:  %r\n  want: %r" % (got, want))
L1, L2, L3, LK = (int(E[k]) for k in ("L1", "L2", "L3", "LK"))
INIT = 4026531837
for k in (L1, L2, L3, LK):
    check("namespace %d is listed" % k, k in ns, True)
if not all(k in ns for k in (L1, L2, L3, LK)): raise SystemExit
check("the initial namespace is listed as initial and ours", (ns[INIT]["initial"], ns[INIT]["caller"], ns[INIT]["depth"], ns[INIT]["parent"]), (True, True, 0, None))
check("parents come from NS_GET_PARENT", [ns[k]["parent"] for k in (L1, L2, L3, LK)], [INIT, L1, L2, L1])
check("depths", [ns[k]["depth"] for k in (L1, L2, L3, LK)], [1, 2, 3, 2])
check("children lists agree with parents", sorted(ns[L1]["children"]), sorted([L2, LK]))
check("owners as seen from us (NS_GET_OWNER_UID)", [ns[k]["owner_uid"] for k in (L1, L2, L3, LK)], [0, 100000, 101000, 100000])
check("owners as uids of the parent", [ns[k]["owner_uid_in_parent"] for k in (L1, L2, L3, LK)], [0, 0, 0, 0])
check("owner user name", ns[L1]["owner_user"], "root")
check("L1 maps relative to its parent", (ns[L1]["uid_map"], ns[L1]["gid_map"]), (m("0:100000:65536"), m("0:100000:65536")))
check("L2 maps relative to its parent", (ns[L2]["uid_map"], ns[L2]["gid_map"]), (m("0:1000:2000"), m("0:2000:3000")))
check("L3 maps relative to its parent", (ns[L3]["uid_map"], ns[L3]["gid_map"]), (m("0:5:10"), m("0:7:10")))
check("LK maps relative to its parent (no process left)", (ns[LK]["uid_map"], ns[LK]["gid_map"]), (m("0:50000:100"), m("0:60000:100")))
check("L2 maps equal what the kernel shows an opener in L1", (ns[L2]["uid_map"], ns[L2]["gid_map"]), (m(E["K_L2_UID"]), m(E["K_L2_GID"])))
check("L3 maps equal what the kernel shows an opener in L2", (ns[L3]["uid_map"], ns[L3]["gid_map"]), (m(E["K_L3_UID"]), m(E["K_L3_GID"])))
check("L3 maps as seen from us equal /proc/P3/uid_map read here", ns[L3]["uid_map_from_caller"], m(E["H_L3_UID"]))
check("L2 gid map as seen from us equals /proc/P2/gid_map read here", ns[L2]["gid_map_from_caller"], m(E["H_L2_GID"]))
check("LK uid map as seen from us", ns[LK]["uid_map_from_caller"], m("0:150000:100"))
check("maps were read exactly (probe inside)", all(ns[k]["maps_exact"] for k in (L1, L2, L3, LK)), True)
check("setgroups", [ns[k]["setgroups"] for k in (L1, L2, L3, LK)], ["allow", "allow", "allow", "deny"])
def pids(k): return [p["pid"] for p in ns[k]["processes"]]
check("P1 is a member of L1", int(E["P1"]) in pids(L1), True)
check("P2 is the member of L2", pids(L2), [int(E["P2"])])
check("P3 is the member of L3, with its command", ns[L3]["processes"], [{"pid": int(E["P3"]), "comm": "sleep"}])
check("LK has no processes", pids(LK), [])
check("LK is held by the bind mount", "bind mount %s/keep/lk" % E["NEST"] in ns[LK]["held_by"], True)
check("--all-types: L1 owns the net and uts namespaces made in it",
      sorted((o["type"], o["ns"]) for o in ns[L1]["owns"] if o["type"] in ("net", "uts")),
      sorted([("net", int(E["NETNS"])), ("uts", int(E["UTSNS"]))]))
check("--all-types: the initial namespace owns the initial net namespace", {"type": "net", "ns": 4026531833} in ns[INIT]["owns"], True)
'

# Text form: tree lines, each namespace once, children below their parent.
run_cmd "$USERNS" tree
is "tree exits 0" "$RC" 0
like "text shows L3 at depth 3 with its maps" "$OUT" "user:\[$L3\] depth 3, owner 101000 \(0 in its parent\)"
like "text shows the bind mount holding LK" "$OUT" "held by bind mount $NEST/keep/lk"
like "text is drawn with tree lines" "$OUT" "\`-- user:\[$L3\]"
l2=$(grep -n "user:\[$L2\]" <<<"$OUT" | cut -d: -f1) l3=$(grep -n "user:\[$L3\]" <<<"$OUT" | cut -d: -f1)
check "L3 is printed after L2" test "${l3:-0}" -gt "${l2:-0}"

# Everything lsns lists (before and after) appears in userns tree.
lsns -t user -n -o NS | sort -u > /tmp/lsns1.$$
run_cmd "$USERNS" tree --json
lsns -t user -n -o NS | sort -u > /tmp/lsns2.$$
ours=$(python3 -c 'import json,sys; [print(n["ns"]) for n in json.load(sys.stdin)["namespaces"]]' <<<"$OUT" | sort -u)
missing=$(comm -12 /tmp/lsns1.$$ /tmp/lsns2.$$ | comm -23 - <(echo "$ours"))
n_lsns=$(comm -12 /tmp/lsns1.$$ /tmp/lsns2.$$ | wc -l)
rm -f /tmp/lsns1.$$ /tmp/lsns2.$$
is "all $n_lsns user namespaces lsns lists appear in userns tree" "$missing" ""
check "lsns saw the test nesting" test "$n_lsns" -ge 4
n_ours=$(wc -l <<<"$ours")
tap_diag "lsns -t user: $n_lsns namespaces; userns tree: $n_ours (also those held only by fds, bind mounts, or as parents)"

# An unprivileged caller: its own two-level nesting, as it sees it.
run_cmd "$AS_USER" -- bash -c '
        unshare --user --map-root-user -- unshare --user --map-root-user -- sleep 100 & p=$!
        for i in $(seq 100); do
                [ "$(readlink /proc/$p/exe)" = "$(readlink -f "$(command -v sleep)")" ] && break; sleep 0.05; done
        echo "$(readlink /proc/$p/ns/user | tr -dc 0-9) $p"
        "$1" tree --json
        kill $p' _ "$USERNS"
is "unprivileged tree exits 0" "$RC" 0
read -r U2 UP <<<"$(head -1 <<<"$OUT")"
export JSON=$(tail -n +2 <<<"$OUT") U2 UP
tap_python '
import json, os
E = os.environ
ns = {n["ns"]: n for n in json.loads(E["JSON"])["namespaces"]}
u2 = int(E["U2"])
ok = u2 in ns and ns[u2]["parent"] in ns
print(("PASS " if ok else "FAIL ") + "unprivileged: its nested namespace and its parent are listed")
if ok:
    u1 = ns[u2]["parent"]
    def check(desc, got, want):
        print(("PASS " if got == want else "FAIL ") + "unprivileged: " + desc)
        if got != want: print("  got:  %r\n  want: %r" % (got, want))
    check("placed at depth 2 below the initial namespace", (ns[u2]["depth"], ns[u1]["depth"], ns[u1]["parent"]), (2, 1, 4026531837))
    check("owner is the test user in both", (ns[u1]["owner_uid"], ns[u2]["owner_uid"], ns[u2]["owner_uid_in_parent"]), (4242, 4242, 0))
    check("maps relative to the parent (read as owner)", (ns[u1]["uid_map"], ns[u2]["uid_map"]),
          ([{"first": 0, "lower_first": 4242, "count": 1}], [{"first": 0, "lower_first": 0, "count": 1}]))
    check("setgroups deny (unshare -r)", (ns[u1]["setgroups"], ns[u2]["setgroups"]), ("deny", "deny"))
    check("its sleep is the member", [p["pid"] for p in ns[u2]["processes"]], [int(E["UP"])])
'
tap_done
