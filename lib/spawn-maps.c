/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing the maps of a new user namespace: the namespaced process writes its
 * own self-maps; root writes the others directly; an unprivileged caller has
 * newuidmap and newgidmap write them, both at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn-internal.h"
#include "util/cleanup.h"
#include "util/fileio.h"

extern char **environ;

struct helper_run {
        pid_t pid;
        int out;   /* read end of its stderr */
};

/* newXidmap PID first lower count [first lower count ...], stderr to a pipe. */
static int helper_start(const struct userns_spawn *s, enum userns_idmap_kind k, pid_t target,
                        struct helper_run *h, struct userns_error *err)
{
        const struct userns_idmap *m = s->map[k];
        size_t n = userns_idmap_count(m);
        size_t argc = 2 + 3 * n + 1;
        _cleanup_free_ char **argv = calloc(argc, sizeof *argv);
        _cleanup_free_ char *nums = malloc((1 + 3 * n) * 12);
        if (!argv || !nums)
                return userns_error_set(err, ENOMEM, "out of memory");
        char *p = nums;
        argv[0] = s->helper[k];
        argv[1] = p;
        p += sprintf(p, "%d", (int)target) + 1;
        for (size_t i = 0; i < n; i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                const uint32_t v[3] = { e->first, e->lower_first, e->count };
                for (int j = 0; j < 3; j++) {
                        argv[2 + 3 * i + (size_t)j] = p;
                        p += sprintf(p, "%u", v[j]) + 1;
                }
        }
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return userns_error_errno(err, errno, "pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
        int r = posix_spawn(&h->pid, s->helper[k], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        if (r != 0) {
                close(fds[0]);
                return userns_error_errno(err, r, "cannot run %s", s->helper[k]);
        }
        h->out = fds[0];
        return 0;
}

static int helper_finish(const struct userns_spawn *s, enum userns_idmap_kind k, struct helper_run *h,
                         struct userns_error *err)
{
        char msg[400];
        size_t n = 0;
        ssize_t r;
        while (n < sizeof msg - 1) {
                r = read(h->out, msg + n, sizeof msg - 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        close(h->out);
        h->out = -1;
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                n--;
        msg[n] = '\0';
        for (char *c = msg; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        int st;
        while (waitpid(h->pid, &st, 0) < 0)
                if (errno != EINTR)
                        return userns_error_errno(err, errno, "waiting for %s", s->helper[k]);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        const char *map = s->map_text[k];
        return userns_error_set(err, EPERM, "%s refused the %s '%.*s%s' (%s %d)%s%s", s->helper[k],
                                userns_idmap_kind_name(k), (int)strcspn(map, "\n"), map,
                                strchr(map, '\n') && strchr(map, '\n')[1] ? " ..." : "",
                                WIFEXITED(st) ? "exit status" : "signal",
                                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), n ? ": " : "", msg);
}

/* /proc/self/NAME or /proc/PID/NAME */
static void proc_path(char *buf, size_t size, pid_t pid, const char *name)
{
        if (pid == 0)
                snprintf(buf, size, "/proc/self/%s", name);
        else
                snprintf(buf, size, "/proc/%d/%s", (int)pid, name);
}

int spawn_write_maps(const struct userns_spawn *s, pid_t pid, unsigned writers, struct userns_error *err)
{
        char path[64];
        /* setgroups must say "deny" before an unprivileged gid map is written. */
        if ((writers & SPAWN_WRITER_BIT(MAP_WRITER_SELF)) && s->deny_setgroups) {
                proc_path(path, sizeof path, pid, "setgroups");
                int r = util_write_file(path, "deny", 4, err);
                if (r < 0)
                        return r;
        }
        struct helper_run h[2] = { { -1, -1 }, { -1, -1 } };
        struct userns_error e[2];
        int r[2] = { 0, 0 };
        /* Start both helpers first: they run concurrently (each costs an exec of a setuid binary). */
        for (int k = 0; k < 2; k++)
                if (s->writer[k] == MAP_WRITER_HELPER && (writers & SPAWN_WRITER_BIT(MAP_WRITER_HELPER)))
                        r[k] = helper_start(s, k, pid ? pid : getpid(), &h[k], &e[k]);
        for (int k = 0; k < 2; k++) {
                if (s->writer[k] == MAP_WRITER_HELPER || !(writers & SPAWN_WRITER_BIT(s->writer[k])))
                        continue;
                proc_path(path, sizeof path, pid, userns_idmap_kind_name(k));
                r[k] = util_write_file(path, s->map_text[k], strlen(s->map_text[k]), &e[k]);
                if (r[k] < 0)
                        userns_error_prefix(&e[k], "%s '%.*s'", s->writer[k] == MAP_WRITER_SELF ? "self-map" : "map",
                                            (int)strcspn(s->map_text[k], "\n"), s->map_text[k]);
        }
        for (int k = 0; k < 2; k++)
                if (h[k].pid > 0) {
                        int f = helper_finish(s, k, &h[k], &e[k]);
                        if (r[k] == 0)
                                r[k] = f;
                }
        for (int k = 0; k < 2; k++)
                if (r[k] < 0) {
                        if (err)
                                *err = e[k];
                        return r[k];
                }
        return 0;
}
