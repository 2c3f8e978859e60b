#!/bin/bash
# userns run --pid: a real PID 1 that reaps orphans, forwards signals and passes the
# command's status through; and the exit statuses of userns run (125/126/127/128+N).
# All as the unprivileged test identity.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user
work=$(mktemp -d); chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

run_cmd "$AS_USER" -- "$USERNS" run --pid --mount -- sh -c 'echo $$; cat /proc/1/comm'
is "--pid: the command is pid 2 under a PID 1 of userns" "$(tr '\n' ' ' <<<"$OUT")" "2 userns "

# Orphans are reparented to PID 1, which must reap them: count zombies after they die.
# The orphans' parent must be PID 1; wait until none still runs, give PID 1 a moment, count zombies.
run_cmd "$AS_USER" -- "$USERNS" run --pid --mount -- sh -c '
        sleepers() { grep -l "^Name:.sleep" /proc/[0-9]*/status 2>/dev/null; }
        sh -c "sleep 0.3 & sleep 0.3 & sleep 0.3 &"
        echo "parents $(for f in $(sleepers); do grep "^PPid:" "$f" | cut -f2; done | sort -u | tr "\n" " ")"
        n=0; while [ -n "$(grep -l "^State:.[RSD]" $(sleepers) /dev/null 2>/dev/null)" ] && [ $n -lt 100 ]; do
                sleep 0.1; n=$((n + 1)); done
        sleep 0.3
        echo "zombies $(grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"'
is "--pid: orphans go to PID 1, which reaps them (no zombies left)" "$(tr '\n' '/' <<<"$OUT")" "parents 1 /zombies 0/"
run_cmd "$AS_USER" -- "$USERNS" run --pid --mount -- sh -c 'exit 42'
is "--pid passes the exit status through" "$RC" 42
run_cmd "$AS_USER" -- "$USERNS" run --pid -- sh -c 'kill -9 $$'
is "--pid: a command killed by SIGKILL gives 137" "$RC" 137
run_cmd "$AS_USER" -- "$USERNS" run --pid -- sh -c 'kill -SEGV $$'
is "--pid: SIGSEGV gives 139" "$RC" 139

# Signal forwarding: signal the outermost userns process from the host; the command inside
# (pid 2) traps it and exits with a status naming it.
outer_pid() {   # the userns process whose command line has MARKER and that is not inside a pid ns
        local marker=$1 p
        for p in $(pgrep -f -- "$marker"); do
                [ "$(grep -c . <(grep '^NSpid:' /proc/$p/status | tr '\t' '\n' | tail -n +2))" = 1 ] &&
                        grep -q userns "/proc/$p/comm" 2>/dev/null && { echo "$p"; return; }
        done
}
# wait_bounded PID SECONDS [KILLPID]: wait for a background job; if it is still running after
# SECONDS, SIGKILL KILLPID (the userns process: PID 1 and the command die with it) and fail.
wait_bounded() {
        local pid=$1 secs=$2 kp=${3:-}
        for _ in $(seq $((secs * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$pid" 2>/dev/null; then
                [ -n "$kp" ] && kill -KILL "$kp"
                wait "$pid"; return 255
        fi
        wait "$pid"
}
# Background jobs of a non-interactive shell ignore SIGINT and SIGQUIT, and a command
# inherits that; undo it so the command inside may trap them.
UNIGNORE=(perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or die "exec: $!"')
n=0
for sig in INT TERM HUP QUIT USR1 USR2 WINCH; do
        n=$((n + 1))
        marker="userns-sigtest-$sig-$$"
        out=$work/$sig.out; : >"$out"
        "$AS_USER" -- "${UNIGNORE[@]}" "$USERNS" run --pid -- sh -c "trap 'echo got-$sig; exit $n' $sig; echo ready; while :; do sleep 0.05; done; : $marker" >"$out" 2>&1 &
        wrapper=$!
        for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done
        p=$(outer_pid "$marker")
        if [ -z "$p" ]; then
                tap_not_ok "SIG$sig: found the userns process"; wait_bounded "$wrapper" 1; continue
        fi
        kill -s "$sig" "$p"
        wait_bounded "$wrapper" 5 "$p"; rc=$?
        is "--pid forwards SIG$sig to the command (status passes through)" "$rc/$(grep -c "got-$sig" "$out")" "$n/1"
done

# A signal that kills PID 1's command: status 128+N at the host.
marker="userns-sigkill-$$"; : >"$work/k.out"
"$AS_USER" -- "$USERNS" run --pid -- sh -c "echo ready; while :; do sleep 0.05; done; : $marker" >"$work/k.out" 2>&1 &
wrapper=$!
for _ in $(seq 100); do grep -q ready "$work/k.out" && break; sleep 0.05; done
p=$(outer_pid "$marker")
[ -n "$p" ] && kill -TERM "$p"
wait_bounded "$wrapper" 5 "$p"; rc=$?
is "--pid: an untrapped SIGTERM ends the command with 143" "$rc" 143
sleep 0.2
is "... and nothing of it is left running" "$(pgrep -f -- "$marker" | wc -l)" 0

# --- exit statuses, with and without --pid ---
for mode in "" --pid; do
        label=${mode:-"in place"}
        run_cmd "$AS_USER" -- "$USERNS" run $mode -- sh -c 'exit 3'
        is "$label: the command's status passes through" "$RC" 3
        run_cmd "$AS_USER" -- "$USERNS" run $mode -- sh -c 'kill -USR2 $$'
        is "$label: killed by SIGUSR2 (12) gives 140" "$RC" 140
        run_cmd "$AS_USER" -- "$USERNS" run $mode -- no-such-command-here
        is "$label: a command not found exits 127" "$RC" 127
        like "... saying so" "$ERR" "userns: run: cannot execute 'no-such-command-here': not found in PATH"
        run_cmd "$AS_USER" -- "$USERNS" run $mode -- /etc/passwd
        is "$label: a command that cannot be executed exits 126" "$RC" 126
        like "... saying why" "$ERR" "cannot execute '/etc/passwd': Permission denied"
        run_cmd "$AS_USER" -- "$USERNS" run $mode -- /no/such/file
        is "$label: a path that does not exist exits 127" "$RC" 127
        run_cmd "$AS_USER" -- "$USERNS" run $mode --uid-map 0:1:1 -- true
        is "$label: an error of userns itself exits 125" "$RC" 125
done
run_cmd "$AS_USER" -- "$USERNS" run --no-such-option -- true
is "an unknown option exits 125" "$RC" 125
run_cmd "$AS_USER" -- "$USERNS" run --time -- sh -c 'exit 9'
is "--time (a child process) passes the status through" "$RC" 9
run_cmd "$AS_USER" -- env SHELL=/bin/true "$USERNS" run
is "the default command is the user's shell" "$RC" 0
run_cmd "$AS_USER" -- env SHELL=/bin/false "$USERNS" run
is "... (its status is the run's)" "$RC" 1
tap_done
