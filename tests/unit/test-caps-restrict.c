/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The namespace ceiling against the real kernel: each case runs in a fresh user namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "userns/caps-restrict.h"
#include "userns/caps.h"

#define BIT(c) (UINT64_C(1) << (c))
#define NET_ADMIN 12

struct result {
        int apply_r;
        char msg[USERNS_ERROR_MSG_MAX];
        struct userns_caps_report rep;
        struct userns_caps_state st;            /* right after applying */
        int unshare_errno, clone_errno, clone3_errno, thread_r;
        uint64_t nested_eff;                    /* CapEff inside a nested namespace, when one was made */
        char max_userns[32];
        int raise_sysctl_errno;                 /* writing max_user_namespaces back */
        int unshare_after_sysctl_errno;
        int securebits_clear_errno, ambient_raise_errno;
        struct userns_caps_state exec_root, exec_user;  /* a program's sets after execve, uid 0 / uid 1000 */
        int exec_root_r, exec_user_r;
};

/* errno of a syscall result: 0 on success (a created child is reaped). */
static int child_errno(long r)
{
        if (r < 0)
                return errno;
        if (r == 0)
                _exit(0);
        waitpid((pid_t)r, NULL, 0);
        return 0;
}

static int try_clone3(void)
{
        struct clone_args a = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        return child_errno(syscall(SYS_clone3, &a, sizeof a));
}

