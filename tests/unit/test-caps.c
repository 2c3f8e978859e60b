/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capability set text, securebits text, status parsing and the cap_capable() model. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "userns/caps-model.h"
#include "userns/caps.h"

#define BIT(c) (UINT64_C(1) << (c))

static uint64_t parse_ok(const char *t)
{
        uint64_t s = 0xdead;
        struct userns_error err = { 0 };
        int r = userns_caps_parse(t, &s, &err);
        if (r != 0)
                print_error("parse '%s': %s\n", t, err.message);
        assert_int_equal(r, 0);
        return s;
}

static void parse_names(void **state)
{
        assert_true(userns_caps_last_cap() >= 40);   /* CAP_CHECKPOINT_RESTORE (40) since 5.9 */
        assert_true(parse_ok("cap_net_admin") == BIT(12));
        assert_true(parse_ok("NET_ADMIN") == BIT(12));
        assert_true(parse_ok("CAP_Net_Admin") == BIT(12));
        assert_true(parse_ok("12") == BIT(12));
        assert_true(parse_ok("chown, kill") == (BIT(0) | BIT(5)));
        assert_true(parse_ok("all") == userns_caps_all());
        assert_true(parse_ok("none") == 0);
        assert_true(parse_ok("all,-cap_net_admin") == (userns_caps_all() & ~BIT(12)));
        assert_true(parse_ok("all,!net_admin,^sys_admin") == (userns_caps_all() & ~BIT(12) & ~BIT(21)));
        assert_true(parse_ok("net_admin,none,kill") == BIT(5));
        assert_true(parse_ok("checkpoint_restore") == BIT(40));
}

static void parse_errors(void **state)
{
        char beyond[16];
        snprintf(beyond, sizeof beyond, "%u", userns_caps_last_cap() + 1);
        const char *const bad[] = { "", "a,,b", "cap_bogus", beyond, "99999999999999999999", "-", "all,",
                                           "cap_", "net admin" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                struct userns_error err = { 0 };
                uint64_t s;
                assert_int_equal(userns_caps_parse(bad[i], &s, &err), -EINVAL);
                assert_int_equal(err.code, EINVAL);
                assert_true(err.message[0]);
        }
        struct userns_error err = { 0 };
        uint64_t s;
        userns_caps_parse("cap_bogus", &s, &err);
        assert_non_null(strstr(err.message, "'cap_bogus' is not a capability"));
        userns_caps_parse(beyond, &s, &err);
        assert_non_null(strstr(err.message, "(this kernel's last capability)"));
}

static void format_roundtrip(void **state)
{
        char buf[USERNS_CAPS_TEXT_MAX];
        assert_int_equal(userns_caps_format(0, buf, sizeof buf), 4);
        assert_string_equal(buf, "none");
        userns_caps_format(userns_caps_all(), buf, sizeof buf);
        assert_string_equal(buf, "all");
        userns_caps_format(userns_caps_all() & ~BIT(12), buf, sizeof buf);
        assert_string_equal(buf, "all,-cap_net_admin");
        userns_caps_format(BIT(0) | BIT(5), buf, sizeof buf);
        assert_string_equal(buf, "cap_chown,cap_kill");
        assert_int_equal(userns_caps_format(userns_caps_all() & ~BIT(12), buf, 10), -ENOSPC);
        srandom(7);
        for (int i = 0; i < 2000; i++) {
                uint64_t set = (((uint64_t)random() << 31) ^ (uint64_t)random() ^ ((uint64_t)random() << 62));
                set &= userns_caps_all();
                if (i % 3 == 0)
                        set = userns_caps_all() & ~(set & (set >> 7));
                assert_true(userns_caps_format(set, buf, sizeof buf) > 0);
                assert_true(parse_ok(buf) == set);
        }
}

static void securebits_text(void **state)
{
        unsigned b;
        char buf[256];
        assert_int_equal(userns_securebits_parse("noroot,noroot-locked,keep-caps-locked", &b, NULL), 0);
        assert_int_equal(b, 0x23);
        assert_int_equal(userns_securebits_parse("0xef", &b, NULL), 0);
        assert_int_equal(b, 0xef);
        userns_securebits_format(0xef, buf, sizeof buf);
        assert_string_equal(buf, "noroot,noroot-locked,no-setuid-fixup,no-setuid-fixup-locked,keep-caps-locked,"
                                 "no-cap-ambient-raise,no-cap-ambient-raise-locked");
        userns_securebits_format(0, buf, sizeof buf);
        assert_string_equal(buf, "none");
        userns_securebits_format(0x1100, buf, sizeof buf);
        assert_string_equal(buf, "exec-restrict-file,0x1000");
        struct userns_error err = { 0 };
        assert_int_equal(userns_securebits_parse("noroot,bogus", &b, &err), -EINVAL);
        assert_non_null(strstr(err.message, "'bogus' is not a securebit"));
        assert_int_equal(userns_securebits_parse("0x1000", &b, &err), -EINVAL);
        for (unsigned i = 0; i < 0x1000; i += 37) {
                userns_securebits_format(i, buf, sizeof buf);
                assert_int_equal(userns_securebits_parse(buf, &b, NULL), 0);
                assert_int_equal(b, i);
        }
}

