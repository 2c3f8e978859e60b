/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kernel's capability check, as a pure model (security/commoncap.c: cap_capable()).
 *
 * "Does a task with these credentials have capability C over user namespace T?"  Starting at
 * T, the kernel walks up:
 *   1. T is the task's own user namespace: the answer is its effective set.
 *   2. T is not below the task's namespace (its level is not deeper): no capability at all,
 *      so none over ancestors or siblings.
 *   3. T's parent is the task's namespace and T's owner is the task's euid: every capability
 *      (the owner rule: the creator keeps full power over what it created, whatever its sets).
 *   4. Otherwise continue with T's parent.
 * So a task holds its effective set in its own namespace and every descendant, all
 * capabilities in namespaces its euid owns directly below its own (and their descendants),
 * and nothing anywhere else.
 */

#include <stdbool.h>
#include <stdint.h>

struct userns_capns {
        const struct userns_capns *parent;      /* NULL for the initial namespace */
        unsigned level;                         /* 0 for the initial namespace, parent's + 1 */
        uint32_t owner;                         /* kernel uid of the creator's euid */
        uint64_t id;                            /* the caller's label (e.g. nsfs inode); not used */
};

struct userns_capcred {
        const struct userns_capns *ns;          /* the namespace of the credentials */
        uint32_t euid;                          /* kernel uid */
        uint64_t effective;                     /* effective capability set */
};

enum userns_cap_rule {
        USERNS_CAP_RULE_EFFECTIVE,      /* walk reached the task's namespace: effective set decides */
        USERNS_CAP_RULE_OWNER,          /* owner rule: all capabilities */
        USERNS_CAP_RULE_NOT_BELOW,      /* an ancestor or sibling: none */
};

struct userns_cap_verdict {
        enum userns_cap_rule rule;
        const struct userns_capns *at;  /* where the walk stopped (own ns, owned child, or T) */
};

/* The set of capabilities `cred` holds over `target`; `v` (may be NULL) says which rule decided. */
uint64_t userns_cap_model_caps_over(const struct userns_capcred *cred, const struct userns_capns *target,
                                    struct userns_cap_verdict *v);
/* cap_capable(): whether `cred` has capability `cap` (0..63) over `target`. */
bool userns_cap_model_capable(const struct userns_capcred *cred, const struct userns_capns *target, unsigned cap,
                              struct userns_cap_verdict *v);
/* Short English name of a rule: "effective set", "owner rule", "not a descendant". */
const char *userns_cap_rule_name(enum userns_cap_rule rule);
