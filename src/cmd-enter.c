/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns enter: run a command in the namespaces of a process, an nsfs file or a kept name. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "userns/ns-enter.h"

static void usage(FILE *f)
{
        fputs("Usage: userns enter [OPTIONS] TARGET [OPTIONS] [--] [COMMAND [ARG...]]\n\n"
              "Join the user namespace of TARGET and the namespaces it owns that TARGET is in\n"
              "(mnt, uts, ipc, pid, cgroup, net, time), then run COMMAND (default: $SHELL).\n"
              "TARGET is a pid, a path to an nsfs file (/proc/PID/ns/user, a bind mount), a\n"
              "directory of them, or a NAME kept with 'userns keep' or 'userns run --keep'.\n\n"
              "  -t, --types LIST          only these types (user,mnt,uts,ipc,pid,cgroup,net,time,all)\n"
              "      --preserve-credentials  keep your uid/gid (default: become 0:0 in the namespace)\n"
              "      --no-pidfd            join fd by fd instead of one setns(pidfd)\n"
              "  -h, --help                this help\n\n"
              "Exit status: the command's; 128+N if killed by signal N; 125 if userns failed;\n"
              "126 if COMMAND cannot be run; 127 if it is not found.\n", f);
}

/* TARGET: digits → pid; an existing path (or one with '/') → nsfs file or directory; else a kept NAME. */
static int resolve_target(const char *target, unsigned types, struct userns_ns_set *set,
                          struct userns_error *err)
{
        uint32_t pid;
        struct stat st;
        if (cli_parse_u32(target, &pid, false) == 0 && pid > 0 && pid <= INT32_MAX)
                return userns_ns_set_from_pid((pid_t)pid, types, set, err);
        if (strchr(target, '/') || stat(target, &st) == 0)
                return userns_ns_set_from_path(target, types, set, err);
        char base[4096], path[4200];
        if (cli_keep_base(base, sizeof base) < 0)
                return userns_error_set(err, ENAMETOOLONG, "keep directory name too long");
        snprintf(path, sizeof path, "%s/%s", base, target);
        if (stat(path, &st) < 0)
                return userns_error_set(err, ENOENT, "'%s' is not a pid, a path, or a kept name (no %s)", target, path);
        return userns_ns_set_from_path(path, types, set, err);
}

static int exec_command(char **cmd)
{
        execvp(cmd[0], cmd);
        int e = errno;
        cli_warn("%s: %s", cmd[0], strerror(e));
        return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

static int wait_child(pid_t child)
{
        int status;
        /* Terminal signals reach the child through the process group; we only wait. */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR) {
                        cli_warn("waitpid: %s", strerror(errno));
                        return EXIT_USERNS_ERROR;
                }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return EXIT_USERNS_ERROR;
}

int cmd_enter(int argc, char **argv)
{
        enum { OPT_PRESERVE = 256, OPT_NO_PIDFD };
        static const struct option opts[] = {
                { "types", required_argument, NULL, 't' },
                { "preserve-credentials", no_argument, NULL, OPT_PRESERVE },
                { "no-pidfd", no_argument, NULL, OPT_NO_PIDFD },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        unsigned types = USERNS_NS_ALL_TYPES, flags = 0;
        const char *target = NULL;
        struct userns_error err = { 0 };
        int c;

        /* Options may come before and after TARGET; the first non-option after it starts COMMAND. */
        for (;;) {
                c = getopt_long(argc, argv, "+t:h", opts, NULL);
                if (c == -1) {
                        if (target || optind >= argc || strcmp(argv[optind - 1], "--") == 0)
                                break;
                        target = argv[optind++];
                        continue;
                }
                switch (c) {
                case 't':
                        if (userns_ns_types_parse(optarg, &types, &err) < 0)
                                return cli_fail(EXIT_USERNS_ERROR, &err, "enter: --types");
                        types |= USERNS_NS_BIT(USERNS_NS_USER);
                        break;
                case OPT_PRESERVE: flags |= USERNS_ENTER_PRESERVE_CREDENTIALS; break;
                case OPT_NO_PIDFD: flags |= USERNS_ENTER_NO_PIDFD; break;
                case 'h': usage(stdout); return 0;
                default:
                        cli_usage_error("enter", "invalid option");
                        return EXIT_USERNS_ERROR;
                }
        }
        if (!target && optind < argc)
                target = argv[optind++];
        if (!target) {
                cli_usage_error("enter", "no TARGET given");
                return EXIT_USERNS_ERROR;
        }
        char *default_cmd[] = { getenv("SHELL") ? getenv("SHELL") : (char *)"/bin/sh", NULL };
        char **cmd = optind < argc ? argv + optind : default_cmd;

        struct userns_ns_set set;
        if (resolve_target(target, types, &set, &err) < 0)
                return cli_fail(EXIT_USERNS_ERROR, &err, "enter %s", target);
        int r = userns_ns_set_join(&set, flags, &err);
        bool fork_needed = userns_ns_set_needs_fork(&set);
        userns_ns_set_close(&set);
        if (r < 0)
                return cli_fail(EXIT_USERNS_ERROR, &err, "enter %s", target);
        if (!fork_needed)
                return exec_command(cmd);
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
                if (errno == ENOMEM)
                        cli_warn("fork into the joined pid namespace: %s (its init process has exited, so it takes no new processes)",
                                 strerror(errno));
                else
                        cli_warn("fork: %s", strerror(errno));
                return EXIT_USERNS_ERROR;
        }
        if (child == 0)
                _exit(exec_command(cmd));
        /* _exit: our pid_for_children is now the joined pid namespace, where exit-time
         * helpers that clone (LeakSanitizer's tracer) could not see us and would hang. */
        int status = wait_child(child);
        fflush(NULL);
        _exit(status);
}
