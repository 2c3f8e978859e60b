/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Steps of userns_caps_apply() shared with caps-restrict.c (not exported). */
#include <stdbool.h>
#include <stdint.h>

#include "userns/error.h"

/* Bounding = bound, inheritable = ambient = keep (∩ bound); permitted/effective stay as they were
 * (all permitted raised) unless `final`, which lowers them to keep too. */
int caps_apply_sets(uint64_t keep, uint64_t bound, bool final, struct userns_error *err);
/* permitted = effective = inheritable = keep. */
int caps_lower(uint64_t keep, struct userns_error *err);
/* capset(2) of the calling thread. */
int caps_set(uint64_t permitted, uint64_t effective, uint64_t inheritable, struct userns_error *err);
