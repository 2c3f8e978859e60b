/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Differential test of the privilege rules (new_idmap_permitted(),
 * verify_root_map()): userns_idmap_check_write_by() against real writes by
 * unprivileged and partly privileged writers (KERNEL-RULES §1.5.8, §9 vectors
 * 6-11).  Every case runs in its own forked driver so credential changes stay
 * there, and every write goes to a namespace whose map is still unwritten.
 *
 * The test identity is uid/gid 4242 (as tests/lib/as-user), set directly with
 * setresuid(): no account file is involved.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "userns/idmap.h"

#define U 4242u

enum setup {
        S_SELF_USER,            /* uid U unshares and writes its own maps (vectors 6-8) */
        S_SELF_ROOT,            /* root unshares and writes its own maps */
        S_SELF_ROOT_NOFCAP,     /* root without CAP_SETFCAP effective unshares (vector 9) */
        S_ROOT_OUTSIDE_NOFCAP,  /* root without CAP_SETFCAP effective writes a child's map */
        S_OPEN_ROOT_WRITE_USER, /* root opens, then drops to uid U and writes (vector 10) */
        S_OPEN_USER_WRITE_ROOT, /* uid U (owner) opens, root writes (vector 11) */
        S_USER_OUTSIDE,         /* uid U writes the maps of a child namespace it owns */
        S_ROOT_OUTSIDE_USERNS,  /* root writes the maps of a namespace owned by uid U */
        NSETUP
};

static const char *const setup_name[NSETUP] = {
        [S_SELF_USER] = "uid 4242 writes its own namespace's maps",
        [S_SELF_ROOT] = "root writes its own new namespace's maps",
        [S_SELF_ROOT_NOFCAP] = "root without CAP_SETFCAP effective writes its own maps",
        [S_ROOT_OUTSIDE_NOFCAP] = "root without CAP_SETFCAP effective writes a child's maps",
        [S_OPEN_ROOT_WRITE_USER] = "opened by root, written after dropping to uid 4242",
        [S_OPEN_USER_WRITE_ROOT] = "opened by owner uid 4242, written by root",
        [S_USER_OUTSIDE] = "owner uid 4242 writes its child namespace's maps from outside",
        [S_ROOT_OUTSIDE_USERNS] = "root writes the maps of a namespace owned by uid 4242",
};

/* The writer as the model sees it, for each setup. */
static struct userns_map_writer model_writer(enum setup s, bool deny)
{
        struct userns_map_writer w = { .setgroups_denied = deny, .opener_cap_sys_admin_target = true,
                                       .owns_target = true };
        switch (s) {
        case S_SELF_USER:
                w.euid = w.egid = U;
                w.opener_in_target = true;
                break;
        case S_SELF_ROOT:
                w.opener_in_target = true;
                w.parent_could_setfcap = true;
                break;
        case S_SELF_ROOT_NOFCAP:
                w.opener_in_target = true;
                break;
        case S_ROOT_OUTSIDE_NOFCAP:
                w.opener_cap_setid_parent = w.writer_cap_setid_parent = true;
                break;
        case S_OPEN_ROOT_WRITE_USER:
                w.opener_cap_setid_parent = true;
                w.opener_cap_setfcap_parent = w.parent_could_setfcap = true;
                break;
        case S_OPEN_USER_WRITE_ROOT:
                w.euid = w.egid = U;
                w.writer_cap_setid_parent = true;
                break;
        case S_USER_OUTSIDE:
                w.euid = w.egid = U;
                break;
        case S_ROOT_OUTSIDE_USERNS:
                w.owns_target = false;
                w.opener_cap_setid_parent = w.writer_cap_setid_parent = true;
                w.opener_cap_setfcap_parent = true;
                break;
        default:
                break;
        }
        return w;
}

/* --- kernel side --- */

static int become(uid_t uid)
{
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
                return -errno;
        return prctl(PR_SET_DUMPABLE, 1) < 0 ? -errno : 0;
}

static int drop_setfcap_effective(void)
{
        cap_t c = cap_get_proc();
        cap_value_t v = CAP_SETFCAP;
        int r = c && cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) == 0 && cap_set_proc(c) == 0 ? 0 : -1;
        cap_free(c);
        return r;
}

struct child { pid_t pid; int hold; };

/* A child that (as `as`, unless -1) unshares a user namespace and waits. */
static int spawn_ns(uid_t as, struct child *c)
{
        int ready[2], hold[2];
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                close(ready[0]);
                close(hold[1]);
                char x = (as == (uid_t)-1 || become(as) == 0) && unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
                (void)!write(ready[1], &x, 1);
                (void)!read(hold[0], &x, 1);
                _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        char x = 'n';
        bool ok = read(ready[0], &x, 1) == 1 && x == 'y';
        close(ready[0]);
        c->pid = pid;
        c->hold = hold[1];
        return ok ? 0 : -1;
}

static int write_str(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return errno;
        ssize_t r = write(fd, s, strlen(s));
        int e = r < 0 ? errno : 0;
        close(fd);
        return e;
}

static int write_fd(int fd, const char *s)
{
        ssize_t r = write(fd, s, strlen(s));
        return r < 0 ? errno : 0;
}

#define SETUP_FAILED 100

