/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Subordinate id ranges: the file parser, coverage, suggestions, and libsubid agreeing with the parser. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "userns/subid.h"

static void parse_by_name_and_uid(void **state)
{
        const char *t = "# comment\n"
                        "alice:100000:65536\n"
                        "bob:165536:65536\n"
                        "1000:300000:10\n"
                        "\n"
                        "alice:400000:5\n";
        struct userns_subid_range *r = NULL;
        size_t n = 0;
        assert_int_equal(userns_subid_parse(t, strlen(t), "alice", 1000, &r, &n, NULL), 0);
        assert_int_equal(n, 3);
        assert_int_equal(r[0].start, 100000);
        assert_int_equal(r[0].count, 65536);
        assert_int_equal(r[1].start, 300000);   /* by uid, in file order */
        assert_int_equal(r[2].start, 400000);
        free(r);
        assert_int_equal(userns_subid_parse(t, strlen(t), "carol", 1001, &r, &n, NULL), 0);
        assert_int_equal(n, 0);
        assert_null(r);
        /* NULL user: numeric owners only. */
        assert_int_equal(userns_subid_parse(t, strlen(t), NULL, 1000, &r, &n, NULL), 0);
        assert_int_equal(n, 1);
        free(r);
}

static void parse_skips_malformed(void **state)
{
        const char *t = "alice:100000\n"          /* two fields */
                        "alice:x:10\n"            /* not a number */
                        "alice:10:0\n"            /* empty range */
                        "alice:4294967290:10\n"   /* wraps past (u32)-1 */
                        "alice:-1:10\n"
                        "alice:99999999999:1\n"   /* > 32 bits */
                        ":5:5\n"                  /* no owner */
                        "alice:7:3";              /* no final newline: fine */
        struct userns_subid_range *r = NULL;
        size_t n = 0;
        assert_int_equal(userns_subid_parse(t, strlen(t), "alice", 1, &r, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(r[0].start, 7);
        assert_int_equal(r[0].count, 3);
        free(r);
}

static void names_are_exact(void **state)
{
        const char *t = "alice2:1:1\nalic:2:1\n  alice:3:1  \n";
        struct userns_subid_range *r = NULL;
        size_t n = 0;
        assert_int_equal(userns_subid_parse(t, strlen(t), "alice", 9, &r, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(r[0].start, 3);
        free(r);
}

static void coverage_is_a_union(void **state)
{
        struct userns_subid_range r[] = { { 100, 10 }, { 110, 10 }, { 200, 5 } };
        assert_true(userns_subid_covers(r, 3, 100, 20));    /* spans two touching ranges */
        assert_true(userns_subid_covers(r, 3, 105, 1));
        assert_true(userns_subid_covers(r, 3, 200, 5));
        assert_false(userns_subid_covers(r, 3, 100, 21));   /* 120 is not delegated */
        assert_false(userns_subid_covers(r, 3, 99, 2));
        assert_false(userns_subid_covers(r, 3, 204, 2));
        assert_false(userns_subid_covers(NULL, 0, 1, 1));
        /* Out of order ranges still make a union. */
        struct userns_subid_range q[] = { { 110, 10 }, { 100, 10 } };
        assert_true(userns_subid_covers(q, 2, 100, 20));
}

static void suggestion_is_free(void **state)
{
        assert_int_equal(userns_subid_suggest_start("", 0), 100000);
        const char *t = "a:100000:65536\nb:165536:65536\n";
        assert_int_equal(userns_subid_suggest_start(t, strlen(t)), 231072);
        const char *u = "a:100000:10\n";
        assert_int_equal(userns_subid_suggest_start(u, strlen(u)), 165536);
}

static void missing_error_names_file_and_line(void **state)
{
        struct userns_error err = { 0 };
        assert_int_equal(userns_subid_missing_error(USERNS_SUBID_GID, "zed", 4321, &err), -ENOENT);
        assert_non_null(strstr(err.message, "/etc/subgid"));
        assert_non_null(strstr(err.message, "'zed:"));
        assert_non_null(strstr(err.message, "no subordinate gid range for zed (uid 4321)"));
}

/*
 * libsubid reads /etc/subuid itself: bind a test file over it in a private mount
 * namespace (this test process only) and check both sources agree.
 */
static void libsubid_agrees_with_files(void **state)
{
        if (geteuid() != 0) {
                skip();
                return;
        }
        char path[] = "/tmp/test-subid.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *t = "root:500000:1000\nroot:600000:20\nother:700000:5\n0:800000:7\n";
        assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
        close(fd);
        chmod(path, 0644);
        assert_int_equal(unshare(CLONE_NEWNS), 0);
        assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        assert_int_equal(mount(path, "/etc/subuid", NULL, MS_BIND, NULL), 0);
        unlink(path);

        struct userns_subid_range *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        struct userns_error err = { 0 };
        assert_int_equal(userns_subid_lookup(USERNS_SUBID_UID, USERNS_SUBID_SOURCE_FILES, "root", 0, &a, &na, &err), 0);
        int r = userns_subid_lookup(USERNS_SUBID_UID, USERNS_SUBID_SOURCE_LIBSUBID, "root", 0, &b, &nb, &err);
        if (r == -ENOPKG) {
                free(a);
                skip();
                return;
        }
        assert_int_equal(r, 0);
        assert_int_equal(na, 3);   /* by name twice, by uid once */
        /* libsubid may list by-name and by-uid lines in another order: compare as sets. */
        assert_int_equal(nb, na);
        for (size_t i = 0; i < na; i++) {
                bool found = false;
                for (size_t j = 0; j < nb; j++)
                        found |= a[i].start == b[j].start && a[i].count == b[j].count;
                assert_true(found);
        }
        free(a);
        free(b);
        /* Both kinds at once give the same as one at a time. */
        struct userns_subid_range *all[2], *g = NULL;
        size_t nall[2], ng = 0;
        assert_int_equal(userns_subid_lookup_all(USERNS_SUBID_SOURCE_FILES, NULL, 0, all, nall, &err), 0);
        assert_int_equal(userns_subid_lookup(USERNS_SUBID_GID, USERNS_SUBID_SOURCE_FILES, NULL, 0, &g, &ng, &err), 0);
        assert_int_equal(nall[USERNS_SUBID_UID], 3);
        assert_int_equal(nall[USERNS_SUBID_GID], ng);
        if (ng)
                assert_memory_equal(all[USERNS_SUBID_GID], g, ng * sizeof *g);
        free(all[0]);
        free(all[1]);
        free(g);
        /* The name is looked up from the uid when not given. */
        assert_int_equal(userns_subid_lookup(USERNS_SUBID_UID, USERNS_SUBID_SOURCE_AUTO, NULL, 0, &a, &na, &err), 0);
        assert_int_equal(na, 3);
        free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_by_name_and_uid),
                cmocka_unit_test(parse_skips_malformed),
                cmocka_unit_test(names_are_exact),
                cmocka_unit_test(coverage_is_a_union),
                cmocka_unit_test(suggestion_is_free),
                cmocka_unit_test(missing_error_names_file_and_line),
                cmocka_unit_test(libsubid_agrees_with_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
