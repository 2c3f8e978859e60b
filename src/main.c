/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns: dispatch to one command per file (cmd-<name>.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
        // [idmap]
        { "map", cmd_map, "check, translate, compose and show id maps" },
        // [ns]
        { "tree", cmd_tree, "show every visible user namespace as a tree, with maps and processes" },
        { "id", cmd_id, "a process's uid, gid and groups at each namespace level" },
        { "enter", cmd_enter, "run a command inside the namespaces of a process or a kept namespace" },
        { "keep", cmd_keep, "keep a process's namespaces alive under a name (bind mounts)" },
        { "rm", cmd_rm, "release namespaces kept under a name" },
        // [run]
        { "run", cmd_run, "run a command in a new user namespace" },
        // [mount]
        { "mount", cmd_mount, "idmapped bind mounts: files on disk seen through an id map" },
        // [fcaps]
        { "fcaps", cmd_fcaps, "file capabilities across namespaces: get, set, rm, convert" },
        // [caps]
        { "caps", cmd_caps, "show capabilities and the user namespaces they reach" },
        { NULL, NULL, NULL },
};

static void usage(FILE *f)
{
        fputs("Usage: userns COMMAND [OPTIONS] [ARGS]\n\n"
              "Linux user namespaces: id maps, running, inspecting, filesystem ids, file capabilities.\n\n"
              "Commands:\n", f);
        for (size_t i = 0; commands[i].name; i++)
                fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
        fputs("\nRun 'userns COMMAND --help' for a command's options; see userns(1).\n", f);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 1;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                printf("userns %s\n", USERNS_VERSION);
                return 0;
        }
        for (size_t i = 0; commands[i].name; i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "userns: unknown command '%s'\nTry 'userns --help'.\n", argv[1]);
        return 1;
}
