/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsfs helpers: open, identify and query namespaces; read a user namespace's maps. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userns/ns.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static const struct {
        const char *name;
        int flag;
} types[USERNS_NS_TYPE_COUNT] = {
        [USERNS_NS_USER] = { "user", CLONE_NEWUSER },
        [USERNS_NS_MNT] = { "mnt", CLONE_NEWNS },
        [USERNS_NS_UTS] = { "uts", CLONE_NEWUTS },
        [USERNS_NS_IPC] = { "ipc", CLONE_NEWIPC },
        [USERNS_NS_PID] = { "pid", CLONE_NEWPID },
        [USERNS_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
        [USERNS_NS_NET] = { "net", CLONE_NEWNET },
        [USERNS_NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *userns_ns_type_name(enum userns_ns_type type)
{
        return (unsigned)type < USERNS_NS_TYPE_COUNT ? types[type].name : NULL;
}

int userns_ns_type_flag(enum userns_ns_type type)
{
        return (unsigned)type < USERNS_NS_TYPE_COUNT ? types[type].flag : -EINVAL;
}

int userns_ns_type_from_flag(int flag, enum userns_ns_type *type)
{
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++)
                if (types[t].flag == flag) {
                        *type = (enum userns_ns_type)t;
                        return 0;
                }
        return -EINVAL;
}

int userns_ns_type_from_name(const char *name, enum userns_ns_type *type)
{
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++)
                if (strcmp(types[t].name, name) == 0) {
                        *type = (enum userns_ns_type)t;
                        return 0;
                }
        /* util-linux spells the mount namespace "mount" in options. */
        if (strcmp(name, "mount") == 0) {
                *type = USERNS_NS_MNT;
                return 0;
        }
        return -EINVAL;
}

int userns_ns_types_parse(const char *list, unsigned *mask, struct userns_error *err)
{
        unsigned m = 0;
        if (!list || !*list)
                return userns_error_set(err, EINVAL, "empty namespace type list");
        _cleanup_free_ char *copy = strdup(list);
        if (!copy)
                return userns_error_set(err, ENOMEM, "out of memory");
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                enum userns_ns_type t;
                if (strcmp(tok, "all") == 0)
                        m |= USERNS_NS_ALL_TYPES;
                else if (userns_ns_type_from_name(tok, &t) == 0)
                        m |= USERNS_NS_BIT(t);
                else
                        return userns_error_set(err, EINVAL,
                                                "namespace type '%s': not one of user, mnt, uts, ipc, pid, cgroup, net, time, all",
                                                tok);
        }
        if (!m)
                return userns_error_set(err, EINVAL, "namespace type list '%s' names no type", list);
        *mask = m;
        return 0;
}

const char *userns_ns_format(enum userns_ns_type type, uint64_t ino, char *buf, size_t size)
{
        const char *n = userns_ns_type_name(type);
        snprintf(buf, size, "%s:[%llu]", n ? n : "?", (unsigned long long)ino);
        return buf;
}

int userns_ns_is_nsfs(int fd)
{
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        return sfs.f_type == NSFS_MAGIC;
}

int userns_ns_open(pid_t pid, enum userns_ns_type type, struct userns_error *err)
{
        char path[64];
        const char *name = userns_ns_type_name(type);
        if (!name)
                return userns_error_set(err, EINVAL, "namespace type %d: unknown", (int)type);
        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/ns/%s", name);
        else
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e == ENOENT && pid != 0 && kill(pid, 0) < 0 && errno == ESRCH)
                        return userns_error_set(err, ESRCH, "process %d is gone (no such process)", (int)pid);
                if (e == EACCES || e == EPERM)
                        return userns_error_errno(err, e, "%s: opening a process's namespace needs ptrace read access to it (the same ids in the same user namespace, or CAP_SYS_PTRACE over its user namespace)", path);
                return userns_error_errno(err, e, "%s", path);
        }
        return fd;
}

int userns_ns_open_path(const char *path, struct userns_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return userns_error_errno(err, errno, "%s", path);
        int r = userns_ns_is_nsfs(fd);
        if (r < 0)
                return userns_error_errno(err, -r, "%s: statfs", path);
        if (r == 0)
                return userns_error_set(err, EINVAL, "%s: not a namespace file (nsfs: /proc/PID/ns/… or a bind mount of one)", path);
        return TAKE_FD(fd);
}

int userns_ns_identify(int fd, struct userns_ns_id *id, enum userns_ns_type *type,
                       struct userns_error *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return userns_error_errno(err, errno, "fstat of namespace fd %d", fd);
        if (id) {
                id->dev = st.st_dev;
                id->ino = st.st_ino;
        }
        if (type) {
                int flag = ioctl(fd, NS_GET_NSTYPE);
                if (flag < 0)
                        return userns_error_errno(err, errno, "NS_GET_NSTYPE on fd %d", fd);
                if (userns_ns_type_from_flag(flag, type) < 0)
                        return userns_error_set(err, EINVAL, "fd %d: unknown namespace type 0x%x", fd, flag);
        }
        return 0;
}

