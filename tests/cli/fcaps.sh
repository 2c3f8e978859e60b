#!/bin/bash
# userns fcaps end to end, against real user namespaces made here (unshare --user, maps
# written by root): the stored form, what a namespace reads, what an exec there gains
# (CapPrm/CapEff of the running process) and that a refused write changes nothing.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user

dir=$(mktemp -d /tmp/fcaps-cli.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT

# mkns LOWER: a sleeping process in a new user namespace mapping "0 LOWER 1000"; sets NS
mkns() {
        unshare --user sleep 300 &
        local p=$! i
        pids+=("$p")
        for ((i = 0; i < 200; i++)); do
                [ "$(readlink /proc/$p/ns/user 2>/dev/null)" != "$(readlink /proc/self/ns/user)" ] && break
                sleep 0.01
        done
        echo "0 $1 1000" >"/proc/$p/uid_map" && echo "0 $1 1000" >"/proc/$p/gid_map"
        NS=$p
}
mkns 1000; A=$NS
mkns 2000; B=$NS

cp /bin/cat "$dir/cat"
f=$dir/f
: >"$f"
capprm() { sed -n 's/^CapPrm:\t//p' <<<"$1"; }
capeff() { sed -n 's/^CapEff:\t//p' <<<"$1"; }

# --- usage and refusals --------------------------------------------------------------
run_cmd "$USERNS" fcaps --help
is "fcaps --help exits 0" "$RC" 0
run_cmd "$USERNS" fcaps frobnicate
like "an unknown subcommand is named" "$ERR" "unknown subcommand 'frobnicate'"
run_cmd "$USERNS" fcaps set cap_net_raw=ep "$f"
is "set without --host/--rootid/--ns exits 1" "$RC" 1
like "set without an owner says why" "$ERR" "exactly one of --rootid ID, --ns PID or --host"

"$USERNS" fcaps set cap_net_raw=ep --rootid 1000 "$f"
before=$("$USERNS" fcaps get "$f")
like "set --rootid writes v3 for that root" "$before" "revision=3 rootid=1000 host-rootid=1000 exec=nothing caps=cap_net_raw=ep$"
run_cmd "$USERNS" fcaps set cap_chown=ep --rootid 0 "$f"
like "set --rootid 0 (host root) is refused" "$ERR" "root id 0 is the host's root.*use 'userns fcaps set --host'"
run_cmd "$USERNS" fcaps set cap_bogus=ep --host "$f"
like "bad capability text is refused by libcap's parser" "$ERR" "not understood by cap_from_text"
run_cmd "$USERNS" fcaps set 'cap_chown=ep cap_kill+i' --host "$f"
like "an effective set not covering the others is refused" "$ERR" "a file has one effective bit"
run_cmd "$AS_USER" -- "$USERNS" fcaps set cap_chown=ep --host "$f"
like "an unprivileged set fails with EPERM" "$ERR" "CAP_SETFCAP over the file is needed"
ln -s "$f" "$dir/link"
run_cmd "$USERNS" fcaps set cap_chown=ep --host "$dir/link"
like "a symlink is refused" "$ERR" "is a symbolic link"
run_cmd "$USERNS" fcaps convert --to-rootid 0 "$f"
like "convert to the host's root is refused" "$ERR" "root id 0 is the host's root"
is "after six refused writes the value is unchanged" "$("$USERNS" fcaps get "$f")" "$before"

# --- a v2 written by root inside a namespace is stored as v3 for its root -----------
: >"$dir/g"; chown 1000:1000 "$dir/g"
run_cmd nsenter --user --target "$A" -S 0 -G 0 "$USERNS" fcaps set cap_net_raw=ep --host "$dir/g"
is "root of A may write a v2 value" "$RC" 0
like "the host reads it as v3 with A's root host id" "$("$USERNS" fcaps get "$dir/g")" "revision=3 rootid=1000 host-rootid=1000 "
like "getcap -n agrees" "$(getcap -n "$dir/g")" "cap_net_raw=ep \[rootid=1000\]$"
like "inside A it reads as v2" "$(nsenter --user --target "$A" -S 0 -G 0 "$USERNS" fcaps get "$dir/g")" \
        "revision=2 rootid=0 .*exec=gains caps=cap_net_raw=ep"
like "from B it cannot be read (EOVERFLOW)" \
        "$(nsenter --user --target "$B" -S 0 -G 0 "$USERNS" fcaps get "$dir/g" 2>&1)" "EOVERFLOW"

# --- rootless: an unprivileged user's own namespace (root = that user) ------------------------
: >"$dir/u"; chown 4242:4242 "$dir/u"
run_cmd "$AS_USER" -- unshare --user --map-root-user "$USERNS" fcaps set cap_net_raw=ep --host "$dir/u"
is "root of an unprivileged user's namespace may set file capabilities" "$RC" 0
like "they are stored for that user's uid" "$("$USERNS" fcaps get "$dir/u")" "revision=3 rootid=4242 host-rootid=4242 "
run_cmd "$AS_USER" -- unshare --user --map-root-user "$USERNS" fcaps set cap_net_raw=ep --rootid 1 "$dir/u"
like "a root id that namespace does not map is refused by the kernel" "$ERR" "root id 1 is not mapped"
like "and the value is unchanged" "$("$USERNS" fcaps get "$dir/u")" "revision=3 rootid=4242 .*caps=cap_net_raw=ep$"

# --- predictions against exec: cat prints its own status --------------------------------
"$USERNS" fcaps set cap_net_raw=ep --ns "$A" "$dir/cat"
like "set --ns writes v3 for the namespace's root" "$("$USERNS" fcaps get "$dir/cat")" "revision=3 rootid=1000 "
for where in A B host; do
        case $where in
        A) pred=$("$USERNS" fcaps get --ns "$A" "$dir/cat"); out=$(nsenter --user --target "$A" -S 5 -G 5 "$dir/cat" /proc/self/status) ;;
        B) pred=$("$USERNS" fcaps get --ns "$B" "$dir/cat"); out=$(nsenter --user --target "$B" -S 5 -G 5 "$dir/cat" /proc/self/status) ;;
        host) pred=$("$USERNS" fcaps get "$dir/cat"); out=$(setpriv --reuid 1000 --regid 1000 --clear-groups "$dir/cat" /proc/self/status) ;;
        esac
        if [ "$where" = A ]; then want=0000000000002000; else want=0000000000000000; fi
        is "exec as uid 5/1000 in $where: CapPrm" "$(capprm "$out")" "$want"
        is "exec in $where: CapEff" "$(capeff "$out")" "$want"
        if [ "$want" != 0000000000000000 ]; then like "get predicts the gain in $where" "$pred" "exec=gains"
        else like "get predicts nothing in $where" "$pred" "exec=nothing"; fi
