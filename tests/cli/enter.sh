#!/bin/bash
# userns enter: same user/net/mnt/uts(/pid) namespaces as the target (nsfs inodes), the
# expected identity, exit statuses passed through, nsfs paths, keep/rm, and the errors.
. "$SRCDIR/tests/lib/tap.sh"
[ -z "${NS_TRACE:-}" ] || set -x
. "$SRCDIR/tests/cli/ns/nest.bash"
nest_private "$0" "$@"   # bind mounts made here vanish with a private mount namespace
TMP=$(mktemp -d /tmp/userns-enter.XXXXXX)
chmod 755 "$TMP"
mkdir -m 1777 "$TMP/out" "$TMP/ukeep"
export USERNS_KEEP_DIR=$TMP/keep
trap 'kill -9 ${T:-} ${T0:-} 2>/dev/null; wait 2>/dev/null; "$USERNS" rm k1 k2 >/dev/null 2>&1; umount "$TMP/keep" 2>/dev/null; rm -rf "$TMP"' EXIT

nsinos() {   # nsinos PID TYPES...: "type:[ino] ..." of a process
        local t out=
        for t in "${@:2}"; do out+="$(readlink /proc/$1/ns/$t) "; done
        echo "${out% }"
}
wait_for() { local i; for i in $(seq 200); do eval "$1" && return 0; sleep 0.05; done; return 1; }

# The target: a user namespace (uid/gid 0:100000:65536, made by mkns.py) owning net, mnt,
# uts and pid namespaces made inside it by util-linux unshare, hostname "inner", a tmpfs
# on /mnt holding "inner-marker".
mkns "0 100000 65536" "0 100000 65536" 0 0 - \
        unshare --net --mount --uts --pid --fork --mount-proc sh -c 'hostname inner; mount -t tmpfs none /mnt && touch /mnt/inner-marker; exec sleep 1000' 2>/dev/null
TP=$MKNS_PID
wait_for '[ -n "$(cat /proc/$TP/task/$TP/children 2>/dev/null)" ]'
T=$(cut -d' ' -f1 /proc/$TP/task/$TP/children)
wait_for '[ "$(readlink /proc/$T/exe)" = "$(readlink -f "$(command -v sleep)")" ]'
WANT=$(nsinos "$T" user net mnt uts pid)
check "the target is in its own user, net, mnt, uts and pid namespaces" \
        test "$(nsinos "$T" user net mnt uts pid)" != "$(nsinos $$ user net mnt uts pid)"

in_ns='for t in user net mnt uts pid; do printf "%s " $(readlink /proc/self/ns/$t); done; echo; id -u; id -g; hostname'
run_cmd "$USERNS" enter "$T" -- sh -c "$in_ns"
is "enter PID exits 0" "$RC" 0
is "enter PID: same user/net/mnt/uts/pid namespaces" "$(sed -n 1p <<<"$OUT" | sed 's/ $//')" "$WANT"
is "enter PID: uid and gid 0 inside" "$(sed -n 2,3p <<<"$OUT" | tr '\n' ' ')" "0 0 "
is "enter PID: the target's hostname" "$(sed -n 4p <<<"$OUT")" inner
run_cmd "$USERNS" enter "$T" -- cat /proc/self/status
like "enter PID: the kernel shows uid 0 inside" "$(grep ^Uid <<<"$OUT")" "^Uid:	0	"
run_cmd "$USERNS" enter --no-pidfd "$T" -- sh -c "$in_ns"
is "enter --no-pidfd (fd by fd): same namespaces" "$(sed -n 1p <<<"$OUT" | sed 's/ $//')" "$WANT"
run_cmd "$USERNS" enter "$T" --preserve-credentials -- sh -c 'id -u; id -g'
is "--preserve-credentials: host root is unmapped inside (65534)" "$(tr '\n' ' ' <<<"$OUT")" "65534 65534 "
run_cmd "$USERNS" enter --types user,net "$T" -- sh -c "$in_ns"
is "--types user,net: mnt/uts/pid stay ours" "$(sed -n 1p <<<"$OUT" | sed 's/ $//')" \
        "$(readlink /proc/$T/ns/user) $(readlink /proc/$T/ns/net) $(nsinos $$ mnt uts pid)"

