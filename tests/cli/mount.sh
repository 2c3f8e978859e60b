#!/bin/bash
# userns mount: idmapped bind mounts from the command line, on ext4 (loop image) and tmpfs,
# each in a private mount namespace so nothing leaks.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user

if [ "$(id -u)" != 0 ]; then tap_skip "needs root"; tap_done; exit; fi
T=$(mktemp -d /tmp/userns-mount-cli.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
# in_ns CMD: run a shell snippet in a private mount namespace (U=userns binary, T=tmp dir)
in_ns() { U=$USERNS T=$T unshare -m --propagation private bash -c "$1"; }

run_cmd "$USERNS" mount --help
is "--help exits 0" "$RC" 0
like "--help states the map order" "$OUT" "ON-DISK:VISIBLE:COUNT"

# The man page's example, verbatim: 0, 5 and 70000 on disk through --map 0:100000:65536.
mkdir -p "$T/data" "$T/mnt"
touch "$T/data/a" "$T/data/b" "$T/data/c"
chown 5:5 "$T/data/b"; chown 70000:70000 "$T/data/c"
run_cmd in_ns '$U mount --map 0:100000:65536 $T/data $T/mnt && stat -c "%n %u %g" $T/mnt/a $T/mnt/b $T/mnt/c'
is "man page example: ownership through the mount" "$OUT" \
"$T/mnt/a 100000 100000
$T/mnt/b 100005 100005
$T/mnt/c 65534 65534"
run_cmd in_ns '$U mount --map 0:100000:65536 $T/data $T/mnt &&
        setpriv --reuid 100007 --regid 100007 --clear-groups touch $T/mnt/new 2>/dev/null || true
        chmod 777 $T/data; setpriv --reuid 100007 --regid 100007 --clear-groups touch $T/mnt/new &&
        stat -c "%u %g" $T/data/new $T/mnt/new'
is "man page: uid 100007 creates through the mount, stored as 7" "$OUT" "7 7
100007 100007"
run_cmd in_ns '$U mount --map 0:100000:65536 $T/data $T/mnt && touch $T/mnt/by-root'
like "man page: host root (outside the VISIBLE ranges) cannot create: EOVERFLOW" "$ERR" "Value too large"
run_cmd in_ns '$U mount --map 0:100000:65536 $T/data $T/mnt && chown 100009:100009 $T/mnt/a && stat -c "%u:%g" $T/data/a &&
        chown 9:9 $T/mnt/a'
is "chown through the mount inside the map stores the inverse" "$OUT" "9:9"
like "chown to an id outside the map fails (EOVERFLOW)" "$ERR" "Value too large"
run_cmd in_ns '$U mount --uid-map "0 100000 65536" --gid-map 0:200000:10 $T/data $T/mnt && stat -c "%u %g" $T/mnt/b'
is "--uid-map in kernel form and --gid-map separately" "$OUT" "100005 200005"
run_cmd in_ns '$U mount --map 0:100000:65536 --read-only $T/data $T/mnt &&
        setpriv --reuid 100007 --regid 100007 --clear-groups touch $T/mnt/ro'
like "--read-only: creating through the mount fails" "$ERR" "Read-only file system"
check "--read-only: nothing was created" test ! -e "$T/data/ro"

# ext4 in a loop image and tmpfs: the same through each filesystem type.
run_cmd in_ns 'truncate -s 32M $T/img && mkfs.ext4 -q -F $T/img && mkdir -p $T/e $T/em && mount -o loop $T/img $T/e &&
        touch $T/e/f && chown 65535:3 $T/e/f && $U mount --check $T/e &&
        $U mount --uid-map 0:1000:65536 --gid-map 3:0:1 $T/e $T/em && stat -c "%u %g" $T/em/f'
is "ext4 (loop): --check, then 65535:3 seen as 66535:0" "$OUT" "$T/e: ext4 filesystem accepts idmapped mounts
66535 0"
rm -f "$T/img"
run_cmd in_ns 'mkdir -p $T/t $T/tm && mount -t tmpfs none $T/t && touch $T/t/f && chown 10:10 $T/t/f &&
        $U mount --map 10:0:1 $T/t $T/tm && stat -c "%u %g" $T/tm/f'
is "tmpfs: 10 on disk seen as 0" "$OUT" "0 0"
run_cmd in_ns 'mkdir -p $T/sub/in $T/rm && mount -t tmpfs none $T/sub/in && touch $T/sub/in/f &&
        $U mount --recursive --map 0:4000:1 $T/sub $T/rm && stat -c "%u" $T/rm/in/f'
is "--recursive includes and idmaps a submount" "$OUT" "4000"

# Refusals name the filesystem and the way out.
run_cmd in_ns 'mkdir -p $T/r && mount -t ramfs none $T/r && $U mount --check $T/r'
is "ramfs: --check fails" "$RC" 1
like "ramfs: message names the type and suggests userns shift" "$ERR" \
        "filesystem type 'ramfs' does not support idmapped mounts; use .userns shift."
run_cmd in_ns 'mkdir -p $T/ol $T/ou $T/ow $T/om && mount -t overlay -o lowerdir=$T/ol,upperdir=$T/ou,workdir=$T/ow none $T/om &&
        $U mount --map 0:1:1 $T/om $T/mnt'
like "overlay: refused, says to idmap the layers" "$ERR" "overlay filesystems cannot be idmapped; idmap the lower and upper"
run_cmd in_ns '$U mount --map 0:100000:65536 $T/data $T/mnt && $U mount --map 0:1:1 $T/mnt $T/mnt'
like "an idmapped mount cannot be idmapped again" "$ERR" "already idmapped"

# Maps are checked before the kernel sees them.
run_cmd "$USERNS" mount --uid-map 0:1000:10 "$T/data" "$T/mnt"
is "a uid map alone is a usage error" "$RC" 1
like "it says the kernel needs both maps" "$ERR" "needs both maps"
run_cmd "$USERNS" mount --map 0:1000 "$T/data" "$T/mnt"
like "a malformed map is refused with the rule" "$ERR" "^userns: --map '0:1000': "
run_cmd "$USERNS" mount --map 0:1000:10,5:2000:10 "$T/data" "$T/mnt"
like "overlapping extents are refused" "$ERR" "overlap"
run_cmd "$USERNS" mount --map 0:4294967290:10 "$T/data" "$T/mnt"
like "a wrapping extent is refused" "$ERR" "uid_map"
run_cmd "$USERNS" mount --map 0:1:1 "$T/data"
is "one operand is a usage error" "$RC" 1

# The map-carrying namespace cannot be made (a chroot forbids user namespaces): said so, nothing mounted.
mkdir -p "$T/chr"
run_cmd unshare -m --propagation private sh -c "mount --rbind / $T/chr && chroot $T/chr $USERNS mount --map 0:1000:10 $T/data $T/mnt"
like "in a chroot: the failure to make the carrier namespace is reported" "$ERR" \
        "creating the user namespace that carries the mount's map: .*Operation not permitted"

# Unprivileged: only mounts the caller's namespace owns.
mkdir -p "$T/u" && chmod 777 "$T/u" "$T/mnt"
run_cmd "$AS_USER" -- unshare -Urm "$USERNS" mount --map 0:0:1 "$T/data" "$T/mnt"
is "unprivileged: the host's ext4 is refused" "$RC" 1
like "unprivileged: the message says why" "$ERR" "unprivileged callers can idmap only mounts their user namespace owns"
run_cmd "$AS_USER" -- unshare -Urm sh -c "mount -t tmpfs none $T/u && touch $T/u/f && \
        $USERNS mount --map 0:0:1 $T/u $T/mnt && touch $T/mnt/g && stat -c '%u %g' $T/mnt/f $T/u/g"
is "unprivileged: a tmpfs mounted in its own namespace can be idmapped" "$OUT" "0 0
0 0"
run_cmd "$AS_USER" -- unshare -Urm "$USERNS" mount --map 0:5:1 "$T/data" "$T/mnt"
like "unprivileged: VISIBLE ids outside its own map are refused before the kernel" "$ERR" \
        "VISIBLE ids must be ids of the caller's user namespace"

check "no mount leaked into this namespace" sh -c "! grep -q '$T' /proc/self/mountinfo"
tap_done
