/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The user namespace of a process as a chain for the file-capability model: every
 * namespace between the caller's and the process's, each with its uid_map relative to
 * its parent.  Parents come from NS_GET_PARENT; an intermediate namespace's map is
 * read from any process found in it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>

#include "userns/fcaps.h"
#include "util/cleanup.h"

void userns_fcaps_chain_free(struct userns_fcaps_chain *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++)
                userns_idmap_free(c->maps[i]);
        free(c);
}

const struct userns_fcaps_ns *userns_fcaps_chain_ns(const struct userns_fcaps_chain *c)
{
        return c->n ? &c->ns[c->n - 1] : c->caller;
}

/* A process whose user namespace is inode `ino` (0 when none is found). */
static pid_t find_member(ino_t ino, dev_t dev)
{
        _cleanup_closedir_ DIR *d = opendir("/proc");
        if (!d)
                return 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0)
                        continue;
                char p[64];
                struct stat st;
                snprintf(p, sizeof p, "/proc/%ld/ns/user", pid);
                if (stat(p, &st) == 0 && st.st_ino == ino && st.st_dev == dev)
                        return (pid_t)pid;
        }
        return 0;
}

/* uid_map of `pid` relative to the namespace whose map (as the caller reads it) is `outer`. */
static int relative_map(pid_t pid, const struct userns_idmap *outer, struct userns_idmap **out,
                        struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL, *inv = NULL;
        int r = userns_idmap_read_proc(pid, USERNS_IDMAP_UID, &m, err);
        if (r < 0)
                return r;
        if (!outer) {
                *out = TAKE_PTR(m);
                return 0;
        }
        r = userns_idmap_invert(outer, &inv, err);
        if (r < 0)
                return r;
        return userns_idmap_compose(m, inv, out, err);
}

int userns_fcaps_chain_from_pid(pid_t pid, const struct userns_fcaps_ns *caller,
                                struct userns_fcaps_chain **out, struct userns_error *err)
{
        char p[64];
        struct stat self;
        if (stat("/proc/self/ns/user", &self) < 0)
                return userns_error_errno(err, errno, "/proc/self/ns/user");
        snprintf(p, sizeof p, "/proc/%d/ns/user", (int)pid);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return userns_error_errno(err, errno, "%s", p);

        _cleanup_free_ struct userns_fcaps_chain *c = calloc(1, sizeof *c);
        if (!c)
                return userns_error_set(err, ENOMEM, "out of memory");
        c->caller = caller;
        c->complete = true;
        /* inodes from the process's namespace up to (not including) ours */
        ino_t inos[USERNS_FCAPS_CHAIN_MAX];
        size_t n = 0;
        int cur = fd;
        bool below = false;
        for (;;) {
                struct stat st;
                if (fstat(cur, &st) < 0)
                        break;
                if (st.st_ino == self.st_ino && st.st_dev == self.st_dev) {
                        below = true;
                        break;
                }
                if (n == USERNS_FCAPS_CHAIN_MAX)
                        break;
                inos[n++] = st.st_ino;
                int parent = ioctl(cur, NS_GET_PARENT);
                if (cur != fd)
                        close(cur);
                cur = parent;
                if (cur < 0)
                        break;     /* EPERM: above our namespace, or the initial one */
        }
        if (cur >= 0 && cur != fd)
                close(cur);
        if (!below) {
                /* not below us (a sibling or an ancestor): model it as a child with its map as read */
                c->complete = false;
                n = 1;
                inos[0] = 0;
        }

        /* outermost first: inos[n-1] is the child of our namespace; `outer` is the
         * previous level's map as we read it (in our ids) */
        _cleanup_(userns_idmap_freep) struct userns_idmap *outer = NULL;
        for (size_t k = n; k-- > 0;) {
                pid_t member = k == 0 ? pid : find_member(inos[k], self.st_dev);
                if (member == 0) {
                        c->complete = false;   /* no process left in it: skip the level */
                        continue;
                }
                struct userns_idmap *m = NULL;
                int r = relative_map(member, outer, &m, err);
                if (r < 0) {
                        userns_fcaps_chain_free(TAKE_PTR(c));
                        return r;
                }
                c->maps[c->n] = m;
                c->ns[c->n] = (struct userns_fcaps_ns) {
                        .uid_map = m, .parent = c->n ? &c->ns[c->n - 1] : caller,
                };
                c->n++;
                /* the next level's map is read in our ids: undo this level as read by us */
                userns_idmap_free(TAKE_PTR(outer));
                r = userns_idmap_read_proc(member, USERNS_IDMAP_UID, &outer, err);
                if (r < 0) {
                        userns_fcaps_chain_free(TAKE_PTR(c));
                        return r;
                }
        }
        *out = TAKE_PTR(c);
        return 0;
}