# Exit statuses, on the exec path (no pid ns) and the fork path (pid ns).
for types in user,net all; do
        run_cmd "$USERNS" enter -t $types "$T" -- sh -c 'exit 7'
        is "$types: the command's exit status passes through" "$RC" 7
        run_cmd "$USERNS" enter -t $types "$T" -- sh -c 'kill -TERM $$'
        is "$types: killed by SIGTERM gives 143" "$RC" 143
        run_cmd "$USERNS" enter -t $types "$T" -- /no/such/command
        is "$types: command not found gives 127" "$RC" 127
        run_cmd "$USERNS" enter -t $types "$T" -- /proc/self/status
        is "$types: command not executable gives 126" "$RC" 126
done

# A path to an nsfs file: that user namespace only.
run_cmd "$USERNS" enter "/proc/$T/ns/user" -- sh -c "$in_ns"
is "enter /proc/PID/ns/user: that user namespace, our net" "$(sed -n 1p <<<"$OUT" | cut -d' ' -f1-2)" \
        "$(readlink /proc/$T/ns/user) $(readlink /proc/$$/ns/net)"
run_cmd "$USERNS" enter "/proc/$T/ns/net" -- sh -c "$in_ns"
is "enter /proc/PID/ns/net: that net namespace and its owner" "$(sed -n 1p <<<"$OUT" | cut -d' ' -f1-2)" \
        "$(readlink /proc/$T/ns/user) $(readlink /proc/$T/ns/net)"

# Keep: the namespaces outlive the target; enter and tree find them; rm releases them.
run_cmd "$USERNS" keep "$T" k1
is "keep PID NAME exits 0" "$RC" 0
is "keep bind-mounted each owned namespace but pid" "$(ls "$TMP/keep/k1" | tr '\n' ' ')" "mnt net user uts "
kill -KILL "$T"; wait "$TP" 2>/dev/null   # T is a pid namespace init: only SIGKILL from here
check "the target is gone" wait_for '[ ! -d /proc/$T ]'
# (Joining the kept mnt namespace brings its /proc, of the dead pid namespace: check it
# by its tmpfs, and the others by inode with -t.)
run_cmd "$USERNS" enter -t user,net,uts k1 -- sh -c 'for t in user net uts; do printf "%s " $(readlink /proc/self/ns/$t); done; hostname'
is "enter NAME: the kept user/net/uts namespaces" "$OUT" "$(cut -d' ' -f1,2,4 <<<"$WANT") inner"
run_cmd "$USERNS" enter k1 -- ls /mnt
is "enter NAME: the kept mnt namespace (its tmpfs on /mnt)" "$OUT" inner-marker
run_cmd "$USERNS" tree --json
like "tree finds the kept namespace through its bind mount" "$OUT" "\"held_by\":\[\"bind mount $TMP/keep/k1/user\"\]"
run_cmd "$USERNS" keep $$ k1
is "keep onto an existing name: exit 1" "$RC" 1
like "  ... says it is already kept" "$ERR" "already kept"
run_cmd "$USERNS" rm k1
is "rm NAME exits 0" "$RC" 0
check "rm removed the directory" test ! -e "$TMP/keep/k1"
check_fails "rm left no nsfs mount behind" grep -q "$TMP/keep/k1" /proc/self/mountinfo
run_cmd "$USERNS" rm k1
is "rm of an unknown name: exit 1" "$RC" 1
like "  ... names it" "$ERR" "no kept namespaces named 'k1'"
run_cmd "$USERNS" keep 1 ../x
is "keep with a bad name: exit 1" "$RC" 1

