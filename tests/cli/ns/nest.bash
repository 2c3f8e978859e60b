# A known nesting of user namespaces for tree.sh / id.sh (sourced, not a test itself).
#
#   init ─ L1 (uid 0:100000:65536, gid 0:100000:65536)      pid P1 (bash, uid 0)
#           ├─ L2 (uid 0:1000:2000, gid 0:2000:3000)        pid P2 (sleep, uid 0)
#           │   └─ L3 (uid 0:5:10, gid 0:7:10)              pid P3 (sleep, uid 3 gid 4 groups 5,6)
#           └─ LK (uid 0:50000:100, gid 0:60000:100,         pid PK, then (nest_keep) no process:
#                  setgroups deny)                           kept only by a bind mount
# Maps are relative to the parent.  Every level is made by tests/cli/ns/mkns.py (python),
# with maps written from the parent: independent of userns.  nest_cleanup (a trap) ends it.

# The tests run pinned to one CPU (taskset -c 0): the kernel binds a mount namespace file
# only into a mount namespace with a lower namespace id (mnt_ns_loop()), and 6.18 hands
# ids out in per-CPU batches, so a mount namespace created later on the other CPU can
# have a lower id than this test's private one (observed: 118688 created after 123638).
# On one CPU the ids follow creation order.

AS_USER=$SRCDIR/tests/lib/as-user
export NEST_DIR=${NEST_DIR:-$SRCDIR/tests/cli/ns}

# nest_private "$0" "$@": re-run the test in a private mount namespace, on one CPU.
nest_private() {
        [ -n "${USERNS_TEST_PRIVATE_MNT:-}" ] ||
                USERNS_TEST_PRIVATE_MNT=1 exec taskset -c 0 unshare --mount --propagation private -- bash "$@"
}

nest_wait_file() {   # nest_wait_file PATH: wait up to 10 s
        local i
        for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
        echo "# timeout waiting for $1" >&2; return 1
}

# ns_of PID: the inode of its user namespace
ns_of() { readlink "/proc/$1/ns/user" | tr -dc 0-9; }

# mkns UIDMAP GIDMAP UID GID GROUPS CMD...: start CMD in the background in a new user
# namespace whose maps ("first lower count", lower ids in our namespace) we write from
# here; inside, it switches to UID/GID/GROUPS first (mkns.py).  Sets MKNS_PID.
mkns() {
        local um=$1 gm=$2 i; shift 2
        python3 "$NEST_DIR/mkns.py" "$@" &
        MKNS_PID=$!
        for i in $(seq 250); do
                [ "$(readlink /proc/$MKNS_PID/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break
                sleep 0.02
        done
        echo "$um" > /proc/$MKNS_PID/uid_map || return 1
        [ -z "${MKNS_SETGROUPS:-}" ] || echo "$MKNS_SETGROUPS" > /proc/$MKNS_PID/setgroups || return 1
        echo "$gm" > /proc/$MKNS_PID/gid_map
}
export -f mkns

nest_build() {
        NEST=$(mktemp -d /tmp/userns-nest.XXXXXX)
        chmod 1777 "$NEST"
        mkns "0 100000 65536" "0 100000 65536" 0 0 - bash -c '
                d=$1
                mkns "0 1000 2000" "0 2000 3000" 0 0 - bash -c "
                        mkns \"0 5 10\" \"0 7 10\" 3 4 5,6 sleep 1000
                        echo \$MKNS_PID > $d/p3
                        exec sleep 1000"
                echo $MKNS_PID > $d/p2
                MKNS_SETGROUPS=deny mkns "0 50000 100" "0 60000 100" 0 0 - sleep 1000
                echo $MKNS_PID > $d/pk
                while :; do wait; sleep 1; done    # reap PK when nest_keep ends it' _ "$NEST"
        P1=$MKNS_PID
        nest_wait_file "$NEST/p2" && nest_wait_file "$NEST/p3" && nest_wait_file "$NEST/pk" || return 1
        P2=$(cat "$NEST/p2") P3=$(cat "$NEST/p3") PK=$(cat "$NEST/pk")
        # Wait until each process is in its own namespace, with its final credentials.
        local i
        for i in $(seq 100); do
                L1=$(ns_of "$P1") L2=$(ns_of "$P2") L3=$(ns_of "$P3") LK=$(ns_of "$PK")
                if [ -n "$L1" ] && [ -n "$L3" ] && [ "$L1" != "$L2" ] && [ "$L2" != "$L3" ] && [ "$L1" != "$LK" ] &&
                   [ "$(ns_of $$)" != "$L1" ] && grep -q '^Groups:.*102013' "/proc/$P3/status" &&
                   [ "$(readlink /proc/$P3/exe)" = "$(readlink -f "$(command -v sleep)")" ]; then
                        return 0
                fi
                sleep 0.1
        done
        echo "# nesting did not come up" >&2
        return 1
}

# nest_keep: keep LK alive by a bind mount only, then end its process.
nest_keep() {
        mkdir -p "$NEST/keep"
        mount --bind "$NEST/keep" "$NEST/keep" && mount --make-private "$NEST/keep" || return 1
        touch "$NEST/keep/lk" && mount --bind "/proc/$PK/ns/user" "$NEST/keep/lk" || return 1
        kill "$PK"
        local i
        for i in $(seq 100); do [ -d "/proc/$PK" ] || return 0; sleep 0.1; done
        return 1
}

nest_cleanup() {
        [ -n "${NEST:-}" ] || return 0
        kill ${P3:-} ${PK:-} ${P2:-} ${P1:-} 2>/dev/null
        wait 2>/dev/null
        umount "$NEST/keep/lk" 2>/dev/null
        umount "$NEST/keep" 2>/dev/null
        rm -rf "$NEST"
}