int userns_ns_get_parent(int fd, struct userns_error *err)
{
        int r = ioctl(fd, NS_GET_PARENT);
        if (r < 0) {
                if (errno == EPERM)
                        return userns_error_set(err, EPERM, "the parent namespace is outside the caller's reach (the initial namespace, or above the caller's own)");
                return userns_error_errno(err, errno, "NS_GET_PARENT");
        }
        return r;
}

int userns_ns_get_userns(int fd, struct userns_error *err)
{
        int r = ioctl(fd, NS_GET_USERNS);
        if (r < 0) {
                if (errno == EPERM)
                        return userns_error_set(err, EPERM, "the owning user namespace is outside the caller's reach");
                return userns_error_errno(err, errno, "NS_GET_USERNS");
        }
        return r;
}

int userns_ns_get_owner_uid(int fd, uint32_t *uid, struct userns_error *err)
{
        uid_t u;
        if (ioctl(fd, NS_GET_OWNER_UID, &u) < 0)
                return userns_error_errno(err, errno, "NS_GET_OWNER_UID");
        *uid = (uint32_t)u;
        return 0;
}

/* --- maps relative to the parent --- */

void userns_ns_maps_done(struct userns_ns_maps *maps)
{
        if (!maps)
                return;
        userns_idmap_free(maps->uid);
        userns_idmap_free(maps->gid);
        maps->uid = maps->gid = NULL;
        maps->setgroups = -1;
}

static int parse_map(const char *text, enum userns_idmap_kind kind, struct userns_idmap **out,
                     struct userns_error *err)
{
        return userns_idmap_parse_proc(text, kind, out, err);   /* empty text: not written yet */
}

/* Read a small proc file fully into buf (NUL-terminated); async-signal-safe. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t n = 0;
        while (n + 1 < size) {
                ssize_t r = read(fd, buf + n, size - 1 - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        close(fd);
        buf[n] = '\0';
        return (ssize_t)n;
}

/* A map has at most 340 lines of 33 bytes; the probe sends "errno\0uid\0gid\0setgroups\0". */
#define MAP_TEXT_MAX (USERNS_IDMAP_MAX_EXTENTS * 34 + 1)
struct probe_result {
        int error;
        char uid[MAP_TEXT_MAX];
        char gid[MAP_TEXT_MAX];
        char setgroups[16];
};

/* Read DIR/{uid_map,gid_map,setgroups} (DIR is /proc/self or /proc/PID). */
static void read_maps(const char *dir, struct probe_result *res)
{
        char path[64];
        static const char *const files[] = { "uid_map", "gid_map", "setgroups" };
        char *bufs[] = { res->uid, res->gid, res->setgroups };
        size_t sizes[] = { sizeof res->uid, sizeof res->gid, sizeof res->setgroups };
        res->error = 0;
        for (size_t i = 0; i < 3; i++) {
                snprintf(path, sizeof path, "%s/%s", dir, files[i]);
                ssize_t r = read_small(path, bufs[i], sizes[i]);
                if (r < 0) {
                        res->error = (int)-r;
                        return;
                }
        }
}

