/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Keeping namespaces alive after their last process exits: bind-mount their
 * nsfs files under BASE/NAME/<type> (BASE is /run/userns for root; see
 * userns-rm(1)).  BASE is made a private mount (a bind mount onto itself, as
 * ip-netns does for /run/netns) because a mount namespace file may only be
 * bind-mounted where the mount cannot propagate into that namespace.
 *
 * Bind mounts need CAP_SYS_ADMIN over the caller's mount namespace: root on the
 * host, or an unprivileged user inside a mount namespace it owns (e.g. in a
 * `userns run --mount` session).  Anything else is a clear EPERM.
 */

#include "userns/ns-enter.h"

/* A NAME is 1..64 characters of [A-Za-z0-9._-], not "." or "..". */
int userns_ns_keep_name_check(const char *name, struct userns_error *err);
/* BASE/NAME into a new string. */
int userns_ns_keep_path(const char *base, const char *name, char **out, struct userns_error *err);
/* Bind-mount every namespace of the set under BASE/NAME/. */
int userns_ns_keep(const struct userns_ns_set *set, const char *base, const char *name,
                   struct userns_error *err);
/* Unmount and remove BASE/NAME/; once BASE is empty, undo the self-bind keep made. */
int userns_ns_release(const char *base, const char *name, struct userns_error *err);
