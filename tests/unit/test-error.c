/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "userns/error.h"

static void set_returns_negative_code(void **state)
{
        struct userns_error err = {0};
        assert_int_equal(userns_error_set(&err, EINVAL, "uid_map line %d: %s", 2, "bad"), -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_string_equal(err.message, "uid_map line 2: bad");
}

static void null_error_is_allowed(void **state)
{
        assert_int_equal(userns_error_set(NULL, EPERM, "x"), -EPERM);
        assert_int_equal(userns_error_errno(NULL, ENOENT, "x"), -ENOENT);
}

static void errno_appends_strerror(void **state)
{
        struct userns_error err = {0};
        assert_int_equal(userns_error_errno(&err, ENOENT, "/proc/1/uid_map"), -ENOENT);
        assert_string_equal(err.message, "/proc/1/uid_map: No such file or directory");
}

static void prefix_prepends_context(void **state)
{
        struct userns_error err = {0};
        userns_error_set(&err, EPERM, "inner");
        assert_int_equal(userns_error_prefix(&err, "writing %s", "gid_map"), -EPERM);
        assert_string_equal(err.message, "writing gid_map: inner");
}

static void long_messages_are_truncated_safely(void **state)
{
        struct userns_error err = {0};
        char big[2000];
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        userns_error_errno(&err, EACCES, "%s", big);
        assert_int_equal(strlen(err.message), USERNS_ERROR_MSG_MAX - 1);
        userns_error_prefix(&err, "%s", big);
        assert_int_equal(strlen(err.message), USERNS_ERROR_MSG_MAX - 1);
}

static void zero_code_becomes_eio(void **state)
{
        struct userns_error err = {0};
        assert_int_equal(userns_error_set(&err, 0, "x"), -EIO);
        userns_error_clear(&err);
        assert_int_equal(err.code, 0);
        assert_string_equal(err.message, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(set_returns_negative_code),
                cmocka_unit_test(null_error_is_allowed),
                cmocka_unit_test(errno_appends_strerror),
                cmocka_unit_test(prefix_prepends_context),
                cmocka_unit_test(long_messages_are_truncated_safely),
                cmocka_unit_test(zero_code_becomes_eio),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
