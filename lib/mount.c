/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Idmapped mounts: open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userns/mount.h"
#include "userns/spawn.h"
#include "util/cleanup.h"

/* Validate `map` as the caller would write it for a child namespace (kernel rules, EINVAL/EPERM). */
static int check_map(const struct userns_idmap *map, enum userns_idmap_kind kind, char **text,
                     struct userns_error *err)
{
        const char *name = kind == USERNS_IDMAP_UID ? "uid map" : "gid map";
        if (!map || userns_idmap_count(map) == 0)
                return userns_error_set(err, EINVAL,
                        "%s: an idmapped mount needs both a uid map and a gid map with at least one extent",
                        name);
        _cleanup_free_ char *buf = NULL;
        int r = userns_idmap_format(map, USERNS_IDMAP_FORMAT_KERNEL, &buf, err);
        if (r < 0)
                return userns_error_prefix(err, "%s", name);
        _cleanup_(userns_idmap_freep) struct userns_idmap *own = NULL;
        r = userns_idmap_read_proc(0, kind, &own, err);
        if (r < 0)
                return userns_error_prefix(err, "%s: reading the caller's own map", name);
        /* Our own map's inside ranges are what a child's lower ids must fall in. */
        r = userns_idmap_check_write(buf, strlen(buf), kind, own, NULL, err);
        if (r < 0)
                return userns_error_prefix(err, "%s (ON-DISK VISIBLE COUNT; VISIBLE ids must be ids "
                                           "of the caller's user namespace)", name);
        *text = TAKE_PTR(buf);
        return 0;
}

static int write_file(pid_t pid, const char *file, const char *text, struct userns_error *err)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return userns_error_errno(err, errno, "opening %s", path);
        size_t len = strlen(text);
        ssize_t n = write(fd, text, len);
        if (n < 0) {
                int e = errno;
                if (e == EPERM)
                        return userns_error_set(err, e,
                                "writing the mount's %s: %s; the caller needs CAP_SETUID/CAP_SETGID "
                                "(and CAP_SETFCAP to map id 0) in its own user namespace", file,
                                strerror(e));
                return userns_error_errno(err, e, "writing the mount's %s", file);
        }
        if ((size_t)n != len)
                return userns_error_set(err, EIO, "writing the mount's %s: short write", file);
        return 0;
}

/* Child: enter a new user namespace, report, then wait for the parent to let go. */
static _Noreturn void holder_child(int report_fd, int hold_fd)
{
        int e = 0;
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWUSER) < 0)
                e = errno;
        (void)!write(report_fd, &e, sizeof e);
        char c;
        while (read(hold_fd, &c, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

int userns_mount_make_userns(const struct userns_idmap *uid_map, const struct userns_idmap *gid_map,
                             int *out_fd, struct userns_error *err)
{
        _cleanup_free_ char *uid_text = NULL, *gid_text = NULL;
        if (!out_fd)
                return userns_error_set(err, EINVAL, "mount user namespace: missing argument");
        int r = check_map(uid_map, USERNS_IDMAP_UID, &uid_text, err);
        if (r < 0)
                return r;
        r = check_map(gid_map, USERNS_IDMAP_GID, &gid_text, err);
        if (r < 0)
                return r;

        int report[2], hold[2];
        if (pipe2(report, O_CLOEXEC) < 0)
                return userns_error_errno(err, errno, "mount user namespace: pipe");
        if (pipe2(hold, O_CLOEXEC) < 0) {
                r = errno;
                close(report[0]);
                close(report[1]);
                return userns_error_errno(err, r, "mount user namespace: pipe");
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(report[0]);
                close(hold[1]);
                holder_child(report[1], hold[0]);
        }
        int fork_errno = errno;
        close(report[1]);
        close(hold[0]);
        _cleanup_close_ int report_rd = report[0], hold_wr = hold[1];
        if (pid < 0)
                return userns_error_errno(err, fork_errno, "mount user namespace: fork");

        int child_errno = 0;
        ssize_t n;
        do
                n = read(report_rd, &child_errno, sizeof child_errno);
        while (n < 0 && errno == EINTR);
        _cleanup_close_ int ns_fd = -1;
        if (n != (ssize_t)sizeof child_errno)
                r = userns_error_set(err, EIO, "mount user namespace: the helper process died");
        else if (child_errno) {
                userns_diagnose_userns_failure(child_errno, err);
                r = userns_error_prefix(err, "creating the user namespace that carries the mount's map");
        }
        /* Nobody runs in this namespace: "deny" costs nothing and lets an unprivileged
         * caller write a self-map gid_map (new_idmap_permitted() rule b). */
        else if ((r = write_file(pid, "setgroups", "deny", err)) >= 0 &&
                 (r = write_file(pid, "uid_map", uid_text, err)) >= 0 &&
                 (r = write_file(pid, "gid_map", gid_text, err)) >= 0) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
                ns_fd = open(path, O_RDONLY | O_CLOEXEC);
                if (ns_fd < 0)
                        r = userns_error_errno(err, errno, "opening %s", path);
        }
        /* Let the helper go and reap it: nothing is left running. */
        close(TAKE_FD(hold_wr));
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        *out_fd = TAKE_FD(ns_fd);
        return 0;
}

int userns_mount_clone_userns(int dirfd, const char *path, int userns_fd, bool recursive,
                              bool read_only, int *out_fd, struct userns_error *err)
{
        if (!path || !out_fd)
                return userns_error_set(err, EINVAL, "idmapped mount: missing argument");
        unsigned int rec = recursive ? AT_RECURSIVE : 0;
        unsigned int empty = path[0] ? 0 : AT_EMPTY_PATH;
        _cleanup_close_ int fd = open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec | empty);
        if (fd < 0)
                return userns_mount_explain(errno, "open_tree", dirfd, path, err);
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP | (read_only ? MOUNT_ATTR_RDONLY : 0),
                .userns_fd = (uint64_t)userns_fd,
        };
        if (mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0)
                return userns_mount_explain(errno, "mount_setattr", dirfd, path, err);
        *out_fd = TAKE_FD(fd);
        return 0;
}

int userns_mount_clone(int dirfd, const char *path, const struct userns_mount_opts *opts,
                       int *out_fd, struct userns_error *err)
{
        if (!opts)
                return userns_error_set(err, EINVAL, "idmapped mount: missing options");
        _cleanup_close_ int ns = -1;
        int r = userns_mount_make_userns(opts->uid_map, opts->gid_map, &ns, err);
        if (r < 0)
                return r;
        return userns_mount_clone_userns(dirfd, path, ns, opts->recursive, opts->read_only, out_fd, err);
}

int userns_mount_attach(int mount_fd, int dirfd, const char *path, struct userns_error *err)
{
        if (!path)
                return userns_error_set(err, EINVAL, "attaching a mount: missing target");
        if (move_mount(mount_fd, "", dirfd, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return userns_mount_explain(errno, "move_mount", dirfd, path, err);
        return 0;
}

int userns_mount_bind(const char *src, const char *dst, const struct userns_mount_opts *opts,
                      struct userns_error *err)
{
        _cleanup_close_ int fd = -1;
        int r = userns_mount_clone(AT_FDCWD, src, opts, &fd, err);
        if (r < 0)
                return r;
        return userns_mount_attach(fd, AT_FDCWD, dst, err);
}
