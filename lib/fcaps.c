/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security.capability codec (revisions 1-3) and capability text through libcap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <linux/capability.h>

#include "userns/fcaps.h"
#include "util/cleanup.h"

_Static_assert(USERNS_FCAPS_MAGIC_V1 == VFS_CAP_REVISION_1, "v1 magic");
_Static_assert(USERNS_FCAPS_MAGIC_V2 == VFS_CAP_REVISION_2, "v2 magic");
_Static_assert(USERNS_FCAPS_MAGIC_V3 == VFS_CAP_REVISION_3, "v3 magic");
_Static_assert(USERNS_FCAPS_FLAGS_EFFECTIVE == VFS_CAP_FLAGS_EFFECTIVE, "effective flag");
_Static_assert(USERNS_FCAPS_REVISION_MASK == VFS_CAP_REVISION_MASK, "revision mask");
_Static_assert(USERNS_FCAPS_SIZE_V1 == XATTR_CAPS_SZ_1, "v1 size");
_Static_assert(USERNS_FCAPS_SIZE_V2 == XATTR_CAPS_SZ_2, "v2 size");
_Static_assert(USERNS_FCAPS_SIZE_V3 == XATTR_CAPS_SZ_3, "v3 size");
_Static_assert(USERNS_FCAPS_LAST_CAP == CAP_LAST_CAP, "last capability");

static uint32_t get_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        p[0] = v & 0xff;
        p[1] = (v >> 8) & 0xff;
        p[2] = (v >> 16) & 0xff;
        p[3] = v >> 24;
}

size_t userns_fcaps_size(unsigned revision)
{
        switch (revision) {
        case 1: return USERNS_FCAPS_SIZE_V1;
        case 2: return USERNS_FCAPS_SIZE_V2;
        case 3: return USERNS_FCAPS_SIZE_V3;
        default: return 0;
        }
}

const char *userns_fcaps_revision_name(unsigned revision)
{
        switch (revision) {
        case 1: return "v1";
        case 2: return "v2";
        case 3: return "v3";
        default: return "v?";
        }
}

int userns_fcaps_decode(const void *buf, size_t len, struct userns_fcaps *out,
                        struct userns_error *err)
{
        const uint8_t *p = buf;
        if (len < 4)
                return userns_error_set(err, EINVAL,
                        "security.capability of %zu bytes is too short: the 4-byte magic_etc is missing",
                        len);
        uint32_t magic = get_le32(p);
        unsigned rev = magic >> USERNS_FCAPS_REVISION_SHIFT;
        size_t want = userns_fcaps_size(rev);
        if (want == 0)
                return userns_error_set(err, EINVAL,
                        "security.capability magic_etc 0x%08x: unknown revision %u (known: 1, 2, 3)",
                        magic, rev);
        uint32_t flags = magic & ~USERNS_FCAPS_REVISION_MASK;
        if (flags & ~USERNS_FCAPS_FLAGS_EFFECTIVE)
                return userns_error_set(err, EINVAL,
                        "security.capability magic_etc 0x%08x: unknown flag bits 0x%06x "
                        "(only VFS_CAP_FLAGS_EFFECTIVE 0x000001 is defined)",
                        magic, flags & ~USERNS_FCAPS_FLAGS_EFFECTIVE);
        if (len < want)
                return userns_error_set(err, EINVAL,
                        "security.capability revision %u is %zu bytes: too short, revision %u is exactly %zu bytes",
                        rev, len, rev, want);
        if (len > want)
                return userns_error_set(err, EINVAL,
                        "security.capability revision %u has %zu trailing bytes after its %zu-byte layout",
                        rev, len - want, want);

        struct userns_fcaps c = {
                .revision = rev,
                .effective = flags & USERNS_FCAPS_FLAGS_EFFECTIVE,
                .permitted = get_le32(p + 4),
                .inheritable = get_le32(p + 8),
        };
        if (rev >= 2) {
                c.permitted |= (uint64_t)get_le32(p + 12) << 32;
                c.inheritable |= (uint64_t)get_le32(p + 16) << 32;
        }
        if (rev == 3)
                c.rootid = get_le32(p + 20);
        *out = c;
        return 0;
}

