/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Maps from maps: composition (nested namespaces on the host), inversion, intersection. */
#include <errno.h>
#include <stdlib.h>

#include "idmap-internal.h"

static int oom(struct userns_error *err)
{
        return userns_error_set(err, ENOMEM, "out of memory");
}

/* A derived map is built in one batch: lookup tables once at the end. */
static int derived_begin(const char *op, bool have_inputs, struct userns_idmap **m, struct userns_error *err)
{
        if (!have_inputs)
                return userns_error_set(err, EINVAL, "%s: missing map", op);
        if (userns_idmap_new(m) < 0)
                return oom(err);
        idmap_defer(*m);
        return 0;
}

static int derived_end(struct userns_idmap **m, struct userns_idmap **out, struct userns_error *err)
{
        if (idmap_finish(*m) < 0)
                return oom(err);
        *out = TAKE_PTR(*m);
        return 0;
}

/* The parent extents (sorted by inside start) that intersect [lo, lo+count). */
static int compose_extent(struct userns_idmap *out, const struct userns_extent *c,
                          const struct userns_idmap *parent)
{
        uint64_t lo = c->lower_first, hi = (uint64_t)c->lower_first + c->count;   /* [lo, hi) */
        for (size_t i = 0; i < parent->nidx; i++) {
                const struct userns_extent *p = &parent->fwd.ext[i];
                uint64_t plo = p->first, phi = (uint64_t)p->first + p->count;
                if (plo >= hi)
                        break;
                uint64_t a = lo > plo ? lo : plo, b = hi < phi ? hi : phi;
                if (a >= b)
                        continue;
                struct userns_extent e = {
                        .first = (uint32_t)(c->first + (a - lo)),
                        .lower_first = (uint32_t)(p->lower_first + (a - plo)),
                        .count = (uint32_t)(b - a),
                };
                if (idmap_append_raw(out, &e, true) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int userns_idmap_compose(const struct userns_idmap *child, const struct userns_idmap *parent,
                         struct userns_idmap **out, struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        int r = derived_begin("compose", child && parent, &m, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < child->n; i++) {
                const struct userns_extent *c = &child->ext[i];
                if (c->lower_first == USERNS_ID_INVALID)
                        continue;       /* read from /proc with an unmapped lower id */
                if (compose_extent(m, c, parent) < 0)
                        return oom(err);
        }
        return derived_end(&m, out, err);
}

int userns_idmap_invert(const struct userns_idmap *map, struct userns_idmap **out,
                        struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        int r = derived_begin("invert", map, &m, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < map->n; i++) {
                const struct userns_extent *e = &map->ext[i];
                if (e->lower_first == USERNS_ID_INVALID)
                        continue;
                struct userns_extent inv = { e->lower_first, e->first, e->count };
                if (idmap_append_raw(m, &inv, true) < 0)
                        return oom(err);
        }
        return derived_end(&m, out, err);
}

int userns_idmap_intersect(const struct userns_idmap *a, const struct userns_idmap *b,
                           struct userns_idmap **out, struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *m = NULL;
        int r = derived_begin("intersect", a && b, &m, err);
        if (r < 0)
                return r;
        /* Both indexes are sorted by inside start: merge them. */
        size_t i = 0, j = 0;
        while (i < a->nidx && j < b->nidx) {
                const struct userns_extent *x = &a->fwd.ext[i], *y = &b->fwd.ext[j];
                uint64_t xlo = x->first, xhi = (uint64_t)x->first + x->count;
                uint64_t ylo = y->first, yhi = (uint64_t)y->first + y->count;
                uint64_t lo = xlo > ylo ? xlo : ylo, hi = xhi < yhi ? xhi : yhi;
                if (lo < hi && (int64_t)x->lower_first - (int64_t)x->first ==
                                       (int64_t)y->lower_first - (int64_t)y->first) {
                        struct userns_extent e = {
                                .first = (uint32_t)lo,
                                .lower_first = (uint32_t)(x->lower_first + (lo - xlo)),
                                .count = (uint32_t)(hi - lo),
                        };
                        if (idmap_append_raw(m, &e, true) < 0)
                                return oom(err);
                }
                if (xhi <= yhi)
                        i++;
                else
                        j++;
        }
        return derived_end(&m, out, err);
}
