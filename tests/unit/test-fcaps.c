/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The security.capability codec and capability text (libcap). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "userns/fcaps.h"

static void le32(uint8_t *p, uint32_t v)
{
        p[0] = v & 0xff;
        p[1] = (v >> 8) & 0xff;
        p[2] = (v >> 16) & 0xff;
        p[3] = v >> 24;
}

/* A value built word by word, as the uapi structs lay it out. */
static size_t build(uint8_t *buf, uint32_t magic, const uint32_t *words, size_t nwords)
{
        le32(buf, magic);
        for (size_t i = 0; i < nwords; i++)
                le32(buf + 4 + 4 * i, words[i]);
        return 4 + 4 * nwords;
}

static void sizes_match_uapi(void **state)
{
        assert_int_equal(userns_fcaps_size(1), XATTR_CAPS_SZ_1);
        assert_int_equal(userns_fcaps_size(2), XATTR_CAPS_SZ_2);
        assert_int_equal(userns_fcaps_size(3), XATTR_CAPS_SZ_3);
        assert_int_equal(userns_fcaps_size(0), 0);
        assert_int_equal(userns_fcaps_size(4), 0);
        assert_string_equal(userns_fcaps_revision_name(1), "v1");
        assert_string_equal(userns_fcaps_revision_name(3), "v3");
        assert_string_equal(userns_fcaps_revision_name(9), "v?");
}

static void decode_v1(void **state)
{
        uint8_t b[32];
        uint32_t w[] = { 0x00002001, 0x00000004 };
        size_t n = build(b, VFS_CAP_REVISION_1 | VFS_CAP_FLAGS_EFFECTIVE, w, 2);
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_decode(b, n, &c, NULL), 0);
        assert_int_equal(c.revision, 1);
        assert_true(c.effective);
        assert_int_equal(c.permitted, 0x2001);
        assert_int_equal(c.inheritable, 0x4);
        assert_int_equal(c.rootid, 0);
}

static void decode_v2_high_words(void **state)
{
        uint8_t b[32];
        /* permitted low, inheritable low, permitted high, inheritable high */
        uint32_t w[] = { 0x00002000, 0x00000020, 0x00000100, 0x00000001 };
        size_t n = build(b, VFS_CAP_REVISION_2, w, 4);
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_decode(b, n, &c, NULL), 0);
        assert_int_equal(c.revision, 2);
        assert_false(c.effective);
        assert_int_equal(c.permitted, 0x0000010000002000ull);
        assert_int_equal(c.inheritable, 0x0000000100000020ull);
}

static void decode_v3_rootid(void **state)
{
        /* bytes setcap -n 1000 cap_net_raw=ep writes */
        static const uint8_t b[] = { 0x01, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0x00, 0x00 };
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_decode(b, sizeof b, &c, NULL), 0);
        assert_int_equal(c.revision, 3);
        assert_true(c.effective);
        assert_int_equal(c.permitted, 1ull << CAP_NET_RAW);
        assert_int_equal(c.inheritable, 0);
        assert_int_equal(c.rootid, 1000);
}

static void roundtrip_random(void **state)
{
        srand(6);
        for (int i = 0; i < 5000; i++) {
                struct userns_fcaps c = { .revision = 1 + (unsigned)(rand() % 3), .effective = rand() & 1 };
                c.permitted = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 11 ^ (uint64_t)rand();
                c.inheritable = (uint64_t)rand() << 35 ^ (uint64_t)rand();
                if (c.revision == 1) {
                        c.permitted &= 0xffffffffu;
                        c.inheritable &= 0xffffffffu;
                }
                if (c.revision == 3)
                        c.rootid = (uint32_t)rand();
                uint8_t buf[USERNS_FCAPS_SIZE_MAX];
                int n = userns_fcaps_encode(&c, buf, sizeof buf, NULL);
                assert_int_equal(n, (int)userns_fcaps_size(c.revision));
                struct userns_fcaps d;
                assert_int_equal(userns_fcaps_decode(buf, (size_t)n, &d, NULL), 0);
                assert_memory_equal(&c, &d, sizeof c);
        }
}

static void expect_decode_error(const uint8_t *b, size_t n, const char *msg)
{
        struct userns_error err = { 0 };
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_decode(b, n, &c, &err), -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_string_equal(err.message, msg);
}

static void decode_errors(void **state)
{
        uint8_t b[40] = { 0 };
        uint32_t w[8] = { 0 };
        expect_decode_error(b, 0,
                "security.capability of 0 bytes is too short: the 4-byte magic_etc is missing");
        expect_decode_error(b, 3,
                "security.capability of 3 bytes is too short: the 4-byte magic_etc is missing");
        build(b, 0, w, 4);
        expect_decode_error(b, 20, "security.capability magic_etc 0x00000000: unknown revision 0 (known: 1, 2, 3)");
        build(b, 0x04000001, w, 5);
        expect_decode_error(b, 24, "security.capability magic_etc 0x04000001: unknown revision 4 (known: 1, 2, 3)");
        build(b, 0xff000000, w, 4);
        expect_decode_error(b, 20, "security.capability magic_etc 0xff000000: unknown revision 255 (known: 1, 2, 3)");
        build(b, VFS_CAP_REVISION_2 | 0x10, w, 4);
        expect_decode_error(b, 20, "security.capability magic_etc 0x02000010: unknown flag bits 0x000010 "
                                   "(only VFS_CAP_FLAGS_EFFECTIVE 0x000001 is defined)");
        build(b, VFS_CAP_REVISION_3 | 0x800001, w, 5);
        expect_decode_error(b, 24, "security.capability magic_etc 0x03800001: unknown flag bits 0x800000 "
                                   "(only VFS_CAP_FLAGS_EFFECTIVE 0x000001 is defined)");
        build(b, VFS_CAP_REVISION_2, w, 4);
        expect_decode_error(b, 12, "security.capability revision 2 is 12 bytes: too short, revision 2 is exactly 20 bytes");
        build(b, VFS_CAP_REVISION_3, w, 5);
        expect_decode_error(b, 20, "security.capability revision 3 is 20 bytes: too short, revision 3 is exactly 24 bytes");
        expect_decode_error(b, 4, "security.capability revision 3 is 4 bytes: too short, revision 3 is exactly 24 bytes");
        build(b, VFS_CAP_REVISION_1, w, 4);
        expect_decode_error(b, 20, "security.capability revision 1 has 8 trailing bytes after its 12-byte layout");
        build(b, VFS_CAP_REVISION_2, w, 5);
        expect_decode_error(b, 24, "security.capability revision 2 has 4 trailing bytes after its 20-byte layout");
        build(b, VFS_CAP_REVISION_3, w, 6);
        expect_decode_error(b, 28, "security.capability revision 3 has 4 trailing bytes after its 24-byte layout");
        /* a NULL error is allowed */
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_decode(b, 1, &c, NULL), -EINVAL);
}

