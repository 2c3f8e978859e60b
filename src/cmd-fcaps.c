/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns fcaps get|set|rm|convert: file capabilities across user namespaces. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "userns/fcaps.h"
#include "util/cleanup.h"


/* A namespace for the model, with what it owns. */
struct view {
        struct userns_idmap *map;       /* the caller's map, or --rootid's one-line map */
        struct userns_fcaps_chain *chain; /* --ns PID */
        struct userns_fcaps_ns ns;
        const struct userns_fcaps_ns *nsp;
        char label[48];                 /* "namespace of pid 123", "root 1000" */
};

static void view_done(struct view *v)
{
        userns_idmap_free(v->map);
        userns_fcaps_chain_free(v->chain);
}

/* The caller's namespace for the model: NULL (initial) when its map is the identity,
 * otherwise a child of the initial namespace with the map read from /proc/self. */
static int caller_ns(struct view *v, struct userns_error *err)
{
        struct userns_idmap *m = NULL;
        int r = userns_idmap_read_proc(0, USERNS_IDMAP_UID, &m, err);
        if (r < 0)
                return r;
        if (userns_idmap_is_identity(m)) {
                userns_idmap_free(m);
                *v = (struct view) { .nsp = NULL };
        } else {
                *v = (struct view) { .map = m, .ns = { .uid_map = m } };
                v->nsp = &v->ns;
        }
        snprintf(v->label, sizeof v->label, "this namespace");
        return 0;
}

/* The namespace of PID with every namespace between ours and it, or a namespace
 * mapping only its root to ROOTID (a child of ours). */
static int target_view(const struct view *caller, const char *pid_s, const char *rootid_s,
                       struct view *v, struct userns_error *err)
{
        uint32_t n;
        *v = (struct view) { 0 };
        if (pid_s) {
                if (cli_parse_u32(pid_s, &n, false) < 0 || n == 0)
                        return userns_error_set(err, EINVAL, "'%s' is not a process id", pid_s);
                int r = userns_fcaps_chain_from_pid((pid_t)n, caller->nsp, &v->chain, err);
                if (r < 0)
                        return r;
                v->nsp = userns_fcaps_chain_ns(v->chain);
                snprintf(v->label, sizeof v->label, "namespace of pid %u", n);
                return 0;
        }
        if (cli_parse_u32(rootid_s, &n, false) < 0)
                return userns_error_set(err, EINVAL, "'%s' is not a user id", rootid_s);
        int r = userns_idmap_new(&v->map);
        if (r < 0)
                return userns_error_errno(err, -r, "out of memory");
        r = userns_idmap_add(v->map, 0, n, 1, "--rootid", err);
        if (r < 0)
                return r;
        v->ns = (struct userns_fcaps_ns) { .uid_map = v->map, .parent = caller->nsp };
        v->nsp = &v->ns;
        snprintf(v->label, sizeof v->label, "namespace with root %u", n);
        return 0;
}

/* The target namespace's root in the caller's ids. */
static int target_root(const struct view *caller, const struct view *t, uint32_t *out,
                       struct userns_error *err)
{
        uint32_t id = 0;
        for (const struct userns_fcaps_ns *ns = t->nsp; ns != caller->nsp && id != USERNS_ID_INVALID;
             ns = ns->parent)
                id = userns_idmap_down(ns->uid_map, id);
        if (id == USERNS_ID_INVALID)
                return userns_error_set(err, EINVAL, "the %s maps no uid 0: no root to own capabilities",
                                        t->label);
        *out = id;
        return 0;
}

struct report {
        struct userns_fcaps seen;      /* as the caller reads it */
        uint32_t host_rootid;
        int ns_r;                      /* what the target reads: 0 or -errno */
        struct userns_fcaps ns_seen;
        struct userns_fcaps_exec exec;
        int exec_r;
        struct userns_error exec_err;  /* why execve would fail */
};

