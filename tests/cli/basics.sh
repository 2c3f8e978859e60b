#!/bin/bash
# The CLI's common behaviour, and the test identity helper itself.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user

run_cmd "$USERNS" --help
is "--help exits 0" "$RC" 0
like "--help lists usage" "$OUT" "Usage: userns COMMAND"
run_cmd "$USERNS" --version
like "--version prints the version" "$OUT" "^userns [0-9]+\.[0-9]+"
run_cmd "$USERNS" no-such-command
is "unknown command exits 1" "$RC" 1
like "unknown command is named" "$ERR" "unknown command 'no-such-command'"
run_cmd "$USERNS"
is "no command exits 1" "$RC" 1

# The test identity: its own account files, bound over the system's only inside it.
run_cmd "$AS_USER" --uid 4243 --subuid 300000:1000 -- sh -c 'id -u; id -un; cat /etc/subuid'
is "as-user runs as the test uid" "$(sed -n 1p <<<"$OUT")" 4243
is "as-user's passwd names the user" "$(sed -n 2p <<<"$OUT")" usernstest
is "as-user's subuid is its own" "$(sed -n 3p <<<"$OUT")" "usernstest:300000:1000"
check_fails "the system's passwd is unchanged" grep -q '^usernstest:' /etc/passwd
run_cmd "$AS_USER" -- sh -c 'grep CapEff /proc/self/status'
is "as-user has no effective capabilities" "$OUT" "CapEff:	0000000000000000"
run_cmd "$AS_USER" -- sh -c 'exit 7'
is "as-user passes the exit status through" "$RC" 7
tap_done
