/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns caps [PID] [--json]: a process's capabilities and the namespaces they reach. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "userns/caps-view.h"
#include "util/cleanup.h"

/* The initial user namespace's fixed nsfs inode (0xEFFFFFFD). */
#define USERNS_INIT_INO 4026531837ULL

DEFINE_TRIVIAL_CLEANUP_FUNC(struct userns_caps_view *, userns_caps_view_free)

static void usage(FILE *f)
{
        fputs("Usage: userns caps [PID] [--json]\n\n"
              "Show a process's capability sets (effective, permitted, inheritable, bounding, ambient),\n"
              "securebits and no_new_privs, the user namespace its capabilities count in, and over\n"
              "which user namespaces they are effective: its own and its descendants' (the effective\n"
              "set), those its euid created directly below its own (all, the owner rule), none above.\n"
              "Without PID: the userns process itself (e.g. inside 'userns run').\n\n"
              "Options:\n"
              "  -j, --json   print JSON\n"
              "  -h, --help   show this help\n", f);
}

static const char *set_text(uint64_t set, char *buf, size_t size)
{
        if (userns_caps_format(set, buf, size) < 0)
                snprintf(buf, size, "0x%llx", (unsigned long long)set);
        return buf;
}

static const char *reach(const struct userns_caps_view_ns *e)
{
        if (e->is_own)
                return "own namespace: effective set";
        if (e->rule == USERNS_CAP_RULE_OWNER)
                return "owner rule: all";
        if (e->rule == USERNS_CAP_RULE_EFFECTIVE)
                return "descendant: effective set";
        return e->is_ancestor ? "ancestor: none" : "not below: none";
}

static void print_text(const struct userns_caps_view *v)
{
        char b[USERNS_CAPS_TEXT_MAX];
        const struct userns_caps_state *s = &v->state;
        if (v->pid)
                printf("process %d\n", (int)v->pid);
        else
                printf("process %d (self)\n", (int)getpid());
        printf("uid:          %u (effective %u)\n", s->uid[0], s->uid[1]);
        printf("effective:    %s\n", set_text(s->effective, b, sizeof b));
        printf("permitted:    %s\n", set_text(s->permitted, b, sizeof b));
        printf("inheritable:  %s\n", set_text(s->inheritable, b, sizeof b));
        printf("bounding:     %s\n", set_text(s->bounding, b, sizeof b));
        printf("ambient:      %s\n", set_text(s->ambient, b, sizeof b));
        if (s->securebits >= 0) {
                userns_securebits_format((unsigned)s->securebits, b, sizeof b);
                printf("securebits:   %s (0x%x)\n", b, (unsigned)s->securebits);
        } else {
                printf("securebits:   unknown (the kernel shows them only to the process itself)\n");
        }
        printf("no_new_privs: %s\n", s->no_new_privs == 1 ? "yes" : s->no_new_privs == 0 ? "no" : "unknown");
        printf("seccomp:      %s\n", s->seccomp == 2 ? "filter" : s->seccomp == 1 ? "strict" :
                                       s->seccomp == 0 ? "off" : "unknown");
        printf("user-namespace capability set (kernel): %s\n",
               v->native ? "supported" : "not supported by this kernel (prctl 48: EINVAL)");
        printf("capabilities count in user:[%llu]\n", (unsigned long long)v->ns_ino);
        printf("  effective set over user:[%llu] and every user namespace below it\n",
               (unsigned long long)v->ns_ino);
        printf("  none over its ancestors");
        size_t anc = 0;
        for (size_t i = 0; i < v->n; i++)
                if (v->ns[i].is_ancestor && ++anc)
                        printf(" user:[%llu]", (unsigned long long)v->ns[i].ino);
        if (!anc && v->ns_ino != USERNS_INIT_INO)
                printf(" (not visible from here)");
        printf("\n  owner rule: all capabilities in a child of user:[%llu] created with euid %u, and below it\n",
               (unsigned long long)v->ns_ino, s->uid[1]);
        printf("\n%-22s %5s %10s  %s\n", "NAMESPACE", "LEVEL", "OWNER", "CAPABILITIES");
        for (size_t i = 0; i < v->n; i++) {
                const struct userns_caps_view_ns *e = &v->ns[i];
                char name[48], owner[16];
                snprintf(name, sizeof name, "user:[%llu]", (unsigned long long)e->ino);
                snprintf(owner, sizeof owner, e->owner == UINT32_MAX ? "?" : "%u", e->owner);
                printf("%-22s %5u %10s  %s", name, e->level, owner, reach(e));
                if (e->caps && e->rule == USERNS_CAP_RULE_EFFECTIVE && !e->is_own)
                        printf(" (%s)", set_text(e->caps, b, sizeof b));
                putchar('\n');
        }
}

