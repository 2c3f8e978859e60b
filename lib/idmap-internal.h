/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to lib/idmap*.c: the map's storage and the helpers the files share. */

#include "userns/idmap.h"
#include "util/cleanup.h"

/*
 * One lookup direction: the extents sorted by their start in that direction
 * (inside start for "down", outside start for "up"), the starts as dense keys,
 * and above 8 extents a bucket table over [key[0], key[n-1]]: tab[b] = how many
 * keys are <= the start of bucket b (buckets are 1 << shift ids wide).  A lookup
 * reads tab[b] and counts the few keys inside bucket b that are <= id.  Keys are
 * padded with UINT32_MAX so that count never needs a bounds check.
 */
struct idmap_index {
        uint32_t *key;                  /* sorted starts, then >= 8 x UINT32_MAX */
        struct userns_extent *ext;      /* extents in key order */
        uint16_t *tab;                  /* nbuckets + 1 entries, or NULL */
        bool fast;                      /* the table is current and no bucket is crowded */
        uint32_t nbuckets;
        unsigned shift;
};

struct userns_idmap {
        /* Extents in the order they were written (what formatting and /proc show). */
        struct userns_extent *ext;
        size_t n, cap;
        /* The extents that take part in lookups, indexed both ways. */
        struct idmap_index fwd, rev;
        size_t nidx, idx_cap;
        bool defer;                     /* building: bucket tables wait for idmap_finish() */
};

/* Append without any rule (used for maps read back from /proc and derived maps).
 * indexed=false keeps the extent for display only (e.g. an unmapped lower id). */
int idmap_append_raw(struct userns_idmap *map, const struct userns_extent *e, bool indexed);

/* Start / end a batch of appends: the bucket tables are built once at the end
 * (lookups stay correct in between, just slower). */
void idmap_defer(struct userns_idmap *map);
int idmap_finish(struct userns_idmap *map);

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
