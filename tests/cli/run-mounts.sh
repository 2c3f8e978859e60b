#!/bin/bash
# userns run --mount without --root: binds, read-only binds, tmpfs and --chdir on the
# caller's tree, privately (nothing reaches the host), and their errors.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user
work=$(mktemp -d); chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/dst" "$work/ro" "$work/t"
echo data >"$work/src/f"; echo ro >"$work/ro/f"
chown -R 4242:4242 "$work"
before=$(wc -l </proc/self/mountinfo)

run_cmd "$AS_USER" -- "$USERNS" run --mount --bind "$work/src:$work/dst" --ro-bind "$work/ro" --tmpfs "$work/t" \
        --chdir "$work/dst" -- sh -c 'cat f; touch "$0/ro/x" 2>/dev/null || echo ro-refused; touch "$0/t/y" && ls "$0/t"' "$work"
is "unprivileged: --bind, --ro-bind (in place), --tmpfs, --chdir" "$(tr '\n' ' ' <<<"$OUT")" "data ro-refused y "
check_fails "... the tmpfs file did not reach the host" test -e "$work/t/y"
is "... and no mount leaked to the host" "$(wc -l </proc/self/mountinfo)" "$before"
run_cmd "$AS_USER" -- "$USERNS" run --mount --bind "$work/src:$work/new/deeper" -- true
like "without --root a missing bind destination is refused (the host tree is not changed)" "$ERR" \
     "bind destination $work/new/deeper \(without --root it must exist\): No such file or directory"
check_fails "... and nothing was created" test -e "$work/new"
run_cmd "$AS_USER" -- "$USERNS" run --mount --tmpfs "$work/t" --bind "$work/src:$work/t/a/b" -- cat "$work/t/a/b/f"
is "a destination inside a tmpfs ... is still refused without --root" "$RC" 125
run_cmd "$AS_USER" -- "$USERNS" run --bind "$work/src:$work/dst" -- true
is "--bind without --mount exits 125" "$RC" 125
like "... saying --mount is needed" "$ERR" "need a new mount namespace \(--mount\)"
run_cmd "$AS_USER" -- "$USERNS" run --mount --bind "$work/nope:$work/dst" -- true
like "a missing bind source is named" "$ERR" "bind source $work/nope: No such file or directory"
is "... exit 125" "$RC" 125
run_cmd "$AS_USER" -- "$USERNS" run --mount --root "$work/nope" -- true
like "a missing root is named" "$ERR" "root directory $work/nope: No such file or directory"
run_cmd "$AS_USER" -- "$USERNS" run --mount --bind "$work/src:relative" -- true
like "a relative destination is refused" "$ERR" "must be an absolute path"
run_cmd "$AS_USER" -- "$USERNS" run --mount --chdir /nonexistent-dir -- true
like "a failing --chdir is reported" "$ERR" "--chdir /nonexistent-dir: No such file or directory"
is "... exit 125" "$RC" 125
run_cmd "$USERNS" run --mount --pid -- sh -c 'mount -t tmpfs none /mnt && echo mounted'
is "root inside may mount in its own mount namespace" "$OUT" mounted
check_fails "... which the host does not see" grep -q " /mnt tmpfs " /proc/self/mountinfo
tap_done