static void analyse(const struct view *caller, const struct view *target, const uint8_t *raw,
                    size_t len, struct report *rep)
{
        /* The bytes the caller read are in the caller's ids: the caller's namespace plays
         * the filesystem's owner for the model. */
        struct userns_fcaps_fs fs = { .owner = caller->nsp };
        uint32_t root = rep->seen.revision == 3 ? rep->seen.rootid : 0;
        rep->host_rootid = userns_fcaps_ns_to_host(caller->nsp, root);
        rep->ns_r = userns_fcaps_model_read(raw, len, target->nsp, &fs, &rep->ns_seen, NULL);
        /* A process that is not root and inherits nothing, with a new namespace's full
         * bounding set, or ours when the exec would happen in our namespace. */
        struct userns_fcaps_task task = { .ns = target->nsp, .bounding = USERNS_FCAPS_VALID_MASK };
        if (target->nsp == caller->nsp)
                for (int c = 0; c <= USERNS_FCAPS_LAST_CAP; c++)
                        if (prctl(PR_CAPBSET_READ, c) == 0)
                                task.bounding &= ~(UINT64_C(1) << c);
        rep->exec_r = userns_fcaps_model_exec(raw, len, &task, &fs, &rep->exec, &rep->exec_err);
}

static char *caps_text(const struct userns_fcaps *c)
{
        char *t = NULL;
        if (userns_fcaps_to_text(c, &t, NULL) < 0)
                return NULL;
        return t;
}

/* "userns: FILE: why", where open's messages already start with the file's name. */
static int file_fail(const char *file, int fd, const struct userns_error *err)
{
        if (fd < 0) {
                cli_warn("%s", err->message);
                return 1;
        }
        return cli_fail(1, err, "%s", file);
}

static void print_plain(const char *file, const struct report *rep, const struct view *target)
{
        _cleanup_free_ char *t = caps_text(&rep->seen);
        printf("%s: revision=%u rootid=%u host-rootid=", file, rep->seen.revision,
               rep->seen.revision == 3 ? rep->seen.rootid : 0);
        if (rep->host_rootid == USERNS_ID_INVALID)
                printf("unmapped");
        else
                printf("%u", rep->host_rootid);
        if (strcmp(target->label, "this namespace") != 0) {
                if (rep->ns_r >= 0)
                        printf(" ns-revision=%u ns-rootid=%u", rep->ns_seen.revision,
                               rep->ns_seen.revision == 3 ? rep->ns_seen.rootid : 0);
                else
                        printf(" ns-revision=none");
        }
        bool gains = rep->exec_r == 0 && rep->exec.honoured && rep->exec.permitted;
        printf(" exec=%s caps=%s\n", rep->exec_r < 0 ? "fails" : gains ? "gains" : "nothing", t ? t : "?");
}

