#!/bin/bash
# userns run: default maps, map modes, explicit maps within and outside the delegation,
# setgroups; unprivileged through the test identity, and multi-extent maps as root.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user
SHOW='id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
squash() { tr -s ' \t\n' ' ' <<<"$1" | sed 's/^ //; s/ $//'; }

# --- unprivileged, with subordinate ranges (as-user's default 200000:65536) ---
run_cmd "$AS_USER" -- "$USERNS" run -- id -u
is "test identity: run -- id -u prints 0" "$OUT" 0
is "... and exits 0" "$RC" 0

run_cmd "$AS_USER" -- "$USERNS" run -- sh -c "$SHOW"
is "with subordinate ranges: uid and gid maps have both extents, setgroups allow" "$(squash "$OUT")" \
   "0 0 0 4242 1 1 200000 65536 0 4242 1 1 200000 65536 allow"

run_cmd "$AS_USER" --subuid 300000:10 --subuid 400000:5 --subgid 500000:7 -- "$USERNS" run -- sh -c "$SHOW"
is "several subordinate ranges fill 1.. in file order" "$(squash "$OUT")" \
   "0 0 0 4242 1 1 300000 10 11 400000 5 0 4242 1 1 500000 7 allow"

run_cmd "$AS_USER" -- "$USERNS" run --subid-source libsubid -- sh -c "$SHOW"
is "ranges read through libsubid give the same maps" "$(squash "$OUT")" \
   "0 0 0 4242 1 1 200000 65536 0 4242 1 1 200000 65536 allow"

# --- unprivileged, without subordinate ranges ---
run_cmd "$AS_USER" --no-subid -- "$USERNS" run -- sh -c "$SHOW"
is "without subordinate ranges: the single self-map and setgroups deny" "$(squash "$OUT")" \
   "0 0 0 4242 1 0 4242 1 deny"

run_cmd "$AS_USER" --no-subid -- "$USERNS" run --map-auto -- true
is "--map-auto without ranges exits 125" "$RC" 125
like "... naming the file and the line to add" "$ERR" "no subordinate uid range for usernstest \(uid 4242\) in /etc/subuid; add a line such as 'usernstest:[0-9]+:65536'"

run_cmd "$AS_USER" --subuid 200000:65536 --subgid 200000:0 -- "$USERNS" run --map-auto -- true
like "--map-auto with subuids but no subgids names /etc/subgid" "$ERR" "no subordinate gid range .* in /etc/subgid"

run_cmd "$AS_USER" -- "$USERNS" run --setgroups deny -- sh -c 'cat /proc/self/setgroups /proc/self/gid_map; id -G'
is "--setgroups deny before newgidmap writes a subordinate gid map" "$(squash "$OUT")" "deny 0 4242 1 1 200000 65536 0"

# --- map modes ---
run_cmd "$AS_USER" -- "$USERNS" run --map-root -- sh -c "$SHOW"
is "--map-root maps only self to 0" "$(squash "$OUT")" "0 0 0 4242 1 0 4242 1 deny"
run_cmd "$AS_USER" -- "$USERNS" run --map-current -- sh -c "$SHOW"
is "--map-current maps self to self" "$(squash "$OUT")" "4242 4242 4242 4242 1 4242 4242 1 deny"
run_cmd "$AS_USER" -- "$USERNS" run --map-auto -- sh -c "$SHOW"
is "--map-auto with ranges equals the default" "$(squash "$OUT")" \
   "0 0 0 4242 1 1 200000 65536 0 4242 1 1 200000 65536 allow"

# --- explicit maps within the delegation ---
run_cmd "$AS_USER" -- "$USERNS" run --uid-map 0:200000:1000 --gid-map '0 200010 5' -- \
        sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
is "explicit compact and kernel-form maps inside the delegation are written" "$(squash "$OUT")" \
   "0 200000 1000 0 200010 5"
run_cmd "$AS_USER" -- "$USERNS" run --uid-map '[{"containerID":0,"hostID":4242,"size":1},{"containerID":1000,"hostID":265000,"size":536}]' \
        --gid-map 0:4242:1,1:200000:65536 -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
is "OCI form and self plus a subordinate range" "$(squash "$OUT")" \
   "0 4242 1 1000 265000 536 0 4242 1 1 200000 65536"
