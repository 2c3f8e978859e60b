/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A process's ids at every level of user namespace nesting, from its own
 * namespace up to the caller's.  The kernel stores one kernel id per process;
 * each namespace shows it through its maps (from_kuid_munged(): 65534 when the
 * id has no mapping there).  We start from the ids the caller sees in
 * /proc/PID/status and map them down one level at a time through each
 * namespace's map relative to its parent.
 */

#include "userns/ns.h"

struct userns_id_value {
        uint32_t id;            /* as the kernel shows it: 65534 when unmapped */
        bool mapped;
};

struct userns_id_level {
        struct userns_ns_id ns;
        size_t up;              /* 0 = the process's own namespace, 1 = its parent, ... */
        bool known;             /* false: the maps of this level could not be read */
        struct userns_id_value uid, gid;
        struct userns_id_value *groups;
        size_t n_groups;
};

struct userns_id_report {
        pid_t pid;
        struct userns_id_level *levels;   /* levels[0] = the process's own namespace */
        size_t n_levels;
        char *note;                       /* why some levels are unknown, or NULL */
};

/* pid 0 = the caller. */
int  userns_id_scan(pid_t pid, struct userns_id_report **out, struct userns_error *err);
void userns_id_report_free(struct userns_id_report *report);

/*
 * Pure: map `top` (an id in the top namespace) down through `n` maps, where
 * maps[k] is the map of the namespace k+1 levels below the top, relative to its
 * parent.  out[0] is the top, out[n] the bottom; once an id is unmapped it stays
 * unmapped below (a child can only map ids its parent maps).
 */
void userns_id_translate_down(const struct userns_idmap *const *maps, size_t n,
                              struct userns_id_value top, struct userns_id_value *out);
