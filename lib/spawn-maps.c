/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing the maps of a new user namespace: the namespaced process writes its
 * own self-maps; root writes the others directly; an unprivileged caller has
 * newuidmap and newgidmap write them, both at once.
 *
 * The helpers are the slow part (each is an exec of a setuid binary that loads
 * PAM/SELinux/audit libraries), so their processes are created before the
 * namespace exists (they must be outside it) and wait on a pipe: when the
 * namespace is ready we fill in its pid and wake them, and they exec at once,
 * side by side, with no spawning process in between.
 *
 * They are clone(CLONE_VM) children, not forks: copying our address space (and
 * then taking copy-on-write faults in it while they wait) cost ~0.13 ms per run
 * on the critical path.  Until it execs, such a child shares our memory and our
 * thread-local data (errno), so it only reads what we prepared (its argv, filled
 * in before the wake-up, which orders the accesses), writes nothing of ours but
 * its own stack and, only when the exec fails, errno, while we sit in read() of
 * its stderr pipe; its block is unmapped only after it is reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
                h->mem[k] = NULL;
                h->memsize[k] = 0;
                h->pidbuf[k] = NULL;
        }
}

/* Helper k was reaped: nothing runs on its block any more. */
static void helper_reaped(struct spawn_helpers *h, int k)
{
        h->pid[k] = -1;
        if (h->mem[k])
                munmap(h->mem[k], h->memsize[k]);
        h->mem[k] = NULL;
        h->pidbuf[k] = NULL;
}

enum { HELPER_STACK = 256 * 1024 };

/* Size of the block for n extents: the stack, then argv's pointers, pid slot and numbers. */
static size_t helper_block_size(size_t n)
{
        return HELPER_STACK + (2 + 3 * n + 1) * sizeof(char *) + 12 + 3 * n * 11;
}

/* argv of "newXidmap PID first lower count ...", with room for the pid filled in later, at `argv`. */
static char **helper_argv(const struct userns_spawn *s, enum userns_idmap_kind k, char **argv, char **pidbuf)
{
        const struct userns_idmap *m = s->map[k];
        size_t n = userns_idmap_count(m);
        char *p = (char *)argv + (2 + 3 * n + 1) * sizeof(char *);
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
        argv[2 + 3 * n] = NULL;
        return argv;
}

struct helper_args {
        char **argv;
        int go, go_w, out, out_r;
};

/* Write a string to fd 2, without stdio (no locks or buffers shared with the caller). */
__attribute__((no_sanitize("address", "undefined")))
static void helper_say(const char *a, const char *b, const char *c)
{
        const char *v[3] = { a, b, c };
        for (int i = 0; i < 3; i++)
                if (write(STDERR_FILENO, v[i], strlen(v[i])) < 0)
                        return;
}

/*
 * The waiting helper process (sharing our memory: see the top of the file): wait for the
 * wake-up byte, then exec the helper, whose argv now holds the target pid, stderr to the pipe.
 */
__attribute__((no_sanitize("address", "undefined")))
static int helper_child(void *arg)
{
        const struct helper_args *a = arg;
        char **argv = a->argv;
        int out = a->out;
        close(a->go_w);
        close(a->out_r);
        /*
         * Our own copy of the handler table: reset caught signals to their default, so no
         * handler of the caller's runs here (on shared memory) and no read() sees EINTR.
         */
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction sa;
                if (sig >= 32 && sig < SIGRTMIN)
                        continue;   /* glibc's own: EINVAL (an errno write, which we avoid) */
                if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
                        sa.sa_handler = SIG_DFL;
                        sa.sa_flags = 0;
                        sigaction(sig, &sa, NULL);
                }
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        char go;
        if (read(a->go, &go, 1) != 1)
                _exit(0);   /* aborted: nothing was created */
        if (dup2(out, STDERR_FILENO) < 0)
                _exit(126);
        execv(argv[0], argv);
        /* strerrordesc_np: a table lookup (strerror may translate, and so allocate). */
        const char *why = strerrordesc_np(errno);
        helper_say("cannot execute ", argv[0], ": ");
        helper_say(why ? why : "exec failed", "", "");
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
                size_t size = helper_block_size(userns_idmap_count(s->map[k]));
                void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                int out[2];
                if (mem == MAP_FAILED || pipe2(out, O_CLOEXEC) < 0) {
                        int e = errno;
                        if (mem != MAP_FAILED)
                                munmap(mem, size);
                        close(go[0]);
                        return userns_error_errno(err, e, "preparing %s", s->helper[k]);
                }
                /* The args sit just above the child's (16-byte aligned) stack top, in its block. */
                struct helper_args *a = (struct helper_args *)((char *)mem + HELPER_STACK - 64);
                *a = (struct helper_args){ .argv = helper_argv(s, k, (char **)((char *)mem + HELPER_STACK),
                                                               &h->pidbuf[k]),
                                           .go = go[0], .go_w = go[1], .out = out[1], .out_r = out[0] };
                pid_t c = clone(helper_child, a, CLONE_VM | SIGCHLD, a);
                int e = errno;
                close(out[1]);
                if (c < 0) {
                        munmap(mem, size);
                        h->pidbuf[k] = NULL;
                        close(out[0]);
                        close(go[0]);
                        return userns_error_errno(err, e, "clone");
                }
                h->mem[k] = mem;
                h->memsize[k] = size;
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
        for (int k = 0; k < 2; k++)
                if (h->pidbuf[k])
                        snprintf(h->pidbuf[k], 12, "%d", (int)target);
        /* One write (atomic) after the pids are in place; each helper reads one byte.  A failure shows as theirs. */
        if (write(h->go, "gg", (size_t)h->n) < 0) {
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
        helper_reaped(h, k);
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
                        helper_reaped(h, k);
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