/* In the driver process: set up, write, return 0 or the errno (SETUP_FAILED+n on setup trouble). */
static int drive(enum setup s, const char *file, bool deny, const char *text)
{
        char map[64], sg[64];
        struct child c = { 0 };
        int fd;
        switch (s) {
        case S_SELF_USER:
        case S_SELF_ROOT:
        case S_SELF_ROOT_NOFCAP:
                if (s == S_SELF_USER && become(U) < 0)
                        return SETUP_FAILED + 1;
                if (s == S_SELF_ROOT_NOFCAP && drop_setfcap_effective() < 0)
                        return SETUP_FAILED + 2;
                if (unshare(CLONE_NEWUSER) < 0)
                        return SETUP_FAILED + 3;
                if (deny && write_str("/proc/self/setgroups", "deny") != 0)
                        return SETUP_FAILED + 4;
                snprintf(map, sizeof map, "/proc/self/%s", file);
                return write_str(map, text);
        case S_USER_OUTSIDE:
                if (become(U) < 0)
                        return SETUP_FAILED + 1;
                break;
        case S_ROOT_OUTSIDE_NOFCAP:
                if (drop_setfcap_effective() < 0)
                        return SETUP_FAILED + 2;
                break;
        default:
                break;
        }
        bool child_is_user = s == S_OPEN_USER_WRITE_ROOT || s == S_ROOT_OUTSIDE_USERNS;
        if (spawn_ns(child_is_user ? U : (uid_t)-1, &c) < 0)
                return SETUP_FAILED + 5;
        snprintf(map, sizeof map, "/proc/%d/%s", (int)c.pid, file);
        snprintf(sg, sizeof sg, "/proc/%d/setgroups", (int)c.pid);
        if (deny && write_str(sg, "deny") != 0)
                return SETUP_FAILED + 4;
        switch (s) {
        case S_OPEN_ROOT_WRITE_USER:
                fd = open(map, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || become(U) < 0)
                        return SETUP_FAILED + 6;
                return write_fd(fd, text);
        case S_OPEN_USER_WRITE_ROOT:
                if (setegid(U) < 0 || seteuid(U) < 0)
                        return SETUP_FAILED + 7;
                fd = open(map, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || seteuid(0) < 0 || setegid(0) < 0)
                        return SETUP_FAILED + 8;
                return write_fd(fd, text);
        default:
                return write_str(map, text);
        }
}

static int kernel_case(enum setup s, enum userns_idmap_kind kind, bool deny, const char *text)
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0)
                _exit(drive(s, userns_idmap_kind_name(kind), deny, text));
        int st;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

/* Map texts; U = the writer's id, V = U + 1. */
static const char *const templates[] = {
        "0 U 1", "5 U 1", "U U 1\n", "0 U 2", "0 V 1", "0 0 1", "0 5 1", "0 U 1\n1 V 1", "0 0 10",
        "0 U 1\n\n", "0 1000 1",
};

static void expand(const char *tpl, char *out, size_t outsz)
{
        size_t o = 0;
        for (const char *p = tpl; *p && o + 12 < outsz; p++) {
                if (*p == 'U' || *p == 'V')
                        o += (size_t)snprintf(out + o, outsz - o, "%u", *p == 'U' ? U : U + 1);
                else
                        out[o++] = *p;
        }
        out[o] = '\0';
}

static const char *errname(int e)
{
        static char b[32];
        if (e == 0) return "ok";
        if (e == EINVAL) return "EINVAL";
        if (e == EPERM) return "EPERM";
        if (e == EACCES) return "EACCES";
        snprintf(b, sizeof b, "%s%d", e >= SETUP_FAILED ? "setup-failed-" : "errno-",
                 e >= SETUP_FAILED ? e - SETUP_FAILED : e);
        return b;
}

int main(void)
{
        if (geteuid() != 0) {
                tap_skip("kdiff-idmap-privilege needs root");
                return tap_done();
        }
        unsigned all = 0, all_agree = 0;
        for (int s = 0; s < NSETUP; s++) {
                unsigned total = 0, agree = 0, ok = 0;
                char first_bad[700] = "";
                for (int k = 0; k < 2; k++) {
                        enum userns_idmap_kind kind = k ? USERNS_IDMAP_GID : USERNS_IDMAP_UID;
                        for (int d = 0; d < (k ? 2 : 1); d++) {
                                struct userns_map_writer w = model_writer((enum setup)s, d);
                                for (size_t t = 0; t < sizeof templates / sizeof templates[0]; t++) {
                                        char text[128];
                                        expand(templates[t], text, sizeof text);
                                        struct userns_error err = { 0 };
                                        int model = -userns_idmap_check_write_by(text, strlen(text), kind, NULL,
                                                                                 &w, NULL, &err);
                                        int kern = kernel_case((enum setup)s, kind, d, text);
                                        total++;
                                        ok += kern == 0;
                                        if (kern == model) {
                                                agree++;
                                                continue;
                                        }
                                        if (!first_bad[0])
                                                snprintf(first_bad, sizeof first_bad,
                                                         "%s%s \"%s\": kernel %s, model %s (%.400s)",
                                                         userns_idmap_kind_name(kind),
                                                         d ? " (setgroups deny)" : "", text, errname(kern),
                                                         errname(model), err.message[0] ? err.message : "accepted");
                                }
                        }
                }
                tap_check(agree == total, "%s: %u/%u agree (%u accepted)", setup_name[s], agree, total, ok);
                if (first_bad[0])
                        printf("# first disagreement: %s\n", first_bad);
                all += total;
                all_agree += agree;
        }
        tap_check(all_agree == all, "summary: privilege model and kernel agree on %u of %u writes", all_agree, all);
        return tap_done();
}
