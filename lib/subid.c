/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Subordinate id ranges: /etc/subuid and /etc/subgid, directly or through libsubid. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userns/subid.h"
#include "util/cleanup.h"
#include "util/fileio.h"

const char *userns_subid_path(enum userns_subid_kind kind)
{
        return kind == USERNS_SUBID_GID ? "/etc/subgid" : "/etc/subuid";
}

static const char *kind_word(enum userns_subid_kind kind)
{
        return kind == USERNS_SUBID_GID ? "gid" : "uid";
}

/* A decimal number in [p, end) that fits in 32 bits. */
static bool parse_num(const char *p, const char *end, uint64_t *out)
{
        if (p == end)
                return false;
        uint64_t v = 0;
        for (; p < end; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                v = v * 10 + (uint64_t)(*p - '0');
                if (v > UINT32_MAX)
                        return false;
        }
        *out = v;
        return true;
}

/* Split one line "owner:start:count"; false for comments and malformed lines. */
static bool parse_line(const char *line, const char *end, const char **owner, size_t *owner_len,
                       uint32_t *start, uint32_t *count)
{
        while (line < end && (*line == ' ' || *line == '\t'))
                line++;
        while (end > line && isspace((unsigned char)end[-1]))
                end--;
        if (line == end || *line == '#')
                return false;
        const char *c1 = memchr(line, ':', (size_t)(end - line));
        if (!c1 || c1 == line)
                return false;
        const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
        if (!c2)
                return false;
        uint64_t s, c;
        if (!parse_num(c1 + 1, c2, &s) || !parse_num(c2 + 1, end, &c))
                return false;
        /* Zero-length ranges and ranges that wrap past (u32)-1 delegate nothing. */
        if (c == 0 || s + c - 1 >= UINT32_MAX)
                return false;
        *owner = line;
        *owner_len = (size_t)(c1 - line);
        *start = (uint32_t)s;
        *count = (uint32_t)c;
        return true;
}

static bool owner_matches(const char *owner, size_t len, const char *user, uint32_t id)
{
        if (user && strlen(user) == len && memcmp(owner, user, len) == 0)
                return true;
        uint64_t v;
        return parse_num(owner, owner + len, &v) && v == id;
}

static int push_range(struct userns_subid_range **v, size_t *n, size_t *cap, uint32_t start,
                      uint32_t count, struct userns_error *err)
{
        if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 4;
                struct userns_subid_range *nv = realloc(*v, nc * sizeof *nv);
                if (!nv)
                        return userns_error_set(err, ENOMEM, "out of memory");
                *v = nv;
                *cap = nc;
        }
        (*v)[(*n)++] = (struct userns_subid_range){ start, count };
        return 0;
}

/* The next well-formed line of [*p, end): true with its fields, advancing *p; false at the end. */
static bool next_range(const char **p, const char *end, const char **owner, size_t *olen, uint32_t *start,
                       uint32_t *count)
{
        while (*p < end) {
                const char *nl = memchr(*p, '\n', (size_t)(end - *p));
                const char *line = *p;
                *p = nl ? nl + 1 : end;
                if (parse_line(line, nl ? nl : end, owner, olen, start, count))
                        return true;
        }
        return false;
}

int userns_subid_parse(const char *text, size_t len, const char *user, uint32_t id,
                       struct userns_subid_range **out, size_t *n, struct userns_error *err)
{
        _cleanup_free_ struct userns_subid_range *v = NULL;
        size_t cnt = 0, cap = 0;
        const char *p = text, *owner;
        size_t olen;
        uint32_t s, c;
        while (next_range(&p, text + len, &owner, &olen, &s, &c))
                if (owner_matches(owner, olen, user, id)) {
                        int r = push_range(&v, &cnt, &cap, s, c, err);
                        if (r < 0)
                                return r;
                }
        *out = TAKE_PTR(v);
        *n = cnt;
        return 0;
}

