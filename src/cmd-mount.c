/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns mount: an idmapped bind mount from the command line. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "userns/mount.h"
#include "util/cleanup.h"

static void usage(FILE *f)
{
        fputs("Usage: userns mount [--map MAP | --uid-map MAP --gid-map MAP] [--recursive] [--read-only] SRC DST\n"
              "       userns mount --check [--recursive] PATH\n\n"
              "Bind SRC at DST through an id map: a file stored on disk as ON-DISK is seen\n"
              "through DST as VISIBLE.\n\n"
              "Options:\n"
              "  -m, --map MAP        the uid map and the gid map\n"
              "  -u, --uid-map MAP    the uid map\n"
              "  -g, --gid-map MAP    the gid map\n"
              "  -r, --recursive      include the mounts below SRC\n"
              "      --read-only      make the new mount read-only\n"
              "      --check          only check that PATH's filesystem accepts an idmap\n"
              "  -h, --help           show this help\n\n"
              "MAP: ON-DISK:VISIBLE:COUNT[,...] or kernel lines \"ON-DISK VISIBLE COUNT\", the order of\n"
              "the uid_map of the user namespace attached to the mount.\n"
              "Example: --map 0:100000:65536 shows files stored as 0..65535 as 100000..165535.\n", f);
}

static int parse_map(const char *text, enum userns_idmap_kind kind, const char *opt,
                     struct userns_idmap **out)
{
        struct userns_error err = { 0 };
        userns_idmap_free(*out);
        *out = NULL;
        if (userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, kind, out, &err) < 0)
                return cli_fail(1, &err, "%s '%s'", opt, text);
        return 0;
}

int cmd_mount(int argc, char **argv)
{
        static const struct option options[] = {
                { "map", required_argument, NULL, 'm' },
                { "uid-map", required_argument, NULL, 'u' },
                { "gid-map", required_argument, NULL, 'g' },
                { "recursive", no_argument, NULL, 'r' },
                { "read-only", no_argument, NULL, 'R' },
                { "check", no_argument, NULL, 'C' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_(userns_idmap_freep) struct userns_idmap *uid = NULL, *gid = NULL;
        bool recursive = false, read_only = false, check = false, both = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+m:u:g:rh", options, NULL)) != -1) {
                switch (c) {
                case 'm':
                        if (parse_map(optarg, USERNS_IDMAP_UID, "--map", &uid) ||
                            parse_map(optarg, USERNS_IDMAP_GID, "--map", &gid))
                                return 1;
                        both = true;
                        break;
                case 'u':
                        if (parse_map(optarg, USERNS_IDMAP_UID, "--uid-map", &uid))
                                return 1;
                        break;
                case 'g':
                        if (parse_map(optarg, USERNS_IDMAP_GID, "--gid-map", &gid))
                                return 1;
                        break;
                case 'r': recursive = true; break;
                case 'R': read_only = true; break;
                case 'C': check = true; break;
                case 'h': usage(stdout); return 0;
                default: return cli_usage_error("mount", "invalid option");
                }
        }
        struct userns_error err = { 0 };
        if (check) {
                if (argc - optind != 1)
                        return cli_usage_error("mount", "--check takes one PATH");
                char type[64] = "?";
                if (userns_mount_fs_type(AT_FDCWD, argv[optind], type, sizeof type, NULL, &err) < 0)
                        return cli_fail(1, &err, "checking");
                if (userns_mount_check(AT_FDCWD, argv[optind], recursive, &err) < 0)
                        return cli_fail(1, &err, "cannot idmap");
                printf("%s: %s filesystem accepts idmapped mounts\n", argv[optind], type);
                return 0;
        }
        if (argc - optind != 2)
                return cli_usage_error("mount", "expected SRC and DST");
        if (both && (!uid || !gid))
                return cli_usage_error("mount", "--map was not parsed");
        if (!uid || !gid)
                return cli_usage_error("mount", "give --map MAP, or both --uid-map MAP and --gid-map MAP "
                                       "(the kernel needs both maps)");
        struct userns_mount_opts opts = {
                .uid_map = uid, .gid_map = gid, .recursive = recursive, .read_only = read_only,
        };
        if (userns_mount_bind(argv[optind], argv[optind + 1], &opts, &err) < 0)
                return cli_fail(1, &err, "mount %s at %s", argv[optind], argv[optind + 1]);
        return 0;
}
