/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file-capability model against the rules of KERNEL-RULES.md §5 and the
 * observed test vectors 23-25 (the kernel differential test checks the same
 * predictions against the running kernel).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "userns/fcaps.h"

static struct userns_idmap *maps[16];
static size_t nmaps;

static const struct userns_idmap *mkmap(uint32_t first, uint32_t lower, uint32_t count)
{
        struct userns_idmap *m;
        assert_int_equal(userns_idmap_new(&m), 0);
        assert_int_equal(userns_idmap_add(m, first, lower, count, NULL, NULL), 0);
        assert_true(nmaps < 16);
        maps[nmaps++] = m;
        return m;
}

static int teardown(void **state)
{
        while (nmaps)
                userns_idmap_free(maps[--nmaps]);
        return 0;
}

static size_t enc(uint8_t *buf, unsigned rev, bool eff, uint64_t p, uint64_t i, uint32_t rootid)
{
        struct userns_fcaps c = { .revision = rev, .effective = eff, .permitted = p, .inheritable = i,
                                  .rootid = rootid };
        int n = userns_fcaps_encode(&c, buf, USERNS_FCAPS_SIZE_MAX, NULL);
        assert_true(n > 0);
        return (size_t)n;
}

#define RAW (1ull << CAP_NET_RAW)

/* A = 0 1000 1000, B = 0 999 1000, C = 0 5000 10 (children of init); D = 0 5 10 inside A. */
struct world {
        struct userns_fcaps_ns a, b, c, d;
};

static void mkworld(struct world *w)
{
        w->a = (struct userns_fcaps_ns) { .uid_map = mkmap(0, 1000, 1000) };
        w->b = (struct userns_fcaps_ns) { .uid_map = mkmap(0, 999, 1000) };
        w->c = (struct userns_fcaps_ns) { .uid_map = mkmap(0, 5000, 10) };
        w->d = (struct userns_fcaps_ns) { .uid_map = mkmap(0, 5, 10), .parent = &w->a };
}

static void ns_helpers(void **state)
{
        struct world w;
        mkworld(&w);
        assert_int_equal(userns_fcaps_ns_to_host(NULL, 7), 7);
        assert_int_equal(userns_fcaps_ns_to_host(&w.a, 5), 1005);
        assert_int_equal(userns_fcaps_ns_to_host(&w.d, 0), 1005);
        assert_int_equal(userns_fcaps_ns_to_host(&w.d, 10), USERNS_ID_INVALID);
        assert_int_equal(userns_fcaps_ns_from_host(&w.d, 1006), 1);
        assert_int_equal(userns_fcaps_ns_from_host(&w.d, 1000), USERNS_ID_INVALID);
        assert_int_equal(userns_fcaps_ns_from_host(NULL, 1000), 1000);
        assert_true(userns_fcaps_ns_within(&w.d, &w.a));
        assert_true(userns_fcaps_ns_within(&w.d, NULL));
        assert_true(userns_fcaps_ns_within(NULL, NULL));
        assert_false(userns_fcaps_ns_within(&w.a, &w.d));
        assert_false(userns_fcaps_ns_within(NULL, &w.a));
        assert_false(userns_fcaps_ns_within(&w.b, &w.a));
}

