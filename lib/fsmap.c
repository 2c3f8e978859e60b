/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filesystem id maps: a mount's map from the intent (see include/userns/fsmap.h). */
#include <errno.h>
#include <stdint.h>

#include "userns/fsmap.h"
#include "util/cleanup.h"

/* The first id of [first, first+count) that `map` does not map down, or USERNS_ID_INVALID. */
static uint32_t first_unmapped(const struct userns_idmap *map, uint32_t first, uint32_t count)
{
        uint64_t id = first, end = (uint64_t)first + count;
        while (id < end) {
                const struct userns_extent *hit = NULL;
                for (size_t i = 0; i < userns_idmap_count(map); i++) {
                        const struct userns_extent *e = userns_idmap_extent(map, i);
                        if (id >= e->first && id < (uint64_t)e->first + e->count) {
                                hit = e;
                                break;
                        }
                }
                if (!hit)
                        return (uint32_t)id;
                id = (uint64_t)hit->first + hit->count;
        }
        return USERNS_ID_INVALID;
}

int userns_fsmap_mount_map(const struct userns_idmap *fs, const struct userns_idmap *process,
                           const char *what, struct userns_idmap **out, struct userns_error *err)
{
        if (!fs || !process || !out)
                return userns_error_set(err, EINVAL, "fs map: missing argument");
        if (!what)
                what = "fs map";
        for (size_t i = 0; i < userns_idmap_count(fs); i++) {
                const struct userns_extent *e = userns_idmap_extent(fs, i);
                uint32_t lack = first_unmapped(process, e->first, e->count);
                if (lack != USERNS_ID_INVALID)
                        return userns_error_set(err, EINVAL,
                                "%s extent %u:%u:%u: container id %u is not mapped by the process map, "
                                "so no file could appear as it", what, e->first, e->lower_first,
                                e->count, lack);
        }
        _cleanup_(userns_idmap_freep) struct userns_idmap *inv = NULL;
        int r = userns_idmap_invert(fs, &inv, err);
        if (r < 0)
                return userns_error_prefix(err, "%s", what);
        /* inverse: on-disk → container; composed with P: on-disk → host */
        r = userns_idmap_compose(inv, process, out, err);
        if (r < 0)
                return userns_error_prefix(err, "%s", what);
        return 0;
}

int userns_fsmap_canonical(const struct userns_idmap *process, uint32_t base,
                           struct userns_idmap **out, struct userns_error *err)
{
        if (!process || !out)
                return userns_error_set(err, EINVAL, "canonical map: missing argument");
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        int r = userns_idmap_new(&m);
        if (r < 0)
                return userns_error_errno(err, -r, "canonical map");
        for (size_t i = 0; i < userns_idmap_count(process); i++) {
                const struct userns_extent *e = userns_idmap_extent(process, i);
                uint64_t disk = (uint64_t)base + e->first;
                if (disk + e->count - 1 >= USERNS_ID_INVALID)
                        return userns_error_set(err, ERANGE,
                                "canonical range base %u: container ids %u..%u would be stored as "
                                "%llu.., past the last id 4294967294", base, e->first,
                                e->first + e->count - 1, (unsigned long long)disk);
                r = userns_idmap_add(m, e->first, (uint32_t)disk, e->count, "canonical map", err);
                if (r < 0)
                        return r;
        }
        *out = TAKE_PTR(m);
        return 0;
}

int userns_fsmap_owner(uint32_t owner, struct userns_idmap **out, struct userns_error *err)
{
        if (!out)
                return userns_error_set(err, EINVAL, "owner map: missing argument");
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        int r = userns_idmap_new(&m);
        if (r < 0)
                return userns_error_errno(err, -r, "owner map");
        r = userns_idmap_add(m, 0, owner, 1, "owner map", err);
        if (r < 0)
                return r;
        *out = TAKE_PTR(m);
        return 0;
}
