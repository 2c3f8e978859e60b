/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing the maps of a new user namespace: the namespaced process writes its
 * own self-maps; root writes the others directly; an unprivileged caller has
 * newuidmap and newgidmap write them, both at once.
 *
 * The helpers are the slow part (each is an exec of a setuid binary that loads
 * PAM/SELinux/audit libraries), so their processes are forked before the
 * namespace exists and wait on a pipe: when the namespace is ready they are told
 * its pid and exec at once, side by side, with no spawning process in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn-internal.h"
#include "util/cleanup.h"
#include "util/fileio.h"

void spawn_helpers_init(struct spawn_helpers *h)
{
        h->go = -1;
        h->n = 0;
        for (int k = 0; k < 2; k++) {
                h->pid[k] = -1;
                h->out[k] = -1;
        }
}

/* argv of "newXidmap PID first lower count ...", with room for the pid filled in later. */
static char **helper_argv(const struct userns_spawn *s, enum userns_idmap_kind k, char **pidbuf)
{
        const struct userns_idmap *m = s->map[k];
        size_t n = userns_idmap_count(m);
        /* One block: the pointer array, then the pid slot, then the numbers. */
        size_t ptrs = (2 + 3 * n + 1) * sizeof(char *);
        char **argv = calloc(1, ptrs + 12 + 3 * n * 11);
        if (!argv)
                return NULL;
        char *p = (char *)argv + ptrs;
        argv[0] = s->helper[k];
        argv[1] = *pidbuf = p;
        p += 12;
        for (size_t i = 0; i < n; i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                const uint32_t v[3] = { e->first, e->lower_first, e->count };
                for (int j = 0; j < 3; j++) {
                        argv[2 + 3 * i + (size_t)j] = p;
                        p += sprintf(p, "%u", v[j]) + 1;
                }
        }
        return argv;
}

/* The waiting helper process: read the target pid, exec the helper with stderr to the pipe. */
_Noreturn static void helper_child(char **argv, char *pidbuf, int go, int out)
{
        int32_t pid;
        ssize_t n;
        do
                n = read(go, &pid, sizeof pid);
        while (n < 0 && errno == EINTR);
        if (n != sizeof pid)
                _exit(0);   /* aborted: nothing was created */
        snprintf(pidbuf, 12, "%d", (int)pid);
        if (dup2(out, STDERR_FILENO) < 0)
                _exit(126);
        execv(argv[0], argv);
        dprintf(STDERR_FILENO, "cannot execute %s: %s", argv[0], strerror(errno));
        _exit(127);
}

int spawn_helpers_prepare(const struct userns_spawn *s, struct spawn_helpers *h, struct userns_error *err)
{
        spawn_helpers_init(h);
        /*
         * One "go" pipe for both: a single write of both pids wakes them together.  (With
         * a pipe each, the first woken helper preempts us on this CPU for its whole
         * setuid exec before we get to wake the second.)
         */
        int go[2] = { -1, -1 };
        for (int k = 0; k < 2; k++) {
                if (s->writer[k] != MAP_WRITER_HELPER)
                        continue;
                if (go[0] < 0 && pipe2(go, O_CLOEXEC) < 0)
                        return userns_error_errno(err, errno, "pipe");
                h->go = go[1];
                char *pidbuf;
                _cleanup_free_ char **argv = helper_argv(s, k, &pidbuf);
                int out[2];
                if (!argv || pipe2(out, O_CLOEXEC) < 0) {
                        int e = argv ? errno : ENOMEM;
                        close(go[0]);
                        return userns_error_errno(err, e, "preparing %s", s->helper[k]);
                }
                pid_t c = fork();
                if (c == 0) {
                        close(go[1]);
                        close(out[0]);
                        helper_child(argv, pidbuf, go[0], out[1]);
                }
                int e = errno;
                close(out[1]);
                if (c < 0) {
                        close(out[0]);
                        close(go[0]);
                        return userns_error_errno(err, e, "fork");
                }
                h->pid[k] = c;
                h->out[k] = out[0];
                h->n++;
        }
        if (go[0] >= 0)
                close(go[0]);
        return 0;
}

