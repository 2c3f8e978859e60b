/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns tree: every visible user namespace, from the initial one down. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "userns/ns-tree.h"
#include "util/cleanup.h"

#define MAX_SHOWN_PROCS 6

static void usage(FILE *f)
{
        fputs("Usage: userns tree [--json] [--all-types]\n\n"
              "Show every user namespace the caller can see as a tree: nsfs inode, depth,\n"
              "owner, uid/gid maps relative to the parent, setgroups, member processes and\n"
              "what else holds it (open fds, bind mounts).\n\n"
              "  -J, --json        one JSON document\n"
              "  -a, --all-types   also list the other namespaces each user namespace owns\n"
              "  -h, --help        this help\n", f);
}

static const char *user_name(uint32_t uid, char *buf, size_t size)
{
        struct passwd pw, *res = NULL;
        char tmp[1024];
        if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
                snprintf(buf, size, "%s", res->pw_name);
        else
                buf[0] = '\0';
        return buf[0] ? buf : NULL;
}

static char *map_text(const struct userns_idmap *m)
{
        char *s = NULL;
        if (!m)
                return strdup("?");
        if (userns_idmap_count(m) == 0)
                return strdup("(unwritten)");
        if (userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL) < 0)
                return strdup("?");
        return s;
}

static const char *setgroups_text(int v)
{
        return v == 1 ? "allow" : v == 0 ? "deny" : NULL;
}

/* --- JSON --- */

static void json_uint_or_null(struct cli_json *j, const char *key, bool known, uint64_t v)
{
        cli_json_key(j, key);
        if (known)
                cli_json_uint(j, v);
        else
                cli_json_null(j);
}

static void json_map(struct cli_json *j, const char *key, const struct userns_idmap *m)
{
        cli_json_key(j, key);
        if (!m) {
                cli_json_null(j);
                return;
        }
        cli_json_idmap(j, m);
}

static void json_node(struct cli_json *j, const struct userns_ns_tree *t, size_t i, bool all_types)
{
        const struct userns_ns_node *n = &t->nodes[i];
        char name[256];
        cli_json_begin_object(j);
        cli_json_key(j, "ns");
        cli_json_uint(j, n->id.ino);
        json_uint_or_null(j, "parent", n->parent != USERNS_NS_NO_PARENT,
                          n->parent != USERNS_NS_NO_PARENT ? t->nodes[n->parent].id.ino : 0);
        json_uint_or_null(j, "depth", n->depth >= 0 && !n->parent_unreachable, (uint64_t)n->depth);
        cli_json_key(j, "initial");
        cli_json_bool(j, n->initial);
        cli_json_key(j, "caller");
        cli_json_bool(j, n->caller);
        json_uint_or_null(j, "owner_uid", n->owner_known, n->owner_uid);
        cli_json_key(j, "owner_user");
        cli_json_string(j, n->owner_known ? user_name(n->owner_uid, name, sizeof name) : NULL);
        json_uint_or_null(j, "owner_uid_in_parent", n->owner_uid_parent != USERNS_ID_INVALID, n->owner_uid_parent);
        json_map(j, "uid_map", n->maps.uid);
        json_map(j, "gid_map", n->maps.gid);
        cli_json_key(j, "maps_exact");
        cli_json_bool(j, n->maps_exact);
        cli_json_key(j, "maps_error");
        cli_json_string(j, n->maps.uid ? NULL : n->maps_error);
        json_map(j, "uid_map_from_caller", n->uid_map_caller);
        json_map(j, "gid_map_from_caller", n->gid_map_caller);
        cli_json_key(j, "setgroups");
        cli_json_string(j, setgroups_text(n->maps.setgroups));
        cli_json_key(j, "processes");
        cli_json_begin_array(j);
        for (size_t k = 0; k < n->n_members; k++) {
                cli_json_begin_object(j);
                cli_json_key(j, "pid");
                cli_json_int(j, n->members[k].pid);
                cli_json_key(j, "comm");
                cli_json_string(j, n->members[k].comm);
                cli_json_end_object(j);
        }
        cli_json_end_array(j);
        cli_json_key(j, "held_by");
        cli_json_begin_array(j);
        for (size_t k = 0; k < n->n_holders; k++)
                cli_json_string(j, n->holders[k]);
        cli_json_end_array(j);
        cli_json_key(j, "children");
        cli_json_begin_array(j);
        for (size_t c = 0; c < t->n_nodes; c++)
                if (t->nodes[c].parent == i)
                        cli_json_uint(j, t->nodes[c].id.ino);
        cli_json_end_array(j);
        if (all_types) {
                cli_json_key(j, "owns");
                cli_json_begin_array(j);
                for (size_t k = 0; k < n->n_owned; k++) {
                        cli_json_begin_object(j);
                        cli_json_key(j, "type");
                        cli_json_string(j, userns_ns_type_name(n->owned[k].type));
                        cli_json_key(j, "ns");
                        cli_json_uint(j, n->owned[k].ino);
                        cli_json_end_object(j);
                }
                cli_json_end_array(j);
        }
        cli_json_end_object(j);
}

/* Depth-first order, so the JSON list reads like the tree. */
static void json_walk(struct cli_json *j, const struct userns_ns_tree *t, size_t i, bool all_types)
{
        json_node(j, t, i, all_types);
        for (size_t c = 0; c < t->n_nodes; c++)
                if (t->nodes[c].parent == i)
                        json_walk(j, t, c, all_types);
}

