/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The id map itself: storage, the kernel's per-extent rules (map_write()), and
 * lookups in both directions (map_id_range_down(), map_id_up()).
 *
 * Lookups use sorted copies of the extents (by inside start for "down", by
 * outside start for "up", as the kernel's forward/reverse arrays) with a dense
 * key array: a branchless binary search up to 8 extents, and above that a
 * bucket table plus one vector count, so a lookup in a 340-extent map costs
 * well under twice a lookup in a 1-extent map (bench/idmap).
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
        for (int d = 0; d < 2; d++) {
                struct idmap_index *x = d ? &map->rev : &map->fwd;
                free(x->key);
                free(x->tab);
                free(x->ext);
        }
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

#define PAD 8             /* UINT32_MAX keys after the last one */
#define SMALL 8           /* up to this many extents: plain branchless binary search */

static int grow_index(struct userns_idmap *m, size_t need)
{
        if (need <= m->idx_cap)
                return 0;
        size_t nc = m->idx_cap ? m->idx_cap * 2 : 8;
        while (nc < need)
                nc *= 2;
        for (int d = 0; d < 2; d++) {
                struct idmap_index *x = d ? &m->rev : &m->fwd;
                uint32_t *k = reallocarray(x->key, nc + PAD, sizeof *k);
                if (!k)
                        return -ENOMEM;
                x->key = k;
                struct userns_extent *e = reallocarray(x->ext, nc, sizeof *e);
                if (!e)
                        return -ENOMEM;
                x->ext = e;
                for (size_t i = m->nidx; i < nc + PAD; i++)
                        k[i] = UINT32_MAX;
        }
        m->idx_cap = nc;
        return 0;
}

/* Number of keys <= id among the first n (sorted).  Branchless binary search. */
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

/* Rebuild the bucket table after an insertion: O(buckets + n), buckets <= 4n. */
static int index_table(struct idmap_index *x, size_t n)
{
        if (n <= SMALL)
                return 0;
        uint32_t nb = 64;
        while (nb < 4 * n && nb < 2048)
                nb *= 2;
        uint32_t span = x->key[n - 1] - x->key[0];
        unsigned shift = 0;
        while (shift < 32 && ((uint64_t)span >> shift) >= nb)
                shift++;
        if (x->nbuckets != nb) {
                uint16_t *t = reallocarray(x->tab, nb + 1, sizeof *t);
                if (!t)
                        return -ENOMEM;
                x->tab = t;
                x->nbuckets = nb;
        }
        x->shift = shift;
        bool crowded = n > UINT16_MAX;  /* never in practice: maps are at most a few hundred extents */
        size_t j = 0;
        for (uint32_t b = 0; b <= nb; b++) {
                uint64_t start = (uint64_t)x->key[0] + ((uint64_t)b << shift);
                while (j < n && x->key[j] <= start)
                        j++;
                x->tab[b] = (uint16_t)(j > UINT16_MAX ? UINT16_MAX : j);
                if (b > 0 && x->tab[b] - x->tab[b - 1] > PAD)
                        crowded = true;
        }
        x->fast = !crowded;
        return 0;
}

static void index_insert(struct idmap_index *x, size_t n, uint32_t key, const struct userns_extent *e)
{
        size_t pos = upper_bound(x->key, n, key);
        memmove(x->key + pos + 1, x->key + pos, (n - pos) * sizeof *x->key);
        memmove(x->ext + pos + 1, x->ext + pos, (n - pos) * sizeof *x->ext);
        x->key[pos] = key;
        x->ext[pos] = *e;
}

void idmap_defer(struct userns_idmap *map)
{
        map->defer = true;
}

int idmap_finish(struct userns_idmap *map)
{
        map->defer = false;
        if (index_table(&map->fwd, map->nidx) < 0 || index_table(&map->rev, map->nidx) < 0)
                return -ENOMEM;
        return 0;
}

int idmap_append_raw(struct userns_idmap *map, const struct userns_extent *e, bool indexed)
{
        if (grow((void **)&map->ext, &map->cap, map->n + 1, sizeof *map->ext) < 0)
                return -ENOMEM;
        if (indexed) {
                map->fwd.fast = map->rev.fast = false;
                if (grow_index(map, map->nidx + 1) < 0)
                        return -ENOMEM;
                index_insert(&map->fwd, map->nidx, e->first, e);
                index_insert(&map->rev, map->nidx, e->lower_first, e);
                map->nidx++;
                if (!map->defer && idmap_finish(map) < 0)
                        return -ENOMEM;
        }
        map->ext[map->n++] = *e;
        return 0;
}

int userns_idmap_dup(const struct userns_idmap *map, struct userns_idmap **out)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        if (userns_idmap_new(&m) < 0)
                return -ENOMEM;
        idmap_defer(m);
        for (size_t i = 0; i < map->n; i++) {
                const struct userns_extent *e = &map->ext[i];
                /* Indexed iff it is in the source's index (unmapped proc lines are not). */
                uint32_t hit = userns_idmap_down(map, e->first);
                bool indexed = hit != USERNS_ID_INVALID && hit == e->lower_first;
                if (idmap_append_raw(m, e, indexed) < 0)
                        return -ENOMEM;
        }
        if (idmap_finish(m) < 0)
                return -ENOMEM;
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

bool userns_idmap_is_identity(const struct userns_idmap *map)
{
        const struct userns_extent *e = userns_idmap_extent(map, 0);
        return userns_idmap_count(map) == 1 && e->first == 0 && e->lower_first == 0 && e->count == UINT32_MAX;
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

typedef uint32_t v4u __attribute__((vector_size(16)));
typedef int32_t v4s __attribute__((vector_size(16)));

/* How many of the 8 keys at k are <= id (id < UINT32_MAX). */
static inline size_t count8_le(const uint32_t *k, uint32_t id)
{
        v4u idv = { id, id, id, id }, a, b;
        memcpy(&a, k, sizeof a);
        memcpy(&b, k + 4, sizeof b);
        v4s acc = (v4s)(a <= idv) + (v4s)(b <= idv);
        return (size_t)-(acc[0] + acc[1] + acc[2] + acc[3]);
}

/*
 * Index (+1) of the extent with the greatest start <= id, 0 when none.  Up to 8
 * extents: a branchless binary search.  Above: one bucket-table read, then
 * count the (at most 8) keys of that bucket that are <= id with two vector
 * compares: the cost does not grow with the number of extents.  Maps whose
 * starts are so unevenly spread that a bucket would hold more than 8 keys use
 * the binary search (about 2.5x the 1-extent cost at 340 extents).
 */
static inline size_t find(const struct idmap_index *x, size_t n, uint32_t id)
{
        if (n <= SMALL || !x->fast)     /* small, crowded, or the table is still being built */
                return upper_bound(x->key, n, id);
        if (id < x->key[0])
                return 0;
        uint32_t b = (id - x->key[0]) >> x->shift;
        if (b >= x->nbuckets)
                b = x->nbuckets - 1;
        size_t i = x->tab[b];
        return i + count8_le(x->key + i, id);
}

static uint32_t lookup(const struct userns_idmap *map, bool up, uint32_t id, uint32_t count)
{
        if (!map || id == UINT32_MAX)   /* (u32)-1 is in no extent */
                return USERNS_ID_INVALID;
        const struct idmap_index *x = up ? &map->rev : &map->fwd;
        size_t i = find(x, map->nidx, id);
        if (i == 0)
                return USERNS_ID_INVALID;
        const struct userns_extent *e = &x->ext[i - 1];
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
        return lookup(map, false, id, 1);
}

uint32_t userns_idmap_range_down(const struct userns_idmap *map, uint32_t id, uint32_t count)
{
        return lookup(map, false, id, count);
}

uint32_t userns_idmap_up(const struct userns_idmap *map, uint32_t id)
{
        return lookup(map, true, id, 1);
}

uint32_t userns_idmap_up_munged(const struct userns_idmap *map, uint32_t id)
{
        uint32_t r = userns_idmap_up(map, id);
        return r == USERNS_ID_INVALID ? USERNS_OVERFLOW_ID : r;
}
