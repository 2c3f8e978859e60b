/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The id map itself: storage, the kernel's per-extent rules (map_write()), and
 * lookups in both directions (map_id_range_down(), map_id_up()).
 *
 * Lookups use sorted copies of the extents and a branchless binary search over
 * a dense key array, so a lookup in a 340-extent map costs a handful of
 * predictable steps more than in a 1-extent map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap-internal.h"
#include "util/cleanup.h"

const char *userns_idmap_kind_name(enum userns_idmap_kind kind)
{
        switch (kind) {
        case USERNS_IDMAP_UID: return "uid_map";
        case USERNS_IDMAP_GID: return "gid_map";
        case USERNS_IDMAP_PROJID: return "projid_map";
        }
        return "id map";
}

int userns_idmap_new(struct userns_idmap **out)
{
        struct userns_idmap *m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        *out = m;
        return 0;
}

void userns_idmap_free(struct userns_idmap *map)
{
        if (!map)
                return;
        free(map->ext);
        free(map->fwd_key);
        free(map->rev_key);
        free(map->fwd);
        free(map->rev);
        free(map);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
        if (need <= *cap)
                return 0;
        size_t nc = *cap ? *cap : 8;
        while (nc < need)
                nc *= 2;
        void *np = reallocarray(*p, nc, size);
        if (!np)
                return -ENOMEM;
        *p = np;
        return 0;
}

static int grow_index(struct userns_idmap *m, size_t need)
{
        if (need <= m->idx_cap)
                return 0;
        size_t nc = m->idx_cap ? m->idx_cap * 2 : 8;
        while (nc < need)
                nc *= 2;
        size_t c;
        c = m->idx_cap;
        if (grow((void **)&m->fwd_key, &c, nc, sizeof(uint32_t)) < 0)
                return -ENOMEM;
        c = m->idx_cap;
        if (grow((void **)&m->rev_key, &c, nc, sizeof(uint32_t)) < 0)
                return -ENOMEM;
        c = m->idx_cap;
        if (grow((void **)&m->fwd, &c, nc, sizeof(struct userns_extent)) < 0)
                return -ENOMEM;
        c = m->idx_cap;
        if (grow((void **)&m->rev, &c, nc, sizeof(struct userns_extent)) < 0)
                return -ENOMEM;
        m->idx_cap = nc;
        return 0;
}

/* Number of keys <= id, i.e. index+1 of the predecessor (0 when none). Branchless. */
static inline size_t upper_bound(const uint32_t *keys, size_t n, uint32_t id)
{
        if (n == 0)
                return 0;
        const uint32_t *base = keys;
        while (n > 1) {
                size_t half = n / 2;
                base = base[half] <= id ? base + half : base;
                n -= half;
        }
        return (size_t)(base - keys) + (*base <= id);
}

static void index_insert(uint32_t *keys, struct userns_extent *arr, size_t n,
                         uint32_t key, const struct userns_extent *e)
{
        size_t pos = upper_bound(keys, n, key);
        memmove(keys + pos + 1, keys + pos, (n - pos) * sizeof *keys);
        memmove(arr + pos + 1, arr + pos, (n - pos) * sizeof *arr);
        keys[pos] = key;
        arr[pos] = *e;
}

int idmap_append_raw(struct userns_idmap *map, const struct userns_extent *e, bool indexed)
{
        if (grow((void **)&map->ext, &map->cap, map->n + 1, sizeof *map->ext) < 0)
                return -ENOMEM;
        if (indexed) {
                if (grow_index(map, map->nidx + 1) < 0)
                        return -ENOMEM;
                index_insert(map->fwd_key, map->fwd, map->nidx, e->first, e);
                index_insert(map->rev_key, map->rev, map->nidx, e->lower_first, e);
                map->nidx++;
        }
        map->ext[map->n++] = *e;
        return 0;
}

int userns_idmap_dup(const struct userns_idmap *map, struct userns_idmap **out)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        if (userns_idmap_new(&m) < 0)
                return -ENOMEM;
        if (map->n && (grow((void **)&m->ext, &m->cap, map->n, sizeof *m->ext) < 0))
                return -ENOMEM;
        if (map->nidx && grow_index(m, map->nidx) < 0)
                return -ENOMEM;
        if (map->n)
                memcpy(m->ext, map->ext, map->n * sizeof *m->ext);
        if (map->nidx) {
                memcpy(m->fwd_key, map->fwd_key, map->nidx * sizeof *m->fwd_key);
                memcpy(m->rev_key, map->rev_key, map->nidx * sizeof *m->rev_key);
                memcpy(m->fwd, map->fwd, map->nidx * sizeof *m->fwd);
                memcpy(m->rev, map->rev, map->nidx * sizeof *m->rev);
        }
        m->n = map->n;
        m->nidx = map->nidx;
        *out = TAKE_PTR(m);
        return 0;
}

int userns_idmap_new_identity(struct userns_idmap **out)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        if (userns_idmap_new(&m) < 0)
                return -ENOMEM;
        struct userns_extent e = { 0, 0, UINT32_MAX };
        if (idmap_append_raw(m, &e, true) < 0)
                return -ENOMEM;
        *out = TAKE_PTR(m);
        return 0;
}

size_t userns_idmap_count(const struct userns_idmap *map)
{
        return map ? map->n : 0;
}

