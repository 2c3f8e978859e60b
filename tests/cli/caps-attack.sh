#!/bin/bash
# Attacks on a capability ceiling: `userns run --userns-caps all,-cap_net_admin --net` must stop
# every way of getting CAP_NET_ADMIN over a network namespace (adding a network device), while the
# same actions succeed without the ceiling (so each test can fail).
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user

. "$SRCDIR/tests/helpers/caps-attacks.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! make_attacks "$tmp"; then
        tap_skip "no C compiler for tests/helpers/caps-attack.c: $(head -1 "$tmp/cc.log")"
        tap_done
        exit
fi
CEIL=all,-cap_net_admin
# Root of the namespace is host uid 100000; uid 1000 inside exists for the setuid/fcaps attacks.
MAP=(--uid-map 0:100000:65536 --gid-map 0:100000:65536 --uid 0 --gid 0)

# attack NAME SCRIPT ERR-REGEX [BASELINE-ERR-REGEX]
attack() {
        local name=$1 script=$2 want=$3 base=${4:-}
        run_cmd "$USERNS" run --net "${MAP[@]}" -- sh "$tmp/$script"
        is "$name succeeds without the ceiling" "$RC" 0
        [ "$RC" = 0 ] || tap_diag "$ERR"
        [ -z "$base" ] || like "$name without the ceiling: how" "$ERR" "$base"
        run_cmd "$USERNS" run --net "${MAP[@]}" --userns-caps "$CEIL" -- sh "$tmp/$script"
        if [ "$RC" != 0 ] && [ "$RC" != 125 ]; then
                tap_ok "$name fails under --userns-caps $CEIL"
        else
                tap_not_ok "$name fails under --userns-caps $CEIL (status $RC)"
                tap_diag "$ERR"
        fi
        like "$name: refused for the right reason" "$ERR" "$want"
}

attack "adding a network device" device.sh "RTNETLINK answers: Operation not permitted"
attack "after unshare -U -r -n (nested)" nested.sh "unshare failed: Operation not permitted"
attack "after clone3(CLONE_NEWUSER|CLONE_NEWNET)" clone3.sh \
        "clone3: ENOSYS, falling back to clone.*clone: Operation not permitted" "clone3: created"
attack "after exec of a setuid-root ip (uid 1000 inside)" setuid.sh "RTNETLINK answers: Operation not permitted"
attack "after exec of a file with v3 cap_net_admin (uid 1000 inside)" fcaps.sh \
        "caps-attack: .*: Operation not permitted"
like "the file capability is v3 for the namespace's root (rootid = host uid 100000)" \
        "$(getcap -n "$tmp"/w/tmp.* 2>/dev/null | head -1)" "cap_net_admin=ep \[rootid=100000\]"

# The filter covers the compat system call ABIs: unshare(CLONE_NEWUSER) through int $0x80.
run_cmd "$USERNS" run "${MAP[@]}" -- "$tmp/ca" unshare32
if [ "$RC" = 3 ]; then
        tap_skip "no i386 system call ABI here: $OUT"
else
        is "i386 ABI: unshare(CLONE_NEWUSER) works without the ceiling" "$OUT" "unshare32: ok"
        run_cmd "$USERNS" run "${MAP[@]}" --userns-caps "$CEIL" -- "$tmp/ca" unshare32
        is "i386 ABI: refused (EPERM, not a killed process) under the ceiling" "$OUT" \
                "unshare32: Operation not permitted"
fi

# With --pid, userns's PID 1 stays in the namespace with every capability; the command must not
# be able to take it over (ptrace, /proc/1/mem) to escape the ceiling.
run_cmd "$USERNS" run --pid -- "$tmp/ca" ptrace 1
is "without the ceiling the command may ptrace its PID 1" "$OUT" "ptrace: attached"
run_cmd "$USERNS" run --pid --userns-caps "$CEIL" -- "$tmp/ca" ptrace 1
is "under the ceiling it may not" "$OUT" "ptrace: Operation not permitted"
run_cmd "$USERNS" run --pid "${MAP[@]}" --userns-caps "$CEIL" -- sh "$tmp/device.sh"
like "--pid: adding a device still fails under the ceiling" "$ERR" "RTNETLINK answers: Operation not permitted"

