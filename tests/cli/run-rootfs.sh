#!/bin/bash
# userns run --root: a debootstrap'd Debian root filesystem (bookworm, minbase), built once
# into a cache directory and reused; as root and as the unprivileged test identity.
# USERNS_TEST_ROOTFS=DIR uses an existing root instead; without network the build fails
# and the tests are reported as skipped with the reason.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user
CACHE=${USERNS_TEST_CACHE:-/var/cache/userns-tests}
ROOT=${USERNS_TEST_ROOTFS:-$CACHE/bookworm-minbase}
MIRROR=${USERNS_TEST_MIRROR:-http://deb.debian.org/debian}

build_root() {   # once, atomically: build in a temporary directory, rename when complete
        [ -x "$ROOT/usr/bin/apt-get" ] && return 0
        command -v debootstrap >/dev/null || { echo "debootstrap is not installed"; return 1; }
        mkdir -p "$CACHE" || return 1
        (
                flock 9
                [ -x "$ROOT/usr/bin/apt-get" ] && exit 0
                tmp=$(mktemp -d "$ROOT.tmp.XXXXXX") || exit 1
                if ! debootstrap --variant=minbase bookworm "$tmp" "$MIRROR" >"$tmp.log" 2>&1; then
                        echo "debootstrap failed: $(tail -1 "$tmp.log")"; rm -rf "$tmp" "$tmp.log"; exit 1
                fi
                rm -f "$tmp.log"
                chmod 755 "$tmp"
                mv -T "$tmp" "$ROOT"
        ) 9>"$CACHE/.lock"
}

if ! why=$(build_root); then
        for t in "root: id" "root: ls -l /" "root: apt-get --version" "root: pivot" "unprivileged: id" \
                 "unprivileged: apt-get --version" "fresh /proc" "minimal /dev" "binds in the root"; do
                tap_skip "$t: no Debian root filesystem: ${why:-build failed}"
        done
        tap_done; exit
fi
tap_diag "root filesystem: $ROOT"

# --- as root ---
run_cmd "$USERNS" run --mount --pid --root "$ROOT" -- id
is "root: id inside the Debian root" "$OUT" "uid=0(root) gid=0(root) groups=0(root)"
run_cmd "$USERNS" run --mount --pid --root "$ROOT" -- ls -l /
like "root: ls -l / lists the Debian tree owned by root" "$OUT" "root +root .* usr"$'\n'".*root +root .* var"
run_cmd "$USERNS" run --mount --pid --root "$ROOT" -- apt-get --version
like "root: apt-get --version runs" "$OUT" "^apt [0-9.]+ \(amd64\)"
run_cmd "$USERNS" run --mount --root "$ROOT" -- sh -c 'grep -c . /etc/debian_version; test -e /usr/bin/debootstrap || echo not-the-host'
is "root: the host's tree is gone after the pivot" "$(tr '\n' ' ' <<<"$OUT")" "1 not-the-host "

# --- unprivileged (files owned by host root show as nobody: that is idmapped mounts' job) ---
run_cmd "$AS_USER" -- "$USERNS" run --mount --pid --root "$ROOT" -- id
is "unprivileged: id inside the Debian root" "$OUT" "uid=0(root) gid=0(root) groups=0(root)"
run_cmd "$AS_USER" -- "$USERNS" run --mount --pid --root "$ROOT" -- apt-get --version
like "unprivileged: apt-get --version runs" "$OUT" "^apt [0-9.]+ \(amd64\)"

# --- what --root provides ---
run_cmd "$AS_USER" -- "$USERNS" run --mount --pid --root "$ROOT" -- sh -c 'echo $$; set -- /proc/[0-9]*; echo $#'
is "fresh /proc of the new pid namespace (2 processes: PID 1 and the command)" "$(tr '\n' ' ' <<<"$OUT")" "2 2 "
run_cmd "$AS_USER" -- "$USERNS" run --mount --root "$ROOT" -- sh -c \
        'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1 | tr -d " " && ls /dev | tr "\n" " "'
is "minimal /dev: null, zero, full, random, urandom, tty, pts, shm and the links" "$OUT" \
   "00000000"$'\n'"core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
work=$(mktemp -d); chmod 755 "$work"; echo hello >"$work/file"
run_cmd "$USERNS" run --mount --root "$ROOT" --tmpfs /mnt --ro-bind "$work:/mnt/work" --tmpfs /tmp --chdir /mnt/work -- \
        sh -c 'pwd; cat file; touch new 2>/dev/null || echo read-only; touch /tmp/x && ls /tmp'
is "binds, tmpfs and --chdir inside the root" "$(tr '\n' ' ' <<<"$OUT")" "/mnt/work hello read-only x "
rm -rf "$work"
tap_done
