/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's file-capability rules as pure functions (security/commoncap.c of
 * Linux 6.18): cap_convert_nscap(), cap_inode_getsecurity(), rootid_owns_currentns(),
 * get_vfs_caps_from_disk(), cap_bprm_creds_from_file().
 */
#include <errno.h>
#include <string.h>

#include "userns/fcaps.h"

uint32_t userns_fcaps_ns_to_host(const struct userns_fcaps_ns *ns, uint32_t id)
{
        for (; ns && id != USERNS_ID_INVALID; ns = ns->parent)
                id = userns_idmap_down(ns->uid_map, id);
        return id;
}

uint32_t userns_fcaps_ns_from_host(const struct userns_fcaps_ns *ns, uint32_t kid)
{
        if (!ns || kid == USERNS_ID_INVALID)
                return kid;
        uint32_t p = userns_fcaps_ns_from_host(ns->parent, kid);
        return p == USERNS_ID_INVALID ? p : userns_idmap_up(ns->uid_map, p);
}

bool userns_fcaps_ns_within(const struct userns_fcaps_ns *ns, const struct userns_fcaps_ns *anc)
{
        for (;; ns = ns->parent) {
                if (ns == anc)
                        return true;
                if (!ns)
                        return false;
        }
}

/* rootid_owns_currentns(): kid is uid 0 of ns or of one of its ancestors. */
static bool root_of_ns_or_ancestor(const struct userns_fcaps_ns *ns, uint32_t kid)
{
        if (kid == USERNS_ID_INVALID)
                return false;
        for (;; ns = ns->parent) {
                if (userns_fcaps_ns_from_host(ns, kid) == 0)
                        return true;
                if (!ns)
                        return false;
        }
}

static const struct userns_fcaps_fs init_fs = { 0 };

/* make_kuid(s_user_ns, id) shifted by the mount idmap (make_vfsuid). */
static uint32_t disk_to_vfs(const struct userns_fcaps_fs *fs, uint32_t id)
{
        uint32_t kid = userns_fcaps_ns_to_host(fs->owner, id);
        if (!fs->mnt_idmap || kid == USERNS_ID_INVALID)
                return kid;
        /* make_vfsuid(): the id in s_user_ns (here `id` itself) through the mount's map */
        return userns_idmap_down(fs->mnt_idmap, id);
}

/* from_vfsuid() then from_kuid(s_user_ns): a vfs id back to an on-disk id. */
static uint32_t vfs_to_disk(const struct userns_fcaps_fs *fs, uint32_t vfs)
{
        if (!fs->mnt_idmap)
                return userns_fcaps_ns_from_host(fs->owner, vfs);
        /* from_vfsuid() gives make_kuid(s_user_ns, up), which must exist */
        uint32_t id = vfs == USERNS_ID_INVALID ? vfs : userns_idmap_up(fs->mnt_idmap, vfs);
        if (id == USERNS_ID_INVALID || userns_fcaps_ns_to_host(fs->owner, id) == USERNS_ID_INVALID)
                return USERNS_ID_INVALID;
        return id;
}

/* is_v2header() || is_v3header(): the exact size and a revision with no flag but "effective". */
static int valid_header(const void *value, size_t len, struct userns_fcaps *out,
                        const char *op, struct userns_error *err)
{
        struct userns_error derr = { 0 };
        int r = userns_fcaps_decode(value, len, out, &derr);
        if (r < 0)
                return userns_error_set(err, EINVAL, "%s: %s", op, derr.message);
        if (out->revision == 1)
                return userns_error_set(err, EINVAL,
                        "%s: revision 1 is not accepted (only a 20-byte v2 or 24-byte v3 header)", op);
        return 0;
}

int userns_fcaps_model_store(const void *value, size_t len, const struct userns_fcaps_writer *w,
                             const struct userns_fcaps_fs *fs, struct userns_fcaps *stored,
                             struct userns_error *err)
{
        if (!fs)
                fs = &init_fs;
        if (len == 0) {
                /* fs/xattr.c calls cap_convert_nscap() only for size > 0, and
                 * cap_inode_setxattr() leaves security.capability to it: an empty
                 * value is stored with no capability check (exec then fails, EINVAL). */
                memset(stored, 0, sizeof *stored);
                return 0;
        }
        struct userns_fcaps c;
        int r = valid_header(value, len, &c, "setxattr", err);
        if (r < 0)
                return r;
        if (!w->cap_setfcap || !w->inode_owner_mapped)
                return userns_error_set(err, EPERM,
                        "setxattr: CAP_SETFCAP in the writer's namespace%s is needed",
                        w->cap_setfcap ? ", with the file's uid and gid mapped there," : "");
        /* A v2 stays v2 only from a writer privileged over the filesystem, without an idmap. */
        if (c.revision == 2 && !fs->mnt_idmap && userns_fcaps_ns_within(fs->owner, w->ns)) {
                *stored = c;
                return USERNS_FCAPS_SIZE_V2;
        }
        uint32_t want = c.revision == 3 ? c.rootid : 0;
        uint32_t vfs = userns_fcaps_ns_to_host(w->ns, want);
        if (vfs == USERNS_ID_INVALID)
                return userns_error_set(err, EINVAL,
                        "setxattr: root id %u is not mapped in the writer's namespace", want);
        uint32_t disk = vfs_to_disk(fs, vfs);
        if (disk == USERNS_ID_INVALID)
                return userns_error_set(err, EINVAL,
                        "setxattr: root id %u (host %u) is not mapped in the filesystem's %s",
                        want, vfs, fs->mnt_idmap ? "mount idmap" : "owning namespace");
        *stored = (struct userns_fcaps) {
                .revision = 3, .effective = c.effective, .permitted = c.permitted,
                .inheritable = c.inheritable, .rootid = disk,
        };
        return USERNS_FCAPS_SIZE_V3;
}

