/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The map itself: per-extent rules of userns_idmap_add(), lookups, dup/identity/equal,
 * composition, inversion, intersection, and reading /proc. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "userns/idmap.h"

static struct userns_idmap *mk(const char *compact)
{
        struct userns_idmap *m = NULL;
        struct userns_error err = { 0 };
        int r = userns_idmap_parse(compact, strlen(compact), USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID,
                                   &m, &err);
        if (r < 0)
                fail_msg("%s: %s", compact, err.message);
        return m;
}

static char *fmt(const struct userns_idmap *m)
{
        char *s = NULL;
        assert_int_equal(userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL), 0);
        return s;
}

#define assert_map(m, want) do { char *_s = fmt(m); assert_string_equal(_s, want); free(_s); } while (0)

static void kind_names(void **state)
{
        assert_string_equal(userns_idmap_kind_name(USERNS_IDMAP_UID), "uid_map");
        assert_string_equal(userns_idmap_kind_name(USERNS_IDMAP_GID), "gid_map");
        assert_string_equal(userns_idmap_kind_name(USERNS_IDMAP_PROJID), "projid_map");
        assert_string_equal(userns_idmap_kind_name((enum userns_idmap_kind)42), "id map");
}

static void new_identity_count_extent(void **state)
{
        struct userns_idmap *m;
        assert_int_equal(userns_idmap_new_identity(&m), 0);
        assert_int_equal(userns_idmap_count(m), 1);
        const struct userns_extent *e = userns_idmap_extent(m, 0);
        assert_non_null(e);
        assert_int_equal(e->first, 0);
        assert_int_equal(e->lower_first, 0);
        assert_int_equal(e->count, UINT32_MAX);
        assert_null(userns_idmap_extent(m, 1));
        assert_int_equal(userns_idmap_down(m, 0), 0);
        assert_int_equal(userns_idmap_down(m, 4294967294u), 4294967294u);
        assert_int_equal(userns_idmap_down(m, 4294967295u), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_up(m, 123456), 123456);
        assert_int_equal(userns_idmap_count(NULL), 0);
        assert_null(userns_idmap_extent(NULL, 0));
        userns_idmap_free(m);
        userns_idmap_free(NULL);
}

static void is_identity_only_for_the_full_map(void **state)
{
        (void)state;
        struct userns_idmap *m;
        assert_int_equal(userns_idmap_new_identity(&m), 0);
        assert_true(userns_idmap_is_identity(m));
        userns_idmap_free(m);
        const char *not[] = { "0:0:4294967294", "1:1:4294967294", "0:1:4294967294", "0:0:10,10:10:4294967285" };
        for (size_t i = 0; i < sizeof not / sizeof not[0]; i++) {
                m = mk(not[i]);
                if (userns_idmap_is_identity(m))
                        fail_msg("%s is not the identity map", not[i]);
                userns_idmap_free(m);
        }
        assert_int_equal(userns_idmap_new(&m), 0);
        assert_false(userns_idmap_is_identity(m));      /* an unwritten map */
        userns_idmap_free(m);
        assert_false(userns_idmap_is_identity(NULL));
}

