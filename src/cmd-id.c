/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns id: a process's ids at each level, from its own user namespace up to ours. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "userns/ns-id.h"

static void usage(FILE *f)
{
        fputs("Usage: userns id [--json] [PID]\n\n"
              "One line per user namespace level, from the process's own namespace (UP 0)\n"
              "up to yours: its uid, gid and supplementary groups as that namespace sees\n"
              "them.  Ids with no mapping at a level show as the kernel shows them (65534)\n"
              "and are marked unmapped.  PID defaults to userns itself.\n\n"
              "  -J, --json   one JSON document\n"
              "  -h, --help   this help\n", f);
}

static void value_text(const struct userns_id_level *l, const struct userns_id_value *v, char *buf, size_t size)
{
        if (!l->known)
                snprintf(buf, size, "?");
        else
                snprintf(buf, size, "%u%s", v->id, v->mapped ? "" : "(unmapped)");
}

static void json_value(struct cli_json *j, const char *key, const struct userns_id_level *l,
                       const struct userns_id_value *v)
{
        cli_json_key(j, key);
        cli_json_begin_object(j);
        cli_json_key(j, "id");
        if (l->known)
                cli_json_uint(j, v->id);
        else
                cli_json_null(j);
        cli_json_key(j, "mapped");
        if (l->known)
                cli_json_bool(j, v->mapped);
        else
                cli_json_null(j);
        cli_json_end_object(j);
}

static void print_json(const struct userns_id_report *rep)
{
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "pid");
        cli_json_int(&j, rep->pid);
        cli_json_key(&j, "levels");
        cli_json_begin_array(&j);
        for (size_t i = 0; i < rep->n_levels; i++) {
                const struct userns_id_level *l = &rep->levels[i];
                cli_json_begin_object(&j);
                cli_json_key(&j, "up");
                cli_json_uint(&j, l->up);
                cli_json_key(&j, "ns");
                cli_json_uint(&j, l->ns.ino);
                cli_json_key(&j, "known");
                cli_json_bool(&j, l->known);
                json_value(&j, "uid", l, &l->uid);
                json_value(&j, "gid", l, &l->gid);
                cli_json_key(&j, "groups");
                cli_json_begin_array(&j);
                for (size_t g = 0; l->known && g < l->n_groups; g++) {
                        cli_json_begin_object(&j);
                        cli_json_key(&j, "id");
                        cli_json_uint(&j, l->groups[g].id);
                        cli_json_key(&j, "mapped");
                        cli_json_bool(&j, l->groups[g].mapped);
                        cli_json_end_object(&j);
                }
                cli_json_end_array(&j);
                cli_json_end_object(&j);
        }
        cli_json_end_array(&j);
        cli_json_key(&j, "note");
        cli_json_string(&j, rep->note);
        cli_json_end_object(&j);
        cli_json_end(&j);
}

static void print_text(const struct userns_id_report *rep)
{
        printf("%-3s %-20s %-16s %-16s %s\n", "UP", "USERNS", "UID", "GID", "GROUPS");
        for (size_t i = 0; i < rep->n_levels; i++) {
                const struct userns_id_level *l = &rep->levels[i];
                char ns[48], u[32], g[32];
                snprintf(ns, sizeof ns, "user:[%llu]", (unsigned long long)l->ns.ino);
                value_text(l, &l->uid, u, sizeof u);
                value_text(l, &l->gid, g, sizeof g);
                printf("%-3zu %-20s %-16s %-16s", l->up, ns, u, g);
                for (size_t k = 0; k < l->n_groups; k++) {
                        char gr[32];
                        value_text(l, &l->groups[k], gr, sizeof gr);
                        printf("%s%s", k ? "," : "", gr);
                }
                putchar('\n');
        }
        if (rep->note)
                printf("note: %s\n", rep->note);
}

int cmd_id(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "Jh", opts, NULL)) != -1) {
                switch (c) {
                case 'J': json = true; break;
                case 'h': usage(stdout); return 0;
                default: return cli_usage_error("id", "invalid option");
                }
        }
        uint32_t pid = 0;
        if (optind < argc && (cli_parse_u32(argv[optind], &pid, false) < 0 || pid == 0 || pid > INT32_MAX))
                return cli_usage_error("id", "'%s' is not a process id", argv[optind]);
        if (optind + 1 < argc)
                return cli_usage_error("id", "unexpected argument '%s'", argv[optind + 1]);

        struct userns_error err = { 0 };
        struct userns_id_report *rep = NULL;
        if (userns_id_scan((int)pid, &rep, &err) < 0)
                return cli_fail(1, &err, "id");
        if (json)
                print_json(rep);
        else
                print_text(rep);
        userns_id_report_free(rep);
        return 0;
}