static void store_rules(void **state)
{
        struct world w;
        mkworld(&w);
        uint8_t v[24];
        struct userns_fcaps s;
        struct userns_error err = { 0 };
        struct userns_fcaps_writer init_root = { .ns = NULL, .cap_setfcap = true, .inode_owner_mapped = true };
        struct userns_fcaps_writer a_root = { .ns = &w.a, .cap_setfcap = true, .inode_owner_mapped = true };

        /* vector 23: a v2 from A's root becomes v3 rootid 1000, effective kept */
        size_t n = enc(v, 2, true, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_store(v, n, &a_root, NULL, &s, NULL), 24);
        assert_int_equal(s.revision, 3);
        assert_int_equal(s.rootid, 1000);
        assert_true(s.effective);
        assert_int_equal(s.permitted, RAW);
        /* init root keeps v2 */
        assert_int_equal(userns_fcaps_model_store(v, n, &init_root, NULL, &s, NULL), 20);
        assert_int_equal(s.revision, 2);
        /* v3 rootid 5 from A is stored as 1005; rootid 2000 is unmapped there */
        n = enc(v, 3, false, RAW, 0, 5);
        assert_int_equal(userns_fcaps_model_store(v, n, &a_root, NULL, &s, NULL), 24);
        assert_int_equal(s.rootid, 1005);
        n = enc(v, 3, false, RAW, 0, 2000);
        assert_int_equal(userns_fcaps_model_store(v, n, &a_root, NULL, &s, &err), -EINVAL);
        assert_string_equal(err.message, "setxattr: root id 2000 is not mapped in the writer's namespace");
        /* v3 rootid 0 from init root stays v3 rootid 0 */
        n = enc(v, 3, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_store(v, n, &init_root, NULL, &s, NULL), 24);
        assert_int_equal(s.revision, 3);
        assert_int_equal(s.rootid, 0);
        /* vector 24: v1 is refused, even for init root; so are odd sizes and flags */
        n = enc(v, 1, true, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_store(v, n, &init_root, NULL, &s, &err), -EINVAL);
        assert_string_equal(err.message,
                "setxattr: revision 1 is not accepted (only a 20-byte v2 or 24-byte v3 header)");
        n = enc(v, 2, true, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_store(v, 13, &init_root, NULL, &s, &err), -EINVAL);
        assert_string_equal(err.message, "setxattr: security.capability revision 2 is 13 bytes: too short, "
                                         "revision 2 is exactly 20 bytes");
        v[1] = 0x80;
        assert_int_equal(userns_fcaps_model_store(v, n, &init_root, NULL, &s, NULL), -EINVAL);
        v[1] = 0;
        /* permission */
        struct userns_fcaps_writer nocap = { .ns = NULL };
        assert_int_equal(userns_fcaps_model_store(v, n, &nocap, NULL, &s, &err), -EPERM);
        assert_string_equal(err.message, "setxattr: CAP_SETFCAP in the writer's namespace is needed");
        struct userns_fcaps_writer unmapped_owner = { .ns = &w.a, .cap_setfcap = true };
        assert_int_equal(userns_fcaps_model_store(v, n, &unmapped_owner, NULL, &s, &err), -EPERM);
        assert_string_equal(err.message, "setxattr: CAP_SETFCAP in the writer's namespace, with the file's "
                                         "uid and gid mapped there, is needed");
        /* an empty value skips cap_convert_nscap() entirely */
        assert_int_equal(userns_fcaps_model_store(v, 0, &nocap, NULL, &s, NULL), 0);
        assert_int_equal(s.revision, 0);
}

static void store_fs_owner_and_idmap(void **state)
{
        struct world w;
        mkworld(&w);
        uint8_t v[24];
        struct userns_fcaps s;
        struct userns_error err = { 0 };
        size_t n = enc(v, 2, false, RAW, 0, 0);
        /* a filesystem owned by A: A's root is privileged over it and keeps v2 */
        struct userns_fcaps_fs fs_a = { .owner = &w.a };
        struct userns_fcaps_writer a_root = { .ns = &w.a, .cap_setfcap = true, .inode_owner_mapped = true };
        assert_int_equal(userns_fcaps_model_store(v, n, &a_root, &fs_a, &s, NULL), 20);
        /* D's root is not: v3 with D's root as a uid of A (5) */
        struct userns_fcaps_writer d_root = { .ns = &w.d, .cap_setfcap = true, .inode_owner_mapped = true };
        assert_int_equal(userns_fcaps_model_store(v, n, &d_root, &fs_a, &s, NULL), 24);
        assert_int_equal(s.rootid, 5);
        /* init root over A's filesystem: a v3 for a root A does not map cannot be stored */
        struct userns_fcaps_writer host = { .cap_setfcap = true, .inode_owner_mapped = true };
        size_t n3 = enc(v, 3, false, RAW, 0, 5);
        assert_int_equal(userns_fcaps_model_store(v, n3, &host, &fs_a, &s, &err), -EINVAL);
        assert_string_equal(err.message,
                "setxattr: root id 5 (host 5) is not mapped in the filesystem's owning namespace");
        n3 = enc(v, 3, false, RAW, 0, 1007);
        assert_int_equal(userns_fcaps_model_store(v, n3, &host, &fs_a, &s, NULL), 24);
        assert_int_equal(s.rootid, 7);
        n = enc(v, 2, false, RAW, 0, 0);
        /* an idmapped mount (on-disk 0.. shown as 1000..): even init root's v2 becomes v3, through the idmap */
        struct userns_fcaps_fs idm = { .mnt_idmap = mkmap(0, 1000, 1000) };
        struct userns_fcaps_writer init_root = { .cap_setfcap = true, .inode_owner_mapped = true };
        assert_int_equal(userns_fcaps_model_store(v, n, &init_root, &idm, &s, &err), -EINVAL);
        assert_string_equal(err.message, "setxattr: root id 0 (host 0) is not mapped in the filesystem's mount idmap");
        assert_int_equal(userns_fcaps_model_store(v, n, &a_root, &idm, &s, NULL), 24);
        assert_int_equal(s.rootid, 0);   /* A's root 1000 is on-disk uid 0 */

        /* A's filesystem through an idmapped mount (A's uid 0..9 shown as 5000..) */
        struct userns_fcaps_fs a_idm = { .owner = &w.a, .mnt_idmap = mkmap(0, 5000, 10) };
        struct userns_fcaps seen;
        n = enc(v, 2, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, &a_idm, &seen, NULL), 24);
        assert_int_equal(seen.rootid, 5000);
        n = enc(v, 3, false, RAW, 0, 2000);    /* not a uid of A: no kernel id at all */
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, &a_idm, &seen, NULL), -EOVERFLOW);
        /* root of C (host 5000) writes: shown id 5000 is on-disk 0 of A */
        struct userns_fcaps_writer c_root = { .ns = &w.c, .cap_setfcap = true, .inode_owner_mapped = true };
        assert_int_equal(userns_fcaps_model_store(v, n, &c_root, &a_idm, &s, &err), -EINVAL);
        assert_string_equal(err.message, "setxattr: root id 2000 is not mapped in the writer's namespace");
        n = enc(v, 2, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_store(v, n, &c_root, &a_idm, &s, NULL), 24);
        assert_int_equal(s.rootid, 0);
        /* a vfs id the idmap does not cover */
        assert_int_equal(userns_fcaps_model_store(v, n, &a_root, &a_idm, &s, NULL), -EINVAL);
}