static int try_clone(void)
{
        return child_errno(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
}

/* CapEff of a fresh nested user namespace, or 0 when none can be made. */
static uint64_t nested_effective(void)
{
        int p[2];
        if (pipe(p) < 0)
                return 0;
        pid_t pid = fork();
        if (pid == 0) {
                struct userns_caps_state st = { 0 };
                if (unshare(CLONE_NEWUSER) == 0)
                        userns_caps_read(0, &st, NULL);
                (void)!write(p[1], &st.effective, sizeof st.effective);
                _exit(0);
        }
        uint64_t eff = 0;
        close(p[1]);
        (void)!read(p[0], &eff, sizeof eff);
        close(p[0]);
        waitpid(pid, NULL, 0);
        return eff;
}

/* Run /bin/cat /proc/self/status (as uid after setresuid when uid != 0) and parse its sets. */
static int exec_status(uid_t uid, struct userns_caps_state *st)
{
        int p[2];
        if (pipe(p) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                if (uid && (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
                        _exit(3);
                execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        char buf[8192];
        size_t n = 0;
        ssize_t k;
        while (n < sizeof buf - 1 && (k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
                n += (size_t)k;
        buf[n] = '\0';
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
                return -ECHILD;
        return userns_caps_parse_status(buf, st, NULL);
}

/* The probes every case makes after its policy. */
static void probe(struct result *r)
{
        userns_caps_read(0, &r->st, NULL);
        r->exec_root_r = exec_status(0, &r->exec_root);
        r->exec_user_r = exec_status(1000, &r->exec_user);
        pid_t pid = fork();
        if (pid == 0)
                _exit(unshare(CLONE_NEWUSER) < 0 ? errno : 0);
        int status = 0;
        waitpid(pid, &status, 0);
        r->unshare_errno = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r->clone_errno = try_clone();
        r->clone3_errno = try_clone3();
        r->nested_eff = nested_effective();
        int fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY);
        if (fd >= 0) {
                ssize_t k = read(fd, r->max_userns, sizeof r->max_userns - 1);
                if (k > 0)
                        r->max_userns[k - 1] = '\0';
                close(fd);
        }
        fd = open("/proc/sys/user/max_user_namespaces", O_WRONLY);
        r->raise_sysctl_errno = fd < 0 ? errno : write(fd, "100\n", 4) < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        pid = fork();
        if (pid == 0)
                _exit(unshare(CLONE_NEWUSER) < 0 ? errno : 0);
        waitpid(pid, &status, 0);
        r->unshare_after_sysctl_errno = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r->securebits_clear_errno = prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) < 0 ? errno : 0;
        r->ambient_raise_errno = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NET_ADMIN, 0, 0) < 0 ? errno : 0;
}

/* Fork a child into a new user namespace mapping 0..65535 to 100000.., apply p (if any), probe. */
static void in_new_userns(const struct userns_caps_policy *p, struct result *out)
{
        int sync[2], go[2], res[2];
        assert_int_equal(pipe(sync), 0);
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(res), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static struct result r;
                char c;
                close(res[0]);
                if (unshare(CLONE_NEWUSER) < 0) {
                        fprintf(stderr, "# unshare: %s\n", strerror(errno));
                        (void)!write(sync[1], "e", 1);
                        _exit(2);
                }
                (void)!write(sync[1], "u", 1);
                if (read(go[0], &c, 1) != 1 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        _exit(3);
                struct userns_error err = { 0 };
                if (p)
                        r.apply_r = userns_caps_policy_apply(p, &r.rep, &err);
                snprintf(r.msg, sizeof r.msg, "%s", err.message);
                if (r.apply_r == 0)
                        probe(&r);
                (void)!write(res[1], &r, sizeof r);
                _exit(0);
        }
        close(res[1]);
        char c;
        assert_int_equal(read(sync[0], &c, 1), 1);
        assert_int_equal(c, 'u');
        char path[64];
        for (int i = 0; i < 2; i++) {
                snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
                int fd = open(path, O_WRONLY);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, "0 100000 65536", 14), 14);
                close(fd);
        }
        assert_int_equal(write(go[1], "g", 1), 1);
        memset(out, 0, sizeof *out);
        assert_int_equal(read(res[0], out, sizeof *out), (ssize_t)sizeof *out);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(res[0]);
        close(sync[0]);
        close(sync[1]);
        close(go[0]);
        close(go[1]);
}

static void native_facility_absent(void **state)
{
        /* Linux 6.18: no per-namespace capability set (the 2024 proposal was never merged). */
        errno = 0;
        assert_int_equal(prctl(USERNS_PR_CAP_USERNS, USERNS_PR_CAP_USERNS_IS_SET, 0, 0, 0), -1);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(userns_caps_native_userns_caps(), 0);
}

static void resolve_rules(void **state)
{
        struct userns_error err = { 0 };
        uint64_t ceiling = userns_caps_all() & ~BIT(NET_ADMIN);
        struct userns_caps_policy p = { .ceiling_set = true, .ceiling = ceiling };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), 0);
        assert_false(p.keep_set);       /* decided inside: uid 0 keeps the ceiling, others nothing */
        assert_int_equal(p.nested, USERNS_NESTED_DENY);
        assert_false(userns_caps_policy_empty(&p));
        assert_true(userns_caps_policy_empty(&(struct userns_caps_policy){ 0 }));
        /* --caps with --cap-add/--cap-drop: folded into keep. */
        p = (struct userns_caps_policy){ .keep_set = true, .keep = BIT(0) | BIT(1), .add = BIT(5), .drop = BIT(1) };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), 0);
        assert_true(p.keep == (BIT(0) | BIT(5)) && p.add == 0 && p.drop == 0);
        p = (struct userns_caps_policy){ .add = BIT(5), .drop = BIT(5) };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), -EINVAL);
        assert_non_null(strstr(err.message, "cap_kill both added and dropped"));
        p = (struct userns_caps_policy){ .ceiling_set = true, .ceiling = ceiling, .add = BIT(NET_ADMIN) };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), -EINVAL);
        /* Nesting allowed with a ceiling: refused unless the kernel enforces it natively. */
        p = (struct userns_caps_policy){ .ceiling_set = true, .ceiling = ceiling, .nested = USERNS_NESTED_ALLOW };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), -EPERM);
        assert_non_null(strstr(err.message, "PR_CAP_USERNS"));
        assert_int_equal(userns_caps_policy_resolve(&p, true, &err), 0);
        p = (struct userns_caps_policy){ .ceiling_set = true, .ceiling = ceiling };
        assert_int_equal(userns_caps_policy_resolve(&p, true, &err), 0);
        assert_int_equal(p.nested, USERNS_NESTED_ALLOW);
        /* The command's set must fit under the ceiling. */
        p = (struct userns_caps_policy){ .ceiling_set = true, .ceiling = ceiling, .keep_set = true,
                                         .keep = BIT(NET_ADMIN) | BIT(0) };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), -EINVAL);
        assert_non_null(strstr(err.message, "cap_net_admin"));
        /* Without a ceiling nothing about nesting is decided. */
        p = (struct userns_caps_policy){ .keep_set = true, .keep = 1 };
        assert_int_equal(userns_caps_policy_resolve(&p, false, &err), 0);
        assert_int_equal(p.nested, USERNS_NESTED_DEFAULT);
        enum userns_nested n;
        assert_int_equal(userns_nested_parse("deny", &n, NULL), 0);
        assert_int_equal(n, USERNS_NESTED_DENY);
        assert_int_equal(userns_nested_parse("yes", &n, &err), -EINVAL);
}

/* Without any policy a new namespace can nest, and the nested one has every capability again. */
static void baseline_unrestricted(void **state)
{
        struct result r;
        assert_int_equal(try_clone3(), 0);
        in_new_userns(&(struct userns_caps_policy){ 0 }, &r);
        assert_int_equal(r.apply_r, 0);
        assert_int_equal(r.unshare_errno, 0);
        assert_int_equal(r.clone_errno, 0);
        assert_int_equal(r.clone3_errno, 0);
        assert_true(r.nested_eff == userns_caps_all());
        assert_true(r.exec_root.effective == userns_caps_all());
        assert_true(r.exec_user.effective == 0);
        assert_int_equal(r.securebits_clear_errno, 0);
}