# A namespace made by userns run --net --mount --uts (the process execs in place, keeping its pid).
"$USERNS" run --net --mount --uts --hostname runbox --uid-map 0:100000:65536 --gid-map 0:100000:65536 -- \
        sh -c 'for t in user net mnt uts; do printf "%s " $(readlink /proc/self/ns/$t); done > "$1.tmp"
               mv "$1.tmp" "$1"; exec sleep 1000' _ "$TMP/out/run-ns" &
R=$!
wait_for '[ -s "$TMP/out/run-ns" ]'
RUNNS=$(sed 's/ $//' "$TMP/out/run-ns")
is "run: the process is in the namespaces it reported" "$(nsinos "$R" user net mnt uts)" "$RUNNS"
run_cmd "$USERNS" enter "$R" -- sh -c 'for t in user net mnt uts; do printf "%s " $(readlink /proc/self/ns/$t); done; echo; id -u; id -g; hostname; cat /proc/self/uid_map'
is "enter a run namespace: exits 0" "$RC" 0
is "enter a run namespace: same user/net/mnt/uts inodes" "$(sed -n 1p <<<"$OUT" | sed 's/ $//')" "$RUNNS"
is "enter a run namespace: uid and gid 0" "$(sed -n 2,3p <<<"$OUT" | tr '\n' ' ')" "0 0 "
is "enter a run namespace: its hostname" "$(sed -n 4p <<<"$OUT")" runbox
like "enter a run namespace: its uid map" "$(sed -n 5p <<<"$OUT")" "^ +0 +100000 +65536$"
run_cmd "$USERNS" enter "$R" -- sh -c 'exit 42'
is "enter a run namespace: exit status 42 passes through" "$RC" 42
run_cmd "$USERNS" enter "$R" -- sh -c 'kill -KILL $$'
is "enter a run namespace: SIGKILL gives 137" "$RC" 137
run_cmd "$USERNS" enter "$R" -- /no/such/command
is "enter a run namespace: not found gives 127" "$RC" 127
kill "$R"; wait "$R" 2>/dev/null

# userns run --keep: the namespaces outlive the command.
run_cmd "$USERNS" run --net --mount --uts --hostname runkept --keep rk -- \
        sh -c 'for t in user net mnt uts; do printf "%s " $(readlink /proc/self/ns/$t); done'
is "run --keep exits 0" "$RC" 0
RK=$(sed 's/ $//' <<<"$OUT")
is "run --keep kept user, mnt, net, uts" "$(ls "$TMP/keep/rk" 2>&1 | tr '\n' ' ')" "mnt net user uts "
run_cmd "$USERNS" enter rk -- sh -c 'for t in user net mnt uts; do printf "%s " $(readlink /proc/self/ns/$t); done; echo; hostname'
is "enter the kept run: the same namespaces the command was in" "$(sed -n 1p <<<"$OUT" | sed 's/ $//')" "$RK"
is "enter the kept run: its hostname" "$(sed -n 2p <<<"$OUT")" runkept
run_cmd "$USERNS" tree --json
like "tree shows the kept run's user namespace held by its bind mount" "$OUT" "\"held_by\":\[\"bind mount $TMP/keep/rk/user\"\]"
run_cmd "$USERNS" run --keep rk -- true
is "run --keep onto a kept name: exit 125" "$RC" 125
like "  ... says it is already kept" "$ERR" "already kept"
is "  ... and the first one is intact" "$(ls "$TMP/keep/rk" | tr '\n' ' ')" "mnt net user uts "
run_cmd "$USERNS" rm rk
is "rm the kept run" "$RC" 0
check_fails "rm of the last name undid the keep directory's self-bind" grep -q " $TMP/keep " /proc/self/mountinfo
check "  ... and removed the directory" test ! -e "$TMP/keep"
run_cmd "$USERNS" run --keep ../bad -- true
is "run --keep with a bad name: exit 125" "$RC" 125
# Inside a mount namespace it owns, an unprivileged user can keep (and the keep is local to it).
run_cmd "$AS_USER" -- "$USERNS" run --mount --map-root -- sh -c '
        U=$1; export USERNS_KEEP_DIR=$2/ukeep/in
        "$U" run --map-root --net --uts --hostname nested -- sleep 100 & p=$!
        for i in $(seq 100); do [ "$(readlink /proc/$p/exe)" = "$(readlink -f "$(command -v sleep)")" ] && break; sleep 0.05; done
        "$U" keep $p box || exit 1
        ls $USERNS_KEEP_DIR/box | tr "\n" " "
        kill $p; wait $p
        "$U" enter box -- hostname
        "$U" rm box && [ ! -e $USERNS_KEEP_DIR ]' _ "$USERNS" "$TMP"
