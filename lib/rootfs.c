/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mount namespace of a run: private propagation, then either the host tree
 * with the requested binds, or a new root (--root DIR) with /proc (fresh in a new
 * pid namespace, else the host's bound), a minimal /dev of bound host device
 * nodes, /sys where the kernel permits it, the binds, and pivot_root.
 * Runs inside the new user and mount namespaces, as their root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn-internal.h"
#include "util/cleanup.h"

static int mkdir_p(const char *path, mode_t mode)
{
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* Make `path` exist as a mount point of the kind of `src` (directory or file). */
static int make_mount_point(const char *path, bool dir)
{
        struct stat st;
        if (lstat(path, &st) == 0)
                return 0;
        if (dir)
                return mkdir_p(path, 0755);
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                int r = mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

/*
 * Bind src on dst (recursively, read-only if asked).  A missing dst is created only
 * when `create` (inside a new root or a tmpfs); on the caller's own tree it is an error,
 * so that a run changes nothing on the host's filesystems.
 */
static int bind_at(const char *src, const char *dst, bool ro, bool create, struct userns_error *err)
{
        struct stat st;
        if (stat(src, &st) < 0)
                return userns_error_errno(err, errno, "bind source %s", src);
        int r = create ? make_mount_point(dst, S_ISDIR(st.st_mode)) : 0;
        if (r < 0)
                return userns_error_errno(err, -r, "creating mount point %s", dst);
        if (!create && lstat(dst, &st) < 0)
                return userns_error_errno(err, errno, "bind destination %s (without --root it must exist)", dst);
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return userns_error_errno(err, errno, "bind mount %s on %s", src, dst);
        if (ro) {
                /* mount_setattr keeps the flags the kernel locked (nosuid, nodev...) as they are. */
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                if (mount_setattr(AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof attr) < 0)
                        return userns_error_errno(err, errno, "making %s read-only", dst);
        }
        return 0;
}

static int path_join(char *buf, size_t size, const char *base, const char *rel, struct userns_error *err)
{
        if (snprintf(buf, size, "%s%s", base, rel) >= (int)size)
                return userns_error_set(err, ENAMETOOLONG, "%s%s: path too long", base, rel);
        return 0;
}

/* A minimal /dev: tmpfs, host device nodes bound in, the usual links, devpts, shm. */
/* dir + "/" + name, or an ENAMETOOLONG error. */
static int sub(char *buf, const char *dir, const char *name, struct userns_error *err)
{
        int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);
        if (n < 0 || n >= PATH_MAX)
                return userns_error_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
        return 0;
}

static int setup_dev(const char *base, struct userns_error *err)
{
        char dev[PATH_MAX], p[PATH_MAX];
        int r = path_join(dev, sizeof dev, base, "/dev", err);
        if (r < 0)
                return r;
        if ((r = mkdir_p(dev, 0755)) < 0)
                return userns_error_errno(err, -r, "creating %s", dev);
        if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755") < 0)
                return userns_error_errno(err, errno, "mounting a tmpfs on %s", dev);
        static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
        for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
                char src[64];
                snprintf(src, sizeof src, "/dev/%s", nodes[i]);
                if ((r = sub(p, dev, nodes[i], err)) < 0 || (r = bind_at(src, p, false, true, err)) < 0)
                        return r;
        }
        static const char *const links[][2] = {
                { "/proc/self/fd", "fd" },         { "/proc/self/fd/0", "stdin" },
                { "/proc/self/fd/1", "stdout" },   { "/proc/self/fd/2", "stderr" },
                { "/proc/kcore", "core" },         { "pts/ptmx", "ptmx" },
        };
        for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
                if ((r = sub(p, dev, links[i][1], err)) < 0)
                        return r;
                if (symlink(links[i][0], p) < 0)
                        return userns_error_errno(err, errno, "symlink %s", p);
        }
        if ((r = sub(p, dev, "pts", err)) < 0)
                return r;
        if (mkdir(p, 0755) < 0)
                return userns_error_errno(err, errno, "creating %s", p);
        /* A private devpts instance; without one, ptmx cannot work inside. */
        if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
                return userns_error_errno(err, errno, "mounting devpts on %s", p);
        if ((r = sub(p, dev, "shm", err)) < 0)
                return r;
        if (mkdir(p, 01777) < 0)
                return userns_error_errno(err, errno, "creating %s", p);
        if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                return userns_error_errno(err, errno, "mounting a tmpfs on %s", p);
        return 0;
}

