/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cap_capable()'s walk over the user-namespace tree, without syscalls. */
#include <stddef.h>

#include "userns/caps-model.h"

uint64_t userns_cap_model_caps_over(const struct userns_capcred *cred, const struct userns_capns *target,
                                    struct userns_cap_verdict *v)
{
        struct userns_cap_verdict dummy;
        if (!v)
                v = &dummy;
        const struct userns_capns *ns = target;
        for (;;) {
                /* 1. The task's own namespace: its effective set decides. */
                if (ns == cred->ns) {
                        *v = (struct userns_cap_verdict){ USERNS_CAP_RULE_EFFECTIVE, ns };
                        return cred->effective;
                }
                /* 2. Not deeper than the task's namespace: an ancestor or a sibling's branch.
                 *    (A missing parent means an inconsistent tree; treat it like the top.) */
                if (!ns || !cred->ns || ns->level <= cred->ns->level || !ns->parent) {
                        *v = (struct userns_cap_verdict){ USERNS_CAP_RULE_NOT_BELOW, target };
                        return 0;
                }
                /* 3. The owner rule: ns sits directly below the task's namespace and its
                 *    creator had the task's euid. */
                if (ns->parent == cred->ns && ns->owner == cred->euid) {
                        *v = (struct userns_cap_verdict){ USERNS_CAP_RULE_OWNER, ns };
                        return UINT64_MAX;
                }
                /* 4. Up one level. */
                ns = ns->parent;
        }
}

bool userns_cap_model_capable(const struct userns_capcred *cred, const struct userns_capns *target, unsigned cap,
                              struct userns_cap_verdict *v)
{
        if (cap > 63)
                return false;
        return (userns_cap_model_caps_over(cred, target, v) >> cap) & 1;
}

const char *userns_cap_rule_name(enum userns_cap_rule rule)
{
        switch (rule) {
        case USERNS_CAP_RULE_EFFECTIVE:
                return "effective set";
        case USERNS_CAP_RULE_OWNER:
                return "owner rule";
        case USERNS_CAP_RULE_NOT_BELOW:
                return "not a descendant";
        }
        return "?";
}
