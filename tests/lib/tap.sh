# TAP helpers for CLI tests (bash).  Source it, call plan-less checks, end with tap_done.
# USERNS must point at the built binary; SRCDIR at the source tree.
set -u
TAP_N=0
TAP_FAILED=0

tap_ok()     { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
tap_skip()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - # SKIP $*"; }
tap_diag()   { sed 's/^/# /' <<<"$*"; }

# check DESC CMD...: passes when CMD exits 0
check() { local d=$1; shift; if "$@"; then tap_ok "$d"; else tap_not_ok "$d"; fi; }
# check_fails DESC CMD...: passes when CMD exits non-zero
check_fails() { local d=$1; shift; if "$@"; then tap_not_ok "$d"; else tap_ok "$d"; fi; }
# is DESC GOT WANT
is() {
        if [ "$2" == "$3" ]; then tap_ok "$1"; else
                tap_not_ok "$1"; tap_diag "got:  $2"; tap_diag "want: $3"; fi
}
# like DESC GOT REGEX
like() {
        if [[ $2 =~ $3 ]]; then tap_ok "$1"; else
                tap_not_ok "$1"; tap_diag "got:   $2"; tap_diag "regex: $3"; fi
}
# run_cmd CMD...: sets OUT, ERR, RC without stopping the script
run_cmd() {
        local o e
        o=$(mktemp) e=$(mktemp)
        "$@" >"$o" 2>"$e"; RC=$?
        OUT=$(cat "$o"); ERR=$(cat "$e"); rm -f "$o" "$e"
}
tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
