/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns keep: keep a process's namespaces alive under a name (nsfs bind mounts). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "userns/ns.h"

static void usage(FILE *f)
{
        fputs("Usage: userns keep [--types LIST] PID NAME\n\n"
              "Bind-mount the user namespace of PID and the namespaces it owns that PID is in\n"
              "under the keep directory (/run/userns/NAME for root, $XDG_RUNTIME_DIR/userns/NAME\n"
              "otherwise, $USERNS_KEEP_DIR if set), so they outlive PID.  'userns enter NAME'\n"
              "joins them, 'userns tree' shows them, 'userns rm NAME' releases them.\n"
              "Needs CAP_SYS_ADMIN over the current mount namespace.  A pid namespace is never\n"
              "kept: it takes no new processes once its init has exited.\n\n"
              "  -t, --types LIST   only these types (user is always kept; default all)\n"
              "  -h, --help         this help\n", f);
}

int cmd_keep(int argc, char **argv)
{
        static const struct option opts[] = {
                { "types", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct userns_error err = { 0 };
        unsigned types = USERNS_NS_ALL_TYPES;
        int c;
        while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        if (userns_ns_types_parse(optarg, &types, &err) < 0)
                                return cli_fail(1, &err, "keep: --types");
                        break;
                case 'h': usage(stdout); return 0;
                default: return cli_usage_error("keep", "invalid option");
                }
        }
        if (argc - optind != 2)
                return cli_usage_error("keep", "expected PID and NAME");
        uint32_t pid;
        if (cli_parse_u32(argv[optind], &pid, false) < 0 || pid == 0 || pid > INT32_MAX)
                return cli_usage_error("keep", "'%s' is not a process id", argv[optind]);
        if (cli_keep_pid((int)pid, argv[optind + 1], types, &err) < 0)
                return cli_fail(1, &err, "keep %s", argv[optind + 1]);
        return 0;
}
