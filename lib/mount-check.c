/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Before and after idmapping a mount: which filesystem it is, whether the kernel
 * will accept an idmap for it from this caller, and what a refusal means
 * (fs/namespace.c: can_idmap_mount(), build_mount_idmapped(); KERNEL-RULES §6.2-6.3).
 */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns/mount.h"
#include "userns/caps.h"
#include "util/cleanup.h"

/* Filesystem types with FS_ALLOW_IDMAP in 6.12/7.2 (KERNEL-RULES §6.3); used only to word messages. */
static const char *const idmap_capable[] = {
        "ext4", "xfs", "btrfs", "f2fs", "vfat", "msdos", "erofs", "ntfs3", "ntfs", "tmpfs",
        "squashfs", "ceph", "exfat", "hugetlbfs", "fuse", "virtiofs", "bcachefs",
};

static bool known_capable(const char *type)
{
        for (size_t i = 0; i < ELEMENTSOF(idmap_capable); i++)
                if (strcmp(type, idmap_capable[i]) == 0)
                        return true;
        /* fuse.<subtype> */
        return strncmp(type, "fuse.", 5) == 0;
}

/* One parsed /proc/self/mountinfo line (pointers into the line). */
struct mi_line {
        unsigned long id;
        const char *mount_point, *options, *fstype;
};

static bool parse_mountinfo_line(char *line, struct mi_line *m)
{
        char *save = NULL, *tok;
        int field = 0;
        bool after_dash = false;
        int after = 0;
        *m = (struct mi_line){ 0 };
        for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
                if (after_dash) {
                        if (after++ == 0)
                                m->fstype = tok;
                        continue;
                }
                if (field == 0)
                        m->id = strtoul(tok, NULL, 10);
                else if (field == 4)
                        m->mount_point = tok;
                else if (field == 5)
                        m->options = tok;
                else if (field > 5 && strcmp(tok, "-") == 0)
                        after_dash = true;
        }
        return m->mount_point && m->options && m->fstype;
}

static bool has_option(const char *options, const char *opt)
{
        size_t n = strlen(opt);
        for (const char *p = options; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                if (len == n && strncmp(p, opt, n) == 0)
                        return true;
                p = comma ? comma + 1 : NULL;
        }
        return false;
}

int userns_mount_fs_type(int dirfd, const char *path, char *buf, size_t size, bool *idmapped,
                         struct userns_error *err)
{
        struct statx stx;
        if (!path || !buf || size == 0)
                return userns_error_set(err, EINVAL, "filesystem type: missing argument");
        if (statx(dirfd, path, path[0] ? 0 : AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
                return userns_error_errno(err, errno, "%s", path[0] ? path : "(fd)");
        if (!(stx.stx_mask & STATX_MNT_ID))
                return userns_error_set(err, ENOTSUP, "%s: the kernel does not report mount ids", path);
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return userns_error_errno(err, errno, "/proc/self/mountinfo");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                struct mi_line m;
                if (!parse_mountinfo_line(line, &m) || m.id != stx.stx_mnt_id)
                        continue;
                snprintf(buf, size, "%s", m.fstype);
                if (idmapped)
                        *idmapped = has_option(m.options, "idmapped");
                return 0;
        }
        /* A detached mount (open_tree clone) is not in mountinfo. */
        return userns_error_set(err, ENOENT, "%s: mount %llu is not in /proc/self/mountinfo",
                                path[0] ? path : "(fd)", (unsigned long long)stx.stx_mnt_id);
}

/* Is the caller in the initial user namespace (uid_map is the identity)? */
static bool in_initial_userns(void)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *own = NULL;
        return userns_idmap_read_proc(0, USERNS_IDMAP_UID, &own, NULL) == 0 && userns_idmap_is_identity(own);
}

/* CAP_SYS_ADMIN in the calling thread's effective set (lib/caps.c reads /proc/thread-self/status). */
static bool has_cap_sys_admin(void)
{
        struct userns_caps_state st;
        return userns_caps_read(0, &st, NULL) == 0 && (st.effective & (1ull << CAP_SYS_ADMIN));
}

/* For a recursive clone: the first mount at or below `dir` whose type is not known to allow idmaps. */
static bool find_incapable_submount(const char *dir, char *type, size_t tsize, char *where, size_t wsize)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return false;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, dl = strlen(dir);
        while (getline(&line, &cap, f) > 0) {
                struct mi_line m;
                if (!parse_mountinfo_line(line, &m))
                        continue;
                bool below = strncmp(m.mount_point, dir, dl) == 0 &&
                             (m.mount_point[dl] == '/' || (dl == 1 && dir[0] == '/'));
                if (!below || known_capable(m.fstype))
                        continue;
                snprintf(type, tsize, "%s", m.fstype);
                snprintf(where, wsize, "%s", m.mount_point);
                return true;
        }
        return false;
}

