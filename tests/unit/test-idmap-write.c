/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's verdict on a map write: map_write()'s order (size, parse, parent
 * extents) and new_idmap_permitted()/verify_root_map(); KERNEL-RULES §9 vectors
 * 1-4 and 6-12 as the model sees them (the kernel itself answers in
 * tests/kernel/kdiff-idmap*.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "userns/idmap.h"

static struct userns_error err;

static int check(const char *text, const char *parent)
{
        struct userns_idmap *p = NULL;
        if (parent)
                assert_int_equal(userns_idmap_parse(parent, strlen(parent), USERNS_IDMAP_FORMAT_KERNEL,
                                                    USERNS_IDMAP_UID, &p, NULL), 0);
        userns_error_clear(&err);
        int r = userns_idmap_check_write(text, strlen(text), USERNS_IDMAP_UID, p, NULL, &err);
        userns_idmap_free(p);
        return r;
}

static void vectors_1_to_4(void **state)
{
        assert_int_equal(check("0 1000 1\n\n", NULL), -EINVAL);
        assert_int_equal(check("4294967296 1000 1", NULL), 0);
        assert_int_equal(check("0 0 4294967295", NULL), 0);
        assert_int_equal(check("1 0 4294967295", NULL), -EINVAL);
        char buf[5000];
        size_t o = 0;
        for (int i = 0; i < 340; i++)
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%d %d 1\n", i, i);
        assert_int_equal(userns_idmap_check_write(buf, o, USERNS_IDMAP_UID, NULL, NULL, &err), 0);
        o += (size_t)snprintf(buf + o, sizeof buf - o, "340 340 1\n");
        assert_int_equal(userns_idmap_check_write(buf, o, USERNS_IDMAP_UID, NULL, NULL, &err), -EINVAL);
}

static void size_limit_first(void **state)
{
        char buf[4097];
        memset(buf, ' ', sizeof buf);
        memcpy(buf, "0 1000 1", 8);
        assert_int_equal(userns_idmap_check_write(buf, 4095, USERNS_IDMAP_UID, NULL, NULL, &err), 0);
        assert_int_equal(userns_idmap_check_write(buf, 4096, USERNS_IDMAP_GID, NULL, NULL, &err), -EINVAL);
        assert_string_equal(err.message, "gid_map: a write of 4096 bytes is too large (it must be smaller "
                                         "than one page, 4096 bytes)");
}

static void parent_extent_rule(void **state)
{
        /* §9 vector 12: lower 70000 outside the parent's 0 100000 65536 */
        assert_int_equal(check("20 70000 5", "0 100000 65536"), -EPERM);
        assert_string_equal(err.message, "uid_map line 1: outside ids 70000-70004: is not mapped in the "
                                         "parent namespace");
        assert_int_equal(check("0 65530 10", "0 100000 65536"), -EPERM);
        assert_string_equal(err.message, "uid_map line 1: outside ids 65530-65539: is only partly mapped in "
                                         "the parent namespace");
        /* §1.2.1: never split across adjacent parent extents */
        assert_int_equal(check("0 0 20", "0 1000 10\n10 1010 10"), -EPERM);
        assert_string_equal(err.message, "uid_map line 1: outside ids 0-19: spans more than one extent of "
                                         "the parent's map (a range is never split across extents)");
        assert_int_equal(check("0 0 10\n10 10 10", "0 1000 10\n10 1010 10"), 0);
        assert_int_equal(check("0 0 65536", "0 100000 65536"), 0);
        /* EINVAL comes before EPERM: a bad second line beats an unmapped first line */
        assert_int_equal(check("0 70000 1\n0 1 1", "0 100000 65536"), -EINVAL);
}

static void out_receives_parent_relative_map(void **state)
{
        struct userns_idmap *p, *out = NULL;
        assert_int_equal(userns_idmap_parse("0:100000:65536", 14, USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID,
                                            &p, NULL), 0);
        assert_int_equal(userns_idmap_check_write("0 1000 10\n", 10, USERNS_IDMAP_UID, p, &out, &err), 0);
        assert_int_equal(userns_idmap_count(out), 1);
        assert_int_equal(userns_idmap_extent(out, 0)->lower_first, 1000);
        userns_idmap_free(out);
        out = NULL;
        assert_int_equal(userns_idmap_check_write("0 1000 0\n", 9, USERNS_IDMAP_UID, p, &out, &err), -EINVAL);
        assert_null(out);
        userns_idmap_free(p);
}

/* --- privilege --- */

#define UNPRIV_SELF(uidv) { .euid = (uidv), .egid = (uidv), .opener_in_target = true, .owns_target = true, \
                            .opener_cap_sys_admin_target = true }

