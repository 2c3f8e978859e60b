/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filesystem id maps for `userns run`: --bind-map, --fs-uid-map/--fs-gid-map, --shared. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userns/fsmap.h"
#include "userns/mount-plan.h"
#include "userns/mount.h"
#include "userns/spawn.h"
#include "util/cleanup.h"

static const char *const opt_name[] = {
        [USERNS_MOUNT_PLAN_BIND] = "--bind-map",
        [USERNS_MOUNT_PLAN_SHARED] = "--shared",
        [USERNS_MOUNT_PLAN_ROOT] = "--root",
};

int userns_mount_plan_new(struct userns_mount_plan **out, struct userns_error *err)
{
        struct userns_mount_plan *p = calloc(1, sizeof *p);
        if (!p)
                return userns_error_set(err, ENOMEM, "out of memory");
        p->euid = geteuid();
        p->egid = getegid();
        *out = p;
        return 0;
}

static int copy(char *dst, size_t size, const char *src, const char *what, const char *spec,
                struct userns_error *err)
{
        if (snprintf(dst, size, "%s", src) >= (int)size)
                return userns_error_set(err, ENAMETOOLONG, "%s '%s': %s too long", what, spec, what);
        return 0;
}

/* Parse "SRC:DST[:REST]" into an entry; REST goes to map when allowed. */
static int add_entry(struct userns_mount_plan *p, enum userns_mount_plan_kind kind, const char *spec,
                     bool allow_map, struct userns_error *err)
{
        const char *opt = opt_name[kind];
        if (p->n >= USERNS_MOUNT_PLAN_MAX)
                return userns_error_set(err, E2BIG, "%s: at most %d idmapped mounts", opt, USERNS_MOUNT_PLAN_MAX);
        _cleanup_free_ char *s = strdup(spec);
        if (!s)
                return userns_error_set(err, ENOMEM, "out of memory");
        char *c1 = strchr(s, ':');
        if (!c1 || c1 == s || !c1[1])
                return userns_error_set(err, EINVAL, "%s '%s': expected SRC:DST%s", opt, spec,
                                        allow_map ? "[:MAP]" : "");
        *c1 = '\0';
        char *dst = c1 + 1, *c2 = strchr(dst, ':');
        if (c2) {
                if (!allow_map)
                        return userns_error_set(err, EINVAL, "%s '%s': expected DIR:DST (no map: the "
                                                "canonical range is DIR's owner)", opt, spec);
                *c2 = '\0';
        }
        if (dst[0] != '/')
                return userns_error_set(err, EINVAL, "%s '%s': DST '%s' must be an absolute path inside",
                                        opt, spec, dst);
        struct userns_mount_plan_entry *e = &p->e[p->n];
        *e = (struct userns_mount_plan_entry){ .kind = kind };
        _cleanup_free_ char *abs = realpath(s, NULL);
        if (!abs)
                return userns_error_errno(err, errno, "%s '%s': %s", opt, spec, s);
        struct stat st;
        if (kind == USERNS_MOUNT_PLAN_SHARED && (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)))
                return userns_error_set(err, ENOTDIR, "%s '%s': %s is not a directory", opt, spec, abs);
        int r;
        if ((r = copy(e->src, sizeof e->src, abs, "SRC", spec, err)) < 0 ||
            (r = copy(e->dst, sizeof e->dst, dst, "DST", spec, err)) < 0)
                return r;
        if (c2) {
                _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
                const char *text = c2 + 1;
                r = userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, USERNS_IDMAP_UID, &m, err);
                if (r < 0)
                        return userns_error_prefix(err, "%s '%s': MAP", opt, spec);
                if ((r = copy(e->map, sizeof e->map, text, "MAP", spec, err)) < 0)
                        return r;
        }
        p->n++;
        return 0;
}

int userns_mount_plan_add_bind(struct userns_mount_plan *p, const char *spec, struct userns_error *err)
{
        return add_entry(p, USERNS_MOUNT_PLAN_BIND, spec, true, err);
}

