/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Map text: the kernel's uid_map lines (parsed exactly as map_write() does),
 * the compact form "0:100000:65536,..." and OCI runtime-spec JSON arrays; and
 * formatting back into each form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap-internal.h"
#include "util/cleanup.h"

/* Describe the byte at p (or the end of the line) for a message. */
static const char *describe(const char *p, const char *end, char buf[static 16])
{
        if (p >= end)
                return "end of line";
        unsigned char c = (unsigned char)*p;
        if (c > 0x20 && c < 0x7f && c != '\'')
                snprintf(buf, 16, "'%c'", c);
        else
                snprintf(buf, 16, "byte 0x%02x", c);
        return buf;
}

/* --- kernel form: map_write() --- */

/*
 * simple_strtoul(p, &p, 10) on one line: as many decimal digits as there are,
 * accumulated in 64 bits with wrap-around (the kernel's _parse_integer() keeps
 * multiplying after flagging an overflow, and simple_strtoull() ignores the flag),
 * then truncated to u32 by the assignment to a u32 extent field.
 */
static uint32_t kernel_strtoul(const char **pp, const char *end, size_t *ndigits)
{
        const char *p = *pp;
        uint64_t v = 0;
        while (p < end && *p >= '0' && *p <= '9')
                v = v * 10 + (uint64_t)(*p++ - '0');
        *ndigits = (size_t)(p - *pp);
        *pp = p;
        return (uint32_t)v;
}

static const char *skip_spaces(const char *p, const char *end)
{
        while (p < end && idmap_kernel_isspace((unsigned char)*p))
                p++;
        return p;
}

static const char *const field_names[3] = { "inside id", "outside id", "count" };

/*
 * One line [p, end) (the '\n' already cut off, as the kernel NUL-terminates it).
 * Returns 0 and fills *e, or -EINVAL with a message naming `what` and the rule.
 */
static int parse_kernel_line(const char *p, const char *end, const char *what,
                             struct userns_extent *e, struct userns_error *err)
{
        const char *line = p;
        uint32_t v[3];
        size_t count_digits = 0;
        char b[16];
        for (int f = 0; f < 3; f++) {
                p = skip_spaces(p, end);
                const char *start = p;
                size_t nd;
                v[f] = kernel_strtoul(&p, end, &nd);
                count_digits = nd;
                bool at_end = p >= end, space = !at_end && idmap_kernel_isspace((unsigned char)*p);
                if (f == 2 ? (at_end || space) : space)
                        continue;
                /* The kernel: the next char must be whitespace (or, after count, the end). */
                if (nd == 0 && at_end && f == 0)
                        return userns_error_set(err, EINVAL, "%s: %s", what,
                                                start == line ? "empty line" : "blank line");
                if (nd == 0 && at_end)
                        return userns_error_set(err, EINVAL, "%s: missing %s (a line is "
                                                "'INSIDE OUTSIDE COUNT')", what, field_names[f]);
                if (nd == 0)
                        return userns_error_set(err, EINVAL, "%s: %s: expected a decimal number, "
                                                "found %s%s", what, field_names[f], describe(p, end, b),
                                                *p == '+' || *p == '-' ? " (no sign allowed)" : "");
                if (at_end)
                        return userns_error_set(err, EINVAL, "%s: missing %s after %s %.*s", what,
                                                field_names[f + 1], field_names[f], (int)nd, start);
                return userns_error_set(err, EINVAL, "%s: %s %.*s is followed by %s, not whitespace%s",
                                        what, field_names[f], (int)nd, start, describe(p, end, b),
                                        (*p == 'x' || *p == 'X') && nd == 1 && *start == '0'
                                                ? " (hex is not accepted)" : "");
        }
        p = skip_spaces(p, end);
        if (p < end)
                return userns_error_set(err, EINVAL, "%s: trailing junk %s after the count "
                                        "(a line is 'INSIDE OUTSIDE COUNT')", what, describe(p, end, b));
        e->first = v[0];
        e->lower_first = v[1];
        e->count = v[2];
        if (count_digits == 0 && e->first != UINT32_MAX && e->lower_first != UINT32_MAX)
                return userns_error_set(err, EINVAL, "%s: missing count (the kernel reads it as 0)", what);
        return 0;
}