static int permitted(const char *text, enum userns_idmap_kind kind, const struct userns_map_writer *w)
{
        struct userns_idmap *m;
        assert_int_equal(userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_KERNEL, kind, &m, NULL), 0);
        userns_error_clear(&err);
        int r = userns_idmap_check_permitted(m, kind, w, &err);
        userns_idmap_free(m);
        return r;
}

static void vectors_6_to_8_self_map(void **state)
{
        struct userns_map_writer w = UNPRIV_SELF(1000);
        assert_int_equal(permitted("0 1000 1", USERNS_IDMAP_UID, &w), 0);
        assert_int_equal(permitted("5 1000 1", USERNS_IDMAP_UID, &w), 0);
        assert_int_equal(permitted("0 1000 1", USERNS_IDMAP_GID, &w), -EPERM);
        assert_string_equal(err.message, "gid_map: not permitted: the writer (and opener) lacks CAP_SETGID in the "
                                         "parent namespace, and the unprivileged rule (one extent of count 1 "
                                         "mapping the opener's own egid, with setgroups denied) does not apply: "
                                         "setgroups is not \"deny\" (write deny to /proc/PID/setgroups first)");
        w.setgroups_denied = true;
        assert_int_equal(permitted("0 1000 1", USERNS_IDMAP_GID, &w), 0);
        assert_int_equal(permitted("0 1000 2", USERNS_IDMAP_UID, &w), -EPERM);
        assert_string_equal(err.message, "uid_map: not permitted: the writer (and opener) lacks CAP_SETUID in the "
                                         "parent namespace, and the unprivileged rule (one extent of count 1 "
                                         "mapping the opener's own euid) does not apply: the count is 2, not 1");
        assert_int_equal(permitted("0 1001 1", USERNS_IDMAP_UID, &w), -EPERM);
        assert_true(strstr(err.message, "it maps uid 1001, not the opener's euid 1000") != NULL);
        assert_int_equal(permitted("0 1001 1", USERNS_IDMAP_GID, &w), -EPERM);
        assert_true(strstr(err.message, "it maps gid 1001, not the opener's egid 1000") != NULL);
        assert_int_equal(permitted("0 0 1", USERNS_IDMAP_UID, &w), -EPERM);
        assert_string_equal(err.message, "uid_map line 1: maps the parent's uid 0, but the namespace's creator "
                                         "did not have CAP_SETFCAP effective when it created the namespace");
        assert_int_equal(permitted("0 1000 1\n1 1001 1", USERNS_IDMAP_UID, &w), -EPERM);
        assert_true(strstr(err.message, "the map has 2 extents") != NULL);
        w.owns_target = false;
        assert_int_equal(permitted("0 1000 1", USERNS_IDMAP_UID, &w), -EPERM);
        assert_true(strstr(err.message, "the opener's euid 1000 does not own the namespace") != NULL);
}

static void vector_9_root_map_needs_setfcap(void **state)
{
        struct userns_map_writer w = UNPRIV_SELF(0);
        assert_int_equal(permitted("0 0 1", USERNS_IDMAP_UID, &w), -EPERM);
        w.parent_could_setfcap = true;
        assert_int_equal(permitted("0 0 1", USERNS_IDMAP_UID, &w), 0);
        /* gid maps have no root rule */
        w.parent_could_setfcap = false;
        w.setgroups_denied = true;
        assert_int_equal(permitted("0 0 1", USERNS_IDMAP_GID, &w), 0);
        /* from outside: the opener's CAP_SETFCAP in the parent */
        struct userns_map_writer o = { .owns_target = true, .opener_cap_sys_admin_target = true,
                                       .opener_cap_setid_parent = true, .writer_cap_setid_parent = true };
        assert_int_equal(permitted("0 0 10", USERNS_IDMAP_UID, &o), -EPERM);
        assert_string_equal(err.message, "uid_map line 1: maps the parent's uid 0, but the opener lacks "
                                         "CAP_SETFCAP in the parent namespace");
        assert_int_equal(permitted("0 5 10", USERNS_IDMAP_UID, &o), 0);
        o.opener_cap_setfcap_parent = true;
        assert_int_equal(permitted("0 0 10", USERNS_IDMAP_UID, &o), 0);
}

