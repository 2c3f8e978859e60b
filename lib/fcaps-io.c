/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security.capability on an open file: fgetxattr / fsetxattr / fremovexattr. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "userns/fcaps.h"
#include "util/cleanup.h"

int userns_fcaps_open(const char *path, struct userns_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ELOOP)
                        return userns_error_set(err, ELOOP, "%s: is a symbolic link, not a regular file", path);
                return userns_error_errno(err, errno, "%s", path);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return userns_error_errno(err, errno, "%s: fstat", path);
        if (!S_ISREG(st.st_mode))
                return userns_error_set(err, EINVAL,
                        "%s: not a regular file (file capabilities apply to executables)", path);
        return TAKE_FD(fd);
}

int userns_fcaps_get_fd(int fd, struct userns_fcaps *out, uint8_t raw[USERNS_FCAPS_SIZE_MAX],
                        size_t *raw_len, struct userns_error *err)
{
        uint8_t buf[USERNS_FCAPS_SIZE_MAX + 8];
        ssize_t n = fgetxattr(fd, USERNS_FCAPS_XATTR, buf, sizeof buf);
        if (n < 0) {
                int e = errno;
                if (e == ENODATA)
                        return userns_error_set(err, ENODATA, "no file capabilities");
                if (e == EOVERFLOW)
                        return userns_error_set(err, EOVERFLOW,
                                "the capabilities belong to a root this namespace cannot see (getxattr: EOVERFLOW)");
                if (e == ERANGE)
                        return userns_error_set(err, EINVAL,
                                "security.capability is larger than any revision (%zu bytes or more)", sizeof buf);
                if (e == EINVAL)
                        return userns_error_set(err, EINVAL,
                                "the kernel refuses to show security.capability (getxattr: EINVAL): the stored "
                                "value is malformed or revision 1");
                return userns_error_errno(err, e, "fgetxattr(security.capability)");
        }
        if (raw) {
                size_t c = (size_t)n < USERNS_FCAPS_SIZE_MAX ? (size_t)n : USERNS_FCAPS_SIZE_MAX;
                memcpy(raw, buf, c);
        }
        if (raw_len)
                *raw_len = (size_t)n;
        return userns_fcaps_decode(buf, (size_t)n, out, err);
}

int userns_fcaps_set_fd(int fd, const struct userns_fcaps *caps, struct userns_error *err)
{
        if (caps->revision != 2 && caps->revision != 3)
                return userns_error_set(err, EINVAL,
                        "the kernel accepts only revision 2 or 3 file capabilities, not revision %u",
                        caps->revision);
        uint8_t buf[USERNS_FCAPS_SIZE_MAX];
        int n = userns_fcaps_encode(caps, buf, sizeof buf, err);
        if (n < 0)
                return n;
        /* One setxattr: the kernel replaces the value atomically or not at all. */
        if (fsetxattr(fd, USERNS_FCAPS_XATTR, buf, (size_t)n, 0) < 0) {
                int e = errno;
                if (e == EPERM)
                        return userns_error_set(err, EPERM,
                                "setxattr(security.capability): CAP_SETFCAP over the file is needed "
                                "(its uid and gid mapped in the caller's namespace)");
                if (e == EINVAL && caps->revision == 3)
                        return userns_error_set(err, EINVAL,
                                "setxattr(security.capability): root id %u is not mapped in the caller's "
                                "namespace or the filesystem's", caps->rootid);
                if (e == EOPNOTSUPP)
                        return userns_error_set(err, EOPNOTSUPP,
                                "the filesystem does not support security.* extended attributes");
                return userns_error_errno(err, e, "setxattr(security.capability)");
        }
        return 0;
}

int userns_fcaps_remove_fd(int fd, struct userns_error *err)
{
        if (fremovexattr(fd, USERNS_FCAPS_XATTR) < 0) {
                int e = errno;
                if (e == ENODATA)
                        return userns_error_set(err, ENODATA, "no file capabilities to remove");
                if (e == EPERM)
                        return userns_error_set(err, EPERM,
                                "removexattr(security.capability): CAP_SETFCAP over the file is needed");
                return userns_error_errno(err, e, "removexattr(security.capability)");
        }
        return 0;
}
