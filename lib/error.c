/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "userns/error.h"

__attribute__((format(printf, 4, 0)))
static int vset(struct userns_error *err, int code, const char *suffix, const char *fmt, va_list ap)
{
        if (code <= 0)
                code = EIO;
        if (err) {
                int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
                if (suffix && n >= 0 && (size_t)n < sizeof err->message)
                        snprintf(err->message + n, sizeof err->message - n, ": %s", suffix);
                err->code = code;
        }
        return -code;
}

int userns_error_set(struct userns_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vset(err, code, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int userns_error_errno(struct userns_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        char buf[128];
        va_start(ap, fmt);
        int r = vset(err, code, strerror_r(code > 0 ? code : EIO, buf, sizeof buf), fmt, ap);
        va_end(ap);
        return r;
}

int userns_error_prefix(struct userns_error *err, const char *fmt, ...)
{
        if (!err)
                return -EIO;
        char head[USERNS_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(head, sizeof head, fmt, ap);
        va_end(ap);
        /* Shift the old message right and put "head: " in front, truncating at the end. */
        size_t max = sizeof err->message - 1;
        size_t hl = strlen(head), ol = strnlen(err->message, max);
        size_t pl = hl + 2 < max ? hl + 2 : max;
        size_t keep = ol < max - pl ? ol : max - pl;
        memmove(err->message + pl, err->message, keep);
        memcpy(err->message, head, pl < hl ? pl : hl);
        if (pl > hl)
                memcpy(err->message + hl, ": ", pl - hl);
        err->message[pl + keep] = '\0';
        if (err->code <= 0)
                err->code = EIO;
        return -err->code;
}

void userns_error_clear(struct userns_error *err)
{
        if (err) {
                err->code = 0;
                err->message[0] = '\0';
        }
}