const struct userns_extent *userns_idmap_extent(const struct userns_idmap *map, size_t i)
{
        if (!map || i >= map->n)
                return NULL;
        return &map->ext[i];
}

bool userns_idmap_equal(const struct userns_idmap *a, const struct userns_idmap *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (a->ext[i].first != b->ext[i].first || a->ext[i].lower_first != b->ext[i].lower_first ||
                    a->ext[i].count != b->ext[i].count)
                        return false;
        return true;
}

/* Is [a, a+ac) ∩ [b, b+bc) non-empty?  (mappings_overlap(): both ranges end inclusive.) */
static bool ranges_overlap(uint32_t a, uint32_t ac, uint32_t b, uint32_t bc)
{
        uint32_t alast = idmap_last(a, ac), blast = idmap_last(b, bc);
        return a <= blast && b <= alast;
}

int idmap_add_checked(struct userns_idmap *map, const struct userns_extent *e, const char *what,
                      const char *unit, size_t limit, bool more_follows, struct userns_error *err)
{
        if (e->first == UINT32_MAX)
                return userns_error_set(err, EINVAL, "%s: inside start 4294967295 is (u32)-1, "
                                        "which is never a valid id", what);
        if (e->lower_first == UINT32_MAX)
                return userns_error_set(err, EINVAL, "%s: outside start 4294967295 is (u32)-1, "
                                        "which is never a valid id", what);
        if (e->count == 0)
                return userns_error_set(err, EINVAL, "%s: count is 0", what);
        if ((uint32_t)(e->first + e->count) <= e->first)
                return userns_error_set(err, EINVAL, "%s: inside range %u+%u wraps past 4294967295 "
                                        "(the last usable id is 4294967294)", what, e->first, e->count);
        if ((uint32_t)(e->lower_first + e->count) <= e->lower_first)
                return userns_error_set(err, EINVAL, "%s: outside range %u+%u wraps past 4294967295 "
                                        "(the last usable id is 4294967294)", what, e->lower_first,
                                        e->count);
        for (size_t i = 0; i < map->n; i++) {
                const struct userns_extent *p = &map->ext[i];
                if (ranges_overlap(e->first, e->count, p->first, p->count))
                        return userns_error_set(err, EINVAL, "%s: inside ids %u-%u overlap %s %zu (%u-%u)",
                                                what, e->first, idmap_last(e->first, e->count),
                                                unit, i + 1, p->first, idmap_last(p->first, p->count));
                if (ranges_overlap(e->lower_first, e->count, p->lower_first, p->count))
                        return userns_error_set(err, EINVAL, "%s: outside ids %u-%u overlap %s %zu (%u-%u)",
                                                what, e->lower_first, idmap_last(e->lower_first, e->count),
                                                unit, i + 1, p->lower_first,
                                                idmap_last(p->lower_first, p->count));
        }
        if (limit && map->n >= limit)
                return userns_error_set(err, EINVAL, "%s: more than %zu extents", what, limit);
        if (limit && map->n + 1 == limit && more_follows)
                return userns_error_set(err, EINVAL, "%s: another line follows the %zuth extent "
                                        "(at most %zu extents)", what, limit, limit);
        if (idmap_append_raw(map, e, true) < 0)
                return userns_error_set(err, ENOMEM, "out of memory");
        return 0;
}

int userns_idmap_add(struct userns_idmap *map, uint32_t first, uint32_t lower_first,
                     uint32_t count, const char *what, struct userns_error *err)
{
        struct userns_extent e = { first, lower_first, count };
        char name[64];
        if (!what) {
                snprintf(name, sizeof name, "extent %zu", map->n + 1);
                what = name;
        }
        return idmap_add_checked(map, &e, what, "extent", USERNS_IDMAP_MAX_EXTENTS, false, err);
}

/* --- lookups --- */

static uint32_t lookup(const uint32_t *keys, const struct userns_extent *arr, size_t n,
                       uint32_t id, uint32_t count, bool up)
{
        if (!keys)
                return USERNS_ID_INVALID;
        size_t i = upper_bound(keys, n, id);
        if (i == 0)
                return USERNS_ID_INVALID;
        const struct userns_extent *e = &arr[i - 1];
        uint32_t from = up ? e->lower_first : e->first;
        uint32_t to = up ? e->first : e->lower_first;
        uint32_t last = idmap_last(from, e->count);
        uint32_t id2 = id + count - 1;
        if (id > last || id2 < from || id2 > last)
                return USERNS_ID_INVALID;
        return id - from + to;
}

uint32_t userns_idmap_down(const struct userns_idmap *map, uint32_t id)
{
        return !map ? USERNS_ID_INVALID : lookup(map->fwd_key, map->fwd, map->nidx, id, 1, false);
}

uint32_t userns_idmap_range_down(const struct userns_idmap *map, uint32_t id, uint32_t count)
{
        return !map ? USERNS_ID_INVALID : lookup(map->fwd_key, map->fwd, map->nidx, id, count, false);
}

uint32_t userns_idmap_up(const struct userns_idmap *map, uint32_t id)
{
        return !map ? USERNS_ID_INVALID : lookup(map->rev_key, map->rev, map->nidx, id, 1, true);
}

uint32_t userns_idmap_up_munged(const struct userns_idmap *map, uint32_t id)
{
        uint32_t r = userns_idmap_up(map, id);
        return r == USERNS_ID_INVALID ? USERNS_OVERFLOW_ID : r;
}