static void read_vector_23(void **state)
{
        struct world w;
        mkworld(&w);
        uint8_t v[24];
        struct userns_fcaps s;
        struct userns_error err = { 0 };
        size_t n = enc(v, 3, true, RAW, 0, 1000);   /* what A's root stored */
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, NULL, &s, NULL), 24);
        assert_int_equal(s.rootid, 1000);
        assert_int_equal(userns_fcaps_model_read(v, n, &w.a, NULL, &s, NULL), 20);
        assert_int_equal(s.revision, 2);
        assert_true(s.effective);
        assert_int_equal(s.permitted, RAW);
        assert_int_equal(userns_fcaps_model_read(v, n, &w.b, NULL, &s, NULL), 24);
        assert_int_equal(s.rootid, 1);
        assert_int_equal(userns_fcaps_model_read(v, n, &w.c, NULL, &s, &err), -EOVERFLOW);
        assert_string_equal(err.message, "getxattr: the capabilities belong to root id 1000 (host 1000), neither "
                                         "mapped in the reader's namespace nor root of it or an ancestor");
        /* D (inside A) does not map A's root but A is its ancestor: v2 */
        assert_int_equal(userns_fcaps_model_read(v, n, &w.d, NULL, &s, NULL), 20);
        /* on-disk v3 rootid 0 reads as v2 from init; v2 reads as v3 rootid 0.. nowhere but init */
        n = enc(v, 3, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, NULL, &s, NULL), 20);
        n = enc(v, 2, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_read(v, n, &w.a, NULL, &s, NULL), 20);
        /* on a filesystem owned by A, on-disk ids are A's: a v2 belongs to A's root */
        struct userns_fcaps_fs fs_a = { .owner = &w.a };
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, &fs_a, &s, NULL), 24);
        assert_int_equal(s.rootid, 1000);
        assert_int_equal(userns_fcaps_model_read(v, n, &w.a, &fs_a, &s, NULL), 20);
        n = enc(v, 3, false, RAW, 0, 7);
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, &fs_a, &s, NULL), 24);
        assert_int_equal(s.rootid, 1007);
        assert_int_equal(userns_fcaps_model_read(v, n, &w.d, &fs_a, &s, NULL), 24);
        assert_int_equal(s.rootid, 2);
        /* v1 on disk, an empty value: EINVAL; nothing: ENODATA */
        n = enc(v, 1, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_read(v, n, NULL, NULL, &s, &err), -EINVAL);
        assert_string_equal(err.message,
                "getxattr: revision 1 is not accepted (only a 20-byte v2 or 24-byte v3 header)");
        assert_int_equal(userns_fcaps_model_read(v, 0, NULL, NULL, &s, NULL), -EINVAL);
        assert_int_equal(userns_fcaps_model_read(NULL, 0, NULL, NULL, &s, &err), -ENODATA);
        assert_string_equal(err.message, "getxattr: no security.capability");
}