is "unprivileged, in its own mount namespace: keep, enter NAME, rm" "$RC" 0
is "  ... kept its user, net and uts namespaces; enter found the hostname" "$(tr '\n' ' ' <<<"$OUT")" "net user uts nested "
run_cmd "$AS_USER" -- env USERNS_KEEP_DIR="$TMP/ukeep" "$USERNS" run --map-root --keep u1 -- true
is "unprivileged run --keep on the host mount namespace: exit 125" "$RC" 125
like "  ... says a bind mount needs CAP_SYS_ADMIN over the mount namespace" "$ERR" "needs CAP_SYS_ADMIN over the current mount namespace"

# Errors (exit 125, like run).
mkns "5 100000 10" "5 100000 10" 5 5 - sleep 1000
T0=$MKNS_PID
wait_for '[ "$(readlink /proc/$T0/exe)" = "$(readlink -f "$(command -v sleep)")" ]'
run_cmd "$USERNS" enter "$T0" -- true
is "uid/gid 0 unmapped in the target: exit 125" "$RC" 125
like "  ... says 0 is not mapped and what to do" "$ERR" "gid 0 is not mapped in user:\[[0-9]+\]; use --preserve-credentials"
run_cmd "$USERNS" enter "$T0" --preserve-credentials -- id -u
is "  ... --preserve-credentials works there" "$OUT" 65534
run_cmd "$USERNS" enter $$ -- true
is "own user namespace and nothing else: exit 125" "$RC" 125
like "  ... says so" "$ERR" "is the caller's own user namespace: .* nothing else to join"
# A target in our user namespace with its own net and uts: those are joined, the user one is not.
unshare --net --uts sh -c 'hostname samens; exec sleep 1000' &
T1=$!
wait_for '[ "$(readlink /proc/$T1/exe)" = "$(readlink -f "$(command -v sleep)")" ]'
T1NET=$(readlink /proc/$T1/ns/net)
run_cmd "$USERNS" enter "$T1" -- sh -c 'readlink /proc/self/ns/user /proc/self/ns/net; hostname; id -u'
kill $T1
is "own user namespace, other net/uts: those are joined, ids kept" "$(tr '\n' ' ' <<<"$OUT")" \
        "$(readlink /proc/self/ns/user) $T1NET samens 0 "
run_cmd "$USERNS" enter "$T" -- true
is "a gone target: exit 125" "$RC" 125
like "  ... says it is gone" "$ERR" "process $T is gone"
run_cmd "$USERNS" keep "$T0" k2
run_cmd "$AS_USER" -- "$USERNS" enter "$TMP/keep/k2/user" -- true
is "no CAP_SYS_ADMIN in the target: exit 125" "$RC" 125
like "  ... says CAP_SYS_ADMIN in the target is required" "$ERR" "permission denied: setns needs CAP_SYS_ADMIN in the target user namespace"
run_cmd "$USERNS" enter
is "no target: exit 125" "$RC" 125
run_cmd "$USERNS" enter no-such-name-xyz -- true
is "an unknown name: exit 125" "$RC" 125
tap_done
