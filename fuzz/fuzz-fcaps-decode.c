/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * security.capability decoder: any bytes either decode and re-encode to exactly the
 * same bytes, or are refused with a message; the model's store/read/exec rules run on
 * the same bytes without crashing and agree with the decoder on what is well formed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "userns/fcaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct userns_fcaps c;
        struct userns_error err = { 0 };
        int r = userns_fcaps_decode(data, size, &c, &err);
        if (r == 0) {
                uint8_t buf[USERNS_FCAPS_SIZE_MAX];
                int n = userns_fcaps_encode(&c, buf, sizeof buf, NULL);
                if (n != (int)size || memcmp(buf, data, size) != 0)
                        abort();
                char *t = NULL;
                if (userns_fcaps_to_text(&c, &t, NULL) < 0)
                        abort();
                free(t);
        } else if (r != -EINVAL || err.message[0] == '\0') {
                abort();
        }

        /* a namespace mapping 0..999 to 1000.., nested one mapping 0..9 to its 5.. */
        struct userns_idmap *a = NULL, *d = NULL;
        if (userns_idmap_new(&a) < 0 || userns_idmap_new(&d) < 0 ||
            userns_idmap_add(a, 0, 1000, 1000, NULL, NULL) < 0 || userns_idmap_add(d, 0, 5, 10, NULL, NULL) < 0)
                abort();
        struct userns_fcaps_ns na = { .uid_map = a }, nd = { .uid_map = d, .parent = &na };
        struct userns_fcaps_writer w = { .ns = &na, .cap_setfcap = true, .inode_owner_mapped = true };
        struct userns_fcaps s;
        (void)userns_fcaps_model_store(data, size, &w, NULL, &s, NULL);
        /* init root may store exactly the well-formed v2/v3 values (but not rootid (u32)-1) */
        struct userns_fcaps_writer host = { .cap_setfcap = true, .inode_owner_mapped = true };
        int st = userns_fcaps_model_store(data, size, &host, NULL, &s, NULL);
        /* whatever the kernel would store, every reader gets v2, v3 or an error */
        int rd = userns_fcaps_model_read(data, size, &nd, NULL, &s, NULL);
        if (rd >= 0 && rd != USERNS_FCAPS_SIZE_V2 && rd != USERNS_FCAPS_SIZE_V3)
                abort();
        if (size > 0 && (st >= 0) != (r == 0 && c.revision != 1 && !(c.revision == 3 && c.rootid == USERNS_ID_INVALID)))
                abort();
        struct userns_fcaps_task t = { .ns = &nd, .bounding = USERNS_FCAPS_VALID_MASK };
        struct userns_fcaps_exec e;
        if (userns_fcaps_model_exec(data, size, &t, NULL, &e, NULL) == 0 &&
            (e.permitted & ~USERNS_FCAPS_VALID_MASK))
                abort();
        userns_idmap_free(a);
        userns_idmap_free(d);
        return 0;
}