static void print_json(const struct userns_ns_tree *t, bool all_types)
{
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "namespaces");
        cli_json_begin_array(&j);
        for (size_t i = 0; i < t->n_nodes; i++)
                if (t->nodes[i].parent == USERNS_NS_NO_PARENT)
                        json_walk(&j, t, i, all_types);
        cli_json_end_array(&j);
        cli_json_key(&j, "notes");
        cli_json_begin_array(&j);
        for (size_t i = 0; i < t->n_notes; i++)
                cli_json_string(&j, t->notes[i]);
        cli_json_end_array(&j);
        cli_json_end_object(&j);
        cli_json_end(&j);
}

/* --- text --- */

struct style {
        const char *branch, *last, *pipe, *blank;
};
static const struct style utf8 = { "├── ", "└── ", "│   ", "    " };
static const struct style ascii = { "|-- ", "`-- ", "|   ", "    " };

static bool has_children(const struct userns_ns_tree *t, size_t i)
{
        for (size_t c = 0; c < t->n_nodes; c++)
                if (t->nodes[c].parent == i)
                        return true;
        return false;
}

static void print_node(const struct userns_ns_tree *t, size_t i, const char *prefix, bool last,
                       bool root, bool all_types, const struct style *st)
{
        const struct userns_ns_node *n = &t->nodes[i];
        char name[256], child_prefix[1024], detail[1100];
        snprintf(child_prefix, sizeof child_prefix, "%s%s", prefix, root ? "" : last ? st->blank : st->pipe);
        snprintf(detail, sizeof detail, "%s%s", child_prefix, has_children(t, i) ? st->pipe : st->blank);

        printf("%s%suser:[%llu]", prefix, root ? "" : last ? st->last : st->branch,
               (unsigned long long)n->id.ino);
        if (n->depth >= 0 && !n->parent_unreachable)
                printf(" depth %d", n->depth);
        if (n->owner_known) {
                const char *u = user_name(n->owner_uid, name, sizeof name);
                printf(", owner %s%s%u%s", u ? u : "", u ? " (" : "", n->owner_uid, u ? ")" : "");
                if (n->owner_uid_parent != USERNS_ID_INVALID && n->owner_uid_parent != n->owner_uid)
                        printf(" (%u in its parent)", n->owner_uid_parent);
        }
        if (setgroups_text(n->maps.setgroups))
                printf(", setgroups %s", setgroups_text(n->maps.setgroups));
        if (n->initial)
                printf(" [initial]");
        if (n->caller)
                printf(" [yours]");
        putchar('\n');

        if (n->maps.uid) {
                _cleanup_free_ char *u = map_text(n->maps.uid), *g = map_text(n->maps.gid);
                printf("%suid %s  gid %s\n", detail, u, g);
                if (!n->initial && !n->caller && n->parent != USERNS_NS_NO_PARENT &&
                    !t->nodes[n->parent].caller && n->uid_map_caller) {
                        _cleanup_free_ char *uc = map_text(n->uid_map_caller), *gc = map_text(n->gid_map_caller);
                        printf("%s  seen from yours: uid %s  gid %s\n", detail, uc, gc);
                }
        } else
                printf("%smaps unknown: %s\n", detail, n->maps_error ? n->maps_error : "?");
        if (n->n_members) {
                printf("%s%zu process%s:", detail, n->n_members, n->n_members == 1 ? "" : "es");
                for (size_t k = 0; k < n->n_members && k < MAX_SHOWN_PROCS; k++)
                        printf(" %d %s%s", n->members[k].pid, n->members[k].comm,
                               k + 1 < n->n_members && k + 1 < MAX_SHOWN_PROCS ? "," : "");
                if (n->n_members > MAX_SHOWN_PROCS)
                        printf(" ... (+%zu)", n->n_members - MAX_SHOWN_PROCS);
                putchar('\n');
        } else
                printf("%sno processes\n", detail);
        for (size_t k = 0; k < n->n_holders; k++)
                printf("%sheld by %s\n", detail, n->holders[k]);
        if (all_types && n->n_owned) {
                printf("%sowns:", detail);
                for (size_t k = 0; k < n->n_owned; k++)
                        printf(" %s:[%llu]", userns_ns_type_name(n->owned[k].type),
                               (unsigned long long)n->owned[k].ino);
                putchar('\n');
        }

        size_t last_child = USERNS_NS_NO_PARENT;
        for (size_t c = 0; c < t->n_nodes; c++)
                if (t->nodes[c].parent == i)
                        last_child = c;
        for (size_t c = 0; c < t->n_nodes; c++)
                if (t->nodes[c].parent == i)
                        print_node(t, c, child_prefix, c == last_child, false, all_types, st);
}

int cmd_tree(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'J' },
                { "all-types", no_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        bool json = false, all = false;
        int c;
        while ((c = getopt_long(argc, argv, "Jah", opts, NULL)) != -1) {
                switch (c) {
                case 'J': json = true; break;
                case 'a': all = true; break;
                case 'h': usage(stdout); return 0;
                default: return cli_usage_error("tree", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error("tree", "unexpected argument '%s'", argv[optind]);

        struct userns_error err = { 0 };
        struct userns_ns_tree *t = NULL;
        if (userns_ns_tree_scan(all ? USERNS_TREE_ALL_TYPES : 0, &t, &err) < 0)
                return cli_fail(1, &err, "tree");
        if (json)
                print_json(t, all);
        else {
                const struct style *st = isatty(STDOUT_FILENO) ? &utf8 : &ascii;
                for (size_t i = 0; i < t->n_nodes; i++)
                        if (t->nodes[i].parent == USERNS_NS_NO_PARENT)
                                print_node(t, i, "", true, true, all, st);
                for (size_t i = 0; i < t->n_notes; i++)
                        printf("note: %s\n", t->notes[i]);
        }
        userns_ns_tree_free(t);
        return 0;
}
