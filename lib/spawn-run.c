/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userns_spawn_run(): the processes of a run and the handshake between them
 * (see include/userns/spawn.h for the picture).
 *
 *   caller C ──fork──► helper H (caller's namespaces; blocks on `sock` for "go")
 *   C: unshare(CLONE_NEWUSER | namespaces); setgroups; self-maps
 *   C ──"go"──► H: other maps (newuidmap ∥ newgidmap, or direct), OUTSIDE hooks
 *   C ◄─result── H      (C continues only after every map is written)
 *   C: [fork PID 1 / child]; hostname, mounts, INSIDE_SETUP; [fork command];
 *      identity; chdir; INSIDE_EXEC; execvp
 * Errors after a fork travel back over a CLOEXEC pipe: EOF means the exec happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn-internal.h"
#include "util/cleanup.h"

struct report {
        int status;                          /* exit status the caller should use; 0 = success */
        int code;                            /* errno */
        char message[USERNS_ERROR_MSG_MAX];
};

static void send_report(int fd, int status, const struct userns_error *e)
{
        struct report r = { .status = status, .code = 0 };
        if (e) {
                r.code = e->code > 0 ? e->code : EIO;
                memcpy(r.message, e->message, sizeof r.message);
                r.message[sizeof r.message - 1] = '\0';
        }
        ssize_t n;
        do
                n = write(fd, &r, sizeof r);
        while (n < 0 && errno == EINTR);
}

/* 1: a report arrived; 0: EOF (the other side exec'd or exited without a word). */
static int recv_report(int fd, struct report *r)
{
        size_t got = 0;
        while (got < sizeof *r) {
                ssize_t n = read(fd, (char *)r + got, sizeof *r - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        if (got == sizeof *r) {
                r->message[sizeof r->message - 1] = '\0';
                return 1;
        }
        return 0;
}

int spawn_run_hooks(const struct userns_spawn *s, enum userns_spawn_stage stage,
                    const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        for (size_t i = 0; i < s->nhooks[stage]; i++) {
                userns_error_clear(err);
                int r = s->hooks[stage][i].fn(s->hooks[stage][i].data, ctx, err);
                if (r < 0) {
                        if (err && !err->message[0])
                                userns_error_errno(err, -r, "hook %zu of stage %d", i, (int)stage);
                        return r;
                }
        }
        return 0;
}

/* Helper H: wait for "go", write the maps root writes from outside, run OUTSIDE hooks. */
_Noreturn static void outside_main(const struct userns_spawn *s, pid_t target, int sock, int result)
{
        char go;
        ssize_t n;
        do
                n = read(sock, &go, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(0);   /* the caller failed before creating the namespace, or died */
        struct userns_error e = { 0 };
        int r = spawn_write_maps(s, target, SPAWN_WRITER_BIT(MAP_WRITER_DIRECT), &e);
        if (r == 0 && s->nhooks[USERNS_STAGE_OUTSIDE] > 0) {
                _cleanup_close_ int pidfd = pidfd_open(target, 0);
                struct userns_spawn_ctx ctx = { .spawn = s, .pid = target, .pidfd = pidfd, .sock = sock };
                r = spawn_run_hooks(s, USERNS_STAGE_OUTSIDE, &ctx, &e);
        }
        send_report(result, r < 0 ? USERNS_STATUS_ERROR : 0, r < 0 ? &e : NULL);
        _exit(0);
}

static int inside_setup(const struct userns_spawn *s, const struct userns_spawn_ctx *ctx, bool fresh_proc,
                        struct userns_error *err)
{
        /* A caller the maps leave out becomes root of the namespace now (not 65534), keeping its capabilities. */
        if (s->root_first_gid && setresgid(0, 0, 0) < 0)
                return userns_error_errno(err, errno, "switching to gid 0");
        if (s->root_first_uid && setresuid(0, 0, 0) < 0)
                return userns_error_errno(err, errno, "switching to uid 0");
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return userns_error_errno(err, errno, "setting the hostname to '%s'", s->hostname);
        int r = rootfs_setup(s, fresh_proc, ctx, err);
        if (r < 0)
                return r;
        return spawn_run_hooks(s, USERNS_STAGE_INSIDE_SETUP, ctx, err);
}

static int switch_identity(const struct userns_spawn *s, struct userns_error *err)
{
        if (s->have_groups) {
                _cleanup_free_ gid_t *g = calloc(s->ngroups ? s->ngroups : 1, sizeof *g);
                if (!g)
                        return userns_error_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; i < s->ngroups; i++)
                        g[i] = s->groups[i];
                if (setgroups(s->ngroups, g) < 0)
                        return userns_error_errno(err, errno, "setgroups (--groups)");
        }
        if (s->have_gid && setresgid(s->gid, s->gid, s->gid) < 0)
                return userns_error_errno(err, errno, "switching to gid %u", s->gid);
        if (s->have_uid && setresuid(s->uid, s->uid, s->uid) < 0)
                return userns_error_errno(err, errno, "switching to uid %u", s->uid);
        return 0;
}

/*
 * execv with the shells' PATH rules: a name without '/' is the first PATH entry that
 * exists (directories we may not search are skipped, not "permission denied");
 * not found → 127, found but not executable → 126.  A file without a #! line runs
 * under /bin/sh, as execvp does.
 */
static int exec_command(char **argv, int *status, struct userns_error *err)
{
        const char *cmd = argv[0];
        char buf[PATH_MAX];
        const char *path = cmd;
        if (!strchr(cmd, '/')) {
                const char *dirs = getenv("PATH");
                if (!dirs)
                        dirs = "/usr/local/bin:/usr/bin:/bin";
                path = NULL;
                for (const char *p = dirs; !path;) {
                        size_t l = strcspn(p, ":");
                        int n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)l, p, l ? "/" : "", cmd);
                        struct stat st;
                        if (n > 0 && n < (int)sizeof buf && stat(buf, &st) == 0 && !S_ISDIR(st.st_mode))
                                path = buf;
                        if (!p[l])
                                break;
                        p += l + 1;
                }
                if (!path) {
                        *status = USERNS_STATUS_NOT_FOUND;
                        return userns_error_set(err, ENOENT, "cannot execute '%s': not found in PATH", cmd);
                }
        }
        execv(path, argv);
        int e = errno;
        if (e == ENOEXEC) {
                size_t n = 0;
                while (argv[n])
                        n++;
                char **shv = calloc(n + 2, sizeof *shv);
                if (shv) {
                        shv[0] = (char *)"sh";
                        shv[1] = (char *)path;
                        for (size_t i = 1; i <= n; i++)
                                shv[i + 1] = argv[i];
                        execv("/bin/sh", shv);
                        free(shv);
                }
        }
        *status = e == ENOENT || e == ENOTDIR ? USERNS_STATUS_NOT_FOUND : USERNS_STATUS_CANNOT_EXEC;
        return userns_error_errno(err, e, "cannot execute '%s'", path);
}

/* Identity, cwd, INSIDE_EXEC hooks, exec.  Returns only on failure, with *status set. */
static int finish_and_exec(const struct userns_spawn *s, const struct userns_spawn_ctx *ctx,
                           const char *old_cwd, int *status, struct userns_error *err)
{
        *status = USERNS_STATUS_ERROR;
        int r = switch_identity(s, err);
        if (r < 0)
                return r;
        if ((r = rootfs_chdir(s, old_cwd, err)) < 0)
                return r;
        if ((r = spawn_run_hooks(s, USERNS_STAGE_INSIDE_EXEC, ctx, err)) < 0)
                return r;
        return exec_command(s->argv, status, err);
}

/* The caller waits for `child`, forwarding signals to it. */
static int wait_forwarding(pid_t child, const sigset_t *set)
{
        for (;;) {
                int st;
                pid_t w = waitpid(child, &st, WNOHANG);
                if (w == child)
                        return spawn_exit_status(st);
                if (w < 0 && errno != EINTR)
                        return USERNS_STATUS_ERROR;
                siginfo_t si;
                int sig = sigwaitinfo(set, &si);
                if (sig < 0 || sig == SIGCHLD)
                        continue;
                if (si.si_code != SI_KERNEL)   /* terminal signals reached the child already */
                        kill(child, sig);
        }
}

/* Ask the namespaced child to stop and reap it (it has not exec'd: it waits for "go"). */
static void abort_child(pid_t c)
{
        kill(c, SIGKILL);
        while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
                ;
}

/*
 * The namespaced process C runs as our child (CLONE_NEWPID and CLONE_NEWTIME
 * apply to children): clone3 creates every namespace with it, the caller stays
 * where it is, writes C's maps itself, runs OUTSIDE hooks, then waits for the
 * command and passes its status through.
 */
static int run_child(const struct userns_spawn *s, const char *old_cwd, int *status,
                     struct userns_error *err)
{
        sigset_t set, old;
        spawn_signal_set(&set);
        /* ep: reports child → caller; gp: "go" caller → child; sp: the hooks' channel. */
        int ep[2], gp[2], sp[2];
        if (pipe2(ep, O_CLOEXEC) < 0)
                return userns_error_errno(err, errno, "pipe");
        if (pipe2(gp, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                int e = errno;
                close(ep[0]);
                close(ep[1]);
                if (fcntl(gp[0], F_GETFD) >= 0) {
                        close(gp[0]);
                        close(gp[1]);
                }
                return userns_error_errno(err, e, "socketpair");
        }
        struct spawn_helpers helpers;
        int r = spawn_helpers_prepare(s, &helpers, err);
        if (r < 0) {
                spawn_helpers_abort(&helpers);
                close(ep[0]);
                close(ep[1]);
                close(gp[0]);
                close(gp[1]);
                close(sp[0]);
                close(sp[1]);
                return r;
        }
        sigprocmask(SIG_BLOCK, &set, &old);
        int pidfd = -1;
        struct clone_args ca = {
                .flags = CLONE_NEWUSER | s->ns | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t c = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
        if (c == 0) {
                close(ep[0]);
                close(sp[0]);
                close(gp[1]);
                spawn_helpers_close_fds(&helpers);
                /* If the caller dies, so does everything inside (nothing is left behind). */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                char go;
                ssize_t n;
                do
                        n = read(gp[0], &go, 1);
                while (n < 0 && errno == EINTR);
                close(gp[0]);
                if (n != 1)
                        _exit(USERNS_STATUS_ERROR);   /* the caller gave up: it reports why */
                struct userns_error e = { 0 };
                int st = USERNS_STATUS_ERROR;
                bool pid_ns = s->ns & CLONE_NEWPID;
                struct userns_spawn_ctx ctx = { .spawn = s, .pid = getpid(), .pidfd = -1, .sock = sp[1] };
                if (inside_setup(s, &ctx, pid_ns, &e) < 0) {
                        send_report(ep[1], st, &e);
                        _exit(st);
                }
                if (pid_ns) {
                        pid_t g = fork();
                        if (g == 0) {
                                sigprocmask(SIG_SETMASK, &old, NULL);
                                ctx.pid = getpid();
                                finish_and_exec(s, &ctx, old_cwd, &st, &e);
                                send_report(ep[1], st, &e);
                                _exit(st);
                        }
                        if (g < 0) {
                                userns_error_errno(&e, errno, "fork");
                                send_report(ep[1], st, &e);
                                _exit(st);
                        }
                        close(ep[1]);
                        pid1_run(g);
                }
                sigprocmask(SIG_SETMASK, &old, NULL);
                finish_and_exec(s, &ctx, old_cwd, &st, &e);
                send_report(ep[1], st, &e);
                _exit(st);
        }
        int ce = errno;
        close(ep[1]);
        close(sp[1]);
        close(gp[0]);
        if (c < 0)
                r = userns_diagnose_userns_failure(ce, err);
        /* setgroups and the maps we write first, then the helpers (newgidmap needs setgroups settled). */
        if (r == 0)
                r = spawn_write_maps(s, c, SPAWN_WRITER_BIT(MAP_WRITER_SELF) | SPAWN_WRITER_BIT(MAP_WRITER_DIRECT), err);
        if (r == 0) {
                spawn_helpers_start(&helpers, c);
                r = spawn_helpers_finish(s, &helpers, err);
        } else {
                spawn_helpers_abort(&helpers);
        }
        if (r == 0 && s->nhooks[USERNS_STAGE_OUTSIDE] > 0) {
                struct userns_spawn_ctx ctx = { .spawn = s, .pid = c, .pidfd = pidfd, .sock = sp[0] };
                r = spawn_run_hooks(s, USERNS_STAGE_OUTSIDE, &ctx, err);
        }
        if (r == 0 && write(gp[1], "g", 1) != 1)
                r = userns_error_errno(err, errno, "waking the namespaced process");
        close(gp[1]);
        close(sp[0]);
        if (pidfd >= 0)
                close(pidfd);
        if (r < 0) {
                if (c > 0)
                        abort_child(c);
                close(ep[0]);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return r;
        }
        struct report rep;
        int got = recv_report(ep[0], &rep);
        close(ep[0]);
        int st = wait_forwarding(c, &set);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (got) {
                *status = rep.status;
                return userns_error_set(err, rep.code, "%s", rep.message);
        }
        *status = st;
        return 0;
}

int userns_spawn_run(struct userns_spawn *s, int *status, struct userns_error *err)
{
        *status = USERNS_STATUS_ERROR;
        int r = userns_spawn_resolve(s, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *old_cwd = s->root ? getcwd(NULL, 0) : NULL;
        if (s->ns & (CLONE_NEWPID | CLONE_NEWTIME))
                return run_child(s, old_cwd, status, err);

        /* In place: this process enters the namespaces and becomes the command. */
        bool outside = s->writer[USERNS_IDMAP_UID] == MAP_WRITER_DIRECT ||
                       s->writer[USERNS_IDMAP_GID] == MAP_WRITER_DIRECT || s->nhooks[USERNS_STAGE_OUTSIDE] > 0;
        _cleanup_close_ int sock = -1;
        int res = -1;
        pid_t helper = -1;
        struct spawn_helpers helpers;
        r = spawn_helpers_prepare(s, &helpers, err);
        if (r < 0) {
                spawn_helpers_abort(&helpers);
                return r;
        }
        if (outside) {
                int sp[2], rp[2];
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                        r = userns_error_errno(err, errno, "socketpair");
                        spawn_helpers_abort(&helpers);
                        return r;
                }
                if (pipe2(rp, O_CLOEXEC) < 0) {
                        r = userns_error_errno(err, errno, "pipe");
                        close(sp[0]);
                        close(sp[1]);
                        spawn_helpers_abort(&helpers);
                        return r;
                }
                pid_t me = getpid();
                helper = fork();
                if (helper == 0) {
                        close(sp[0]);
                        close(rp[0]);
                        spawn_helpers_close_fds(&helpers);
                        outside_main(s, me, sp[1], rp[1]);
                }
                int fe = errno;
                close(sp[1]);
                close(rp[1]);
                sock = sp[0];
                res = rp[0];
                if (helper < 0) {
                        close(res);
                        spawn_helpers_abort(&helpers);
                        return userns_error_errno(err, fe, "fork");
                }
        }

        /* The user namespace first, owning every other one created in the same call. */
        if (unshare(CLONE_NEWUSER | (int)s->ns) < 0)
                r = userns_diagnose_userns_failure(errno, err);
        else
                r = spawn_write_maps(s, 0, SPAWN_WRITER_BIT(MAP_WRITER_SELF), err);
        if (r == 0) {
                spawn_helpers_start(&helpers, getpid());
                r = spawn_helpers_finish(s, &helpers, err);
        } else {
                spawn_helpers_abort(&helpers);
        }
        if (outside) {
                if (r == 0 && write(sock, "g", 1) != 1)
                        r = userns_error_errno(err, errno, "waking the map writer");
                struct report rep;
                if (r == 0) {
                        if (!recv_report(res, &rep))
                                r = userns_error_set(err, EIO, "the map writer died without a result");
                        else if (rep.code != 0)
                                r = userns_error_set(err, rep.code, "%s", rep.message);
                }
                close(res);
                if (r < 0)
                        shutdown(sock, SHUT_RDWR);   /* H stops waiting for "go" */
                while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (r < 0)
                return r;
        struct userns_spawn_ctx ctx = { .spawn = s, .pid = getpid(), .pidfd = -1, .sock = sock };
        r = inside_setup(s, &ctx, false, err);
        if (r < 0)
                return r;
        return finish_and_exec(s, &ctx, old_cwd, status, err);
}

int userns_spawn_send_fd(int sock, int fd, uint32_t tag, struct userns_error *err)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        memset(&u, 0, sizeof u);
        struct iovec iov = { .iov_base = &tag, .iov_len = sizeof tag };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof u.buf };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
                return userns_error_errno(err, errno, "sending fd %d (tag %u)", fd, tag);
        return 0;
}

int userns_spawn_recv_fd(int sock, int *fd, uint32_t *tag, struct userns_error *err)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        uint32_t t = 0;
        struct iovec iov = { .iov_base = &t, .iov_len = sizeof t };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof u.buf };
        ssize_t n;
        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return userns_error_errno(err, errno, "receiving an fd");
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (n != sizeof t || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                return userns_error_set(err, EBADMSG, "receiving an fd: %s",
                                        n == 0 ? "the other side closed the socket" : "no fd in the message");
        memcpy(fd, CMSG_DATA(c), sizeof *fd);
        if (tag)
                *tag = t;
        return 0;
}
