/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns rm: release namespaces kept under a name. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "userns/ns-keep.h"

static void usage(FILE *f)
{
        fputs("Usage: userns rm NAME...\n\n"
              "Unmount and remove the namespaces kept under NAME ('userns keep', 'userns run\n"
              "--keep').  A namespace is freed once nothing else uses it.\n\n"
              "  -h, --help   this help\n", f);
}

int cmd_rm(int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c, status = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return 0;
                }
                return cli_usage_error("rm", "invalid option");
        }
        if (optind >= argc)
                return cli_usage_error("rm", "no NAME given");
        char base[4096];
        if (cli_keep_base(base, sizeof base) < 0)
                return cli_fail(1, NULL, "rm: keep directory name too long");
        for (int i = optind; i < argc; i++) {
                struct userns_error err = { 0 };
                if (userns_ns_release(base, argv[i], &err) < 0)
                        status = cli_fail(1, &err, "rm %s", argv[i]);
        }
        return status;
}
