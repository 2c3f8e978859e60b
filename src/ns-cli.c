/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the namespace commands (tree, id, enter, keep, rm, run --keep). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "userns/ns-keep.h"

/*
 * Where kept namespaces live: $USERNS_KEEP_DIR if set; /run/userns for root;
 * otherwise $XDG_RUNTIME_DIR/userns (or /run/user/UID/userns).  An unprivileged
 * user can only bind-mount inside a mount namespace it owns, so the directory is
 * meaningful to it only there.
 */
int cli_keep_base(char *buf, size_t size)
{
        const char *env = getenv("USERNS_KEEP_DIR");
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int n;
        if (env && *env)
                n = snprintf(buf, size, "%s", env);
        else if (geteuid() == 0)
                n = snprintf(buf, size, "/run/userns");
        else if (xdg && *xdg)
                n = snprintf(buf, size, "%s/userns", xdg);
        else
                n = snprintf(buf, size, "/run/user/%u/userns", (unsigned)geteuid());
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Keep the namespaces of `pid` (its user namespace and those it owns) as NAME.
 * Not its pid namespace: a pid namespace whose init has exited takes no new
 * processes (fork fails with ENOMEM), so keeping it would only break enter.
 */
int cli_keep_pid(int pid, const char *name, unsigned types, struct userns_error *err)
{
        char base[4096];
        struct userns_ns_set set;
        if (cli_keep_base(base, sizeof base) < 0)
                return userns_error_set(err, ENAMETOOLONG, "keep directory name too long");
        int r = userns_ns_set_from_pid(pid, types & ~USERNS_NS_BIT(USERNS_NS_PID), &set, err);
        if (r < 0)
                return r;
        r = userns_ns_keep(&set, base, name, err);
        userns_ns_set_close(&set);
        return r;
}
