/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capability lists, securebits lists and /proc/PID/status text: parse, format, parse again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "userns/caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        struct userns_error err;
        uint64_t set, again;
        char buf[USERNS_CAPS_TEXT_MAX];
        if (userns_caps_parse(text, &set, &err) == 0) {
                if (userns_caps_format(set, buf, sizeof buf) < 0 || userns_caps_parse(buf, &again, &err) != 0 ||
                    again != set)
                        abort();
        }
        unsigned bits, bits2;
        if (userns_securebits_parse(text, &bits, &err) == 0) {
                if (userns_securebits_format(bits, buf, sizeof buf) < 0 ||
                    userns_securebits_parse(buf, &bits2, &err) != 0 || bits2 != bits)
                        abort();
        }
        struct userns_caps_state st;
        (void)userns_caps_parse_status(text, &st, &err);
        free(text);
        return 0;
}