static void json_set(struct cli_json *j, const char *key, uint64_t set)
{
        char b[USERNS_CAPS_TEXT_MAX];
        cli_json_key(j, key);
        cli_json_begin_array(j);
        for (unsigned c = 0; c < 64; c++)
                if (set & (UINT64_C(1) << c))
                        cli_json_string(j, userns_cap_name(c, b, sizeof b));
        cli_json_end_array(j);
}

static void print_json(const struct userns_caps_view *v)
{
        struct cli_json j;
        char b[USERNS_CAPS_TEXT_MAX];
        const struct userns_caps_state *s = &v->state;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "pid");
        cli_json_int(&j, v->pid ? v->pid : getpid());
        cli_json_key(&j, "uid");
        cli_json_uint(&j, s->uid[0]);
        cli_json_key(&j, "euid");
        cli_json_uint(&j, s->uid[1]);
        json_set(&j, "effective", s->effective);
        json_set(&j, "permitted", s->permitted);
        json_set(&j, "inheritable", s->inheritable);
        json_set(&j, "bounding", s->bounding);
        json_set(&j, "ambient", s->ambient);
        cli_json_key(&j, "securebits");
        if (s->securebits >= 0)
                cli_json_uint(&j, (unsigned)s->securebits);
        else
                cli_json_null(&j);
        cli_json_key(&j, "securebits_names");
        if (s->securebits >= 0) {
                cli_json_begin_array(&j);
                for (unsigned i = 0; i < 12; i++)
                        if (s->securebits & (1 << i)) {
                                userns_securebits_format(1u << i, b, sizeof b);
                                cli_json_string(&j, b);
                        }
                cli_json_end_array(&j);
        } else {
                cli_json_null(&j);
        }
        cli_json_key(&j, "no_new_privs");
        if (s->no_new_privs >= 0)
                cli_json_bool(&j, s->no_new_privs == 1);
        else
                cli_json_null(&j);
        cli_json_key(&j, "seccomp");
        cli_json_int(&j, s->seccomp);
        cli_json_key(&j, "native_userns_caps");
        cli_json_bool(&j, v->native);
        cli_json_key(&j, "user_namespace");
        cli_json_uint(&j, v->ns_ino);
        cli_json_key(&j, "namespaces");
        cli_json_begin_array(&j);
        for (size_t i = 0; i < v->n; i++) {
                const struct userns_caps_view_ns *e = &v->ns[i];
                cli_json_begin_object(&j);
                cli_json_key(&j, "ino");
                cli_json_uint(&j, e->ino);
                cli_json_key(&j, "parent");
                if (e->parent_ino)
                        cli_json_uint(&j, e->parent_ino);
                else
                        cli_json_null(&j);
                cli_json_key(&j, "level");
                cli_json_uint(&j, e->level);
                cli_json_key(&j, "owner");
                if (e->owner != UINT32_MAX)
                        cli_json_uint(&j, e->owner);
                else
                        cli_json_null(&j);
                cli_json_key(&j, "relation");
                cli_json_string(&j, e->is_own ? "own" : e->is_ancestor ? "ancestor" :
                                    e->rule == USERNS_CAP_RULE_NOT_BELOW ? "other" : "descendant");
                cli_json_key(&j, "rule");
                cli_json_string(&j, userns_cap_rule_name(e->rule));
                json_set(&j, "capabilities", e->caps);
                cli_json_end_object(&j);
        }
        cli_json_end_array(&j);
        cli_json_end_object(&j);
        cli_json_end(&j);
}

int cmd_caps(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        bool json = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return cli_usage_error("caps", "unknown option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("caps", "too many arguments");
        uint32_t pid = 0;
        if (optind < argc && (cli_parse_u32(argv[optind], &pid, false) < 0 || pid == 0 || pid > INT32_MAX))
                return cli_usage_error("caps", "'%s' is not a process id", argv[optind]);
        struct userns_error err = { 0 };
        _cleanup_(userns_caps_view_freep) struct userns_caps_view *v = NULL;
        if (userns_caps_view_new((pid_t)pid, &v, &err) < 0)
                return cli_fail(1, &err, "caps %s", optind < argc ? argv[optind] : "self");
        if (json)
                print_json(v);
        else
                print_text(v);
        return 0;
}
