/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Run a command in a new user namespace that owns the other new namespaces.
 *
 *   struct userns_spawn *s;  userns_spawn_new(&s);
 *   userns_spawn_set_namespaces(s, CLONE_NEWNS | CLONE_NEWPID, &err);
 *   userns_spawn_set_argv(s, argv, &err);
 *   userns_spawn_run(s, &status, &err);   // returns only on failure or after a fork
 *
 * How it runs (processes):
 *   - The calling process validates everything first (maps against the caller's
 *     delegation, helpers present, identity mapped): a refusal creates nothing.
 *   - In place (no CLONE_NEWPID / CLONE_NEWTIME, which only apply to children): the
 *     caller unshares the user namespace together with the requested ones (the
 *     kernel creates the user namespace first and makes it the owner of the
 *     others), writes "deny" to setgroups when planned and its own self-maps.  If
 *     some map must be written from outside (by root, or by the setuid newuidmap and
 *     newgidmap, run concurrently) or OUTSIDE hooks exist, a helper forked before
 *     the unshare writes them and runs the hooks while the caller waits.  Then the
 *     caller sets up mounts, switches identity and execs: userns_spawn_run() does
 *     not return on success, and the command's status is the caller's status.
 *   - As a child (CLONE_NEWPID or CLONE_NEWTIME): clone3 creates the child in every
 *     new namespace at once; the caller stays where it is, writes the child's maps,
 *     runs OUTSIDE hooks, then lets the child go.  With CLONE_NEWPID the child is a
 *     PID 1 that sets up mounts (a fresh /proc), forks the command and reaps every
 *     orphan, forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
 *     SIGWINCH to it; the caller forwards the same signals to the child and returns
 *     the command's status (128+N for signal N).
 *   - Either way the namespaced process never continues (let alone execs) before
 *     every map is written, and nothing writes a map after it exec'd.
 * A failure anywhere leaves nothing behind: namespaces die with their processes.
 */

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/error.h"
#include "userns/idmap.h"
#include "userns/subid.h"

/* Exit statuses, as shells use them. */
#define USERNS_STATUS_ERROR      125   /* userns itself failed */
#define USERNS_STATUS_CANNOT_EXEC 126
#define USERNS_STATUS_NOT_FOUND  127

/* Namespaces besides the user namespace, as CLONE_NEW* flags (<sched.h>). */
#define USERNS_SPAWN_ALL_NAMESPACES \
        (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | \
         CLONE_NEWTIME)

enum userns_map_mode {
        USERNS_MAP_DEFAULT,   /* self → 0, plus subordinate ranges at 1.. when the caller has them */
        USERNS_MAP_AUTO,      /* as DEFAULT, but subordinate ranges are required */
        USERNS_MAP_ROOT,      /* self → 0 only */
        USERNS_MAP_CURRENT,   /* self → self only */
};

enum userns_setgroups {
        USERNS_SETGROUPS_DEFAULT,  /* "deny" when the gid map is a self-map written without privilege */
        USERNS_SETGROUPS_ALLOW,
        USERNS_SETGROUPS_DENY,
};

enum userns_mount_kind {
        USERNS_MOUNT_BIND,
        USERNS_MOUNT_RO_BIND,
        USERNS_MOUNT_TMPFS,
};

/*
 * Extension points: hooks run in order of registration at each stage.
 *   OUTSIDE       in the helper process H, in the caller's namespaces, after every
 *                 map is written; the namespaced process waits until all OUTSIDE
 *                 hooks returned.  ctx->pid/pidfd name the namespaced process.
 *   INSIDE_MOUNTS in the namespaced process, with CLONE_NEWNS only: the mount tree
 *                 is private, /proc, /dev, /sys and the binds are mounted under the
 *                 new root (ctx->root, "" without --root), and pivot_root has not
 *                 happened yet, so host paths still resolve (the place for more mounts
 *                 under ctx->root, e.g. idmapped binds).
 *   INSIDE_SETUP  in the namespaced process (PID 1 with CLONE_NEWPID), root of the
 *                 new user namespace with full capabilities in it, after hostname,
 *                 mounts and --root are in place, before the identity switch.
 *   INSIDE_EXEC   in the process that execs, after the identity switch (uid, gid,
 *                 groups), right before execve.
 * A hook returns 0 or -errno with `err` filled; the run then fails with status 125.
 * INSIDE hooks, and OUTSIDE hooks of an in-place run, run in forked processes:
 * what they change in memory does not reach the caller.
 */
enum userns_spawn_stage {
        USERNS_STAGE_OUTSIDE,
        USERNS_STAGE_INSIDE_MOUNTS,
        USERNS_STAGE_INSIDE_SETUP,
        USERNS_STAGE_INSIDE_EXEC,
        _USERNS_STAGE_MAX,
};