# What the restricted command sees of itself.
run_cmd "$USERNS" run --net "${MAP[@]}" --userns-caps "$CEIL" -- "$USERNS" caps --json
is "userns caps inside exits 0" "$RC" 0
like "bounding set lacks cap_net_admin" "$OUT" '"bounding": ?\["cap_chown",.*"cap_net_broadcast","cap_net_raw"'
like "ambient set carries the ceiling across exec" "$OUT" '"ambient": ?\["cap_chown",.*"cap_checkpoint_restore"\]'
like "securebits are locked (0xef)" "$OUT" '"securebits": ?239,'
like "the seccomp filter is on" "$OUT" '"seccomp": ?2,'
like "no native user-namespace capability set on this kernel" "$OUT" '"native_userns_caps": ?false'
run_cmd "$USERNS" run "${MAP[@]}" --userns-caps "$CEIL" -- cat /proc/sys/user/max_user_namespaces
is "max_user_namespaces is 0 inside" "$OUT" 0
run_cmd "$USERNS" run "${MAP[@]}" --userns-caps "$CEIL" --uid 1000 --gid 1000 -- grep CapEff /proc/self/status
is "the ceiling for a non-root id: nothing by default" "$OUT" "CapEff:	0000000000000000"
run_cmd "$USERNS" run "${MAP[@]}" --userns-caps "$CEIL" --caps "$CEIL" --uid 1000 --gid 1000 -- \
        grep CapEff /proc/self/status
is "--caps up to the ceiling holds for a non-root id after exec" "$OUT" "CapEff:	000001ffffffefff"

# Refusals, before anything is created.
run_cmd "$USERNS" run --userns-caps "$CEIL" --nested-userns allow -- true
is "a ceiling with nesting allowed is refused on this kernel" "$RC" 125
like "  ...naming the missing kernel facility" "$ERR" "PR_CAP_USERNS.*prctl 48 gives EINVAL"
run_cmd "$USERNS" run --userns-caps "$CEIL" --caps cap_net_admin,cap_chown -- true
is "--caps outside the ceiling is refused" "$RC" 125
like "  ...naming the capability" "$ERR" "include cap_net_admin, outside the namespace's ceiling"
run_cmd "$USERNS" run --caps cap_bogus -- true
like "an unknown capability is named" "$ERR" "--caps 'cap_bogus'.*not a capability"
run_cmd "$USERNS" run --nested-userns maybe -- true
like "--nested-userns takes allow or deny" "$ERR" "'maybe' is neither allow nor deny"
run_cmd "$USERNS" run --securebits bogus -- true
like "--securebits names are checked" "$ERR" "'bogus' is not a securebit"

# Without a ceiling: --cap-drop holds in this namespace, but a nested one gets everything back.
run_cmd "$USERNS" run --net "${MAP[@]}" --cap-drop cap_net_admin -- sh "$tmp/device.sh"
like "--cap-drop cap_net_admin: no device in this namespace" "$ERR" "Operation not permitted"
run_cmd "$USERNS" run --net "${MAP[@]}" --cap-drop cap_net_admin -- sh "$tmp/nested.sh"
is "--cap-drop alone: a nested namespace regains cap_net_admin (why --userns-caps exists)" "$RC" 0
run_cmd "$USERNS" run "${MAP[@]}" --nested-userns deny -- unshare -U true
like "--nested-userns deny alone blocks nesting" "$ERR" "Operation not permitted"
run_cmd "$USERNS" run "${MAP[@]}" --caps cap_net_bind_service --uid 1000 --gid 1000 -- \
        grep -E 'Cap(Eff|Bnd|Amb)' /proc/self/status
is "--caps for uid 1000: effective, bounding, ambient after exec" "$(echo $OUT)" \
        "CapEff: 0000000000000400 CapBnd: 0000000000000400 CapAmb: 0000000000000400"
run_cmd "$USERNS" run "${MAP[@]}" --cap-add cap_kill --uid 1000 --gid 1000 -- grep CapEff /proc/self/status
is "--cap-add for uid 1000 adds to the default (none)" "$OUT" "CapEff:	0000000000000020"
run_cmd "$USERNS" run "${MAP[@]}" --no-new-privs --securebits noroot -- "$USERNS" caps
like "--no-new-privs" "$OUT" "no_new_privs: yes"
like "--securebits noroot" "$OUT" "securebits:   noroot \(0x1\)"

# Unprivileged: the test identity gets the same guarantee.
run_cmd "$AS_USER" --no-subid -- "$USERNS" run --net --userns-caps "$CEIL" -- sh "$tmp/device.sh"
like "unprivileged: adding a device fails under the ceiling" "$ERR" "RTNETLINK answers: Operation not permitted"
run_cmd "$AS_USER" --no-subid -- "$USERNS" run --net --userns-caps "$CEIL" -- sh "$tmp/nested.sh"
like "unprivileged: nesting fails under the ceiling" "$ERR" "unshare failed: Operation not permitted"
run_cmd "$AS_USER" --no-subid -- "$USERNS" run --net -- sh "$tmp/nested.sh"
is "unprivileged: nesting works without it" "$RC" 0
tap_done
