/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userns_spawn: the configuration of a run and its resolution into a plan
 * (which maps, written by whom, checked against what the caller is delegated),
 * all before anything is created.
 */
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn-internal.h"
#include "util/cleanup.h"

int userns_spawn_new(struct userns_spawn **out)
{
        struct userns_spawn *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        *out = s;
        return 0;
}

static void free_strv(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

void userns_spawn_free(struct userns_spawn *s)
{
        if (!s)
                return;
        free_strv(s->argv);
        for (int k = 0; k < 2; k++) {
                userns_idmap_free(s->explicit_map[k]);
                userns_idmap_free(s->map[k]);
                free(s->map_text[k]);
                free(s->helper[k]);
        }
        free(s->groups);
        free(s->hostname);
        free(s->root);
        free(s->chdir);
        for (size_t i = 0; i < s->nmounts; i++) {
                free(s->mounts[i].src);
                free(s->mounts[i].dst);
        }
        free(s->mounts);
        for (int i = 0; i < _USERNS_STAGE_MAX; i++)
                free(s->hooks[i]);
        free(s);
}

static int oom(struct userns_error *err)
{
        return userns_error_set(err, ENOMEM, "out of memory");
}

/* Any change to the configuration invalidates a previous resolution. */
static void unresolve(struct userns_spawn *s)
{
        s->resolved = false;
}

int userns_spawn_set_argv(struct userns_spawn *s, char *const argv[], struct userns_error *err)
{
        size_t n = 0;
        while (argv && argv[n])
                n++;
        if (n == 0)
                return userns_error_set(err, EINVAL, "no command to run");
        char **v = calloc(n + 1, sizeof *v);
        if (!v)
                return oom(err);
        for (size_t i = 0; i < n; i++)
                if (!(v[i] = strdup(argv[i]))) {
                        free_strv(v);
                        return oom(err);
                }
        free_strv(s->argv);
        s->argv = v;
        return 0;
}

int userns_spawn_set_namespaces(struct userns_spawn *s, unsigned long flags, struct userns_error *err)
{
        flags &= ~(unsigned long)CLONE_NEWUSER;
        if (flags & ~(unsigned long)USERNS_SPAWN_ALL_NAMESPACES)
                return userns_error_set(err, EINVAL, "namespace flags 0x%lx: not CLONE_NEW* flags",
                                        flags & ~(unsigned long)USERNS_SPAWN_ALL_NAMESPACES);
        s->ns = flags;
        unresolve(s);
        return 0;
}

unsigned long userns_spawn_get_namespaces(const struct userns_spawn *s)
{
        return s->ns;
}

void userns_spawn_set_map_mode(struct userns_spawn *s, enum userns_map_mode mode)
{
        s->mode = mode;
        unresolve(s);
}

int userns_spawn_set_map(struct userns_spawn *s, enum userns_idmap_kind kind,
                         const struct userns_idmap *map, struct userns_error *err)
{
        if (kind != USERNS_IDMAP_UID && kind != USERNS_IDMAP_GID)
                return userns_error_set(err, EINVAL, "only uid and gid maps can be set");
        if (userns_idmap_count(map) == 0)
                return userns_error_set(err, EINVAL, "%s: empty map", userns_idmap_kind_name(kind));
        struct userns_idmap *copy;
        int r = userns_idmap_dup(map, &copy);
        if (r < 0)
                return oom(err);
        userns_idmap_free(s->explicit_map[kind]);
        s->explicit_map[kind] = copy;
        unresolve(s);
        return 0;
}

void userns_spawn_set_subid_source(struct userns_spawn *s, enum userns_subid_source source)
{
        s->subid_source = source;
        unresolve(s);
}

void userns_spawn_set_setgroups(struct userns_spawn *s, enum userns_setgroups sg)
{
        s->setgroups = sg;
        unresolve(s);
}

void userns_spawn_set_uid(struct userns_spawn *s, uint32_t uid)
{
        s->have_uid = true;
        s->uid = uid;
        unresolve(s);
}

void userns_spawn_set_gid(struct userns_spawn *s, uint32_t gid)
{
        s->have_gid = true;
        s->gid = gid;
        unresolve(s);
}

int userns_spawn_set_groups(struct userns_spawn *s, const uint32_t *groups, size_t n,
                            struct userns_error *err)
{
        uint32_t *v = NULL;
        if (n > 0) {
                if (n > 65536)
                        return userns_error_set(err, EINVAL, "%zu supplementary groups: at most 65536", n);
                if (!(v = malloc(n * sizeof *v)))
                        return oom(err);
                memcpy(v, groups, n * sizeof *v);
        }
        free(s->groups);
        s->groups = v;
        s->ngroups = n;
        s->have_groups = true;
        unresolve(s);
        return 0;
}

static int set_str(char **dst, const char *src, struct userns_error *err)
{
        char *c = NULL;
        if (src && !(c = strdup(src)))
                return oom(err);
        free(*dst);
        *dst = c;
        return 0;
}

int userns_spawn_set_hostname(struct userns_spawn *s, const char *name, struct userns_error *err)
{
        if (name && (strlen(name) == 0 || strlen(name) > 64))
                return userns_error_set(err, EINVAL, "hostname '%s': must be 1 to 64 bytes", name);
        unresolve(s);
        return set_str(&s->hostname, name, err);
}

int userns_spawn_set_root(struct userns_spawn *s, const char *dir, struct userns_error *err)
{
        unresolve(s);
        if (!dir)
                return set_str(&s->root, NULL, err);
        _cleanup_free_ char *abs = realpath(dir, NULL);
        if (!abs)
                return userns_error_errno(err, errno, "root directory %s", dir);
        struct stat st;
        if (stat(abs, &st) < 0)
                return userns_error_errno(err, errno, "root directory %s", dir);
        if (!S_ISDIR(st.st_mode))
                return userns_error_set(err, ENOTDIR, "root directory %s: not a directory", dir);
        if (strcmp(abs, "/") == 0)
                return userns_error_set(err, EINVAL, "root directory %s: already the root; bind what you "
                                        "need into another directory", dir);
        return set_str(&s->root, abs, err);
}

const char *userns_spawn_get_root(const struct userns_spawn *s)
{
        return s->root;
}

int userns_spawn_add_mount(struct userns_spawn *s, enum userns_mount_kind kind, const char *src,
                           const char *dst, struct userns_error *err)
{
        if (!dst || dst[0] != '/')
                return userns_error_set(err, EINVAL, "mount destination '%s': must be an absolute path",
                                        dst ? dst : "");
        _cleanup_free_ char *abs = NULL;
        if (kind != USERNS_MOUNT_TMPFS) {
                if (!src || !*src)
                        return userns_error_set(err, EINVAL, "bind mount to %s: no source", dst);
                /* Sources are host paths: resolve them now, before any pivot. */
                if (!(abs = realpath(src, NULL)))
                        return userns_error_errno(err, errno, "bind source %s", src);
        }
        struct spawn_mount *v = reallocarray(s->mounts, s->nmounts + 1, sizeof *v);
        if (!v)
                return oom(err);
        s->mounts = v;
        struct spawn_mount *m = &v[s->nmounts];
        m->kind = kind;
        m->src = TAKE_PTR(abs);
        if (!(m->dst = strdup(dst))) {
                free(m->src);
                return oom(err);
        }
        s->nmounts++;
        unresolve(s);
        return 0;
}

int userns_spawn_set_chdir(struct userns_spawn *s, const char *dir, struct userns_error *err)
{
        return set_str(&s->chdir, dir, err);
}

int userns_spawn_add_hook(struct userns_spawn *s, enum userns_spawn_stage stage,
                          userns_spawn_hook_fn fn, void *data, struct userns_error *err)
{
        if ((unsigned)stage >= _USERNS_STAGE_MAX || !fn)
                return userns_error_set(err, EINVAL, "hook: invalid stage %d or no function", (int)stage);
        struct spawn_hook *v = reallocarray(s->hooks[stage], s->nhooks[stage] + 1, sizeof *v);
        if (!v)
                return oom(err);
        v[s->nhooks[stage]++] = (struct spawn_hook){ fn, data };
        s->hooks[stage] = v;
        unresolve(s);
        return 0;
}

const struct userns_idmap *userns_spawn_map(const struct userns_spawn *s, enum userns_idmap_kind kind)
{
        if (!s->resolved || (kind != USERNS_IDMAP_UID && kind != USERNS_IDMAP_GID))
                return NULL;
        return s->map[kind];
}

/* --- resolution --- */

static enum userns_subid_kind subid_kind(enum userns_idmap_kind k)
{
        return k == USERNS_IDMAP_GID ? USERNS_SUBID_GID : USERNS_SUBID_UID;
}

static const char *id_word(enum userns_idmap_kind k)
{
        return k == USERNS_IDMAP_GID ? "gid" : "uid";
}

/* CAP_SETUID / CAP_SETGID effective in our own namespace (without libcap). */
static bool has_setid_cap(enum userns_idmap_kind kind)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        int cap = kind == USERNS_IDMAP_GID ? CAP_SETGID : CAP_SETUID;
        return d[0].effective & (1u << cap);
}