run_cmd "$AS_USER" --subuid 200000:100 --subuid 200100:100 -- "$USERNS" run --uid-map 0:200050:100 --map-root -- cat /proc/self/uid_map
is "an extent may span two touching delegated ranges" "$(squash "$OUT")" "0 200050 100"

# --- explicit maps outside the delegation: refused before anything is created ---
trace=$(mktemp -d); chmod 777 "$trace"
STRACE=(); command -v strace >/dev/null &&
        STRACE=(env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=unshare,clone,clone3,fork,vfork,execve -o "$trace/log")
run_cmd "$AS_USER" -- "${STRACE[@]}" "$USERNS" run --uid-map 0:300000:10 -- true
is "a uid map outside the delegation exits 125" "$RC" 125
like "... with a message naming the extent, the ids and the delegation" "$ERR" \
     "uid_map extent 0:300000:10 maps host uids 300000-300009, which are not delegated to uid 4242: /etc/subuid delegates 200000-265535"
if [ -s "$trace/log" ]; then
        check_fails "... and no namespace was created (no unshare/clone with CLONE_NEWUSER)" grep -q NEWUSER "$trace/log"
        check_fails "... and no helper ran" grep -q 'newuidmap' "$trace/log"
else
        tap_skip "no strace trace (strace missing?)"; tap_skip "no strace trace (strace missing?)"
fi
rm -rf "$trace"
run_cmd "$AS_USER" -- "$USERNS" run --gid-map 0:200000:65537 -- true
like "a gid map one id past the delegation is refused" "$ERR" "gid_map extent 0:200000:65537 maps host gids 200000-265536, which are not delegated"
is "... exit 125" "$RC" 125
run_cmd "$AS_USER" -- "$USERNS" run --uid-map 0:0:1 -- true
like "mapping host root is refused" "$ERR" "maps host uids 0-0, which are not delegated"
run_cmd "$AS_USER" -- "$USERNS" run --uid-map 0:4242:2 -- true
like "own uid with a count above 1 is refused" "$ERR" "not delegated"
run_cmd "$AS_USER" -- "$USERNS" run --uid-map '0 1 2 3' -- true
like "an unparsable map is refused with the map library's reason" "$ERR" "--uid-map '0 1 2 3'"
is "... exit 125" "$RC" 125
run_cmd "$AS_USER" --no-subid -- "$USERNS" run --map-current --setgroups allow -- true
like "a self gid map with setgroups allow is refused (the kernel would)" "$ERR" "needs setgroups denied"

# --- the helpers ---
run_cmd "$AS_USER" -- env PATH=/nonexistent "$USERNS" run -- /bin/true
like "missing newuidmap names the package" "$ERR" "newuidmap not found in PATH.*install the uidmap package"
is "... exit 125" "$RC" 125

# newuidmap and newgidmap run side by side: wrappers that log, wait and exec the real helpers.
fake=$(mktemp -d); chmod 755 "$fake"; : >"$fake/log"; chmod 666 "$fake/log"
for h in newuidmap newgidmap; do
        printf '#!/bin/sh\necho "start %s" >>%s\nsleep 0.4\necho "end %s" >>%s\nexec %s "$@"\n' \
                "$h" "$fake/log" "$h" "$fake/log" "$(command -v $h)" >"$fake/$h"
        chmod 755 "$fake/$h"
done
run_cmd "$AS_USER" -- env PATH="$fake:$PATH" "$USERNS" run -- cat /proc/self/uid_map
is "through wrapped helpers the maps are still written" "$(squash "$OUT")" "0 4242 1 1 200000 65536"
is "newuidmap and newgidmap run concurrently (both start before either ends)" \
   "$(head -2 "$fake/log" | cut -d' ' -f1 | tr '\n' ' ')" "start start "
# A helper found in PATH whose exec fails (no #! line, not ELF: ENOEXEC): the waiting process
# (which shares our memory until it execs) reports it, for both the in-place and the pid-ns path.
printf 'not a program\n' >"$fake/newuidmap"; chmod 755 "$fake/newuidmap"
for opt in "" --pid; do
        run_cmd "$AS_USER" -- env PATH="$fake:$PATH" "$USERNS" run $opt -- true
        like "a helper that cannot be executed is reported${opt:+ ($opt)}" "$ERR" \
             "newuidmap refused the uid_map .*exit status 127.*cannot execute $fake/newuidmap: Exec format error"
        is "... exit 125" "$RC" 125
