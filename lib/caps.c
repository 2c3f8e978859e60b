/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capability sets: names and text via libcap, reading a process's sets, applying a set. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "userns/caps.h"
#include "caps-private.h"
#include "util/cleanup.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

unsigned userns_caps_last_cap(void)
{
        /* libcap reads /proc/sys/kernel/cap_last_cap (or probes the bounding set). */
        int bits = cap_max_bits();
        if (bits <= 0 || bits > 64)
                bits = CAP_LAST_CAP + 1;
        return (unsigned)bits - 1;
}

uint64_t userns_caps_all(void)
{
        unsigned last = userns_caps_last_cap();
        return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

const char *userns_cap_name(unsigned cap, char *buf, size_t size)
{
        char *n = cap <= userns_caps_last_cap() ? cap_to_name((cap_value_t)cap) : NULL;
        /* libcap names caps it does not know by number; keep that. */
        snprintf(buf, size, "%s", n ? n : "");
        if (!n)
                snprintf(buf, size, "%u", cap);
        cap_free(n);
        return buf;
}

/* One item of a list: "all", "none", a name (with or without cap_) or a number. */
static int parse_item(const char *item, uint64_t *bits, struct userns_error *err)
{
        char name[64];
        size_t len = strlen(item);
        if (len == 0)
                return userns_error_set(err, EINVAL, "capability list has an empty item");
        if (len + 5 > sizeof name)
                return userns_error_set(err, EINVAL, "capability '%.40s...' is not a capability name", item);
        if (strcasecmp(item, "all") == 0) {
                *bits = userns_caps_all();
                return 0;
        }
        if (strcasecmp(item, "none") == 0) {
                *bits = 0;
                return 0;
        }
        if (isdigit((unsigned char)item[0])) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(item, &end, 10);
                if (errno || *end || v > userns_caps_last_cap())
                        return userns_error_set(err, EINVAL,
                                "capability '%s' is not a number from 0 to %u (this kernel's last capability)",
                                item, userns_caps_last_cap());
                *bits = UINT64_C(1) << v;
                return 0;
        }
        size_t o = 0;
        if (strncasecmp(item, "cap_", 4) != 0) {
                memcpy(name, "cap_", 4);
                o = 4;
        }
        for (size_t i = 0; i <= len; i++)
                name[o + i] = (char)tolower((unsigned char)item[i]);
        cap_value_t v;
        if (cap_from_name(name, &v) != 0 || v < 0 || (unsigned)v > userns_caps_last_cap())
                return userns_error_set(err, EINVAL, "'%s' is not a capability this kernel knows (see capabilities(7))",
                                        item);
        *bits = UINT64_C(1) << v;
        return 0;
}

/* Call fn for each comma-separated item of text, trimmed; empty items reach fn as "". */
static int split_list(const char *text, const char *what, int (*fn)(char *item, void *ctx, struct userns_error *err),
                      void *ctx, struct userns_error *err)
{
        if (!text)
                return userns_error_set(err, EINVAL, "no %s", what);
        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return userns_error_errno(err, ENOMEM, "%s", what);
        /* strtok_r would skip empty items; split by hand so "a,,b" is an error. */
        for (char *p = copy;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = '\0';
                while (isspace((unsigned char)*p))
                        p++;
                for (char *e = p + strlen(p); e > p && isspace((unsigned char)e[-1]);)
                        *--e = '\0';
                int r = fn(p, ctx, err);
                if (r < 0)
                        return r;
                if (!comma)
                        return 0;
                p = comma + 1;
        }
}

static int caps_item(char *item, void *ctx, struct userns_error *err)
{
        uint64_t *acc = ctx, bits = 0;
        bool remove = *item == '-' || *item == '!' || *item == '^';
        if (remove)
                item++;
        int r = parse_item(item, &bits, err);
        if (r < 0)
                return r;
        if (strcasecmp(item, "none") == 0 && !remove)
                *acc = 0;       /* "none" starts over */
        *acc = remove ? *acc & ~bits : *acc | bits;
        return 0;
}

int userns_caps_parse(const char *text, uint64_t *set, struct userns_error *err)
{
        uint64_t acc = 0;
        int r = split_list(text, "capability list", caps_item, &acc, err);
        if (r == 0)
                *set = acc;
        return r;
}

/* snprintf into buf at *off; -ENOSPC when it does not fit. */
__attribute__((format(printf, 4, 5)))
static int append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf + *off, size - *off, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size - *off)
                return -ENOSPC;
        *off += (size_t)n;
        return 0;
}