/* self → 0, then the subordinate ranges at 1.. in file order. */
static int build_default_map(enum userns_idmap_kind kind, uint32_t self,
                             const struct userns_subid_range *r, size_t n,
                             struct userns_idmap **out, struct userns_error *err)
{
        struct userns_idmap *m;
        if (userns_idmap_new(&m) < 0)
                return oom(err);
        int ret = userns_idmap_add(m, 0, self, 1, "self", err);
        uint64_t next = 1;
        for (size_t i = 0; ret >= 0 && i < n; i++) {
                uint32_t count = r[i].count;
                if (next + count >= UINT32_MAX)
                        count = (uint32_t)(UINT32_MAX - 1 - next);
                if (count == 0)
                        break;
                char what[96];
                snprintf(what, sizeof what, "%s range %u:%u", userns_subid_path(subid_kind(kind)),
                         r[i].start, r[i].count);
                ret = userns_idmap_add(m, (uint32_t)next, r[i].start, count, what, err);
                next += count;
        }
        if (ret < 0) {
                userns_idmap_free(m);
                return ret;
        }
        *out = m;
        return 0;
}

static bool is_self_map(const struct userns_idmap *m, uint32_t self)
{
        if (userns_idmap_count(m) != 1)
                return false;
        const struct userns_extent *e = userns_idmap_extent(m, 0);
        return e->count == 1 && e->lower_first == self;
}

