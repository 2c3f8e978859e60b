# Sourced by tests/cli/caps-attack.sh and caps-bwrap.sh: the attack list against a capability
# ceiling without CAP_NET_ADMIN.  Each attack tries to add a network device (a veth pair: no
# dummy driver on every kernel) by a different route.  make_attacks DIR builds the helper
# DIR/ca from tests/helpers/caps-attack.c and writes DIR/<attack>.sh; each script takes the uid
# that runs the setuid/fcaps programs ($1, default 1000).  Returns 1 without a C compiler.
ATTACKS=(device nested clone3 setuid fcaps)
declare -A ATTACK_NAME=(
        [device]="adding a network device"
        [nested]="after unshare -U -r -n (nested)"
        [clone3]="after clone3(CLONE_NEWUSER|CLONE_NEWNET)"
        [setuid]="after exec of a setuid-root ip"
        [fcaps]="after exec of a file with v3 cap_net_admin"
)
make_attacks() {
        local d=$1 dev="link add v0 type veth peer name v1"
        chmod 755 "$d"
        ${CC:-cc} -O1 -o "$d/ca" "$SRCDIR/tests/helpers/caps-attack.c" 2>"$d/cc.log" || return 1
        # Scratch space the namespace's root may write (removed with $d).
        mkdir -m 1777 "$d/w"
        echo "exec ip $dev" >"$d/device.sh"
        echo "exec unshare -U -r -n ip $dev" >"$d/nested.sh"
        echo "exec '$d/ca' clone3 ip $dev" >"$d/clone3.sh"
        # A setuid-root copy of ip on a tmpfs the namespace owns (private mount namespace).
        printf '%s\n' 'set -e' "t=\$(mktemp -d -p '$d/w')" \
                'mount -t tmpfs -o mode=755 none "$t"' 'cp /usr/sbin/ip "$t/ip"' \
                'chown 0:0 "$t/ip"' 'chmod 4755 "$t/ip"' \
                "exec '$d/ca' as \"\${1:-1000}\" \"\$t/ip\" $dev" >"$d/setuid-inner.sh"
        echo "exec unshare -m sh '$d/setuid-inner.sh' \"\$@\"" >"$d/setuid.sh"
        # A copy of the helper holding cap_net_admin+ep for the namespace's root: setcap by root
        # inside writes a v3 value (rootid = root's host uid) on this host-owned filesystem.  It
        # passes what the file gave it on to ip through the ambient set (ip drops capabilities
        # for non-root ids unless cap_net_admin is inheritable).
        printf '%s\n' 'set -e' "f=\$(mktemp -p '$d/w')" "cp '$d/ca' \"\$f\"" 'chmod 755 "$f"' \
                'setcap cap_net_admin+ep "$f"' \
                "exec '$d/ca' as \"\${1:-1000}\" \"\$f\" ambient ip $dev" >"$d/fcaps.sh"
}