static int parse_kernel(const char *text, size_t len, enum userns_idmap_kind kind,
                        struct userns_idmap *m, struct userns_error *err)
{
        const char *k = userns_idmap_kind_name(kind);
        /* memdup_user_nul(): the kernel sees the buffer as a C string. */
        len = strnlen(text, len);
        const char *end = text + len;
        const char *pos = text;
        size_t lineno = 0;
        do {
                lineno++;
                const char *nl = memchr(pos, '\n', (size_t)(end - pos));
                const char *line_end = nl ? nl : end;
                const char *next = nl ? nl + 1 : NULL;
                if (next == end)
                        next = NULL;    /* one trailing newline ends the text */
                char what[64];
                snprintf(what, sizeof what, "%s line %zu", k, lineno);
                struct userns_extent e;
                int r = parse_kernel_line(pos, line_end, what, &e, err);
                if (r < 0)
                        return r;
                r = idmap_add_checked(m, &e, what, "line", USERNS_IDMAP_MAX_EXTENTS, next != NULL, err);
                if (r < 0)
                        return r;
                pos = next;
        } while (pos);
        return 0;
}

/* --- compact form: "0:100000:65536,65536:1000:1" --- */

static int strict_u32(const char **pp, const char *end, uint32_t *out)
{
        const char *p = *pp;
        uint64_t v = 0;
        if (p >= end || *p < '0' || *p > '9')
                return -EINVAL;
        while (p < end && *p >= '0' && *p <= '9') {
                v = v * 10 + (uint64_t)(*p++ - '0');
                if (v > UINT32_MAX)
                        return -ERANGE;
        }
        *out = (uint32_t)v;
        *pp = p;
        return 0;
}

static bool plain_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int parse_compact(const char *text, size_t len, enum userns_idmap_kind kind,
                         struct userns_idmap *m, struct userns_error *err)
{
        const char *k = userns_idmap_kind_name(kind);
        const char *p = text, *end = text + len;
        char b[16];
        while (p < end && plain_space(*p))
                p++;
        while (end > p && plain_space(end[-1]))
                end--;
        if (p == end)
                return userns_error_set(err, EINVAL, "%s: empty map (expected INSIDE:OUTSIDE:COUNT[,...])", k);
        for (size_t n = 1;; n++) {
                char what[64];
                snprintf(what, sizeof what, "%s entry %zu", k, n);
                while (p < end && plain_space(*p))
                        p++;
                uint32_t v[3];
                for (int f = 0; f < 3; f++) {
                        int r = strict_u32(&p, end, &v[f]);
                        if (r == -ERANGE)
                                return userns_error_set(err, EINVAL, "%s: %s is larger than 4294967295",
                                                        what, field_names[f]);
                        if (r < 0)
                                return userns_error_set(err, EINVAL, "%s: %s: expected a decimal number, "
                                                        "found %s", what, field_names[f], describe(p, end, b));
                        if (f < 2) {
                                if (p >= end || *p != ':')
                                        return userns_error_set(err, EINVAL, "%s: expected ':' after the %s, "
                                                                "found %s (form INSIDE:OUTSIDE:COUNT)", what,
                                                                field_names[f], describe(p, end, b));
                                p++;
                        }
                }
                struct userns_extent e = { v[0], v[1], v[2] };
                int r = idmap_add_checked(m, &e, what, "entry", USERNS_IDMAP_MAX_EXTENTS, false, err);
                if (r < 0)
                        return r;
                while (p < end && plain_space(*p))
                        p++;
                if (p == end)
                        return 0;
                if (*p != ',')
                        return userns_error_set(err, EINVAL, "%s: expected ',' or the end after the count, "
                                                "found %s", what, describe(p, end, b));
                p++;
        }
}

/* --- OCI runtime-spec JSON: [{"containerID":0,"hostID":100000,"size":65536}, ...] --- */

struct json {
        const char *p, *end;
        const char *k;
};

static void json_ws(struct json *j)
{
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
                j->p++;
}