int userns_mount_plan_add_shared(struct userns_mount_plan *p, const char *spec, struct userns_error *err)
{
        return add_entry(p, USERNS_MOUNT_PLAN_SHARED, spec, false, err);
}

int userns_mount_plan_set_fs_map(struct userns_mount_plan *p, enum userns_idmap_kind kind,
                                 const char *text, struct userns_error *err)
{
        const char *opt = kind == USERNS_IDMAP_UID ? "--fs-uid-map" : "--fs-gid-map";
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        int r = userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, kind, &m, err);
        if (r < 0)
                return userns_error_prefix(err, "%s '%s'", opt, text);
        return copy(p->fs_map[kind], sizeof p->fs_map[kind], text, "map", text, err);
}

int userns_mount_plan_set_root(struct userns_mount_plan *p, const char *root, struct userns_error *err)
{
        return copy(p->root, sizeof p->root, root ? root : "", "root", root ? root : "", err);
}

static int parse_kind(const char *text, enum userns_idmap_kind kind, struct userns_idmap **out,
                      struct userns_error *err)
{
        return userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, kind, out, err);
}

/* F for one entry and kind; NULL in *out means "keep the process map" (F = P). */
static int fs_map_for(const struct userns_mount_plan *p, const struct userns_mount_plan_entry *e,
                      enum userns_idmap_kind kind, const struct userns_idmap *proc,
                      struct userns_idmap **out, struct userns_error *err)
{
        *out = NULL;
        if (e->map[0])
                return parse_kind(e->map, kind, out, err);
        if (e->kind == USERNS_MOUNT_PLAN_SHARED) {
                struct stat st;
                if (stat(e->src, &st) < 0)
                        return userns_error_errno(err, errno, "%s", e->src);
                return userns_fsmap_canonical(proc, kind == USERNS_IDMAP_UID ? st.st_uid : st.st_gid, out, err);
        }
        /* With an fs map for either kind, the other kind keeps the process map. */
        if (p->fs_map[0][0] || p->fs_map[1][0])
                return p->fs_map[kind][0] ? parse_kind(p->fs_map[kind], kind, out, err) : 0;
        if (e->kind == USERNS_MOUNT_PLAN_BIND)
                return userns_fsmap_owner(kind == USERNS_IDMAP_UID ? p->euid : p->egid, out, err);
        return 0;
}

/* M = P ∘ F⁻¹; F = P gives the identity on P's host ranges. */
static int mount_map(const struct userns_mount_plan *p, const struct userns_mount_plan_entry *e,
                     enum userns_idmap_kind kind, const struct userns_idmap *proc,
                     struct userns_idmap **out, struct userns_error *err)
{
        const char *kname = kind == USERNS_IDMAP_UID ? "uid" : "gid";
        if (!proc || userns_idmap_count(proc) == 0)
                return userns_error_set(err, EINVAL, "%s %s: the container has no %s map", opt_name[e->kind],
                                        e->dst, kname);
        _cleanup_(userns_idmap_freep) struct userns_idmap *f = NULL;
        int r = fs_map_for(p, e, kind, proc, &f, err);
        if (r < 0)
                return userns_error_prefix(err, "%s %s (%s)", opt_name[e->kind], e->dst, kname);
        char what[64];
        snprintf(what, sizeof what, "%s fs %s map", opt_name[e->kind], kname);
        r = userns_fsmap_mount_map(f ? f : proc, proc, what, out, err);
        if (r < 0)
                return r;
        if (userns_idmap_count(*out) == 0) {
                userns_idmap_free(*out);
                *out = NULL;
                return userns_error_set(err, EINVAL, "%s %s: the %s map is empty", opt_name[e->kind], e->dst, kname);
        }
        return 0;
}

