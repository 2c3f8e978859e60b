/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libuserns spawn, against the real kernel (as root): planning, the hook stages and
 * their order, fd passing from OUTSIDE to INSIDE, errors from hooks, and the
 * diagnosis of refused user namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "userns/spawn.h"

static char *const TRUE_ARGV[] = { "/bin/true", NULL };

/* Each hook appends "NAME uid=U pid=P\n" to the log file named by its data. */
struct hook_data {
        const char *log;
        const char *name;
        int fail;   /* return -fail with a message */
};

static void log_line(const char *path, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0) {
                if (write(fd, buf, (size_t)n) < 0) {
                        /* nothing to do: the test compares the log */
                }
                close(fd);
        }
}

static int hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        struct hook_data *d = data;
        log_line(d->log, "%s uid=%u pidfd=%s%s%s\n", d->name, (unsigned)getuid(), ctx->pidfd >= 0 ? "yes" : "no",
                 ctx->root ? " root=" : "", ctx->root ? ctx->root : "");
        if (d->fail)
                return userns_error_set(err, d->fail, "hook %s refuses", d->name);
        return 0;
}

/* OUTSIDE: send an fd of a pipe holding "ping"; INSIDE_SETUP: receive it and read. */
static int send_hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        int p[2];
        if (pipe(p) < 0)
                return userns_error_errno(err, errno, "pipe");
        if (write(p[1], "ping", 4) != 4)
                return userns_error_errno(err, errno, "write");
        close(p[1]);
        int r = userns_spawn_send_fd(ctx->sock, p[0], 42, err);
        close(p[0]);
        return r;
}

static int recv_hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        struct hook_data *d = data;
        int fd;
        uint32_t tag;
        int r = userns_spawn_recv_fd(ctx->sock, &fd, &tag, err);
        if (r < 0)
                return r;
        char buf[8] = { 0 };
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        log_line(d->log, "%s got tag=%u data=%s\n", d->name, tag, n > 0 ? buf : "");
        return 0;
}

static char *make_log(void)
{
        char *p = strdup("/tmp/test-spawn.XXXXXX");
        int fd = mkstemp(p);
        assert_true(fd >= 0);
        fchmod(fd, 0666);   /* INSIDE_EXEC hooks run as another uid */
        close(fd);
        return p;
}

static char *slurp(const char *path)
{
        static char buf[4096];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
                close(fd);
        return buf;
}

