/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Capability sets of a process.
 *
 * A set is a 64-bit mask, bit N = capability N (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40 on
 * 6.x).  Names come from libcap, so "cap_net_admin", "net_admin", "CAP_NET_ADMIN" and "12" all
 * name the same capability.  "all" is every capability the running kernel knows
 * (/proc/sys/kernel/cap_last_cap), "none" the empty set.
 *
 * The five sets of a task (capabilities(7)): inheritable, permitted, effective, bounding,
 * ambient; plus its securebits and no_new_privs flag.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "userns/error.h"

/* Long enough for any set's text (41 names of at most 23 characters and commas). */
#define USERNS_CAPS_TEXT_MAX 1024

/* The highest capability number the running kernel knows (40 on 6.x). */
unsigned userns_caps_last_cap(void);
/* Every capability the running kernel knows. */
uint64_t userns_caps_all(void);

/*
 * Parse a capability list: comma-separated items, evaluated left to right from the empty set.
 * An item is "all", "none", a libcap name with or without the "cap_" prefix (any case) or a
 * number; a leading '-' removes it instead ("all,-cap_net_admin": everything but
 * CAP_NET_ADMIN).  Unknown names and numbers above userns_caps_last_cap() are -EINVAL naming
 * the item.
 */
int userns_caps_parse(const char *text, uint64_t *set, struct userns_error *err);

/*
 * Write a set as text the parser reads back: "none", "all", "all,-cap_a,-cap_b" when the set
 * holds more than half of all capabilities, else "cap_a,cap_b".  Bits above the kernel's last
 * capability are written as numbers.  Returns the length or -ENOSPC.
 */
int userns_caps_format(uint64_t set, char *buf, size_t size);

/* The libcap name of a capability ("cap_net_admin"), or its number as text; buf >= 32 bytes. */
const char *userns_cap_name(unsigned cap, char *buf, size_t size);

/* Securebits (linux/securebits.h); bits 8..11 are exec-restrict-file and exec-deny-interactive (6.14+). */
#define USERNS_SECBIT_NOROOT                    (1u << 0)
#define USERNS_SECBIT_NOROOT_LOCKED             (1u << 1)
#define USERNS_SECBIT_NO_SETUID_FIXUP           (1u << 2)
#define USERNS_SECBIT_NO_SETUID_FIXUP_LOCKED    (1u << 3)
#define USERNS_SECBIT_KEEP_CAPS                 (1u << 4)
#define USERNS_SECBIT_KEEP_CAPS_LOCKED          (1u << 5)
#define USERNS_SECBIT_NO_CAP_AMBIENT_RAISE      (1u << 6)
#define USERNS_SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1u << 7)
#define USERNS_SECBIT_EXEC_RESTRICT_FILE        (1u << 8)
#define USERNS_SECBIT_EXEC_RESTRICT_FILE_LOCKED (1u << 9)
#define USERNS_SECBIT_EXEC_DENY_INTERACTIVE     (1u << 10)
#define USERNS_SECBIT_EXEC_DENY_INTERACTIVE_LOCKED (1u << 11)
#define USERNS_SECBITS_KNOWN                    0xfffu

/*
 * Parse securebits: comma-separated names as systemd spells them ("noroot", "noroot-locked",
 * "no-setuid-fixup", "no-setuid-fixup-locked", "keep-caps", "keep-caps-locked",
 * "no-cap-ambient-raise", "no-cap-ambient-raise-locked", "exec-restrict-file",
 * "exec-deny-interactive", each with "-locked") or a number (0x.. allowed).
 */
int userns_securebits_parse(const char *text, unsigned *bits, struct userns_error *err);
/* "noroot,noroot-locked" or "none"; unknown bits as a hex number.  Returns length or -ENOSPC. */
int userns_securebits_format(unsigned bits, char *buf, size_t size);

struct userns_caps_state {
        uint64_t inheritable, permitted, effective, bounding, ambient;
        int securebits;         /* -1: unknown (the kernel shows them only to the process itself) */
        int no_new_privs;       /* 0 or 1; -1 unknown */
        int seccomp;            /* 0 off, 1 strict, 2 filter; -1 unknown */
        uint32_t uid[4];        /* real, effective, saved, fs: as the reader's namespace sees them */
};

/* Parse the text of /proc/PID/status into st (securebits = -1). */
int userns_caps_parse_status(const char *text, struct userns_caps_state *st, struct userns_error *err);
/* Read a process's state; pid 0 = the calling thread, which also reports its securebits. */
int userns_caps_read(pid_t pid, struct userns_caps_state *st, struct userns_error *err);

/*
 * Make `keep` the calling thread's bounding, permitted, effective, inheritable and ambient set,
 * so the capabilities hold for root and non-root ids alike and survive execve(2) (through the
 * ambient set).  Needs CAP_SETPCAP and every capability of `keep` in the permitted set; it
 * raises the effective set from the permitted set first.  -EPERM names a missing capability.
 */
int userns_caps_apply(uint64_t keep, struct userns_error *err);
