/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The `userns run` fs-map options on arbitrary bytes: each line is a --bind-map
 * SRC:DST[:MAP], --shared DIR:DST or --fs-uid-map/--fs-gid-map MAP (chosen by its
 * first byte).  Whatever is accepted must give maps for a fixed process map that
 * keep the promise: a file stored as d appears inside as F⁻¹(d) (fsmap.h), or the
 * entry is refused with a message.  SRC paths are only resolved (realpath/stat).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userns/mount-plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "assertion failed: %s\n", #x); abort(); } } while (0)

/* Every extent boundary of M: seen inside through P it is a container id that M's entry intended. */
static void check_maps(const struct userns_idmap *m, const struct userns_idmap *p)
{
        for (size_t i = 0; i < userns_idmap_count(m); i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                uint32_t last = e->first + e->count - 1;
                CHECK(userns_idmap_down(m, e->first) == e->lower_first);
                CHECK(userns_idmap_up(p, e->lower_first) != USERNS_ID_INVALID);
                CHECK(userns_idmap_up(p, userns_idmap_down(m, last)) != USERNS_ID_INVALID);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 8192)
                return 0;
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        struct userns_mount_plan *plan = NULL;
        if (userns_mount_plan_new(&plan, NULL) < 0) {
                free(text);
                return 0;
        }
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct userns_error err = { 0 };
                int r;
                switch (line[0] % 4) {
                case 0: r = userns_mount_plan_add_bind(plan, line + 1, &err); break;
                case 1: r = userns_mount_plan_add_shared(plan, line + 1, &err); break;
                case 2: r = userns_mount_plan_set_fs_map(plan, USERNS_IDMAP_UID, line + 1, &err); break;
                default: r = userns_mount_plan_set_fs_map(plan, USERNS_IDMAP_GID, line + 1, &err); break;
                }
                CHECK(r == 0 || (r < 0 && err.message[0]));
        }
        const char *pu_text = "0:100000:65536", *pg_text = "0:200000:1000,1000:5000:10";
        struct userns_idmap *pu = NULL, *pg = NULL;
        CHECK(userns_idmap_parse(pu_text, strlen(pu_text), USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID, &pu, NULL) == 0);
        CHECK(userns_idmap_parse(pg_text, strlen(pg_text), USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_GID, &pg, NULL) == 0);
        for (size_t i = 0; i < plan->n; i++) {
                struct userns_idmap *u = NULL, *g = NULL;
                struct userns_error err = { 0 };
                if (userns_mount_plan_maps(plan, i, pu, pg, &u, &g, &err) == 0) {
                        check_maps(u, pu);
                        check_maps(g, pg);
                } else
                        CHECK(err.message[0] && !u && !g);
                userns_idmap_free(u);
                userns_idmap_free(g);
        }
        userns_idmap_free(pu);
        userns_idmap_free(pg);
        free(plan);
        free(text);
        return 0;
}
