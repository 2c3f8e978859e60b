/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Join namespaces with setns(): from a process (pidfd) or from nsfs files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns/ns-enter.h"
#include "util/cleanup.h"

void userns_ns_set_init(struct userns_ns_set *set)
{
        memset(set, 0, sizeof *set);
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++)
                set->fd[t] = -1;
        set->pidfd = -1;
}

void userns_ns_set_close(struct userns_ns_set *set)
{
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++)
                if (set->fd[t] >= 0)
                        close(set->fd[t]);
        if (set->pidfd >= 0)
                close(set->pidfd);
        userns_ns_set_init(set);
}

bool userns_ns_set_needs_fork(const struct userns_ns_set *set)
{
        return set->fd[USERNS_NS_PID] >= 0 || set->fd[USERNS_NS_TIME] >= 0;
}

static bool same(const struct userns_ns_id *a, const struct userns_ns_id *b)
{
        return a->dev == b->dev && a->ino == b->ino;
}

/* Identity of our own namespace of a type. */
static int own_id(enum userns_ns_type type, struct userns_ns_id *id, struct userns_error *err)
{
        _cleanup_close_ int fd = userns_ns_open(0, type, err);
        if (fd < 0)
                return fd;
        return userns_ns_identify(fd, id, NULL, err);
}

/* Take fd (owned) as the set's namespace of its type. */
static int set_put(struct userns_ns_set *set, int fd, struct userns_error *err)
{
        enum userns_ns_type type;
        struct userns_ns_id id;
        int r = userns_ns_identify(fd, &id, &type, err);
        if (r < 0) {
                close(fd);
                return r;
        }
        if (set->fd[type] >= 0)
                close(set->fd[type]);
        set->fd[type] = fd;
        set->id[type] = id;
        return 0;
}

/* Add namespace fd (owned) of another type when `owner` owns it and it is not ours. */
static int add_owned(struct userns_ns_set *set, int fd, const struct userns_ns_id *owner,
                     struct userns_error *err)
{
        enum userns_ns_type type;
        struct userns_ns_id id, mine, oid;
        int r;
        _cleanup_close_ int f = fd;
        if ((r = userns_ns_identify(f, &id, &type, err)) < 0 || (r = own_id(type, &mine, err)) < 0)
                return r;
        if (same(&id, &mine))
                return 0;
        _cleanup_close_ int ufd = userns_ns_get_userns(f, NULL);
        if (ufd < 0 || userns_ns_identify(ufd, &oid, NULL, NULL) < 0 || !same(&oid, owner))
                return 0;
        return set_put(set, TAKE_FD(f), err);
}

int userns_ns_set_from_pid(pid_t pid, unsigned types, struct userns_ns_set *set,
                           struct userns_error *err)
{
        int r;
        userns_ns_set_init(set);
        if (pid <= 0)
                return userns_error_set(err, EINVAL, "pid %d: not a process id", (int)pid);
        int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0 && errno == ESRCH)
                return userns_error_set(err, ESRCH, "process %d is gone (no such process)", (int)pid);
        set->pidfd = pidfd;     /* -1 (ENOSYS: kernel before 5.3) → fds only */
        set->pid = pid;

        int ufd = userns_ns_open(pid, USERNS_NS_USER, err);
        if (ufd < 0 || (r = set_put(set, ufd, err)) < 0) {
                r = ufd < 0 ? ufd : r;
                goto fail;
        }
        for (int t = USERNS_NS_USER + 1; t < USERNS_NS_TYPE_COUNT; t++) {
                if (!(types & USERNS_NS_BIT(t)))
                        continue;
                int fd = userns_ns_open(pid, (enum userns_ns_type)t, NULL);
                if (fd < 0)
                        continue;       /* not supported by this kernel */
                if ((r = add_owned(set, fd, &set->id[USERNS_NS_USER], err)) < 0)
                        goto fail;
        }
        /* The namespaces were read after the pidfd was taken: still the same process? */
        if (pidfd >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0 && errno == ESRCH) {
                r = userns_error_set(err, ESRCH, "process %d is gone (no such process)", (int)pid);
                goto fail;
        }
        return 0;
