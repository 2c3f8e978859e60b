/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns map: check, translate, compose and show id maps (show lives in cmd-map-show.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "userns/idmap.h"
#include "util/cleanup.h"

static void map_usage(FILE *f)
{
        fputs("Usage: userns map [SUBCOMMAND] [OPTIONS] [ARGS]\n\n"
              "Check, translate, compose and show user-namespace id maps with the kernel's rules.\n\n"
              "Subcommands:\n"
              "  check [--kind uid|gid|projid] [--parent FILE] [FILE]\n"
              "                         would the kernel accept this write to uid_map? (exit 0/1)\n"
              "  translate --map MAP [--up] ID...\n"
              "                         where each id lands (down: inside -> outside; --up: back)\n"
              "  compose MAP1 MAP2      MAP1 (a child's map) seen below MAP2 (its parent's map)\n"
              "  show [PID]             a process's maps, as the caller sees them and relative\n"
              "                         to the parent namespace (default: this process)\n\n"
              "With no subcommand, shows the caller's own maps.\n"
              "MAP is map text in any form: kernel lines (\"0 100000 65536\"), compact\n"
              "(\"0:100000:65536,65536:1000:1\") or OCI JSON ([{\"containerID\":0,...}]), or @FILE.\n"
              "Every listing takes --json.  See userns-map(1).\n", f);
}

int cli_map_kind(const char *s, enum userns_idmap_kind *kind)
{
        if (strcmp(s, "uid") == 0 || strcmp(s, "uid_map") == 0)
                *kind = USERNS_IDMAP_UID;
        else if (strcmp(s, "gid") == 0 || strcmp(s, "gid_map") == 0)
                *kind = USERNS_IDMAP_GID;
        else if (strcmp(s, "projid") == 0 || strcmp(s, "projid_map") == 0)
                *kind = USERNS_IDMAP_PROJID;
        else
                return -EINVAL;
        return 0;
}

/* --kind KIND for any subcommand: 0, or -EINVAL after the usage message. */
static int kind_option(const char *cmd, const char *arg, enum userns_idmap_kind *kind)
{
        if (cli_map_kind(arg, kind) == 0)
                return 0;
        cli_usage_error(cmd, "--kind: expected uid, gid or projid, not '%s'", arg);
        return -EINVAL;
}

static int parse_format(const char *s, enum userns_idmap_format *f)
{
        if (strcmp(s, "kernel") == 0)
                *f = USERNS_IDMAP_FORMAT_KERNEL;
        else if (strcmp(s, "compact") == 0)
                *f = USERNS_IDMAP_FORMAT_COMPACT;
        else if (strcmp(s, "oci") == 0)
                *f = USERNS_IDMAP_FORMAT_OCI;
        else
                return -EINVAL;
        return 0;
}

/* MAP argument: text in any form, or @FILE. */
static int load_map(const char *arg, enum userns_idmap_kind kind, struct userns_idmap **out,
                    struct userns_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        if (arg[0] == '@') {
                int r = cli_read_file(arg + 1, &buf, &len, err);
                if (r < 0)
                        return r;
                return userns_idmap_parse(buf, len, USERNS_IDMAP_FORMAT_AUTO, kind, out, err);
        }
        return userns_idmap_parse(arg, strlen(arg), USERNS_IDMAP_FORMAT_AUTO, kind, out, err);
}

static const char *errno_name(int e)
{
        return e == EINVAL ? "EINVAL" : e == EPERM ? "EPERM" : e == ENOMEM ? "ENOMEM" : "error";
}

/* --- check --- */

/* "UID" or "UID:GID" (GID defaults to UID). */
static int parse_ids(const char *s, uint32_t *uid, uint32_t *gid)
{
        char u[16];
        const char *colon = strchr(s, ':');
        size_t n = colon ? (size_t)(colon - s) : strlen(s);
        if (n == 0 || n >= sizeof u)
                return -EINVAL;
        memcpy(u, s, n);
        u[n] = '\0';
        if (cli_parse_u32(u, uid, false) < 0)
                return -EINVAL;
        if (!colon) {
                *gid = *uid;
                return 0;
        }
        return cli_parse_u32(colon + 1, gid, false);
}

static int map_check(int argc, char **argv)
{
        static const struct option opts[] = {
                { "kind", required_argument, NULL, 'k' },
                { "parent", required_argument, NULL, 'p' },
                { "unprivileged", optional_argument, NULL, 'U' },
                { "setgroups-deny", no_argument, NULL, 'D' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        enum userns_idmap_kind kind = USERNS_IDMAP_UID;
        const char *parent_file = NULL;
        bool json = false, unpriv = false;
        /* --unprivileged: the owner writes its own new namespace's map from inside it, no capability
         * in the parent (what unshare -U followed by a write to /proc/self/uid_map does). */
        struct userns_map_writer w = { .euid = (uint32_t)geteuid(), .egid = (uint32_t)getegid(),
                                       .opener_in_target = true, .owns_target = true,
                                       .opener_cap_sys_admin_target = true };
        int c;
        while ((c = getopt_long(argc, argv, "k:p:U::Djh", opts, NULL)) != -1) {
                switch (c) {
                case 'U':
                        unpriv = true;
                        if (optarg && parse_ids(optarg, &w.euid, &w.egid) < 0)
                                return cli_usage_error("map check", "--unprivileged: expected UID[:GID], not '%s'",
                                                       optarg);
                        break;
                case 'D': w.setgroups_denied = true; break;
                case 'k':
                        if (kind_option("map check", optarg, &kind) < 0)
                                return 1;
                        break;
                case 'p': parent_file = optarg; break;
                case 'j': json = true; break;
                case 'h':
                        fputs("Usage: userns map check [--kind uid|gid|projid] [--parent FILE] [--unprivileged[=UID[:GID]]\n"
                              "                        [--setgroups-deny] [--json] [FILE]\n\n"
                              "Read map text from FILE (or standard input): the exact bytes one would write to\n"
                              "/proc/PID/uid_map.  Exit 0 if the kernel would accept that write to a new\n"
                              "namespace from a writer with CAP_SETUID/CAP_SETGID in the parent, 1 with the\n"
                              "reason on stderr if not (size, parsing, per-extent rules: EINVAL; outside\n"
                              "ranges not inside one parent extent: EPERM).\n\n"
                              "  -k, --kind KIND    uid (default), gid or projid: names the map in messages\n"
                              "  -p, --parent FILE  the parent namespace's map as its own uid_map reads\n"
                              "                     (default: the initial namespace, 0 0 4294967295)\n"
                              "  -U, --unprivileged[=UID[:GID]]\n"
                              "                     the writer has no capability in the parent: it owns the\n"
                              "                     new namespace and writes its map from inside (default ids:\n"
                              "                     the caller's); only a single id of its own is allowed\n"
                              "  -D, --setgroups-deny  with --unprivileged: setgroups was set to deny first\n"
                              "  -j, --json         print the verdict as JSON on stdout\n", stdout);
                        return 0;
                default:
                        return cli_usage_error("map check", "unknown option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("map check", "at most one FILE");
        const char *file = optind < argc ? argv[optind] : NULL;
        struct userns_error err = { 0 };
        _cleanup_(userns_idmap_freep) struct userns_idmap *parent = NULL, *map = NULL;
        _cleanup_free_ char *buf = NULL, *pbuf = NULL;
        size_t len, plen;
        if (parent_file) {
                if (cli_read_file(parent_file, &pbuf, &plen, &err) < 0)
                        return cli_fail(1, &err, "map check: --parent");
                /* /proc's own format first (any length, unmapped lines kept); else any map form. */
                if (userns_idmap_parse_proc(pbuf, kind, &parent, NULL) < 0 &&
                    userns_idmap_parse(pbuf, plen, USERNS_IDMAP_FORMAT_AUTO, kind, &parent, &err) < 0)
                        return cli_fail(1, &err, "map check: parent map %s", parent_file);
        }
        if (cli_read_file(file, &buf, &len, &err) < 0)
                return cli_fail(1, &err, "map check");
        int r = userns_idmap_check_write_by(buf, len, kind, parent, unpriv ? &w : NULL, &map, &err);
        if (json) {
                struct cli_json j;
                cli_json_init(&j, stdout);
                cli_json_begin_object(&j);
                cli_json_key(&j, "kind");
                cli_json_string(&j, userns_idmap_kind_name(kind));
                cli_json_key(&j, "accepted");
                cli_json_bool(&j, r == 0);
                cli_json_key(&j, "errno");
                if (r < 0)
                        cli_json_string(&j, errno_name(-r));
                else
                        cli_json_null(&j);
                cli_json_key(&j, "message");
                cli_json_string(&j, r < 0 ? err.message : NULL);
                cli_json_key(&j, "extents");
                if (r == 0)
                        cli_json_idmap(&j, map);
                else
                        cli_json_null(&j);
                cli_json_end_object(&j);
                cli_json_end(&j);
        }
        if (r < 0) {
                fprintf(stderr, "userns: map check: %s (%s)\n", err.message, errno_name(-r));
                return 1;
        }
        if (!json)
                printf("%s: the kernel would accept this write (%zu extent%s)\n", userns_idmap_kind_name(kind),
                       userns_idmap_count(map), userns_idmap_count(map) == 1 ? "" : "s");
        return 0;
}

/* --- translate --- */

static int map_translate(int argc, char **argv)
{
        static const struct option opts[] = {
                { "map", required_argument, NULL, 'm' },
                { "up", no_argument, NULL, 'u' },
                { "kind", required_argument, NULL, 'k' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *maparg = NULL;
        bool up = false, json = false;
        enum userns_idmap_kind kind = USERNS_IDMAP_UID;
        int c;
        while ((c = getopt_long(argc, argv, "m:uk:jh", opts, NULL)) != -1) {
                switch (c) {
                case 'm': maparg = optarg; break;
                case 'u': up = true; break;
                case 'k':
                        if (kind_option("map translate", optarg, &kind) < 0)
                                return 1;
                        break;
                case 'j': json = true; break;
                case 'h':
                        fputs("Usage: userns map translate --map MAP [--up] [--json] ID...\n\n"
                              "Print where each id lands, as the kernel computes it.  Down (default): an\n"
                              "inside id to the outside (make_kuid); an unmapped id is an error, as the\n"
                              "kernel refuses it (exit 1).  --up: an outside id to the inside (from_kuid_munged);\n"
                              "an unmapped id shows as the overflow id 65534, as getuid() and stat() show it.\n\n"
                              "  -m, --map MAP   the map: kernel lines, compact, OCI JSON, or @FILE\n"
                              "  -u, --up        translate outside ids to inside ids\n"
                              "  -k, --kind KIND uid (default), gid or projid\n"
                              "  -j, --json      print [{\"id\":...,\"result\":...,\"mapped\":...}]\n", stdout);
                        return 0;
                default:
                        return cli_usage_error("map translate", "unknown option");
                }
        }
        if (!maparg)
                return cli_usage_error("map translate", "--map MAP is required");
        if (optind >= argc)
                return cli_usage_error("map translate", "no ID given");
        struct userns_error err = { 0 };
        _cleanup_(userns_idmap_freep) struct userns_idmap *map = NULL;
        if (load_map(maparg, kind, &map, &err) < 0)
                return cli_fail(1, &err, "map translate: --map");
        int status = 0;
        struct cli_json j;
        if (json) {
                cli_json_init(&j, stdout);
                cli_json_begin_array(&j);
        }
        for (int i = optind; i < argc; i++) {
                uint32_t id;
                if (cli_parse_u32(argv[i], &id, false) < 0) {
                        cli_warn("map translate: '%s': not an id (0..4294967294)", argv[i]);
                        status = 1;
                        continue;
                }
                uint32_t r = up ? userns_idmap_up(map, id) : userns_idmap_down(map, id);
                bool mapped = r != USERNS_ID_INVALID;
                uint32_t shown = !mapped && up ? USERNS_OVERFLOW_ID : r;
                if (!mapped && !up) {
                        cli_warn("map translate: inside id %u is not mapped (the kernel refuses it: "
                                 "make_kuid() gives INVALID_UID)", id);
                        status = 1;
                }
                if (json) {
                        cli_json_begin_object(&j);
                        cli_json_key(&j, "id");
                        cli_json_uint(&j, id);
                        cli_json_key(&j, "result");
                        if (mapped || up)
                                cli_json_uint(&j, shown);
                        else
                                cli_json_null(&j);
                        cli_json_key(&j, "mapped");
                        cli_json_bool(&j, mapped);
                        cli_json_end_object(&j);
                } else if (mapped || up) {
                        printf("%u\n", shown);
                }
        }
        if (json) {
                cli_json_end_array(&j);
                cli_json_end(&j);
        }
        return status;
}

/* --- compose --- */

static uint64_t covered(const struct userns_idmap *m)
{
        uint64_t n = 0;
        for (size_t i = 0; i < userns_idmap_count(m); i++)
                n += userns_idmap_extent(m, i)->count;
        return n;
}

static int map_print(const struct userns_idmap *m, enum userns_idmap_format f, struct userns_error *err)
{
        _cleanup_free_ char *s = NULL;
        int r = userns_idmap_format(m, f, &s, err);
        if (r < 0)
                return r;
        fputs(s, stdout);
        if (f != USERNS_IDMAP_FORMAT_KERNEL)
                putchar('\n');
        return 0;
}

static int map_compose(int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "kind", required_argument, NULL, 'k' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        enum userns_idmap_format f = USERNS_IDMAP_FORMAT_KERNEL;
        enum userns_idmap_kind kind = USERNS_IDMAP_UID;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "f:k:jh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        if (parse_format(optarg, &f) < 0)
                                return cli_usage_error("map compose", "--format: expected kernel, compact or "
                                                       "oci, not '%s'", optarg);
                        break;
                case 'k':
                        if (kind_option("map compose", optarg, &kind) < 0)
                                return 1;
                        break;
                case 'j': json = true; break;
                case 'h':
                        fputs("Usage: userns map compose [--format kernel|compact|oci] [--json] MAP1 MAP2\n\n"
                              "MAP1 is a nested namespace's map (outside ids are ids of its parent), MAP2 the\n"
                              "parent's map.  Print MAP1 with its outside ids taken through MAP2: what the\n"
                              "nested namespace's ids are one level further out (on the host when MAP2 is\n"
                              "relative to the host).  Extents spanning several MAP2 extents are split; ids\n"
                              "MAP2 does not map are dropped, with a warning.\n\n"
                              "  -f, --format FORM  kernel lines (default), compact or oci\n"
                              "  -j, --json         print [{\"first\":...,\"lower_first\":...,\"count\":...}]\n",
                              stdout);
                        return 0;
                default:
                        return cli_usage_error("map compose", "unknown option");
                }
        }
        if (argc - optind != 2)
                return cli_usage_error("map compose", "expected two maps: MAP1 (child) MAP2 (parent)");
        struct userns_error err = { 0 };
        _cleanup_(userns_idmap_freep) struct userns_idmap *child = NULL, *parent = NULL, *out = NULL;
        if (load_map(argv[optind], kind, &child, &err) < 0)
                return cli_fail(1, &err, "map compose: MAP1");
        if (load_map(argv[optind + 1], kind, &parent, &err) < 0)
                return cli_fail(1, &err, "map compose: MAP2");
        if (userns_idmap_compose(child, parent, &out, &err) < 0)
                return cli_fail(1, &err, "map compose");
        uint64_t lost = covered(child) - covered(out);
        if (lost)
                cli_warn("map compose: %llu id%s of MAP1 %s not mapped by MAP2 and %s dropped",
                         (unsigned long long)lost, lost == 1 ? "" : "s", lost == 1 ? "is" : "are",
                         lost == 1 ? "was" : "were");
        if (json) {
                struct cli_json j;
                cli_json_init(&j, stdout);
                cli_json_idmap(&j, out);
                cli_json_end(&j);
                return 0;
        }
        if (map_print(out, f, &err) < 0)
                return cli_fail(1, &err, "map compose");
        return 0;
}

int cmd_map(int argc, char **argv)
{
        if (argc < 2)
                return cmd_map_show(argc, argv);
        const char *sub = argv[1];
        if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
                map_usage(stdout);
                return 0;
        }
        if (strcmp(sub, "check") == 0)
                return map_check(argc - 1, argv + 1);
        if (strcmp(sub, "translate") == 0)
                return map_translate(argc - 1, argv + 1);
        if (strcmp(sub, "compose") == 0)
                return map_compose(argc - 1, argv + 1);
        if (strcmp(sub, "show") == 0)
                return cmd_map_show(argc - 1, argv + 1);
        if (sub[0] == '-')      /* "userns map --json": options of the default (show) */
                return cmd_map_show(argc, argv);
        fprintf(stderr, "userns map: unknown subcommand '%s'\nTry 'userns map --help'.\n", sub);
        return 1;
}