uint32_t userns_subid_suggest_start(const char *text, size_t len)
{
        uint64_t top = 100000;
        const char *p = text, *owner;
        size_t olen;
        uint32_t s, c;
        while (next_range(&p, text + len, &owner, &olen, &s, &c))
                if ((uint64_t)s + c > top)
                        top = (uint64_t)s + c;
        /* Round up to a 65536 boundary above 100000, as useradd's defaults line up. */
        if (top > 100000)
                top = ((top - 100000 + 65535) / 65536) * 65536 + 100000;
        return top + 65536 <= UINT32_MAX ? (uint32_t)top : 100000;
}

bool userns_subid_covers(const struct userns_subid_range *ranges, size_t n, uint32_t start,
                         uint32_t count)
{
        uint64_t pos = start, end = (uint64_t)start + count;
        /* Advance through ranges that contain pos until the whole span is covered. */
        while (pos < end) {
                bool moved = false;
                for (size_t i = 0; i < n; i++) {
                        uint64_t rs = ranges[i].start, re = rs + ranges[i].count;
                        if (pos >= rs && pos < re) {
                                pos = re;
                                moved = true;
                        }
                }
                if (!moved)
                        return false;
        }
        return true;
}

static int user_name(uint32_t id, char **out, struct userns_error *err)
{
        struct passwd pw, *res = NULL;
        char buf[1024];
        int r = getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &res);
        if (r != 0 && r != ENOENT && r != ESRCH)
                return userns_error_errno(err, r, "looking up the name of uid %u", id);
        *out = NULL;
        if (res && !(*out = strdup(res->pw_name)))
                return userns_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* Both files, with at most one name lookup (only when a file has lines at all). */
