/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Differential test of userns_idmap_check_write() against the running kernel.
 *
 * Random map texts (valid and invalid, biased toward edge cases) are written for
 * real to the uid_map (or gid_map) of a child user namespace that has no map yet,
 * and the kernel's verdict (success, EINVAL, EPERM) is compared with the model's.
 * A failed write installs nothing, so one child serves until a write succeeds;
 * then a fresh child is made.  Two setups:
 *   - writer = root of the initial namespace (parent = identity map);
 *   - writer = root of a namespace P with a random non-identity map, writing the
 *     maps of P's children (the parent-extent EPERM rule).
 *
 * KDIFF_COUNT (default 3000) cases in all; KDIFF_SEED fixes the random seed.
 * One TAP line per class of generated case; the first disagreement is shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "userns/idmap.h"

/* --- random --- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static bool chance(unsigned pct) { return below(100) < pct; }

/* --- text buffer --- */

struct text {
        char buf[8193];         /* always NUL-terminated after len */
        size_t len;
};

static void put(struct text *t, const char *s, size_t n)
{
        if (t->len + n > sizeof t->buf - 1)
                n = sizeof t->buf - 1 - t->len;
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void putf(struct text *t, const char *fmt, ...)
{
        char tmp[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n > 0)
                put(t, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A run of separator whitespace: mostly one space, sometimes odd isspace bytes. */
static void put_space(struct text *t, bool odd)
{
        static const char odd_ws[] = { ' ', '\t', '\v', '\f', '\r', (char)0xA0 };
        if (!odd || chance(60)) {
                put(t, " ", 1);
                return;
        }
        size_t n = 1 + below(3);
        for (size_t i = 0; i < n; i++)
                put(t, &odd_ws[below(sizeof odd_ws)], 1);
}

/* A number as text: usually a plain u32, sometimes one of the kernel's edge cases. */
static void put_number(struct text *t, uint32_t v, bool edgy)
{
        static const char *const edges[] = {
                "4294967295", "4294967294", "4294967296", "4294967297", "8589934591", "8589934592",
                "18446744073709551615", "18446744073709551616", "18446744073709551617",
                "18446744078004518912", /* 2^64 + 2^32 */
                "36893488147419103232", "99999999999999999999999", "0000000000000000000000000001",
                "00", "01000",
        };
        if (edgy && chance(15)) {
                const char *e = edges[below(sizeof edges / sizeof edges[0])];
                put(t, e, strlen(e));
                return;
        }
        putf(t, "%u", v);
}

/* --- extents, biased toward touching, overlapping and wrapping --- */

struct ext { uint32_t first, lower, count; };

static uint32_t rand_start(void)
{
        switch (below(6)) {
        case 0: return (uint32_t)below(10);
        case 1: return (uint32_t)below(100000);
        case 2: return 4294967295u - (uint32_t)below(10);
        case 3: return (uint32_t)rnd();
        case 4: return 1000u * (uint32_t)below(100);
        default: return 100000u + 65536u * (uint32_t)below(8);
        }
}

static uint32_t rand_count(uint32_t first, uint32_t lower)
{
        uint32_t hi = first > lower ? first : lower;
        switch (below(10)) {
        case 0: return 1;
        case 1: return (uint32_t)below(10);                 /* 0 sometimes */
        case 2: return 65536;
        case 3: return chance(50) ? (uint32_t)(4294967296ULL - hi)     /* wraps to exactly 0 */
                                  : (uint32_t)(4294967295ULL - hi);    /* ends at the last usable id */
        case 4: return (uint32_t)rnd();
        default: return 1 + (uint32_t)below(1000);
        }
}

/* Next extent relative to the earlier ones: touching or overlapping by one, or fresh. */
static struct ext rand_extent(const struct ext *prev, size_t n)
{
        struct ext e = { rand_start(), rand_start(), 0 };
        if (n && chance(60)) {
                const struct ext *p = &prev[below(n)];
                uint32_t c = chance(50) ? p->count : 1 + (uint32_t)below(20);
                int how = (int)below(5);
                uint32_t f = how == 0 ? p->first + p->count        /* touch above */
                           : how == 1 ? p->first + p->count - 1    /* overlap by one */
                           : how == 2 ? p->first - c               /* touch below */
                           : how == 3 ? p->first - c + 1           /* overlap below */
                                      : p->first;
                if (chance(50)) {
                        e.first = f;
                        e.lower = chance(50) ? p->lower + p->count + (uint32_t)below(3)
                                             : e.lower;
                } else {
                        e.lower = f - p->first + p->lower;
                        e.first = chance(50) ? p->first + p->count + (uint32_t)below(3) : e.first;
                }
                e.count = c;
                return e;
        }
        e.count = rand_count(e.first, e.lower);
        return e;
}

static void put_extents(struct text *t, const struct ext *e, size_t n, bool odd, bool edgy)
{
        for (size_t i = 0; i < n; i++) {
                if (odd && chance(20))
                        put_space(t, true);
                put_number(t, e[i].first, edgy);
                put_space(t, odd);
                put_number(t, e[i].lower, edgy);
                put_space(t, odd);
                put_number(t, e[i].count, edgy);
                if (odd && chance(20))
                        put_space(t, true);
                if (i + 1 < n) {
                        if (odd && chance(10))
                                put(t, "\r\n", 2);
                        else
                                put(t, "\n", 1);
                }
        }
        /* The end: usually one newline, sometimes none, two, or CR LF. */
        int end = (int)below(10);
        if (end < 6)
                put(t, "\n", 1);
        else if (end == 6)
                put(t, "\n\n", 2);
        else if (end == 7 && odd)
                put(t, "\r\n", 2);
}

/* Mutations: the syntax the kernel's parser must get exactly right. */
static void mutate(struct text *t)
{
        static const char bytes[] = { ' ', '\t', '\v', '\f', '\r', '\n', (char)0xA0, '+', '-', 'x', '0',
                                      '9', 'a', '\0', ',', ':', (char)0x85, (char)0x1c };
        int n = 1 + (int)below(3);
        for (int k = 0; k < n; k++) {
                size_t at = t->len ? below(t->len + 1) : 0;
                switch (below(4)) {
                case 0:         /* insert */
                        if (t->len < sizeof t->buf - 1) {
                                memmove(t->buf + at + 1, t->buf + at, t->len - at);
                                t->buf[at] = bytes[below(sizeof bytes)];
                                t->len++;
                        }
                        break;
                case 1:         /* delete */
                        if (at < t->len) {
                                memmove(t->buf + at, t->buf + at + 1, t->len - at - 1);
                                t->len--;
                        }
                        break;
                case 2:         /* replace */
                        if (at < t->len)
                                t->buf[at] = bytes[below(sizeof bytes)];
                        break;
                default:        /* truncate */
                        t->len = at;
                        break;
                }
        }
        t->buf[t->len] = '\0';
}

/* --- classes of generated cases --- */

enum cls {
        C_VALID, C_EDGE_NUMBERS, C_NEIGHBOURS, C_WHITESPACE, C_MUTATED, C_MANY, C_SIZE, C_JUNK, C_GID,
        C_NESTED, C_FIXED, NCLS
};

/* Hand-picked texts for the parser's quirks (KERNEL-RULES §1.5.6/7, §9 vectors 1-4);
 * the kernel's answer is the expectation, as for the random ones. */
static const char *const fixed_texts[] = {
        "0 1000 1\n\n", "4294967296 1000 1", "0 0 4294967295", "1 0 4294967295", "0 1 4294967295",
        "18446744073709551616 1000 1", "18446744073709551615 1000 1", "18446744078004518912 1000 1",
        "0 18446744073709551616 1", "0 1000 18446744073709551617", "99999999999999999999999999 1000 1",
        "0\2401000\2401", "\2400 1000 1\240", "0\2051000 1", "0\0341000 1", "0 1000 1\r\n", "0 1000 1\r",
        "\r\n", "\n", " ", "", "0 1000 1\n ", "0 1000 1 \n", "\v0\f1000\t1\v", "+0 1000 1", "-0 1000 1",
        "0x10 1000 1", "0 1000", "0 1000 ", "0 1000 1 1", "0 1000 1x", "0 1000 1\0junk", "\0", "00 01000 001",
        "0 1000 10\n10 1010 10", "0 1000 10\n9 1010 10", "0 1000 10\n10 1009 10", "4294967294 0 1",
        "4294967295 0 1", "0 4294967295 1", "0 4294967294 1", "0 0 0",
};
static const char *const cls_name[NCLS] = {
        [C_VALID] = "plain maps of 1-5 disjoint extents",
        [C_EDGE_NUMBERS] = "numbers at 2^32 and 2^64, leading zeros, huge",
        [C_NEIGHBOURS] = "touching, overlapping and wrapping extents (up to 12)",
        [C_WHITESPACE] = "odd whitespace (tab, VT, FF, CR, 0xA0), empty lines, trailing newlines",
        [C_MUTATED] = "mutated maps (signs, hex, NUL, junk, missing fields, truncation)",
        [C_MANY] = "338-342 extents, short and long lines",
        [C_SIZE] = "writes of 4090-4100 bytes",
        [C_JUNK] = "short random byte strings",
        [C_GID] = "gid_map writes",
        [C_NESTED] = "writer inside a parent namespace with a non-identity map",
        [C_FIXED] = "hand-picked parser quirks (2^64 wrap, 0xA0, NUL, CR, signs)",
};

/* Disjoint extents in random order: mostly accepted, the baseline. */
static void gen_valid(struct text *t)
{
        struct ext e[5];
        size_t n = 1 + below(5);
        uint32_t in = (uint32_t)below(1000), out = (uint32_t)below(200000);
        for (size_t i = 0; i < n; i++) {
                uint32_t c = chance(20) ? 65536 : 1 + (uint32_t)below(5000);
                e[i] = (struct ext){ in, out, c };
                in += c + (uint32_t)below(chance(50) ? 1 : 100000);
                out += c + (uint32_t)below(chance(50) ? 1 : 100000);
        }
        for (size_t i = n; i > 1; i--) {
                size_t j = below(i);
                struct ext x = e[i - 1];
                e[i - 1] = e[j];
                e[j] = x;
        }
        put_extents(t, e, n, false, false);
}

static void gen_plain(struct text *t, size_t maxn, bool odd, bool edgy)
{
        struct ext e[16];
        size_t n = 1 + below(maxn);
        for (size_t i = 0; i < n; i++)
                e[i] = rand_extent(e, i);
        put_extents(t, e, n, odd, edgy);
}

static void gen_many(struct text *t)
{
        size_t n = 338 + below(5);
        bool long_lines = chance(25);
        bool touching = chance(50);
        for (size_t i = 0; i < n; i++) {
                uint32_t f = touching ? (uint32_t)i : (uint32_t)(i * 2);
                if (long_lines)
                        putf(t, "%u %u 1", 1000000 + f, 2000000 + f);
                else
                        putf(t, "%u %u 1", f, f);
                if (i + 1 < n || chance(60))
                        put(t, "\n", 1);
        }
        if (chance(10))
                put(t, "\n", 1);
        if (chance(10)) {       /* one overlap somewhere */
                putf(t, "%u 99999 1\n", (uint32_t)below(n));
        }
}

static void gen_size(struct text *t)
{
        size_t target = 4090 + below(11);
        putf(t, "0 %u 1", (uint32_t)below(100000));
        size_t extra = chance(50) ? 1 : 0;     /* trailing newline */
        int where = (int)below(3);             /* pad: leading, middle, trailing spaces */
        size_t pad = target > t->len + extra ? target - t->len - extra : 0;
        struct text tmp = *t;
        t->len = 0;
        if (where == 0) {
                for (size_t i = 0; i < pad; i++)
                        put(t, " ", 1);
                put(t, tmp.buf, tmp.len);
        } else if (where == 1) {
                put(t, "0", 1);
                for (size_t i = 0; i < pad; i++)
                        put(t, " ", 1);
                put(t, tmp.buf + 1, tmp.len - 1);
        } else {
                put(t, tmp.buf, tmp.len);
                for (size_t i = 0; i < pad; i++)
                        put(t, " ", 1);
        }
        if (extra)
                put(t, "\n", 1);
}

static void gen_junk(struct text *t)
{
        static const char alphabet[] = "0123456789  \t\n\n\r+-x:,";
        size_t n = below(16);
        for (size_t i = 0; i < n; i++)
                put(t, &alphabet[below(sizeof alphabet - 1)], 1);
}

/* Extents whose outside ranges sit at the edges of the parent's extents. */
static void gen_nested(struct text *t, const struct userns_idmap *parent)
{
        size_t pn = userns_idmap_count(parent);
        struct ext e[8];
        size_t n = 1 + below(3), base = below(pn);
        for (size_t i = 0; i < n; i++) {
                const struct userns_extent *p = userns_idmap_extent(parent, (base + i) % pn);
                uint32_t c = chance(30) ? p->count : 1 + (uint32_t)below(p->count < 20 ? p->count + 2 : 20);
                uint32_t lo;
                switch (below(6)) {
                case 0: lo = p->first; break;
                case 1: lo = p->first + p->count - c; break;                 /* ends at its end */
                case 2: lo = p->first + p->count - c + 1; break;             /* one past */
                case 3: lo = p->first - 1; break;                            /* one before */
                case 4: lo = p->first + (uint32_t)below(p->count); break;
                default: lo = p->first + p->count; break;                    /* just after */
                }
                e[i] = (struct ext){ i == 0 ? 0 : e[i - 1].first + e[i - 1].count + (uint32_t)below(3), lo, c };
        }
        if (chance(20))
                e[below(n)] = rand_extent(e, n);
        put_extents(t, e, n, chance(20), false);
}

static void generate(enum cls c, struct text *t, const struct userns_idmap *parent)
{
        t->len = 0;
        switch (c) {
        case C_VALID: gen_valid(t); break;
        case C_EDGE_NUMBERS: gen_plain(t, 3, false, true); break;
        case C_NEIGHBOURS: gen_plain(t, 12, false, false); break;
        case C_WHITESPACE: gen_plain(t, 4, true, false); break;
        case C_MUTATED: gen_plain(t, 4, chance(30), chance(30)); mutate(t); break;
        case C_MANY: gen_many(t); break;
        case C_SIZE: gen_size(t); break;
        case C_JUNK: gen_junk(t); break;
        case C_GID: gen_plain(t, 5, chance(30), chance(30)); if (chance(20)) mutate(t); break;
        case C_NESTED: gen_nested(t, parent); break;
        case C_FIXED: {
                static size_t next;
                const char *f = fixed_texts[next++ % (sizeof fixed_texts / sizeof fixed_texts[0])];
                /* Embedded NULs: the literal's length, not strlen(). */
                size_t n = strlen(f);
                if (strcmp(f, "\0") == 0)
                        n = 1;
                else if (strstr(f, "1\0junk") == f + 7)
                        n = 13;
                put(t, f, n);
                break;
        }
        default: break;
        }
}

/* --- the kernel side: a child waiting in a fresh user namespace --- */

struct child {
        pid_t pid;
        int hold;               /* closing it lets the child exit */
};

static int child_start(struct child *c)
{
        int ready[2], hold[2];
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(ready[0]);
                close(hold[1]);
                char x = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
                if (write(ready[1], &x, 1) != 1)
                        _exit(1);
                (void)!read(hold[0], &x, 1);
                _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        char x = 'n';
        ssize_t r = read(ready[0], &x, 1);
        close(ready[0]);
        c->pid = pid;
        c->hold = hold[1];
        return r == 1 && x == 'y' ? 0 : -EPERM;
}

static void child_stop(struct child *c)
{
        if (c->pid <= 0)
                return;
        close(c->hold);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
}

/* Write for real; 0 or the errno.  A successful write retires the child. */
static int kernel_write(struct child *c, const char *map, const struct text *t)
{
        if (c->pid <= 0 && child_start(c) < 0)
                return -1;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)c->pid, map);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t r = write(fd, t->buf, t->len);
        int e = r < 0 ? errno : 0;
        if (r >= 0 && (size_t)r != t->len)
                e = -2;         /* short write: never expected */
        close(fd);
        if (e == 0)
                child_stop(c);
        return e;
}

/* --- comparing --- */

struct tally {
        unsigned total, agree, ok, einval, eperm;
        char first_bad[1024];
};

static void escape(const struct text *t, char *out, size_t outsz)
{
        size_t o = 0;
        for (size_t i = 0; i < t->len && o + 8 < outsz; i++) {
                unsigned char ch = (unsigned char)t->buf[i];
                if (ch == '\n') o += (size_t)snprintf(out + o, outsz - o, "\\n");
                else if (ch == '\t') o += (size_t)snprintf(out + o, outsz - o, "\\t");
                else if (ch == '\\') o += (size_t)snprintf(out + o, outsz - o, "\\\\");
                else if (ch < 0x20 || ch >= 0x7f) o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", ch);
                else out[o++] = (char)ch;
                if (i == 120 && t->len > 200) {
                        o += (size_t)snprintf(out + o, outsz - o, "...(%zu bytes)...", t->len);
                        i = t->len - 40;
                }
        }
        out[o < outsz ? o : outsz - 1] = '\0';
}

static const char *errname(int e)
{
        return e == 0 ? "ok" : e == EINVAL ? "EINVAL" : e == EPERM ? "EPERM" : e == -1 ? "setup-failed"
                : strerror(e);
}

static void run_one(struct tally *ta, struct child *c, enum userns_idmap_kind kind,
                    const struct userns_idmap *parent, const struct text *t)
{
        struct userns_error err = { 0 };
        int model = -userns_idmap_check_write(t->buf, t->len, kind, parent, NULL, &err);
        int kern = kernel_write(c, userns_idmap_kind_name(kind), t);
        ta->total++;
        ta->ok += kern == 0;
        ta->einval += kern == EINVAL;
        ta->eperm += kern == EPERM;
        if (kern == model) {
                ta->agree++;
                return;
        }
        if (ta->first_bad[0])
                return;
        char esc[600];
        escape(t, esc, sizeof esc);
        snprintf(ta->first_bad, sizeof ta->first_bad, "\"%.500s\": kernel %s, model %s (%.300s)", esc,
                 errname(kern), errname(model), err.message[0] ? err.message : "accepted");
}

static void report(const char *name, const struct tally *ta)
{
        tap_check(ta->total > 0 && ta->agree == ta->total, "%s: %u/%u agree (kernel: %u ok, %u EINVAL, %u EPERM)",
                  name, ta->agree, ta->total, ta->ok, ta->einval, ta->eperm);
        if (ta->first_bad[0])
                printf("# first disagreement: %s\n", ta->first_bad);
}

/* --- the nested setup: P with a random map; its root writes its children's maps --- */

static int gen_parent_map(struct text *t, struct userns_idmap **parent)
{
        for (;;) {
                t->len = 0;
                switch (below(5)) {
                case 0: putf(t, "0 %u 65536\n", 100000u + 65536u * (uint32_t)below(4)); break;
                case 4: {       /* many small extents with gaps: the kernel's bsearch, our bucket table */
                        size_t n = 100 + below(241);
                        for (size_t i = 0; i < n; i++)
                                putf(t, "%u %u 2\n", (uint32_t)i * 3, 5000u + (uint32_t)i * 4);
                        break;
                }
                case 1: putf(t, "0 1000 10\n10 1010 10\n"); break;          /* the straddle case */
                case 2: putf(t, "0 %u 1\n1 %u 1000\n5000 %u 7\n", (uint32_t)below(1000),
                             200000u + (uint32_t)below(1000), 300000u); break;
                default: {
                        uint32_t at = 0;
                        size_t n = 1 + below(8);
                        for (size_t i = 0; i < n; i++) {
                                uint32_t c = 1 + (uint32_t)below(5000);
                                putf(t, "%u %u %u\n", at, 100000u + (uint32_t)below(1u << 24), c);
                                at += c + (uint32_t)below(3);
                        }
                }
                }
                if (userns_idmap_check_write(t->buf, t->len, USERNS_IDMAP_UID, NULL, parent, NULL) == 0)
                        return 0;
        }
}

static int write_file(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t r = write(fd, s, strlen(s));
        int e = r < 0 ? -errno : 0;
        close(fd);
        return e;
}

/* Run `count` nested cases under one parent namespace; the tally comes back through a pipe. */
static void nested_batch(struct tally *sum, unsigned count)
{
        struct text pt;
        struct userns_idmap *parent = NULL;
        gen_parent_map(&pt, &parent);
        int res[2], go[2];
        if (pipe2(res, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
                return;
        pid_t h = fork();
        if (h == 0) {
                close(res[0]);
                close(go[1]);
                struct tally ta = { 0 };
                char x;
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                (void)!write(res[1], "r", 1);
                if (read(go[0], &x, 1) != 1 || x != 'g')
                        _exit(1);
                /* Become P's root (mapped, so it may create children) and stay dumpable. */
                if (setresuid(0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 1) < 0)
                        _exit(2);
                struct child c = { 0 };
                for (unsigned i = 0; i < count; i++) {
                        struct text t;
                        generate(C_NESTED, &t, parent);
                        run_one(&ta, &c, USERNS_IDMAP_UID, parent, &t);
                }
                child_stop(&c);
                (void)!write(res[1], &ta, sizeof ta);
                _exit(0);
        }
        close(res[1]);
        close(go[0]);
        char x = 0;
        char path[64];
        bool okay = read(res[0], &x, 1) == 1;
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)h);
        okay = okay && write_file(path, pt.buf) == 0;
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)h);
        okay = okay && write_file(path, "0 0 1\n") == 0;
        (void)!write(go[1], okay ? "g" : "n", 1);
        close(go[1]);
        struct tally ta = { 0 };
        ssize_t r = read(res[0], &ta, sizeof ta);
        close(res[0]);
        waitpid(h, NULL, 0);
        if (r != (ssize_t)sizeof ta) {
                snprintf(sum->first_bad, sizeof sum->first_bad, "nested setup failed under parent map \"%.200s\"",
                         pt.buf);
                sum->total += count;
        } else {
                sum->total += ta.total;
                sum->agree += ta.agree;
                sum->ok += ta.ok;
                sum->einval += ta.einval;
                sum->eperm += ta.eperm;
                if (ta.first_bad[0] && !sum->first_bad[0]) {
                        struct text p2 = pt;
                        char esc[300];
                        escape(&p2, esc, sizeof esc);
                        snprintf(sum->first_bad, sizeof sum->first_bad, "%.700s under parent map \"%s\"",
                                 ta.first_bad, esc);
                }
        }
        userns_idmap_free(parent);
}

