/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every id-map parser on arbitrary bytes: kernel lines, compact, OCI JSON, auto,
 * /proc's format, and userns_idmap_check_write() (with and without a parent).
 * Whatever parses must satisfy the per-extent rules, format back into every form
 * and parse back to the same map, and agree with the lookups.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userns/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "assertion failed: %s\n", #x); abort(); } } while (0)

static void round_trip(const struct userns_idmap *m)
{
        static const enum userns_idmap_format forms[] = {
                USERNS_IDMAP_FORMAT_KERNEL, USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_FORMAT_OCI,
        };
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
                char *s = NULL;
                struct userns_idmap *back = NULL;
                CHECK(userns_idmap_format(m, forms[i], &s, NULL) == 0);
                CHECK(userns_idmap_parse(s, strlen(s), forms[i], USERNS_IDMAP_UID, &back, NULL) == 0);
                CHECK(userns_idmap_equal(m, back));
                userns_idmap_free(back);
                free(s);
        }
        /* every extent is found by lookups in both directions */
        for (size_t i = 0; i < userns_idmap_count(m); i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                CHECK(e->count > 0 && e->first != UINT32_MAX && e->lower_first != UINT32_MAX);
                CHECK(userns_idmap_down(m, e->first) == e->lower_first);
                CHECK(userns_idmap_up(m, e->lower_first + e->count - 1) == e->first + e->count - 1);
                CHECK(userns_idmap_range_down(m, e->first, e->count) == e->lower_first);
        }
        struct userns_idmap *inv = NULL, *c = NULL, *x = NULL;
        CHECK(userns_idmap_invert(m, &inv, NULL) == 0);
        CHECK(userns_idmap_compose(m, inv, &c, NULL) == 0);
        CHECK(userns_idmap_intersect(m, m, &x, NULL) == 0);
        CHECK(userns_idmap_count(x) == userns_idmap_count(m));
        userns_idmap_free(inv);
        userns_idmap_free(c);
        userns_idmap_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The first byte picks the parser; the parsers get an unterminated copy (exact length). */
        if (size < 1)
                return 0;
        unsigned sel = data[0] % 6;
        size_t len = size - 1;
        char *buf = malloc(len ? len : 1);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, len);
        struct userns_error err = { 0 };
        struct userns_idmap *m = NULL;
        int r;
        switch (sel) {
        case 0: case 1: case 2: case 3:
                r = userns_idmap_parse(buf, len, (enum userns_idmap_format)sel, USERNS_IDMAP_GID, &m, &err);
                break;
        case 4: {
                struct userns_idmap *parent = NULL;
                userns_idmap_parse("0 100000 65536\n65536 1000 1\n", 28, USERNS_IDMAP_FORMAT_KERNEL,
                                   USERNS_IDMAP_UID, &parent, NULL);
                r = userns_idmap_check_write(buf, len, USERNS_IDMAP_UID, data[0] & 8 ? parent : NULL, &m, &err);
                CHECK(r == 0 || r == -EINVAL || r == -EPERM);
                CHECK(len < 4096 || r == -EINVAL);
                userns_idmap_free(parent);
                break;
        }
        default: {
                char *z = malloc(len + 1);      /* parse_proc takes a C string */
                if (!z) {
                        free(buf);
                        return 0;
                }
                memcpy(z, buf, len);
                z[len] = '\0';
                r = userns_idmap_parse_proc(z, USERNS_IDMAP_UID, &m, &err);
                free(z);
                if (r == 0) {
                        for (size_t i = 0; i < userns_idmap_count(m); i++)
                                (void)userns_idmap_down(m, userns_idmap_extent(m, i)->first);
                        userns_idmap_free(m);
                        m = NULL;
                }
                break;
        }
        }
        if (r < 0) {
                CHECK(m == NULL || sel == 5);
                CHECK(err.code == -r && err.message[0] != '\0');
                CHECK(strlen(err.message) < USERNS_ERROR_MSG_MAX);
        } else if (m) {
                CHECK(userns_idmap_count(m) >= 1 && userns_idmap_count(m) <= USERNS_IDMAP_MAX_EXTENTS);
                round_trip(m);
        }
        userns_idmap_free(m);
        free(buf);
        return 0;
}
