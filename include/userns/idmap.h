/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * ID maps: the uid_map / gid_map / projid_map of a user namespace, with the
 * kernel's exact rules (kernel/user_namespace.c: map_write(),
 * new_idmap_permitted(), map_id_range_down(), map_id_up()).
 *
 * A map is a list of extents {first, lower_first, count}: ids first..first+count-1
 * inside the namespace are lower_first.. outside it.  "Down" maps an inside id to
 * the outside; "up" maps an outside id to the inside.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/error.h"

#define USERNS_ID_INVALID          UINT32_MAX   /* (u32)-1, never a valid id */
#define USERNS_OVERFLOW_ID         65534u       /* what getuid()/stat() show for unmapped ids */
#define USERNS_IDMAP_MAX_EXTENTS   340          /* UID_GID_MAP_MAX_EXTENTS */
#define USERNS_IDMAP_BASE_EXTENTS  5            /* UID_GID_MAP_MAX_BASE_EXTENTS */
#define USERNS_IDMAP_WRITE_MAX     4095         /* a write must be < PAGE_SIZE */

enum userns_idmap_kind {
        USERNS_IDMAP_UID,
        USERNS_IDMAP_GID,
        USERNS_IDMAP_PROJID,
};

enum userns_idmap_format {
        USERNS_IDMAP_FORMAT_AUTO,      /* parse only: guess from the text */
        USERNS_IDMAP_FORMAT_KERNEL,    /* "0 100000 65536\n" lines, as /proc/PID/uid_map */
        USERNS_IDMAP_FORMAT_COMPACT,   /* "0:100000:65536,65536:1000:1" */
        USERNS_IDMAP_FORMAT_OCI,       /* [{"containerID":0,"hostID":100000,"size":65536}] */
};

struct userns_extent {
        uint32_t first;        /* start inside the namespace */
        uint32_t lower_first;  /* start outside (parent ns, or kernel ids once composed) */
        uint32_t count;
};

/* Opaque: extents in written order plus sorted copies for O(log n) lookups. */
struct userns_idmap;

/* "uid_map", "gid_map", "projid_map" */
const char *userns_idmap_kind_name(enum userns_idmap_kind kind);

int  userns_idmap_new(struct userns_idmap **out);
void userns_idmap_free(struct userns_idmap *map);
/* For __attribute__((cleanup(userns_idmap_freep))) on a struct userns_idmap * variable. */
static inline void userns_idmap_freep(struct userns_idmap **map)
{
        userns_idmap_free(*map);
}
int  userns_idmap_dup(const struct userns_idmap *map, struct userns_idmap **out);

/* The identity map of the initial namespace: 0 0 4294967295. */
int  userns_idmap_new_identity(struct userns_idmap **out);
/* Is map exactly that identity map (what the initial namespace's uid_map reads)? */
bool userns_idmap_is_identity(const struct userns_idmap *map);

size_t userns_idmap_count(const struct userns_idmap *map);
/* i-th extent in the order it was written (NULL when out of range). */
const struct userns_extent *userns_idmap_extent(const struct userns_idmap *map, size_t i);

/*
 * Append one extent, applying the kernel's per-extent rules (first/lower not
 * (u32)-1, count > 0, no 32-bit wrap, no overlap of inside or outside ranges with
 * an earlier extent, at most 340 extents).  `what` names the input in messages
 * (e.g. "uid_map line 3"); may be NULL.
 */
int userns_idmap_add(struct userns_idmap *map, uint32_t first, uint32_t lower_first,
                     uint32_t count, const char *what, struct userns_error *err);

/*
 * Parse text in one of the accepted forms.  KERNEL follows map_write()'s parser
 * exactly (including its quirks: 64-bit numbers truncated to 32 bits, trailing
 * newline handling), and the result satisfies every per-extent rule.  `kind` only
 * names the map in messages.
 */
int userns_idmap_parse(const char *text, size_t len, enum userns_idmap_format format,
                       enum userns_idmap_kind kind, struct userns_idmap **out,
                       struct userns_error *err);

/* Format into a newly allocated NUL-terminated string (caller frees). */
int userns_idmap_format(const struct userns_idmap *map, enum userns_idmap_format format,
                        char **out, struct userns_error *err);

/*
 * The kernel's verdict on write(2) of `len` bytes at `buf` to a fresh
 * namespace's map, for a writer holding CAP_SETUID/CAP_SETGID in the parent:
 * size limit (EINVAL), parsing and per-extent rules (EINVAL), then every
 * extent's outside range inside one extent of `parent` (EPERM).  `parent` is the
 * parent namespace's own map (NULL = initial namespace).  On success *out (if
 * non-NULL) receives the map as written (lower ids relative to the parent).
 */
