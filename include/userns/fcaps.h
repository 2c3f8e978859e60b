/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * File capabilities: the xattr "security.capability" (include/uapi/linux/capability.h,
 * security/commoncap.c).
 *
 *   codec  (lib/fcaps.c)        decode/encode revisions 1, 2 and 3 byte for byte, and
 *                               capability text through libcap's own parser/printer
 *   model  (lib/fcaps-model.c)  the kernel's rules: what setxattr stores
 *                               (cap_convert_nscap), what getxattr shows a reader in a
 *                               namespace (cap_inode_getsecurity), what exec grants
 *                               (get_vfs_caps_from_disk, cap_bprm_creds_from_file)
 *   io     (lib/fcaps-io.c)     get/set/remove on an open file (fd-based xattr calls)
 *
 * Layout (little-endian u32 words):
 *   v1, 12 bytes: magic_etc, permitted, inheritable             (32-bit sets)
 *   v2, 20 bytes: magic_etc, {permitted, inheritable} x 2       (low, high words)
 *   v3, 24 bytes: the v2 layout + rootid                        (a uid in sb->s_user_ns)
 * magic_etc = revision << 24 | flags; the only flag is VFS_CAP_FLAGS_EFFECTIVE (1).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/error.h"
#include "userns/idmap.h"

#define USERNS_FCAPS_XATTR           "security.capability"
#define USERNS_FCAPS_REVISION_MASK   0xFF000000u
#define USERNS_FCAPS_REVISION_SHIFT  24
#define USERNS_FCAPS_FLAGS_EFFECTIVE 0x000001u
#define USERNS_FCAPS_MAGIC_V1        0x01000000u
#define USERNS_FCAPS_MAGIC_V2        0x02000000u
#define USERNS_FCAPS_MAGIC_V3        0x03000000u
#define USERNS_FCAPS_SIZE_V1         12
#define USERNS_FCAPS_SIZE_V2         20
#define USERNS_FCAPS_SIZE_V3         24
#define USERNS_FCAPS_SIZE_MAX        USERNS_FCAPS_SIZE_V3
/* Capabilities 0..40 (CAP_CHECKPOINT_RESTORE): the kernel's CAP_VALID_MASK. */
#define USERNS_FCAPS_LAST_CAP        40
#define USERNS_FCAPS_VALID_MASK      ((UINT64_C(1) << (USERNS_FCAPS_LAST_CAP + 1)) - 1)

/* One decoded security.capability value. */
struct userns_fcaps {
        unsigned revision;        /* 1, 2 or 3 */
        bool effective;           /* VFS_CAP_FLAGS_EFFECTIVE: pE' = pP' at exec */
        uint64_t permitted;       /* fP (v1: low 32 bits only) */
        uint64_t inheritable;     /* fI (v1: low 32 bits only) */
        uint32_t rootid;          /* v3 only (0 otherwise): the root that owns the caps */
};

/* ---- codec ---------------------------------------------------------------------------- */

/* Size of a revision's layout (12, 20, 24), 0 for an unknown revision. */
size_t userns_fcaps_size(unsigned revision);

/*
 * Decode exactly `len` bytes.  -EINVAL with its own message for: fewer than 4 bytes,
 * an unknown revision, flag bits other than VFS_CAP_FLAGS_EFFECTIVE, a value shorter
 * than its revision's layout, trailing bytes after it.  Capability bits beyond
 * USERNS_FCAPS_LAST_CAP are kept as stored (the kernel masks them at exec).
 */
int userns_fcaps_decode(const void *buf, size_t len, struct userns_fcaps *out,
                        struct userns_error *err);

/*
 * Encode into buf (at least userns_fcaps_size(revision) bytes); returns the size.
 * -EINVAL for an unknown revision, v1 capabilities above bit 31, or a rootid on v1/v2.
 */
int userns_fcaps_encode(const struct userns_fcaps *caps, void *buf, size_t bufsize,
                        struct userns_error *err);