static void print_json(struct cli_json *j, const char *file, int r, const char *error,
                       const struct report *rep, const struct view *target)
{
        cli_json_begin_object(j);
        cli_json_key(j, "file");
        cli_json_string(j, file);
        if (r < 0) {
                cli_json_key(j, "capabilities");
                cli_json_null(j);
                cli_json_key(j, "error");
                cli_json_string(j, r == -ENODATA ? NULL : error);
                cli_json_end_object(j);
                return;
        }
        _cleanup_free_ char *t = caps_text(&rep->seen);
        char hex[32];
        cli_json_key(j, "revision");
        cli_json_uint(j, rep->seen.revision);
        cli_json_key(j, "rootid");
        cli_json_uint(j, rep->seen.revision == 3 ? rep->seen.rootid : 0);
        cli_json_key(j, "host_rootid");
        if (rep->host_rootid == USERNS_ID_INVALID)
                cli_json_null(j);
        else
                cli_json_uint(j, rep->host_rootid);
        cli_json_key(j, "capabilities");
        cli_json_string(j, t);
        cli_json_key(j, "effective");
        cli_json_bool(j, rep->seen.effective);
        cli_json_key(j, "permitted");
        snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)rep->seen.permitted);
        cli_json_string(j, hex);
        cli_json_key(j, "inheritable");
        snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)rep->seen.inheritable);
        cli_json_string(j, hex);
        cli_json_key(j, "namespace");
        cli_json_begin_object(j);
        cli_json_key(j, "name");
        cli_json_string(j, target->label);
        cli_json_key(j, "revision");
        if (rep->ns_r >= 0)
                cli_json_uint(j, rep->ns_seen.revision);
        else
                cli_json_null(j);
        cli_json_key(j, "rootid");
        if (rep->ns_r >= 0)
                cli_json_uint(j, rep->ns_seen.revision == 3 ? rep->ns_seen.rootid : 0);
        else
                cli_json_null(j);
        cli_json_key(j, "read_error");
        cli_json_string(j, rep->ns_r >= 0 ? NULL : strerror(-rep->ns_r));
        cli_json_key(j, "exec_gains");
        cli_json_bool(j, rep->exec_r == 0 && rep->exec.honoured && rep->exec.permitted);
        cli_json_key(j, "exec_permitted");
        snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)rep->exec.permitted);
        cli_json_string(j, rep->exec_r == 0 ? hex : NULL);
        cli_json_key(j, "exec_effective");
        snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)rep->exec.effective);
        cli_json_string(j, rep->exec_r == 0 ? hex : NULL);
        cli_json_key(j, "exec_reason");
        cli_json_string(j, rep->exec_r == 0 ? rep->exec.why : rep->exec_err.message);
        cli_json_end_object(j);
        cli_json_end_object(j);
}

static int do_get(int argc, char **argv)
{
        static const struct option opts[] = {
                { "ns", required_argument, NULL, 'n' },
                { "rootid", required_argument, NULL, 'r' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *ns = NULL, *rootid = NULL;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "n:r:jh", opts, NULL)) >= 0) {
                switch (c) {
                case 'n': ns = optarg; break;
                case 'r': rootid = optarg; break;
                case 'j': json = true; break;
                case 'h':
                        puts("Usage: userns fcaps get [--ns PID | --rootid ID] [--json] FILE...\n\n"
                             "Show each file's capabilities as this process reads them (revision, root id,\n"
                             "host root id), what a reader in the namespace of PID (or a namespace whose root\n"
                             "is host id ID; default: this one) sees, and whether an exec there gains them.");
                        return 0;
                default: return cli_usage_error("fcaps get", "invalid option");
                }
        }
        if (ns && rootid)
                return cli_usage_error("fcaps get", "--ns and --rootid are exclusive");
        if (optind >= argc)
                return cli_usage_error("fcaps get", "no FILE given");
        struct userns_error err = { 0 };
        _cleanup_(view_done) struct view caller = { 0 };
        _cleanup_(view_done) struct view target = { 0 };
        if (caller_ns(&caller, &err) < 0)
                return cli_fail(1, &err, "reading this process's uid_map");
        if (ns || rootid) {
                if (target_view(&caller, ns, rootid, &target, &err) < 0)
                        return cli_fail(1, &err, ns ? "--ns %s" : "--rootid %s", ns ? ns : rootid);
        } else {
                target.nsp = caller.nsp;
                snprintf(target.label, sizeof target.label, "this namespace");
        }
        struct cli_json j;
        if (json) {
                cli_json_init(&j, stdout);
                cli_json_begin_array(&j);
        }
        int status = 0;
        for (int i = optind; i < argc; i++) {
                struct report rep = { 0 };
                uint8_t raw[USERNS_FCAPS_SIZE_MAX];
                size_t len = 0;
                userns_error_clear(&err);
                _cleanup_close_ int fd = userns_fcaps_open(argv[i], &err);
                int r = fd < 0 ? fd : userns_fcaps_get_fd(fd, &rep.seen, raw, &len, &err);
                if (r == 0)
                        analyse(&caller, &target, raw, len, &rep);
                if (r < 0 && r != -ENODATA)
                        status = 1;
                if (json) {
                        print_json(&j, argv[i], r, err.message, &rep, &target);
                } else if (r == -ENODATA) {
                        printf("%s: no capabilities\n", argv[i]);
                } else if (r < 0) {
                        fflush(stdout);
                        file_fail(argv[i], fd, &err);
                } else
                        print_plain(argv[i], &rep, &target);
        }
        if (json) {
                cli_json_end_array(&j);
                cli_json_end(&j);
        }
        return status;
}

