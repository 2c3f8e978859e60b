/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Filesystem id maps: compute an idmapped mount's map (see mount.h) from what
 * the user means.  Pure model, no system calls.
 *
 * Three maps meet here (uid and gid maps alike):
 *   process map P  container id → host id       (the container's uid_map)
 *   fs map      F  container id → on-disk id    (the fsid-mapping proposal's
 *                                                fsuid_map order: "0 300000 65536"
 *                                                = container 0 is disk 300000)
 *   mount map   M  on-disk id   → host id       (the mount's userns uid_map,
 *                                                ON-DISK VISIBLE COUNT)
 * A file stored as d must appear inside as c where F maps c to d, and the
 * container sees a host id h as P⁻¹(h), so M = P ∘ F⁻¹: M(d) = P(F⁻¹(d)).
 */

#include <stdint.h>

#include "userns/error.h"
#include "userns/idmap.h"

/*
 * M = P ∘ F⁻¹.  Strict: every container id F names must be mapped by P (else
 * -EINVAL naming the first container id P lacks), so no part of the intent is
 * silently dropped.  `what` names F in messages ("--fs-uid-map"); may be NULL.
 */
int userns_fsmap_mount_map(const struct userns_idmap *fs, const struct userns_idmap *process,
                           const char *what, struct userns_idmap **out, struct userns_error *err);

/*
 * The canonical fs map for storage shared by containers with different process
 * maps: container id c is stored on disk as base + c, for every c the process
 * map P maps.  Every container using the same base agrees on the owner of every
 * file.  -ERANGE when base + c would pass 4294967294.
 */
int userns_fsmap_canonical(const struct userns_idmap *process, uint32_t base,
                           struct userns_idmap **out, struct userns_error *err);

/*
 * The fs map that makes files owned by `owner` on disk appear as owned by the
 * container's root: "0 owner 1".
 */
int userns_fsmap_owner(uint32_t owner, struct userns_idmap **out, struct userns_error *err);