/* Run in a child (an in-place run replaces the process); return its shell-style status. */
static int run_in_child(struct userns_spawn *s, char *msg, size_t msgsize)
{
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                close(p[0]);
                struct userns_error err = { 0 };
                int status;
                userns_spawn_run(s, &status, &err);
                if (write(p[1], err.message, strlen(err.message)) < 0)
                        _exit(99);
                _exit(status);
        }
        close(p[1]);
        ssize_t n = read(p[0], msg, msgsize - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(p[0]);
        int st;
        assert_int_equal(waitpid(c, &st, 0), c);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The forked check exits 0 when it saw what it expected (else the exit code says where it failed). */
static void expect_child_ok(pid_t c)
{
        int st;
        assert_int_equal(waitpid(c, &st, 0), c);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

static void plan_for_root(void **state)
{
        struct userns_spawn *s;
        struct userns_error err = { 0 };
        assert_int_equal(userns_spawn_new(&s), 0);
        assert_int_equal(userns_spawn_set_argv(s, TRUE_ARGV, &err), 0);
        userns_spawn_set_map_mode(s, USERNS_MAP_CURRENT);
        assert_int_equal(userns_spawn_resolve(s, &err), 0);
        const struct userns_extent *e = userns_idmap_extent(userns_spawn_map(s, USERNS_IDMAP_UID), 0);
        assert_int_equal(e->first, geteuid());
        assert_int_equal(e->lower_first, geteuid());
        assert_int_equal(e->count, 1);
        /* A change of configuration invalidates the plan. */
        userns_spawn_set_map_mode(s, USERNS_MAP_ROOT);
        assert_null(userns_spawn_map(s, USERNS_IDMAP_UID));
        assert_int_equal(userns_spawn_resolve(s, &err), 0);
        assert_int_equal(userns_idmap_extent(userns_spawn_map(s, USERNS_IDMAP_GID), 0)->first, 0);
        userns_spawn_free(s);
}

static void config_errors(void **state)
{
        struct userns_spawn *s;
        struct userns_error err = { 0 };
        assert_int_equal(userns_spawn_new(&s), 0);
        assert_int_equal(userns_spawn_set_namespaces(s, CLONE_VM, &err), -EINVAL);
        assert_int_equal(userns_spawn_resolve(s, &err), -EINVAL);
        assert_string_equal(err.message, "no command to run");
        assert_int_equal(userns_spawn_set_argv(s, TRUE_ARGV, &err), 0);
        assert_int_equal(userns_spawn_set_hostname(s, "box", &err), 0);
        assert_int_equal(userns_spawn_resolve(s, &err), -EINVAL);
        assert_non_null(strstr(err.message, "--uts"));
        assert_int_equal(userns_spawn_add_hook(s, _USERNS_STAGE_MAX, hook, NULL, &err), -EINVAL);
        assert_int_equal(userns_spawn_add_mount(s, USERNS_MOUNT_TMPFS, NULL, "rel", &err), -EINVAL);
        userns_spawn_free(s);
}

/* Every stage, in order, with fd passing, in both run modes (in place and forked). */
static void hooks_in_order(unsigned long ns)
{
        char *log = make_log();
        struct hook_data o1 = { log, "outside1", 0 }, o2 = { log, "outside2", 0 };
        struct hook_data in = { log, "inside", 0 }, rx = { log, "recv", 0 }, ex = { log, "exec", 0 };
        struct hook_data mo = { log, "mounts", 0 };
        struct userns_spawn *s;
        struct userns_error err = { 0 };
        const uint32_t map_text_uid = 1000;
        assert_int_equal(userns_spawn_new(&s), 0);
        assert_int_equal(userns_spawn_set_argv(s, TRUE_ARGV, &err), 0);
        assert_int_equal(userns_spawn_set_namespaces(s, ns, &err), 0);
        struct userns_idmap *m;
        assert_int_equal(userns_idmap_parse("0:100000:2000", 13, USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID, &m,
                                            &err), 0);
        assert_int_equal(userns_spawn_set_map(s, USERNS_IDMAP_UID, m, &err), 0);
        assert_int_equal(userns_spawn_set_map(s, USERNS_IDMAP_GID, m, &err), 0);
        userns_idmap_free(m);
        userns_spawn_set_uid(s, map_text_uid);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_INSIDE_EXEC, hook, &ex, &err), 0);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_OUTSIDE, hook, &o1, &err), 0);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_INSIDE_SETUP, hook, &in, &err), 0);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_OUTSIDE, send_hook, NULL, &err), 0);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_OUTSIDE, hook, &o2, &err), 0);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_INSIDE_SETUP, recv_hook, &rx, &err), 0);
        assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_INSIDE_MOUNTS, hook, &mo, &err), 0);
        char msg[600];
        int st = run_in_child(s, msg, sizeof msg);
        assert_string_equal(msg, "");
        assert_int_equal(st, 0);
        /* OUTSIDE runs as host root with a pidfd; INSIDE_SETUP as root of the namespace; INSIDE_EXEC after --uid. */
        assert_string_equal(slurp(log), "outside1 uid=0 pidfd=yes\n"
                                        "outside2 uid=0 pidfd=yes\n"
                                        "mounts uid=0 pidfd=no root=\n"
                                        "inside uid=0 pidfd=no\n"
                                        "recv got tag=42 data=ping\n"
                                        "exec uid=1000 pidfd=no\n");
        userns_spawn_free(s);
        unlink(log);
        free(log);
}

static void hooks_in_place(void **state) { hooks_in_order(CLONE_NEWNS); }
static void hooks_forked(void **state) { hooks_in_order(CLONE_NEWNS | CLONE_NEWPID); }

static void hook_failure_stops_the_run(void **state)
{
        for (int stage = 0; stage < _USERNS_STAGE_MAX; stage++)
                for (int forked = 0; forked < 2; forked++) {
                        char *log = make_log();
                        struct hook_data bad = { log, "bad", EPERM }, ex = { log, "exec", 0 };
                        struct userns_spawn *s;
                        struct userns_error err = { 0 };
                        assert_int_equal(userns_spawn_new(&s), 0);
                        assert_int_equal(userns_spawn_set_argv(s, TRUE_ARGV, &err), 0);
                        assert_int_equal(userns_spawn_set_namespaces(s, CLONE_NEWNS | (forked ? CLONE_NEWPID : 0), &err), 0);
                        assert_int_equal(userns_spawn_add_hook(s, stage, hook, &bad, &err), 0);
                        if (stage != USERNS_STAGE_INSIDE_EXEC)
                                assert_int_equal(userns_spawn_add_hook(s, USERNS_STAGE_INSIDE_EXEC, hook, &ex, &err), 0);
                        char msg[600];
                        assert_int_equal(run_in_child(s, msg, sizeof msg), USERNS_STATUS_ERROR);
                        assert_string_equal(msg, "hook bad refuses");
                        /* Nothing after the failing stage ran. */
                        assert_string_equal(strstr(slurp(log), "exec") ? "exec ran" : "", "");
                        userns_spawn_free(s);
                        unlink(log);
                        free(log);
                }
}

/* userns run --map-current /bin/true in this (forked) process: returns only on failure. */
static int run_self_map(int *status, struct userns_error *err)
{
        struct userns_spawn *s;
        if (userns_spawn_new(&s) < 0 || userns_spawn_set_argv(s, TRUE_ARGV, err) < 0)
                return -ENOMEM;
        userns_spawn_set_map_mode(s, USERNS_MAP_CURRENT);
        int r = userns_spawn_run(s, status, err);
        userns_spawn_free(s);
        return r;
}