int userns_mount_explain(int code, const char *step, int dirfd, const char *path,
                         struct userns_error *err)
{
        const char *name = path && path[0] ? path : "(fd)";
        char type[64] = "unknown";
        bool idmapped = false;
        if (code == ENOSYS)
                return userns_error_set(err, code, "%s: the kernel lacks %s(2); idmapped mounts need "
                                        "Linux 5.12 or later (tmpfs 6.3)", name, step);
        if (strcmp(step, "move_mount") == 0 || (strcmp(step, "open_tree") == 0 && code != EPERM))
                return userns_error_errno(err, code, "%s: %s", name, step);
        (void)userns_mount_fs_type(dirfd, path ? path : "", type, sizeof type, &idmapped, NULL);

        if (code == EPERM && idmapped)
                return userns_error_set(err, code,
                        "%s: the %s mount is already idmapped and the kernel does not idmap a mount "
                        "twice; idmap the directory it was made from instead", name, type);
        if (code == EPERM && (!in_initial_userns() || !has_cap_sys_admin()))
                return userns_error_set(err, code,
                        "%s: %s filesystem: not permitted; unprivileged callers can idmap only mounts "
                        "their user namespace owns (a filesystem mounted inside it, such as a tmpfs), "
                        "not the host's %s", name, type, type);
        if (code == EPERM)
                return userns_error_set(err, code,
                        "%s: %s filesystem: not permitted; idmapping needs CAP_SYS_ADMIN over the mount "
                        "namespace and the filesystem's user namespace", name, type);
        if (code == EINVAL && strcmp(type, "overlay") == 0)
                return userns_error_set(err, code,
                        "%s: overlay filesystems cannot be idmapped; idmap the lower and upper "
                        "directories instead and mount the overlay on those mounts, or use `userns "
                        "shift` (when available) to change the owners on disk", name);
        if (code == EINVAL && !known_capable(type))
                return userns_error_set(err, code,
                        "%s: filesystem type '%s' does not support idmapped mounts; use `userns shift` "
                        "(when available) to change the owners on disk, or put the tree on a "
                        "filesystem that does (ext4, xfs, btrfs, tmpfs, ...)", name, type);
        if (code == EINVAL) {
                char sub[64], where[PATH_MAX];
                _cleanup_free_ char *full = NULL;
                char proc[64];
                if (path && path[0] == '/')
                        full = realpath(path, NULL);
                else if (dirfd >= 0 || dirfd == AT_FDCWD) {
                        snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
                        _cleanup_free_ char *base = realpath(dirfd == AT_FDCWD ? "." : proc, NULL);
                        if (base && path && path[0] && asprintf(&full, "%s/%s", base, path) >= 0) {
                                char *r = realpath(full, NULL);
                                free(full);
                                full = r;
                        } else if (base && (!path || !path[0]))
                                full = TAKE_PTR(base);
                }
                if (full && find_incapable_submount(full, sub, sizeof sub, where, sizeof where))
                        return userns_error_set(err, code,
                                "%s: the mount at %s below it is a '%s' filesystem, which does not "
                                "support idmapped mounts; drop --recursive or unmount it", name, where, sub);
                return userns_error_set(err, code,
                        "%s: the kernel refused to idmap this %s mount (%s filesystems support "
                        "idmapped mounts only on newer kernels, and a map cannot be the filesystem's "
                        "own user namespace)", name, type, type);
        }
        if (code == EBUSY)
                return userns_error_set(err, code, "%s: the %s mount has active writers", name, type);
        return userns_error_errno(err, code, "%s: %s on a %s filesystem", name, step, type);
}

int userns_mount_check(int dirfd, const char *path, bool recursive, struct userns_error *err)
{
        /* A probe map the caller can always write: its own inside ranges, mapped to themselves. */
        _cleanup_(userns_idmap_freep) struct userns_idmap *own_uid = NULL, *own_gid = NULL,
                                                          *uid = NULL, *gid = NULL;
        int r = userns_idmap_read_proc(0, USERNS_IDMAP_UID, &own_uid, err);
        if (r >= 0)
                r = userns_idmap_read_proc(0, USERNS_IDMAP_GID, &own_gid, err);
        if (r < 0)
                return userns_error_prefix(err, "checking %s", path);
        if ((r = userns_idmap_new(&uid)) < 0 || (r = userns_idmap_new(&gid)) < 0)
                return userns_error_errno(err, -r, "checking %s", path);
        for (int k = 0; k < 2; k++) {
                const struct userns_idmap *own = k ? own_gid : own_uid;
                struct userns_idmap *probe = k ? gid : uid;
                for (size_t i = 0; i < userns_idmap_count(own); i++) {
                        const struct userns_extent *e = userns_idmap_extent(own, i);
                        r = userns_idmap_add(probe, e->first, e->first, e->count, "probe map", err);
                        if (r < 0)
                                return r;
                }
        }
        struct userns_mount_opts opts = { .uid_map = uid, .gid_map = gid, .recursive = recursive };
        _cleanup_close_ int fd = -1;
        return userns_mount_clone(dirfd, path, &opts, &fd, err);
}
