/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns run: a command in a new user namespace that owns the other new namespaces. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-run.h"
#include "userns/idmap.h"
#include "userns/spawn.h"
#include "util/cleanup.h"

#define FAIL(rc, code, ...) userns_error_set(&(rc)->err, (code), __VA_ARGS__)

/* --- handlers: one per option --- */

static int add_ns(struct run_cli *rc, unsigned long flag)
{
        rc->ns |= flag;
        return 0;
}
static int opt_mount(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWNS); }
static int opt_pid(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWPID); }
static int opt_net(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWNET); }
static int opt_uts(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWUTS); }
static int opt_ipc(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWIPC); }
static int opt_cgroup(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWCGROUP); }
static int opt_time(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, CLONE_NEWTIME); }
static int opt_all(struct run_cli *rc, const char *a) { (void)a; return add_ns(rc, USERNS_SPAWN_ALL_NAMESPACES); }

static int set_mode(struct run_cli *rc, enum userns_map_mode mode, const char *name)
{
        if (rc->map_mode_set)
                return FAIL(rc, EINVAL, "%s: only one of --map-root, --map-current, --map-auto", name);
        rc->map_mode_set = true;
        userns_spawn_set_map_mode(rc->spawn, mode);
        return 0;
}
static int opt_map_root(struct run_cli *rc, const char *a) { (void)a; return set_mode(rc, USERNS_MAP_ROOT, "--map-root"); }
static int opt_map_current(struct run_cli *rc, const char *a) { (void)a; return set_mode(rc, USERNS_MAP_CURRENT, "--map-current"); }
static int opt_map_auto(struct run_cli *rc, const char *a) { (void)a; return set_mode(rc, USERNS_MAP_AUTO, "--map-auto"); }

static int set_map(struct run_cli *rc, enum userns_idmap_kind kind, const char *text)
{
        struct userns_idmap *m = NULL;
        int r = userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, kind, &m, &rc->err);
        if (r >= 0)
                r = userns_spawn_set_map(rc->spawn, kind, m, &rc->err);
        userns_idmap_free(m);
        if (r < 0)
                userns_error_prefix(&rc->err, "--%s-map '%s'", kind == USERNS_IDMAP_UID ? "uid" : "gid", text);
        return r;
}
static int opt_uid_map(struct run_cli *rc, const char *a) { return set_map(rc, USERNS_IDMAP_UID, a); }
static int opt_gid_map(struct run_cli *rc, const char *a) { return set_map(rc, USERNS_IDMAP_GID, a); }

static int parse_id(struct run_cli *rc, const char *opt, const char *a, uint32_t *out)
{
        if (cli_parse_u32(a, out, false) < 0)
                return FAIL(rc, EINVAL, "%s '%s': not an id (0 to 4294967294)", opt, a);
        return 0;
}
static int set_id(struct run_cli *rc, const char *opt, const char *a,
                  void (*set)(struct userns_spawn *, uint32_t))
{
        uint32_t v;
        int r = parse_id(rc, opt, a, &v);
        if (r == 0)
                set(rc->spawn, v);
        return r;
}
static int opt_uid(struct run_cli *rc, const char *a) { return set_id(rc, "--uid", a, userns_spawn_set_uid); }
static int opt_gid(struct run_cli *rc, const char *a) { return set_id(rc, "--gid", a, userns_spawn_set_gid); }
static int opt_groups(struct run_cli *rc, const char *a)
{
        _cleanup_free_ uint32_t *g = calloc(strlen(a) / 2 + 1, sizeof *g);
        _cleanup_free_ char *copy = strdup(a);
        if (!g || !copy)
                return FAIL(rc, ENOMEM, "out of memory");
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int r = parse_id(rc, "--groups", t, &g[n++]);
                if (r < 0)
                        return r;
        }
        return userns_spawn_set_groups(rc->spawn, g, n, &rc->err);
}
static int opt_setgroups(struct run_cli *rc, const char *a)
{
        if (strcmp(a, "allow") == 0)
                userns_spawn_set_setgroups(rc->spawn, USERNS_SETGROUPS_ALLOW);
        else if (strcmp(a, "deny") == 0)
                userns_spawn_set_setgroups(rc->spawn, USERNS_SETGROUPS_DENY);
        else
                return FAIL(rc, EINVAL, "--setgroups '%s': must be allow or deny", a);
        return 0;
}
static int opt_subid_source(struct run_cli *rc, const char *a)
{
        static const char *const names[] = { "auto", "files", "libsubid" };
        for (int i = 0; i < 3; i++)
                if (strcmp(a, names[i]) == 0) {
                        userns_spawn_set_subid_source(rc->spawn, (enum userns_subid_source)i);
                        return 0;
                }
        return FAIL(rc, EINVAL, "--subid-source '%s': must be auto, files or libsubid", a);
}

