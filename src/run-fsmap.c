/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns run: --bind-map, --fs-uid-map, --fs-gid-map, --shared (logic in lib/mount-plan.c). */
#include <errno.h>

#include "cmd-run.h"
#include "userns/mount-plan.h"

static struct userns_mount_plan *plan(struct run_cli *rc)
{
        if (!rc->ext[RUN_EXT_MOUNT] && userns_mount_plan_new((struct userns_mount_plan **)&rc->ext[RUN_EXT_MOUNT],
                                                             &rc->err) < 0)
                return NULL;
        return rc->ext[RUN_EXT_MOUNT];
}

int run_opt_bind_map(struct run_cli *rc, const char *arg)
{
        struct userns_mount_plan *p = plan(rc);
        return p ? userns_mount_plan_add_bind(p, arg, &rc->err) : -ENOMEM;
}

int run_opt_shared(struct run_cli *rc, const char *arg)
{
        struct userns_mount_plan *p = plan(rc);
        return p ? userns_mount_plan_add_shared(p, arg, &rc->err) : -ENOMEM;
}

int run_opt_fs_uid_map(struct run_cli *rc, const char *arg)
{
        struct userns_mount_plan *p = plan(rc);
        return p ? userns_mount_plan_set_fs_map(p, USERNS_IDMAP_UID, arg, &rc->err) : -ENOMEM;
}

int run_opt_fs_gid_map(struct run_cli *rc, const char *arg)
{
        struct userns_mount_plan *p = plan(rc);
        return p ? userns_mount_plan_set_fs_map(p, USERNS_IDMAP_GID, arg, &rc->err) : -ENOMEM;
}

int run_finish_fsmap(struct run_cli *rc)
{
        if (!rc->ext[RUN_EXT_MOUNT])
                return 0;
        return userns_mount_plan_attach_to_spawn(rc->ext[RUN_EXT_MOUNT], rc->spawn, &rc->err);
}
