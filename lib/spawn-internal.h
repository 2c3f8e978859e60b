/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to lib/spawn*.c, lib/rootfs.c, lib/pid1.c. */

#include <signal.h>

#include "userns/spawn.h"

/* Who writes a map. */
enum map_writer {
        MAP_WRITER_SELF,    /* the namespaced process, to its own /proc/self/X_map */
        MAP_WRITER_DIRECT,  /* the helper H, holding CAP_SETUID/CAP_SETGID in the parent */
        MAP_WRITER_HELPER,  /* the helper H, through newuidmap / newgidmap */
};

struct spawn_hook {
        userns_spawn_hook_fn fn;
        void *data;
};

struct spawn_mount {
        enum userns_mount_kind kind;
        char *src;   /* host path (NULL for tmpfs) */
        char *dst;   /* path inside */
};

struct userns_spawn {
        char **argv;
        unsigned long ns;                  /* CLONE_NEW* besides CLONE_NEWUSER */
        enum userns_map_mode mode;
        struct userns_idmap *explicit_map[2];
        enum userns_subid_source subid_source;
        enum userns_setgroups setgroups;

        bool have_uid, have_gid, have_groups;

        uint32_t uid, gid;
        uint32_t *groups;
        size_t ngroups;

        char *hostname;
        char *root;                         /* absolute, resolved before anything is created */
        char *chdir;
        struct spawn_mount *mounts;
        size_t nmounts;

        struct spawn_hook *hooks[_USERNS_STAGE_MAX];
        size_t nhooks[_USERNS_STAGE_MAX];

        /* Filled by userns_spawn_resolve(). */
        bool resolved;
        uint32_t euid, egid;
        struct userns_idmap *map[2];       /* [USERNS_IDMAP_UID], [USERNS_IDMAP_GID] */
        char *map_text[2];                 /* kernel format, as written */
        enum map_writer writer[2];
        char *helper[2];                   /* path of newuidmap / newgidmap when used */
        bool deny_setgroups;
        bool root_first_uid, root_first_gid;  /* the caller is unmapped: become 0 before setting up */
};

/* The signals the waiting parent and PID 1 forward to the command. */
extern const int spawn_forward_signals[7];
void spawn_signal_set(sigset_t *set);   /* forwarded signals + SIGCHLD */

#define SPAWN_WRITER_BIT(w) (1u << (w))
#define SPAWN_WRITERS_ALL   (SPAWN_WRITER_BIT(MAP_WRITER_SELF) | SPAWN_WRITER_BIT(MAP_WRITER_DIRECT) | \
                             SPAWN_WRITER_BIT(MAP_WRITER_HELPER))
/*
 * Write the maps of process `pid` (0 = ourselves) whose writer is in `writers`
 * (a mask of SPAWN_WRITER_BIT(); HELPER maps are not written here); with the SELF
 * bit, setgroups "deny" first when planned.
 */
int spawn_write_maps(const struct userns_spawn *s, pid_t pid, unsigned writers, struct userns_error *err);

/*
 * newuidmap/newgidmap processes, created before the namespace exists, waiting for its
 * pid.  They share our memory until they exec (clone(CLONE_VM), not fork: no copy of
 * our address space), so each one's block (stack, argv, pid slot) lives until it is reaped.
 */
struct spawn_helpers {
        pid_t pid[2];
        int out[2];     /* each helper's stderr */
        int go;         /* one byte per helper here wakes them, once their pid slots are filled */
        int n;          /* helpers created */
        void *mem[2];   /* each helper's block (mmap), unmapped once it is reaped */
        size_t memsize[2];
        char *pidbuf[2];
};
void spawn_helpers_init(struct spawn_helpers *h);
int  spawn_helpers_prepare(const struct userns_spawn *s, struct spawn_helpers *h, struct userns_error *err);
void spawn_helpers_start(struct spawn_helpers *h, pid_t target);
/* Wait for every started helper; the first failure (with its message) is returned. */
int  spawn_helpers_finish(const struct userns_spawn *s, struct spawn_helpers *h, struct userns_error *err);
/* In another forked process: drop our copies of the helpers' pipes (so an abort reaches them). */
void spawn_helpers_close_fds(struct spawn_helpers *h);
/* Not started: make them exit, and reap them. */
void spawn_helpers_abort(struct spawn_helpers *h);

/* Run the hooks of one stage in order (the first failure stops them). */
int spawn_run_hooks(const struct userns_spawn *s, enum userns_spawn_stage stage,
                    const struct userns_spawn_ctx *ctx, struct userns_error *err);

/*
 * Mounts, /proc, /dev, /sys, binds, the INSIDE_MOUNTS hooks and pivot_root;
 * `fresh_proc` when in a new pid ns.
 */
int rootfs_setup(const struct userns_spawn *s, bool fresh_proc, const struct userns_spawn_ctx *ctx,
                 struct userns_error *err);
/* cd to --chdir, or keep the cwd (or go to "/") after a pivot. */
int rootfs_chdir(const struct userns_spawn *s, const char *old_cwd, struct userns_error *err);

/*
 * PID 1: forward signals to `child`, reap everything, exit with child's status.
 * Signals of spawn_signal_set() must be blocked on entry.  Never returns.
 */
_Noreturn void pid1_run(pid_t child);

/* Shell-style status of a wait status: exit code, or 128+N for signal N. */
int spawn_exit_status(int wstatus);
