/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the /proc/PID/status reader behind `userns id`, and the id translation it feeds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "userns/ns-id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        uint32_t uid, gid, *groups = NULL;
        size_t n = 0;
        struct userns_error err = { 0 };
        if (userns_ns_parse_status(text, &uid, &gid, &groups, &n, &err) == 0) {
                /* Map every id down two levels, as userns id does. */
                struct userns_idmap *a = NULL, *b = NULL;
                if (userns_idmap_parse("0:100000:65536", 14, USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID, &a, NULL) == 0 &&
                    userns_idmap_parse("0:1000:2000,5000:0:10", 21, USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID, &b, NULL) == 0) {
                        const struct userns_idmap *maps[2] = { a, b };
                        struct userns_id_value v[3];
                        userns_id_translate_down(maps, 2, (struct userns_id_value){ uid, true }, v);
                        if (v[2].mapped && v[2].id == USERNS_ID_INVALID)
                                abort();
                        for (size_t i = 0; i < n; i++)
                                userns_id_translate_down(maps, 2, (struct userns_id_value){ groups[i], true }, v);
                }
                userns_idmap_free(a);
                userns_idmap_free(b);
        } else if (err.code == 0 || !err.message[0])
                abort();   /* every failure says why */
        free(groups);
        free(text);
        return 0;
}
