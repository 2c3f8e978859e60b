/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every user namespace the caller can see, placed by NS_GET_PARENT.
 *
 * Sources: the namespaces of every process (/proc/PID/ns/…), every nsfs file
 * held open by a process (/proc/PID/fd/…), every nsfs bind mount in every mount
 * namespace we can look into (/proc/PID/mountinfo, opened through
 * /proc/PID/root), and the owners (NS_GET_USERNS) of every non-user namespace
 * found that way.  Each user namespace found is then walked up with
 * NS_GET_PARENT until the kernel refuses (the initial namespace, or the
 * caller's own namespace when the caller is nested), so namespaces held only by
 * a bind mount or an fd are placed where they really are.
 */

#include "userns/ns.h"

#define USERNS_NS_NO_PARENT ((size_t)-1)

struct userns_ns_member {
        pid_t pid;
        char comm[32];
};

/* A non-user namespace owned by a user namespace (with USERNS_TREE_ALL_TYPES). */
struct userns_ns_owned {
        enum userns_ns_type type;
        uint64_t ino;
};

struct userns_ns_node {
        struct userns_ns_id id;
        size_t parent;                  /* index in the tree, or USERNS_NS_NO_PARENT */
        int depth;                      /* 0 = initial namespace; -1 unknown */
        bool initial;                   /* the initial user namespace */
        bool caller;                    /* the caller's own user namespace */
        bool parent_unreachable;        /* NS_GET_PARENT refused (a root that is not the initial ns) */
        bool owner_known;
        uint32_t owner_uid;             /* NS_GET_OWNER_UID: as seen from the caller */
        uint32_t owner_uid_parent;      /* the owner as a uid of the parent (USERNS_ID_INVALID unknown) */

        /* Maps relative to the parent (exact lines via a setns probe, or derived). */
        struct userns_ns_maps maps;
        bool maps_exact;                /* read through a probe inside the namespace */
        char *maps_error;               /* why the maps are unknown (maps.uid == NULL) */
        /* The same maps with lower ids as seen from the caller's namespace. */
        struct userns_idmap *uid_map_caller, *gid_map_caller;

        struct userns_ns_member *members;
        size_t n_members;
        char **holders;                 /* "bind mount /run/x", "fd 5 of pid 12 (comm)" */
        size_t n_holders;
        struct userns_ns_owned *owned;
        size_t n_owned;

        int fd;                         /* private: open while scanning */
};

struct userns_ns_tree {
        struct userns_ns_node *nodes;
        size_t n_nodes;
        char **notes;                   /* what could not be seen, and why */
        size_t n_notes;
};

enum {
        USERNS_TREE_ALL_TYPES = 1u << 0,   /* list the other namespaces each user ns owns */
};

int  userns_ns_tree_scan(unsigned flags, struct userns_ns_tree **out, struct userns_error *err);
void userns_ns_tree_free(struct userns_ns_tree *tree);
/* Index of the node with this inode, or USERNS_NS_NO_PARENT. */
size_t userns_ns_tree_find(const struct userns_ns_tree *tree, uint64_t ino);

/*
 * Pure helper: maps relative to the parent from maps as seen by the caller.
 * `child_caller` has lower ids in the caller's namespace, `parent_caller` is the
 * parent's map in the same terms; the result has lower ids of the parent
 * (child ∘ parent⁻¹).  Extents crossing parent extents come out split.
 */
int userns_ns_map_relative(const struct userns_idmap *child_caller,
                           const struct userns_idmap *parent_caller,
                           struct userns_idmap **out, struct userns_error *err);
