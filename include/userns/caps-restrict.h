/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Restricting a user namespace: a capability ceiling for the namespace and every user
 * namespace created beneath it (`userns run --userns-caps`).
 *
 * A new user namespace starts with every capability, and so does each nested one: the kernel
 * resets bounding, permitted and effective to the full set in set_cred_user_ns().  A kernel
 * proposal (Calmels 2024, "user namespace capabilities", prctl PR_CAP_USERNS = 48) would carry a
 * per-task set into nested namespaces; it was never merged.  userns detects it by feature test
 * and uses it when present.  Otherwise the ceiling is guaranteed by:
 *   - the bounding set cut to the ceiling, so neither exec of setuid-root programs nor file
 *     capabilities can bring a capability back (pP' is limited by the bounding set);
 *   - no nested user namespace at all: /proc/sys/user/max_user_namespaces = 0 inside (the
 *     namespace owns that table) and a seccomp filter that fails unshare(2)/clone(2) with
 *     CLONE_NEWUSER with EPERM and clone3(2) with ENOSYS, so callers fall back to clone(2);
 *   - securebits noroot, no-setuid-fixup, keep-caps (off) and no-cap-ambient-raise, all locked,
 *     so uid 0 gets nothing from being uid 0 and nothing can be raised again.
 */

#include <stdbool.h>
#include <stdint.h>

#include "userns/error.h"

/* prctl(2) option of the unmerged proposal, and its "is set" operation. */
#define USERNS_PR_CAP_USERNS            48
#define USERNS_PR_CAP_USERNS_IS_SET     1
#define USERNS_PR_CAP_USERNS_LOWER      3

/* The securebits that lock the ceiling when the kernel has no native facility (0xef). */
#define USERNS_CAPS_CEILING_SECUREBITS 0xefu

enum userns_nested {
        USERNS_NESTED_DEFAULT = 0,      /* deny when a ceiling is set without native support, else leave */
        USERNS_NESTED_ALLOW,
        USERNS_NESTED_DENY,
};

/*
 * The command's capabilities K and the bounding set B:
 *   base = keep when keep_set, else the default: every permitted capability for uid 0 of the
 *          namespace, none for other uids (what execve would give them);
 *   K    = (base | add) & ~drop, and & ceiling;
 *   B    = K when keep_set, add or drop is given, else the bounding set; & ceiling.
 * K becomes the permitted, effective, inheritable and ambient set (so it survives execve for
 * root and non-root ids alike); B the bounding set.  Nothing changes when none is given.
 */
struct userns_caps_policy {
        bool keep_set;                  /* --caps */
        uint64_t keep;
        uint64_t add, drop;             /* --cap-add, --cap-drop */
        bool ceiling_set;               /* --userns-caps */
        uint64_t ceiling;
        enum userns_nested nested;
        bool no_new_privs;
        unsigned securebits;            /* extra securebits to set (ORed) */
};

/* What userns_caps_policy_apply() did. */
struct userns_caps_report {
        bool native;                    /* the kernel's per-namespace set was used */
        bool nested_blocked;
        bool sysctl_written;            /* max_user_namespaces = 0 written */
        int sysctl_errno;               /* why not, when not */
        bool seccomp;                   /* the CLONE_NEWUSER filter is installed */
        unsigned securebits;            /* securebits after applying */
};

/*
 * Whether the running kernel has a native user-namespace capability set: /proc/self/status
 * shows "CapUNs:" and prctl(48, IS_SET, 0) is not EINVAL.  Returns 1 or 0.  Linux 6.18 has none.
 */
int userns_caps_native_userns_caps(void);

/* Parse "allow" or "deny". */
int userns_nested_parse(const char *text, enum userns_nested *out, struct userns_error *err);

/*
 * Check and complete a policy before anything is created: explicit capabilities (keep, add)
 * must lie within the ceiling (-EINVAL), the nesting default is decided, and a ceiling with
 * nesting allowed is refused (-EPERM) unless `native`.
 */
int userns_caps_policy_resolve(struct userns_caps_policy *p, bool native, struct userns_error *err);

/*
 * Apply a resolved policy to the calling (single-threaded) process, typically in a new user
 * namespace just before execve(2).  Needs CAP_SETPCAP and, to block nesting, CAP_SYS_ADMIN in
 * its namespace (or no_new_privs) and ideally CAP_SYS_RESOURCE (for the sysctl).
 */
int userns_caps_policy_apply(const struct userns_caps_policy *p, struct userns_caps_report *rep,
                             struct userns_error *err);

/*
 * Before the identity switch (userns run's INSIDE_SETUP stage): keep the permitted set across a
 * change to a non-zero uid (PR_SET_KEEPCAPS), so userns_caps_policy_apply() can still grant the
 * command its set afterwards.  execve(2) clears the flag.  With a ceiling or nesting denied it
 * also makes the process non-dumpable: a process that stays in the namespace with every
 * capability (userns run's PID 1) cannot then be ptraced by the restricted command.
 */
int userns_caps_policy_prepare(const struct userns_caps_policy *p, struct userns_error *err);

/* Whether the policy changes anything at all. */
bool userns_caps_policy_empty(const struct userns_caps_policy *p);

/* Install only the seccomp filter against new user namespaces (EPERM / clone3 ENOSYS). */
int userns_caps_seccomp_deny_userns(bool set_no_new_privs, struct userns_error *err);
