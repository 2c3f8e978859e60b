/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why the kernel refused to create a user namespace: look at each knob that can
 * cause it (create_user_ns(), Debian's and Ubuntu's patches, the LSM hook) and
 * name the one in force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns/spawn.h"
#include "util/cleanup.h"
#include "util/fileio.h"

/* An integer sysctl, or -1 when absent or unreadable. */
static long read_sysctl(const char *path)
{
        _cleanup_free_ char *t = NULL;
        size_t len;
        if (util_read_file(path, &t, &len, NULL) < 0)
                return -1;
        char *end;
        long v = strtol(t, &end, 10);
        return end == t ? -1 : v;
}

/* Is our root directory the root of our mount namespace?  (chroot makes it differ.) */
static bool chrooted(void)
{
        _cleanup_free_ char *mi = NULL;
        size_t len;
        if (util_read_file("/proc/self/mountinfo", &mi, &len, NULL) < 0)
                return false;
        /* The kernel lists only mounts under our root; in a chroot below a mount point, none is "/". */
        for (char *line = mi; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                char mp[4096];
                if (sscanf(line, "%*d %*d %*s %*s %4095s", mp) == 1 && strcmp(mp, "/") == 0)
                        return false;
                line = nl ? nl + 1 : NULL;
        }
        return true;
}

static int count_threads(void)
{
        _cleanup_free_ char *st = NULL;
        size_t len;
        if (util_read_file("/proc/self/status", &st, &len, NULL) < 0)
                return -1;
        char *p = strstr(st, "\nThreads:");
        return p ? atoi(p + 9) : -1;
}

int userns_diagnose_userns_failure(int code, struct userns_error *err)
{
        long max = read_sysctl("/proc/sys/user/max_user_namespaces");
        long clone_ok = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
        long aa = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        const char *what = code == ENOSPC ? "limit reached" : strerror(code);

        if (code == ENOSPC || code == EUSERS) {
                if (max == 0)
                        return userns_error_set(err, code,
                                                "creating a user namespace: %s: user.max_user_namespaces is 0, "
                                                "which disables user namespaces (sysctl -w user.max_user_namespaces=15000)",
                                                what);
                return userns_error_set(err, code,
                                        "creating a user namespace: %s: either this user's count under "
                                        "user.max_user_namespaces (%ld here, or less in an enclosing namespace) "
                                        "or the nesting depth of 32 is exhausted", what, max);
        }
        if (code == EINVAL && count_threads() > 1)
                return userns_error_set(err, code,
                                        "creating a user namespace: %s: the caller is multithreaded, and "
                                        "unshare(CLONE_NEWUSER) needs a single-threaded process", what);
        if (code == EPERM || code == EACCES) {
                if (clone_ok == 0 && geteuid() != 0)
                        return userns_error_set(err, code,
                                                "creating a user namespace: %s: kernel.unprivileged_userns_clone is 0 "
                                                "(Debian), so only root may create user namespaces "
                                                "(sysctl -w kernel.unprivileged_userns_clone=1)", what);
                if (aa == 1)
                        return userns_error_set(err, code,
                                                "creating a user namespace: %s: AppArmor restricts unprivileged user "
                                                "namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu): "
                                                "give userns an AppArmor profile with the 'userns,' rule, or "
                                                "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0", what);
                if (chrooted())
                        return userns_error_set(err, code,
                                                "creating a user namespace: %s: the caller is in a chroot, and the "
                                                "kernel refuses user namespaces to chrooted processes", what);
                if (access("/proc/self/uid_map", R_OK) == 0 && (geteuid() == 65534 || getegid() == 65534))
                        return userns_error_set(err, code,
                                                "creating a user namespace: %s: the caller's uid or gid is not mapped "
                                                "in its own user namespace (it shows as 65534)", what);
                _cleanup_free_ char *lsm = NULL;
                size_t len;
                if (util_read_file("/sys/kernel/security/lsm", &lsm, &len, NULL) == 0 &&
                    (strstr(lsm, "selinux") || strstr(lsm, "apparmor") || strstr(lsm, "bpf")))
                        return userns_error_set(err, code,
                                                "creating a user namespace: %s: refused, probably by a security "
                                                "module's userns_create hook (active: %.*s)", what,
                                                (int)strcspn(lsm, "\n"), lsm);
        }
        return userns_error_set(err, code, "creating a user namespace: %s", what);
}
