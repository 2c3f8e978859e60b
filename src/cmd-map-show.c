/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userns map show [PID]: a process's uid and gid maps, as the caller sees them
 * and relative to the target namespace's parent.
 *
 * The "lower" column of /proc/PID/uid_map is relative to the namespace of
 * whoever opened the file (KERNEL-RULES §1.4.3), or to the parent when the
 * opener is inside the target namespace itself.  So the caller's own reading is
 * parent-relative when the caller is in the target namespace or in its parent;
 * otherwise a child process joins the parent namespace (setns, which needs
 * CAP_SYS_ADMIN there) and reads the file from there.  When that is not
 * possible the parent-relative column is reported as unavailable, with why.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "userns/idmap.h"
#include "userns/ns.h"
#include "util/cleanup.h"

struct view {
        struct userns_idmap *caller, *parent;   /* parent NULL when unavailable */
};

struct target {
        pid_t pid;
        unsigned long long ino, parent_ino;     /* 0 when unknown */
        bool is_initial;
        char how[160];                          /* how the parent-relative view was obtained */
        char setgroups[16];
        struct view v[2];
};

static int ns_ino(int fd, unsigned long long *ino)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        *ino = (unsigned long long)st.st_ino;
        return 0;
}

static void proc_path(char *buf, size_t sz, pid_t pid, const char *file)
{
        if (pid == 0)
                snprintf(buf, sz, "/proc/self/%s", file);
        else
                snprintf(buf, sz, "/proc/%d/%s", (int)pid, file);
}

static int inspect(pid_t pid, struct target *t, struct userns_error *err)
{
        char path[64];
        t->pid = pid;
        for (int k = 0; k < 2; k++) {
                int r = userns_idmap_read_proc(pid, k ? USERNS_IDMAP_GID : USERNS_IDMAP_UID, &t->v[k].caller, err);
                if (r < 0)
                        return r;
        }
        proc_path(path, sizeof path, pid, "setgroups");
        FILE *f = fopen(path, "re");
        if (f) {
                if (!fgets(t->setgroups, sizeof t->setgroups, f))
                        t->setgroups[0] = '\0';
                t->setgroups[strcspn(t->setgroups, "\n")] = '\0';
                fclose(f);
        }

        _cleanup_close_ int self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        proc_path(path, sizeof path, pid, "ns/user");
        _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
        unsigned long long self_ino = 0;
        if (self < 0 || ns < 0 || ns_ino(self, &self_ino) < 0 || ns_ino(ns, &t->ino) < 0) {
                snprintf(t->how, sizeof t->how, "unavailable: cannot open %s: %s", ns < 0 ? path : "/proc/self/ns/user",
                         strerror(errno));
                return 0;
        }
        _cleanup_close_ int parent = ioctl(ns, NS_GET_PARENT);
        int parent_errno = parent < 0 ? errno : 0;
        if (parent >= 0 && ns_ino(parent, &t->parent_ino) < 0)
                t->parent_ino = 0;
        if (t->ino == self_ino || (parent >= 0 && t->parent_ino == self_ino)) {
                if (parent < 0 && userns_idmap_is_identity(t->v[0].caller)) {
                        /* The caller's own namespace, no parent in sight, the full identity map. */
                        t->is_initial = true;
                        snprintf(t->how, sizeof t->how, "none: the initial namespace has no parent");
                        return 0;
                }
                /* The kernel already shows the caller parent-relative values (§1.4.3). */
                snprintf(t->how, sizeof t->how, "%s", t->ino == self_ino
                         ? "direct: the caller is inside the namespace, so the kernel shows parent ids"
                         : "direct: the caller is in the parent namespace");
                for (int k = 0; k < 2; k++)
                        if (userns_idmap_dup(t->v[k].caller, &t->v[k].parent) < 0)
                                return userns_error_set(err, ENOMEM, "out of memory");
                return 0;
        }
        if (parent < 0) {
                snprintf(t->how, sizeof t->how, "unavailable: NS_GET_PARENT: %s%s", strerror(parent_errno),
                         parent_errno == EPERM ? " (the parent is outside the caller's namespace)" : "");
                return 0;
        }
        /* A probe joins the parent namespace and reads PID's maps there (lib/ns.c). */
        struct userns_error e2 = { 0 };
        struct userns_ns_maps maps;
        int r = userns_ns_read_pid_maps_from(parent, pid ? pid : getpid(), &maps, &e2);
        if (r < 0) {
                snprintf(t->how, sizeof t->how, "unavailable: %.140s", r == -EPERM
                         ? "joining the parent namespace needs CAP_SYS_ADMIN in it" : e2.message);
                return 0;
        }
        t->v[0].parent = maps.uid;
        t->v[1].parent = maps.gid;
        snprintf(t->how, sizeof t->how, "setns: read from inside the parent namespace");
        return 0;
}

