/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keep namespaces alive with nsfs bind mounts under BASE/NAME/, and release them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns/ns-keep.h"
#include "util/cleanup.h"

int userns_ns_keep_name_check(const char *name, struct userns_error *err)
{
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 64)
                return userns_error_set(err, EINVAL, "name '%s': must be 1 to 64 characters", name ? name : "");
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return userns_error_set(err, EINVAL, "name '%s': not allowed", name);
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '.' || *p == '_' || *p == '-'))
                        return userns_error_set(err, EINVAL, "name '%s': only letters, digits, '.', '_' and '-' are allowed", name);
        return 0;
}

int userns_ns_keep_path(const char *base, const char *name, char **out, struct userns_error *err)
{
        int r = userns_ns_keep_name_check(name, err);
        if (r < 0)
                return r;
        if (asprintf(out, "%s/%s", base, name) < 0)
                return userns_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* Is `path` (canonical) a mount point in our mount namespace? */
static int is_mount_point(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        bool found = false;
        while (getline(&line, &cap, f) > 0) {
                char mp[PATH_MAX];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, path) == 0)
                        found = true;
        }
        return found;
}

static int perm_error(struct userns_error *err, int e, const char *what)
{
        if (e == EPERM || e == EACCES)
                return userns_error_set(err, e,
                                        "%s: permission denied: keeping a namespace bind-mounts its nsfs file, which needs CAP_SYS_ADMIN over the current mount namespace (root, or an unprivileged user inside a mount namespace it owns)",
                                        what);
        return userns_error_errno(err, e, "%s", what);
}

/* Marks a BASE that keep made a mount (so rm can undo it once BASE is empty). */
#define BASE_MARKER ".userns-self-bind"

/* BASE exists and is a private mount: nsfs files (mnt ones in particular) may not
 * be mounted where the mount would propagate (fs/namespace.c: mnt_ns_loop()). */
static int prepare_base(const char *base, struct userns_error *err)
{
        if (mkdir(base, 0755) < 0 && errno != EEXIST)
                return userns_error_errno(err, errno, "creating %s", base);
        char real[PATH_MAX];
        if (!realpath(base, real))
                return userns_error_errno(err, errno, "%s", base);
        int r = is_mount_point(real);
        if (r < 0)
                return userns_error_errno(err, -r, "/proc/self/mountinfo");
        if (r == 0 && mount(real, real, NULL, MS_BIND, NULL) < 0)
                return perm_error(err, errno, real);
        if (mount(NULL, real, NULL, MS_PRIVATE, NULL) < 0)
                return perm_error(err, errno, real);
        if (r == 0) {
                _cleanup_free_ char *marker = NULL;
                if (asprintf(&marker, "%s/%s", real, BASE_MARKER) < 0)
                        return userns_error_set(err, ENOMEM, "out of memory");
                int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
                if (fd >= 0)
                        close(fd);
        }
        return 0;
}

/* After the last NAME is gone: undo BASE's self-bind if keep made it. */
static void release_base(const char *base)
{
        _cleanup_closedir_ DIR *d = opendir(base);
        if (!d)
                return;
        struct dirent *de;
        bool marker = false;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, BASE_MARKER) == 0)
                        marker = true;
                else if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return;         /* other names are still kept */
        }
        if (!marker)
                return;
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/%s", base, BASE_MARKER) < 0)
                return;
        if (unlink(p) == 0 && umount2(base, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                (void)rmdir(base);
}

/* Unmount and delete the files in dir, then the directory. */
static int remove_kept(const char *dir, struct userns_error *err)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return userns_error_errno(err, errno, "%s", dir);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        return userns_error_set(err, ENOMEM, "out of memory");
                if (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL)
                        return perm_error(err, errno, p);
                if (unlink(p) < 0 && errno != ENOENT)
                        return userns_error_errno(err, errno, "removing %s", p);
        }
        if (rmdir(dir) < 0)
                return userns_error_errno(err, errno, "removing %s", dir);
        return 0;
}

int userns_ns_keep(const struct userns_ns_set *set, const char *base, const char *name,
                   struct userns_error *err)
{
        _cleanup_free_ char *dir = NULL;
        int r;
        if ((r = userns_ns_keep_path(base, name, &dir, err)) < 0)
                return r;
        if ((r = prepare_base(base, err)) < 0)
                return r;
        if (mkdir(dir, 0755) < 0) {
                if (errno == EEXIST)
                        return userns_error_set(err, EEXIST, "%s: '%s' is already kept (userns rm %s releases it)",
                                                dir, name, name);
                return userns_error_errno(err, errno, "creating %s", dir);
        }
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++) {
                if (set->fd[t] < 0)
                        continue;
                char src[64];
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, userns_ns_type_name((enum userns_ns_type)t)) < 0) {
                        r = userns_error_set(err, ENOMEM, "out of memory");
                        goto undo;
                }
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
                if (fd < 0) {
                        r = userns_error_errno(err, errno, "creating %s", p);
                        goto undo;
                }
                close(fd);
                snprintf(src, sizeof src, "/proc/self/fd/%d", set->fd[t]);
                if (mount(src, p, NULL, MS_BIND, NULL) < 0) {
                        if (errno == EINVAL && t == USERNS_NS_MNT)
                                r = userns_error_set(err, EINVAL,
                                                     "%s: the kernel refuses to bind this mount namespace file here: it allows it only into a mount namespace with a lower namespace id (fs/namespace.c: mnt_ns_loop()), and ids are handed out in per-CPU batches, so a newer namespace can have a lower one; keep from the initial mount namespace, or without mnt (userns keep --types)",
                                                     p);
                        else
                                r = perm_error(err, errno, p);
                        goto undo;
                }
        }
        return 0;
undo:
        remove_kept(dir, NULL);
        return r;
}

int userns_ns_release(const char *base, const char *name, struct userns_error *err)
{
        _cleanup_free_ char *dir = NULL;
        int r;
        if ((r = userns_ns_keep_path(base, name, &dir, err)) < 0)
                return r;
        struct stat st;
        if (lstat(dir, &st) < 0) {
                if (errno == ENOENT)
                        return userns_error_set(err, ENOENT, "no kept namespaces named '%s' (no %s)", name, dir);
                return userns_error_errno(err, errno, "%s", dir);
        }
        if (!S_ISDIR(st.st_mode))
                return userns_error_set(err, ENOTDIR, "%s: not a directory of kept namespaces", dir);
        if ((r = remove_kept(dir, err)) < 0)
                return r;
        release_base(base);
        return 0;
}
