/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns run --keep NAME: keep the new namespaces alive after the command exits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd-run.h"
#include "userns/ns-keep.h"

/*
 * An OUTSIDE hook: it runs in the caller's namespaces once the maps are written,
 * while the namespaced process waits, so every namespace exists and nothing has
 * run in it yet.  The bind mounts land in the caller's mount namespace.
 */
static int keep_hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        const char *name = data;
        int r = cli_keep_pid(ctx->pid, name, USERNS_NS_ALL_TYPES, err);
        return r < 0 ? userns_error_prefix(err, "--keep %s", name) : 0;
}

int run_opt_keep(struct run_cli *rc, const char *name)
{
        if (userns_ns_keep_name_check(name, &rc->err) < 0)
                return userns_error_prefix(&rc->err, "--keep");
        size_t slot = 0;
        while (slot < (sizeof rc->ext / sizeof rc->ext[0]) && rc->ext[slot])
                slot++;
        if (slot == (sizeof rc->ext / sizeof rc->ext[0]))
                return userns_error_set(&rc->err, ENOSPC, "--keep: no free extension slot");
        if (!(rc->ext[slot] = strdup(name)))
                return userns_error_set(&rc->err, ENOMEM, "out of memory");
        return userns_spawn_add_hook(rc->spawn, USERNS_STAGE_OUTSIDE, keep_hook, rc->ext[slot], &rc->err);
}