static void add_rules_and_messages(void **state)
{
        struct userns_idmap *m;
        struct userns_error err = { 0 };
        assert_int_equal(userns_idmap_new(&m), 0);
        assert_int_equal(userns_idmap_add(m, 0, 100000, 65536, "uid_map line 1", &err), 0);
        assert_int_equal(userns_idmap_add(m, 100, 200000, 10, "uid_map line 2", &err), -EINVAL);
        assert_string_equal(err.message, "uid_map line 2: inside ids 100-109 overlap extent 1 (0-65535)");
        assert_int_equal(userns_idmap_add(m, 65536, 165535, 1, NULL, &err), -EINVAL);
        assert_string_equal(err.message, "extent 2: outside ids 165535-165535 overlap extent 1 (100000-165535)");
        assert_int_equal(userns_idmap_add(m, UINT32_MAX, 1, 1, "x", &err), -EINVAL);
        assert_string_equal(err.message, "x: inside start 4294967295 is (u32)-1, which is never a valid id");
        assert_int_equal(userns_idmap_add(m, 70000, UINT32_MAX, 1, "x", &err), -EINVAL);
        assert_string_equal(err.message, "x: outside start 4294967295 is (u32)-1, which is never a valid id");
        assert_int_equal(userns_idmap_add(m, 70000, 1, 0, "x", &err), -EINVAL);
        assert_string_equal(err.message, "x: count is 0");
        assert_int_equal(userns_idmap_add(m, 4294967290u, 1, 6, "x", &err), -EINVAL);
        assert_string_equal(err.message, "x: inside range 4294967290+6 wraps past 4294967295 "
                                         "(the last usable id is 4294967294)");
        assert_int_equal(userns_idmap_add(m, 70000, 4294967290u, 6, "x", &err), -EINVAL);
        assert_string_equal(err.message, "x: outside range 4294967290+6 wraps past 4294967295 "
                                         "(the last usable id is 4294967294)");
        /* touching ranges are fine; the last usable id too */
        assert_int_equal(userns_idmap_add(m, 65536, 165536, 1, NULL, &err), 0);
        assert_int_equal(userns_idmap_add(m, 4294967290u, 1, 5, NULL, &err), 0);
        assert_int_equal(userns_idmap_count(m), 3);
        userns_idmap_free(m);
}

static void add_limit_340(void **state)
{
        struct userns_idmap *m;
        struct userns_error err = { 0 };
        assert_int_equal(userns_idmap_new(&m), 0);
        for (uint32_t i = 0; i < USERNS_IDMAP_MAX_EXTENTS; i++)
                assert_int_equal(userns_idmap_add(m, i * 10, i * 10, 5, NULL, &err), 0);
        assert_int_equal(userns_idmap_add(m, 100000, 100000, 1, NULL, &err), -EINVAL);
        assert_string_equal(err.message, "extent 341: more than 340 extents");
        assert_int_equal(userns_idmap_count(m), 340);
        userns_idmap_free(m);
}

/* Reference lookup: a linear scan, as the kernel's map_id_range_down_base(). */
static uint32_t ref_lookup(const struct userns_idmap *m, uint32_t id, uint32_t count, bool up)
{
        for (size_t i = 0; i < userns_idmap_count(m); i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                uint32_t from = up ? e->lower_first : e->first, to = up ? e->first : e->lower_first;
                uint32_t last = from + e->count - 1, id2 = id + count - 1;
                if (id >= from && id <= last && id2 >= from && id2 <= last)
                        return id - from + to;
        }
        return USERNS_ID_INVALID;
}

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint32_t r32(void)
{
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        return (uint32_t)(rs >> 16);
}

/* Random maps of every size (clustered, spread, crowded buckets), probed at and around every edge. */
static void lookups_match_linear_scan(void **state)
{
        for (int round = 0; round < 300; round++) {
                struct userns_idmap *m;
                assert_int_equal(userns_idmap_new(&m), 0);
                size_t want = 1 + r32() % 340;
                int style = round % 4;
                for (size_t tries = 0; userns_idmap_count(m) < want && tries < 5000; tries++) {
                        uint32_t first, lower, count;
                        if (style == 0) {               /* clustered small ids */
                                first = r32() % 4000;
                                lower = r32() % 4000;
                                count = 1 + r32() % 8;
                        } else if (style == 1) {        /* spread over the id space */
                                first = r32();
                                lower = r32();
                                count = 1 + r32() % 100000;
                        } else if (style == 2) {        /* crowded: a cluster plus one far away */
                                first = tries == 0 ? 4000000000u : r32() % 3000;
                                lower = tries == 0 ? 4000000000u : 10000 + r32() % 3000;
                                count = 1;
                        } else {                        /* touching runs */
                                size_t n = userns_idmap_count(m);
                                first = (uint32_t)n * 7;
                                lower = 4000000000u - (uint32_t)n * 7;
                                count = 7;
                        }
                        userns_idmap_add(m, first, lower, count, NULL, NULL);
                }
                size_t n = userns_idmap_count(m);
                for (size_t i = 0; i < n; i++) {
                        const struct userns_extent *e = userns_idmap_extent(m, i);
                        uint32_t probes[] = { e->first - 1, e->first, e->first + e->count - 1, e->first + e->count,
                                              e->lower_first - 1, e->lower_first,
                                              e->lower_first + e->count - 1, e->lower_first + e->count,
                                              e->first + r32() % e->count, r32(), 0, UINT32_MAX };
                        for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
                                uint32_t id = probes[p];
                                assert_int_equal(userns_idmap_down(m, id), ref_lookup(m, id, 1, false));
                                assert_int_equal(userns_idmap_up(m, id), ref_lookup(m, id, 1, true));
                                uint32_t c = 1 + r32() % 10;
                                assert_int_equal(userns_idmap_range_down(m, id, c), ref_lookup(m, id, c, false));
                        }
                }
                userns_idmap_free(m);
        }
}

