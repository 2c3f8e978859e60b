/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discover every user namespace the caller can see and place it with NS_GET_PARENT. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userns/ns-tree.h"
#include "util/cleanup.h"

/* A non-user namespace met during the scan, and the user namespace that owns it. */
struct other {
        enum userns_ns_type type;
        uint64_t ino;
        uint64_t owner_ino;     /* 0 unknown */
};

struct scan {
        struct userns_ns_tree *t;
        struct other *others;
        size_t n_others;
        uint64_t *mnt_seen;
        size_t n_mnt_seen;
        uint64_t self_mnt;
        size_t denied_pids;
        char denied_list[128];
};

static int grow(void **arr, size_t n, size_t size)
{
        /* Grow by doubling at powers of two: n elements live, room for n+1 after. */
        if (n & (n - 1) && n > 4)
                return 0;
        size_t cap = n < 4 ? 4 : n * 2;
        void *p = realloc(*arr, cap * size);
        if (!p)
                return -ENOMEM;
        *arr = p;
        return 0;
}

static int add_str(char ***arr, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int add_str(char ***arr, size_t *n, const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (grow((void **)arr, *n, sizeof **arr) < 0) {
                free(s);
                return -ENOMEM;
        }
        (*arr)[(*n)++] = s;
        return 0;
}

size_t userns_ns_tree_find(const struct userns_ns_tree *tree, uint64_t ino)
{
        for (size_t i = 0; i < tree->n_nodes; i++)
                if (tree->nodes[i].id.ino == ino)
                        return i;
        return USERNS_NS_NO_PARENT;
}

void userns_ns_tree_free(struct userns_ns_tree *tree)
{
        if (!tree)
                return;
        for (size_t i = 0; i < tree->n_nodes; i++) {
                struct userns_ns_node *n = &tree->nodes[i];
                userns_ns_maps_done(&n->maps);
                free(n->maps_error);
                userns_idmap_free(n->uid_map_caller);
                userns_idmap_free(n->gid_map_caller);
                free(n->members);
                for (size_t j = 0; j < n->n_holders; j++)
                        free(n->holders[j]);
                free(n->holders);
                free(n->owned);
                if (n->fd >= 0)
                        close(n->fd);
        }
        free(tree->nodes);
        for (size_t i = 0; i < tree->n_notes; i++)
                free(tree->notes[i]);
        free(tree->notes);
        free(tree);
}

/* Add a user namespace by fd (taken over); returns its index, or -errno. */
static ssize_t add_node(struct scan *s, int fd)
{
        struct userns_ns_id id;
        if (userns_ns_identify(fd, &id, NULL, NULL) < 0) {
                close(fd);
                return -EIO;
        }
        size_t i = userns_ns_tree_find(s->t, id.ino);
        if (i != USERNS_NS_NO_PARENT) {
                close(fd);
                return (ssize_t)i;
        }
        if (grow((void **)&s->t->nodes, s->t->n_nodes, sizeof *s->t->nodes) < 0) {
                close(fd);
                return -ENOMEM;
        }
        struct userns_ns_node *n = &s->t->nodes[s->t->n_nodes];
        memset(n, 0, sizeof *n);
        n->id = id;
        n->fd = fd;
        n->parent = USERNS_NS_NO_PARENT;
        n->depth = -1;
        n->owner_uid_parent = USERNS_ID_INVALID;
        n->maps.setgroups = -1;
        n->initial = id.ino == USERNS_INIT_USER_NS_INO;
        return (ssize_t)s->t->n_nodes++;
}

/* Find the node of a user namespace by inode, opening `path` when it is new. */
static ssize_t node_for(struct scan *s, uint64_t ino, const char *path)
{
        size_t i = userns_ns_tree_find(s->t, ino);
        if (i != USERNS_NS_NO_PARENT)
                return (ssize_t)i;
        int fd = userns_ns_open_path(path, NULL);
        if (fd < 0)
                return fd;
        return add_node(s, fd);
}

/* A non-user namespace: remember it and its owner (which may be a user ns seen nowhere else). */
static int see_other(struct scan *s, enum userns_ns_type type, uint64_t ino, const char *path)
{
        for (size_t i = 0; i < s->n_others; i++)
                if (s->others[i].ino == ino)
                        return 0;
        _cleanup_close_ int fd = userns_ns_open_path(path, NULL);
        if (fd < 0)
                return 0;       /* raced with exit, or no access: nothing to learn */
        if (grow((void **)&s->others, s->n_others, sizeof *s->others) < 0)
                return -ENOMEM;
        struct other *o = &s->others[s->n_others++];
        o->type = type;
        o->ino = ino;
        o->owner_ino = 0;
        int ufd = userns_ns_get_userns(fd, NULL);
        if (ufd >= 0) {
                ssize_t i = add_node(s, ufd);
                if (i == -ENOMEM)
                        return -ENOMEM;
                if (i >= 0)
                        o->owner_ino = s->t->nodes[i].id.ino;
        }
        return 0;
}

/*
 * A namespace found at `path`: one of another type is remembered with its owner;
 * a user namespace gets (or already has) a node.  Returns the node's index, -1 for
 * another type or an unreadable namespace, -ENOMEM.
 */
static ssize_t see_ns(struct scan *s, enum userns_ns_type type, uint64_t ino, const char *path)
{
        if (type != USERNS_NS_USER)
                return see_other(s, type, ino, path) < 0 ? -ENOMEM : -1;
        ssize_t i = node_for(s, ino, path);
        return i == -ENOMEM ? -ENOMEM : i < 0 ? -1 : i;
}

/* "user:[123]" → type and inode; false for anything else (sockets, pipes, files). */
static bool parse_ns_link(const char *link, enum userns_ns_type *type, uint64_t *ino)
{
        const char *colon = strchr(link, ':');
        if (!colon || colon - link > 15 || colon[1] != '[')
                return false;
        char name[16];
        memcpy(name, link, (size_t)(colon - link));
        name[colon - link] = '\0';
        if (userns_ns_type_from_name(name, type) < 0 || strcmp(name, "mount") == 0)
                return false;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(colon + 2, &end, 10);
        if (errno || end == colon + 2 || strcmp(end, "]") != 0)
                return false;
        *ino = v;
        return true;
}

/* readlink(path) as a namespace link: 1 and type/inode, 0 for another kind of file, -errno. */
static int read_ns_link(const char *path, enum userns_ns_type *type, uint64_t *ino)
{
        char link[64];
        ssize_t l = readlink(path, link, sizeof link - 1);
        if (l < 0)
                return -errno;
        link[l] = '\0';
        return parse_ns_link(link, type, ino);
}

static int add_member(struct userns_ns_node *n, pid_t pid, const char *comm)
{
        if (grow((void **)&n->members, n->n_members, sizeof *n->members) < 0)
                return -ENOMEM;
        struct userns_ns_member *m = &n->members[n->n_members++];
        m->pid = pid;
        snprintf(m->comm, sizeof m->comm, "%s", comm);
        return 0;
}

/* Undo mountinfo's octal escapes (\040 for space, \011, \012, \134) in place. */
static void unescape(char *s)
{
        char *o = s;
        for (char *p = s; *p; ) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 4;
                } else
                        *o++ = *p++;
        }
        *o = '\0';
}