/*
 * Capability text, through libcap (cap_from_text / cap_to_text): "cap_net_raw,cap_chown=ep",
 * "cap_sys_admin+i cap_kill=p".  A file has one effective bit: the text's effective set
 * must be empty or include every permitted and inheritable capability (as setcap(8)
 * demands); the parsed value is revision 2 with rootid 0.
 */
int userns_fcaps_from_text(const char *text, struct userns_fcaps *out, struct userns_error *err);
/* The text getcap(8) prints for these sets (caller frees).  "=" for empty sets. */
int userns_fcaps_to_text(const struct userns_fcaps *caps, char **out, struct userns_error *err);

/* "v1", "v2", "v3" or "v?" */
const char *userns_fcaps_revision_name(unsigned revision);

/* ---- model ---------------------------------------------------------------------------- */

/*
 * A user namespace for the model: its uid_map relative to its parent (what the
 * parent reads from /proc/PID/uid_map) and the parent.  The initial namespace is
 * a NULL pointer; a namespace with parent == NULL is a child of the initial one.
 */
struct userns_fcaps_ns {
        const struct userns_idmap *uid_map;
        const struct userns_fcaps_ns *parent;
};

/* A namespace's id as a kernel (host) id, and back (USERNS_ID_INVALID when unmapped). */
uint32_t userns_fcaps_ns_to_host(const struct userns_fcaps_ns *ns, uint32_t id);
uint32_t userns_fcaps_ns_from_host(const struct userns_fcaps_ns *ns, uint32_t kid);
/* ns is `anc` or a descendant of it (NULL = initial namespace, the ancestor of all). */
bool userns_fcaps_ns_within(const struct userns_fcaps_ns *ns, const struct userns_fcaps_ns *anc);

/* The filesystem holding the file. */
struct userns_fcaps_fs {
        const struct userns_fcaps_ns *owner;  /* sb->s_user_ns; NULL = initial namespace */
        const struct userns_idmap *mnt_idmap; /* idmapped mount's map (on-disk id down to the
                                                 id seen through the mount); NULL = none */
        bool nosuid;                          /* MNT_NOSUID (or mnt_may_suid() false) */
};

/* The process calling setxattr(security.capability). */
struct userns_fcaps_writer {
        const struct userns_fcaps_ns *ns;     /* its user namespace (NULL = initial) */
        bool cap_setfcap;                     /* CAP_SETFCAP effective */
        bool inode_owner_mapped;              /* file uid and gid mapped in ns */
};

/*
 * What setxattr stores (cap_convert_nscap): -EINVAL unless the value is exactly a
 * v2 (20 bytes) or v3 (24 bytes) header, -EPERM without CAP_SETFCAP over the inode;
 * a v2 from a writer privileged over the filesystem (on a mount that is not
 * idmapped) is kept; anything else becomes v3 whose rootid is the writer's notion of
 * root (0 for v2, rootid for v3) mapped to the host and into fs->owner, -EINVAL
 * when unmapped.  `fs` may be NULL (initial namespace, no idmap).  Returns the stored
 * size (20 or 24; 0 for an empty value, which the kernel stores unchecked) or -errno.
 */
int userns_fcaps_model_store(const void *value, size_t len, const struct userns_fcaps_writer *w,
                             const struct userns_fcaps_fs *fs, struct userns_fcaps *stored,
                             struct userns_error *err);

/*
 * What getxattr returns to a reader in `reader` (cap_inode_getsecurity) for the
 * on-disk bytes: -EINVAL unless a valid v2/v3 header; a v3 whose rootid is the
 * owning root's uid as seen from `reader` when that is mapped and not 0; a v2 when
 * the owning root is root of `reader` or of an ancestor; -EOVERFLOW otherwise.
 * `disk` NULL means no xattr (-ENODATA).  Returns the size the reader gets (20 or 24).
 */
int userns_fcaps_model_read(const void *disk, size_t len, const struct userns_fcaps_ns *reader,
                            const struct userns_fcaps_fs *fs, struct userns_fcaps *seen,
                            struct userns_error *err);

