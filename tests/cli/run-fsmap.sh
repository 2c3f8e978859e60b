#!/bin/bash
# userns run with filesystem id maps: --fs-uid-map/--fs-gid-map (the fsid-mapping proposal's case),
# --shared (two containers with different maps at the same time), --bind-map.
# Root filesystems are tiny copies of a few host binaries and their libraries, in a mktemp dir.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user

if [ "$(id -u)" != 0 ]; then tap_skip "needs root"; tap_done; exit; fi
T=$(mktemp -d /tmp/userns-run-fsmap.XXXXXX)
chmod 755 "$T"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

# mkroot DIR UID: a minimal root filesystem (sh, stat, id, touch, cat, sleep, chown) owned by UID.. on disk
mkroot() {
        local d=$1 b p l
        mkdir -p "$d/bin"
        for b in sh stat id touch cat sleep chown; do
                p=$(command -v $b) || continue
                cp -L "$p" "$d/bin/$b"
                for l in $(ldd "$p" | grep -o '/[^ ]*'); do
                        mkdir -p "$d$(dirname "$l")"; cp -Ln "$l" "$d$l"
                done
        done
        chown -R "$2:$2" "$d"
}
R300=$T/root300k
mkroot "$R300" 300000
touch "$R300/five" && chown 300005:300005 "$R300/five"
touch "$R300/last" && chown 365535:365535 "$R300/last"
touch "$R300/above" && chown 365536:365536 "$R300/above"
touch "$R300/host" && chown 0:0 "$R300/host"
P=(--mount --uid-map 0:100000:65536 --gid-map 0:100000:65536)

# --- the fsid-mapping scenario: process map 0 100000 65536, root owned by 300000+ on disk ---
run_cmd "$USERNS" run "${P[@]}" --root "$R300" --fs-uid-map 0:300000:65536 --fs-gid-map 0:300000:65536 -- \
        /bin/sh -c 'id -u; stat -c "%n %u %g" /bin/sh /five /last /above /host'
is "fsid: the rootfs owned by 300000+ appears as 0+ inside (boundaries; outside → 65534)" "$OUT" "0
/bin/sh 0 0
/five 5 5
/last 65535 65535
/above 65534 65534
/host 65534 65534"
run_cmd "$USERNS" run "${P[@]}" --root "$R300" --fs-uid-map 0:300000:65536 --fs-gid-map 0:300000:65536 -- \
        /bin/sh -c 'touch /made && chown 7:7 /made && stat -c "%u %g" /made'
is "fsid: root creates and chowns to 7 inside" "$OUT" "7 7"
is "fsid: ... stored on disk as 300007" "$(stat -c '%u %g' "$R300/made")" "300007 300007"
run_cmd "$USERNS" run "${P[@]}" --root "$R300" --fs-uid-map 0:300000:65536 --fs-gid-map 0:300000:65536 --uid 5 --gid 5 -- \
        /bin/sh -c 'touch /by-five'
is "fsid: uid 5 cannot write the root-owned / (as on a normal system)" "$RC" 1
run_cmd "$USERNS" run "${P[@]}" --root "$R300" -- /bin/sh -c 'stat -c "%u" /five'
is "fsid: without --fs-uid-map the same root is not the container's" "$OUT" 65534
run_cmd "$USERNS" run "${P[@]}" --root "$R300" --fs-uid-map 0:300000:65537 --fs-gid-map 0:300000:65536 -- /bin/true
like "fsid: a fs map naming container ids the process map lacks is refused" "$ERR" \
        "container id 65536 is not mapped by the process map"
run_cmd "$USERNS" run --fs-uid-map 0:300000:65536 -- /bin/true
like "fsid: a fs map with neither --root nor --bind-map is refused" "$ERR" "there is neither"