fail:
        userns_ns_set_close(set);
        return r;
}

int userns_ns_set_from_path(const char *path, unsigned types, struct userns_ns_set *set,
                            struct userns_error *err)
{
        int r;
        userns_ns_set_init(set);
        struct stat st;
        if (stat(path, &st) < 0)
                return userns_error_errno(err, errno, "%s", path);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_closedir_ DIR *d = opendir(path);
                if (!d)
                        return userns_error_errno(err, errno, "%s", path);
                struct dirent *de;
                while ((de = readdir(d))) {
                        enum userns_ns_type t;
                        if (userns_ns_type_from_name(de->d_name, &t) < 0 || strcmp(de->d_name, "mount") == 0)
                                continue;
                        if (!(types & USERNS_NS_BIT(t)) && t != USERNS_NS_USER)
                                continue;
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", path, de->d_name) < 0) {
                                userns_ns_set_close(set);
                                return userns_error_set(err, ENOMEM, "out of memory");
                        }
                        int fd = userns_ns_open_path(p, err);
                        enum userns_ns_type got;
                        if (fd < 0 || (r = userns_ns_identify(fd, NULL, &got, err)) < 0 || got != t) {
                                if (fd >= 0)
                                        close(fd);
                                userns_ns_set_close(set);
                                if (fd >= 0 && r >= 0)
                                        return userns_error_set(err, EINVAL, "%s: a %s namespace, but named %s",
                                                                p, userns_ns_type_name(got), de->d_name);
                                return fd < 0 ? fd : r;
                        }
                        if ((r = set_put(set, fd, err)) < 0) {
                                userns_ns_set_close(set);
                                return r;
                        }
                }
                if (set->fd[USERNS_NS_USER] < 0) {
                        userns_ns_set_close(set);
                        return userns_error_set(err, ENOENT, "%s: no 'user' namespace file in this directory", path);
                }
                return 0;
        }
        int fd = userns_ns_open_path(path, err);
        if (fd < 0)
                return fd;
        if ((r = set_put(set, fd, err)) < 0)
                return r;
        if (set->fd[USERNS_NS_USER] >= 0)
                return 0;
        /* Another type: join its owner too, unless that is our own user namespace. */
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++) {
                if (set->fd[t] < 0)
                        continue;
                int ufd = userns_ns_get_userns(set->fd[t], NULL);
                struct userns_ns_id uid, mine;
                if (ufd < 0)
                        return 0;
                if (userns_ns_identify(ufd, &uid, NULL, NULL) == 0 && own_id(USERNS_NS_USER, &mine, NULL) == 0 &&
                    !same(&uid, &mine))
                        return set_put(set, ufd, err);
                close(ufd);
        }
        return 0;
}

int userns_ns_thread_count(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return -errno;
        char line[256];
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "Threads:", 8) == 0)
                        return atoi(line + 8);
        return -EIO;
}

static int setns_error(const struct userns_ns_set *set, int e, enum userns_ns_type type,
                       struct userns_error *err)
{
        char name[48];
        const char *what = userns_ns_format(type, set->id[type].ino, name, sizeof name);
        uint32_t owner;
        if (e == ESRCH)
                return userns_error_set(err, ESRCH, "process %d is gone (no such process)", (int)set->pid);
        if (e == EPERM) {
                if (set->fd[USERNS_NS_USER] >= 0 &&
                    userns_ns_get_owner_uid(set->fd[USERNS_NS_USER], &owner, NULL) == 0)
                        return userns_error_set(err, EPERM,
                                                "joining %s: permission denied: setns needs CAP_SYS_ADMIN in the target user namespace user:[%llu] (held by its owner, uid %u, and by privileged processes of the namespaces above it)",
                                                what, (unsigned long long)set->id[USERNS_NS_USER].ino, owner);
                return userns_error_set(err, EPERM, "joining %s: permission denied: setns needs CAP_SYS_ADMIN over the namespace's owning user namespace", what);
        }
        return userns_error_errno(err, e, "setns into %s", what);
}