static int opt_hostname(struct run_cli *rc, const char *a)
{
        rc->ns |= CLONE_NEWUTS;
        return userns_spawn_set_hostname(rc->spawn, a, &rc->err);
}
static int opt_root(struct run_cli *rc, const char *a) { return userns_spawn_set_root(rc->spawn, a, &rc->err); }
static int opt_chdir(struct run_cli *rc, const char *a) { return userns_spawn_set_chdir(rc->spawn, a, &rc->err); }

static int add_bind(struct run_cli *rc, enum userns_mount_kind kind, const char *a)
{
        _cleanup_free_ char *src = strdup(a);
        if (!src)
                return FAIL(rc, ENOMEM, "out of memory");
        char *colon = strchr(src, ':');
        const char *dst = src;
        if (colon) {
                *colon = '\0';
                dst = colon + 1;
        }
        return userns_spawn_add_mount(rc->spawn, kind, src, dst, &rc->err);
}
static int opt_bind(struct run_cli *rc, const char *a) { return add_bind(rc, USERNS_MOUNT_BIND, a); }
static int opt_ro_bind(struct run_cli *rc, const char *a) { return add_bind(rc, USERNS_MOUNT_RO_BIND, a); }
static int opt_tmpfs(struct run_cli *rc, const char *a) { return userns_spawn_add_mount(rc->spawn, USERNS_MOUNT_TMPFS, NULL, a, &rc->err); }

/* --- the option table: one row per option --- */

static const struct run_option run_options[] = {
        { "mount",   'm', NULL, "new mount namespace", opt_mount },
        { "pid",     'p', NULL, "new pid namespace, with a reaping PID 1 that forwards signals", opt_pid },
        { "net",     'n', NULL, "new network namespace", opt_net },
        { "uts",     'u', NULL, "new uts namespace", opt_uts },
        { "ipc",     'i', NULL, "new ipc namespace", opt_ipc },
        { "cgroup",  'C', NULL, "new cgroup namespace", opt_cgroup },
        { "time",    'T', NULL, "new time namespace", opt_time },
        { "all",     'a', NULL, "all of the above", opt_all },
        { "map-root",    0, NULL, "map only yourself, to 0", opt_map_root },
        { "map-current", 0, NULL, "map only yourself, to your own ids", opt_map_current },
        { "map-auto",    0, NULL, "yourself to 0 and your subordinate ranges to 1..; fail without them", opt_map_auto },
        { "uid-map", 0, "MAP", "explicit uid map (kernel, compact 0:100000:65536,... or OCI form)", opt_uid_map },
        { "gid-map", 0, "MAP", "explicit gid map", opt_gid_map },
        { "uid",     0, "N", "run as uid N of the new namespace", opt_uid },
        { "gid",     0, "N", "run as gid N of the new namespace", opt_gid },
        { "groups",  0, "LIST", "supplementary gids inside, comma-separated", opt_groups },
        { "setgroups", 0, "allow|deny", "the namespace's setgroups(2) permission", opt_setgroups },
        { "subid-source", 0, "auto|files|libsubid", "where subordinate ranges come from", opt_subid_source },
        { "hostname", 0, "NAME", "hostname inside (implies --uts)", opt_hostname },
        { "root",    0, "DIR", "pivot into DIR (needs --mount)", opt_root },
        { "bind",    0, "SRC[:DST]", "bind mount SRC at DST inside (needs --mount)", opt_bind },
        { "ro-bind", 0, "SRC[:DST]", "read-only bind mount", opt_ro_bind },
        { "tmpfs",   0, "DST", "a fresh tmpfs at DST", opt_tmpfs },
        { "chdir",   0, "DIR", "working directory inside", opt_chdir },
        // [ns]
        { "keep",    0, "NAME", "keep the namespaces as NAME after the command exits (userns rm NAME)", run_opt_keep },
        // [mount]
        { "bind-map", 0, "SRC:DST[:MAP]", "idmapped bind: on-disk ids per MAP (CONTAINER:ON-DISK:COUNT) appear inside", run_opt_bind_map },
        { "fs-uid-map", 0, "MAP", "filesystem uid map for the root and binds (CONTAINER:ON-DISK:COUNT)", run_opt_fs_uid_map },
        { "fs-gid-map", 0, "MAP", "filesystem gid map for the root and binds", run_opt_fs_gid_map },
        { "shared", 0, "DIR:DST", "storage shared across containers: uid N inside is DIR's owner+N on disk", run_opt_shared },
        // [caps]
        { "caps",     0, "LIST", "the command's capabilities (all five sets; names, all, none, -name)", run_caps_opt_caps },
        { "cap-add",  0, "LIST", "add to the command's capabilities", run_caps_opt_cap_add },
        { "cap-drop", 0, "LIST", "drop from the command's capabilities and the bounding set", run_caps_opt_cap_drop },
        { "userns-caps", 0, "LIST", "ceiling for this namespace and all below it", run_caps_opt_userns_caps },
        { "nested-userns", 0, "allow|deny", "whether the command may create user namespaces", run_caps_opt_nested },
        { "no-new-privs", 0, NULL, "set no_new_privs (setuid and file caps grant nothing)", run_caps_opt_nnp },
        { "securebits", 0, "LIST", "securebits to set (noroot,no-setuid-fixup,...[-locked])", run_caps_opt_securebits },
};

