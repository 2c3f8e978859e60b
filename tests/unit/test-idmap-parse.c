/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Map text: the kernel parser (map_write()'s quirks), the compact form, OCI JSON,
 * format detection and formatting round trips; one test per message. */
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

/* Parse; on success return the compact form (static buffer), on failure the message. */
static const char *parse_len(const char *text, size_t len, enum userns_idmap_format f, int *rc)
{
        static char out[USERNS_ERROR_MSG_MAX + 64];
        struct userns_idmap *m = NULL;
        struct userns_error err = { 0 };
        *rc = userns_idmap_parse(text, len, f, USERNS_IDMAP_UID, &m, &err);
        if (*rc < 0) {
                assert_int_equal(*rc, -err.code);
                assert_null(m);
                snprintf(out, sizeof out, "%s", err.message);
                return out;
        }
        char *s;
        assert_int_equal(userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL), 0);
        snprintf(out, sizeof out, "%s", s);
        free(s);
        userns_idmap_free(m);
        return out;
}

static const char *parse(const char *text, enum userns_idmap_format f, int *rc)
{
        return parse_len(text, strlen(text), f, rc);
}

#define OK(text, f, want) do { int _rc; const char *_g = parse(text, f, &_rc); \
        if (_rc) { fail_msg("%s: %s", text, _g); } \
        assert_string_equal(_g, want); } while (0)
#define BAD(text, f, want) do { int _rc; const char *_g = parse(text, f, &_rc); \
        assert_int_equal(_rc, -EINVAL); assert_string_equal(_g, want); } while (0)
#define K USERNS_IDMAP_FORMAT_KERNEL
#define C USERNS_IDMAP_FORMAT_COMPACT
#define J USERNS_IDMAP_FORMAT_OCI
#define A USERNS_IDMAP_FORMAT_AUTO

static void kernel_accepts(void **state)
{
        OK("0 1000 1", K, "0:1000:1");
        OK("0 1000 1\n", K, "0:1000:1");
        OK("0 1000 1\r\n", K, "0:1000:1");                     /* CR is whitespace */
        OK("  0\t1000 \v\f 1  ", K, "0:1000:1");
        OK("0\2401000\2401", K, "0:1000:1");                    /* 0xA0 is a kernel isspace() */
        OK("4294967296 1000 1", K, "0:1000:1");                 /* §9 vector 2: truncated to u32 */
        OK("18446744073709551616 1000 1", K, "0:1000:1");       /* 2^64 wraps to 0 (checked on 6.18) */
        OK("18446744078004518913 1000 1", K, "1:1000:1");       /* 2^64 + 2^32 + 1 */
        OK("00 01000 001", K, "0:1000:1");
        OK("0 0 4294967295", K, "0:0:4294967295");              /* §9 vector 3 */
        OK("0 1000 10\n10 1010 10", K, "0:1000:10,10:1010:10"); /* touching */
        int rc;         /* the kernel sees a C string: bytes after a NUL are ignored */
        assert_string_equal(parse_len("0 1000 1\0junk", 13, K, &rc), "0:1000:1");
        assert_int_equal(rc, 0);
        assert_string_equal(parse_len("\0 1000 1", 9, K, &rc), "uid_map line 1: empty line");
}

static void kernel_rejects_with_reasons(void **state)
{
        BAD("0 1000 1\n\n", K, "uid_map line 2: empty line");  /* §9 vector 1 */
        BAD("", K, "uid_map line 1: empty line");
        BAD("   \n", K, "uid_map line 1: blank line");
        BAD("0 1000 1\n \n", K, "uid_map line 2: blank line");
        BAD("+0 1000 1", K, "uid_map line 1: inside id: expected a decimal number, found '+' (no sign allowed)");
        BAD("0 -1 1", K, "uid_map line 1: outside id: expected a decimal number, found '-' (no sign allowed)");
        BAD("0x10 1000 1", K, "uid_map line 1: inside id 0 is followed by 'x', not whitespace "
                              "(hex is not accepted)");
        BAD("0 1000", K, "uid_map line 1: missing count after outside id 1000");
        BAD("0", K, "uid_map line 1: missing outside id after inside id 0");
        BAD("0 ", K, "uid_map line 1: missing outside id (a line is 'INSIDE OUTSIDE COUNT')");
        BAD("0 1000 ", K, "uid_map line 1: missing count (the kernel reads it as 0)");
        BAD("0 1000 1 1", K, "uid_map line 1: trailing junk '1' after the count "
                             "(a line is 'INSIDE OUTSIDE COUNT')");
        BAD("0 1000 1x", K, "uid_map line 1: count 1 is followed by 'x', not whitespace");
        BAD("0 1000x 1", K, "uid_map line 1: outside id 1000 is followed by 'x', not whitespace");
        BAD("0 x 1", K, "uid_map line 1: outside id: expected a decimal number, found 'x'");
        BAD("0 1 \001", K, "uid_map line 1: count: expected a decimal number, found byte 0x01");
        BAD("1 0 4294967295", K, "uid_map line 1: inside range 1+4294967295 wraps past 4294967295 "
                                 "(the last usable id is 4294967294)");
        BAD("0 1 4294967295", K, "uid_map line 1: outside range 1+4294967295 wraps past 4294967295 "
                                 "(the last usable id is 4294967294)");
        BAD("4294967295 0 1", K, "uid_map line 1: inside start 4294967295 is (u32)-1, which is never a valid id");
        BAD("18446744073709551615 0 1", K, "uid_map line 1: inside start 4294967295 is (u32)-1, "
                                           "which is never a valid id");
        BAD("0 1000 0", K, "uid_map line 1: count is 0");
        BAD("0 100000 65536\n100 200000 65536", K,
            "uid_map line 2: inside ids 100-65635 overlap line 1 (0-65535)");
        BAD("0 100000 65536\n70000 100000 1", K,
            "uid_map line 2: outside ids 100000-100000 overlap line 1 (100000-165535)");
}