static void vectors_10_11_opener_and_writer(void **state)
{
        /* 10: opened by root, written by uid 1000 after dropping */
        struct userns_map_writer w = { .owns_target = true, .opener_cap_sys_admin_target = true,
                                       .opener_cap_setid_parent = true, .opener_cap_setfcap_parent = true };
        assert_int_equal(permitted("0 1000 10", USERNS_IDMAP_UID, &w), -EPERM);
        assert_true(strstr(err.message, "the writer lacks CAP_SETUID") != NULL);
        /* 11: opened by owner uid 1000, written by root */
        struct userns_map_writer o = { .euid = 1000, .egid = 1000, .owns_target = true,
                                       .opener_cap_sys_admin_target = true, .writer_cap_setid_parent = true };
        assert_int_equal(permitted("0 1000 10", USERNS_IDMAP_UID, &o), -EPERM);
        assert_true(strstr(err.message, "the opener lacks CAP_SETUID") != NULL);
        assert_int_equal(permitted("0 1000 1", USERNS_IDMAP_UID, &o), 0);
}

static void sys_admin_and_projid(void **state)
{
        struct userns_map_writer w = { 0 };
        assert_int_equal(permitted("0 1000 1", USERNS_IDMAP_UID, &w), -EPERM);
        assert_string_equal(err.message, "uid_map: the opener lacks CAP_SYS_ADMIN over the target namespace");
        /* projid maps need no capability at all */
        assert_int_equal(permitted("0 1000 100", USERNS_IDMAP_PROJID, &w), 0);
        assert_int_equal(userns_idmap_check_permitted(NULL, USERNS_IDMAP_UID, &w, &err), -EINVAL);
}

static void check_write_by_order(void **state)
{
        struct userns_map_writer none = { 0 }, self = UNPRIV_SELF(1000);
        /* size beats everything, CAP_SYS_ADMIN (EPERM) beats parsing (EINVAL) */
        char big[4096];
        memset(big, ' ', sizeof big);
        assert_int_equal(userns_idmap_check_write_by(big, sizeof big, USERNS_IDMAP_UID, NULL, &none, NULL, &err),
                         -EINVAL);
        assert_int_equal(userns_idmap_check_write_by("junk", 4, USERNS_IDMAP_UID, NULL, &none, NULL, &err),
                         -EPERM);
        /* parsing (EINVAL) beats permission (EPERM) */
        assert_int_equal(userns_idmap_check_write_by("0 1000 2\n\n", 10, USERNS_IDMAP_UID, NULL, &self, NULL,
                                                     &err), -EINVAL);
        assert_int_equal(userns_idmap_check_write_by("0 1000 2\n", 9, USERNS_IDMAP_UID, NULL, &self, NULL,
                                                     &err), -EPERM);
        assert_int_equal(userns_idmap_check_write_by("0 1000 1\n", 9, USERNS_IDMAP_UID, NULL, &self, NULL,
                                                     &err), 0);
        /* the self map must still fit the parent */
        struct userns_idmap *p;
        assert_int_equal(userns_idmap_parse("0 100000 65536", 14, USERNS_IDMAP_FORMAT_KERNEL, USERNS_IDMAP_UID,
                                            &p, NULL), 0);
        assert_int_equal(userns_idmap_check_write_by("0 1000 1\n", 9, USERNS_IDMAP_UID, p, &self, NULL, &err),
                         0);
        assert_int_equal(userns_idmap_check_write_by("0 70000 1\n", 10, USERNS_IDMAP_UID, p, NULL, NULL, &err),
                         -EPERM);
        userns_idmap_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(vectors_1_to_4),
                cmocka_unit_test(size_limit_first),
                cmocka_unit_test(parent_extent_rule),
                cmocka_unit_test(out_receives_parent_relative_map),
                cmocka_unit_test(vectors_6_to_8_self_map),
                cmocka_unit_test(vector_9_root_map_needs_setfcap),
                cmocka_unit_test(vectors_10_11_opener_and_writer),
                cmocka_unit_test(sys_admin_and_projid),
                cmocka_unit_test(check_write_by_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