static const run_finish_fn run_finishers[] = {
        NULL,
        // [ns]
        // [mount]
        run_finish_fsmap,
        // [caps]
        run_caps_finish,
};

static void usage(FILE *f)
{
        fputs("Usage: userns run [OPTIONS] [--] [COMMAND [ARG...]]\n\n"
              "Run COMMAND (default: your shell) in a new user namespace that owns the other new namespaces.\n"
              "By default you are uid/gid 0 inside, and your subordinate ranges (/etc/subuid, /etc/subgid)\n"
              "are mapped at 1.. through newuidmap/newgidmap.\n\nOptions:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(run_options); i++) {
                const struct run_option *o = &run_options[i];
                char left[64];
                snprintf(left, sizeof left, "%c%c%s--%s%s%s", o->short_opt ? '-' : ' ',
                         o->short_opt ? o->short_opt : ' ', o->short_opt ? ", " : "  ", o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
                fprintf(f, "  %-34s %s\n", left, o->help);
        }
        fputs("  -h, --help                         show this help\n\n"
              "Exit status: the command's (128+N if killed by signal N); 125 if userns failed,\n"
              "126 if the command could not be executed, 127 if it was not found.\n", f);
}

static char *default_shell(void)
{
        const char *sh = getenv("SHELL");
        if (sh && *sh)
                return strdup(sh);
        struct passwd *pw = getpwuid(getuid());
        return strdup(pw && pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
}

static int parse_args(struct run_cli *rc, int argc, char **argv, int *cmd_index)
{
        enum { N = ELEMENTSOF(run_options) };
        struct option longopts[N + 2];
        char shortopts[3 * N + 4] = "+h";
        size_t so = 2;
        for (size_t i = 0; i < N; i++) {
                longopts[i] = (struct option){ run_options[i].name,
                                               run_options[i].arg ? required_argument : no_argument, NULL,
                                               256 + (int)i };
                if (run_options[i].short_opt) {
                        shortopts[so++] = (char)run_options[i].short_opt;
                        if (run_options[i].arg)
                                shortopts[so++] = ':';
                }
        }
        shortopts[so] = '\0';
        longopts[N] = (struct option){ "help", no_argument, NULL, 'h' };
        longopts[N + 1] = (struct option){ NULL, 0, NULL, 0 };

        int c;
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return 1;
                }
                if (c == '?')
                        return -EINVAL;
                const struct run_option *o = NULL;
                if (c >= 256)
                        o = &run_options[c - 256];
                else
                        for (size_t i = 0; i < N && !o; i++)
                                if (run_options[i].short_opt == c)
                                        o = &run_options[i];
                if (!o || o->fn(rc, optarg) < 0)
                        return -1;
        }
        *cmd_index = optind;
        return 0;
}

int cmd_run(int argc, char **argv)
{
        struct run_cli rc = { 0 };
        if (userns_spawn_new(&rc.spawn) < 0)
                return cli_fail(EXIT_USERNS_ERROR, NULL, "out of memory");
        int status = EXIT_USERNS_ERROR, cmd = argc;
        int r = parse_args(&rc, argc, argv, &cmd);
        if (r == 1) {
                status = 0;
                goto out;
        }
        if (r == -EINVAL) {
                cli_usage_error("run", "invalid option");
                goto out;
        }
        if (r < 0) {
                cli_fail(status, &rc.err, "run");
                goto out;
        }
        if (userns_spawn_set_namespaces(rc.spawn, rc.ns, &rc.err) < 0) {
                cli_fail(status, &rc.err, "run");
                goto out;
        }
        for (size_t i = 0; i < ELEMENTSOF(run_finishers); i++)
                if (run_finishers[i] && run_finishers[i](&rc) < 0) {
                        cli_fail(status, &rc.err, "run");
                        goto out;
                }
        if (cmd < argc) {
                r = userns_spawn_set_argv(rc.spawn, argv + cmd, &rc.err);
        } else {
                _cleanup_free_ char *sh = default_shell();
                char *const shv[] = { sh, NULL };
                r = sh ? userns_spawn_set_argv(rc.spawn, shv, &rc.err) : -ENOMEM;
        }
        if (r < 0) {
                cli_fail(status, &rc.err, "run");
                goto out;
        }
        fflush(NULL);
        r = userns_spawn_run(rc.spawn, &status, &rc.err);
        if (r < 0)
                cli_fail(status, &rc.err, "run");
out:
        for (size_t i = 0; i < ELEMENTSOF(rc.ext); i++)
                free(rc.ext[i]);
        userns_spawn_free(rc.spawn);
        return status;
}
