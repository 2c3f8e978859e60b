/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `userns run` options.  Each option is one row of run_options[] in cmd-run.c:
 * its name, argument, help text and a handler that applies it to the spawn
 * configuration (setters, or userns_spawn_add_hook() for new behaviour).  A
 * feature that needs more state keeps it in its own file: declare its handlers
 * below under its marker and add its rows to the table under the same marker.
 *
 * Example (src/run-keep.c):
 *     static int keep_hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
 *     { ... bind /proc/<ctx->pid>/ns/<type> under the keep directory ... }
 *     int run_opt_keep(struct run_cli *rc, const char *name)
 *     { ...; return userns_spawn_add_hook(rc->spawn, USERNS_STAGE_OUTSIDE, keep_hook, state, &rc->err); }
 * and in cmd-run.c, under "// [ns]":  { "keep", 0, "NAME", "keep the namespaces as NAME", run_opt_keep },
 * Stages (include/userns/spawn.h): OUTSIDE (caller's namespaces, maps written, pid/pidfd of
 * the namespaced process), INSIDE_MOUNTS (before pivot_root, host paths visible),
 * INSIDE_SETUP (root of the new namespace, before --uid/--gid), INSIDE_EXEC (right before exec).
 */

#include <stdbool.h>

#include "userns/spawn.h"

struct run_cli {
        struct userns_spawn *spawn;
        struct userns_error err;
        unsigned long ns;         /* collected namespace flags, applied after parsing */
        bool map_mode_set;
        /*
         * Features keep their own state behind these (one slot each, malloc'ed by their
         * handlers, released with free() after the run; hooks may point into it).
         */
        void *ext[8];
};

/* Returns 0, or -errno with rc->err filled (the CLI exits 125). */
typedef int (*run_option_fn)(struct run_cli *rc, const char *arg);

struct run_option {
        const char *name;     /* long option */
        int short_opt;        /* 0 when none */
        const char *arg;      /* argument name in --help, NULL for a flag */
        const char *help;
        run_option_fn fn;
};

/*
 * Called once after all options are parsed and before the run: features check
 * combinations and register hooks here.  Add yours under your marker in
 * run_finishers[] (cmd-run.c).
 */
typedef int (*run_finish_fn)(struct run_cli *rc);

// [ns]
int run_opt_keep(struct run_cli *rc, const char *name);   /* src/run-keep.c */
// [mount]
#define RUN_EXT_MOUNT 3   /* rc->ext[] slot: struct userns_mount_plan (one allocation) */
int run_opt_bind_map(struct run_cli *rc, const char *arg);
int run_opt_shared(struct run_cli *rc, const char *arg);
int run_opt_fs_uid_map(struct run_cli *rc, const char *arg);
int run_opt_fs_gid_map(struct run_cli *rc, const char *arg);
int run_finish_fsmap(struct run_cli *rc);
// [caps]
int run_caps_opt_caps(struct run_cli *rc, const char *arg);
int run_caps_opt_cap_add(struct run_cli *rc, const char *arg);
int run_caps_opt_cap_drop(struct run_cli *rc, const char *arg);
int run_caps_opt_userns_caps(struct run_cli *rc, const char *arg);
int run_caps_opt_nested(struct run_cli *rc, const char *arg);
int run_caps_opt_nnp(struct run_cli *rc, const char *arg);
int run_caps_opt_securebits(struct run_cli *rc, const char *arg);
int run_caps_finish(struct run_cli *rc);