static void kernel_340_extents(void **state)
{
        char buf[8192];
        size_t o = 0;
        for (int i = 0; i < 340; i++)
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%d %d 1\n", i, i);
        int rc;
        parse_len(buf, o, K, &rc);
        assert_int_equal(rc, 0);
        /* A 341st line fails at line 340: the kernel refuses when a line follows the 340th extent. */
        snprintf(buf + o, sizeof buf - o, "340 340 1\n");
        BAD(buf, K, "uid_map line 340: another line follows the 340th extent (at most 340 extents)");
        /* ... even an empty one */
        buf[o] = '\n';
        buf[o + 1] = '\0';
        BAD(buf, K, "uid_map line 340: another line follows the 340th extent (at most 340 extents)");
}

static void compact_form(void **state)
{
        OK("0:100000:65536", C, "0:100000:65536");
        OK(" 0:100000:65536 , 65536:1000:1\n", C, "0:100000:65536,65536:1000:1");
        BAD("", C, "uid_map: empty map (expected INSIDE:OUTSIDE:COUNT[,...])");
        BAD("0:1", C, "uid_map entry 1: expected ':' after the outside id, found end of line "
                      "(form INSIDE:OUTSIDE:COUNT)");
        BAD("0 1 2", C, "uid_map entry 1: expected ':' after the inside id, found byte 0x20 "
                        "(form INSIDE:OUTSIDE:COUNT)");
        BAD("0:1:2;", C, "uid_map entry 1: expected ',' or the end after the count, found ';'");
        BAD("0:1:2,", C, "uid_map entry 2: inside id: expected a decimal number, found end of line");
        BAD("0:-1:2", C, "uid_map entry 1: outside id: expected a decimal number, found '-'");
        BAD("4294967296:1:2", C, "uid_map entry 1: inside id is larger than 4294967295");
        BAD("0:0:10,5:100:1", C, "uid_map entry 2: inside ids 5-5 overlap entry 1 (0-9)");
        BAD("0:0:0", C, "uid_map entry 1: count is 0");
}

static void oci_form(void **state)
{
        OK("[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]", J, "0:100000:65536");
        OK(" [ { \"size\" : 1 , \"hostID\" : 1000 , \"containerID\" : 65536 } ,\n"
           "{\"containerID\":0,\"hostID\":100000,\"size\":65536} ]\n", J, "65536:1000:1,0:100000:65536");
        BAD("[]", J, "uid_map: OCI JSON: no mappings");
        BAD("{}", J, "uid_map: OCI JSON: expected '[' at the start of an OCI mapping array, found '{'");
        BAD("[{\"containerID\":0,\"hostID\":1}]", J, "uid_map entry 1: missing \"size\"");
        BAD("[{\"containerID\":0,\"hostID\":1,\"size\":1,\"x\":2}]", J,
            "uid_map entry 1: unknown member \"x\" (expected containerID, hostID, size)");
        BAD("[{\"containerID\":0,\"containerID\":1}]", J, "uid_map entry 1: \"containerID\" given twice");
        BAD("[{\"containerID\":-1,\"hostID\":1,\"size\":1}]", J,
            "uid_map entry 1: \"containerID\": expected a non-negative integer, found '-'");
        BAD("[{\"containerID\":1.5,\"hostID\":1,\"size\":1}]", J,
            "uid_map entry 1: \"containerID\": expected an integer, found '.'");
        BAD("[{\"containerID\":01,\"hostID\":1,\"size\":1}]", J,
            "uid_map entry 1: \"containerID\": JSON numbers have no leading zeros");
        BAD("[{\"containerID\":4294967296,\"hostID\":1,\"size\":1}]", J,
            "uid_map entry 1: \"containerID\" is larger than 4294967295");
        BAD("[{\"containerID\":\"0\",\"hostID\":1,\"size\":1}]", J,
            "uid_map entry 1: \"containerID\": expected a non-negative integer, found '\"'");
        BAD("[{\"contai\\u006eerID\":0}]", J, "uid_map entry 1: OCI JSON: unsupported character '\\' "
                                             "in a member name");
        BAD("[{\"containerID", J, "uid_map entry 1: OCI JSON: unterminated member name");
        BAD("[{\"containerID\":0,\"hostID\":1,\"size\":1}] x", J, "uid_map: OCI JSON: trailing 'x' after the array");
        BAD("[{\"containerID\":0,\"hostID\":1,\"size\":1}", J,
            "uid_map: OCI JSON: expected ']' or ',' after a mapping, found end of line");
        BAD("[{\"containerID\":0,\"hostID\":1,\"size\":1},{\"containerID\":0,\"hostID\":2,\"size\":1}]", J,
            "uid_map entry 2: inside ids 0-0 overlap entry 1 (0-0)");
        BAD("[{\"containerID\" 0}]", J, "uid_map: OCI JSON: expected ':' after a member name, found '0'");
        BAD("[{}]", J, "uid_map entry 1: missing \"containerID\"");
        BAD("[1]", J, "uid_map: OCI JSON: expected '{' to open a mapping, found '1'");
}

