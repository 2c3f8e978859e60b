#!/bin/bash
# Differential test against libcap's setcap/getcap: for random capability sets and root
# ids, `userns fcaps get` and `getcap -n` agree on every file, and files written by
# `userns fcaps set` read back exactly as files written by `setcap -n` (getcap text and
# raw xattr bytes).  FCAPS_LIBCAP_CASES sets the number of cases (default 300).
. "$SRCDIR/tests/lib/tap.sh"
command -v setcap >/dev/null && command -v getcap >/dev/null || { tap_skip "libcap2-bin not installed"; tap_done; exit; }

dir=$(mktemp -d /tmp/fcaps-libcap.XXXXXX)
trap 'rm -rf "$dir"' EXIT
if ! setcap cap_chown=p "$dir/probe" 2>/dev/null && ! { touch "$dir/probe" && setcap cap_chown=p "$dir/probe"; }; then
        tap_skip "$(df --output=fstype "$dir" | tail -1) at $dir does not take security.capability"
        tap_done; exit
fi

IFS=, read -ra names <<<"$(capsh --decode=0x1ffffffffff | cut -d= -f2)"
n=${FCAPS_LIBCAP_CASES:-300}
RANDOM=6

# random_caps: a cap_from_text(3) string with random permitted/inheritable sets,
# effective all-or-nothing (a file has one effective bit), now and then unknown bits
random_caps() {
        local p=() i=() pi=() e= k r t=()
        for k in "${names[@]}"; do
                r=$((RANDOM % 10))
                case $r in 0) p+=("$k") ;; 1) i+=("$k") ;; 2) pi+=("$k") ;; esac
        done
        [ $((RANDOM % 10)) = 0 ] && p+=("$((41 + RANDOM % 23))")
        [ $((RANDOM % 2)) = 0 ] && e=e
        [ ${#p[@]} -gt 0 ] && t+=("$(IFS=,; echo "${p[*]}")=${e}p")
        [ ${#i[@]} -gt 0 ] && t+=("$(IFS=,; echo "${i[*]}")=${e}i")
        [ ${#pi[@]} -gt 0 ] && t+=("$(IFS=,; echo "${pi[*]}")=${e}ip")
        [ ${#t[@]} -eq 0 ] && t=("cap_kill=${e}p")
        echo "${t[*]}"
}

setfail=0
for ((k = 0; k < n; k++)); do
        caps=$(random_caps)
        case $((RANDOM % 4)) in
        0) root=0 ;;
        1) root=$((1 + RANDOM % 65536)) ;;
        *) root=$(( (RANDOM << 17 ^ RANDOM << 2 ^ RANDOM) % 4294967294 + 1 )) ;;
        esac
        : >"$dir/libcap-$k"; : >"$dir/userns-$k"
        if [ "$root" = 0 ]; then
                setcap "$caps" "$dir/libcap-$k" || setfail=$((setfail + 1))
                "$USERNS" fcaps set "$caps" --host "$dir/userns-$k" || setfail=$((setfail + 1))
        else
                setcap -n "$root" "$caps" "$dir/libcap-$k" || setfail=$((setfail + 1))
                "$USERNS" fcaps set "$caps" --rootid "$root" "$dir/userns-$k" || setfail=$((setfail + 1))
        fi
done
is "setcap and userns fcaps set wrote all $((2 * n)) files" "$setfail" 0

files=()
for ((k = 0; k < n; k++)); do files+=("$dir/libcap-$k" "$dir/userns-$k"); done

# getcap -n format from userns fcaps get: "FILE CAPS [rootid=N]" (rootid only when not 0)
declare -A ours theirs
while IFS= read -r line; do
        if [[ $line =~ ^(.*):\ revision=([0-9]+)\ rootid=([0-9]+)\ .*\ caps=(.*)$ ]]; then
                f=${BASH_REMATCH[1]} r=${BASH_REMATCH[3]} c=${BASH_REMATCH[4]}
                ours[$f]="$c$([ "$r" != 0 ] && echo " [rootid=$r]")"
        fi
done < <("$USERNS" fcaps get "${files[@]}")
# getcap 2.66 prints root ids of 2^31 and above as negative numbers (printf "%d" of a
# uid_t); count those and compare them as the unsigned ids they are.
negative=0
while IFS= read -r line; do
        f=${line%% *} t=${line#* }
        if [[ $t =~ ^(.*)\ \[rootid=-([0-9]+)\]$ ]]; then
                t="${BASH_REMATCH[1]} [rootid=$((4294967296 - BASH_REMATCH[2]))]"
                negative=$((negative + 1))
        fi
        theirs[$f]=$t
done < <(getcap -n "${files[@]}")

agree=0 disagree=0
for f in "${files[@]}"; do
        if [ "${ours[$f]-none}" == "${theirs[$f]-none}" ]; then agree=$((agree + 1)); else
                disagree=$((disagree + 1))
                [ $disagree -le 5 ] && tap_diag "$f: userns '${ours[$f]-none}' getcap '${theirs[$f]-none}'"
        fi
done
is "userns fcaps get and getcap -n agree on all $((2 * n)) files ($agree agree)" "$disagree" 0

same=0 differ=0
for ((k = 0; k < n; k++)); do
        if [ "${theirs[$dir/libcap-$k]-a}" == "${theirs[$dir/userns-$k]-b}" ]; then same=$((same + 1)); else
                differ=$((differ + 1))
                [ $differ -le 5 ] && tap_diag "case $k: setcap '${theirs[$dir/libcap-$k]-}' userns '${theirs[$dir/userns-$k]-}'"
        fi
done
is "getcap -n reads files written by userns fcaps set as those written by setcap ($same of $n)" "$differ" 0

# the same bytes on disk
bytes=$(python3 - "$dir" "$n" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
print(sum(os.getxattr(f"{d}/libcap-{k}", "security.capability") !=
          os.getxattr(f"{d}/userns-{k}", "security.capability") for k in range(n)))
EOF
)
is "userns fcaps set and setcap -n store identical security.capability bytes" "$bytes" 0
tap_diag "libcap differential: $n cases, $((2 * n)) files, $agree get/getcap agreements, $same set/setcap matches"
tap_diag "getcap printed $negative root ids >= 2^31 as negative numbers (libcap bug; compared unsigned)"
tap_done
