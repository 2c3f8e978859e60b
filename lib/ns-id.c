/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A process's uid, gid and groups at each user namespace level up to the caller's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userns/ns-id.h"
#include "util/cleanup.h"

#define MAX_LEVELS 40   /* the kernel allows 33 below the initial namespace */

void userns_id_translate_down(const struct userns_idmap *const *maps, size_t n,
                              struct userns_id_value top, struct userns_id_value *out)
{
        out[0] = top;
        for (size_t k = 0; k < n; k++) {
                uint32_t id = out[k].mapped ? userns_idmap_up(maps[k], out[k].id) : USERNS_ID_INVALID;
                out[k + 1].mapped = id != USERNS_ID_INVALID;
                out[k + 1].id = out[k + 1].mapped ? id : USERNS_OVERFLOW_ID;
        }
}

void userns_id_report_free(struct userns_id_report *report)
{
        if (!report)
                return;
        for (size_t i = 0; i < report->n_levels; i++)
                free(report->levels[i].groups);
        free(report->levels);
        free(report->note);
        free(report);
}

/* Is `id`, shown to us by the kernel, a real id of ours (not the overflow id standing in)? */
static bool mapped_here(const struct userns_idmap *self_map, uint32_t id)
{
        return id != USERNS_OVERFLOW_ID || (self_map && userns_idmap_down(self_map, id) != USERNS_ID_INVALID);
}

struct chain {
        int fd[MAX_LEVELS];             /* fd[0] = the process's namespace ... fd[n-1] = ours */
        struct userns_ns_id id[MAX_LEVELS];
        size_t n;
};

static void chain_close(struct chain *c)
{
        for (size_t i = 0; i < c->n; i++)
                close(c->fd[i]);
        c->n = 0;
}

/* The user namespaces from the process's up to the caller's, via NS_GET_PARENT. */
static int build_chain(pid_t pid, struct chain *c, struct userns_error *err)
{
        struct userns_ns_id self;
        _cleanup_close_ int sfd = userns_ns_open(0, USERNS_NS_USER, err);
        int r;
        if (sfd < 0)
                return sfd;
        if ((r = userns_ns_identify(sfd, &self, NULL, err)) < 0)
                return r;
        int fd = userns_ns_open(pid, USERNS_NS_USER, err);
        if (fd < 0)
                return fd;
        c->n = 0;
        for (;;) {
                c->fd[c->n] = fd;
                if ((r = userns_ns_identify(fd, &c->id[c->n], NULL, err)) < 0) {
                        c->n++;
                        chain_close(c);
                        return r;
                }
                c->n++;
                if (c->id[c->n - 1].ino == self.ino && c->id[c->n - 1].dev == self.dev)
                        return 0;
                if (c->n == MAX_LEVELS)
                        break;
                fd = userns_ns_get_parent(fd, NULL);
                if (fd < 0)
                        break;
        }
        uint64_t ino = c->id[0].ino;
        chain_close(c);
        return userns_error_set(err, EINVAL,
                                "process %d is in user:[%llu], which is not the caller's user namespace user:[%llu] or below it",
                                (int)pid, (unsigned long long)ino, (unsigned long long)self.ino);
}

static int read_status(pid_t pid, uint32_t *uid, uint32_t *gid, uint32_t **groups, size_t *n,
                       struct userns_error *err)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? userns_error_set(err, ESRCH, "process %d is gone (no such process)", (int)pid)
                                       : userns_error_errno(err, errno, "%s", path);
        char buf[8192];
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        buf[len] = '\0';
        int r = userns_ns_parse_status(buf, uid, gid, groups, n, err);
        return r < 0 ? userns_error_prefix(err, "%s", path) : 0;
}

/* Fill levels[].{uid,gid,groups} from the top values and the maps (maps[k]: level n-2-k). */
static int fill(struct userns_id_report *rep, const struct userns_idmap *const *umaps,
                const struct userns_idmap *const *gmaps, size_t nmaps, const struct userns_idmap *self_uid,
                const struct userns_idmap *self_gid, uint32_t uid, uint32_t gid,
                const uint32_t *groups, size_t ngroups)
{
        struct userns_id_value v[MAX_LEVELS];
        size_t top = nmaps;     /* levels[top] is the caller's namespace */
        userns_id_translate_down(umaps, nmaps, (struct userns_id_value){ uid, mapped_here(self_uid, uid) }, v);
        for (size_t k = 0; k <= nmaps; k++)
                rep->levels[top - k].uid = v[k];
        userns_id_translate_down(gmaps, nmaps, (struct userns_id_value){ gid, mapped_here(self_gid, gid) }, v);
        for (size_t k = 0; k <= nmaps; k++)
                rep->levels[top - k].gid = v[k];
        for (size_t k = 0; k <= nmaps; k++) {
                rep->levels[top - k].groups = calloc(ngroups ? ngroups : 1, sizeof(struct userns_id_value));
                if (!rep->levels[top - k].groups)
                        return -ENOMEM;
                rep->levels[top - k].n_groups = ngroups;
        }
        for (size_t g = 0; g < ngroups; g++) {
                userns_id_translate_down(gmaps, nmaps,
                                         (struct userns_id_value){ groups[g], mapped_here(self_gid, groups[g]) }, v);
                for (size_t k = 0; k <= nmaps; k++)
                        rep->levels[top - k].groups[g] = v[k];
        }
        return 0;
}