done
rm -rf "$fake"

# --- identity switch, unprivileged ---
run_cmd "$AS_USER" -- "$USERNS" run --uid 1000 --gid 2000 --groups 3000,3001 -- sh -c 'id -u; id -g; id -G'
is "--uid/--gid/--groups inside a subordinate map" "$(squash "$OUT")" "1000 2000 2000 3000 3001"
run_cmd "$AS_USER" --no-subid -- "$USERNS" run --groups 0 -- true
like "--groups with setgroups denied is refused" "$ERR" "--groups needs setgroups"
run_cmd "$AS_USER" --no-subid -- "$USERNS" run --uid 5 -- true
like "--uid outside the map is refused" "$ERR" "--uid 5: not mapped by the uid map"

# --- nested, from the test identity: root of the first namespace writes the second's maps directly ---
run_cmd "$AS_USER" -- "$USERNS" run -- "$USERNS" run --uid-map 0:1:1000 --gid-map 0:1:1000 -- \
        sh -c 'id -u; cat /proc/self/uid_map'
is "nested: the first namespace's root maps part of its subordinate range" "$(squash "$OUT")" "0 0 1 1000"
run_cmd "$AS_USER" -- "$USERNS" run -- "$USERNS" run --uid-map 0:70000:1 -- true
like "nested: a map outside the parent namespace is refused before creation" "$ERR" "the uid_map cannot be written: .*70000"

# --- as root: written directly, any extents ---
MAP='0:100000:1000,1000:0:1,2000:300000:5,3000:400000:1,4000:500000:1,5000:600000:1'
run_cmd "$USERNS" run --uid-map "$MAP" --gid-map "$MAP" -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
is "root: a six-extent map is written as given" "$(squash "$OUT")" \
   "0 100000 1000 1000 0 1 2000 300000 5 3000 400000 1 4000 500000 1 5000 600000 1 0 100000 1000 1000 0 1 2000 300000 5 3000 400000 1 4000 500000 1 5000 600000 1 allow"
run_cmd "$USERNS" run --uid-map "$MAP" --gid-map "$MAP" --uid 1000 --gid 2001 -- sh -c 'id -u; id -g; cat /proc/self/status | grep -E "^(Uid|Gid):" | tr -s "\t" " "'
is "root: --uid/--gid switch inside; the host sees the mapped ids" "$(squash "$OUT")" \
   "1000 2001 Uid: 1000 1000 1000 1000 Gid: 2001 2001 2001 2001"
run_cmd "$USERNS" run --uid-map "$MAP" --gid-map "$MAP" --uid 1000 -- sh -c 'grep -E "^CapEff" /proc/self/status'
is "root: after switching to a non-zero uid the command has no capabilities" "$OUT" "CapEff:	0000000000000000"
run_cmd "$USERNS" run -- sh -c "$SHOW"
is "root without subordinate ranges: self-map to 0 and setgroups deny" "$(squash "$OUT")" "0 0 0 0 1 0 0 1 deny"
run_cmd "$USERNS" run --setgroups allow --groups 0 -- sh -c 'cat /proc/self/setgroups; id -G'
is "root: --setgroups allow with --groups writes the gid map from outside" "$(squash "$OUT")" "allow 0"
run_cmd "$USERNS" run --uid-map 0:100000:1000 --gid-map 0:100000:1000 -- sh -c 'id -u; id -g; grep CapEff /proc/self/status'
is "root: a map that leaves the caller out makes it 0 inside (with capabilities)" "$(squash "$OUT")" "0 0 CapEff: 000001ffffffffff"
run_cmd "$USERNS" run --uid-map 0:100000:1000 --gid-map 0:100000:1000 -- \
        "$USERNS" run --uid-map 0:5000:10 --gid-map 0:0:10 -- true
like "nested root: a map outside the parent namespace's map is refused first" "$ERR" \
     "the uid_map cannot be written: .*5000"
is "... exit 125" "$RC" 125
run_cmd "$USERNS" run --uid-map 0:100000:1000 --gid-map 0:100000:1000 -- \
        "$USERNS" run --uid-map 0:5:10,10:500:1 --gid-map 0:0:10 -- cat /proc/self/uid_map
is "nested root: a two-extent map inside the parent's is written" "$(squash "$OUT")" "0 5 10 10 500 1"
tap_done