int userns_mount_plan_maps(const struct userns_mount_plan *p, size_t i, const struct userns_idmap *puid,
                           const struct userns_idmap *pgid, struct userns_idmap **uid,
                           struct userns_idmap **gid, struct userns_error *err)
{
        if (i >= p->n)
                return userns_error_set(err, EINVAL, "mount plan: no entry %zu", i);
        int r = mount_map(p, &p->e[i], USERNS_IDMAP_UID, puid, uid, err);
        if (r < 0)
                return r;
        r = mount_map(p, &p->e[i], USERNS_IDMAP_GID, pgid, gid, err);
        if (r < 0) {
                userns_idmap_free(*uid);
                *uid = NULL;
        }
        return r;
}

/* The entries in attach order: the root (when an fs map applies to it) first. */
static size_t with_root(const struct userns_mount_plan *p, struct userns_mount_plan *tmp)
{
        *tmp = *p;
        if (p->root[0] && (p->fs_map[0][0] || p->fs_map[1][0]) && tmp->n < USERNS_MOUNT_PLAN_MAX) {
                memmove(&tmp->e[1], &tmp->e[0], tmp->n * sizeof tmp->e[0]);
                tmp->e[0] = (struct userns_mount_plan_entry){ .kind = USERNS_MOUNT_PLAN_ROOT };
                snprintf(tmp->e[0].src, sizeof tmp->e[0].src, "%s", p->root);
                snprintf(tmp->e[0].dst, sizeof tmp->e[0].dst, "/");
                tmp->n++;
        }
        return tmp->n;
}