/* The exec'ing process, before execve. */
struct userns_fcaps_task {
        const struct userns_fcaps_ns *ns;
        bool euid_root, ruid_root;            /* uid 0 of ns (the legacy root rules apply) */
        bool no_new_privs;
        uint64_t permitted, inheritable, ambient, bounding;
};

struct userns_fcaps_exec {
        bool honoured;                        /* the file's capabilities applied (has_fcap) */
        uint64_t permitted, effective, ambient; /* after execve */
        const char *why;                      /* static text: why honoured or ignored */
};

/*
 * The capabilities after execve of a (non-setuid) file with these on-disk bytes
 * (len 0 = no xattr), following get_vfs_caps_from_disk() and
 * cap_bprm_creds_from_file() of Linux 6.18: caps apply only when the owning root is
 * uid 0 of task->ns or of an ancestor; pP' = (X & fP) | (pI & fI) | pA', pE' = fE ? pP' : pA'.
 * -EINVAL when execve would fail on a malformed value, -EPERM when fE is set and
 * the bounding set withholds a permitted capability.
 */
int userns_fcaps_model_exec(const void *disk, size_t len, const struct userns_fcaps_task *task,
                            const struct userns_fcaps_fs *fs, struct userns_fcaps_exec *out,
                            struct userns_error *err);

/* ---- a process's namespace for the model (lib/fcaps-ns.c) ---------------------------- */

#define USERNS_FCAPS_CHAIN_MAX 33   /* 32 nested namespaces below the initial one */

/* The namespaces from the caller's (excluded) down to a process's, outermost first. */
struct userns_fcaps_chain {
        size_t n;
        bool complete;                 /* false: a level had no process to read its map
                                          from and was skipped, or the process is not below
                                          the caller and is modelled as its child */
        const struct userns_fcaps_ns *caller;
        struct userns_idmap *maps[USERNS_FCAPS_CHAIN_MAX];
        struct userns_fcaps_ns ns[USERNS_FCAPS_CHAIN_MAX];
};

/*
 * The user namespace of `pid` as a model chain below `caller` (the caller's own
 * namespace for the model): parents by NS_GET_PARENT, each level's uid_map read from a
 * process in it and made relative to its parent.  The process's own namespace may be
 * the caller's (n == 0).
 */
int userns_fcaps_chain_from_pid(pid_t pid, const struct userns_fcaps_ns *caller,
                                struct userns_fcaps_chain **out, struct userns_error *err);
/* The innermost namespace (the process's), or `caller` when n == 0. */
const struct userns_fcaps_ns *userns_fcaps_chain_ns(const struct userns_fcaps_chain *c);
void userns_fcaps_chain_free(struct userns_fcaps_chain *c);

/* ---- io ------------------------------------------------------------------------------- */

/*
 * Read security.capability of an open file as the kernel shows it to the caller.
 * 0 and *out, -ENODATA (no capabilities), or -errno (EOVERFLOW: owned by a root
 * the caller cannot see; EINVAL: malformed value).  raw/raw_len (optional) receive
 * the bytes.
 */
int userns_fcaps_get_fd(int fd, struct userns_fcaps *out, uint8_t raw[USERNS_FCAPS_SIZE_MAX],
                        size_t *raw_len, struct userns_error *err);

/*
 * Write `caps` (revision 2 or 3) to an open regular file.  The value is encoded and
 * checked before anything is written; setxattr replaces the value atomically, so on
 * any failure the file keeps its previous value (or none).
 */
int userns_fcaps_set_fd(int fd, const struct userns_fcaps *caps, struct userns_error *err);

/* Remove security.capability; -ENODATA when there was none. */
int userns_fcaps_remove_fd(int fd, struct userns_error *err);

/* Open `path` for the calls above: a regular file, not following a final symlink. */
int userns_fcaps_open(const char *path, struct userns_error *err);