/* Fork a probe that joins the user namespace userns_fd and reads DIR's maps there. */
static int probe_maps(int userns_fd, const char *dir, struct probe_result *res, struct userns_error *err)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return userns_error_errno(err, errno, "pipe");
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pfd[0]);
                close(pfd[1]);
                return userns_error_errno(err, e, "fork");
        }
        if (pid == 0) {
                /* The probe: a fresh single-threaded process with its own fs_struct, as setns() wants. */
                close(pfd[0]);
                if (setns(userns_fd, CLONE_NEWUSER) < 0)
                        res->error = errno;
                else
                        read_maps(dir, res);
                const char *p = (const char *)res;
                size_t left = sizeof *res;
                while (left) {
                        ssize_t w = write(pfd[1], p, left);
                        if (w <= 0)
                                _exit(1);
                        p += w;
                        left -= (size_t)w;
                }
                _exit(0);
        }
        close(pfd[1]);
        size_t got = 0;
        char *p = (char *)res;
        while (got < sizeof *res) {
                ssize_t r = read(pfd[0], p + got, sizeof *res - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(pfd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (got != sizeof *res)
                return userns_error_set(err, EIO, "namespace probe process failed");
        return 0;
}

/* The probe's result as maps: errors name the namespace `name`; `eperm` says what EPERM means. */
static int finish_maps(struct probe_result *res, const char *name, const char *eperm,
                       struct userns_ns_maps *out, struct userns_error *err)
{
        int r;
        if (res->error == EPERM)
                return userns_error_set(err, EPERM, "%s: %s", name, eperm);
        if (res->error)
                return userns_error_errno(err, res->error, "%s: reading its maps", name);
        if ((r = parse_map(res->uid, USERNS_IDMAP_UID, &out->uid, err)) < 0 ||
            (r = parse_map(res->gid, USERNS_IDMAP_GID, &out->gid, err)) < 0) {
                userns_ns_maps_done(out);
                return userns_error_prefix(err, "%s", name);
        }
        out->setgroups = strncmp(res->setgroups, "allow", 5) == 0 ? 1 :
                         strncmp(res->setgroups, "deny", 4) == 0 ? 0 : -1;
        return 0;
}

/* The identity of a user namespace fd, rejecting other types. */
static int identify_userns(int userns_fd, struct userns_ns_id *id, struct userns_error *err)
{
        enum userns_ns_type type;
        int r = userns_ns_identify(userns_fd, id, &type, err);
        if (r < 0)
                return r;
        if (type != USERNS_NS_USER)
                return userns_error_set(err, EINVAL, "fd %d is a %s namespace, not a user namespace",
                                        userns_fd, userns_ns_type_name(type));
        return 0;
}

int userns_ns_read_maps(int userns_fd, struct userns_ns_maps *out, struct userns_error *err)
{
        struct userns_ns_id id, self;
        int r;

        out->uid = out->gid = NULL;
        out->setgroups = -1;
        if ((r = identify_userns(userns_fd, &id, err)) < 0)
                return r;
        _cleanup_close_ int selffd = userns_ns_open(0, USERNS_NS_USER, err);
        if (selffd < 0)
                return selffd;
        if ((r = userns_ns_identify(selffd, &self, NULL, err)) < 0)
                return r;

        _cleanup_free_ struct probe_result *res = calloc(1, sizeof *res);
        if (!res)
                return userns_error_set(err, ENOMEM, "out of memory");
        if (id.dev == self.dev && id.ino == self.ino)
                read_maps("/proc/self", res);   /* our own namespace: we are an opener inside it */
        else if ((r = probe_maps(userns_fd, "/proc/self", res, err)) < 0)
                return r;
        char name[40];
        userns_ns_format(USERNS_NS_USER, id.ino, name, sizeof name);
        return finish_maps(res, name, "reading its maps relative to its parent needs CAP_SYS_ADMIN in it (setns)",
                           out, err);
}

int userns_ns_read_pid_maps_from(int userns_fd, pid_t pid, struct userns_ns_maps *out,
                                 struct userns_error *err)
{
        struct userns_ns_id id;
        int r;

        out->uid = out->gid = NULL;
        out->setgroups = -1;
        if (pid <= 0)
                return userns_error_set(err, EINVAL, "pid %d: not a process id", (int)pid);
        if ((r = identify_userns(userns_fd, &id, err)) < 0)
                return r;
        _cleanup_free_ struct probe_result *res = calloc(1, sizeof *res);
        if (!res)
                return userns_error_set(err, ENOMEM, "out of memory");
        char dir[32];
        snprintf(dir, sizeof dir, "/proc/%d", (int)pid);
        if ((r = probe_maps(userns_fd, dir, res, err)) < 0)
                return r;
        char name[40];
        userns_ns_format(USERNS_NS_USER, id.ino, name, sizeof name);
        return finish_maps(res, name, "joining it to read a process's maps needs CAP_SYS_ADMIN in it (setns)",
                           out, err);
}

/* --- /proc/PID/status --- */

static int parse_first_u32(const char *s, uint32_t *out)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || v > UINT32_MAX)
                return -EINVAL;
        *out = (uint32_t)v;
        return 0;
}

int userns_ns_parse_status(const char *text, uint32_t *uid, uint32_t *gid,
                           uint32_t **groups, size_t *ngroups, struct userns_error *err)
{
        bool have_uid = false, have_gid = false;
        _cleanup_free_ uint32_t *g = NULL;
        size_t n = 0;
        for (const char *line = text; line && *line; ) {
                const char *nl = strchr(line, '\n');
                if (strncmp(line, "Uid:", 4) == 0)
                        have_uid = parse_first_u32(line + 4, uid) == 0;
                else if (strncmp(line, "Gid:", 4) == 0)
                        have_gid = parse_first_u32(line + 4, gid) == 0;
                else if (strncmp(line, "Groups:", 7) == 0) {
                        const char *p = line + 7, *end = nl ? nl : line + strlen(line);
                        while (p < end) {
                                while (p < end && (*p == ' ' || *p == '\t'))
                                        p++;
                                if (p >= end)
                                        break;
                                char *e;
                                unsigned long v = strtoul(p, &e, 10);
                                if (e == p || v > UINT32_MAX)
                                        return userns_error_set(err, EINVAL, "status: bad Groups: line");
                                uint32_t *ng = realloc(g, (n + 1) * sizeof *g);
                                if (!ng)
                                        return userns_error_set(err, ENOMEM, "out of memory");
                                g = ng;
                                g[n++] = (uint32_t)v;
                                p = e;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        if (!have_uid || !have_gid)
                return userns_error_set(err, EINVAL, "status: no Uid: or Gid: line");
        *groups = TAKE_PTR(g);
        *ngroups = n;
        return 0;
}
