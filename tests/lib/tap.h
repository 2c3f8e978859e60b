/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Minimal TAP output for kernel differential tests (they are not cmocka tests:
 * they fork, unshare and write to /proc, and report one line per check). */
#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static void tap_check(int ok, const char *fmt, ...)
{
        va_list ap;
        printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
        if (!ok)
                tap_failed++;
}

__attribute__((format(printf, 1, 2), unused))
static void tap_skip(const char *fmt, ...)
{
        va_list ap;
        printf("ok %d - # SKIP ", ++tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

__attribute__((unused))
static int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