static void encode_errors(void **state)
{
        struct userns_error err = { 0 };
        uint8_t buf[24];
        struct userns_fcaps c = { .revision = 4 };
        assert_int_equal(userns_fcaps_encode(&c, buf, sizeof buf, &err), -EINVAL);
        assert_string_equal(err.message, "cannot encode file capabilities revision 4 (known: 1, 2, 3)");
        c = (struct userns_fcaps) { .revision = 3 };
        assert_int_equal(userns_fcaps_encode(&c, buf, 20, &err), -ENOBUFS);
        assert_string_equal(err.message, "revision 3 needs 24 bytes, buffer has 20");
        c = (struct userns_fcaps) { .revision = 1, .permitted = 1ull << 33 };
        assert_int_equal(userns_fcaps_encode(&c, buf, sizeof buf, &err), -EINVAL);
        assert_string_equal(err.message, "revision 1 holds capabilities 0-31 only; permitted 0x200000000 / "
                                         "inheritable 0x0 has higher bits");
        c = (struct userns_fcaps) { .revision = 2, .rootid = 5 };
        assert_int_equal(userns_fcaps_encode(&c, buf, sizeof buf, &err), -EINVAL);
        assert_string_equal(err.message, "revision 2 has no root id (rootid 5 needs revision 3)");
}

static void encode_exact_bytes(void **state)
{
        struct userns_fcaps c = { .revision = 3, .effective = true, .permitted = 1ull << CAP_NET_RAW,
                                  .rootid = 1000 };
        uint8_t buf[24];
        static const uint8_t want[] = { 0x01, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0x00, 0x00 };
        assert_int_equal(userns_fcaps_encode(&c, buf, sizeof buf, NULL), 24);
        assert_memory_equal(buf, want, sizeof want);
}

static void text_through_libcap(void **state)
{
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_from_text("cap_net_raw,cap_net_bind_service=ep", &c, NULL), 0);
        assert_int_equal(c.revision, 2);
        assert_true(c.effective);
        assert_int_equal(c.permitted, 1ull << CAP_NET_RAW | 1ull << CAP_NET_BIND_SERVICE);
        assert_int_equal(c.inheritable, 0);
        char *t = NULL;
        assert_int_equal(userns_fcaps_to_text(&c, &t, NULL), 0);
        assert_string_equal(t, "cap_net_bind_service,cap_net_raw=ep");
        free(t);

        assert_int_equal(userns_fcaps_from_text("cap_sys_admin+i cap_kill=p", &c, NULL), 0);
        assert_false(c.effective);
        assert_int_equal(c.permitted, 1ull << CAP_KILL);
        assert_int_equal(c.inheritable, 1ull << CAP_SYS_ADMIN);
        assert_int_equal(userns_fcaps_to_text(&c, &t, NULL), 0);
        assert_string_equal(t, "cap_sys_admin=i cap_kill+p");
        free(t);

        c = (struct userns_fcaps) { .revision = 2 };
        assert_int_equal(userns_fcaps_to_text(&c, &t, NULL), 0);
        assert_string_equal(t, "=");
        free(t);

        /* bits the kernel does not know yet are printed as numbers, as getcap does */
        c = (struct userns_fcaps) { .revision = 2, .permitted = 1ull << 45 | 1 };
        assert_int_equal(userns_fcaps_to_text(&c, &t, NULL), 0);
        assert_string_equal(t, "cap_chown=p 45+p");
        free(t);
}

static void text_errors(void **state)
{
        struct userns_error err = { 0 };
        struct userns_fcaps c;
        assert_int_equal(userns_fcaps_from_text("cap_no_such=ep", &c, &err), -EINVAL);
        assert_string_equal(err.message, "capability text 'cap_no_such=ep': not understood by cap_from_text(3) "
                                         "(expected e.g. cap_net_raw,cap_chown=ep)");
        assert_int_equal(userns_fcaps_from_text("cap_chown+ep cap_kill+i", &c, &err), -EINVAL);
        assert_string_equal(err.message, "capability text 'cap_chown+ep cap_kill+i': a file has one effective "
                                         "bit, so the effective set must be empty or include every permitted "
                                         "and inheritable capability");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sizes_match_uapi),
                cmocka_unit_test(decode_v1),
                cmocka_unit_test(decode_v2_high_words),
                cmocka_unit_test(decode_v3_rootid),
                cmocka_unit_test(roundtrip_random),
                cmocka_unit_test(decode_errors),
                cmocka_unit_test(encode_errors),
                cmocka_unit_test(encode_exact_bytes),
                cmocka_unit_test(text_through_libcap),
                cmocka_unit_test(text_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
