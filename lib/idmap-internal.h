/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to lib/idmap*.c: the map's storage and the helpers the files share. */

#include "userns/idmap.h"
#include "util/cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct userns_idmap *, userns_idmap_free);

struct userns_idmap {
        /* Extents in the order they were written (what formatting and /proc show). */
        struct userns_extent *ext;
        size_t n, cap;
        /*
         * Lookup index: the extents that take part in lookups, sorted by `first`
         * (fwd) and by `lower_first` (rev), with the keys in separate dense arrays
         * so a branchless binary search touches as few cache lines as possible.
         */
        uint32_t *fwd_key, *rev_key;
        struct userns_extent *fwd, *rev;
        size_t nidx, idx_cap;
};

/* Append without any rule (used for maps read back from /proc and derived maps).
 * indexed=false keeps the extent for display only (e.g. an unmapped lower id). */
int idmap_append_raw(struct userns_idmap *map, const struct userns_extent *e, bool indexed);

/*
 * The kernel's per-extent checks in map_write()'s order, then append.  `what`
 * names this extent ("uid_map line 3"), `unit` the earlier ones in an overlap
 * message ("line" → "overlap line 1").  `limit` is the extent limit
 * (USERNS_IDMAP_MAX_EXTENTS) or 0 for none; `more_follows` is the kernel's
 * "another line follows" for the 340th-extent check.
 */
int idmap_add_checked(struct userns_idmap *map, const struct userns_extent *e, const char *what,
                      const char *unit, size_t limit, bool more_follows, struct userns_error *err);

/* The kernel's isspace() (lib/ctype.c: also 0xA0, Latin-1 no-break space). */
static inline bool idmap_kernel_isspace(unsigned char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0;
}

/* The last id of a range (u32 arithmetic, as the kernel). */
static inline uint32_t idmap_last(uint32_t first, uint32_t count)
{
        return first + count - 1;
}