/* --caps alone: the five sets hold across exec for uid 0, but a nested namespace gets all back. */
static void keep_only(void **state)
{
        uint64_t keep = BIT(0) | BIT(NET_ADMIN) | BIT(8);
        struct result r;
        in_new_userns(&(struct userns_caps_policy){ .keep_set = true, .keep = keep }, &r);
        assert_int_equal(r.apply_r, 0);
        assert_true(r.st.effective == keep && r.st.permitted == keep && r.st.inheritable == keep &&
                    r.st.bounding == keep && r.st.ambient == keep);
        assert_int_equal(r.exec_root_r, 0);
        assert_true(r.exec_root.effective == keep);
        assert_true(r.exec_root.bounding == keep);
        assert_int_equal(r.unshare_errno, 0);
        assert_true(r.nested_eff == userns_caps_all());
}

/* --userns-caps all,-cap_net_admin: the ceiling holds everywhere below. */
static void ceiling_denies_nesting_and_locks(void **state)
{
        uint64_t ceiling = userns_caps_all() & ~BIT(NET_ADMIN);
        struct userns_caps_policy p = { .ceiling_set = true, .ceiling = ceiling };
        assert_int_equal(userns_caps_policy_resolve(&p, false, NULL), 0);
        struct result r;
        in_new_userns(&p, &r);
        if (r.apply_r)
                print_error("apply: %s\n", r.msg);
        assert_int_equal(r.apply_r, 0);
        assert_false(r.rep.native);
        assert_true(r.rep.nested_blocked && r.rep.seccomp && r.rep.sysctl_written);
        assert_int_equal(r.rep.securebits, USERNS_CAPS_CEILING_SECUREBITS);
        assert_true(r.st.effective == ceiling && r.st.permitted == ceiling && r.st.bounding == ceiling &&
                    r.st.inheritable == ceiling && r.st.ambient == ceiling);
        assert_int_equal(r.st.securebits, 0xef);
        /* New user namespaces: unshare/clone EPERM, clone3 ENOSYS; the sysctl was 0. */
        assert_int_equal(r.unshare_errno, EPERM);
        assert_int_equal(r.clone_errno, EPERM);
        assert_int_equal(r.clone3_errno, ENOSYS);
        assert_true(r.nested_eff == 0);
        assert_string_equal(r.max_userns, "0");
        /* cap_sys_resource is under the ceiling, so the sysctl can be raised again: the seccomp
         * filter is what keeps nesting impossible. */
        assert_int_equal(r.raise_sysctl_errno, 0);
        assert_int_equal(r.unshare_after_sysctl_errno, EPERM);
        /* Locked securebits; ambient raising refused. */
        assert_int_equal(r.securebits_clear_errno, EPERM);
        assert_int_equal(r.ambient_raise_errno, EPERM);
        /* The set survives execve for uid 0 (noroot: through the ambient set) and for uid 1000. */
        assert_int_equal(r.exec_root_r, 0);
        assert_true(r.exec_root.effective == ceiling);
        assert_int_equal(r.exec_user_r, 0);
        assert_true(r.exec_user.effective == ceiling);
        assert_true(r.exec_user.bounding == ceiling);
}

/* A ceiling without cap_sys_resource: the sysctl cannot be raised back either. */
static void ceiling_without_sys_resource(void **state)
{
        uint64_t ceiling = BIT(0) | BIT(6) | BIT(7) | BIT(21);    /* chown, setgid, setuid, sys_admin */
        struct userns_caps_policy p = { .ceiling_set = true, .ceiling = ceiling };
        assert_int_equal(userns_caps_policy_resolve(&p, false, NULL), 0);
        struct result r;
        in_new_userns(&p, &r);
        assert_int_equal(r.apply_r, 0);
        assert_true(r.st.effective == ceiling);
        assert_int_equal(r.raise_sysctl_errno, EACCES);
        assert_int_equal(r.unshare_errno, EPERM);
        assert_true(r.exec_user.effective == ceiling);
}

static void *thread_fn(void *arg) { return arg; }

/* The filter alone: user namespaces refused, other namespaces and threads still fine. */
static void seccomp_filter_only(void **state)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (userns_caps_seccomp_deny_userns(false, NULL) < 0)
                        _exit(10);
                if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
                        _exit(11);
                if (unshare(CLONE_NEWUSER) == 0 || errno != EPERM)
                        _exit(12);
                if (try_clone3() != ENOSYS)
                        _exit(13);
                if (unshare(CLONE_NEWUTS) != 0)
                        _exit(14);
                pthread_t t;
                if (pthread_create(&t, NULL, thread_fn, NULL) != 0 || pthread_join(t, NULL) != 0)
                        _exit(15);   /* glibc falls back from clone3 to clone */
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(native_facility_absent),
                cmocka_unit_test(resolve_rules),
                cmocka_unit_test(baseline_unrestricted),
                cmocka_unit_test(keep_only),
                cmocka_unit_test(ceiling_denies_nesting_and_locks),
                cmocka_unit_test(ceiling_without_sys_resource),
                cmocka_unit_test(seccomp_filter_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
