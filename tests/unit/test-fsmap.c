/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fs-map model: mount map = P ∘ F⁻¹, canonical ranges, owner maps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "userns/fsmap.h"

static struct userns_idmap *map(const char *text)
{
        struct userns_idmap *m = NULL;
        struct userns_error err = { 0 };
        int r = userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, USERNS_IDMAP_UID, &m, &err);
        if (r < 0)
                fail_msg("parse %s: %s", text, err.message);
        return m;
}

static char *fmt(const struct userns_idmap *m)
{
        char *s = NULL;
        assert_int_equal(userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL), 0);
        return s;
}

/* For every on-disk id d: the container sees P⁻¹(M(d)), which must be F⁻¹(d) (or overflow). */
static void assert_intent(const struct userns_idmap *fs, const struct userns_idmap *p,
                          const struct userns_idmap *m, const uint32_t *ids, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                uint32_t want = userns_idmap_up(fs, ids[i]);
                uint32_t host = userns_idmap_down(m, ids[i]);
                uint32_t got = host == USERNS_ID_INVALID ? USERNS_ID_INVALID : userns_idmap_up(p, host);
                if (got != want)
                        fail_msg("on-disk %u: container sees %u, want %u", ids[i], got, want);
        }
}

/* M for (fs, process) formats as `want`, and every id in ids appears as the intent says. */
static void expect_mount_map(const char *fs_text, const char *p_text, const char *want,
                             const uint32_t *ids, size_t n)
{
        struct userns_idmap *fs = map(fs_text), *p = map(p_text), *m = NULL;
        struct userns_error err = { 0 };
        assert_int_equal(userns_fsmap_mount_map(fs, p, "--fs-uid-map", &m, &err), 0);
        char *s = fmt(m);
        assert_string_equal(s, want);
        assert_intent(fs, p, m, ids, n);
        free(s);
        userns_idmap_free(fs);
        userns_idmap_free(p);
        userns_idmap_free(m);
}

static void test_fsid_proposal(void **state)
{
        (void)state;
        uint32_t ids[] = { 0, 299999, 300000, 300001, 365535, 365536, 100000, 4294967294u };
        expect_mount_map("0:300000:65536", "0:100000:65536", "300000:100000:65536", ids, sizeof ids / sizeof ids[0]);
}

static void test_split_extents(void **state)
{
        (void)state;
        /* F has one extent spanning two process extents: it must be split. */
        uint32_t ids[] = { 6999, 7000, 7009, 7010, 7019, 7020 };
        expect_mount_map("0:7000:20", "0:100000:10,10:500000:10", "7000:100000:10,7010:500000:10", ids,
                         sizeof ids / sizeof ids[0]);
}

static void test_unmapped_container_id(void **state)
{
        (void)state;
        struct userns_idmap *fs = map("0:300000:65537"), *p = map("0:100000:65536"), *m = NULL;
        struct userns_error err = { 0 };
        assert_int_equal(userns_fsmap_mount_map(fs, p, "--fs-uid-map", &m, &err), -EINVAL);
        assert_non_null(strstr(err.message, "--fs-uid-map"));
        assert_non_null(strstr(err.message, "container id 65536 is not mapped"));
        assert_null(m);
        userns_idmap_free(fs);
        userns_idmap_free(p);
}

static void test_canonical(void **state)
{
        (void)state;
        struct userns_idmap *a = map("0:100000:65536"), *b = map("0:200000:65536");
        struct userns_idmap *fa = NULL, *fb = NULL, *ma = NULL, *mb = NULL;
        assert_int_equal(userns_fsmap_canonical(a, 500000, &fa, NULL), 0);
        assert_int_equal(userns_fsmap_canonical(b, 500000, &fb, NULL), 0);
        assert_int_equal(userns_fsmap_mount_map(fa, a, NULL, &ma, NULL), 0);
        assert_int_equal(userns_fsmap_mount_map(fb, b, NULL, &mb, NULL), 0);
        /* uid N in A and uid N in B are the same on-disk owner 500000+N. */
        for (uint32_t n = 0; n < 65536; n += 4369) {
                assert_int_equal(userns_idmap_up(ma, userns_idmap_down(a, n)), 500000 + n);
                assert_int_equal(userns_idmap_up(mb, userns_idmap_down(b, n)), 500000 + n);
        }
        /* A's own rootfs ids (kernel 100005) are not a canonical id in either mount. */
        assert_int_equal(userns_idmap_down(mb, 100005), USERNS_ID_INVALID);
        struct userns_error err = { 0 };
        struct userns_idmap *bad = NULL;
        assert_int_equal(userns_fsmap_canonical(a, 4294967294u - 100, &bad, &err), -ERANGE);
        assert_non_null(strstr(err.message, "4294967294"));
        userns_idmap_free(a);
        userns_idmap_free(b);
        userns_idmap_free(fa);
        userns_idmap_free(fb);
        userns_idmap_free(ma);
        userns_idmap_free(mb);
}

static void test_owner(void **state)
{
        (void)state;
        struct userns_idmap *f = NULL, *p = map("0:100000:65536"), *m = NULL;
        assert_int_equal(userns_fsmap_owner(1000, &f, NULL), 0);
        assert_int_equal(userns_fsmap_mount_map(f, p, NULL, &m, NULL), 0);
        char *s = fmt(m);
        assert_string_equal(s, "1000:100000:1");
        free(s);
        assert_int_equal(userns_fsmap_owner(UINT32_MAX, &m, NULL) < 0, 1);
        userns_idmap_free(f);
        userns_idmap_free(p);
        userns_idmap_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fsid_proposal),
                cmocka_unit_test(test_split_extents),
                cmocka_unit_test(test_unmapped_container_id),
                cmocka_unit_test(test_canonical),
                cmocka_unit_test(test_owner),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