static int lookup_files(const bool want[2], const char *user, uint32_t id,
                        struct userns_subid_range *out[2], size_t n[2], struct userns_error *err)
{
        _cleanup_free_ char *name = NULL;
        for (int k = 0; k < 2; k++) {
                if (!want[k])
                        continue;
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                int r = util_read_file(userns_subid_path(k), &text, &len, err);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (!user && len > 0) {
                        r = user_name(id, &name, err);
                        if (r < 0)
                                return r;
                        user = name;
                }
                r = userns_subid_parse(text, len, user, id, &out[k], &n[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Does /etc/nsswitch.conf name a subid provider?  (libsubid then adds something.) */
static bool nsswitch_has_subid(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (util_read_file("/etc/nsswitch.conf", &text, &len, NULL) < 0)
                return false;
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                while (*line == ' ' || *line == '\t')
                        line++;
                if (strncmp(line, "subid:", 6) == 0) {
                        char *v = line + 6;
                        v += strspn(v, " \t");
                        /* "subid: files" is what the file parser does anyway. */
                        if (*v && strncmp(v, "files", 5) != 0)
                                return true;
                }
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

struct subid_range_abi {  /* struct subid_range of <shadow/subid.h>, ABI 4 */
        unsigned long start;
        unsigned long count;
};

static int lookup_libsubid(enum userns_subid_kind kind, const char *user, uint32_t id,
                           struct userns_subid_range **out, size_t *n, struct userns_error *err)
{
        void *h = dlopen("libsubid.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return userns_error_set(err, ENOPKG,
                                        "shadow's libsubid is not available (install the libsubid4 package): %s",
                                        dlerror());
        /* Kept loaded: libsubid keeps its own state (log stream, program name). */
        bool (*init)(const char *, FILE *) = (bool (*)(const char *, FILE *))dlsym(h, "subid_init");
        int (*get)(const char *, struct subid_range_abi **) = (int (*)(const char *, struct subid_range_abi **))
                dlsym(h, kind == USERNS_SUBID_GID ? "subid_get_gid_ranges" : "subid_get_uid_ranges");
        if (!init || !get)
                return userns_error_set(err, ENOSYS, "libsubid.so.4 lacks subid_init/subid_get_*_ranges");
        _cleanup_free_ char *name = NULL;
        if (!user) {
                int r = user_name(id, &name, err);
                if (r < 0)
                        return r;
                if (!name && asprintf(&name, "%u", id) < 0)
                        return userns_error_set(err, ENOMEM, "out of memory");
                user = name;
        }
        /* Quiet: a library does not print; libsubid logs to /dev/null when given no stream. */
        init("userns", NULL);
        struct subid_range_abi *raw = NULL;
        int cnt = get(user, &raw);
        if (cnt < 0)
                return userns_error_set(err, EIO, "libsubid could not list the subordinate %ss of %s",
                                        kind_word(kind), user);
        _cleanup_free_ struct userns_subid_range *v = NULL;
        size_t nv = 0, cap = 0;
        int r = 0;
        for (int i = 0; i < cnt && r == 0; i++)
                if (raw[i].count > 0 && raw[i].start + raw[i].count - 1 < UINT32_MAX)
                        r = push_range(&v, &nv, &cap, (uint32_t)raw[i].start, (uint32_t)raw[i].count, err);
        free(raw);
        if (r < 0)
                return r;
        *out = TAKE_PTR(v);
        *n = nv;
        return 0;
}

int userns_subid_lookup_all(enum userns_subid_source source, const char *user, uint32_t id,
                            struct userns_subid_range *out[2], size_t n[2], struct userns_error *err)
{
        const bool want[2] = { true, true };
        out[0] = out[1] = NULL;
        n[0] = n[1] = 0;
        int r = 0;
        if (source == USERNS_SUBID_SOURCE_LIBSUBID ||
            (source == USERNS_SUBID_SOURCE_AUTO && nsswitch_has_subid())) {
                for (int k = 0; k < 2 && r == 0; k++)
                        r = lookup_libsubid(k, user, id, &out[k], &n[k], err);
        } else {
                r = lookup_files(want, user, id, out, n, err);
        }
        if (r < 0)
                for (int k = 0; k < 2; k++) {
                        free(out[k]);
                        out[k] = NULL;
                        n[k] = 0;
                }
        return r;
}

int userns_subid_lookup(enum userns_subid_kind kind, enum userns_subid_source source,
                        const char *user, uint32_t id,
                        struct userns_subid_range **out, size_t *n, struct userns_error *err)
{
        struct userns_subid_range *v[2] = { NULL, NULL };
        size_t nv[2] = { 0, 0 };
        const bool want[2] = { kind == USERNS_SUBID_UID, kind == USERNS_SUBID_GID };
        int r;
        if (source == USERNS_SUBID_SOURCE_LIBSUBID ||
            (source == USERNS_SUBID_SOURCE_AUTO && nsswitch_has_subid()))
                r = lookup_libsubid(kind, user, id, &v[kind], &nv[kind], err);
        else
                r = lookup_files(want, user, id, v, nv, err);
        if (r < 0) {
                free(v[kind]);
                return r;
        }
        *out = v[kind];
        *n = nv[kind];
        return 0;
}

int userns_subid_missing_error(enum userns_subid_kind kind, const char *user, uint32_t id,
                               struct userns_error *err)
{
        _cleanup_free_ char *name = NULL, *text = NULL;
        size_t len = 0;
        if (!user) {
                if (user_name(id, &name, NULL) < 0 || !name)
                        (void)asprintf(&name, "%u", id);
                user = name ? name : "?";
        }
        (void)util_read_file(userns_subid_path(kind), &text, &len, NULL);
        uint32_t start = userns_subid_suggest_start(text ? text : "", text ? len : 0);
        return userns_error_set(err, ENOENT,
                                "no subordinate %s range for %s (uid %u) in %s; add a line such as "
                                "'%s:%u:65536' to %s (usermod --add-sub%ss %u-%u %s)",
                                kind_word(kind), user, id, userns_subid_path(kind),
                                user, start, userns_subid_path(kind), kind_word(kind), start,
                                start + 65535, user);
}