/* The helper binaries live in PATH (normally /usr/bin). */
static int find_helper(const char *name, char **out, struct userns_error *err)
{
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = path; *p;) {
                size_t l = strcspn(p, ":");
                char buf[PATH_MAX];
                if (l > 0 && snprintf(buf, sizeof buf, "%.*s/%s", (int)l, p, name) < (int)sizeof buf &&
                    access(buf, X_OK) == 0)
                        return (*out = strdup(buf)) ? 0 : oom(err);
                p += l;
                if (*p == ':')
                        p++;
        }
        return userns_error_set(err, ENOENT,
                                "%s not found in PATH: it writes maps of subordinate ids without privilege; "
                                "install the uidmap package (apt-get install uidmap)", name);
}

/* Unprivileged, through newXidmap: every extent must be delegated (as shadow's verify_range). */
static int check_delegated(const struct userns_spawn *s, enum userns_idmap_kind kind,
                           const struct userns_subid_range *r, size_t n, struct userns_error *err)
{
        const struct userns_idmap *m = s->map[kind];
        uint32_t self = kind == USERNS_IDMAP_GID ? s->egid : s->euid;
        for (size_t i = 0; i < userns_idmap_count(m); i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                if (e->count == 1 && e->lower_first == self)
                        continue;
                if (userns_subid_covers(r, n, e->lower_first, e->count))
                        continue;
                char have[256] = "none";
                size_t o = 0;
                for (size_t j = 0; j < n && o < sizeof have - 32; j++)
                        o += (size_t)snprintf(have + o, sizeof have - o, "%s%u-%u", j ? ", " : "",
                                              r[j].start, r[j].start + r[j].count - 1);
                return userns_error_set(err, EPERM,
                                        "%s extent %u:%u:%u maps host %ss %u-%u, which are not delegated to uid %u: "
                                        "%s delegates %s, and a one-id extent may map your own %s %u",
                                        userns_idmap_kind_name(kind), e->first, e->lower_first, e->count,
                                        id_word(kind), e->lower_first, e->lower_first + e->count - 1, s->euid,
                                        userns_subid_path(subid_kind(kind)), have, id_word(kind), self);
        }
        return 0;
}