int userns_fcaps_encode(const struct userns_fcaps *caps, void *buf, size_t bufsize,
                        struct userns_error *err)
{
        size_t size = userns_fcaps_size(caps->revision);
        if (size == 0)
                return userns_error_set(err, EINVAL, "cannot encode file capabilities revision %u (known: 1, 2, 3)",
                                        caps->revision);
        if (bufsize < size)
                return userns_error_set(err, ENOBUFS, "revision %u needs %zu bytes, buffer has %zu",
                                        caps->revision, size, bufsize);
        if (caps->revision == 1 && ((caps->permitted | caps->inheritable) >> 32))
                return userns_error_set(err, EINVAL,
                        "revision 1 holds capabilities 0-31 only; permitted 0x%llx / inheritable 0x%llx "
                        "has higher bits",
                        (unsigned long long)caps->permitted, (unsigned long long)caps->inheritable);
        if (caps->revision != 3 && caps->rootid != 0)
                return userns_error_set(err, EINVAL,
                        "revision %u has no root id (rootid %u needs revision 3)",
                        caps->revision, caps->rootid);
        uint8_t *p = buf;
        put_le32(p, (uint32_t)caps->revision << USERNS_FCAPS_REVISION_SHIFT |
                    (caps->effective ? USERNS_FCAPS_FLAGS_EFFECTIVE : 0));
        put_le32(p + 4, (uint32_t)caps->permitted);
        put_le32(p + 8, (uint32_t)caps->inheritable);
        if (caps->revision >= 2) {
                put_le32(p + 12, (uint32_t)(caps->permitted >> 32));
                put_le32(p + 16, (uint32_t)(caps->inheritable >> 32));
        }
        if (caps->revision == 3)
                put_le32(p + 20, caps->rootid);
        return (int)size;
}

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}

static void cap_text_freep(char **s)
{
        if (*s)
                cap_free(*s);
}

static uint64_t get_set(cap_t c, cap_flag_t flag)
{
        uint64_t v = 0;
        for (int i = 0; i < 64; i++) {
                cap_flag_value_t on = CAP_CLEAR;
                if (cap_get_flag(c, i, flag, &on) == 0 && on == CAP_SET)
                        v |= UINT64_C(1) << i;
        }
        return v;
}

static int put_set(cap_t c, cap_flag_t flag, uint64_t v)
{
        for (int i = 0; i < 64; i++) {
                if (!(v >> i & 1))
                        continue;
                cap_value_t cv = i;
                if (cap_set_flag(c, flag, 1, &cv, CAP_SET) < 0)
                        return -errno;
        }
        return 0;
}

int userns_fcaps_from_text(const char *text, struct userns_fcaps *out, struct userns_error *err)
{
        _cleanup_(cap_freep) cap_t c = cap_from_text(text);
        if (!c)
                return userns_error_set(err, EINVAL,
                        "capability text '%s': not understood by cap_from_text(3) "
                        "(expected e.g. cap_net_raw,cap_chown=ep)", text);
        uint64_t p = get_set(c, CAP_PERMITTED), i = get_set(c, CAP_INHERITABLE);
        uint64_t e = get_set(c, CAP_EFFECTIVE);
        if (e && ((p | i) & ~e))
                return userns_error_set(err, EINVAL,
                        "capability text '%s': a file has one effective bit, so the effective set must be "
                        "empty or include every permitted and inheritable capability", text);
        *out = (struct userns_fcaps) {
                .revision = 2, .effective = e != 0, .permitted = p, .inheritable = i,
        };
        return 0;
}

int userns_fcaps_to_text(const struct userns_fcaps *caps, char **out, struct userns_error *err)
{
        _cleanup_(cap_freep) cap_t c = cap_init();
        if (!c)
                return userns_error_errno(err, errno, "cap_init");
        int r;
        if ((r = put_set(c, CAP_PERMITTED, caps->permitted)) < 0 ||
            (r = put_set(c, CAP_INHERITABLE, caps->inheritable)) < 0 ||
            (caps->effective && (r = put_set(c, CAP_EFFECTIVE, caps->permitted | caps->inheritable)) < 0))
                return userns_error_errno(err, -r, "cap_set_flag");
        _cleanup_(cap_text_freep) char *t = cap_to_text(c, NULL);
        if (!t)
                return userns_error_errno(err, errno, "cap_to_text");
        char *dup = strdup(t);
        if (!dup)
                return userns_error_set(err, ENOMEM, "out of memory");
        *out = dup;
        return 0;
}