int userns_caps_format(uint64_t set, char *buf, size_t size)
{
        if (!buf || size == 0)
                return -ENOSPC;
        uint64_t all = userns_caps_all();
        size_t off = 0;
        buf[0] = '\0';
        char name[32];
        int r;
        if (set == 0)
                return append(buf, size, &off, "none") < 0 ? -ENOSPC : (int)off;
        bool negate = __builtin_popcountll(set & all) * 2 > __builtin_popcountll(all);
        if (negate) {
                if ((r = append(buf, size, &off, "all")) < 0)
                        return r;
                for (unsigned c = 0; c < 64; c++)
                        if ((all & (UINT64_C(1) << c)) && !(set & (UINT64_C(1) << c)))
                                if ((r = append(buf, size, &off, ",-%s", userns_cap_name(c, name, sizeof name))) < 0)
                                        return r;
        }
        for (unsigned c = 0; c < 64; c++) {
                uint64_t b = UINT64_C(1) << c;
                if (!(set & b) || (negate && (all & b)))
                        continue;
                if ((r = append(buf, size, &off, "%s%s", off ? "," : "", userns_cap_name(c, name, sizeof name))) < 0)
                        return r;
        }
        return (int)off;
}

static const char *const secbit_names[12] = {
        "noroot", "noroot-locked", "no-setuid-fixup", "no-setuid-fixup-locked",
        "keep-caps", "keep-caps-locked", "no-cap-ambient-raise", "no-cap-ambient-raise-locked",
        "exec-restrict-file", "exec-restrict-file-locked",
        "exec-deny-interactive", "exec-deny-interactive-locked",
};

static int secbit_item(char *p, void *ctx, struct userns_error *err)
{
        unsigned *acc = ctx;
        if (strcmp(p, "none") == 0)
                return 0;
        for (unsigned i = 0; i < ELEMENTSOF(secbit_names); i++)
                if (strcmp(p, secbit_names[i]) == 0) {
                        *acc |= 1u << i;
                        return 0;
                }
        if (isdigit((unsigned char)*p)) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(p, &end, 0);
                if (errno || *end || (v & ~(unsigned long)USERNS_SECBITS_KNOWN))
                        return userns_error_set(err, EINVAL,
                                "securebits '%s' holds bits this kernel does not define (known: 0x%x)",
                                p, USERNS_SECBITS_KNOWN);
                *acc |= (unsigned)v;
                return 0;
        }
        return userns_error_set(err, EINVAL,
                "'%s' is not a securebit (noroot, no-setuid-fixup, keep-caps, no-cap-ambient-raise, "
                "exec-restrict-file, exec-deny-interactive, each also with -locked)", p);
}

int userns_securebits_parse(const char *text, unsigned *bits, struct userns_error *err)
{
        unsigned acc = 0;
        int r = split_list(text, "securebits list", secbit_item, &acc, err);
        if (r == 0)
                *bits = acc;
        return r;
}

int userns_securebits_format(unsigned bits, char *buf, size_t size)
{
        if (!buf || size == 0)
                return -ENOSPC;
        size_t off = 0;
        buf[0] = '\0';
        if (bits == 0)
                return append(buf, size, &off, "none") < 0 ? -ENOSPC : (int)off;
        for (unsigned i = 0; i < ELEMENTSOF(secbit_names); i++)
                if ((bits & (1u << i)) && append(buf, size, &off, "%s%s", off ? "," : "", secbit_names[i]) < 0)
                        return -ENOSPC;
        if ((bits & ~USERNS_SECBITS_KNOWN) &&
            append(buf, size, &off, "%s0x%x", off ? "," : "", bits & ~USERNS_SECBITS_KNOWN) < 0)
                return -ENOSPC;
        return (int)off;
}

/* "Key:\tVALUE" lines of /proc/PID/status. */
static int status_hex(const char *val, uint64_t *out)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(val, &end, 16);
        if (errno || end == val || (*end && *end != '\n'))
                return -EINVAL;
        *out = v;
        return 0;
}