static void print_text(const struct target *t)
{
        if (t->pid)
                printf("pid %d: ", (int)t->pid);
        else
                printf("this process: ");
        if (t->ino)
                printf("user namespace %llu", t->ino);
        else
                printf("user namespace (unknown)");
        if (t->parent_ino)
                printf(", parent %llu", t->parent_ino);
        if (t->setgroups[0])
                printf(", setgroups %s", t->setgroups);
        printf("\nparent-relative view: %s\n", t->how);
        for (int k = 0; k < 2; k++) {
                const struct view *v = &t->v[k];
                size_t n = userns_idmap_count(v->caller);
                printf("%s:%s\n", userns_idmap_kind_name(k ? USERNS_IDMAP_GID : USERNS_IDMAP_UID),
                       n ? "" : " (not written yet: every id shows as 65534)");
                if (!n)
                        continue;
                printf("  %10s %10s %10s %10s\n", "inside", "parent", "caller", "count");
                for (size_t i = 0; i < n; i++) {
                        const struct userns_extent *e = userns_idmap_extent(v->caller, i);
                        const struct userns_extent *p = userns_idmap_extent(v->parent, i);
                        char pbuf[16], cbuf[16];
                        if (p)
                                snprintf(pbuf, sizeof pbuf, "%u", p->lower_first);
                        else
                                snprintf(pbuf, sizeof pbuf, "%s", t->is_initial ? "-" : "?");
                        if (e->lower_first == USERNS_ID_INVALID)
                                snprintf(cbuf, sizeof cbuf, "unmapped");
                        else
                                snprintf(cbuf, sizeof cbuf, "%u", e->lower_first);
                        printf("  %10u %10s %10s %10u\n", e->first, pbuf, cbuf, e->count);
                }
        }
}

static void print_json(const struct target *t)
{
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "pid");
        cli_json_int(&j, t->pid ? t->pid : getpid());
        cli_json_key(&j, "userns");
        if (t->ino) cli_json_uint(&j, t->ino); else cli_json_null(&j);
        cli_json_key(&j, "parent_userns");
        if (t->parent_ino) cli_json_uint(&j, t->parent_ino); else cli_json_null(&j);
        cli_json_key(&j, "setgroups");
        cli_json_string(&j, t->setgroups[0] ? t->setgroups : NULL);
        cli_json_key(&j, "parent_view");
        cli_json_string(&j, t->how);
        for (int k = 0; k < 2; k++) {
                const struct view *v = &t->v[k];
                cli_json_key(&j, userns_idmap_kind_name(k ? USERNS_IDMAP_GID : USERNS_IDMAP_UID));
                cli_json_begin_array(&j);
                for (size_t i = 0; i < userns_idmap_count(v->caller); i++) {
                        const struct userns_extent *e = userns_idmap_extent(v->caller, i);
                        const struct userns_extent *p = userns_idmap_extent(v->parent, i);
                        cli_json_begin_object(&j);
                        cli_json_key(&j, "first");
                        cli_json_uint(&j, e->first);
                        cli_json_key(&j, "lower_parent");
                        if (p) cli_json_uint(&j, p->lower_first); else cli_json_null(&j);
                        cli_json_key(&j, "lower_caller");
                        if (e->lower_first != USERNS_ID_INVALID) cli_json_uint(&j, e->lower_first);
                        else cli_json_null(&j);
                        cli_json_key(&j, "count");
                        cli_json_uint(&j, e->count);
                        cli_json_end_object(&j);
                }
                cli_json_end_array(&j);
        }
        cli_json_end_object(&j);
        cli_json_end(&j);
}

int cmd_map_show(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
                switch (c) {
                case 'j': json = true; break;
                case 'h':
                        fputs("Usage: userns map show [--json] [PID]\n\n"
                              "Show the uid and gid maps of PID (default: this process) with three views of\n"
                              "each extent's outside ids: relative to the namespace's parent (as written),\n"
                              "as the caller sees them (its /proc reading: unmapped when the caller's\n"
                              "namespace cannot see them), and the count.  When the caller is neither in the\n"
                              "namespace nor in its parent, a helper joins the parent namespace to read the\n"
                              "parent view; that needs CAP_SYS_ADMIN there, else the view is unavailable.\n\n"
                              "  -j, --json  print the maps as JSON\n", stdout);
                        return 0;
                default:
                        return cli_usage_error("map show", "unknown option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("map show", "at most one PID");
        pid_t pid = 0;
        if (optind < argc) {
                uint32_t v;
                if (cli_parse_u32(argv[optind], &v, false) < 0 || v == 0 || v > INT32_MAX)
                        return cli_usage_error("map show", "'%s' is not a process id", argv[optind]);
                pid = (pid_t)v;
        }
        struct target t = { 0 };
        struct userns_error err = { 0 };
        int r = inspect(pid, &t, &err);
        if (r == 0) {
                if (json)
                        print_json(&t);
                else
                        print_text(&t);
        }
        for (int k = 0; k < 2; k++) {
                userns_idmap_free(t.v[k].caller);
                userns_idmap_free(t.v[k].parent);
        }
        return r < 0 ? cli_fail(1, &err, "map show") : 0;
}
