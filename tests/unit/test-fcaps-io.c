/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* get/set/remove of security.capability on real files (needs root for set/remove). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "userns/fcaps.h"

static char dir[] = "/tmp/test-fcaps-io.XXXXXX";
static char file[64], link_[64];

static int setup(void **state)
{
        if (!mkdtemp(dir))
                return -1;
        snprintf(file, sizeof file, "%s/f", dir);
        snprintf(link_, sizeof link_, "%s/l", dir);
        close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0755));
        return symlink(file, link_);
}

static int teardown(void **state)
{
        unlink(link_);
        unlink(file);
        rmdir(dir);
        return 0;
}

static void open_refuses_non_regular(void **state)
{
        struct userns_error err = { 0 };
        char msg[256];
        assert_int_equal(userns_fcaps_open(link_, &err), -ELOOP);
        snprintf(msg, sizeof msg, "%s: is a symbolic link, not a regular file", link_);
        assert_string_equal(err.message, msg);
        assert_int_equal(userns_fcaps_open(dir, &err), -EINVAL);
        snprintf(msg, sizeof msg, "%s: not a regular file (file capabilities apply to executables)", dir);
        assert_string_equal(err.message, msg);
        assert_int_equal(userns_fcaps_open("/nonexistent/x", &err), -ENOENT);
        assert_string_equal(err.message, "/nonexistent/x: No such file or directory");
}

static void set_get_remove(void **state)
{
        if (geteuid() != 0)
                skip();
        struct userns_error err = { 0 };
        int fd = userns_fcaps_open(file, &err);
        assert_true(fd >= 0);
        struct userns_fcaps c, got;
        uint8_t raw[USERNS_FCAPS_SIZE_MAX];
        size_t len = 0;
        assert_int_equal(userns_fcaps_get_fd(fd, &got, NULL, NULL, &err), -ENODATA);
        assert_string_equal(err.message, "no file capabilities");

        c = (struct userns_fcaps) { .revision = 3, .effective = true, .permitted = 1ull << CAP_NET_RAW,
                                    .rootid = 1000 };
        assert_int_equal(userns_fcaps_set_fd(fd, &c, &err), 0);
        assert_int_equal(userns_fcaps_get_fd(fd, &got, raw, &len, &err), 0);
        assert_int_equal(len, 24);
        assert_memory_equal(&got, &c, sizeof c);
        /* what getxattr(2) itself returns */
        uint8_t direct[32];
        assert_int_equal(getxattr(file, USERNS_FCAPS_XATTR, direct, sizeof direct), 24);
        assert_memory_equal(direct, raw, 24);

        /* v3 rootid 0 from the host reads back as v2 */
        c.rootid = 0;
        assert_int_equal(userns_fcaps_set_fd(fd, &c, &err), 0);
        assert_int_equal(userns_fcaps_get_fd(fd, &got, NULL, &len, &err), 0);
        assert_int_equal(got.revision, 2);
        assert_int_equal(len, 20);

        /* refused before anything is written: the value stays */
        c = (struct userns_fcaps) { .revision = 1, .permitted = 1 };
        assert_int_equal(userns_fcaps_set_fd(fd, &c, &err), -EINVAL);
        assert_string_equal(err.message, "the kernel accepts only revision 2 or 3 file capabilities, not revision 1");
        c = (struct userns_fcaps) { .revision = 2, .rootid = 7 };
        assert_int_equal(userns_fcaps_set_fd(fd, &c, &err), -EINVAL);
        assert_string_equal(err.message, "revision 2 has no root id (rootid 7 needs revision 3)");
        /* refused by the kernel: rootid (u32)-1 is no uid; the value stays */
        c = (struct userns_fcaps) { .revision = 3, .permitted = 1, .rootid = UINT32_MAX };
        assert_int_equal(userns_fcaps_set_fd(fd, &c, &err), -EINVAL);
        assert_string_equal(err.message, "setxattr(security.capability): root id 4294967295 is not mapped in "
                                         "the caller's namespace or the filesystem's");
        assert_int_equal(userns_fcaps_get_fd(fd, &got, NULL, NULL, &err), 0);
        assert_int_equal(got.revision, 2);
        assert_int_equal(got.permitted, 1ull << CAP_NET_RAW);

        assert_int_equal(userns_fcaps_remove_fd(fd, &err), 0);
        assert_int_equal(userns_fcaps_remove_fd(fd, &err), -ENODATA);
        assert_string_equal(err.message, "no file capabilities to remove");

        /* an empty value: the kernel refuses to show it */
        assert_int_equal(fsetxattr(fd, USERNS_FCAPS_XATTR, "", 0, 0), 0);
        assert_int_equal(userns_fcaps_get_fd(fd, &got, NULL, NULL, &err), -EINVAL);
        assert_string_equal(err.message, "the kernel refuses to show security.capability (getxattr: EINVAL): "
                                         "the stored value is malformed or revision 1");
        assert_int_equal(userns_fcaps_remove_fd(fd, &err), 0);
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(open_refuses_non_regular),
                cmocka_unit_test(set_get_remove),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
