/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Subordinate ids: the uid and gid ranges /etc/subuid and /etc/subgid delegate to
 * a user ("owner:start:count", owner being a user name or a numeric uid), which
 * the setuid helpers newuidmap/newgidmap let that user map into a namespace.
 *
 * Ranges are read either with shadow's libsubid (which also consults an NSS
 * "subid:" provider named in /etc/nsswitch.conf) or by parsing the two files the
 * way shadow does.  libsubid is loaded on demand, never linked: it pulls a dozen
 * libraries (PAM, SELinux, audit) into every process that links it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userns/error.h"

enum userns_subid_kind {
        USERNS_SUBID_UID,
        USERNS_SUBID_GID,
};

enum userns_subid_source {
        USERNS_SUBID_SOURCE_AUTO,      /* libsubid if nsswitch.conf names a subid provider, else the files */
        USERNS_SUBID_SOURCE_FILES,     /* parse /etc/subuid and /etc/subgid */
        USERNS_SUBID_SOURCE_LIBSUBID,  /* shadow's libsubid (error if not available) */
};

struct userns_subid_range {
        uint32_t start;
        uint32_t count;
};

/* "/etc/subuid" or "/etc/subgid" */
const char *userns_subid_path(enum userns_subid_kind kind);

/*
 * Pure: the ranges of file text `text` (len bytes) that belong to `user` (may be
 * NULL) or to the numeric owner `id`, in file order.  Comments, blank and
 * malformed lines are skipped as shadow does.  *out is malloc'ed (NULL when
 * *n == 0); free() it.
 */
int userns_subid_parse(const char *text, size_t len, const char *user, uint32_t id,
                       struct userns_subid_range **out, size_t *n, struct userns_error *err);

/*
 * The ranges delegated to `user`/`id` (no ranges is not an error: *n == 0).
 * `user` may be NULL (the name is then looked up from `id`).
 */
int userns_subid_lookup(enum userns_subid_kind kind, enum userns_subid_source source,
                        const char *user, uint32_t id,
                        struct userns_subid_range **out, size_t *n, struct userns_error *err);

/* Both kinds at once (one name lookup, one source decision): out[USERNS_SUBID_UID], out[USERNS_SUBID_GID]. */
int userns_subid_lookup_all(enum userns_subid_source source, const char *user, uint32_t id,
                            struct userns_subid_range *out[2], size_t n[2], struct userns_error *err);

/* Is every id of [start, start+count) inside the union of the ranges? */
bool userns_subid_covers(const struct userns_subid_range *ranges, size_t n,
                         uint32_t start, uint32_t count);

/*
 * Pure: the start of a free 65536-id block after every range in file text
 * `text` (at least 100000), for suggesting a line to add.
 */
uint32_t userns_subid_suggest_start(const char *text, size_t len);

/*
 * Fill `err` with "no subordinate uid range for USER (uid N) in /etc/subuid: add
 * a line such as 'USER:START:65536' ..." and return -ENOENT.
 */
int userns_subid_missing_error(enum userns_subid_kind kind, const char *user, uint32_t id,
                               struct userns_error *err);
