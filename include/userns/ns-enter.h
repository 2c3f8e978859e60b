/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Joining namespaces: a set of namespaces taken from a process (its user
 * namespace and the namespaces of the other types that this user namespace owns
 * and the process is in) or from nsfs files, joined with setns() in the order
 * the kernel requires: user first, so that CAP_SYS_ADMIN over the others is
 * held (KERNEL-RULES §3.2: the kernel's own order for setns(pidfd) is user,
 * mnt, uts, ipc, pid, cgroup, net, time, and that is the order of
 * enum userns_ns_type).  With a pidfd the kernel does it all at once.
 */

#include "userns/ns.h"

struct userns_ns_set {
        int fd[USERNS_NS_TYPE_COUNT];       /* -1 when that type is not joined */
        struct userns_ns_id id[USERNS_NS_TYPE_COUNT];
        int pidfd;                          /* -1 unless taken from a live process */
        pid_t pid;                          /* 0 unless taken from a process */
};

void userns_ns_set_init(struct userns_ns_set *set);
void userns_ns_set_close(struct userns_ns_set *set);

/*
 * From a process: its user namespace, plus each type in `types` where the
 * process's namespace is owned by that user namespace and differs from ours.
 */
int userns_ns_set_from_pid(pid_t pid, unsigned types, struct userns_ns_set *set,
                           struct userns_error *err);
/*
 * From a path: an nsfs file (a user namespace; or another type, then with its
 * owning user namespace unless that is ours), or a directory of nsfs files
 * named by type ("user", "mnt", "net", ...) such as a kept namespace.
 */
int userns_ns_set_from_path(const char *path, unsigned types, struct userns_ns_set *set,
                            struct userns_error *err);

enum {
        USERNS_ENTER_PRESERVE_CREDENTIALS = 1u << 0,  /* keep our ids (default: become 0:0) */
        USERNS_ENTER_NO_PIDFD = 1u << 1,              /* join fd by fd even with a pidfd */
};

/*
 * Join the set in the calling process.  When the user namespace is the caller's
 * own it is skipped (the kernel refuses to re-enter it) and the others are joined;
 * credentials change only when a user namespace was joined.  Errors name the
 * cause: the target is gone (ESRCH), the caller is multithreaded (EINVAL),
 * nothing but the caller's own user namespace to join (EINVAL), no CAP_SYS_ADMIN
 * in the target (EPERM), uid/gid 0 not mapped (EINVAL).  Pid and time namespaces
 * apply to children: fork after this.
 */
int userns_ns_set_join(const struct userns_ns_set *set, unsigned flags, struct userns_error *err);
/* True when the set holds a pid or time namespace (only children enter those). */
bool userns_ns_set_needs_fork(const struct userns_ns_set *set);

/* Number of threads of the calling process (from /proc/self/status), or -errno. */
int userns_ns_thread_count(void);