static void range_down_never_splits(void **state)
{
        struct userns_idmap *m = mk("0:1000:10,10:1010:10");
        assert_int_equal(userns_idmap_range_down(m, 0, 10), 1000);
        assert_int_equal(userns_idmap_range_down(m, 10, 10), 1010);
        assert_int_equal(userns_idmap_range_down(m, 0, 20), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_range_down(m, 5, 6), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_range_down(m, 5, 5), 1005);
        userns_idmap_free(m);
}

static void up_munged_gives_overflow_id(void **state)
{
        struct userns_idmap *m = mk("0:100000:65536");
        assert_int_equal(userns_idmap_up(m, 100000), 0);
        assert_int_equal(userns_idmap_up_munged(m, 100000), 0);
        assert_int_equal(userns_idmap_up(m, 0), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_up_munged(m, 0), USERNS_OVERFLOW_ID);
        assert_int_equal(userns_idmap_down(m, 65536), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_down(NULL, 1), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_up(NULL, 1), USERNS_ID_INVALID);
        userns_idmap_free(m);
}

static void dup_and_equal(void **state)
{
        struct userns_idmap *m = mk("5:100:10,0:50:5,100:1000:1"), *d, *other = mk("0:50:5");
        assert_int_equal(userns_idmap_dup(m, &d), 0);
        assert_true(userns_idmap_equal(m, d));
        assert_false(userns_idmap_equal(m, other));
        assert_map(d, "5:100:10,0:50:5,100:1000:1");
        assert_int_equal(userns_idmap_down(d, 7), 102);
        assert_int_equal(userns_idmap_up(d, 1000), 100);
        userns_idmap_free(m);
        userns_idmap_free(d);
        userns_idmap_free(other);
}

static void compose_nested_on_host(void **state)
{
        struct userns_idmap *parent = mk("0:100000:65536"), *child = mk("0:1000:10,10:0:1"), *c;
        struct userns_error err = { 0 };
        assert_int_equal(userns_idmap_compose(child, parent, &c, &err), 0);
        assert_map(c, "0:101000:10,10:100000:1");
        userns_idmap_free(c);
        userns_idmap_free(child);
        /* A child extent straddling two parent extents is split; unmapped parts dropped. */
        struct userns_idmap *p2 = mk("0:1000:10,10:5000:10"), *c2 = mk("0:5:20");
        assert_int_equal(userns_idmap_compose(c2, p2, &c, &err), 0);
        assert_map(c, "0:1005:5,5:5000:10");
        assert_int_equal(userns_idmap_down(c, 5), 5000);
        assert_int_equal(userns_idmap_up(c, 1009), 4);
        userns_idmap_free(c);
        assert_int_equal(userns_idmap_compose(NULL, p2, &c, &err), -EINVAL);
        userns_idmap_free(c2);
        userns_idmap_free(p2);
        userns_idmap_free(parent);
}

static void invert_swaps(void **state)
{
        struct userns_idmap *m = mk("0:100000:65536,65536:1000:1"), *inv, *back;
        assert_int_equal(userns_idmap_invert(m, &inv, NULL), 0);
        assert_map(inv, "100000:0:65536,1000:65536:1");
        assert_int_equal(userns_idmap_down(inv, 100005), 5);
        assert_int_equal(userns_idmap_invert(inv, &back, NULL), 0);
        assert_true(userns_idmap_equal(m, back));
        assert_int_equal(userns_idmap_invert(NULL, &back, NULL), -EINVAL);
        userns_idmap_free(m);
        userns_idmap_free(inv);
        userns_idmap_free(back);
}