int userns_fcaps_model_read(const void *disk, size_t len, const struct userns_fcaps_ns *reader,
                            const struct userns_fcaps_fs *fs, struct userns_fcaps *seen,
                            struct userns_error *err)
{
        if (!fs)
                fs = &init_fs;
        if (len == 0 && !disk)
                return userns_error_set(err, ENODATA, "getxattr: no security.capability");
        struct userns_fcaps c;
        int r = valid_header(disk, len, &c, "getxattr", err);
        if (r < 0)
                return r;
        uint32_t root = c.revision == 3 ? c.rootid : 0;
        uint32_t vfs = disk_to_vfs(fs, root);
        uint32_t mapped = userns_fcaps_ns_from_host(reader, vfs);
        if (mapped != USERNS_ID_INVALID && mapped != 0) {
                c.revision = 3;
                c.rootid = mapped;
                *seen = c;
                return USERNS_FCAPS_SIZE_V3;
        }
        if (!root_of_ns_or_ancestor(reader, vfs))
                return userns_error_set(err, EOVERFLOW,
                        "getxattr: the capabilities belong to root id %u (host %d), neither mapped in the "
                        "reader's namespace nor root of it or an ancestor", root,
                        vfs == USERNS_ID_INVALID ? -1 : (int)vfs);
        c.revision = 2;
        c.rootid = 0;
        *seen = c;
        return USERNS_FCAPS_SIZE_V2;
}

static uint64_t le32at(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int userns_fcaps_model_exec(const void *disk, size_t len, const struct userns_fcaps_task *t,
                            const struct userns_fcaps_fs *fs, struct userns_fcaps_exec *out,
                            struct userns_error *err)
{
        if (!fs)
                fs = &init_fs;
        bool has_fcap = false, eff = false;
        uint64_t fp = 0, fi = 0;
        const char *why = "the file has no capabilities";

        if (fs->nosuid)
                why = "the mount is nosuid: file capabilities are ignored";
        else if (!userns_fcaps_ns_within(t->ns, fs->owner))
                why = "the task is not in the filesystem's namespace or below it";
        else if (disk) {
                /* get_vfs_caps_from_disk(): revision and size only, flags are not checked */
                const uint8_t *p = disk;
                if (len < 4)
                        return userns_error_set(err, EINVAL,
                                "execve: security.capability of %zu bytes is shorter than magic_etc", len);
                uint32_t magic = (uint32_t)le32at(p);
                unsigned rev = magic >> USERNS_FCAPS_REVISION_SHIFT;
                size_t want = userns_fcaps_size(rev);
                if (!want)
                        return userns_error_set(err, EINVAL,
                                "execve: security.capability has unknown revision %u", rev);
                if (len != want)
                        return userns_error_set(err, EINVAL,
                                "execve: security.capability revision %u is %zu bytes, not %zu", rev, len, want);
                uint32_t root = rev == 3 ? (uint32_t)le32at(p + 20) : 0;
                uint32_t vfs = disk_to_vfs(fs, root);
                if (vfs == USERNS_ID_INVALID)
                        why = "the capabilities' root id is not mapped in the filesystem";
                else if (!root_of_ns_or_ancestor(t->ns, vfs))
                        why = "the capabilities' root is not root of the task's namespace or an ancestor";
                else {
                        has_fcap = true;
                        eff = magic & USERNS_FCAPS_FLAGS_EFFECTIVE;
                        if (rev == 1) {
                                fp = le32at(p + 4);
                                fi = le32at(p + 8);
                        } else {
                                fp = le32at(p + 4) | le32at(p + 12) << 32;
                                fi = le32at(p + 8) | le32at(p + 16) << 32;
                        }
                        fp &= USERNS_FCAPS_VALID_MASK;
                        fi &= USERNS_FCAPS_VALID_MASK;
                        why = "the capabilities' root is root of the task's namespace or an ancestor";
                }
        }

        uint64_t pp = 0, ambient = t->ambient;
        if (has_fcap) {
                /* bprm_caps_from_vfs_caps() */
                pp = (t->bounding & fp) | (t->inheritable & fi);
                if (eff && (fp & ~pp))
                        return userns_error_set(err, EPERM,
                                "execve: the file's effective bit needs permitted 0x%llx, but the bounding "
                                "and inheritable sets only allow 0x%llx",
                                (unsigned long long)fp, (unsigned long long)pp);
                ambient = 0;
        }
        /* handle_privileged_root(): legacy root gets the bounding set */
        if (t->euid_root || t->ruid_root) {
                pp = t->bounding | t->inheritable;
                if (t->euid_root)
                        eff = true;
                if (!has_fcap)
                        why = "root of the namespace gets its bounding set";
        }
        /* no_new_privs: no capability beyond the old permitted set (before pA' is added) */
        if (t->no_new_privs && (pp & ~t->permitted))
                pp &= t->permitted;
        pp |= ambient;
        *out = (struct userns_fcaps_exec) {
                .honoured = has_fcap,
                .permitted = pp,
                .effective = eff ? pp : ambient,
                .ambient = ambient,
                .why = why,
        };
        return 0;
}