struct userns_spawn;

struct userns_spawn_ctx {
        const struct userns_spawn *spawn;
        pid_t pid;       /* OUTSIDE: the namespaced process (caller's pid namespace); INSIDE: getpid() */
        int pidfd;       /* OUTSIDE: a pidfd of it; INSIDE: -1 */
        /*
         * A SOCK_SEQPACKET socket between the OUTSIDE side and the namespaced
         * process (-1 when there is no helper H).  Messages (and fds, see
         * userns_spawn_send_fd) sent by OUTSIDE hooks stay queued for INSIDE hooks.
         */
        int sock;
        /* INSIDE_MOUNTS: the new root as a path before the pivot ("" = the caller's root); else NULL. */
        const char *root;
};

typedef int (*userns_spawn_hook_fn)(void *data, const struct userns_spawn_ctx *ctx,
                                    struct userns_error *err);

int  userns_spawn_new(struct userns_spawn **out);
void userns_spawn_free(struct userns_spawn *s);

/* The command (copied); argv[0] is looked up in PATH inside the new root. */
int userns_spawn_set_argv(struct userns_spawn *s, char *const argv[], struct userns_error *err);
/* CLONE_NEWNS | CLONE_NEWPID | ...; CLONE_NEWUSER is always implied. */
int userns_spawn_set_namespaces(struct userns_spawn *s, unsigned long clone_flags,
                                struct userns_error *err);
unsigned long userns_spawn_get_namespaces(const struct userns_spawn *s);

void userns_spawn_set_map_mode(struct userns_spawn *s, enum userns_map_mode mode);
/* An explicit uid or gid map (replaces the mode for that kind). */
int userns_spawn_set_map(struct userns_spawn *s, enum userns_idmap_kind kind,
                         const struct userns_idmap *map, struct userns_error *err);
void userns_spawn_set_subid_source(struct userns_spawn *s, enum userns_subid_source source);
void userns_spawn_set_setgroups(struct userns_spawn *s, enum userns_setgroups sg);

/* Identity inside (ids of the new namespace), taken after the maps are written. */
void userns_spawn_set_uid(struct userns_spawn *s, uint32_t uid);
void userns_spawn_set_gid(struct userns_spawn *s, uint32_t gid);
int  userns_spawn_set_groups(struct userns_spawn *s, const uint32_t *groups, size_t n,
                             struct userns_error *err);

/* Needs CLONE_NEWUTS. */
int userns_spawn_set_hostname(struct userns_spawn *s, const char *name, struct userns_error *err);

/* Needs CLONE_NEWNS.  Paths inside are relative to the new root when one is set. */
int userns_spawn_set_root(struct userns_spawn *s, const char *dir, struct userns_error *err);
int userns_spawn_add_mount(struct userns_spawn *s, enum userns_mount_kind kind, const char *src,
                           const char *dst, struct userns_error *err);
int userns_spawn_set_chdir(struct userns_spawn *s, const char *dir, struct userns_error *err);
/* The resolved absolute --root (NULL when none), for hooks. */
const char *userns_spawn_get_root(const struct userns_spawn *s);

int userns_spawn_add_hook(struct userns_spawn *s, enum userns_spawn_stage stage,
                          userns_spawn_hook_fn fn, void *data, struct userns_error *err);

/*
 * The maps that will be written, resolved from the mode, the explicit maps and the
 * caller's subordinate ranges, and checked (delegation, helpers, identity).  Done
 * by userns_spawn_run() too; call it first to show or test the plan.  The maps
 * stay owned by `s`.
 */
int userns_spawn_resolve(struct userns_spawn *s, struct userns_error *err);
const struct userns_idmap *userns_spawn_map(const struct userns_spawn *s, enum userns_idmap_kind kind);

/*
 * Run.  Returns only on failure (-errno, *status = 125, 126 or 127 as the CLI
 * should exit) or, when a fork was needed, with 0 and *status = the command's
 * status (0..255, 128+N for a signal).
 */
int userns_spawn_run(struct userns_spawn *s, int *status, struct userns_error *err);

/* Pass an fd over a ctx->sock (SCM_RIGHTS) with a small tag, and receive one. */
int userns_spawn_send_fd(int sock, int fd, uint32_t tag, struct userns_error *err);
int userns_spawn_recv_fd(int sock, int *fd, uint32_t *tag, struct userns_error *err);

/*
 * Why did creating a user namespace fail with `code` (positive errno)?  Fills
 * `err` with the cause in force: user.max_user_namespaces, Debian's
 * kernel.unprivileged_userns_clone, Ubuntu's AppArmor restriction, a chroot,
 * a multithreaded caller, nesting depth.  Returns -code.
 */
int userns_diagnose_userns_failure(int code, struct userns_error *err);