/* Privileged: would the kernel take this map from us?  (Checked against our own map.) */
static int check_direct(const struct userns_spawn *s, enum userns_idmap_kind kind,
                        struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *parent = NULL;
        int r = userns_idmap_read_proc(0, kind, &parent, err);
        if (r < 0)
                return r;
        return userns_idmap_check_write(s->map_text[kind], strlen(s->map_text[kind]), kind, parent,
                                        NULL, err);
}

/* A map's kernel text on one line ("0 4242 1, 1 200000 65536") for messages. */
static const char *one_line(const char *text, char *buf, size_t size)
{
        size_t o = 0;
        for (const char *p = text; *p && o + 3 < size; p++) {
                if (*p != '\n')
                        buf[o++] = *p;
                else if (p[1]) {
                        buf[o++] = ',';
                        buf[o++] = ' ';
                }
        }
        buf[o] = '\0';
        return buf;
}

static int check_identity(struct userns_spawn *s, struct userns_error *err)
{
        char buf[256];
        /* A caller whose own ids the map leaves out becomes 0 inside (when 0 is mapped), not 65534. */
        s->root_first_uid = userns_idmap_up(s->map[USERNS_IDMAP_UID], s->euid) == USERNS_ID_INVALID &&
                            userns_idmap_down(s->map[USERNS_IDMAP_UID], 0) != USERNS_ID_INVALID;
        s->root_first_gid = userns_idmap_up(s->map[USERNS_IDMAP_GID], s->egid) == USERNS_ID_INVALID &&
                            userns_idmap_down(s->map[USERNS_IDMAP_GID], 0) != USERNS_ID_INVALID;
        const struct userns_idmap *um = s->map[USERNS_IDMAP_UID], *gm = s->map[USERNS_IDMAP_GID];
        if (s->have_uid && userns_idmap_down(um, s->uid) == USERNS_ID_INVALID)
                return userns_error_set(err, EINVAL, "--uid %u: not mapped by the uid map (%s)", s->uid,
                                        one_line(s->map_text[USERNS_IDMAP_UID], buf, sizeof buf));
        if (s->have_gid && userns_idmap_down(gm, s->gid) == USERNS_ID_INVALID)
                return userns_error_set(err, EINVAL, "--gid %u: not mapped by the gid map (%s)", s->gid,
                                        one_line(s->map_text[USERNS_IDMAP_GID], buf, sizeof buf));
        for (size_t i = 0; s->have_groups && i < s->ngroups; i++)
                if (userns_idmap_down(gm, s->groups[i]) == USERNS_ID_INVALID)
                        return userns_error_set(err, EINVAL, "--groups: group %u is not mapped by the gid map (%s)",
                                                s->groups[i], one_line(s->map_text[USERNS_IDMAP_GID], buf, sizeof buf));
        if (s->have_groups && s->deny_setgroups)
                return userns_error_set(err, EPERM,
                                        "--groups needs setgroups(2), but setgroups is denied in the new namespace "
                                        "(an unprivileged self-map of the gid requires that); use subordinate gids "
                                        "or --setgroups allow");
        return 0;
}

static int check_config(const struct userns_spawn *s, struct userns_error *err)
{
        if (!s->argv)
                return userns_error_set(err, EINVAL, "no command to run");
        if (s->hostname && !(s->ns & CLONE_NEWUTS))
                return userns_error_set(err, EINVAL, "a hostname needs a new uts namespace (--uts)");
        if ((s->root || s->nmounts || s->nhooks[USERNS_STAGE_INSIDE_MOUNTS]) && !(s->ns & CLONE_NEWNS))
                return userns_error_set(err, EINVAL, "--root, --bind, --ro-bind and --tmpfs need a new mount "
                                        "namespace (--mount)");
        return 0;
}

static void free_ranges(struct userns_subid_range *(*v)[2])
{
        free((*v)[0]);
        free((*v)[1]);
}