int userns_caps_parse_status(const char *text, struct userns_caps_state *st, struct userns_error *err)
{
        static const char *const keys[5] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
        uint64_t *dst[5] = { &st->inheritable, &st->permitted, &st->effective, &st->bounding, &st->ambient };
        unsigned seen = 0;
        *st = (struct userns_caps_state){ .securebits = -1, .no_new_privs = -1, .seccomp = -1 };
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                char buf[256];
                if (len < sizeof buf) {
                        memcpy(buf, line, len);
                        buf[len] = '\0';
                        char *val = strchr(buf, ':');
                        if (val) {
                                val++;
                                while (*val == '\t' || *val == ' ')
                                        val++;
                                for (unsigned i = 0; i < 5; i++)
                                        if (strncmp(buf, keys[i], strlen(keys[i])) == 0) {
                                                if (status_hex(val, dst[i]) < 0)
                                                        return userns_error_set(err, EINVAL,
                                                                "status line '%s': not a hexadecimal set", buf);
                                                seen |= 1u << i;
                                        }
                                if (strncmp(buf, "NoNewPrivs:", 11) == 0)
                                        st->no_new_privs = atoi(val) != 0;
                                else if (strncmp(buf, "Seccomp:", 8) == 0)
                                        st->seccomp = atoi(val);
                                else if (strncmp(buf, "Uid:", 4) == 0 &&
                                         sscanf(val, "%" SCNu32 " %" SCNu32 " %" SCNu32 " %" SCNu32,
                                                &st->uid[0], &st->uid[1], &st->uid[2], &st->uid[3]) == 4)
                                        seen |= 1u << 5;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        if ((seen & 0x1f) != 0x1f)
                return userns_error_set(err, EINVAL, "status text lacks the Cap{Inh,Prm,Eff,Bnd,Amb} lines");
        return 0;
}

int userns_caps_read(pid_t pid, struct userns_caps_state *st, struct userns_error *err)
{
        char path[64];
        if (pid < 0)
                return userns_error_set(err, EINVAL, "pid %d is not a process id", (int)pid);
        if (pid == 0)
                snprintf(path, sizeof path, "/proc/thread-self/status");
        else
                snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return userns_error_errno(err, errno, "%s", path);
        char text[8192];
        size_t n = fread(text, 1, sizeof text - 1, f);
        if (ferror(f))
                return userns_error_errno(err, EIO, "%s", path);
        text[n] = '\0';
        int r = userns_caps_parse_status(text, st, err);
        if (r < 0)
                return userns_error_prefix(err, "%s", path);
        if (pid == 0) {
                int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
                st->securebits = sb < 0 ? -1 : sb;
        }
        return 0;
}

/* capset(2) through libcap for the calling thread. */
int caps_set(uint64_t permitted, uint64_t effective, uint64_t inheritable, struct userns_error *err)
{
        cap_t c = cap_init();
        if (!c)
                return userns_error_errno(err, errno, "capability state");
        cap_value_t list[64];
        const uint64_t sets[3] = { permitted, effective, inheritable };
        const cap_flag_t flags[3] = { CAP_PERMITTED, CAP_EFFECTIVE, CAP_INHERITABLE };
        int r = 0;
        for (unsigned s = 0; s < 3 && r == 0; s++) {
                int n = 0;
                for (unsigned b = 0; b < 64; b++)
                        if (sets[s] & (UINT64_C(1) << b))
                                list[n++] = (cap_value_t)b;
                if (n && cap_set_flag(c, flags[s], n, list, CAP_SET) != 0)
                        r = -errno;
        }
        if (r == 0 && cap_set_proc(c) != 0)
                r = -errno;
        cap_free(c);
        if (r < 0) {
                char p[USERNS_CAPS_TEXT_MAX];
                userns_caps_format(permitted, p, sizeof p);
                return userns_error_errno(err, -r, "setting permitted=%s", p);
        }
        return 0;
}

int caps_apply_sets(uint64_t keep, uint64_t bound, bool final, struct userns_error *err)
{
        struct userns_caps_state st;
        int r = userns_caps_read(0, &st, err);
        if (r < 0)
                return r;
        keep &= bound;
        uint64_t missing = keep & ~st.permitted;
        if (missing) {
                char t[USERNS_CAPS_TEXT_MAX];
                userns_caps_format(missing, t, sizeof t);
                return userns_error_set(err, EPERM,
                        "cannot keep %s: not in the permitted set (a process can only lower its capabilities)", t);
        }
        /* Everything permitted becomes effective, so the steps below may use CAP_SETPCAP. */
        if ((r = caps_set(st.permitted, st.permitted, st.inheritable & st.permitted, err)) < 0)
                return r;
        for (unsigned c = 0; c <= userns_caps_last_cap(); c++) {
                uint64_t b = UINT64_C(1) << c;
                if ((st.bounding & b) && !(bound & b) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        char n[32];
                        return userns_error_errno(err, errno, "dropping %s from the bounding set (needs cap_setpcap)",
                                                  userns_cap_name(c, n, sizeof n));
                }
        }
        /* The inheritable set bounds the ambient set. */
        if ((r = caps_set(st.permitted, st.permitted, keep, err)) < 0)
                return r;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return userns_error_errno(err, errno, "clearing the ambient set");
        for (unsigned c = 0; c <= userns_caps_last_cap(); c++)
                if ((keep & (UINT64_C(1) << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
                        char n[32];
                        return userns_error_errno(err, errno,
                                "raising %s in the ambient set (refused under securebit no-cap-ambient-raise)",
                                userns_cap_name(c, n, sizeof n));
                }
        return final ? caps_lower(keep, err) : 0;
}

int caps_lower(uint64_t keep, struct userns_error *err)
{
        return caps_set(keep, keep, keep, err);
}

int userns_caps_apply(uint64_t keep, struct userns_error *err)
{
        return caps_apply_sets(keep, keep, true, err);
}