static void auto_detects(void **state)
{
        OK("0 1000 1\n", A, "0:1000:1");
        OK("0:1000:1", A, "0:1000:1");
        OK("  [{\"containerID\":0,\"hostID\":1000,\"size\":1}]", A, "0:1000:1");
        BAD("{\"containerID\":0}", A, "uid_map: OCI JSON: expected '[' at the start of an OCI mapping array, "
                                      "found '{'");
        int rc;
        struct userns_error err = { 0 };
        struct userns_idmap *m;
        assert_int_equal(userns_idmap_parse(NULL, 0, A, USERNS_IDMAP_GID, &m, &err), -EINVAL);
        assert_string_equal(err.message, "gid_map: no text");
        assert_int_equal(userns_idmap_parse("0 0 1", 5, (enum userns_idmap_format)9, USERNS_IDMAP_UID, &m, &err),
                         -EINVAL);
        assert_string_equal(err.message, "unknown map format 9");
        (void)rc;
}

static void format_round_trips(void **state)
{
        const char *in = "0:100000:65536,65536:1000:1,70000:4294967290:4";
        struct userns_idmap *m, *back;
        assert_int_equal(userns_idmap_parse(in, strlen(in), C, USERNS_IDMAP_UID, &m, NULL), 0);
        static const enum userns_idmap_format forms[] = { K, C, J };
        static const char *const want[] = {
                "0 100000 65536\n65536 1000 1\n70000 4294967290 4\n",
                "0:100000:65536,65536:1000:1,70000:4294967290:4",
                "[{\"containerID\":0,\"hostID\":100000,\"size\":65536},{\"containerID\":65536,\"hostID\":1000,"
                "\"size\":1},{\"containerID\":70000,\"hostID\":4294967290,\"size\":4}]",
        };
        for (size_t i = 0; i < 3; i++) {
                char *s;
                assert_int_equal(userns_idmap_format(m, forms[i], &s, NULL), 0);
                assert_string_equal(s, want[i]);
                assert_int_equal(userns_idmap_parse(s, strlen(s), A, USERNS_IDMAP_UID, &back, NULL), 0);
                assert_true(userns_idmap_equal(m, back));
                userns_idmap_free(back);
                free(s);
        }
        userns_idmap_free(m);
        /* An empty map formats to nothing / [] */
        char *s;
        assert_int_equal(userns_idmap_new(&m), 0);
        assert_int_equal(userns_idmap_format(m, J, &s, NULL), 0);
        assert_string_equal(s, "[]");
        free(s);
        assert_int_equal(userns_idmap_format(m, K, &s, NULL), 0);
        assert_string_equal(s, "");
        free(s);
        userns_idmap_free(m);
}

static void kinds_name_messages(void **state)
{
        struct userns_idmap *m;
        struct userns_error err = { 0 };
        assert_int_equal(userns_idmap_parse("0 0 0", 5, K, USERNS_IDMAP_PROJID, &m, &err), -EINVAL);
        assert_string_equal(err.message, "projid_map line 1: count is 0");
        assert_int_equal(userns_idmap_parse("", 0, C, USERNS_IDMAP_GID, &m, &err), -EINVAL);
        assert_string_equal(err.message, "gid_map: empty map (expected INSIDE:OUTSIDE:COUNT[,...])");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(kernel_accepts),
                cmocka_unit_test(kernel_rejects_with_reasons),
                cmocka_unit_test(kernel_340_extents),
                cmocka_unit_test(compact_form),
                cmocka_unit_test(oci_form),
                cmocka_unit_test(auto_detects),
                cmocka_unit_test(format_round_trips),
                cmocka_unit_test(kinds_name_messages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
