/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Namespaces through nsfs: open /proc/PID/ns/… and nsfs bind mounts, identify
 * a namespace (nsfs st_dev + st_ino, the number readlink shows as "user:[N]"),
 * and ask the kernel about it with the nsfs ioctls (KERNEL-RULES §3.3):
 * NS_GET_NSTYPE, NS_GET_PARENT, NS_GET_USERNS, NS_GET_OWNER_UID.
 *
 * Also: the maps of a user namespace relative to its parent, the tree of every
 * visible user namespace, a process's ids at every level, joining namespaces
 * (setns), and keeping namespaces alive with bind mounts.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/error.h"
#include "userns/idmap.h"

/* The namespace types, in the order the kernel installs them for setns(pidfd)
 * (kernel/nsproxy.c: validate_nsset(): user first, then mnt uts ipc pid cgroup net time). */
enum userns_ns_type {
        USERNS_NS_USER,
        USERNS_NS_MNT,
        USERNS_NS_UTS,
        USERNS_NS_IPC,
        USERNS_NS_PID,
        USERNS_NS_CGROUP,
        USERNS_NS_NET,
        USERNS_NS_TIME,
        USERNS_NS_TYPE_COUNT,
};

#define USERNS_NS_ALL_TYPES ((1u << USERNS_NS_TYPE_COUNT) - 1)
#define USERNS_NS_BIT(t)    (1u << (t))

/* The initial user namespace's fixed inode number (0xEFFFFFFD, include/linux/proc_ns.h). */
#define USERNS_INIT_USER_NS_INO 4026531837u

/* "user", "mnt", ... as in /proc/PID/ns/ (NULL when out of range). */
const char *userns_ns_type_name(enum userns_ns_type type);
/* The CLONE_NEW* flag of a type, and back (-EINVAL when unknown). */
int userns_ns_type_flag(enum userns_ns_type type);
int userns_ns_type_from_flag(int flag, enum userns_ns_type *type);
int userns_ns_type_from_name(const char *name, enum userns_ns_type *type);
/* Comma-separated type names ("user,net,mnt"; "all") into a bit mask. */
int userns_ns_types_parse(const char *list, unsigned *mask, struct userns_error *err);

/* Identity of a namespace: equal iff the same namespace. */
struct userns_ns_id {
        uint64_t dev;
        uint64_t ino;
};

/* Open /proc/PID/ns/NAME (pid 0 = self); O_RDONLY|O_CLOEXEC.  Returns the fd. */
int userns_ns_open(pid_t pid, enum userns_ns_type type, struct userns_error *err);
/* Open any path that must be an nsfs file (bind mount, /proc/PID/ns/x, /proc/PID/fd/N). */
int userns_ns_open_path(const char *path, struct userns_error *err);
/* Is fd an nsfs file?  1 yes, 0 no, -errno. */
int userns_ns_is_nsfs(int fd);
/* Identity and type of an nsfs fd (either pointer may be NULL). */
int userns_ns_identify(int fd, struct userns_ns_id *id, enum userns_ns_type *type,
                       struct userns_error *err);
/* "user:[4026531837]" for a type and inode (buf of at least 32 bytes). */
const char *userns_ns_format(enum userns_ns_type type, uint64_t ino, char *buf, size_t size);

/* NS_GET_PARENT (user and pid namespaces): new fd, -EPERM above the caller's reach. */
int userns_ns_get_parent(int fd, struct userns_error *err);
/* NS_GET_USERNS: the owning user namespace (for a user namespace, its parent). */
int userns_ns_get_userns(int fd, struct userns_error *err);
/* NS_GET_OWNER_UID: owner of a user namespace as seen from the caller (65534 if unmapped). */
int userns_ns_get_owner_uid(int fd, uint32_t *uid, struct userns_error *err);

/*
 * The maps of a user namespace relative to its PARENT, and its setgroups state.
 *
 * /proc/PID/uid_map prints lower ids relative to the opener's namespace, except
 * that an opener inside the namespace itself sees them relative to the parent
 * (KERNEL-RULES §1.4.3).  So this forks a short-lived probe that setns()es into
 * the namespace and reads /proc/self/{uid_map,gid_map,setgroups}: the lines come
 * out exactly as written by the namespace's creator.  That needs CAP_SYS_ADMIN in
 * the namespace (root of an ancestor, or its owner); otherwise -EPERM.  The
 * caller's own namespace is read directly.  Unwritten maps are empty.
 */
struct userns_ns_maps {
        struct userns_idmap *uid;
        struct userns_idmap *gid;
        int setgroups;          /* 1 allow, 0 deny, -1 unknown */
};
int userns_ns_read_maps(int userns_fd, struct userns_ns_maps *out, struct userns_error *err);
/*
 * PID's maps and setgroups as read by the same kind of probe after it joins the
 * user namespace userns_fd: lower ids relative to that namespace (or to the
 * parent of PID's namespace when userns_fd is PID's namespace itself).  Joining
 * the parent of PID's namespace gives the same view as userns_ns_read_maps() on
 * PID's namespace; both need CAP_SYS_ADMIN in the joined namespace, else -EPERM.
 */
int userns_ns_read_pid_maps_from(int userns_fd, pid_t pid, struct userns_ns_maps *out,
                                 struct userns_error *err);
void userns_ns_maps_done(struct userns_ns_maps *maps);

/* Parse /proc/PID/status text: real uid, real gid and supplementary groups. */
int userns_ns_parse_status(const char *text, uint32_t *uid, uint32_t *gid,
                           uint32_t **groups, size_t *ngroups, struct userns_error *err);