/* The root id (in the caller's ids) named by --rootid/--ns/--to-*, refusing the host's root. */
static int resolve_owner(const char *cmd, const struct view *caller, const char *ns, const char *rootid,
                         uint32_t *out)
{
        struct userns_error err = { 0 };
        _cleanup_(view_done) struct view t = { 0 };
        if (ns) {
                if (target_view(caller, ns, NULL, &t, &err) < 0 || target_root(caller, &t, out, &err) < 0)
                        return cli_fail(-1, &err, "%s: --ns %s", cmd, ns);
        } else if (cli_parse_u32(rootid, out, false) < 0) {
                cli_warn("%s: '%s' is not a user id", cmd, rootid);
                return -1;
        }
        if (userns_fcaps_ns_to_host(caller->nsp, *out) == 0) {
                cli_warn("%s: root id %u is the host's root: such capabilities are honoured on the host; "
                         "use 'userns fcaps set --host' to write them deliberately", cmd, *out);
                return -1;
        }
        return 0;
}

static int do_set(int argc, char **argv)
{
        static const struct option opts[] = {
                { "rootid", required_argument, NULL, 'r' },
                { "ns", required_argument, NULL, 'n' },
                { "host", no_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *ns = NULL, *rootid = NULL;
        bool host = false;
        int c;
        while ((c = getopt_long(argc, argv, "r:n:Hh", opts, NULL)) >= 0) {
                switch (c) {
                case 'r': rootid = optarg; break;
                case 'n': ns = optarg; break;
                case 'H': host = true; break;
                case 'h':
                        puts("Usage: userns fcaps set CAPS (--rootid ID | --ns PID | --host) FILE...\n\n"
                             "Write file capabilities (cap_from_text(3) syntax, e.g. cap_net_raw=ep) as v3 for\n"
                             "the root of a namespace (host id ID, or the namespace of PID), or as v2 honoured\n"
                             "on the host with --host.  A refused write leaves the file unchanged.");
                        return 0;
                default: return cli_usage_error("fcaps set", "invalid option");
                }
        }
        if ((ns != NULL) + (rootid != NULL) + host != 1)
                return cli_usage_error("fcaps set", "say whose capabilities these are: exactly one of "
                                       "--rootid ID, --ns PID or --host");
        if (argc - optind < 2)
                return cli_usage_error("fcaps set", "CAPS and at least one FILE are needed");
        struct userns_error err = { 0 };
        struct userns_fcaps caps;
        if (userns_fcaps_from_text(argv[optind], &caps, &err) < 0)
                return cli_fail(1, &err, "fcaps set");
        _cleanup_(view_done) struct view caller = { 0 };
        if (caller_ns(&caller, &err) < 0)
                return cli_fail(1, &err, "reading this process's uid_map");
        if (!host) {
                caps.revision = 3;
                if (resolve_owner("fcaps set", &caller, ns, rootid, &caps.rootid) < 0)
                        return 1;
        }
        int status = 0;
        for (int i = optind + 1; i < argc; i++) {
                userns_error_clear(&err);
                _cleanup_close_ int fd = userns_fcaps_open(argv[i], &err);
                if (fd < 0 || userns_fcaps_set_fd(fd, &caps, &err) < 0)
                        status = file_fail(argv[i], fd, &err);
        }
        return status;
}

static int do_rm(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
                puts("Usage: userns fcaps rm FILE...\n\nRemove the file capabilities of each FILE.");
                return 0;
        }
        if (argc < 2)
                return cli_usage_error("fcaps rm", "no FILE given");
        int status = 0;
        for (int i = 1; i < argc; i++) {
                struct userns_error err = { 0 };
                _cleanup_close_ int fd = userns_fcaps_open(argv[i], &err);
                if (fd < 0 || userns_fcaps_remove_fd(fd, &err) < 0)
                        status = file_fail(argv[i], fd, &err);
        }
        return status;
}

static int do_convert(int argc, char **argv)
{
        static const struct option opts[] = {
                { "to-ns", required_argument, NULL, 'n' },
                { "to-rootid", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *ns = NULL, *rootid = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "n:r:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'n': ns = optarg; break;
                case 'r': rootid = optarg; break;
                case 'h':
                        puts("Usage: userns fcaps convert (--to-ns PID | --to-rootid ID) FILE...\n\n"
                             "Re-target each file's capabilities (v2 or v3) to the root of another namespace,\n"
                             "keeping the capability sets.  A refused write leaves the file unchanged.");
                        return 0;
                default: return cli_usage_error("fcaps convert", "invalid option");
                }
        }
        if ((ns != NULL) + (rootid != NULL) != 1)
                return cli_usage_error("fcaps convert", "exactly one of --to-ns PID or --to-rootid ID is needed");
        if (optind >= argc)
                return cli_usage_error("fcaps convert", "no FILE given");
        struct userns_error err = { 0 };
        _cleanup_(view_done) struct view caller = { 0 };
        if (caller_ns(&caller, &err) < 0)
                return cli_fail(1, &err, "reading this process's uid_map");
        uint32_t root;
        if (resolve_owner("fcaps convert", &caller, ns, rootid, &root) < 0)
                return 1;
        int status = 0;
        for (int i = optind; i < argc; i++) {
                struct userns_fcaps caps;
                userns_error_clear(&err);
                _cleanup_close_ int fd = userns_fcaps_open(argv[i], &err);
                if (fd < 0 || userns_fcaps_get_fd(fd, &caps, NULL, NULL, &err) < 0) {
                        status = file_fail(argv[i], fd, &err);
                        continue;
                }
                unsigned from = caps.revision;
                uint32_t old = caps.revision == 3 ? caps.rootid : 0;
                caps.revision = 3;
                caps.rootid = root;
                if (userns_fcaps_set_fd(fd, &caps, &err) < 0)
                        status = file_fail(argv[i], fd, &err);
                else
                        printf("%s: %s rootid=%u -> v3 rootid=%u\n", argv[i],
                               userns_fcaps_revision_name(from), old, root);
        }
        return status;
}

int cmd_fcaps(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                FILE *f = argc < 2 ? stderr : stdout;
                fputs("Usage: userns fcaps get [--ns PID | --rootid ID] [--json] FILE...\n"
                      "       userns fcaps set CAPS (--rootid ID | --ns PID | --host) FILE...\n"
                      "       userns fcaps rm FILE...\n"
                      "       userns fcaps convert (--to-ns PID | --to-rootid ID) FILE...\n"
                      "\nSee userns-fcaps(1).\n", f);
                return argc < 2 ? 1 : 0;
        }
        optind = 1;
        if (strcmp(argv[1], "get") == 0)
                return do_get(argc - 1, argv + 1);
        if (strcmp(argv[1], "set") == 0)
                return do_set(argc - 1, argv + 1);
        if (strcmp(argv[1], "rm") == 0)
                return do_rm(argc - 1, argv + 1);
        if (strcmp(argv[1], "convert") == 0)
                return do_convert(argc - 1, argv + 1);
        return cli_usage_error("fcaps", "unknown subcommand '%s'", argv[1]);
}
