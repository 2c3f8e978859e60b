/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "userns/idmap.h"
#include "util/cleanup.h"
#include "util/fileio.h"

void cli_warn(const char *fmt, ...)
{
        va_list ap;
        fputs("userns: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_fail(int status, const struct userns_error *err, const char *fmt, ...)
{
        va_list ap;
        fputs("userns: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (err && err->message[0])
                fprintf(stderr, ": %s", err->message);
        fputc('\n', stderr);
        return status;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "userns %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'userns %s --help' for more information.\n", cmd);
        return 1;
}

int cli_parse_u32(const char *s, uint32_t *out, bool allow_max)
{
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > UINT32_MAX || (!allow_max && v == UINT32_MAX))
                return -ERANGE;
        *out = (uint32_t)v;
        return 0;
}

int cli_read_file(const char *path, char **buf, size_t *len, struct userns_error *err)
{
        if (!path || strcmp(path, "-") == 0)
                return util_read_fd(STDIN_FILENO, "standard input", 64u << 20, buf, len, err);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return userns_error_errno(err, errno, "%s", path);
        return util_read_fd(fd, path, 64u << 20, buf, len, err);
}

/* --- JSON --- */

void cli_json_init(struct cli_json *j, FILE *f)
{
        memset(j, 0, sizeof *j);
        j->f = f;
}

static void value_prefix(struct cli_json *j)
{
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->depth > 0 && j->need_comma[j->depth])
                fputc(',', j->f);
        if (j->depth > 0)
                j->need_comma[j->depth] = true;
}

static void open_container(struct cli_json *j, char c)
{
        value_prefix(j);
        fputc(c, j->f);
        if (j->depth < (int)ELEMENTSOF(j->need_comma) - 1)
                j->depth++;
        j->need_comma[j->depth] = false;
}

static void close_container(struct cli_json *j, char c)
{
        fputc(c, j->f);
        if (j->depth > 0)
                j->depth--;
}

void cli_json_begin_object(struct cli_json *j) { open_container(j, '{'); }
void cli_json_end_object(struct cli_json *j) { close_container(j, '}'); }
void cli_json_begin_array(struct cli_json *j) { open_container(j, '['); }
void cli_json_end_array(struct cli_json *j) { close_container(j, ']'); }

static void put_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                case '\r': fputs("\\r", f); break;
                default:
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

void cli_json_key(struct cli_json *j, const char *key)
{
        value_prefix(j);
        put_string(j->f, key);
        fputc(':', j->f);
        j->after_key = true;
}

void cli_json_string(struct cli_json *j, const char *s)
{
        value_prefix(j);
        if (s)
                put_string(j->f, s);
        else
                fputs("null", j->f);
}

void cli_json_uint(struct cli_json *j, uint64_t v) { value_prefix(j); fprintf(j->f, "%llu", (unsigned long long)v); }
void cli_json_int(struct cli_json *j, int64_t v) { value_prefix(j); fprintf(j->f, "%lld", (long long)v); }
void cli_json_bool(struct cli_json *j, bool v) { value_prefix(j); fputs(v ? "true" : "false", j->f); }
void cli_json_null(struct cli_json *j) { value_prefix(j); fputs("null", j->f); }
void cli_json_end(struct cli_json *j) { fputc('\n', j->f); fflush(j->f); }

void cli_json_idmap(struct cli_json *j, const struct userns_idmap *m)
{
        cli_json_begin_array(j);
        for (size_t i = 0; i < userns_idmap_count(m); i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                cli_json_begin_object(j);
                cli_json_key(j, "first");
                cli_json_uint(j, e->first);
                cli_json_key(j, "lower_first");
                cli_json_uint(j, e->lower_first);
                cli_json_key(j, "count");
                cli_json_uint(j, e->count);
                cli_json_end_object(j);
        }
        cli_json_end_array(j);
}
