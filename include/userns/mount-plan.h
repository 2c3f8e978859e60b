/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Filesystem id maps for `userns run`: idmapped binds (--bind-map), a separate
 * fs map for the root and the binds (--fs-uid-map/--fs-gid-map), and storage
 * shared by containers with different maps (--shared).
 *
 * A plan is one flat allocation (release it with free()); it keeps the options
 * as given and computes each mount's map from the container's process maps
 * when the container is made (fsmap.h: M = P ∘ F⁻¹):
 *   --bind-map SRC:DST:MAP  F = MAP (CONTAINER:ON-DISK:COUNT, fsuid_map order)
 *   --bind-map SRC:DST      F = the fs maps when either is given, else "0 EUID 1" /
 *                           "0 EGID 1" (the caller's files appear as the container root's)
 *   --shared DIR:DST        F = canonical: container id c is on-disk OWNER+c, OWNER
 *                           the owner uid (group gid) of DIR on disk
 *   root (--root)           F = the fs map, when one is given
 * When only one of the fs maps is given, the other kind keeps the process map
 * (F = P: files appear as they would without an idmap).
 *
 * The mounts are made in the caller's namespaces (idmapping a host filesystem
 * needs privilege there) and attached in the container's mount namespace before
 * its root is set up, so the root's bind and pivot carry them.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/error.h"
#include "userns/idmap.h"

#define USERNS_MOUNT_PLAN_MAX 16

enum userns_mount_plan_kind {
        USERNS_MOUNT_PLAN_BIND,     /* --bind-map */
        USERNS_MOUNT_PLAN_SHARED,   /* --shared */
        USERNS_MOUNT_PLAN_ROOT,     /* the root, under an fs map */
};

struct userns_mount_plan_entry {
        enum userns_mount_plan_kind kind;
        char src[PATH_MAX];          /* absolute host path */
        char dst[PATH_MAX];          /* path inside (absolute) */
        char map[1024];              /* F text, "" when none */
};

struct userns_mount_plan {
        char fs_map[2][USERNS_IDMAP_WRITE_MAX + 1];   /* [USERNS_IDMAP_UID/GID], "" when none */
        char root[PATH_MAX];                          /* the container's root, "" when none */
        uint32_t euid, egid;                          /* the caller's, for the owner maps */
        size_t n;
        struct userns_mount_plan_entry e[USERNS_MOUNT_PLAN_MAX];
};

/* A new empty plan (calloc; free() it).  Records the caller's euid/egid. */
int userns_mount_plan_new(struct userns_mount_plan **out, struct userns_error *err);

/* "SRC:DST[:MAP]" (--bind-map) and "DIR:DST" (--shared). */
int userns_mount_plan_add_bind(struct userns_mount_plan *p, const char *spec, struct userns_error *err);
int userns_mount_plan_add_shared(struct userns_mount_plan *p, const char *spec, struct userns_error *err);
/* --fs-uid-map / --fs-gid-map text (CONTAINER:ON-DISK:COUNT). */
int userns_mount_plan_set_fs_map(struct userns_mount_plan *p, enum userns_idmap_kind kind,
                                 const char *text, struct userns_error *err);
/* The container's root directory (absolute); the fs map then applies to it. */
int userns_mount_plan_set_root(struct userns_mount_plan *p, const char *root, struct userns_error *err);

/*
 * Entry i's mount maps (ON-DISK → host) for a container whose process maps are
 * uid/gid (lower ids: the caller's namespace).  Validates everything.
 */
int userns_mount_plan_maps(const struct userns_mount_plan *p, size_t i, const struct userns_idmap *puid,
                           const struct userns_idmap *pgid, struct userns_idmap **uid,
                           struct userns_idmap **gid, struct userns_error *err);

/* Every entry's maps can be computed (call before creating anything). */
int userns_mount_plan_check(const struct userns_mount_plan *p, const struct userns_idmap *puid,
                            const struct userns_idmap *pgid, struct userns_error *err);

/*
 * Make every idmapped clone (here, in the caller's namespaces) and attach them in
 * the mount namespace of `pid` (through `pidfd` when >= 0): the root at its own
 * path, then each bind at ROOT/DST (DST alone without a root; its mount point is
 * created in the plain directory first).  Uses a short-lived child for setns.
 */
int userns_mount_plan_apply(const struct userns_mount_plan *p, const struct userns_idmap *puid,
                            const struct userns_idmap *pgid, pid_t pid, int pidfd,
                            struct userns_error *err);

struct userns_spawn;
/*
 * Wire a plan into a spawn configuration: takes the root from it, adds
 * CLONE_NEWNS and registers the OUTSIDE hook that computes every map from the
 * resolved process maps (userns_mount_plan_check) and applies the plan.  `p`
 * must outlive the run.
 */
int userns_mount_plan_attach_to_spawn(struct userns_mount_plan *p, struct userns_spawn *s,
                                      struct userns_error *err);