int userns_spawn_resolve(struct userns_spawn *s, struct userns_error *err)
{
        if (s->resolved)
                return 0;
        int r = check_config(s, err);
        if (r < 0)
                return r;
        s->euid = geteuid();
        s->egid = getegid();
        for (int k = 0; k < 2; k++) {
                userns_idmap_free(s->map[k]);
                s->map[k] = NULL;
                free(s->map_text[k]);
                s->map_text[k] = NULL;
                free(s->helper[k]);
                s->helper[k] = NULL;
        }

        _cleanup_(free_ranges) struct userns_subid_range *sub[2] = { NULL, NULL };
        size_t nsub[2] = { 0, 0 };
        bool looked_up = false;
        for (int k = 0; k < 2; k++) {
                uint32_t self = k == USERNS_IDMAP_GID ? s->egid : s->euid;
                if (s->explicit_map[k]) {
                        if (userns_idmap_dup(s->explicit_map[k], &s->map[k]) < 0)
                                return oom(err);
                        continue;
                }
                switch (s->mode) {
                case USERNS_MAP_DEFAULT:
                case USERNS_MAP_AUTO:
                        if (!looked_up) {
                                r = userns_subid_lookup_all(s->subid_source, NULL, s->euid, sub, nsub, err);
                                if (r < 0)
                                        return r;
                                looked_up = true;
                        }
                        if (nsub[k] == 0 && s->mode == USERNS_MAP_AUTO)
                                return userns_subid_missing_error(subid_kind(k), NULL, s->euid, err);
                        r = build_default_map(k, self, sub[k], nsub[k], &s->map[k], err);
                        break;
                case USERNS_MAP_ROOT:
                        r = build_default_map(k, self, NULL, 0, &s->map[k], err);
                        break;
                case USERNS_MAP_CURRENT:
                        if (userns_idmap_new(&s->map[k]) < 0)
                                return oom(err);
                        r = userns_idmap_add(s->map[k], self, self, 1, "self", err);
                        break;
                }
                if (r < 0)
                        return r;
        }
        for (int k = 0; k < 2; k++) {
                r = userns_idmap_format(s->map[k], USERNS_IDMAP_FORMAT_KERNEL, &s->map_text[k], err);
                if (r < 0)
                        return r;
        }

        /* setgroups: deny for a self gid map unless groups are wanted (as unshare -r does). */
        bool gid_self = is_self_map(s->map[USERNS_IDMAP_GID], s->egid);
        if (s->setgroups == USERNS_SETGROUPS_DENY)
                s->deny_setgroups = true;
        else if (s->setgroups == USERNS_SETGROUPS_ALLOW)
                s->deny_setgroups = false;
        else
                s->deny_setgroups = gid_self && !s->have_groups;

        for (int k = 0; k < 2; k++) {
                uint32_t self = k == USERNS_IDMAP_GID ? s->egid : s->euid;
                bool self_ok = is_self_map(s->map[k], self) && (k == USERNS_IDMAP_UID || s->deny_setgroups);
                if (self_ok) {
                        s->writer[k] = MAP_WRITER_SELF;
                } else if (has_setid_cap(k)) {
                        s->writer[k] = MAP_WRITER_DIRECT;
                        r = check_direct(s, k, err);
                        if (r < 0)
                                return userns_error_prefix(err, "the %s cannot be written", userns_idmap_kind_name(k));
                } else {
                        if (is_self_map(s->map[k], self))
                                /* k == GID with setgroups allowed: the kernel refuses that without privilege. */
                                return userns_error_set(err, EPERM,
                                                        "%sa gid map of only your own gid (%.*s) written without "
                                                        "privilege needs setgroups denied: %s",
                                                        s->have_groups ? "--groups needs setgroups allowed, but " : "",
                                                        (int)strcspn(s->map_text[k], "\n"), s->map_text[k],
                                                        s->have_groups ? "map subordinate gids instead"
                                                                       : "use --setgroups deny, or subordinate gids");
                        s->writer[k] = MAP_WRITER_HELPER;
                        if (!looked_up) {
                                r = userns_subid_lookup_all(s->subid_source, NULL, s->euid, sub, nsub, err);
                                if (r < 0)
                                        return r;
                                looked_up = true;
                        }
                        r = check_delegated(s, k, sub[k], nsub[k], err);
                        if (r < 0)
                                return r;
                        r = find_helper(k == USERNS_IDMAP_GID ? "newgidmap" : "newuidmap", &s->helper[k], err);
                        if (r < 0)
                                return r;
                }
        }
        r = check_identity(s, err);
        if (r < 0)
                return r;
        s->resolved = true;
        return 0;
}