/* nsfs bind mounts in the mount namespace of `pid` (0 = ours). */
static int scan_mounts(struct scan *s, pid_t pid, uint64_t mnt_ino)
{
        char path[64];
        if (pid)
                snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
        else
                snprintf(path, sizeof path, "/proc/self/mountinfo");
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
                char *sep = strstr(line, " - ");
                if (!sep || strncmp(sep + 3, "nsfs ", 5) != 0)
                        continue;
                char *save = NULL, *fields[5];
                int k = 0;
                for (char *tok = strtok_r(line, " ", &save); tok && k < 5; tok = strtok_r(NULL, " ", &save))
                        fields[k++] = tok;
                if (k < 5)
                        continue;
                enum userns_ns_type type;
                uint64_t ino;
                if (!parse_ns_link(fields[3], &type, &ino))
                        continue;
                unescape(fields[4]);
                _cleanup_free_ char *open_path = NULL;
                int ar = pid ? asprintf(&open_path, "/proc/%d/root%s", (int)pid, fields[4])
                             : asprintf(&open_path, "%s", fields[4]);
                if (ar < 0)
                        return -ENOMEM;
                ssize_t i = see_ns(s, type, ino, open_path);
                if (i == -ENOMEM)
                        return -ENOMEM;
                if (i < 0)
                        continue;
                struct userns_ns_node *n = &s->t->nodes[i];
                int r = mnt_ino == s->self_mnt ?
                        add_str(&n->holders, &n->n_holders, "bind mount %s", fields[4]) :
                        add_str(&n->holders, &n->n_holders, "bind mount %s in mnt:[%llu] (pid %d)",
                                fields[4], (unsigned long long)mnt_ino, (int)pid);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int scan_fds(struct scan *s, pid_t pid, const char *comm)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        _cleanup_closedir_ DIR *d = opendir(path);
        if (!d)
                return 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char fdpath[300];
                enum userns_ns_type type;
                uint64_t ino;
                snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%s", (int)pid, de->d_name);
                if (read_ns_link(fdpath, &type, &ino) <= 0)
                        continue;
                ssize_t i = see_ns(s, type, ino, fdpath);
                if (i == -ENOMEM)
                        return -ENOMEM;
                if (i >= 0 && add_str(&s->t->nodes[i].holders, &s->t->nodes[i].n_holders,
                                      "fd %s of pid %d (%s)", de->d_name, (int)pid, comm) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int scan_process(struct scan *s, pid_t pid)
{
        static const char *const links[] = { "user", "mnt", "uts", "ipc", "pid", "cgroup", "net", "time",
                                              "pid_for_children", "time_for_children" };
        char path[96], comm[32] = "?";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        _cleanup_fclose_ FILE *cf = fopen(path, "re");
        if (!cf)
                return 0;       /* gone */
        if (fgets(comm, sizeof comm, cf))
                comm[strcspn(comm, "\n")] = '\0';

        for (size_t k = 0; k < ELEMENTSOF(links); k++) {
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, links[k]);
                enum userns_ns_type type;
                uint64_t ino;
                int l = read_ns_link(path, &type, &ino);
                if (l < 0) {
                        if (k == 0 && (l == -EACCES || l == -EPERM)) {
                                size_t used = strlen(s->denied_list);
                                if (s->denied_pids < 8)
                                        snprintf(s->denied_list + used, sizeof s->denied_list - used,
                                                 "%s%d", used ? ", " : "", (int)pid);
                                s->denied_pids++;
                                return 0;
                        }
                        continue;
                }
                if (l == 0)
                        continue;
                ssize_t i = see_ns(s, type, ino, path);
                if (i == -ENOMEM || (i >= 0 && add_member(&s->t->nodes[i], pid, comm) < 0))
                        return -ENOMEM;
                if (type == USERNS_NS_MNT && k == 1) {
                        bool seen = false;
                        for (size_t j = 0; j < s->n_mnt_seen; j++)
                                seen |= s->mnt_seen[j] == ino;
                        if (!seen) {
                                if (grow((void **)&s->mnt_seen, s->n_mnt_seen, sizeof *s->mnt_seen) < 0)
                                        return -ENOMEM;
                                s->mnt_seen[s->n_mnt_seen++] = ino;
                                if (scan_mounts(s, pid, ino) < 0)
                                        return -ENOMEM;
                        }
                }
        }
        /* Our own fds are the scan's: not holders. */
        return pid == getpid() ? 0 : scan_fds(s, pid, comm);
}

int userns_ns_map_relative(const struct userns_idmap *child_caller,
                           const struct userns_idmap *parent_caller,
                           struct userns_idmap **out, struct userns_error *err)
{
        struct userns_idmap *inv = NULL;
        int r = userns_idmap_invert(parent_caller, &inv, err);
        if (r < 0)
                return r;
        r = userns_idmap_compose(child_caller, inv, out, err);
        userns_idmap_free(inv);
        return r;
}

/* Maps of node i, whose parent (if any) is already done. */
static int resolve_maps(struct scan *s, size_t i)
{
        struct userns_ns_node *n = &s->t->nodes[i];
        struct userns_ns_node *p = n->parent != USERNS_NS_NO_PARENT ? &s->t->nodes[n->parent] : NULL;
        struct userns_error e = { 0 };
        int r;

        if (userns_ns_read_maps(n->fd, &n->maps, &e) == 0)
                n->maps_exact = true;
        else if (p && p->uid_map_caller && n->n_members > 0) {
                /* No CAP_SYS_ADMIN in it: read what a member's map files show us and take
                 * the parent's part out again (lower ids caller → parent). */
                struct userns_idmap *uc = NULL, *gc = NULL;
                pid_t m = n->members[0].pid;
                if (userns_idmap_read_proc(m, USERNS_IDMAP_UID, &uc, NULL) == 0 &&
                    userns_idmap_read_proc(m, USERNS_IDMAP_GID, &gc, NULL) == 0 &&
                    userns_ns_map_relative(uc, p->uid_map_caller, &n->maps.uid, NULL) == 0 &&
                    userns_ns_map_relative(gc, p->gid_map_caller, &n->maps.gid, NULL) == 0) {
                        n->uid_map_caller = TAKE_PTR(uc);
                        n->gid_map_caller = TAKE_PTR(gc);
                } else
                        userns_ns_maps_done(&n->maps);
                userns_idmap_free(uc);
                userns_idmap_free(gc);
        }
        if (!n->maps.uid) {
                n->maps_error = strdup(e.message[0] ? e.message : "maps unavailable");
                return n->maps_error ? 0 : -ENOMEM;
        }

        if (n->uid_map_caller)
                return 0;
        if (n->caller) {
                /* Our own namespace: its ids are our ids. */
                if ((r = userns_idmap_new_identity(&n->uid_map_caller)) < 0 ||
                    (r = userns_idmap_new_identity(&n->gid_map_caller)) < 0)
                        return r;
        } else if (p && p->uid_map_caller) {
                if ((r = userns_idmap_compose(n->maps.uid, p->uid_map_caller, &n->uid_map_caller, NULL)) < 0 ||
                    (r = userns_idmap_compose(n->maps.gid, p->gid_map_caller, &n->gid_map_caller, NULL)) < 0)
                        return r;
        } else if (n->n_members > 0) {
                userns_idmap_read_proc(n->members[0].pid, USERNS_IDMAP_UID, &n->uid_map_caller, NULL);
                userns_idmap_read_proc(n->members[0].pid, USERNS_IDMAP_GID, &n->gid_map_caller, NULL);
        }
        return 0;
}

static int place(struct scan *s)
{
        /* Walk every node up; new parents are appended and walked in turn. */
        for (size_t i = 0; i < s->t->n_nodes; i++) {
                int pfd = userns_ns_get_parent(s->t->nodes[i].fd, NULL);
                if (pfd < 0) {
                        s->t->nodes[i].parent_unreachable = !s->t->nodes[i].initial;
                        continue;
                }
                ssize_t p = add_node(s, pfd);
                if (p < 0)
                        return (int)p;
                s->t->nodes[i].parent = (size_t)p;
        }
        /* Depths, top-down: repeat until stable (the tree is at most 33 deep). */
        for (bool changed = true; changed; ) {
                changed = false;
                for (size_t i = 0; i < s->t->n_nodes; i++) {
                        struct userns_ns_node *n = &s->t->nodes[i];
                        int d = n->parent == USERNS_NS_NO_PARENT ? 0 :
                                s->t->nodes[n->parent].depth < 0 ? -1 : s->t->nodes[n->parent].depth + 1;
                        if (d != n->depth) {
                                n->depth = d;
                                changed = true;
                        }
                }
        }
        return 0;
}

int userns_ns_tree_scan(unsigned flags, struct userns_ns_tree **out, struct userns_error *err)
{
        struct scan s = { 0 };
        _cleanup_closedir_ DIR *proc = NULL;
        int r;
        s.t = calloc(1, sizeof *s.t);
        if (!s.t)
                return userns_error_set(err, ENOMEM, "out of memory");

        /* Our own namespaces first. */
        int self = userns_ns_open(0, USERNS_NS_USER, err);
        if (self < 0) {
                userns_ns_tree_free(s.t);
                return self;
        }
        ssize_t si = add_node(&s, self);
        if (si < 0) {
                r = userns_error_errno(err, (int)-si, "our own user namespace");
                goto fail;
        }
        s.t->nodes[si].caller = true;
        {
                _cleanup_close_ int mfd = userns_ns_open(0, USERNS_NS_MNT, NULL);
                struct userns_ns_id mid = { 0 };
                if (mfd >= 0 && userns_ns_identify(mfd, &mid, NULL, NULL) == 0) {
                        s.self_mnt = mid.ino;
                        if (grow((void **)&s.mnt_seen, 0, sizeof *s.mnt_seen) < 0)
                                goto nomem;
                        s.mnt_seen[s.n_mnt_seen++] = mid.ino;
                }
                if (scan_mounts(&s, 0, s.self_mnt) < 0)
                        goto nomem;
        }

        proc = opendir("/proc");
        if (!proc) {
                r = userns_error_errno(err, errno, "/proc");
                goto fail;
        }
        struct dirent *de;
        while ((de = readdir(proc))) {
                if (!isdigit((unsigned char)de->d_name[0]))
                        continue;
                if (scan_process(&s, (pid_t)atoi(de->d_name)) < 0)
                        goto nomem;
        }
        if (s.denied_pids &&
            add_str(&s.t->notes, &s.t->n_notes,
                    "%zu process%s whose namespaces could not be read (no ptrace access): pid %s%s",
                    s.denied_pids, s.denied_pids == 1 ? "" : "es", s.denied_list,
                    s.denied_pids > 8 ? ", ..." : "") < 0)
                goto nomem;

        if ((r = place(&s)) < 0) {
                r = userns_error_errno(err, -r, "placing namespaces");
                goto fail;
        }

        /* Maps and owners, parents before children. */
        for (int d = 0; d <= 40; d++)
                for (size_t i = 0; i < s.t->n_nodes; i++) {
                        struct userns_ns_node *n = &s.t->nodes[i];
                        int nd = n->depth;
                        if (nd < 0)
                                continue;
                        if (nd != d)
                                continue;
                        if (resolve_maps(&s, i) < 0)
                                goto nomem;
                        n->owner_known = userns_ns_get_owner_uid(n->fd, &n->owner_uid, NULL) == 0;
                        if (n->owner_known && n->parent != USERNS_NS_NO_PARENT &&
                            s.t->nodes[n->parent].uid_map_caller)
                                n->owner_uid_parent = userns_idmap_up(s.t->nodes[n->parent].uid_map_caller,
                                                                      n->owner_uid);
                }
        for (size_t i = 0; i < s.t->n_nodes; i++) {
                struct userns_ns_node *n = &s.t->nodes[i];
                if (n->parent_unreachable &&
                    add_str(&s.t->notes, &s.t->n_notes,
                            "user:[%llu]: its parent is above the caller's user namespace; depths below it are relative to it",
                            (unsigned long long)n->id.ino) < 0)
                        goto nomem;
                if (!n->maps.uid &&
                    add_str(&s.t->notes, &s.t->n_notes, "user:[%llu]: maps unknown: %s",
                            (unsigned long long)n->id.ino, n->maps_error) < 0)
                        goto nomem;
        }

        if (flags & USERNS_TREE_ALL_TYPES)
                for (size_t k = 0; k < s.n_others; k++) {
                        size_t i = s.others[k].owner_ino ? userns_ns_tree_find(s.t, s.others[k].owner_ino)
                                                         : USERNS_NS_NO_PARENT;
                        if (i == USERNS_NS_NO_PARENT)
                                continue;
                        struct userns_ns_node *n = &s.t->nodes[i];
                        if (grow((void **)&n->owned, n->n_owned, sizeof *n->owned) < 0)
                                goto nomem;
                        n->owned[n->n_owned++] = (struct userns_ns_owned){ s.others[k].type, s.others[k].ino };
                }

        for (size_t i = 0; i < s.t->n_nodes; i++) {
                close(s.t->nodes[i].fd);
                s.t->nodes[i].fd = -1;
        }
        free(s.others);
        free(s.mnt_seen);
        *out = s.t;
        return 0;
nomem:
        r = userns_error_set(err, ENOMEM, "out of memory");
fail:
        free(s.others);
        free(s.mnt_seen);
        userns_ns_tree_free(s.t);
        return r;
}