int main(void)
{
        if (geteuid() != 0) {
                tap_skip("kdiff-idmap needs root");
                return tap_done();
        }
        const char *cs = getenv("KDIFF_COUNT"), *ss = getenv("KDIFF_SEED");
        unsigned count = cs ? (unsigned)strtoul(cs, NULL, 10) : 3000;
        uint64_t seed = ss ? strtoull(ss, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        rng_state = seed ? seed : 1;
        printf("# seed %llu, %u cases (KDIFF_SEED, KDIFF_COUNT)\n", (unsigned long long)seed, count);

        /* Share of the cases per class (out of 100). */
        static const unsigned weight[NCLS] = {
                [C_VALID] = 12, [C_EDGE_NUMBERS] = 12, [C_NEIGHBOURS] = 14, [C_WHITESPACE] = 12,
                [C_MUTATED] = 16, [C_MANY] = 4, [C_SIZE] = 5, [C_JUNK] = 7, [C_GID] = 6, [C_NESTED] = 12, [C_FIXED] = 0,
        };
        unsigned total = 0, agree = 0;
        struct child c = { 0 };
        for (int k = 0; k < NCLS; k++) {
                struct tally ta = { 0 };
                unsigned n = count * weight[k] / 100;
                if (k == C_FIXED)
                        n = sizeof fixed_texts / sizeof fixed_texts[0];
                if (n == 0)
                        n = 1;
                if (k == C_NESTED) {
                        unsigned batches = n < 8 ? 1 : 8;
                        for (unsigned b = 0; b < batches; b++)
                                nested_batch(&ta, n / batches + (b < n % batches));
                } else {
                        for (unsigned i = 0; i < n; i++) {
                                struct text t;
                                generate((enum cls)k, &t, NULL);
                                run_one(&ta, &c, k == C_GID ? USERNS_IDMAP_GID : USERNS_IDMAP_UID, NULL, &t);
                        }
                        child_stop(&c);
                }
                report(cls_name[k], &ta);
                total += ta.total;
                agree += ta.agree;
        }
        tap_check(total >= count * 95 / 100 && agree == total, "summary: model and kernel agree on %u of %u writes",
                  agree, total);
        return tap_done();
}