static int json_expect(struct json *j, char c, const char *where, struct userns_error *err)
{
        char b[16];
        json_ws(j);
        if (j->p >= j->end || *j->p != c)
                return userns_error_set(err, EINVAL, "%s: OCI JSON: expected '%c' %s, found %s", j->k, c,
                                        where, describe(j->p, j->end, b));
        j->p++;
        return 0;
}

/* A key: only plain ASCII without escapes can name a known member; others are reported. */
static int json_key(struct json *j, char *key, size_t keysz, const char *what, struct userns_error *err)
{
        char b[16];
        json_ws(j);
        if (j->p >= j->end || *j->p != '"')
                return userns_error_set(err, EINVAL, "%s: OCI JSON: expected a member name, found %s", what,
                                        describe(j->p, j->end, b));
        j->p++;
        size_t n = 0;
        while (j->p < j->end && *j->p != '"') {
                unsigned char c = (unsigned char)*j->p;
                if (c < 0x20 || c == '\\')
                        return userns_error_set(err, EINVAL, "%s: OCI JSON: unsupported character %s in a "
                                                "member name", what, describe(j->p, j->end, b));
                if (n + 1 < keysz)
                        key[n++] = (char)c;
                j->p++;
        }
        if (j->p >= j->end)
                return userns_error_set(err, EINVAL, "%s: OCI JSON: unterminated member name", what);
        j->p++;
        key[n] = '\0';
        return 0;
}

static int json_u32(struct json *j, uint32_t *out, const char *what, const char *key,
                    struct userns_error *err)
{
        char b[16];
        json_ws(j);
        const char *start = j->p;
        int r = strict_u32(&j->p, j->end, out);
        if (r == -ERANGE)
                return userns_error_set(err, EINVAL, "%s: \"%s\" is larger than 4294967295", what, key);
        if (r < 0)
                return userns_error_set(err, EINVAL, "%s: \"%s\": expected a non-negative integer, found %s",
                                        what, key, describe(j->p, j->end, b));
        if (j->p - start > 1 && *start == '0')
                return userns_error_set(err, EINVAL, "%s: \"%s\": JSON numbers have no leading zeros",
                                        what, key);
        if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
                return userns_error_set(err, EINVAL, "%s: \"%s\": expected an integer, found %s", what, key,
                                        describe(j->p, j->end, b));
        return 0;
}

static int parse_oci(const char *text, size_t len, enum userns_idmap_kind kind,
                     struct userns_idmap *m, struct userns_error *err)
{
        static const char *const keys[3] = { "containerID", "hostID", "size" };
        struct json j = { text, text + len, userns_idmap_kind_name(kind) };
        char b[16];
        int r = json_expect(&j, '[', "at the start of an OCI mapping array", err);
        if (r < 0)
                return r;
        json_ws(&j);
        if (j.p < j.end && *j.p == ']') {
                j.p++;
                goto done;
        }
        for (size_t n = 1;; n++) {
                char what[64];
                snprintf(what, sizeof what, "%s entry %zu", j.k, n);
                r = json_expect(&j, '{', "to open a mapping", err);
                if (r < 0)
                        return r;
                uint32_t v[3];
                bool seen[3] = { false, false, false };
                json_ws(&j);
                bool empty = j.p < j.end && *j.p == '}';
                while (!empty) {
                        char key[32];
                        r = json_key(&j, key, sizeof key, what, err);
                        if (r < 0)
                                return r;
                        int f = -1;
                        for (int i = 0; i < 3; i++)
                                if (strcmp(key, keys[i]) == 0)
                                        f = i;
                        if (f < 0)
                                return userns_error_set(err, EINVAL, "%s: unknown member \"%s\" (expected "
                                                        "containerID, hostID, size)", what, key);
                        if (seen[f])
                                return userns_error_set(err, EINVAL, "%s: \"%s\" given twice", what, key);
                        r = json_expect(&j, ':', "after a member name", err);
                        if (r < 0)
                                return r;
                        r = json_u32(&j, &v[f], what, key, err);
                        if (r < 0)
                                return r;
                        seen[f] = true;
                        json_ws(&j);
                        if (j.p < j.end && *j.p == ',') {
                                j.p++;
                                continue;
                        }
                        break;
                }
                r = json_expect(&j, '}', "to close a mapping", err);
                if (r < 0)
                        return r;
                for (int i = 0; i < 3; i++)
                        if (!seen[i])
                                return userns_error_set(err, EINVAL, "%s: missing \"%s\"", what, keys[i]);
                struct userns_extent e = { v[0], v[1], v[2] };
                r = idmap_add_checked(m, &e, what, "entry", USERNS_IDMAP_MAX_EXTENTS, false, err);
                if (r < 0)
                        return r;
                json_ws(&j);
                if (j.p < j.end && *j.p == ',') {
                        j.p++;
                        continue;
                }
                r = json_expect(&j, ']', "or ',' after a mapping", err);
                if (r < 0)
                        return r;
                break;
        }
done:
        json_ws(&j);
        if (j.p < j.end)
                return userns_error_set(err, EINVAL, "%s: OCI JSON: trailing %s after the array", j.k,
                                        describe(j.p, j.end, b));
        if (m->n == 0)
                return userns_error_set(err, EINVAL, "%s: OCI JSON: no mappings", j.k);
        return 0;
}