int userns_idmap_check_write(const char *buf, size_t len, enum userns_idmap_kind kind,
                             const struct userns_idmap *parent, struct userns_idmap **out,
                             struct userns_error *err);

/*
 * Who writes a map, for the privilege rules (new_idmap_permitted() and
 * verify_root_map()).  All capabilities are as held over the named namespace.
 */
struct userns_map_writer {
        uint32_t euid, egid;            /* of the opener, in the parent namespace */
        bool opener_in_target;          /* opener's user ns is the target ns itself */
        bool owns_target;               /* target ns owner == opener euid */
        bool setgroups_denied;          /* target ns setgroups is "deny" */
        bool opener_cap_sys_admin_target; /* opener has CAP_SYS_ADMIN over the target */
        bool opener_cap_setid_parent;   /* opener: CAP_SETUID (uid) / CAP_SETGID (gid) in parent */
        bool writer_cap_setid_parent;   /* writer (current): same capability in parent */
        bool opener_cap_setfcap_parent; /* opener: CAP_SETFCAP in parent */
        bool parent_could_setfcap;      /* creator had CAP_SETFCAP effective at creation */
};

/*
 * Would the kernel permit this (already parsed and valid) map, written by
 * `writer`?  0, or -EPERM with the reason.  `map` lower ids are relative to the
 * parent namespace.
 */
int userns_idmap_check_permitted(const struct userns_idmap *map, enum userns_idmap_kind kind,
                                 const struct userns_map_writer *writer,
                                 struct userns_error *err);

/* Lookups, as map_id_range_down() / map_id_up(): USERNS_ID_INVALID when unmapped. */
uint32_t userns_idmap_down(const struct userns_idmap *map, uint32_t id);
uint32_t userns_idmap_range_down(const struct userns_idmap *map, uint32_t id, uint32_t count);
uint32_t userns_idmap_up(const struct userns_idmap *map, uint32_t id);
/* As from_kuid_munged(): USERNS_OVERFLOW_ID when unmapped. */
uint32_t userns_idmap_up_munged(const struct userns_idmap *map, uint32_t id);

/*
 * child ∘ parent: for each child extent, where its outside ids land below
 * `parent` (ids of the grandparent).  Extents that straddle several parent
 * extents are split; parts the parent does not map are dropped.  This is what
 * a nested namespace's ids are on the host.
 */
int userns_idmap_compose(const struct userns_idmap *child, const struct userns_idmap *parent,
                         struct userns_idmap **out, struct userns_error *err);
/* Swap inside and outside. */
int userns_idmap_invert(const struct userns_idmap *map, struct userns_idmap **out,
                        struct userns_error *err);
/* Ids mapped identically by both maps (same inside id → same outside id). */
int userns_idmap_intersect(const struct userns_idmap *a, const struct userns_idmap *b,
                           struct userns_idmap **out, struct userns_error *err);

/* Read /proc/PID/{uid,gid,projid}_map (pid 0 = self) as the caller sees it. */
int userns_idmap_read_proc(pid_t pid, enum userns_idmap_kind kind, struct userns_idmap **out,
                           struct userns_error *err);

/* --- additions (branch idmap) --- */

/* Same extents in the same written order. */
bool userns_idmap_equal(const struct userns_idmap *a, const struct userns_idmap *b);

/*
 * userns_idmap_check_write() for a given writer, in map_write()'s order: size
 * (EINVAL), the opener's CAP_SYS_ADMIN over the target (EPERM, before parsing),
 * parsing and per-extent rules (EINVAL), new_idmap_permitted() (EPERM), parent
 * extents (EPERM).  writer NULL = a writer holding every capability in the
 * parent (== userns_idmap_check_write()).  The target map is assumed unwritten.
 */
int userns_idmap_check_write_by(const char *buf, size_t len, enum userns_idmap_kind kind,
                                const struct userns_idmap *parent,
                                const struct userns_map_writer *writer, struct userns_idmap **out,
                                struct userns_error *err);

/*
 * Parse the text of /proc/PID/uid_map as the kernel prints it (any number of
 * lines).  Extents whose lower id reads 4294967295 (unmapped in the reader's
 * namespace) are kept, in order, for display, but take no part in lookups,
 * composition or inversion.
 */
int userns_idmap_parse_proc(const char *text, enum userns_idmap_kind kind,
                            struct userns_idmap **out, struct userns_error *err);
