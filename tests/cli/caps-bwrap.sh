#!/bin/bash
# The attack list of caps-attack.sh against bubblewrap's equivalent
# (bwrap --unshare-user --disable-userns --cap-drop CAP_NET_ADMIN) and against
# `userns run --userns-caps all,-cap_net_admin`, both run unprivileged by the test identity.
# Both must block every attack and allow it without the restriction; prints the comparison table.
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/helpers/caps-attacks.sh"
AS_USER=$SRCDIR/tests/lib/as-user

if ! command -v bwrap >/dev/null; then
        tap_skip "bubblewrap is not installed"
        tap_done
        exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! make_attacks "$tmp"; then
        tap_skip "no C compiler for tests/helpers/caps-attack.c"
        tap_done
        exit
fi

# bwrap maps one id, so the setuid/fcaps programs run as uid 0 inside (without cap_net_admin).
BW=(bwrap --unshare-user --unshare-net --unshare-pid --uid 0 --gid 0 --dev-bind / / --proc /proc --cap-add ALL)
BW_RESTRICT=(--disable-userns --cap-drop CAP_NET_ADMIN)
UN=("$USERNS" run --net --pid)
UN_RESTRICT=(--userns-caps all,-cap_net_admin)

declare -A TABLE
row() {   # row TOOL ATTACK restricted-or-not: runs, checks, records
        local tool=$1 a=$2 mode=$3 cmd
        if [ "$tool" = bwrap ]; then cmd=("${BW[@]}"); [ "$mode" = r ] && cmd+=("${BW_RESTRICT[@]}")
        else cmd=("${UN[@]}"); [ "$mode" = r ] && cmd+=("${UN_RESTRICT[@]}"); fi
        run_cmd "$AS_USER" --no-subid -- "${cmd[@]}" -- sh "$tmp/$a.sh" 0
        local why
        why=$(grep -oE '(Operation not permitted|No space left on device|Function not implemented|ENOSYS[^,]*)' \
                <<<"$ERR" | sort -u | paste -sd/ -)
        if [ "$mode" = r ]; then
                check_fails "$tool restricted: ${ATTACK_NAME[$a]} fails" test "$RC" = 0
                TABLE[$tool,$a]=$([ "$RC" = 0 ] && echo "NOT BLOCKED" || echo "blocked (${why:-status $RC})")
        else
                is "$tool unrestricted: ${ATTACK_NAME[$a]} succeeds" "$RC" 0
                [ "$RC" = 0 ] || tap_diag "$ERR"
        fi
}
for a in "${ATTACKS[@]}"; do
        for tool in bwrap userns; do
                row "$tool" "$a" u
                row "$tool" "$a" r
        done
done

# Properties beside the attacks (reported, not compared for equality).
run_cmd "$AS_USER" --no-subid -- "${BW[@]}" "${BW_RESTRICT[@]}" -- grep NoNewPrivs /proc/self/status
bw_nnp=$(awk '{print $2}' <<<"$OUT")
run_cmd "$AS_USER" --no-subid -- "${UN[@]}" "${UN_RESTRICT[@]}" -- grep NoNewPrivs /proc/self/status
un_nnp=$(awk '{print $2}' <<<"$OUT")
is "bwrap always sets no_new_privs" "$bw_nnp" 1
is "userns leaves no_new_privs to --no-new-privs" "$un_nnp" 0
run_cmd "$AS_USER" --no-subid -- "${UN[@]}" "${UN_RESTRICT[@]}" -- "$USERNS" caps --json
like "userns: securebits locked" "$OUT" '"securebits": ?239'

tap_diag "$(printf '| attack | bwrap --disable-userns --cap-drop CAP_NET_ADMIN | userns run --userns-caps all,-cap_net_admin |\n|---|---|---|')"
for a in "${ATTACKS[@]}"; do
        tap_diag "| ${ATTACK_NAME[$a]} | ${TABLE[bwrap,$a]} | ${TABLE[userns,$a]} |"
done
tap_done
