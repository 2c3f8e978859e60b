/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parts of the mount library that need no privilege: refusal messages
 * (mount-check.c), the checks before any namespace is made (mount.c), and the
 * run plan: option parsing and the maps it computes (mount-plan.c).  The kernel
 * side is tested by tests/kernel/kdiff-mount.c and tests/cli/{mount,run-fsmap}.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "userns/mount-plan.h"
#include "userns/mount.h"

static struct userns_idmap *map(const char *text)
{
        struct userns_idmap *m = NULL;
        if (userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, USERNS_IDMAP_UID, &m, NULL) < 0)
                fail_msg("parse %s", text);
        return m;
}

static char *fmt(const struct userns_idmap *m)
{
        char *s = NULL;
        assert_int_equal(userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL), 0);
        return s;
}

static void test_explain(void **state)
{
        (void)state;
        struct userns_error err = { 0 };
        assert_int_equal(userns_mount_explain(ENOSYS, "mount_setattr", AT_FDCWD, "/proc", &err), -ENOSYS);
        assert_non_null(strstr(err.message, "Linux 5.12"));
        assert_non_null(strstr(err.message, "mount_setattr"));
        /* proc has no FS_ALLOW_IDMAP: EINVAL names it and suggests userns shift */
        assert_int_equal(userns_mount_explain(EINVAL, "mount_setattr", AT_FDCWD, "/proc", &err), -EINVAL);
        assert_non_null(strstr(err.message, "'proc' does not support idmapped mounts"));
        assert_non_null(strstr(err.message, "userns shift"));
        assert_int_equal(userns_mount_explain(EBUSY, "mount_setattr", AT_FDCWD, "/proc", &err), -EBUSY);
        assert_non_null(strstr(err.message, "active writers"));
        assert_int_equal(userns_mount_explain(ENOENT, "move_mount", AT_FDCWD, "/nonexistent", &err), -ENOENT);
        assert_non_null(strstr(err.message, "/nonexistent"));
}

static void test_fs_type(void **state)
{
        (void)state;
        char type[64];
        bool idmapped = true;
        struct userns_error err = { 0 };
        assert_int_equal(userns_mount_fs_type(AT_FDCWD, "/proc/self", type, sizeof type, &idmapped, &err), 0);
        assert_string_equal(type, "proc");
        assert_false(idmapped);
        assert_int_equal(userns_mount_fs_type(AT_FDCWD, "/no/such/path", type, sizeof type, NULL, &err), -ENOENT);
        assert_non_null(strstr(err.message, "/no/such/path"));
}

static void test_maps_checked_first(void **state)
{
        (void)state;
        struct userns_error err = { 0 };
        struct userns_idmap *m = map("0:1000:10");
        int fd = -1;
        assert_int_equal(userns_mount_make_userns(m, NULL, &fd, &err), -EINVAL);
        assert_non_null(strstr(err.message, "needs both a uid map and a gid map"));
        struct userns_mount_opts o = { .uid_map = NULL, .gid_map = m };
        assert_int_equal(userns_mount_clone(AT_FDCWD, "/tmp", &o, &fd, &err), -EINVAL);
        assert_int_equal(fd, -1);
        userns_idmap_free(m);
}

static void test_plan_parse(void **state)
{
        (void)state;
        struct userns_mount_plan *p = NULL;
        struct userns_error err = { 0 };
        assert_int_equal(userns_mount_plan_new(&p, &err), 0);
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp", &err), -EINVAL);
        assert_non_null(strstr(err.message, "expected SRC:DST[:MAP]"));
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:relative", &err), -EINVAL);
        assert_non_null(strstr(err.message, "must be an absolute path"));
        assert_int_equal(userns_mount_plan_add_bind(p, "/no/such:/x", &err), -ENOENT);
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/x:0:1000", &err), -EINVAL);
        assert_non_null(strstr(err.message, "MAP"));
        assert_int_equal(userns_mount_plan_add_shared(p, "/tmp:/s:0:1:1", &err), -EINVAL);
        assert_non_null(strstr(err.message, "expected DIR:DST"));
        assert_int_equal(userns_mount_plan_set_fs_map(p, USERNS_IDMAP_UID, "0:1:0", &err), -EINVAL);
        assert_non_null(strstr(err.message, "--fs-uid-map"));
        assert_int_equal(p->n, 0);
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/x:0:300000:65536", &err), 0);
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/y", &err), 0);
        assert_int_equal(userns_mount_plan_add_shared(p, "/tmp:/s", &err), 0);
        assert_int_equal(p->n, 3);
        for (int i = 3; i < USERNS_MOUNT_PLAN_MAX; i++)
                assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/z", &err), 0);
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/z", &err), -E2BIG);
        free(p);
}

