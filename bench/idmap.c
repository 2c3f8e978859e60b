/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lookups per second at 1, 5, 6, 50, 100 and 340 extents, down (inside →
 * outside) and up, with the ratio of the cost per lookup to the 1-extent cost.
 * Beside libuserns: the kernel's own strategy re-implemented here for
 * comparison (linear scan up to 5 extents, bsearch() with a comparison callback
 * above), on the same random ids, every one of which hits an extent.
 *
 *   bench-idmap [LOOKUPS]      (default 20,000,000 per cell, best of 3 runs)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "userns/idmap.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --- the kernel's strategy (map_id_range_down_base/_max), for comparison --- */

struct kext { uint32_t first, lower_first, count; };
struct kmap { unsigned n; struct kext *fwd; };

static int cmp_down(const void *k, const void *e)
{
        uint32_t id = *(const uint32_t *)k;
        const struct kext *el = e;
        uint32_t last = el->first + el->count - 1;
        if (id >= el->first && id <= last)
                return 0;
        return id < el->first ? -1 : 1;
}

static int cmp_ext(const void *a, const void *b)
{
        const struct kext *x = a, *y = b;
        return x->first < y->first ? -1 : x->first > y->first;
}

static uint32_t kernel_down(const struct kmap *m, uint32_t id)
{
        if (m->n <= USERNS_IDMAP_BASE_EXTENTS) {
                for (unsigned i = 0; i < m->n; i++) {
                        const struct kext *e = &m->fwd[i];
                        if (id >= e->first && id <= e->first + e->count - 1)
                                return id - e->first + e->lower_first;
                }
                return UINT32_MAX;
        }
        const struct kext *e = bsearch(&id, m->fwd, m->n, sizeof *m->fwd, cmp_down);
        return e ? id - e->first + e->lower_first : UINT32_MAX;
}

int main(int argc, char **argv)
{
        static const unsigned sizes[] = { 1, 5, 6, 50, 100, 340 };
        unsigned long lookups = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000000UL;
        enum { NIDS = 1 << 16 };
        uint32_t *ids = malloc(NIDS * sizeof *ids), *ups = malloc(NIDS * sizeof *ups);
        double base[3] = { 0, 0, 0 };
        printf("%-8s %14s %7s %14s %7s %14s %7s\n", "extents", "down/s", "ratio", "up/s", "ratio",
               "kernel-down/s", "ratio");
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                unsigned n = sizes[s];
                struct userns_idmap *m;
                struct kmap km = { n, malloc(n * sizeof(struct kext)) };
                userns_idmap_new(&m);
                /* Extents of random sizes in random order, spread over the id space. */
                uint32_t stride = 4000000000u / n, in0 = 0;
                for (unsigned i = 0; i < n; i++) {
                        unsigned j = (unsigned)((i * 7919u) % n);   /* shuffled insertion */
                        uint32_t first = in0 + j * stride, count = 1 + (uint32_t)(rnd() % (stride / 2));
                        uint32_t lower = (n - 1 - j) * stride + 17;
                        if (userns_idmap_add(m, first, lower, count, NULL, NULL) < 0) {
                                fprintf(stderr, "bench-idmap: cannot build a %u-extent map\n", n);
                                return 1;
                        }
                        km.fwd[i] = (struct kext){ first, lower, count };
                }
                qsort(km.fwd, n, sizeof *km.fwd, cmp_ext);
                for (unsigned i = 0; i < NIDS; i++) {
                        const struct userns_extent *e = userns_idmap_extent(m, rnd() % n);
                        ids[i] = e->first + (uint32_t)(rnd() % e->count);
                        ups[i] = e->lower_first + (uint32_t)(rnd() % e->count);
                }
                double rate[3];
                for (int which = 0; which < 3; which++) {
                        /* Best of 3: the machine is shared, take the least disturbed run. */
                        double best = 1e30;
                        for (int rep = 0; rep < 3; rep++) {
                                uint32_t sink = 0;
                                double t0 = now();
                                for (unsigned long i = 0; i < lookups; i++) {
                                        uint32_t id = (which == 1 ? ups : ids)[i & (NIDS - 1)];
                                        sink += which == 0 ? userns_idmap_down(m, id)
                                              : which == 1 ? userns_idmap_up(m, id)
                                                           : kernel_down(&km, id);
                                }
                                double t = now() - t0;
                                if (sink == 42)         /* keep the loop */
                                        putchar(' ');
                                if (t < best)
                                        best = t;
                        }
                        rate[which] = (double)lookups / best;
                        if (s == 0)
                                base[which] = rate[which];
                }
                printf("%-8u %14.0f %6.2fx %14.0f %6.2fx %14.0f %6.2fx\n", n, rate[0], base[0] / rate[0],
                       rate[1], base[1] / rate[1], rate[2], base[2] / rate[2]);
                userns_idmap_free(m);
                free(km.fwd);
        }
        printf("ratio = cost per lookup relative to 1 extent (requirement: <= 2.00x at 340 extents)\n");
        free(ids);
        free(ups);
        return 0;
}
