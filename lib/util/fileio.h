/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small file helpers private to libuserns. */

#include <stddef.h>

#include "userns/error.h"

/* Read a small file (procfs, /etc) whole into a NUL-terminated malloc'ed buffer. */
int util_read_file(const char *path, char **out, size_t *len, struct userns_error *err);
/* open(path, O_WRONLY) and write the whole buffer in one write(2) (procfs maps need that). */
int util_write_file(const char *path, const char *buf, size_t len, struct userns_error *err);