done
like "get --ns A: A reads v2" "$("$USERNS" fcaps get --ns "$A" "$dir/cat")" "ns-revision=2 ns-rootid=0 "
like "get --ns B: B cannot read it" "$("$USERNS" fcaps get --ns "$B" "$dir/cat")" "ns-revision=none "
like "get --rootid 1000 predicts the gain" "$("$USERNS" fcaps get --rootid 1000 "$dir/cat")" "exec=gains"

# --- a namespace nested in A: A's root is its ancestor's root -------------------------------
nsenter --user --target "$A" -S 0 -G 0 unshare --user sleep 300 &
D=$!; pids+=("$D")
for ((i = 0; i < 200; i++)); do
        [ "$(readlink /proc/$D/ns/user 2>/dev/null)" != "$(readlink /proc/$A/ns/user)" ] && break
        sleep 0.01
done
nsenter --user --target "$A" -S 0 -G 0 sh -c "echo '0 5 10' >/proc/$D/uid_map && echo '0 5 10' >/proc/$D/gid_map"
out=$(nsenter --user --target "$D" -S 5 -G 5 "$dir/cat" /proc/self/status)
is "exec as uid 5 in D (inside A) gains A's capabilities" "$(capprm "$out")" 0000000000002000
like "get --ns D: D reads v2 and an exec there gains them" "$("$USERNS" fcaps get --ns "$D" "$dir/cat")" \
        "ns-revision=2 ns-rootid=0 exec=gains"
