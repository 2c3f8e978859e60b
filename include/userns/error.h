/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Errors of libuserns.
 *
 * Every fallible function returns 0 (or a non-negative result) on success and
 * -errno on failure.  When the caller passes a struct userns_error, it also
 * receives a message naming the input and the rule that was broken, e.g.
 * "gid_map line 2: 100000-165535 overlaps line 1".  The pointer may be NULL.
 */

#include <stddef.h>

#define USERNS_ERROR_MSG_MAX 512

struct userns_error {
        int code;                          /* positive errno, 0 when unset */
        char message[USERNS_ERROR_MSG_MAX];
};

/* Record an error; returns -code so callers can write `return userns_error_set(...)`. */
int userns_error_set(struct userns_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(code)" to the message. */
int userns_error_errno(struct userns_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Put "context: " in front of an existing message; returns -err->code (or -EIO if unset). */
int userns_error_prefix(struct userns_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Forget a previous error. */
void userns_error_clear(struct userns_error *err);
