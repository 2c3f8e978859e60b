/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's verdict on a write to /proc/PID/{uid,gid,projid}_map:
 * map_write() (size, parse, per-extent rules, parent extents) and
 * new_idmap_permitted() with verify_root_map() (who may write what).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "idmap-internal.h"

static const char *setid_cap(enum userns_idmap_kind kind)
{
        return kind == USERNS_IDMAP_UID ? "CAP_SETUID" : "CAP_SETGID";
}

/* map_write(): file_ns_capable(file, map_ns, CAP_SYS_ADMIN) for uid and gid maps, before parsing. */
static int check_sys_admin(enum userns_idmap_kind kind, const struct userns_map_writer *w,
                           struct userns_error *err)
{
        if (kind != USERNS_IDMAP_PROJID && !w->opener_cap_sys_admin_target)
                return userns_error_set(err, EPERM, "%s: the opener lacks CAP_SYS_ADMIN over the target "
                                        "namespace", userns_idmap_kind_name(kind));
        return 0;
}

/* verify_root_map(): mapping the parent's uid 0 needs CAP_SETFCAP (since 5.12). */
static int check_root_map(const struct userns_idmap *map, const struct userns_map_writer *w,
                          struct userns_error *err)
{
        size_t n = userns_idmap_count(map);
        for (size_t i = 0; i < n; i++) {
                const struct userns_extent *e = userns_idmap_extent(map, i);
                if (e->lower_first != 0)
                        continue;
                if (w->opener_in_target && !w->parent_could_setfcap)
                        return userns_error_set(err, EPERM, "uid_map line %zu: maps the parent's uid 0, but "
                                                "the namespace's creator did not have CAP_SETFCAP effective "
                                                "when it created the namespace", i + 1);
                if (!w->opener_in_target && !w->opener_cap_setfcap_parent)
                        return userns_error_set(err, EPERM, "uid_map line %zu: maps the parent's uid 0, but "
                                                "the opener lacks CAP_SETFCAP in the parent namespace", i + 1);
                return 0;
        }
        return 0;
}

/* Why the unprivileged single-id rule does not apply (NULL when it does). */
static const char *self_map_refusal(const struct userns_idmap *map, enum userns_idmap_kind kind,
                                    const struct userns_map_writer *w, char *buf, size_t bufsz)
{
        size_t n = userns_idmap_count(map);
        const struct userns_extent *e = userns_idmap_extent(map, 0);
        if (n != 1)
                snprintf(buf, bufsz, "the map has %zu extents", n);
        else if (e->count != 1)
                snprintf(buf, bufsz, "the count is %u, not 1", e->count);
        else if (!w->owns_target)
                snprintf(buf, bufsz, "the opener's euid %u does not own the namespace", w->euid);
        else if (kind == USERNS_IDMAP_UID && e->lower_first != w->euid)
                snprintf(buf, bufsz, "it maps uid %u, not the opener's euid %u", e->lower_first, w->euid);
        else if (kind == USERNS_IDMAP_GID && e->lower_first != w->egid)
                snprintf(buf, bufsz, "it maps gid %u, not the opener's egid %u", e->lower_first, w->egid);
        else if (kind == USERNS_IDMAP_GID && !w->setgroups_denied)
                snprintf(buf, bufsz, "setgroups is not \"deny\" (write deny to /proc/PID/setgroups first)");
        else
                return NULL;
        return buf;
}

/* new_idmap_permitted() after the CAP_SYS_ADMIN check. */
static int check_permitted_map(const struct userns_idmap *map, enum userns_idmap_kind kind,
                               const struct userns_map_writer *w, struct userns_error *err)
{
        const char *k = userns_idmap_kind_name(kind);
        if (kind == USERNS_IDMAP_UID) {
                int r = check_root_map(map, w, err);
                if (r < 0)
                        return r;
        }
        char why[128];
        if (kind != USERNS_IDMAP_PROJID && !self_map_refusal(map, kind, w, why, sizeof why))
                return 0;
        if (kind == USERNS_IDMAP_PROJID)
                return 0;       /* no capability needed (cap_setid = -1) */
        if (w->writer_cap_setid_parent && w->opener_cap_setid_parent)
                return 0;
        return userns_error_set(err, EPERM, "%s: not permitted: the %s lacks %s in the parent namespace, "
                                "and the unprivileged rule (one extent of count 1 mapping the opener's own "
                                "%s%s) does not apply: %s", k,
                                !w->writer_cap_setid_parent && !w->opener_cap_setid_parent ? "writer (and opener)"
                                : !w->writer_cap_setid_parent ? "writer" : "opener",
                                setid_cap(kind), kind == USERNS_IDMAP_UID ? "euid" : "egid",
                                kind == USERNS_IDMAP_UID ? "" : ", with setgroups denied", why);
}

