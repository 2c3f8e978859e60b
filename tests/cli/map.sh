#!/bin/bash
# userns map: check, translate, compose, show — end to end, exit codes and messages.
. "$SRCDIR/tests/lib/tap.sh"
AS_USER=$SRCDIR/tests/lib/as-user
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

json_ok() { python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$1"; }

# --- help and dispatch ---
run_cmd "$USERNS" map --help
is "map --help exits 0" "$RC" 0
like "map --help lists the subcommands" "$OUT" "check .*translate .*compose .*show"
for sub in check translate compose show; do
        run_cmd "$USERNS" map $sub --help
        is "map $sub --help exits 0" "$RC" 0
        like "map $sub --help shows its usage" "$OUT" "^Usage: userns map $sub"
done
run_cmd "$USERNS" map frobnicate
is "unknown subcommand exits 1" "$RC" 1
like "unknown subcommand is named" "$ERR" "unknown subcommand 'frobnicate'"
run_cmd "$USERNS" map check --bogus
is "unknown option exits 1" "$RC" 1
like "unknown option points at --help" "$ERR" "Try 'userns map check --help'"

# --- check ---
run_cmd bash -c "printf '0 100000 65536\n' | '$USERNS' map check"
is "check accepts a valid map on stdin" "$RC" 0
is "check says so" "$OUT" "uid_map: the kernel would accept this write (1 extent)"
printf '0 1000 1\n\n' >"$tmp/empty-line"
run_cmd "$USERNS" map check "$tmp/empty-line"
is "check rejects an empty line (exit 1)" "$RC" 1
is "check names the line and the rule" "$ERR" "userns: map check: uid_map line 2: empty line (EINVAL)"
printf '0 1000 10\n5 2000 10\n' >"$tmp/overlap"
run_cmd "$USERNS" map check --kind gid "$tmp/overlap"
is "check --kind gid names gid_map" "$ERR" \
        "userns: map check: gid_map line 2: inside ids 5-14 overlap line 1 (0-9) (EINVAL)"
printf '0 100000 65536\n' >"$tmp/parent"
printf '20 70000 5\n' >"$tmp/child"
run_cmd "$USERNS" map check --parent "$tmp/parent" "$tmp/child"
is "check --parent: outside the parent's extents exits 1" "$RC" 1
is "check --parent: EPERM with the reason" "$ERR" \
        "userns: map check: uid_map line 1: outside ids 70000-70004: is not mapped in the parent namespace (EPERM)"
printf '         0     100000      65536\n' >"$tmp/parent-proc"
run_cmd bash -c "printf '0 0 65536' | '$USERNS' map check --parent '$tmp/parent-proc'"
is "check --parent takes /proc's own format" "$RC" 0
{ printf '0 1 1'; head -c 4091 /dev/zero | tr '\0' ' '; } >"$tmp/big"
run_cmd "$USERNS" map check "$tmp/big"
is "check: a 4096-byte write is refused" "$RC" 1
like "check: ... because of its size" "$ERR" "a write of 4096 bytes is too large"
run_cmd bash -c "printf '4294967296 1000 1' | '$USERNS' map check --json"
is "check --json exits 0 when accepted" "$RC" 0
is "check --json shows the truncated value" "$OUT" \
        '{"kind":"uid_map","accepted":true,"errno":null,"message":null,"extents":[{"first":0,"lower_first":1000,"count":1}]}'
run_cmd "$USERNS" map check --json "$tmp/empty-line"
is "check --json exits 1 when refused" "$RC" 1
check "check --json is valid JSON when refused" json_ok "$OUT"
like "check --json carries errno and message" "$OUT" '"accepted":false,"errno":"EINVAL","message":"uid_map line 2: empty line"'
run_cmd "$USERNS" map check "$tmp/no-such-file"
is "check: a missing file exits 1" "$RC" 1
like "check: ... naming it" "$ERR" "no-such-file: No such file or directory"
run_cmd "$USERNS" map check --kind pid
is "check: a bad --kind is a usage error" "$RC" 1
like "check: ... with a message" "$ERR" "expected uid, gid or projid, not 'pid'"

# check agrees with a real write for a few texts (the full differential is kdiff-idmap)
for text in '0 1000 1' '0 1000 1\n\n' '0 0 4294967295' '1 0 4294967295' '+1 1000 1' '0 1000 1\r\n' '0 1000 10\n10 1010 10'; do
        printf "$text" >"$tmp/t"
        "$USERNS" map check "$tmp/t" >/dev/null 2>&1; model=$?
        unshare -U sleep 10 & p=$!; pids+=("$p")
        sleep 0.1
        if cat "$tmp/t" >"/proc/$p/uid_map" 2>/dev/null; then kernel=0; else kernel=1; fi
        kill "$p"
        is "check agrees with the kernel on '$text'" "$model" "$kernel"
done

# check --unprivileged against real unprivileged writes: the test identity (uid/gid 4242)
# unshares and writes its own maps before any exec (after an exec it would have lost its
# capabilities in the new namespace), with and without setgroups denied
selfwrite='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000) != 0: sys.exit(2)
if sys.argv[2] == "deny":
    fd = os.open("/proc/self/setgroups", os.O_WRONLY); os.write(fd, b"deny"); os.close(fd)
data = open(sys.argv[3], "rb").read()
fd = os.open("/proc/self/" + sys.argv[1], os.O_WRONLY)
try: os.write(fd, data)
except OSError: sys.exit(1)'
for kind in uid gid gid-deny; do
        file=${kind%-deny}_map opts=(--unprivileged=4242 --kind "${kind%-deny}") deny=allow
        if [ "$kind" = gid-deny ]; then opts+=(--setgroups-deny); deny=deny; fi
        for text in '0 4242 1' '5 4242 1\n' '0 4242 2' '0 4243 1' '0 0 1' '0 4242 1\n1 4243 1'; do
                printf "$text" >"$tmp/u"
                chmod 644 "$tmp/u"; chmod 755 "$tmp"
                "$USERNS" map check "${opts[@]}" "$tmp/u" >/dev/null 2>&1; model=$?
                "$AS_USER" -- /usr/bin/python3 -c "$selfwrite" "$file" "$deny" "$tmp/u" 2>/dev/null; kernel=$?
                is "check --unprivileged agrees with uid 4242 writing its own $kind: '$text'" "$model" "$kernel"
        done
done
run_cmd "$USERNS" map check --unprivileged=x
is "check: a bad --unprivileged is a usage error" "$RC" 1

# --- translate ---
run_cmd "$USERNS" map translate --map 0:100000:65536 0 65535
is "translate down exits 0" "$RC" 0
is "translate down prints outside ids" "$OUT" $'100000\n165535'
run_cmd "$USERNS" map translate --map 0:100000:65536 65536
is "translate down: unmapped exits 1" "$RC" 1
like "translate down: unmapped is refused as the kernel does" "$ERR" "inside id 65536 is not mapped"
run_cmd "$USERNS" map translate --up --map '0 100000 65536' 100005 5
is "translate --up exits 0" "$RC" 0
is "translate --up: unmapped shows 65534" "$OUT" $'5\n65534'
run_cmd "$USERNS" map translate --json --map '[{"containerID":0,"hostID":1000,"size":10}]' 3 10
check "translate --json is valid JSON" json_ok "$OUT"
is "translate --json content" "$OUT" '[{"id":3,"result":1003,"mapped":true},{"id":10,"result":null,"mapped":false}]'
printf '0 5000 10\n' >"$tmp/map"
run_cmd "$USERNS" map translate --map "@$tmp/map" 9
is "translate --map @FILE" "$OUT" 5009
run_cmd "$USERNS" map translate --map 0:1:1 4294967295
is "translate: (u32)-1 is not an id" "$RC" 1
like "translate: ... with a message" "$ERR" "'4294967295': not an id"
run_cmd "$USERNS" map translate 5
is "translate without --map is a usage error" "$RC" 1
run_cmd "$USERNS" map translate --map 0:1:0 5
is "translate: a bad map exits 1" "$RC" 1
like "translate: ... naming the rule" "$ERR" "uid_map entry 1: count is 0"

# --- compose ---
run_cmd "$USERNS" map compose '0 1000 10' '0 100000 65536'
is "compose exits 0" "$RC" 0
is "compose prints the composed map as kernel lines" "$OUT" "0 101000 10"
run_cmd "$USERNS" map compose --format compact 0:5:20 0:1000:10,10:5000:10,30:9000:5
is "compose splits straddling extents" "$OUT" "0:1005:5,5:5000:10"
like "compose warns about dropped ids" "$ERR" "5 ids of MAP1 are not mapped by MAP2 and were dropped"
run_cmd "$USERNS" map compose --json 0:1:1 0:100:10
is "compose --json" "$OUT" '[{"first":0,"lower_first":101,"count":1}]'
run_cmd "$USERNS" map compose --format oci 0:1:1 0:100:10
is "compose --format oci" "$OUT" '[{"containerID":0,"hostID":101,"size":1}]'
run_cmd "$USERNS" map compose 0:1:1
is "compose needs two maps" "$RC" 1
like "compose: ... says so" "$ERR" "expected two maps"

# --- show ---
run_cmd "$USERNS" map
is "map with no subcommand exits 0" "$RC" 0
like "map with no subcommand shows the caller's maps" "$OUT" "this process: user namespace [0-9]+"
like "... the initial namespace's identity map" "$OUT" "0          -          0 4294967295"
run_cmd "$USERNS" map --json
check "map --json is valid JSON" json_ok "$OUT"

unshare -U sleep 20 & child=$!; pids+=("$child")
sleep 0.2
echo '0 100000 65536' >"/proc/$child/uid_map"
run_cmd "$USERNS" map show "$child"
is "show PID exits 0" "$RC" 0
like "show PID: parent view read directly" "$OUT" "direct: the caller is in the parent namespace"
like "show PID: the uid extent" "$OUT" "0     100000     100000      65536"
like "show PID: an unwritten gid_map is explained" "$OUT" "gid_map: \(not written yet"
run_cmd "$USERNS" map show --json "$child"
check "show --json is valid JSON" json_ok "$OUT"
like "show --json: parent and caller lower ids" "$OUT" '"first":0,"lower_parent":100000,"lower_caller":100000,"count":65536'

# nested: B inside A ("1000 0 1"); B maps "0 1000 1" relative to A, i.e. kernel 0 seen from here
unshare -U --map-user=1000 --map-group=1000 -- unshare -U --map-root-user \
        sh -c "echo \$\$ >$tmp/nested; exec sleep 20" & pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/nested" ] && break; sleep 0.1; done
nested=$(cat "$tmp/nested")
run_cmd "$USERNS" map show "$nested"
like "show nested: parent view via setns" "$OUT" "setns: read from inside the parent namespace"
like "show nested: parent 1000, caller 0" "$OUT" "0       1000          0          1"
run_cmd "$AS_USER" -- "$USERNS" map show "$nested"
is "show as an unprivileged user still exits 0" "$RC" 0
like "show as an unprivileged user says what it cannot see" "$OUT" "parent-relative view: unavailable: "
run_cmd "$AS_USER" -- "$USERNS" map check --kind gid "$tmp/overlap"
is "check works unprivileged (pure model)" "$RC" 1
run_cmd "$USERNS" map show 0
is "show: pid 0 is a usage error" "$RC" 1
run_cmd "$USERNS" map show 2147483647
is "show: a missing process exits 1" "$RC" 1
like "show: ... naming the file" "$ERR" "userns: map show: /proc/2147483647/uid_map: No such file or directory"
tap_done
