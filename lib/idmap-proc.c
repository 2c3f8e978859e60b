/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a live process's maps: /proc/PID/{uid,gid,projid}_map ("%10u %10u %10u\n" lines). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap-internal.h"
#include "util/fileio.h"

static bool parse_u32_field(const char **pp, uint32_t *v)
{
        const char *p = *pp;
        while (*p == ' ')
                p++;
        if (*p < '0' || *p > '9')
                return false;
        uint64_t x = 0;
        while (*p >= '0' && *p <= '9') {
                x = x * 10 + (uint64_t)(*p++ - '0');
                if (x > UINT32_MAX)
                        return false;
        }
        *v = (uint32_t)x;
        *pp = p;
        return true;
}

/* Parse what the kernel prints; an unmapped lower id (4294967295) is kept for display only. */
int userns_idmap_parse_proc(const char *text, enum userns_idmap_kind kind, struct userns_idmap **out,
                            struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        if (userns_idmap_new(&m) < 0)
                return userns_error_set(err, ENOMEM, "out of memory");
        idmap_defer(m);
        const char *p = text;
        for (size_t line = 1; *p; line++) {
                struct userns_extent e;
                if (!parse_u32_field(&p, &e.first) || !parse_u32_field(&p, &e.lower_first) ||
                    !parse_u32_field(&p, &e.count) || (*p != '\n' && *p != '\0'))
                        return userns_error_set(err, EINVAL, "%s line %zu: not in the kernel's "
                                                "'%%10u %%10u %%10u' format", userns_idmap_kind_name(kind), line);
                if (*p == '\n')
                        p++;
                bool mapped = e.lower_first != USERNS_ID_INVALID && e.count > 0 &&
                              (uint32_t)(e.first + e.count) > e.first &&
                              (uint32_t)(e.lower_first + e.count) > e.lower_first;
                if (idmap_append_raw(m, &e, mapped) < 0)
                        return userns_error_set(err, ENOMEM, "out of memory");
        }
        if (idmap_finish(m) < 0)
                return userns_error_set(err, ENOMEM, "out of memory");
        *out = TAKE_PTR(m);
        return 0;
}

int userns_idmap_read_proc(pid_t pid, enum userns_idmap_kind kind, struct userns_idmap **out,
                           struct userns_error *err)
{
        char path[64];
        if (pid < 0)
                return userns_error_set(err, EINVAL, "invalid pid %d", (int)pid);
        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/%s", userns_idmap_kind_name(kind));
        else
                snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, userns_idmap_kind_name(kind));
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = util_read_file(path, &buf, &len, err);
        if (r < 0)
                return r;
        r = userns_idmap_parse_proc(buf, kind, out, err);
        if (r < 0)
                return userns_error_prefix(err, "%s", path);
        return 0;
}