static void exec_vector_25(void **state)
{
        struct world w;
        mkworld(&w);
        uint8_t v[24];
        struct userns_fcaps_exec e;
        size_t n = enc(v, 3, true, RAW, 0, 1000);
        struct userns_fcaps_task t = { .bounding = USERNS_FCAPS_VALID_MASK };
        t.ns = &w.a;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_true(e.honoured);
        assert_int_equal(e.permitted, RAW);
        assert_int_equal(e.effective, RAW);
        t.ns = &w.d;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_true(e.honoured);
        t.ns = &w.b;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_false(e.honoured);
        assert_int_equal(e.permitted, 0);
        t.ns = NULL;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_false(e.honoured);
        assert_string_equal(e.why, "the capabilities' root is not root of the task's namespace or an ancestor");
        /* v2 is honoured everywhere below the filesystem's owner */
        n = enc(v, 2, false, RAW, 0, 0);
        t.ns = &w.c;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_true(e.honoured);
        assert_int_equal(e.permitted, RAW);
        assert_int_equal(e.effective, 0);   /* fE = 0 */
}

static void exec_rules(void **state)
{
        uint8_t v[32];
        struct userns_fcaps_exec e;
        struct userns_error err = { 0 };
        struct userns_fcaps_task t = { .bounding = USERNS_FCAPS_VALID_MASK, .ambient = 1ull << CAP_KILL,
                                       .inheritable = 1ull << CAP_KILL | 1ull << CAP_CHOWN };
        /* no xattr: ambient carries over */
        assert_int_equal(userns_fcaps_model_exec(NULL, 0, &t, NULL, &e, NULL), 0);
        assert_false(e.honoured);
        assert_int_equal(e.permitted, 1ull << CAP_KILL);
        assert_int_equal(e.effective, 1ull << CAP_KILL);
        /* file caps clear ambient; fI ∩ pI counts */
        size_t n = enc(v, 2, true, RAW, 1ull << CAP_CHOWN, 0);
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_int_equal(e.permitted, RAW | 1ull << CAP_CHOWN);
        assert_int_equal(e.effective, RAW | 1ull << CAP_CHOWN);
        assert_int_equal(e.ambient, 0);
        /* bounding set withholds a capability the effective bit needs: EPERM; without fE: dropped */
        t.bounding = USERNS_FCAPS_VALID_MASK & ~RAW;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, &err), -EPERM);
        assert_string_equal(err.message, "execve: the file's effective bit needs permitted 0x2000, but the "
                                         "bounding and inheritable sets only allow 0x1");
        n = enc(v, 2, false, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_true(e.honoured);
        assert_int_equal(e.permitted, 0);
        t.bounding = USERNS_FCAPS_VALID_MASK;
        /* no_new_privs: nothing beyond the old permitted set */
        t.no_new_privs = true;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_int_equal(e.permitted, 0);
        t.no_new_privs = false;
        /* nosuid mount */
        struct userns_fcaps_fs nosuid = { .nosuid = true };
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, &nosuid, &e, NULL), 0);
        assert_false(e.honoured);
        assert_string_equal(e.why, "the mount is nosuid: file capabilities are ignored");
        /* root of the namespace gets its bounding set */
        t.euid_root = true;
        assert_int_equal(userns_fcaps_model_exec(NULL, 0, &t, NULL, &e, NULL), 0);
        assert_int_equal(e.permitted, USERNS_FCAPS_VALID_MASK);
        assert_int_equal(e.effective, USERNS_FCAPS_VALID_MASK);
        t.euid_root = false;
        /* exec reads v1, ignores unknown flags, masks unknown capability bits */
        n = enc(v, 1, true, RAW, 0, 0);
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_int_equal(e.permitted, RAW);
        n = enc(v, 2, true, RAW | 1ull << 50, 0, 0);
        v[1] = 0x10;
        assert_int_equal(userns_fcaps_model_exec(v, n, &t, NULL, &e, NULL), 0);
        assert_true(e.honoured);
        assert_int_equal(e.permitted, RAW);
        /* malformed values make execve fail */
        assert_int_equal(userns_fcaps_model_exec(v, 2, &t, NULL, &e, &err), -EINVAL);
        assert_string_equal(err.message, "execve: security.capability of 2 bytes is shorter than magic_etc");
        assert_int_equal(userns_fcaps_model_exec(v, 24, &t, NULL, &e, &err), -EINVAL);
        assert_string_equal(err.message, "execve: security.capability revision 2 is 24 bytes, not 20");
        v[3] = 7;
        assert_int_equal(userns_fcaps_model_exec(v, 20, &t, NULL, &e, &err), -EINVAL);
        assert_string_equal(err.message, "execve: security.capability has unknown revision 7");
        assert_int_equal(userns_fcaps_model_exec(v, 0, &t, NULL, &e, &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(ns_helpers, teardown),
                cmocka_unit_test_teardown(store_rules, teardown),
                cmocka_unit_test_teardown(store_fs_owner_and_idmap, teardown),
                cmocka_unit_test_teardown(read_vector_23, teardown),
                cmocka_unit_test_teardown(exec_vector_25, teardown),
                cmocka_unit_test_teardown(exec_rules, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
