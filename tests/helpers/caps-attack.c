/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper for tests/cli/caps-attack.sh (built by the test with cc).
 *
 * caps-attack clone3 CMD...: run CMD as root of a new user namespace with a new network
 *   namespace, like `unshare --user --map-root-user --net CMD`, but created through clone3(2)
 *   the way new libcs and runtimes do.  If clone3 answers ENOSYS it falls back to clone(2), as
 *   callers are expected to.  Prints which path it took on stderr; exits with CMD's status, or
 *   1 if no namespace could be created.
 * caps-attack as UID CMD...: setgroups(0), setresgid(UID), setresuid(UID), exec CMD: a plain
 *   identity switch (setpriv also asks for PR_SET_KEEPCAPS, which a locked securebit refuses);
 *   just exec when already UID.
 * caps-attack unshare32: unshare(CLONE_NEWUSER) through the i386 system call ABI (int $0x80,
 *   x86-64 only), which a seccomp filter for the native ABI alone would not see.  Prints
 *   "unshare32: ok" or "unshare32: <error>"; exits 0 on success, 1 on failure, 3 if unsupported.
 * caps-attack ptrace PID: attach to PID with PTRACE_SEIZE (full control of it) and detach;
 *   prints "ptrace: attached" or "ptrace: <error>", exits 0 or 1.
 * caps-attack ambient CMD...: raise every permitted capability into the inheritable and ambient
 *   sets and exec CMD, so what a file capability gave this program reaches CMD (ip(8) drops its
 *   capabilities for non-root ids unless cap_net_admin is inheritable).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
                fprintf(stderr, "caps-attack: %s: %s\n", path, strerror(errno));
                _exit(1);
        }
        close(fd);
}

static int as_uid(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        unsigned id = (unsigned)strtoul(argv[0], NULL, 10);
        /* Already that uid (a sandbox that maps only one id): just exec. */
        if (id != getuid() && (setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 || setresuid(id, id, id) < 0)) {
                fprintf(stderr, "caps-attack: switching to uid %u: %s\n", id, strerror(errno));
                return 1;
        }
        execvp(argv[1], argv + 1);
        fprintf(stderr, "caps-attack: %s: %s\n", argv[1], strerror(errno));
        return errno == EPERM ? 126 : 127;
}

static int ambient(char **argv)
{
        struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
                return 1;
        d[0].inheritable = d[0].permitted;
        d[1].inheritable = d[1].permitted;
        if (syscall(SYS_capset, &h, d) < 0) {
                fprintf(stderr, "caps-attack: capset: %s\n", strerror(errno));
                return 1;
        }
        for (unsigned c = 0; c < 64; c++)
                if ((c < 32 ? d[0].permitted >> c : d[1].permitted >> (c - 32)) & 1)
                        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "caps-attack: %s: %s\n", argv[0], strerror(errno));
        return 127;
}

static int unshare32(void)
{
#if defined(__x86_64__)
        long r;
        /* i386: __NR_unshare = 310, argument in ebx. */
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(310L), "b"((long)CLONE_NEWUSER) : "memory");
        if (r == -ENOSYS) {
                printf("unshare32: no i386 system calls here\n");
                return 3;
        }
        printf("unshare32: %s\n", r == 0 ? "ok" : strerror((int)-r));
        return r == 0 ? 0 : 1;
#else
        printf("unshare32: not x86-64\n");
        return 3;
#endif
}

static int ptrace_pid(const char *arg)
{
        pid_t pid = (pid_t)strtol(arg, NULL, 10);
        if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) {
                printf("ptrace: %s\n", strerror(errno));
                return 1;
        }
        printf("ptrace: attached\n");
        ptrace(PTRACE_DETACH, pid, 0, 0);
        return 0;
}

static int clone3_userns(int argc, char **argv);

int main(int argc, char **argv)
{
        if (argc >= 3 && strcmp(argv[1], "clone3") == 0)
                return clone3_userns(argc - 1, argv + 1);
        if (argc >= 4 && strcmp(argv[1], "as") == 0)
                return as_uid(argc - 2, argv + 2);
        if (argc == 3 && strcmp(argv[1], "ptrace") == 0)
                return ptrace_pid(argv[2]);
        if (argc == 2 && strcmp(argv[1], "unshare32") == 0)
                return unshare32();
        if (argc >= 3 && strcmp(argv[1], "ambient") == 0)
                return ambient(argv + 2);
        fprintf(stderr, "usage: caps-attack clone3|ambient CMD [ARG...] | as UID CMD [ARG...] | unshare32\n");
        return 2;
}

static int clone3_userns(int argc, char **argv)
{
        (void)argc;
        uid_t uid = geteuid();
        gid_t gid = getegid();
        const unsigned long flags = CLONE_NEWUSER | CLONE_NEWNET;
        struct clone_args ca = { .flags = flags, .exit_signal = SIGCHLD };
        long pid = syscall(SYS_clone3, &ca, sizeof ca);
        if (pid < 0 && errno == ENOSYS) {
                fprintf(stderr, "caps-attack: clone3: ENOSYS, falling back to clone\n");
                pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
                if (pid < 0) {
                        fprintf(stderr, "caps-attack: clone: %s\n", strerror(errno));
                        return 1;
                }
        } else if (pid < 0) {
                fprintf(stderr, "caps-attack: clone3: %s\n", strerror(errno));
                return 1;
        } else if (pid > 0) {
                fprintf(stderr, "caps-attack: clone3: created\n");
        }
        if (pid == 0) {
                char line[64];
                snprintf(line, sizeof line, "0 %u 1", (unsigned)uid);
                write_file("/proc/self/uid_map", line);
                write_file("/proc/self/setgroups", "deny");
                snprintf(line, sizeof line, "0 %u 1", (unsigned)gid);
                write_file("/proc/self/gid_map", line);
                execvp(argv[1], argv + 1);
                fprintf(stderr, "caps-attack: %s: %s\n", argv[1], strerror(errno));
                _exit(127);
        }
        int status;
        if (waitpid((pid_t)pid, &status, 0) < 0)
                return 1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
