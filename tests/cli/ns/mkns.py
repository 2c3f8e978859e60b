#!/usr/bin/python3
# mkns.py UID GID GROUPS CMD...: unshare a new user namespace, wait until the parent has
# written our maps, switch to UID/GID/GROUPS (comma list, or "-" for none) and exec CMD.
# Run by nest.bash's mkns, which writes the maps.  Independent of userns: used by the CLI tests to build known nestings.
import ctypes, os, sys, time

CLONE_NEWUSER = 0x10000000
libc = ctypes.CDLL(None, use_errno=True)
uid, gid, groups, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
if libc.unshare(CLONE_NEWUSER) != 0:
    sys.exit("mkns: unshare: " + os.strerror(ctypes.get_errno()))
for _ in range(500):
    with open("/proc/self/gid_map") as f:
        if f.read():
            break
    time.sleep(0.02)
try:
    os.setgroups([] if groups == "-" else [int(g) for g in groups.split(",")])
except PermissionError:
    if groups != "-":   # setgroups "deny": keeping the inherited (unmapped) groups is fine for "-"
        raise
os.setresgid(gid, gid, gid)
os.setresuid(uid, uid, uid)
os.execvp(cmd[0], cmd)
