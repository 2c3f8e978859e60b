/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which user namespaces a process's capabilities reach: nsfs discovery + the caps model. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userns/caps-restrict.h"
#include "userns/caps-view.h"
#include "util/cleanup.h"

#define VIEW_MAX_NS 4096

struct collect {
        struct userns_caps_view_ns *ns;
        size_t n, cap;
};

static struct userns_caps_view_ns *find(struct collect *c, uint64_t ino)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->ns[i].ino == ino)
                        return &c->ns[i];
        return NULL;
}

/* Add the namespace of fd and, through NS_GET_PARENT, all its visible ancestors.  Takes fd. */
static int add_chain(struct collect *c, int fd_in)
{
        _cleanup_close_ int fd = fd_in;
        for (;;) {
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (find(c, st.st_ino))
                        return 0;
                if (c->n == c->cap) {
                        if (c->cap >= VIEW_MAX_NS)
                                return 0;
                        size_t ncap = c->cap ? c->cap * 2 : 16;
                        void *p = realloc(c->ns, ncap * sizeof *c->ns);
                        if (!p)
                                return -ENOMEM;
                        c->ns = p;
                        c->cap = ncap;
                }
                struct userns_caps_view_ns *e = &c->ns[c->n++];
                *e = (struct userns_caps_view_ns){ .ino = st.st_ino, .owner = UINT32_MAX };
                uid_t owner;
                if (ioctl(fd, NS_GET_OWNER_UID, &owner) == 0)
                        e->owner = owner;
                int pfd = ioctl(fd, NS_GET_PARENT);
                if (pfd < 0)
                        return 0;       /* the top visible from here (EPERM) */
                struct stat pst;
                if (fstat(pfd, &pst) == 0)
                        e->parent_ino = pst.st_ino;
                close(fd);
                fd = pfd;
        }
}

static unsigned level_of(struct collect *c, const struct userns_caps_view_ns *e)
{
        unsigned level = 0;
        for (const struct userns_caps_view_ns *p = e; p && p->parent_ino && level < VIEW_MAX_NS; level++)
                p = find(c, p->parent_ino);
        return level;
}

static int cmp_ns(const void *a, const void *b)
{
        const struct userns_caps_view_ns *x = a, *y = b;
        if (x->level != y->level)
                return x->level < y->level ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

void userns_caps_view_free(struct userns_caps_view *v)
{
        if (!v)
                return;
        free(v->ns);
        free(v);
}

int userns_caps_view_new(pid_t pid, struct userns_caps_view **out, struct userns_error *err)
{
        _cleanup_free_ struct userns_caps_view *v = calloc(1, sizeof *v);
        if (!v)
                return userns_error_errno(err, ENOMEM, "caps view");
        v->pid = pid;
        int r = userns_caps_read(pid, &v->state, err);
        if (r < 0)
                return r;
        v->native = userns_caps_native_userns_caps() == 1;
        char path[64];
        snprintf(path, sizeof path, pid ? "/proc/%d/ns/user" : "/proc/self/ns/user", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return userns_error_errno(err, errno, "%s", path);
        struct stat st;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return userns_error_errno(err, errno, "%s", path);
        }
        v->ns_ino = st.st_ino;
        struct collect c = { 0 };
        r = add_chain(&c, fd);
        /* Every namespace some live process is in (what we may see of /proc). */
        _cleanup_closedir_ DIR *d = r == 0 ? opendir("/proc") : NULL;
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                char p[300];
                snprintf(p, sizeof p, "/proc/%s/ns/user", de->d_name);
                int f = open(p, O_RDONLY | O_CLOEXEC);
                if (f >= 0 && (r = add_chain(&c, f)) < 0)
                        break;
                r = 0;
        }
        if (r < 0) {
                free(c.ns);
                return userns_error_errno(err, -r, "walking user namespaces");
        }
        /* Build the model tree: levels from the parent links, then ask cap_capable()'s walk. */
        for (size_t i = 0; i < c.n; i++)
                c.ns[i].level = level_of(&c, &c.ns[i]);
        qsort(c.ns, c.n, sizeof *c.ns, cmp_ns);
        struct userns_capns *m = calloc(c.n ? c.n : 1, sizeof *m);
        if (!m) {
                free(c.ns);
                return userns_error_errno(err, ENOMEM, "caps view");
        }
        const struct userns_capns *own = NULL;
        for (size_t i = 0; i < c.n; i++) {
                struct userns_caps_view_ns *parent = c.ns[i].parent_ino ? find(&c, c.ns[i].parent_ino) : NULL;
                m[i] = (struct userns_capns){ .parent = parent ? &m[parent - c.ns] : NULL, .level = c.ns[i].level,
                                              .owner = c.ns[i].owner, .id = c.ns[i].ino };
                if (c.ns[i].ino == v->ns_ino)
                        own = &m[i];
        }
        struct userns_capcred cred = { .ns = own, .euid = v->state.uid[1], .effective = v->state.effective };
        for (size_t i = 0; i < c.n; i++) {
                struct userns_cap_verdict verdict;
                c.ns[i].caps = userns_cap_model_caps_over(&cred, &m[i], &verdict) & userns_caps_all();
                c.ns[i].rule = verdict.rule;
                c.ns[i].is_own = &m[i] == own;
                for (const struct userns_capns *a = own ? own->parent : NULL; a; a = a->parent)
                        if (a == &m[i])
                                c.ns[i].is_ancestor = true;
        }
        free(m);
        v->ns = c.ns;
        v->n = c.n;
        *out = TAKE_PTR(v);
        return 0;
}
