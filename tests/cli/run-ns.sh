#!/bin/bash
# userns run --<ns>: each flag gives a new namespace whose owner (NS_GET_USERNS) is the
# new user namespace, as the unprivileged test identity; root inside has capabilities
# over what it owns and none over the host's.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user
OWNER=$SRCDIR/tests/cli/helpers/ns-owner.pl
TYPES="mnt pid net uts ipc cgroup time"
declare -A FLAG=([mnt]=--mount [pid]=--pid [net]=--net [uts]=--uts [ipc]=--ipc [cgroup]=--cgroup [time]=--time)

# Each check runs in one test-identity session: a shell that stays alive in the caller's
# namespaces (so their inode numbers cannot be reused by the new ones) prints them as
# "outer TYPE INODE OWNER", then runs userns.  (as-user's private mount namespace has no
# other process: were the caller to exec userns, that namespace could be freed and its
# inode number handed to the new one.)
with_outer() {
        run_cmd "$AS_USER" -- sh -c 'o=$1; shift; perl "$o" user '"$TYPES"' | sed "s/^/outer /"; "$@"' \
                sh "$OWNER" "$@"
        declare -gA HOST=()
        local ty num
        while read -r _ ty num _; do HOST[$ty]=$num; done < <(grep '^outer ' <<<"$OUT")
        OUT=$(grep -v '^outer ' <<<"$OUT")
}

with_outer true
is "the helper reads every namespace" "${#HOST[@]}" 8

for t in $TYPES; do
        with_outer "$USERNS" run "${FLAG[$t]}" -- perl "$OWNER" user $t
        user=$(awk '$1 == "user" {print $2}' <<<"$OUT")
        read -r _ ino owner < <(awk -v t="$t" '$1 == t' <<<"$OUT")
        if [ -n "$user" ] && [ "$user" != "${HOST[user]}" ] && [ -n "$ino" ] && [ "$ino" != "${HOST[$t]}" ] &&
           [ "$owner" = "$user" ]; then
                tap_ok "${FLAG[$t]}: a new $t namespace owned by the new user namespace"
        else
                tap_not_ok "${FLAG[$t]}: a new $t namespace owned by the new user namespace"
                tap_diag "host user ${HOST[user]} $t ${HOST[$t]}; inside: $OUT $ERR"
        fi
done

# Without the flag, the namespace stays the caller's (and the new user namespace does not own it).
with_outer "$USERNS" run -- perl "$OWNER" net
read -r _ ino owner <<<"$OUT"
is "without --net the network namespace is the caller's" "$ino" "${HOST[net]}"

# --all: every type at once, all owned by the same new user namespace.
with_outer "$USERNS" run --all -- perl "$OWNER" user $TYPES
user=$(awk '$1 == "user" {print $2}' <<<"$OUT")
owners=$(awk '$1 != "user" {print $3}' <<<"$OUT" | sort -u)
news=$(awk -v h="${HOST[mnt]} ${HOST[pid]} ${HOST[net]} ${HOST[uts]} ${HOST[ipc]} ${HOST[cgroup]} ${HOST[time]}" \
        'BEGIN {split(h, a)} $1 != "user" {for (i in a) if ($2 == a[i]) print "old " $1}' <<<"$OUT")
is "--all: seven namespaces owned by the new user namespace" "$owners/$(wc -l <<<"$OUT")" "$user/8"
is "--all: none of them is the caller's" "$news" ""

# Capabilities: root inside may change what it owns, not the host's.
run_cmd "$AS_USER" -- "$USERNS" run --uts -- sh -c 'hostname inside && hostname'
is "root inside sets the hostname of its own uts namespace" "$OUT" "inside"
run_cmd "$AS_USER" -- "$USERNS" run -- hostname inside
check_fails "... but not of the host's uts namespace" test "$RC" = 0
run_cmd "$AS_USER" -- "$USERNS" run --hostname box -- hostname
is "--hostname sets it (and implies --uts)" "$OUT" "box"
run_cmd "$AS_USER" -- "$USERNS" run --net -- sh -c 'ip link set lo up && ip -o link show lo | grep -c LOOPBACK,UP'
is "root inside brings up lo in its own network namespace" "$OUT" "1"
run_cmd "$AS_USER" -- "$USERNS" run -- ip link set lo down
check_fails "... but cannot touch the host's" test "$RC" = 0
# --cgroup: every hierarchy's path of the caller reads "/" inside (its cgroups are the namespace's roots).
run_cmd "$AS_USER" -- "$USERNS" run --cgroup -- cat /proc/self/cgroup
is "--cgroup: the caller's cgroups are the roots of the new cgroup namespace" "$(grep -vc ':/$' <<<"$OUT")" 0
run_cmd "$AS_USER" -- "$USERNS" run -- cat /proc/self/cgroup
if [ "$(grep -vc ':/$' <<<"$OUT")" = 0 ]; then
        tap_skip "the caller is in the root cgroups here: nothing to compare"
else
        tap_ok "... while without --cgroup some path is not the root"
fi
tap_done