: >"$dir/h"
"$USERNS" fcaps set cap_kill=p --ns "$D" "$dir/h"
like "set --ns D writes v3 for D's root (host 1005)" "$("$USERNS" fcaps get --ns "$A" "$dir/h")" \
        "revision=3 rootid=1005 host-rootid=1005 ns-revision=3 ns-rootid=5 exec=nothing"

# --- the effective bit needs every permitted capability in the bounding set ------------------
: >"$dir/r"; cp /bin/true "$dir/r"
"$USERNS" fcaps set cap_sys_resource=ep --host "$dir/r"
pred=$("$USERNS" fcaps get "$dir/r")
setpriv --reuid 1000 --regid 1000 --clear-groups "$dir/r" 2>/dev/null; rc=$?
if (( 0x$(sed -n 's/^CapBnd:\t//p' /proc/self/status) >> 24 & 1 )); then
        is "with cap_sys_resource bounded in: exec works" "$rc" 0
        like "and get predicts the gain" "$pred" "exec=gains"
else
        is "with cap_sys_resource outside the bounding set: execve fails" "$rc" 126
        like "and get predicts the failure" "$pred" "exec=fails"
fi

# --- convert re-targets to another namespace ----------------------------------------------
run_cmd "$USERNS" fcaps convert --to-ns "$B" "$dir/cat"
like "convert --to-ns B reports the change" "$OUT" "v3 rootid=1000 -> v3 rootid=2000"
out=$(nsenter --user --target "$B" -S 5 -G 5 "$dir/cat" /proc/self/status)
is "after convert, exec in B gains the capability" "$(capprm "$out")" 0000000000002000
out=$(nsenter --user --target "$A" -S 5 -G 5 "$dir/cat" /proc/self/status)
is "after convert, exec in A gains nothing" "$(capprm "$out")" 0000000000000000

# --- --ns edge cases -------------------------------------------------------------------------
like "get --ns of our own process: our own view" "$("$USERNS" fcaps get --ns $$ "$dir/cat")" \
        "revision=3 rootid=2000 host-rootid=2000 ns-revision=3 ns-rootid=2000 exec=nothing"
run_cmd "$USERNS" fcaps get --ns 999999999 "$dir/cat"
like "get --ns of a missing process fails" "$ERR" "--ns 999999999: /proc/999999999/ns/user: No such file"
unshare --user sleep 300 &
N=$!; pids+=("$N")
for ((i = 0; i < 200; i++)); do
        [ "$(readlink /proc/$N/ns/user 2>/dev/null)" != "$(readlink /proc/self/ns/user)" ] && break
        sleep 0.01
done
echo "1 3000 10" >"/proc/$N/uid_map"
run_cmd "$USERNS" fcaps set cap_kill=p --ns "$N" "$dir/h"
like "set --ns of a namespace without uid 0 is refused" "$ERR" "maps no uid 0: no root to own capabilities"

# --- json ----------------------------------------------------------------------------------
json=$("$USERNS" fcaps get --json --ns "$B" "$dir/cat" "$dir/link" "$dir/nonexistent" 2>/dev/null)
is "get --json is valid JSON with the fields" "$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(d[0]["revision"], d[0]["rootid"], d[0]["capabilities"], d[0]["namespace"]["revision"],
      d[0]["namespace"]["exec_gains"], d[1]["error"] is not None, d[2]["capabilities"])' "$json")" \
        "3 2000 cap_net_raw=ep 2 True True None"

# --- rm, and a value the kernel refuses to show ----------------------------------------------
run_cmd "$USERNS" fcaps rm "$dir/cat"
is "rm exits 0" "$RC" 0
is "rm removed the capabilities" "$("$USERNS" fcaps get "$dir/cat")" "$dir/cat: no capabilities"
run_cmd "$USERNS" fcaps rm "$dir/cat"
like "rm of a file without capabilities fails" "$ERR" "no file capabilities to remove"
# an empty security.capability needs no privilege (cap_convert_nscap only sees size > 0)
: >"$dir/e"; chown 4242:4242 "$dir/e"
run_cmd "$AS_USER" -- /usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "security.capability", b"")' "$dir/e"
is "the file's owner may store an empty security.capability" "$RC" 0
run_cmd "$USERNS" fcaps get "$dir/e"
like "get reports the kernel's refusal to show it" "$ERR" "getxattr: EINVAL"
tap_done