/* In a fresh user namespace with max_user_namespaces = 0, a nested one is refused: ENOSPC, named. */
static void diagnose_max_user_namespaces(void **state)
{
        pid_t c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(10);
                int fd = open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1)
                        _exit(11);
                close(fd);
                struct userns_error err = { 0 };
                int status, r = run_self_map(&status, &err);
                _exit(r == -ENOSPC && status == 125 && strstr(err.message, "user.max_user_namespaces is 0") ? 0 : 12);
        }
        expect_child_ok(c);
}

/* A chrooted caller is refused (EPERM) and told so. */
static void diagnose_chroot(void **state)
{
        char dir[] = "/tmp/test-spawn-root.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char proc[64];
        snprintf(proc, sizeof proc, "%s/proc", dir);
        assert_int_equal(mkdir(proc, 0755), 0);
        pid_t c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                /* A private mount namespace, so the /proc we bind for the diagnosis stays ours. */
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("/proc", proc, NULL, MS_BIND | MS_REC, NULL) < 0 || chroot(dir) < 0 || chdir("/") < 0)
                        _exit(10);
                struct userns_error err = { 0 };
                int r = unshare(CLONE_NEWUSER) < 0 ? -errno : 0;
                if (r != -EPERM)
                        _exit(11);
                userns_diagnose_userns_failure(EPERM, &err);
                _exit(strstr(err.message, "chroot") ? 0 : 12);
        }
        int st;
        assert_int_equal(waitpid(c, &st, 0), c);
        rmdir(proc);
        rmdir(dir);
        assert_int_equal(st, 0);   /* exited with 0 */
}

static void *sleeper(void *arg)
{
        (void)arg;
        pause();
        return NULL;
}

/* A multithreaded caller cannot unshare a user namespace (EINVAL), and hears why. */
static void diagnose_threads(void **state)
{
        pid_t c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                pthread_t t;
                if (pthread_create(&t, NULL, sleeper, NULL) != 0)
                        _exit(10);
                struct userns_error err = { 0 };
                int status, r = run_self_map(&status, &err);
                _exit(r == -EINVAL && strstr(err.message, "multithreaded") ? 0 : 12);
        }
        expect_child_ok(c);
}

static int nop_hook(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        return 0;
}

/*
 * An unprivileged caller with subordinate ranges (so newuidmap/newgidmap processes are
 * created and waiting) and an OUTSIDE hook (so a helper process waits too), whose
 * unshare fails (it is multithreaded): the run must fail promptly, not hang.
 */
static void abort_with_waiting_helpers(void **state)
{
        char path[] = "/tmp/test-spawn-subid.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "4242:200000:65536\n", 18), 18);
        fchmod(fd, 0644);
        close(fd);
        pid_t c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                alarm(20);   /* a hang fails the test (SIGALRM) */
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount(path, "/etc/subuid", NULL, MS_BIND, NULL) < 0 ||
                    mount(path, "/etc/subgid", NULL, MS_BIND, NULL) < 0 ||
                    setgroups(0, NULL) < 0 || setresgid(4242, 4242, 4242) < 0 || setresuid(4242, 4242, 4242) < 0)
                        _exit(10);
                pthread_t t;
                if (pthread_create(&t, NULL, sleeper, NULL) != 0)
                        _exit(11);
                struct userns_spawn *s;
                struct userns_error err = { 0 };
                int status;
                userns_spawn_new(&s);
                userns_spawn_set_argv(s, TRUE_ARGV, &err);
                userns_spawn_add_hook(s, USERNS_STAGE_OUTSIDE, nop_hook, NULL, &err);
                int r = userns_spawn_run(s, &status, &err);
                _exit(r == -EINVAL && status == 125 && strstr(err.message, "multithreaded") ? 0 : 12);
        }
        expect_child_ok(c);
        unlink(path);
}

static void diagnose_messages(void **state)
{
        struct userns_error err = { 0 };
        assert_int_equal(userns_diagnose_userns_failure(ENOSPC, &err), -ENOSPC);
        assert_non_null(strstr(err.message, "user.max_user_namespaces"));
        assert_int_equal(userns_diagnose_userns_failure(ENOMEM, &err), -ENOMEM);
        assert_string_equal(err.message, "creating a user namespace: Cannot allocate memory");
}

int main(void)
{
        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root\n");
                return 0;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plan_for_root),
                cmocka_unit_test(config_errors),
                cmocka_unit_test(hooks_in_place),
                cmocka_unit_test(hooks_forked),
                cmocka_unit_test(hook_failure_stops_the_run),
                cmocka_unit_test(diagnose_max_user_namespaces),
                cmocka_unit_test(diagnose_chroot),
                cmocka_unit_test(diagnose_threads),
                cmocka_unit_test(abort_with_waiting_helpers),
                cmocka_unit_test(diagnose_messages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