int userns_idmap_check_permitted(const struct userns_idmap *map, enum userns_idmap_kind kind,
                                 const struct userns_map_writer *writer,
                                 struct userns_error *err)
{
        if (!map || !writer)
                return userns_error_set(err, EINVAL, "no map or writer");
        int r = check_sys_admin(kind, writer, err);
        if (r < 0)
                return r;
        return check_permitted_map(map, kind, writer, err);
}

/* Every extent's outside range inside ONE extent of the parent's map (map_id_range_down()). */
static int check_parent(const struct userns_idmap *map, enum userns_idmap_kind kind,
                        const struct userns_idmap *parent, struct userns_error *err)
{
        const char *k = userns_idmap_kind_name(kind);
        size_t n = userns_idmap_count(map);
        for (size_t i = 0; i < n; i++) {
                const struct userns_extent *e = userns_idmap_extent(map, i);
                if (userns_idmap_range_down(parent, e->lower_first, e->count) != USERNS_ID_INVALID)
                        continue;
                uint32_t last = idmap_last(e->lower_first, e->count);
                bool a = userns_idmap_down(parent, e->lower_first) != USERNS_ID_INVALID;
                bool b = userns_idmap_down(parent, last) != USERNS_ID_INVALID;
                const char *why = a && b ? "spans more than one extent of the parent's map (a range is "
                                           "never split across extents)"
                                : a || b ? "is only partly mapped in the parent namespace"
                                         : "is not mapped in the parent namespace";
                return userns_error_set(err, EPERM, "%s line %zu: outside ids %u-%u: %s", k, i + 1,
                                        e->lower_first, last, why);
        }
        return 0;
}

int userns_idmap_check_write_by(const char *buf, size_t len, enum userns_idmap_kind kind,
                                const struct userns_idmap *parent,
                                const struct userns_map_writer *writer, struct userns_idmap **out,
                                struct userns_error *err)
{
        _cleanup_(userns_idmap_freep) struct userns_idmap *map = NULL;
        _cleanup_(userns_idmap_freep) struct userns_idmap *identity = NULL;
        const char *k = userns_idmap_kind_name(kind);
        if (len >= USERNS_IDMAP_WRITE_MAX + 1)
                return userns_error_set(err, EINVAL, "%s: a write of %zu bytes is too large (it must be "
                                        "smaller than one page, 4096 bytes)", k, len);
        int r;
        if (writer) {
                r = check_sys_admin(kind, writer, err);
                if (r < 0)
                        return r;
        }
        r = userns_idmap_parse(buf, len, USERNS_IDMAP_FORMAT_KERNEL, kind, &map, err);
        if (r < 0)
                return r;
        if (writer) {
                r = check_permitted_map(map, kind, writer, err);
                if (r < 0)
                        return r;
        }
        if (!parent) {
                if (userns_idmap_new_identity(&identity) < 0)
                        return userns_error_set(err, ENOMEM, "out of memory");
                parent = identity;
        }
        r = check_parent(map, kind, parent, err);
        if (r < 0)
                return r;
        if (out)
                *out = TAKE_PTR(map);
        return 0;
}

int userns_idmap_check_write(const char *buf, size_t len, enum userns_idmap_kind kind,
                             const struct userns_idmap *parent, struct userns_idmap **out,
                             struct userns_error *err)
{
        return userns_idmap_check_write_by(buf, len, kind, parent, NULL, out, err);
}