static enum userns_idmap_format guess_format(const char *text, size_t len)
{
        size_t i = 0;
        while (i < len && plain_space(text[i]))
                i++;
        if (i < len && (text[i] == '[' || text[i] == '{'))
                return USERNS_IDMAP_FORMAT_OCI;
        if (memchr(text, ':', len))
                return USERNS_IDMAP_FORMAT_COMPACT;
        return USERNS_IDMAP_FORMAT_KERNEL;
}

int userns_idmap_parse(const char *text, size_t len, enum userns_idmap_format format,
                       enum userns_idmap_kind kind, struct userns_idmap **out,
                       struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        if (!text)
                return userns_error_set(err, EINVAL, "%s: no text", userns_idmap_kind_name(kind));
        if (userns_idmap_new(&m) < 0)
                return userns_error_set(err, ENOMEM, "out of memory");
        if (format == USERNS_IDMAP_FORMAT_AUTO)
                format = guess_format(text, len);
        idmap_defer(m);
        int r;
        switch (format) {
        case USERNS_IDMAP_FORMAT_KERNEL:
                r = parse_kernel(text, len, kind, m, err);
                break;
        case USERNS_IDMAP_FORMAT_COMPACT:
                r = parse_compact(text, len, kind, m, err);
                break;
        case USERNS_IDMAP_FORMAT_OCI:
                r = parse_oci(text, len, kind, m, err);
                break;
        default:
                return userns_error_set(err, EINVAL, "unknown map format %d", (int)format);
        }
        if (r < 0)
                return r;
        if (idmap_finish(m) < 0)
                return userns_error_set(err, ENOMEM, "out of memory");
        *out = TAKE_PTR(m);
        return 0;
}

int userns_idmap_format(const struct userns_idmap *map, enum userns_idmap_format format,
                        char **out, struct userns_error *err)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return userns_error_set(err, ENOMEM, "out of memory");
        size_t n = userns_idmap_count(map);
        if (format == USERNS_IDMAP_FORMAT_OCI)
                fputc('[', f);
        for (size_t i = 0; i < n; i++) {
                const struct userns_extent *e = userns_idmap_extent(map, i);
                switch (format) {
                case USERNS_IDMAP_FORMAT_AUTO:
                case USERNS_IDMAP_FORMAT_KERNEL:
                        fprintf(f, "%u %u %u\n", e->first, e->lower_first, e->count);
                        break;
                case USERNS_IDMAP_FORMAT_COMPACT:
                        fprintf(f, "%s%u:%u:%u", i ? "," : "", e->first, e->lower_first, e->count);
                        break;
                case USERNS_IDMAP_FORMAT_OCI:
                        fprintf(f, "%s{\"containerID\":%u,\"hostID\":%u,\"size\":%u}", i ? "," : "",
                                e->first, e->lower_first, e->count);
                        break;
                }
        }
        if (format == USERNS_IDMAP_FORMAT_OCI)
                fputc(']', f);
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return userns_error_set(err, ENOMEM, "out of memory");
        }
        *out = buf;
        return 0;
}
