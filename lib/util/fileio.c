/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileio.h"

int util_read_file(const char *path, char **out, size_t *len, struct userns_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return userns_error_errno(err, errno, "%s", path);
        size_t cap = 4096, n = 0;
        _cleanup_free_ char *b = malloc(cap + 1);
        if (!b)
                return userns_error_set(err, ENOMEM, "out of memory");
        for (;;) {
                if (n == cap) {
                        if (cap >= (16u << 20))
                                return userns_error_set(err, EFBIG, "%s: larger than 16 MiB", path);
                        char *nb = realloc(b, cap * 2 + 1);
                        if (!nb)
                                return userns_error_set(err, ENOMEM, "out of memory");
                        b = nb;
                        cap *= 2;
                }
                ssize_t r = read(fd, b + n, cap - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return userns_error_errno(err, errno, "reading %s", path);
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        b[n] = '\0';
        *out = TAKE_PTR(b);
        *len = n;
        return 0;
}

int util_write_file(const char *path, const char *buf, size_t len, struct userns_error *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return userns_error_errno(err, errno, "opening %s", path);
        ssize_t r = write(fd, buf, len);
        if (r < 0)
                return userns_error_errno(err, errno, "writing %s", path);
        if ((size_t)r != len)
                return userns_error_set(err, EIO, "writing %s: short write", path);
        return 0;
}