static void test_plan_maps(void **state)
{
        (void)state;
        struct userns_mount_plan *p = NULL;
        struct userns_error err = { 0 };
        struct stat st;
        assert_int_equal(stat("/tmp", &st), 0);
        assert_int_equal(userns_mount_plan_new(&p, &err), 0);
        p->euid = 1000;
        p->egid = 1001;
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/x:0:300000:65536", &err), 0);
        assert_int_equal(userns_mount_plan_add_bind(p, "/tmp:/y", &err), 0);
        assert_int_equal(userns_mount_plan_add_shared(p, "/tmp:/s", &err), 0);
        struct userns_idmap *pu = map("0:100000:65536"), *pg = map("0:200000:65536");
        struct userns_idmap *u = NULL, *g = NULL;
        /* explicit MAP: M = P ∘ MAP⁻¹, for uid and gid with their own process maps */
        assert_int_equal(userns_mount_plan_maps(p, 0, pu, pg, &u, &g, &err), 0);
        char *su = fmt(u), *sg = fmt(g);
        assert_string_equal(su, "300000:100000:65536");
        assert_string_equal(sg, "300000:200000:65536");
        free(su), free(sg), userns_idmap_free(u), userns_idmap_free(g);
        /* no MAP, no fs map: the caller's files are the container root's */
        assert_int_equal(userns_mount_plan_maps(p, 1, pu, pg, &u, &g, &err), 0);
        su = fmt(u), sg = fmt(g);
        assert_string_equal(su, "1000:100000:1");
        assert_string_equal(sg, "1001:200000:1");
        free(su), free(sg), userns_idmap_free(u), userns_idmap_free(g);
        /* shared: canonical range from the directory's owner */
        assert_int_equal(userns_mount_plan_maps(p, 2, pu, pg, &u, &g, &err), 0);
        assert_int_equal(userns_idmap_down(u, st.st_uid + 5), 100005);
        assert_int_equal(userns_idmap_down(g, st.st_gid + 5), 200005);
        userns_idmap_free(u), userns_idmap_free(g);
        /* with an fs uid map, MAP-less binds use it; the gid kind keeps the process map */
        assert_int_equal(userns_mount_plan_set_fs_map(p, USERNS_IDMAP_UID, "0:300000:65536", &err), 0);
        assert_int_equal(userns_mount_plan_maps(p, 1, pu, pg, &u, &g, &err), 0);
        su = fmt(u), sg = fmt(g);
        assert_string_equal(su, "300000:100000:65536");
        assert_string_equal(sg, "200000:200000:65536");
        free(su), free(sg), userns_idmap_free(u), userns_idmap_free(g);
        /* every entry, and the root, checked at once; a bad fs map names the option */
        assert_int_equal(userns_mount_plan_set_root(p, "/tmp", &err), 0);
        assert_int_equal(userns_mount_plan_check(p, pu, pg, &err), 0);
        assert_int_equal(userns_mount_plan_set_fs_map(p, USERNS_IDMAP_UID, "0:300000:70000", &err), 0);
        assert_int_equal(userns_mount_plan_check(p, pu, pg, &err), -EINVAL);
        assert_non_null(strstr(err.message, "container id 65536 is not mapped"));
        assert_int_equal(userns_mount_plan_maps(p, 7, pu, pg, &u, &g, &err), -EINVAL);
        userns_idmap_free(pu);
        userns_idmap_free(pg);
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_explain),
                cmocka_unit_test(test_fs_type),
                cmocka_unit_test(test_maps_checked_first),
                cmocka_unit_test(test_plan_parse),
                cmocka_unit_test(test_plan_maps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
