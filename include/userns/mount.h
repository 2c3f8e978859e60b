/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Idmapped mounts: a clone of a directory tree whose file ownership is seen
 * through an id map (open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_IDMAP)
 * + move_mount, fs/namespace.c).
 *
 * Map order.  A mount map is the uid_map (gid_map) of the user namespace attached
 * to the mount, and an extent reads ON-DISK VISIBLE COUNT: ids ON-DISK..ON-DISK+
 * COUNT-1 stored on the filesystem are seen through the mount as VISIBLE.. (ids of
 * the caller's user namespace; kernel ids for a caller in the initial namespace).
 * Observed on 6.18: with "0 1000 1000", a file stored as uid 5 stats as 1005, a
 * file stored as 2000 stats as 65534, and uid 1005 creating a file through the
 * mount stores it as 5.
 *
 * The map is carried by a user namespace made for the purpose: a child process
 * unshares CLONE_NEWUSER, the caller writes its maps, opens /proc/CHILD/ns/user
 * and reaps the child.  The namespace lives on only as an fd (and inside the
 * mount, which copies the maps).
 */

#include <stdbool.h>
#include <stdint.h>

#include "userns/error.h"
#include "userns/idmap.h"

struct userns_mount_opts {
        const struct userns_idmap *uid_map;   /* ON-DISK → VISIBLE, required */
        const struct userns_idmap *gid_map;   /* ON-DISK → VISIBLE, required */
        bool recursive;                       /* clone submounts too (AT_RECURSIVE) */
        bool read_only;                       /* MOUNT_ATTR_RDONLY on the clone */
};

/*
 * A user namespace whose uid_map and gid_map are the given maps (lower ids are
 * ids of the caller's own user namespace), returned as an O_CLOEXEC nsfs fd.
 * The maps are validated first against the caller's own maps with the kernel's
 * rules (userns_idmap_check_write), so a map the caller cannot write is refused
 * with the reason.  No process is left behind.
 */
int userns_mount_make_userns(const struct userns_idmap *uid_map, const struct userns_idmap *gid_map,
                             int *out_fd, struct userns_error *err);

/*
 * Clone the tree at (dirfd, path) as a detached mount and idmap it.  On success
 * *out_fd is the detached mount (O_CLOEXEC): attach it with userns_mount_attach()
 * or use it through openat(); closing it unmounts it.  A failure of the kernel to
 * idmap is explained by userns_mount_explain() (filesystem type, privilege).
 */
int userns_mount_clone(int dirfd, const char *path, const struct userns_mount_opts *opts,
                       int *out_fd, struct userns_error *err);

/* The same with a ready user namespace fd (several mounts can share one). */
int userns_mount_clone_userns(int dirfd, const char *path, int userns_fd, bool recursive,
                              bool read_only, int *out_fd, struct userns_error *err);

/* Attach a detached mount fd at (dirfd, path) (move_mount). */
int userns_mount_attach(int mount_fd, int dirfd, const char *path, struct userns_error *err);

/* Clone, idmap and attach: an idmapped bind mount of src at dst. */
int userns_mount_bind(const char *src, const char *dst, const struct userns_mount_opts *opts,
                      struct userns_error *err);

/*
 * Checks before acting (lib/mount-check.c).
 *
 * The filesystem type of the mount holding (dirfd, path), as in mountinfo
 * ("ext4", "tmpfs", "overlay"), into buf; and whether that mount is already
 * idmapped.  0 or -errno.
 */
int userns_mount_fs_type(int dirfd, const char *path, char *buf, size_t size, bool *idmapped,
                         struct userns_error *err);

/*
 * Does the mount at (dirfd, path) accept an idmap from this caller?  Tries it on
 * a detached clone that is thrown away.  0, or -errno with a message naming the
 * filesystem type and what to do instead (see userns_mount_explain()).
 */
int userns_mount_check(int dirfd, const char *path, bool recursive, struct userns_error *err);

/*
 * Turn the errno of a failed open_tree/mount_setattr/move_mount on (dirfd, path)
 * into a message: ENOSYS (kernel too old), EINVAL (filesystem type without
 * idmapped-mount support, same namespace as the filesystem's), EPERM (already
 * idmapped, not privileged over the filesystem's namespace: unprivileged callers
 * can idmap only mounts their namespace owns).  Returns -code.
 */
int userns_mount_explain(int code, const char *step, int dirfd, const char *path,
                         struct userns_error *err);