int userns_id_scan(pid_t pid, struct userns_id_report **out, struct userns_error *err)
{
        struct chain c = { .n = 0 };
        int r;
        if (pid == 0)
                pid = getpid();
        if ((r = build_chain(pid, &c, err)) < 0)
                return r;

        uint32_t uid, gid;
        _cleanup_free_ uint32_t *groups = NULL;
        size_t ngroups = 0;
        struct userns_ns_maps maps[MAX_LEVELS] = { 0 };
        struct userns_idmap *self_uid = NULL, *self_gid = NULL, *pu = NULL, *pg = NULL;
        struct userns_id_report *rep = calloc(1, sizeof *rep);
        if (!rep || !(rep->levels = calloc(c.n, sizeof *rep->levels))) {
                r = userns_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        rep->pid = pid;
        rep->n_levels = c.n;
        for (size_t i = 0; i < c.n; i++) {
                rep->levels[i].ns = c.id[i];
                rep->levels[i].up = i;
                rep->levels[i].known = true;
        }
        if ((r = read_status(pid, &uid, &gid, &groups, &ngroups, err)) < 0)
                goto out;
        /* Our own maps say whether a 65534 we are shown is real (best effort). */
        userns_idmap_read_proc(0, USERNS_IDMAP_UID, &self_uid, NULL);
        userns_idmap_read_proc(0, USERNS_IDMAP_GID, &self_gid, NULL);

        /* maps[k] = map of the namespace k+1 levels below ours, relative to its parent. */
        const struct userns_idmap *um[MAX_LEVELS], *gm[MAX_LEVELS];
        size_t nmaps = c.n - 1;
        struct userns_error perr = { 0 };
        bool all = true;
        for (size_t k = 0; k < nmaps && all; k++) {
                if (userns_ns_read_maps(c.fd[c.n - 2 - k], &maps[k], &perr) < 0)
                        all = false;
                um[k] = maps[k].uid;
                gm[k] = maps[k].gid;
        }
        if (all) {
                r = fill(rep, um, gm, nmaps, self_uid, self_gid, uid, gid, groups, ngroups);
        } else {
                /* No CAP_SYS_ADMIN in some level: the process's own map files still show its
                 * maps with lower ids in our terms, which gives its own level directly. */
                if (userns_idmap_read_proc(pid, USERNS_IDMAP_UID, &pu, NULL) < 0 ||
                    userns_idmap_read_proc(pid, USERNS_IDMAP_GID, &pg, NULL) < 0) {
                        r = userns_error_set(err, perr.code ? perr.code : EIO, "%s", perr.message);
                        goto out;
                }
                const struct userns_idmap *one_u[1] = { pu }, *one_g[1] = { pg };
                struct userns_id_report tmp = { .levels = NULL };
                struct userns_id_level two[2] = { 0 };
                tmp.levels = two;
                tmp.n_levels = 2;
                r = fill(&tmp, one_u, one_g, 1, self_uid, self_gid, uid, gid, groups, ngroups);
                rep->levels[0].uid = two[0].uid;
                rep->levels[0].gid = two[0].gid;
                rep->levels[0].groups = two[0].groups;
                rep->levels[0].n_groups = two[0].n_groups;
                rep->levels[c.n - 1].uid = two[1].uid;
                rep->levels[c.n - 1].gid = two[1].gid;
                if (c.n > 1) {
                        rep->levels[c.n - 1].groups = two[1].groups;
                        rep->levels[c.n - 1].n_groups = two[1].n_groups;
                } else
                        free(two[1].groups);
                for (size_t i = 1; i + 1 < c.n; i++)
                        rep->levels[i].known = false;
                if (c.n > 2 && !(rep->note = strdup(perr.message)))
                        r = -ENOMEM;
        }
        if (r < 0) {
                r = userns_error_set(err, -r, "out of memory");
                goto out;
        }
        *out = TAKE_PTR(rep);
        r = 0;
out:
        for (size_t k = 0; k < MAX_LEVELS; k++)
                userns_ns_maps_done(&maps[k]);
        userns_idmap_free(self_uid);
        userns_idmap_free(self_gid);
        userns_idmap_free(pu);
        userns_idmap_free(pg);
        userns_id_report_free(rep);
        chain_close(&c);
        return r;
}