# --- shared storage: two containers, maps 0 100000 65536 and 0 200000 65536, at the same time ---
RA=$T/rootA RB=$T/rootB S=$T/shared
mkroot "$RA" 100000; mkroot "$RB" 200000
touch "$RA/a-file" && chown 100005:100005 "$RA/a-file"
mkdir "$S" && chown 500000:500000 "$S" && chmod 777 "$S"
mkdir "$T/sync" && chmod 777 "$T/sync"
mkfifo -m 666 "$T/sync/go" "$T/sync/done"
"$USERNS" run --mount --uid-map 0:100000:65536 --gid-map 0:100000:65536 --root "$RA" --shared "$S:/shared" \
        --bind "$T/sync:/sync" --uid 5 --gid 5 -- /bin/sh -c \
        'touch /shared/from-a && stat -c "%u %g" /shared/from-a > /sync/a.out; echo > /sync/go; cat /sync/done' &
apid=$!
timeout 20 cat "$T/sync/go" >/dev/null
run_cmd "$USERNS" run --mount --uid-map 0:200000:65536 --gid-map 0:200000:65536 --root "$RB" --shared "$S:/shared" \
        --bind "$RA:/other" --uid 5 --gid 5 -- /bin/sh -c \
        'stat -c "%u %g" /shared/from-a; echo b >> /shared/from-a && echo wrote; stat -c "%u" /other/a-file;
         cat /other/a-file >/dev/null; echo x >> /other/a-file 2>/dev/null || echo denied'
alive=no; kill -0 $apid 2>/dev/null && alive=yes
echo > "$T/sync/done"
wait $apid
is "shared: uid 5 in A writes a file it owns as 5" "$(cat "$T/sync/a.out")" "5 5"
is "shared: A was still running while B looked" "$alive" yes
is "shared: B sees A's file as uid 5, can write it, sees A's rootfs file as 65534 and cannot write it" "$OUT" "5 5
wrote
65534
denied"
is "shared: stored on disk in the canonical range (500000+5)" "$(stat -c '%u %g' "$S/from-a")" "500005 500005"
run_cmd "$USERNS" run --mount --uid-map 0:100000:65536 --gid-map 0:100000:65536 --root "$RA" --uid 5 --gid 5 \
        -- /bin/sh -c 'stat -c "%u" /a-file'
is "shared: A sees its own rootfs file as uid 5" "$OUT" 5
run_cmd "$USERNS" run "${P[@]}" --root "$RA" --shared "$S:/shared:0:1:1" -- /bin/true
like "shared: a map is refused (the canonical range is the directory's owner)" "$ERR" "expected DIR:DST"

# --- --bind-map ---
D=$T/data; mkdir "$D"; touch "$D/mine" "$D/f7"; chown 300007:300007 "$D/f7"
run_cmd "$USERNS" run "${P[@]}" --root "$RA" --bind-map "$D:/d" --bind-map "$D:/e:0:300000:65536" -- \
        /bin/sh -c 'stat -c "%n %u %g" /d/mine /d/f7 /e/mine /e/f7'
is "--bind-map: without MAP the caller's files are the container root's; with MAP, 300007 is 7" "$OUT" "/d/mine 0 0
/d/f7 65534 65534
/e/mine 65534 65534
/e/f7 7 7"
mkdir -p "$T/ram"
run_cmd unshare -m sh -c "mount -t ramfs none $T/ram && $USERNS run ${P[*]} --root $RA --bind-map $T/ram:/r -- /bin/true"
like "--bind-map on ramfs is refused, naming the type" "$ERR" "'ramfs' does not support idmapped mounts"
run_cmd "$USERNS" run "${P[@]}" --root "$RA" --bind-map "$D" -- /bin/true
like "--bind-map without DST is a usage error" "$ERR" "expected SRC:DST"
run_cmd "$AS_USER" -- "$USERNS" run --map-root --mount --bind-map "$T/data:$T/data" -- /bin/true
like "unprivileged --bind-map of the host's ext4: refused with the reason" "$ERR" \
        "unprivileged callers can idmap only mounts their user namespace owns"
check "no mount leaked into this namespace" sh -c "! grep -q '$T' /proc/self/mountinfo"
tap_done