static int setup_proc(const char *base, bool fresh, struct userns_error *err)
{
        char p[PATH_MAX];
        int r = path_join(p, sizeof p, base, "/proc", err);
        if (r < 0)
                return r;
        if ((r = mkdir_p(p, 0555)) < 0)
                return userns_error_errno(err, -r, "creating %s", p);
        if (fresh) {
                if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return userns_error_errno(err, errno, "mounting a fresh proc on %s", p);
                return 0;
        }
        /* Without a pid namespace of our own the kernel refuses a new proc: bind the host's. */
        return bind_at("/proc", p, false, true, err);
}

/* /sys where permitted: a fresh sysfs needs a network namespace we own; else the host's, read-only. */
static void setup_sys(const char *base, bool own_net)
{
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s/sys", base) >= (int)sizeof p || mkdir_p(p, 0555) < 0)
                return;
        if (own_net && mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) == 0)
                return;
        (void)bind_at("/sys", p, true, true, NULL);
}

static int user_mounts(const struct userns_spawn *s, const char *base, struct userns_error *err)
{
        for (size_t i = 0; i < s->nmounts; i++) {
                const struct spawn_mount *m = &s->mounts[i];
                char dst[PATH_MAX];
                int r = path_join(dst, sizeof dst, base, m->dst, err);
                if (r < 0)
                        return r;
                switch (m->kind) {
                case USERNS_MOUNT_BIND:
                case USERNS_MOUNT_RO_BIND:
                        r = bind_at(m->src, dst, m->kind == USERNS_MOUNT_RO_BIND, *base != '\0', err);
                        if (r < 0)
                                return userns_error_prefix(err, "--%sbind %s:%s",
                                                           m->kind == USERNS_MOUNT_RO_BIND ? "ro-" : "", m->src,
                                                           m->dst);
                        break;
                case USERNS_MOUNT_TMPFS:
                        if (*base == '\0' && access(dst, F_OK) < 0)
                                return userns_error_errno(err, errno, "--tmpfs %s (without --root it must exist)",
                                                          m->dst);
                        if ((r = mkdir_p(dst, 0755)) < 0)
                                return userns_error_errno(err, -r, "--tmpfs %s: creating the mount point", m->dst);
                        if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                                return userns_error_errno(err, errno, "--tmpfs %s", m->dst);
                        break;
                }
        }
        return 0;
}

static int pivot(const char *root, struct userns_error *err)
{
        /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves the new root. */
        if (chdir(root) < 0)
                return userns_error_errno(err, errno, "chdir %s", root);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return userns_error_errno(err, errno, "pivot_root into %s", root);
        if (umount2(".", MNT_DETACH) < 0)
                return userns_error_errno(err, errno, "detaching the old root");
        if (chdir("/") < 0)
                return userns_error_errno(err, errno, "chdir /");
        return 0;
}

static int mount_hooks(const struct userns_spawn *s, const struct userns_spawn_ctx *ctx, const char *root,
                       struct userns_error *err)
{
        if (s->nhooks[USERNS_STAGE_INSIDE_MOUNTS] == 0)
                return 0;
        struct userns_spawn_ctx c = *ctx;
        c.root = root;
        return spawn_run_hooks(s, USERNS_STAGE_INSIDE_MOUNTS, &c, err);
}

int rootfs_setup(const struct userns_spawn *s, bool fresh_proc, const struct userns_spawn_ctx *ctx,
                 struct userns_error *err)
{
        if (!(s->ns & CLONE_NEWNS))
                return 0;
        /* Nothing we mount may leak back to the host, nor host mounts arrive later. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return userns_error_errno(err, errno, "making the mount tree private");
        int r;
        if (!s->root) {
                if (fresh_proc && (r = setup_proc("", true, err)) < 0)
                        return r;
                if ((r = user_mounts(s, "", err)) < 0)
                        return r;
                return mount_hooks(s, ctx, "", err);
        }
        /* pivot_root needs the new root to be a mount point. */
        if (mount(s->root, s->root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return userns_error_errno(err, errno, "bind mount of the root %s", s->root);
        if ((r = setup_proc(s->root, fresh_proc, err)) < 0)
                return r;
        if ((r = setup_dev(s->root, err)) < 0)
                return r;
        setup_sys(s->root, s->ns & CLONE_NEWNET);
        if ((r = user_mounts(s, s->root, err)) < 0)
                return r;
        if ((r = mount_hooks(s, ctx, s->root, err)) < 0)
                return r;
        return pivot(s->root, err);
}

int rootfs_chdir(const struct userns_spawn *s, const char *old_cwd, struct userns_error *err)
{
        if (s->chdir) {
                if (chdir(s->chdir) < 0)
                        return userns_error_errno(err, errno, "--chdir %s", s->chdir);
                return 0;
        }
        /* After a pivot, keep the same path if it exists in the new root, else "/". */
        if (s->root && (!old_cwd || chdir(old_cwd) < 0) && chdir("/") < 0)
                return userns_error_errno(err, errno, "chdir /");
        return 0;
}