static int become_root(const struct userns_ns_set *set, struct userns_error *err)
{
        char sg[16] = "";
        _cleanup_fclose_ FILE *f = fopen("/proc/self/setgroups", "re");
        if (f && fgets(sg, sizeof sg, f) && strncmp(sg, "allow", 5) == 0)
                (void)setgroups(0, NULL);       /* fails only when the gid map is unwritten: then setresgid says why */
        if (setresgid(0, 0, 0) < 0)
                return errno == EINVAL
                       ? userns_error_set(err, EINVAL, "gid 0 is not mapped in user:[%llu]; use --preserve-credentials to keep your ids",
                                          (unsigned long long)set->id[USERNS_NS_USER].ino)
                       : userns_error_errno(err, errno, "setresgid(0)");
        if (setresuid(0, 0, 0) < 0)
                return errno == EINVAL
                       ? userns_error_set(err, EINVAL, "uid 0 is not mapped in user:[%llu]; use --preserve-credentials to keep your ids",
                                          (unsigned long long)set->id[USERNS_NS_USER].ino)
                       : userns_error_errno(err, errno, "setresuid(0)");
        return 0;
}

int userns_ns_set_join(const struct userns_ns_set *set, unsigned flags, struct userns_error *err)
{
        int r, nflags = 0, others = 0;
        struct userns_ns_id mine;
        bool join_user = set->fd[USERNS_NS_USER] >= 0;
        int threads = userns_ns_thread_count();
        if (threads > 1)
                return userns_error_set(err, EINVAL,
                                        "the caller is multithreaded (%d threads): setns into a user namespace needs a single-threaded caller",
                                        threads);
        for (int t = USERNS_NS_USER + 1; t < USERNS_NS_TYPE_COUNT; t++)
                others += set->fd[t] >= 0;
        if (join_user) {
                if ((r = own_id(USERNS_NS_USER, &mine, err)) < 0)
                        return r;
                /* Our own user namespace cannot be re-entered; the others it owns can be
                 * joined without it (we already hold our capabilities there). */
                if (same(&mine, &set->id[USERNS_NS_USER])) {
                        if (!others)
                                return userns_error_set(err, EINVAL,
                                                        "user:[%llu] is the caller's own user namespace: setns cannot join it again (it would regain capabilities), and there is nothing else to join",
                                                        (unsigned long long)mine.ino);
                        join_user = false;
                }
        }
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++)
                if (set->fd[t] >= 0 && (t != USERNS_NS_USER || join_user))
                        nflags |= userns_ns_type_flag((enum userns_ns_type)t);
        if (!nflags)
                return userns_error_set(err, EINVAL, "no namespace to join");

        bool done = false;
        if (set->pidfd >= 0 && !(flags & USERNS_ENTER_NO_PIDFD)) {
                /* All at once, in the kernel's order, all or nothing (since 5.8). */
                if (setns(set->pidfd, nflags) == 0)
                        done = true;
                else if (errno != EINVAL) {
                        int e = errno;
                        return setns_error(set, e, join_user ? USERNS_NS_USER : USERNS_NS_MNT, err);
                }
                /* EINVAL: a kernel without setns(pidfd); fall through to the fds. */
        }
        for (int t = 0; !done && t < USERNS_NS_TYPE_COUNT; t++) {
                if (set->fd[t] < 0 || (t == USERNS_NS_USER && !join_user))
                        continue;
                if (setns(set->fd[t], userns_ns_type_flag((enum userns_ns_type)t)) < 0)
                        return setns_error(set, errno, (enum userns_ns_type)t, err);
        }
        if (!(flags & USERNS_ENTER_PRESERVE_CREDENTIALS) && join_user)
                return become_root(set, err);
        return 0;
}