static void status_parsing(void **state)
{
        const char *text = "Name:\tcat\nUid:\t0\t5\t6\t7\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n"
                           "CapEff:\t000001ffffffefff\nCapBnd:\t0000000000001000\nCapAmb:\t0000000000000021\n"
                           "NoNewPrivs:\t1\nSeccomp:\t2\n";
        struct userns_caps_state st;
        assert_int_equal(userns_caps_parse_status(text, &st, NULL), 0);
        assert_true(st.permitted == 0x1fffeffffffULL);
        assert_true(st.effective == 0x1ffffffefffULL);
        assert_true(st.bounding == BIT(12));
        assert_true(st.ambient == 0x21);
        assert_int_equal(st.no_new_privs, 1);
        assert_int_equal(st.seccomp, 2);
        assert_int_equal(st.securebits, -1);
        assert_int_equal(st.uid[1], 5);
        struct userns_error err = { 0 };
        assert_int_equal(userns_caps_parse_status("CapInh:\t0\nCapPrm:\tzz\n", &st, &err), -EINVAL);
        assert_int_equal(userns_caps_parse_status("Name:\tx\n", &st, &err), -EINVAL);
        assert_non_null(strstr(err.message, "lacks"));
}

static void reading_self(void **state)
{
        struct userns_caps_state st;
        assert_int_equal(userns_caps_read(0, &st, NULL), 0);
        assert_true(st.securebits >= 0);
        assert_int_equal(userns_caps_read(-3, &st, NULL), -EINVAL);
        assert_int_equal(userns_caps_read(0x7ffffff0, &st, NULL), -ENOENT);
}

/* The model: init (0) -> A (owner 1000) -> B (owner 100001) -> C (owner 101001); A2 (owner 2000) beside A. */
static void model_walk(void **state)
{
        struct userns_capns init = { NULL, 0, 0, 1 };
        struct userns_capns a = { &init, 1, 1000, 2 }, a2 = { &init, 1, 2000, 3 };
        struct userns_capns b = { &a, 2, 100001, 4 }, c = { &b, 3, 101001, 5 };
        struct userns_cap_verdict v;
        const uint64_t eff = BIT(21);
        /* Own namespace: the effective set. */
        struct userns_capcred ra = { &a, 100000, eff };
        assert_true(userns_cap_model_capable(&ra, &a, 21, &v));
        assert_int_equal(v.rule, USERNS_CAP_RULE_EFFECTIVE);
        assert_false(userns_cap_model_capable(&ra, &a, 12, &v));
        /* Descendants: the effective set, decided at the own namespace. */
        assert_true(userns_cap_model_capable(&ra, &c, 21, &v));
        assert_ptr_equal(v.at, &a);
        assert_false(userns_cap_model_capable(&ra, &b, 12, NULL));
        /* Ancestors and siblings: nothing, whatever the sets. */
        struct userns_capcred full_a = { &a, 100000, UINT64_MAX };
        assert_false(userns_cap_model_capable(&full_a, &init, 21, &v));
        assert_int_equal(v.rule, USERNS_CAP_RULE_NOT_BELOW);
        assert_false(userns_cap_model_capable(&full_a, &a2, 21, NULL));
        struct userns_capcred full_c = { &c, 0, UINT64_MAX };
        assert_false(userns_cap_model_capable(&full_c, &b, 0, NULL));
        assert_true(userns_cap_model_caps_over(&full_c, &a, NULL) == 0);
        /* Owner rule: uid 1000 in init with no capabilities holds all over A and below. */
        struct userns_capcred u1000 = { &init, 1000, 0 };
        assert_true(userns_cap_model_capable(&u1000, &a, 12, &v));
        assert_int_equal(v.rule, USERNS_CAP_RULE_OWNER);
        assert_true(userns_cap_model_caps_over(&u1000, &c, &v) == UINT64_MAX);
        assert_ptr_equal(v.at, &a);
        assert_false(userns_cap_model_capable(&u1000, &a2, 12, NULL));
        assert_false(userns_cap_model_capable(&u1000, &init, 12, NULL));
        /* Owning a grandchild is not enough: B's creator (kuid 100001) seen from init has nothing. */
        struct userns_capcred k100001_init = { &init, 100001, 0 };
        assert_false(userns_cap_model_capable(&k100001_init, &b, 21, NULL));
        assert_false(userns_cap_model_capable(&k100001_init, &c, 21, NULL));
        /* ...but from inside A it owns B, and so C. */
        struct userns_capcred k100001_a = { &a, 100001, 0 };
        assert_true(userns_cap_model_capable(&k100001_a, &c, 21, &v));
        assert_ptr_equal(v.at, &b);
        assert_false(userns_cap_model_capable(&k100001_a, &a, 21, NULL));
        /* C's owner in A (not in B) gets only A's effective set over C. */
        struct userns_capcred k101001_a = { &a, 101001, BIT(3) };
        assert_true(userns_cap_model_caps_over(&k101001_a, &c, &v) == BIT(3));
        assert_int_equal(v.rule, USERNS_CAP_RULE_EFFECTIVE);
        assert_false(userns_cap_model_capable(&k101001_a, &c, 64, NULL));
        assert_string_equal(userns_cap_rule_name(USERNS_CAP_RULE_OWNER), "owner rule");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_names),
                cmocka_unit_test(parse_errors),
                cmocka_unit_test(format_roundtrip),
                cmocka_unit_test(securebits_text),
                cmocka_unit_test(status_parsing),
                cmocka_unit_test(reading_self),
                cmocka_unit_test(model_walk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
