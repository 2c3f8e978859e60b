/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A process's capabilities as the kernel applies them (`userns caps`): its five sets,
 * securebits and no_new_privs, the user namespace they count in, and for every user namespace
 * visible here (the process's ancestors and every namespace a live process is in) what
 * cap_capable() would grant it there, decided by the model in caps-model.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/caps-model.h"
#include "userns/caps.h"
#include "userns/error.h"

struct userns_caps_view_ns {
        uint64_t ino;                   /* nsfs inode ("user:[ino]") */
        uint64_t parent_ino;            /* 0 when not visible from here (the top) */
        unsigned level;                 /* relative to the top visible namespace */
        uint32_t owner;                 /* NS_GET_OWNER_UID, as the reader sees it */
        bool is_own;                    /* the process's namespace */
        bool is_ancestor;               /* above the process's namespace */
        uint64_t caps;                  /* what the process holds over it */
        enum userns_cap_rule rule;      /* why */
};

struct userns_caps_view {
        pid_t pid;                      /* 0: the calling process */
        struct userns_caps_state state;
        uint64_t ns_ino;                /* the process's user namespace */
        size_t n;
        struct userns_caps_view_ns *ns; /* sorted by level, then inode */
        bool native;                    /* kernel has a user-namespace capability set */
};

/* Collect the view for pid (0 = self). */
int userns_caps_view_new(pid_t pid, struct userns_caps_view **out, struct userns_error *err);
void userns_caps_view_free(struct userns_caps_view *v);