void spawn_helpers_start(struct spawn_helpers *h, pid_t target)
{
        if (h->go < 0)
                return;
        int32_t pids[2] = { target, target };
        /* One write (atomic, < PIPE_BUF); each helper reads one pid.  A failure shows as theirs. */
        if (write(h->go, pids, sizeof(int32_t) * (size_t)h->n) < 0) {
        }
        close(h->go);
        h->go = -1;
}

/* Wait for one helper; on failure, its message (stderr) goes into err. */
static int helper_finish(const struct userns_spawn *s, enum userns_idmap_kind k, struct spawn_helpers *h,
                         struct userns_error *err)
{
        char msg[400];
        size_t n = 0;
        while (n < sizeof msg - 1) {
                ssize_t r = read(h->out[k], msg + n, sizeof msg - 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        close(h->out[k]);
        h->out[k] = -1;
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                n--;
        msg[n] = '\0';
        for (char *c = msg; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        int st;
        while (waitpid(h->pid[k], &st, 0) < 0)
                if (errno != EINTR)
                        return userns_error_errno(err, errno, "waiting for %s", s->helper[k]);
        h->pid[k] = -1;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        const char *map = s->map_text[k];
        return userns_error_set(err, EPERM, "%s refused the %s '%.*s%s' (%s %d)%s%s", s->helper[k],
                                userns_idmap_kind_name(k), (int)strcspn(map, "\n"), map,
                                strchr(map, '\n') && strchr(map, '\n')[1] ? " ..." : "",
                                WIFEXITED(st) ? "exit status" : "signal",
                                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), n ? ": " : "", msg);
}

int spawn_helpers_finish(const struct userns_spawn *s, struct spawn_helpers *h, struct userns_error *err)
{
        int ret = 0;
        for (int k = 0; k < 2; k++) {
                if (h->pid[k] < 0)
                        continue;
                struct userns_error e = { 0 };
                int r = helper_finish(s, k, h, &e);
                if (r < 0 && ret == 0) {
                        ret = r;
                        if (err)
                                *err = e;
                }
        }
        return ret;
}

void spawn_helpers_close_fds(struct spawn_helpers *h)
{
        if (h->go >= 0)
                close(h->go);   /* EOF (once every copy is closed): the helpers exit without running */
        h->go = -1;
        for (int k = 0; k < 2; k++) {
                if (h->out[k] >= 0)
                        close(h->out[k]);
                h->out[k] = -1;
        }
}

void spawn_helpers_abort(struct spawn_helpers *h)
{
        spawn_helpers_close_fds(h);
        for (int k = 0; k < 2; k++)
                if (h->pid[k] > 0) {
                        while (waitpid(h->pid[k], NULL, 0) < 0 && errno == EINTR)
                                ;
                        h->pid[k] = -1;
                }
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
        int r;
        /* setgroups must say "deny" before an unprivileged gid map is written. */
        if ((writers & SPAWN_WRITER_BIT(MAP_WRITER_SELF)) && s->deny_setgroups) {
                proc_path(path, sizeof path, pid, "setgroups");
                if ((r = util_write_file(path, "deny", 4, err)) < 0)
                        return r;
        }
        for (int k = 0; k < 2; k++) {
                if (s->writer[k] == MAP_WRITER_HELPER || !(writers & SPAWN_WRITER_BIT(s->writer[k])))
                        continue;
                proc_path(path, sizeof path, pid, userns_idmap_kind_name(k));
                r = util_write_file(path, s->map_text[k], strlen(s->map_text[k]), err);
                if (r < 0)
                        return userns_error_prefix(err, "%s '%.*s'",
                                                   s->writer[k] == MAP_WRITER_SELF ? "self-map" : "map",
                                                   (int)strcspn(s->map_text[k], "\n"), s->map_text[k]);
        }
        return 0;
}