static void intersect_same_mapping_only(void **state)
{
        struct userns_idmap *a = mk("0:1000:100,200:5000:10"), *b = mk("50:1050:100,200:6000:10"), *x;
        assert_int_equal(userns_idmap_intersect(a, b, &x, NULL), 0);
        assert_map(x, "50:1050:50");
        userns_idmap_free(x);
        assert_int_equal(userns_idmap_intersect(a, a, &x, NULL), 0);
        assert_map(x, "0:1000:100,200:5000:10");
        userns_idmap_free(x);
        assert_int_equal(userns_idmap_intersect(a, NULL, &x, NULL), -EINVAL);
        userns_idmap_free(a);
        userns_idmap_free(b);
}

static void parse_proc_keeps_unmapped_lines(void **state)
{
        struct userns_idmap *m;
        struct userns_error err = { 0 };
        const char *text = "         0       1000         10\n        20 4294967295          5\n";
        assert_int_equal(userns_idmap_parse_proc(text, USERNS_IDMAP_UID, &m, &err), 0);
        assert_int_equal(userns_idmap_count(m), 2);
        assert_int_equal(userns_idmap_extent(m, 1)->lower_first, UINT32_MAX);
        assert_int_equal(userns_idmap_down(m, 20), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_down(m, 3), 1003);
        assert_int_equal(userns_idmap_up(m, UINT32_MAX), USERNS_ID_INVALID);
        struct userns_idmap *d;
        assert_int_equal(userns_idmap_dup(m, &d), 0);
        assert_int_equal(userns_idmap_down(d, 20), USERNS_ID_INVALID);
        assert_int_equal(userns_idmap_down(d, 3), 1003);
        userns_idmap_free(d);
        userns_idmap_free(m);
        assert_int_equal(userns_idmap_parse_proc("0 1 2 3\n", USERNS_IDMAP_GID, &m, &err), -EINVAL);
        assert_string_equal(err.message, "gid_map line 1: not in the kernel's '%10u %10u %10u' format");
        assert_int_equal(userns_idmap_parse_proc("", USERNS_IDMAP_UID, &m, &err), 0);
        assert_int_equal(userns_idmap_count(m), 0);
        userns_idmap_free(m);
}

static void read_proc_self(void **state)
{
        struct userns_idmap *m;
        struct userns_error err = { 0 };
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)getpid());
        assert_int_equal(userns_idmap_read_proc(0, USERNS_IDMAP_UID, &m, &err), 0);
        assert_true(userns_idmap_count(m) >= 1);
        /* Our own uid is mapped in our own namespace. */
        assert_int_not_equal(userns_idmap_up(m, userns_idmap_down(m, (uint32_t)getuid())), USERNS_ID_INVALID);
        userns_idmap_free(m);
        assert_int_equal(userns_idmap_read_proc(getpid(), USERNS_IDMAP_GID, &m, &err), 0);
        userns_idmap_free(m);
        assert_int_equal(userns_idmap_read_proc(-1, USERNS_IDMAP_UID, &m, &err), -EINVAL);
        assert_int_equal(userns_idmap_read_proc(999999999, USERNS_IDMAP_UID, &m, &err), -ENOENT);
        assert_string_equal(err.message, "/proc/999999999/uid_map: No such file or directory");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(kind_names),
                cmocka_unit_test(new_identity_count_extent),
                cmocka_unit_test(is_identity_only_for_the_full_map),
                cmocka_unit_test(add_rules_and_messages),
                cmocka_unit_test(add_limit_340),
                cmocka_unit_test(lookups_match_linear_scan),
                cmocka_unit_test(range_down_never_splits),
                cmocka_unit_test(up_munged_gives_overflow_id),
                cmocka_unit_test(dup_and_equal),
                cmocka_unit_test(compose_nested_on_host),
                cmocka_unit_test(invert_swaps),
                cmocka_unit_test(intersect_same_mapping_only),
                cmocka_unit_test(parse_proc_keeps_unmapped_lines),
                cmocka_unit_test(read_proc_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