int userns_mount_plan_check(const struct userns_mount_plan *p, const struct userns_idmap *puid,
                            const struct userns_idmap *pgid, struct userns_error *err)
{
        _cleanup_free_ struct userns_mount_plan *all = malloc(sizeof *all);
        if (!all)
                return userns_error_set(err, ENOMEM, "out of memory");
        size_t n = with_root(p, all);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(userns_idmap_freep) struct userns_idmap *u = NULL, *g = NULL;
                int r = userns_mount_plan_maps(all, i, puid, pgid, &u, &g, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* In a child: enter the mount namespace of `pid`, attach every fd. */
static int attach_all(const struct userns_mount_plan *all, const int *fds, pid_t pid, int pidfd,
                      struct userns_error *err)
{
        _cleanup_close_ int ns = -1;
        if (pidfd >= 0)
                ns = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
        else {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
                ns = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (ns < 0)
                return userns_error_errno(err, errno, "the container's mount namespace");
        if (setns(ns, CLONE_NEWNS) < 0)
                return userns_error_errno(err, errno, "entering the container's mount namespace");
        for (size_t i = 0; i < all->n; i++) {
                const struct userns_mount_plan_entry *e = &all->e[i];
                char where[PATH_MAX * 2];
                if (e->kind == USERNS_MOUNT_PLAN_ROOT)
                        snprintf(where, sizeof where, "%s", e->src);
                else
                        snprintf(where, sizeof where, "%s%s", all->root, e->dst);
                int r = userns_mount_attach(fds[i], AT_FDCWD, where, err);
                if (r < 0)
                        return userns_error_prefix(err, "%s %s", opt_name[e->kind], e->dst);
        }
        return 0;
}

/* Create DST's mount point in the plain (not idmapped) tree, of SRC's kind. */
static int make_mount_point(const char *root, const struct userns_mount_plan_entry *e,
                            struct userns_error *err)
{
        char where[PATH_MAX * 2];
        struct stat st, sst;
        snprintf(where, sizeof where, "%s%s", root, e->dst);
        if (lstat(where, &st) == 0)
                return 0;
        if (!root[0])
                return userns_error_errno(err, errno, "%s %s: the mount point must exist without --root",
                                          opt_name[e->kind], e->dst);
        if (stat(e->src, &sst) < 0)
                return userns_error_errno(err, errno, "%s", e->src);
        /* mkdir -p below the root */
        for (char *s = where + strlen(root) + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(where, 0755) < 0 && errno != EEXIST)
                        return userns_error_errno(err, errno, "%s: creating %s", opt_name[e->kind], where);
                *s = '/';
        }
        int r = S_ISDIR(sst.st_mode) ? mkdir(where, 0755) : mknod(where, S_IFREG | 0644, 0);
        if (r < 0 && errno != EEXIST)
                return userns_error_errno(err, errno, "%s: creating the mount point %s", opt_name[e->kind], where);
        return 0;
}

int userns_mount_plan_apply(const struct userns_mount_plan *p, const struct userns_idmap *puid,
                            const struct userns_idmap *pgid, pid_t pid, int pidfd,
                            struct userns_error *err)
{
        _cleanup_free_ struct userns_mount_plan *all = malloc(sizeof *all);
        if (!all)
                return userns_error_set(err, ENOMEM, "out of memory");
        size_t n = with_root(p, all);
        int fds[USERNS_MOUNT_PLAN_MAX];
        for (size_t i = 0; i < n; i++)
                fds[i] = -1;
        int r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_(userns_idmap_freep) struct userns_idmap *u = NULL, *g = NULL;
                const struct userns_mount_plan_entry *e = &all->e[i];
                if ((r = userns_mount_plan_maps(all, i, puid, pgid, &u, &g, err)) < 0)
                        break;
                if (e->kind != USERNS_MOUNT_PLAN_ROOT && (r = make_mount_point(all->root, e, err)) < 0)
                        break;
                struct userns_mount_opts o = { .uid_map = u, .gid_map = g };
                if ((r = userns_mount_clone(AT_FDCWD, e->src, &o, &fds[i], err)) < 0)
                        userns_error_prefix(err, "%s %s:%s", opt_name[e->kind], e->src, e->dst);
        }
        if (r >= 0) {
                /* setns changes the whole process: do it in a child, report through a pipe. */
                int pfd[2];
                if (pipe2(pfd, O_CLOEXEC) < 0)
                        r = userns_error_errno(err, errno, "pipe");
                else {
                        pid_t c = fork();
                        if (c == 0) {
                                struct userns_error ce = { 0 };
                                close(pfd[0]);
                                int cr = attach_all(all, fds, pid, pidfd, &ce);
                                if (cr < 0)
                                        (void)!write(pfd[1], &ce, sizeof ce);
                                _exit(cr < 0 ? 1 : 0);
                        }
                        close(pfd[1]);
                        struct userns_error ce = { 0 };
                        ssize_t got = c < 0 ? -1 : read(pfd[0], &ce, sizeof ce);
                        close(pfd[0]);
                        int status = 0;
                        if (c < 0)
                                r = userns_error_errno(err, errno, "fork");
                        else if (waitpid(c, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
                                if (got == (ssize_t)sizeof ce) {
                                        if (err)
                                                *err = ce;
                                        r = -(ce.code ? ce.code : EIO);
                                } else
                                        r = userns_error_set(err, EIO, "attaching the idmapped mounts failed");
                        }
                }
        }
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        return r;
}

static int plan_hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        const struct userns_mount_plan *p = data;
        return userns_mount_plan_apply(p, userns_spawn_map(ctx->spawn, USERNS_IDMAP_UID),
                                       userns_spawn_map(ctx->spawn, USERNS_IDMAP_GID), ctx->pid, ctx->pidfd, err);
}

int userns_mount_plan_attach_to_spawn(struct userns_mount_plan *p, struct userns_spawn *s,
                                      struct userns_error *err)
{
        if (p->n == 0 && !p->fs_map[0][0] && !p->fs_map[1][0])
                return 0;
        int r = userns_mount_plan_set_root(p, userns_spawn_get_root(s), err);
        if (r < 0)
                return r;
        if ((r = userns_spawn_set_namespaces(s, userns_spawn_get_namespaces(s) | CLONE_NEWNS, err)) < 0)
                return r;
        if ((p->fs_map[0][0] || p->fs_map[1][0]) && !p->root[0] && p->n == 0)
                return userns_error_set(err, EINVAL, "--fs-uid-map/--fs-gid-map apply to the root (--root) "
                                        "and to --bind-map binds; there is neither");
        /* The process maps are resolved only with the command: the hook computes and checks the rest. */
        return userns_spawn_add_hook(s, USERNS_STAGE_OUTSIDE, plan_hook, p, err);
}
