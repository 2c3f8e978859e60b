#!/bin/bash
# userns caps: the five sets, securebits, and which user namespaces a process's capabilities reach.
. "$SRCDIR/tests/lib/tap.sh"
INIT=4026531837
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT

run_cmd "$USERNS" caps
is "caps (self) exits 0" "$RC" 0
like "the sets are shown" "$OUT" "effective: +all"
like "securebits of itself are known" "$OUT" "securebits: +none \(0x0\)"
like "capabilities count in the initial namespace" "$OUT" "capabilities count in user:\[$INIT\]"
like "the kernel has no native user-namespace set" "$OUT" "not supported by this kernel \(prctl 48: EINVAL\)"

# uid 1000 in the initial namespace, and a namespace it created (its process inside sleeps).
setpriv --reuid 1000 --regid 1000 --clear-groups sleep 30 &
pids+=($!)
setpriv --reuid 1000 --regid 1000 --clear-groups unshare -U sleep 30 &
pids+=($!)
inner=$!
for _ in $(seq 50); do
        [ "$(readlink /proc/$inner/ns/user 2>/dev/null)" != "user:[$INIT]" ] && break
        sleep 0.1
done
child=$(stat -L -c %i /proc/$inner/ns/user)

run_cmd "$USERNS" caps "${pids[0]}"
is "caps PID exits 0" "$RC" 0
like "another process's securebits are unknown" "$OUT" "securebits: +unknown"
like "uid 1000 with no capabilities: none in its own namespace" "$OUT" "effective: +none"
like "...but every capability in the namespace it created (owner rule)" "$OUT" \
        "user:\[$child\] +1 +1000  owner rule: all"
run_cmd "$USERNS" caps --json "${pids[0]}"
like "json: the owner rule" "$OUT" "\"ino\": ?$child,\"parent\": ?$INIT,\"level\": ?1,\"owner\": ?1000,\"relation\": ?\"descendant\",\"rule\": ?\"owner rule\""
like "json: securebits null for another process" "$OUT" "\"securebits\": ?null"

run_cmd "$USERNS" caps "$inner"
like "inside, after exec with no uid map: no capabilities" "$OUT" "effective: +none"
like "inside: they count in the child namespace" "$OUT" "capabilities count in user:\[$child\]"
like "inside: none over the initial namespace (ancestor)" "$OUT" "user:\[$INIT\] +0 +0  ancestor: none"

run_cmd "$USERNS" caps
like "root in the initial namespace: its effective set below" "$OUT" "user:\[$child\] +1 +1000  descendant: effective set"

run_cmd "$USERNS" caps 2147483646
is "a missing process exits 1" "$RC" 1
like "...naming it" "$ERR" "userns: caps 2147483646: /proc/2147483646/status: No such file or directory"
run_cmd "$USERNS" caps abc
is "a bad PID is a usage error" "$RC" 1
like "...naming it" "$ERR" "'abc' is not a process id"
run_cmd "$USERNS" caps --help
like "--help" "$OUT" "Usage: userns caps \[PID\] \[--json\]"
tap_done
