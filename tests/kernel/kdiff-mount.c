/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Idmapped mounts against the model: for ext4 (a loop image), tmpfs and overlayfs,
 * ownership seen through a mount made by libuserns is exactly the map for every id
 * class (boundaries of each extent, unmapped → 65534), files created through the
 * mount land on disk as the inverse map says, chown works inside the map and fails
 * outside, read-only holds, and the refusals carry the right reason.  Then the two
 * container scenarios of the fsid-mapping problem, with processes in user
 * namespaces: a rootfs owned by 300000+ seen as 0+ (fs map ≠ process map), and
 * storage shared by two containers with different maps at the same time.
 *
 * Runs in a private mount namespace; everything lives in one mktemp directory.
 * KDIFF_MOUNT_RANDOM=N sets the number of random maps per filesystem (default 12).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "userns/fsmap.h"
#include "userns/mount.h"

static char base[64];
static unsigned long rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
        rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
        return (uint32_t)((rng_state >> 33) % n);
}

static struct userns_idmap *parse(const char *text)
{
        struct userns_idmap *m = NULL;
        struct userns_error err = { 0 };
        if (userns_idmap_parse(text, strlen(text), USERNS_IDMAP_FORMAT_AUTO, USERNS_IDMAP_UID, &m, &err) < 0) {
                fprintf(stderr, "parse %s: %s\n", text, err.message);
                exit(2);
        }
        return m;
}

static char *fmt(const struct userns_idmap *m)
{
        char *s = NULL;
        if (userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL) < 0)
                exit(2);
        return s;
}

static int sh(const char *cmd)
{
        int r = system(cmd);
        return WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

static void mkpath(char *buf, size_t n, const char *a, const char *b)
{
        snprintf(buf, n, "%s/%s", a, b);
}

/* Create dir/name (if needed) owned by id:id on disk. */
static void touch_owned(const char *dir, const char *name, uint32_t id)
{
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) {
                if (fchown(fd, id, id) < 0)
                        fprintf(stderr, "chown %s: %m\n", p);
                close(fd);
        }
}

/* On-disk ids worth checking for a map: each extent's boundaries and their neighbours. */
static size_t disk_ids(const struct userns_idmap *m, uint32_t *ids, size_t max)
{
        size_t n = 0;
        uint32_t fixed[] = { 0, 1, 65534, 4294967294u };
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && n < max; i++)
                ids[n++] = fixed[i];
        for (size_t i = 0; i < userns_idmap_count(m) && n + 6 <= max; i++) {
                const struct userns_extent *e = userns_idmap_extent(m, i);
                uint32_t last = e->first + e->count - 1;
                if (e->first > 0)
                        ids[n++] = e->first - 1;
                ids[n++] = e->first;
                ids[n++] = e->first + e->count / 2;
                ids[n++] = last;
                if (last < 4294967294u)
                        ids[n++] = last + 1;
        }
        return n;
}

/* Visible (caller's) ids worth checking: the same for the map's lower side. */
static size_t visible_ids(const struct userns_idmap *m, uint32_t *ids, size_t max)
{
        struct userns_idmap *inv = NULL;
        if (userns_idmap_invert(m, &inv, NULL) < 0)
                exit(2);
        size_t n = disk_ids(inv, ids, max);
        userns_idmap_free(inv);
        return n;
}

static uint32_t expect_seen(const struct userns_idmap *m, uint32_t disk)
{
        uint32_t v = userns_idmap_down(m, disk);
        return v == USERNS_ID_INVALID ? USERNS_OVERFLOW_ID : v;
}

static int make_mount(const char *src, const char *dst, const struct userns_idmap *uid,
                      const struct userns_idmap *gid, bool ro, bool rec, struct userns_error *err)
{
        struct userns_mount_opts o = { .uid_map = uid, .gid_map = gid, .read_only = ro, .recursive = rec };
        return userns_mount_bind(src, dst, &o, err);
}

/* A fresh source directory (mode `mode`) and mount point below root: ROOT/PREFIX<n>, ROOT/PREFIX<n>m. */
static void fresh_pair(const char *root, const char *prefix, mode_t mode, char *src, char *dst, size_t size)
{
        static int serial;
        snprintf(src, size, "%s/%s%d", root, prefix, serial);
        snprintf(dst, size, "%s/%s%dm", root, prefix, serial++);
        mkdir(src, mode);
        chmod(src, mode);
        mkdir(dst, 0755);
}

/* Ownership of every id class through the mount equals the model's, for uid and gid maps. */
static void check_ownership(const char *fs, const char *root, const struct userns_idmap *um,
                            const struct userns_idmap *gm, const char *label)
{
        char src[256], dst[256], p[512], q[512];
        fresh_pair(root, "own", 0755, src, dst, sizeof src);
        uint32_t uids[2048], gids[2048];
        size_t nu = disk_ids(um, uids, 2048), ng = disk_ids(gm, gids, 2048);
        size_t n = nu > ng ? nu : ng;
        for (size_t i = 0; i < n; i++) {
                snprintf(p, sizeof p, "%s/f%zu", src, i);
                int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fd < 0 || fchown(fd, uids[i % nu], gids[i % ng]) < 0) {
                        tap_check(0, "%s %s: create file owned %u:%u: %m", fs, label, uids[i % nu], gids[i % ng]);
                        return;
                }
                close(fd);
        }
        struct userns_error err = { 0 };
        if (make_mount(src, dst, um, gm, false, false, &err) < 0) {
                tap_check(0, "%s %s: idmapped mount: %s", fs, label, err.message);
                return;
        }
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                snprintf(q, sizeof q, "%s/f%zu", dst, i);
                uint32_t wu = expect_seen(um, uids[i % nu]), wg = expect_seen(gm, gids[i % ng]);
                if (stat(q, &st) < 0 || st.st_uid != wu || st.st_gid != wg) {
                        if (bad++ < 3)
                                printf("# %s: on disk %u:%u, seen %u:%u, model %u:%u\n", q, uids[i % nu],
                                       gids[i % ng], st.st_uid, st.st_gid, wu, wg);
                }
        }
        tap_check(bad == 0, "%s %s: %zu files: ownership through the mount equals the map "
                  "(boundaries, unmapped → 65534)", fs, label, n);
        umount2(dst, MNT_DETACH);
}

/* Create and chown through the mount as fsuid v: on disk = inverse map, or EOVERFLOW. */
static void check_create_chown(const char *fs, const char *root, const struct userns_idmap *m,
                               const char *label)
{
        char src[256], dst[256], p[512], q[512];
        fresh_pair(root, "cr", 0777, src, dst, sizeof src);
        struct userns_error err = { 0 };
        if (make_mount(src, dst, m, m, false, false, &err) < 0) {
                tap_check(0, "%s %s: idmapped mount: %s", fs, label, err.message);
                return;
        }
        uint32_t vis[2048];
        size_t n = visible_ids(m, vis, 2048);
        size_t bad_create = 0, bad_chown = 0, ok_create = 0, overflow = 0;
        for (size_t i = 0; i < n; i++) {
                uint32_t v = vis[i], want = userns_idmap_up(m, v);
                snprintf(q, sizeof q, "%s/c%zu", dst, i);
                snprintf(p, sizeof p, "%s/c%zu", src, i);
                setfsgid(v);
                setfsuid(v);
                int fd = open(q, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                int e = errno;
                setfsuid(0);
                setfsgid(0);
                if (fd >= 0)
                        close(fd);
                struct stat st;
                if (want == USERNS_ID_INVALID) {
                        overflow++;
                        if (!(fd < 0 && e == EOVERFLOW) && bad_create++ < 3)
                                printf("# create as %u (unmapped): fd %d errno %d, want EOVERFLOW\n", v, fd, e);
                } else if (fd < 0 || stat(p, &st) < 0 || st.st_uid != want || st.st_gid != want) {
                        if (bad_create++ < 3)
                                printf("# create as %u: want on disk %u (errno %d)\n", v, want, e);
                } else
                        ok_create++;
                /* chown an existing file through the mount as root to v */
                snprintf(q, sizeof q, "%s/base", dst);
                snprintf(p, sizeof p, "%s/base", src);
                int fdb = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fdb >= 0)
                        close(fdb);
                /* its owner must be mapped through the mount, or even root may not chown it */
                uint32_t owner = userns_idmap_extent(m, 0)->first;
                chown(p, owner, owner);
                int r = chown(q, v, v);
                e = errno;
                if (want == USERNS_ID_INVALID) {
                        if (!(r < 0 && e == EOVERFLOW) && bad_chown++ < 3)
                                printf("# chown to %u (unmapped): r %d errno %d, want EOVERFLOW\n", v, r, e);
                } else if (r < 0 || stat(p, &st) < 0 || st.st_uid != want || st.st_gid != want) {
                        if (bad_chown++ < 3)
                                printf("# chown to %u: want on disk %u (errno %d)\n", v, want, e);
                }
        }
        tap_check(bad_create == 0, "%s %s: create through the mount as %zu fsuids: on disk = inverse "
                  "map (%zu), EOVERFLOW outside it (%zu)", fs, label, n, ok_create, overflow);
        tap_check(bad_chown == 0, "%s %s: chown through the mount to %zu ids: inside the map stored "
                  "inverted, outside EOVERFLOW", fs, label, n);
        umount2(dst, MNT_DETACH);
}

/* POSIX ACL xattrs (KERNEL-RULES §8): version 2, {le16 tag, le16 perm, le32 id} entries. */
struct acl_entry {
        uint16_t tag, perm;
        uint32_t id;
};

static size_t acl_build(unsigned char *buf, uint32_t user, uint32_t group)
{
        struct acl_entry e[] = {
                { 0x01, 6, UINT32_MAX }, { 0x02, 4, user }, { 0x04, 4, UINT32_MAX },
                { 0x08, 4, group }, { 0x10, 6, UINT32_MAX }, { 0x20, 4, UINT32_MAX },
        };
        uint32_t version = 2;
        memcpy(buf, &version, 4);   /* little-endian host (x86_64) */
        memcpy(buf + 4, e, sizeof e);
        return 4 + sizeof e;
}

static bool acl_ids(const unsigned char *buf, ssize_t len, uint32_t *user, uint32_t *group)
{
        *user = *group = 0;
        for (ssize_t o = 4; o + 8 <= len; o += 8) {
                struct acl_entry e;
                memcpy(&e, buf + o, sizeof e);
                if (e.tag == 0x02)
                        *user = e.id;
                if (e.tag == 0x08)
                        *group = e.id;
        }
        return len > 4;
}

/*
 * ACL ids through the mount: read back as the map's image or 4294967295 (from_kuid,
 * not 65534) when unmapped; written through the mount, stored inverted, EINVAL outside.
 */
static void check_acl(const char *fs, const char *root, const struct userns_idmap *m, const char *label)
{
        char src[256], dst[256], p[512], q[512];
        fresh_pair(root, "acl", 0755, src, dst, sizeof src);
        uint32_t ids[2048], vis[2048];
        size_t n = disk_ids(m, ids, 2048), nv = visible_ids(m, vis, 2048);
        unsigned char buf[128], got[128];
        for (size_t i = 0; i < n; i++) {
                snprintf(p, sizeof p, "%s/a%zu", src, i);
                touch_owned(src, strrchr(p, '/') + 1, 0);
                size_t len = acl_build(buf, ids[i], ids[(i + 1) % n]);
                if (setxattr(p, "system.posix_acl_access", buf, len, 0) < 0) {
                        tap_skip("%s: POSIX ACLs: %m", fs);
                        return;
                }
        }
        struct userns_error err = { 0 };
        if (make_mount(src, dst, m, m, false, false, &err) < 0) {
                tap_check(0, "%s %s: acl mount: %s", fs, label, err.message);
                return;
        }
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
                snprintf(q, sizeof q, "%s/a%zu", dst, i);
                uint32_t u, g, wu = userns_idmap_down(m, ids[i]), wg = userns_idmap_down(m, ids[(i + 1) % n]);
                ssize_t len = getxattr(q, "system.posix_acl_access", got, sizeof got);
                if (!acl_ids(got, len, &u, &g) || u != wu || g != wg) {
                        if (bad++ < 3)
                                printf("# ACL of %s: user:%u group:%u on disk, read %u/%u, model %u/%u\n", q,
                                       ids[i], ids[(i + 1) % n], u, g, wu, wg);
                }
        }
        tap_check(bad == 0, "%s %s: ACL entries of %zu files read through the mount equal the map "
                  "(unmapped → 4294967295, not 65534)", fs, label, n);
        bad = 0;
        snprintf(q, sizeof q, "%s/a0", dst);
        snprintf(p, sizeof p, "%s/a0", src);
        for (size_t i = 0; i < nv; i++) {
                uint32_t want = userns_idmap_up(m, vis[i]), u, g;
                size_t len = acl_build(buf, vis[i], vis[i]);
                int r = setxattr(q, "system.posix_acl_access", buf, len, 0);
                int e = errno;
                ssize_t glen = getxattr(p, "system.posix_acl_access", got, sizeof got);
                bool ok = want == USERNS_ID_INVALID ? (r < 0 && e == EINVAL)
                                                    : (r == 0 && acl_ids(got, glen, &u, &g) && u == want && g == want);
                if (!ok && bad++ < 3)
                        printf("# set ACL user:%u through the mount: r %d errno %d, want on disk %u\n", vis[i], r,
                               r < 0 ? e : 0, want);
        }
        tap_check(bad == 0, "%s %s: ACL user/group entries set through the mount to %zu ids: stored inverted, "
                  "EINVAL outside the map", fs, label, nv);
        umount2(dst, MNT_DETACH);
}

static void check_read_only(const char *fs, const char *root, const struct userns_idmap *m)
{
        char src[256], dst[256], q[512];
        fresh_pair(root, "ro", 0777, src, dst, sizeof src);
        struct userns_error err = { 0 };
        if (make_mount(src, dst, m, m, true, false, &err) < 0) {
                tap_check(0, "%s read-only mount: %s", fs, err.message);
                return;
        }
        uint32_t v = userns_idmap_extent(m, 0)->lower_first;
        snprintf(q, sizeof q, "%s/x", dst);
        setfsgid(v);
        setfsuid(v);
        int fd = open(q, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        int e = errno;
        setfsuid(0);
        setfsgid(0);
        if (fd >= 0)
                close(fd);
        tap_check(fd < 0 && e == EROFS, "%s: --read-only: create as mapped uid %u → EROFS", fs, v);
        snprintf(q, sizeof q, "%s/y", src);
        fd = open(q, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        tap_check(fd >= 0, "%s: the source stays writable", fs);
        if (fd >= 0)
                close(fd);
        umount2(dst, MNT_DETACH);
}

static struct userns_idmap *random_map(void)
{
        struct userns_idmap *m = NULL;
        userns_idmap_new(&m);
        size_t want = 1 + rnd(rnd(2) ? 5 : 12);
        uint32_t inside = rnd(1000), outside = 10000 + rnd(100000);
        for (size_t i = 0; i < want; i++) {
                uint32_t count = 1 + rnd(rnd(2) ? 4 : 70000);
                /* inside ascending with gaps; outside shuffled blocks far apart */
                uint32_t lower = outside + (uint32_t)((want - i) * 200000u) + rnd(1000);
                if (userns_idmap_add(m, inside, lower, count, NULL, NULL) < 0)
                        break;
                inside += count + rnd(3) * rnd(50);
        }
        return m;
}

static void check_no_children(const char *what)
{
        int r = waitpid(-1, NULL, WNOHANG);
        tap_check(r < 0 && errno == ECHILD, "%s: no helper process is left behind", what);
}

static void check_errors(const char *root)
{
        struct userns_error err = { 0 };
        char ram[256], dst[256], sub[256], ov[512];
        struct userns_idmap *m = parse("0:1000:1000");
        snprintf(ram, sizeof ram, "%s/ramfs", root);
        snprintf(dst, sizeof dst, "%s/errm", root);
        mkdir(ram, 0755);
        mkdir(dst, 0755);
        if (mount("none", ram, "ramfs", 0, NULL) == 0) {
                int r = userns_mount_check(AT_FDCWD, ram, false, &err);
                tap_check(r == -EINVAL && strstr(err.message, "'ramfs' does not support") &&
                          strstr(err.message, "userns shift"),
                          "ramfs: refused with EINVAL naming the type and suggesting userns shift (%s)",
                          err.message);
        } else
                tap_skip("ramfs: cannot mount: %m");
        /* An idmapped mount cannot be idmapped again: EPERM, "already idmapped". */
        snprintf(sub, sizeof sub, "%s/src-e", root);
        mkdir(sub, 0755);
        if (make_mount(sub, dst, m, m, false, false, &err) == 0) {
                userns_error_clear(&err);
                int r = userns_mount_check(AT_FDCWD, dst, false, &err);
                tap_check(r == -EPERM && strstr(err.message, "already idmapped"),
                          "an idmapped mount cannot be idmapped again (%s)", err.message);
                umount2(dst, MNT_DETACH);
        } else
                tap_check(0, "idmapped mount for the twice test: %s", err.message);
        /* Recursive clone with a ramfs below: the message names the submount. */
        snprintf(ov, sizeof ov, "%s/below", sub);
        mkdir(ov, 0755);
        if (mount("none", ov, "ramfs", 0, NULL) == 0) {
                userns_error_clear(&err);
                int r = make_mount(sub, dst, m, m, false, true, &err);
                tap_check(r == -EINVAL && strstr(err.message, ov) && strstr(err.message, "'ramfs'"),
                          "--recursive over a ramfs submount names it (%s)", err.message);
                userns_error_clear(&err);
                r = make_mount(sub, dst, m, m, false, false, &err);
                tap_check(r == 0, "without --recursive the same tree is accepted");
                umount2(dst, MNT_DETACH);
                umount2(ov, MNT_DETACH);
        } else
                tap_skip("ramfs submount: %m");
        /* Maps the kernel would refuse never reach it. */
        struct userns_idmap *big = parse("0:1000:1000");
        userns_error_clear(&err);
        int r = make_mount(sub, dst, big, NULL, false, false, &err);
        tap_check(r == -EINVAL && strstr(err.message, "needs both a uid map and a gid map"),
                  "a missing gid map is refused before the kernel (%s)", err.message);
        check_no_children("after the refusals");
        userns_idmap_free(big);
        userns_idmap_free(m);
}

/* Recursive clones include and idmap submounts; plain clones do not include them. */
static void check_recursive(const char *root)
{
        char src[256], sub[512], dst[256], p[600];
        snprintf(src, sizeof src, "%s/rec", root);
        snprintf(sub, sizeof sub, "%s/inner", src);
        snprintf(dst, sizeof dst, "%s/recm", root);
        mkdir(src, 0755);
        mkdir(sub, 0755);
        mkdir(dst, 0755);
        if (mount("none", sub, "tmpfs", 0, NULL) < 0) {
                tap_skip("tmpfs submount: %m");
                return;
        }
        touch_owned(sub, "f", 7);
        struct userns_idmap *m = parse("0:1000:1000");
        struct userns_error err = { 0 };
        struct stat st;
        snprintf(p, sizeof p, "%s/inner/f", dst);
        if (make_mount(src, dst, m, m, false, true, &err) == 0) {
                tap_check(stat(p, &st) == 0 && st.st_uid == 1007 && st.st_gid == 1007,
                          "--recursive: a submount's file 7:7 is seen as 1007:1007");
                umount2(dst, MNT_DETACH);
        } else
                tap_check(0, "recursive mount: %s", err.message);
        if (make_mount(src, dst, m, m, false, false, &err) == 0) {
                tap_check(stat(p, &st) < 0 && errno == ENOENT, "without --recursive the submount is not included");
                umount2(dst, MNT_DETACH);
        } else
                tap_check(0, "plain mount: %s", err.message);
        umount2(sub, MNT_DETACH);
        userns_idmap_free(m);
}

/* ------------------------------------------------------------------------------------------ */
/* Containers: processes in a user namespace with a process map, driven by line commands.     */

struct container {
        pid_t pid;
        FILE *to, *from;
};

static void container_serve(FILE *in, FILE *out)
{
        char line[1024], path[900];
        unsigned long a;
        while (fgets(line, sizeof line, in)) {
                struct stat st = { 0 };
                int e = 0;
                if (sscanf(line, "stat %899s", path) == 1) {
                        if (stat(path, &st) < 0)
                                e = errno;
                } else if (sscanf(line, "create %899s", path) == 1) {
                        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                        if (fd < 0 || write(fd, "x", 1) != 1 || fstat(fd, &st) < 0)
                                e = errno;
                        if (fd >= 0)
                                close(fd);
                } else if (sscanf(line, "append %899s", path) == 1) {
                        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
                        if (fd < 0 || write(fd, "y", 1) != 1)
                                e = errno;
                        if (fd >= 0)
                                close(fd);
                } else if (sscanf(line, "chown %899s %lu", path, &a) == 2) {
                        if (chown(path, (uid_t)a, (gid_t)a) < 0)
                                e = errno;
                } else if (sscanf(line, "setid %lu", &a) == 1) {
                        if (setresgid(a, a, a) < 0 || setresuid(a, a, a) < 0)
                                e = errno;
                } else
                        e = EINVAL;
                fprintf(out, "%d %u %u\n", e, st.st_uid, st.st_gid);
                fflush(out);
        }
}

static void write_proc(pid_t pid, const char *file, const struct userns_idmap *m)
{
        char path[64], *text = NULL;
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        userns_idmap_format(m, USERNS_IDMAP_FORMAT_KERNEL, &text, NULL);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) < 0)
                fprintf(stderr, "writing %s: %m\n", path);
        if (fd >= 0)
                close(fd);
        free(text);
}

static int container_start(struct container *c, const struct userns_idmap *p, uint32_t id)
{
        int down[2], up[2], sync[2];
        if (pipe(down) < 0 || pipe(up) < 0 || pipe(sync) < 0)
                return -1;
        c->pid = fork();
        if (c->pid == 0) {
                close(down[1]);
                close(up[0]);
                close(sync[0]);
                /* drop the pipes of containers started earlier, so they see EOF when stopped */
                for (int fd = 3; fd < 1024; fd++)
                        if (fd != down[0] && fd != up[1] && fd != sync[1])
                                close(fd);
                char b = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
                (void)!write(sync[1], &b, 1);
                close(sync[1]);
                FILE *in = fdopen(down[0], "r"), *out = fdopen(up[1], "w");
                container_serve(in, out);
                _exit(0);
        }
        close(down[0]);
        close(up[1]);
        close(sync[1]);
        char b = 0;
        if (read(sync[0], &b, 1) != 1 || b != 'u')
                return -1;
        close(sync[0]);
        write_proc(c->pid, "uid_map", p);
        write_proc(c->pid, "gid_map", p);
        c->to = fdopen(down[1], "w");
        c->from = fdopen(up[0], "r");
        char cmd[32];
        snprintf(cmd, sizeof cmd, "setid %u", id);
        fprintf(c->to, "%s\n", cmd);
        fflush(c->to);
        int e = -1;
        unsigned u, g;
        if (fscanf(c->from, "%d %u %u", &e, &u, &g) != 3 || e != 0)
                return -1;
        return 0;
}

/* Send a command; returns errno (0 ok) and the owner seen. */
static int container_do(struct container *c, uint32_t *uid, uint32_t *gid, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int container_do(struct container *c, uint32_t *uid, uint32_t *gid, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vfprintf(c->to, fmt, ap);
        va_end(ap);
        fputc('\n', c->to);
        fflush(c->to);
        int e = -1;
        unsigned u = 0, g = 0;
        if (fscanf(c->from, "%d %u %u", &e, &u, &g) != 3)
                return -1;
        if (uid)
                *uid = u;
        if (gid)
                *gid = g;
        return e;
}

static void container_stop(struct container *c)
{
        if (c->to)
                fclose(c->to);
        if (c->from)
                fclose(c->from);
        if (c->pid > 0)
                waitpid(c->pid, NULL, 0);
        *c = (struct container){ 0 };
}

static uint32_t disk_uid(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? st.st_uid : USERNS_ID_INVALID;
}

/* The fsid-mapping proposal's case: process map 0 100000 65536, rootfs owned by 300000+. */
static void scenario_fsid(const char *root)
{
        char rootfs[256], mnt[256], p[600];
        snprintf(rootfs, sizeof rootfs, "%s/rootfs300k", root);
        snprintf(mnt, sizeof mnt, "%s/rootfs300k-m", root);
        mkdir(rootfs, 0755);
        mkdir(mnt, 0755);
        chown(rootfs, 300000, 300000);
        struct { const char *name; uint32_t disk, want; } files[] = {
                { "root", 300000, 0 }, { "five", 300005, 5 }, { "last", 365535, 65535 },
                { "below", 299999, 65534 }, { "above", 365536, 65534 }, { "host", 0, 65534 },
                { "procmap", 100000, 65534 },
        };
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
                touch_owned(rootfs, files[i].name, files[i].disk);
        struct userns_idmap *fs = parse("0:300000:65536"), *proc = parse("0:100000:65536"), *m = NULL;
        struct userns_error err = { 0 };
        if (userns_fsmap_mount_map(fs, proc, "--fs-uid-map", &m, &err) < 0 ||
            make_mount(rootfs, mnt, m, m, false, false, &err) < 0) {
                tap_check(0, "fsid scenario: %s", err.message);
                goto out;
        }
        char *mt = fmt(m);
        tap_check(strcmp(mt, "300000:100000:65536") == 0, "fsid scenario: mount map %s", mt);
        free(mt);
        struct container c = { 0 };
        if (container_start(&c, proc, 0) < 0) {
                tap_check(0, "fsid scenario: container start");
                goto out;
        }
        size_t bad = 0;
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                uint32_t u = 0, g = 0;
                mkpath(p, sizeof p, mnt, files[i].name);
                int e = container_do(&c, &u, &g, "stat %s", p);
                if (e || u != files[i].want || g != files[i].want) {
                        bad++;
                        printf("# %s: on disk %u, inside %u:%u, want %u\n", files[i].name, files[i].disk, u, g,
                               files[i].want);
                }
        }
        tap_check(bad == 0, "fsid scenario: rootfs files owned by 300000+ on disk appear as 0+ inside "
                  "(boundaries; others 65534)");
        mkpath(p, sizeof p, mnt, "made-by-root");
        int e = container_do(&c, NULL, NULL, "create %s", p);
        mkpath(p, sizeof p, rootfs, "made-by-root");
        tap_check(e == 0 && disk_uid(p) == 300000, "fsid scenario: container root creates a file: on disk %u",
                  disk_uid(p));
        mkpath(p, sizeof p, mnt, "made-by-root");
        e = container_do(&c, NULL, NULL, "chown %s 7", p);
        mkpath(p, sizeof p, rootfs, "made-by-root");
        tap_check(e == 0 && disk_uid(p) == 300007, "fsid scenario: chown to 7 inside stores 300007 (%u)",
                  disk_uid(p));
        mkpath(p, sizeof p, mnt, "five");
        e = container_do(&c, NULL, NULL, "chown %s 70000", p);
        tap_check(e == EINVAL, "fsid scenario: chown to 70000 (unmapped inside) fails: %s", strerror(e));
        container_do(&c, NULL, NULL, "setid 5");
        mkpath(p, sizeof p, mnt, "by-five");
        e = container_do(&c, NULL, NULL, "create %s", p);
        tap_check(e == EACCES, "fsid scenario: uid 5 cannot write root's 0755 directory (EACCES)");
        mkpath(p, sizeof p, mnt, "five");
        e = container_do(&c, NULL, NULL, "append %s", p);
        tap_check(e == 0, "fsid scenario: uid 5 writes its own file (owned 300005 on disk)");
        container_stop(&c);
        umount2(mnt, MNT_DETACH);
out:
        userns_idmap_free(fs);
        userns_idmap_free(proc);
        userns_idmap_free(m);
}

/* Two containers with different process maps share one directory, at the same time. */
static void scenario_shared(const char *root)
{
        char shared[256], ma[256], mb[256], rootfs_a[256], p[600], q[600];
        snprintf(shared, sizeof shared, "%s/shared", root);
        snprintf(ma, sizeof ma, "%s/shared-a", root);
        snprintf(mb, sizeof mb, "%s/shared-b", root);
        snprintf(rootfs_a, sizeof rootfs_a, "%s/rootfs-a", root);
        mkdir(shared, 0777);
        chmod(shared, 0777);
        chown(shared, 500000, 500000);   /* the canonical range starts at the directory's owner */
        mkdir(ma, 0755);
        mkdir(mb, 0755);
        mkdir(rootfs_a, 0755);
        chown(rootfs_a, 100000, 100000);
        touch_owned(rootfs_a, "a-file", 100005);   /* A's uid 5 without any idmapping */
        struct userns_idmap *pa = parse("0:100000:65536"), *pb = parse("0:200000:65536");
        struct userns_idmap *fa = NULL, *fb = NULL, *mapa = NULL, *mapb = NULL;
        struct userns_error err = { 0 };
        struct stat st;
        stat(shared, &st);
        if (userns_fsmap_canonical(pa, st.st_uid, &fa, &err) < 0 ||
            userns_fsmap_canonical(pb, st.st_uid, &fb, &err) < 0 ||
            userns_fsmap_mount_map(fa, pa, NULL, &mapa, &err) < 0 ||
            userns_fsmap_mount_map(fb, pb, NULL, &mapb, &err) < 0 ||
            make_mount(shared, ma, mapa, mapa, false, false, &err) < 0 ||
            make_mount(shared, mb, mapb, mapb, false, false, &err) < 0) {
                tap_check(0, "shared scenario: %s", err.message);
                goto out;
        }
        struct container a = { 0 }, b = { 0 };
        if (container_start(&a, pa, 5) < 0 || container_start(&b, pb, 5) < 0) {
                tap_check(0, "shared scenario: containers start");
                container_stop(&a);
                container_stop(&b);
                goto out;
        }
        uint32_t u = 0, g = 0;
        mkpath(p, sizeof p, ma, "from-a");
        int e = container_do(&a, &u, &g, "create %s", p);
        tap_check(e == 0 && u == 5, "shared: uid 5 in A (0 100000 65536) writes a file, owner %u inside A", u);
        mkpath(q, sizeof q, mb, "from-a");
        e = container_do(&b, &u, &g, "stat %s", q);
        tap_check(e == 0 && u == 5 && g == 5, "shared: B (0 200000 65536), running at the same time, sees it "
                  "as %u:%u", u, g);
        e = container_do(&b, NULL, NULL, "append %s", q);
        tap_check(e == 0, "shared: uid 5 in B can write it as its owner");
        mkpath(q, sizeof q, shared, "from-a");
        tap_check(disk_uid(q) == 500005, "shared: stored on disk in the canonical range as %u (500000+5)",
                  disk_uid(q));
        mkpath(p, sizeof p, mb, "from-b");
        e = container_do(&b, NULL, NULL, "create %s", p);
        mkpath(q, sizeof q, ma, "from-b");
        e = e ? e : container_do(&a, &u, &g, "stat %s", q);
        tap_check(e == 0 && u == 5, "shared: and the other way round: B's uid 5 file is uid 5 in A");
        /* Neither sees the other's rootfs files as its own. */
        mkpath(p, sizeof p, rootfs_a, "a-file");
        e = container_do(&b, &u, &g, "stat %s", p);
        tap_check(e == 0 && u == 65534, "shared: A's rootfs file (100005 on disk) is %u in B, not uid 5", u);
        e = container_do(&b, NULL, NULL, "append %s", p);
        tap_check(e == EACCES, "shared: B's uid 5 cannot write A's uid 5 rootfs file (%s)", strerror(e));
        e = container_do(&a, &u, &g, "stat %s", p);
        tap_check(e == 0 && u == 5, "shared: while A sees its own rootfs file as uid %u", u);
        /* A file written under A's process map (not canonical) is no one's own through the shared mount. */
        touch_owned(shared, "stray", 100005);
        mkpath(q, sizeof q, ma, "stray");
        e = container_do(&a, &u, &g, "stat %s", q);
        tap_check(e == 0 && u == 65534, "shared: a file stored as A's kernel id 100005 is %u in A's shared view", u);
        container_stop(&a);
        container_stop(&b);
        check_no_children("after the containers");
        umount2(ma, MNT_DETACH);
        umount2(mb, MNT_DETACH);
out:
        userns_idmap_free(pa);
        userns_idmap_free(pb);
        userns_idmap_free(fa);
        userns_idmap_free(fb);
        userns_idmap_free(mapa);
        userns_idmap_free(mapb);
}

/* overlayfs: the overlay itself cannot be idmapped, but idmapped layers work. */
static void check_overlay(const char *root)
{
        char d[6][300], opts[2048], p[700];
        const char *names[] = { "ovl-lower", "ovl-upper", "ovl-lm", "ovl-um", "ovl-merged", "ovl-x" };
        for (int i = 0; i < 6; i++) {
                mkpath(d[i], sizeof d[i], root, names[i]);
                mkdir(d[i], 0755);
        }
        touch_owned(d[0], "l5", 5);
        /* root stays root (so the overlay's work dir can be made), 1.. shift by 1000 */
        struct userns_idmap *m = parse("0:0:1,1:1001:999");
        struct userns_error err = { 0 };
        if (make_mount(d[0], d[2], m, m, false, false, &err) < 0 ||
            make_mount(d[1], d[3], m, m, false, false, &err) < 0) {
                tap_check(0, "overlay layers: %s", err.message);
                goto out;
        }
        char up[400], wk[400];
        mkpath(up, sizeof up, d[3], "u");
        mkpath(wk, sizeof wk, d[3], "w");
        mkdir(up, 0777);
        chmod(up, 0777);
        mkdir(wk, 0755);
        snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", d[2], up, wk);
        if (mount("overlay", d[4], "overlay", 0, opts) < 0) {
                tap_skip("overlay over idmapped layers: %m");
                goto out;
        }
        struct stat st;
        mkpath(p, sizeof p, d[4], "l5");
        int sr = stat(p, &st);
        tap_check(sr == 0 && st.st_uid == 1005, "overlay over an idmapped lower layer: 5 on disk "
                  "is seen as %u", st.st_uid);
        mkpath(p, sizeof p, d[4], "new");
        setfsgid(1007);
        setfsuid(1007);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        int e = errno;
        setfsuid(0);
        setfsgid(0);
        if (fd >= 0)
                close(fd);
        char disk[700];
        snprintf(disk, sizeof disk, "%s/u/new", d[1]);
        tap_check(fd >= 0 && disk_uid(disk) == 7, "overlay with an idmapped upper layer: uid 1007 creates a "
                  "file stored as %u (errno %d)", disk_uid(disk), fd < 0 ? e : 0);
        userns_error_clear(&err);
        int r = userns_mount_check(AT_FDCWD, d[4], false, &err);
        tap_check(r == -EINVAL && strstr(err.message, "overlay filesystems cannot be idmapped"),
                  "the overlay itself is refused with its own message (%s)", err.message);
        umount2(d[4], MNT_DETACH);
out:
        umount2(d[2], MNT_DETACH);
        umount2(d[3], MNT_DETACH);
        userns_idmap_free(m);
}

static void run_filesystem(const char *fs, const char *root, int nrandom)
{
        const char *fixed[] = {
                "0:100000:65536",
                "0:1000:10,10:5000:5,100:2000:100",
                "0:50000:50,100:51000:50,200:52000:50,300:53000:50,400:54000:50,500:55000:50,600:56000:50",
                "1000:0:1,0:1000:1000",
        };
        struct userns_error err = { 0 };
        int r = userns_mount_check(AT_FDCWD, root, false, &err);
        tap_check(r == 0, "%s: userns_mount_check accepts it (%s)", fs, r ? err.message : "ok");
        char type[32] = "";
        userns_mount_fs_type(AT_FDCWD, root, type, sizeof type, NULL, NULL);
        tap_check(strcmp(type, fs) == 0, "%s: the filesystem type is read from mountinfo (%s)", fs, type);
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
                struct userns_idmap *m = parse(fixed[i]);
                struct userns_idmap *g = parse(i == 0 ? "0:200000:1000" : fixed[i]);
                char label[160];
                snprintf(label, sizeof label, "map %.60s%s (gid map %s)", fixed[i], strlen(fixed[i]) > 60 ? "..." : "",
                         i == 0 ? "0:200000:1000" : "the same");
                check_ownership(fs, root, m, g, label);
                check_create_chown(fs, root, m, label);
                check_acl(fs, root, m, label);
                userns_idmap_free(m);
                userns_idmap_free(g);
        }
        /* The composed map for a container (P ∘ F⁻¹), seen from the host. */
        struct userns_idmap *f = parse("0:300000:65536,65536:1000:1"), *p = parse("0:100000:65537"), *m = NULL;
        if (userns_fsmap_mount_map(f, p, NULL, &m, &err) == 0) {
                check_ownership(fs, root, m, m, "composed map P∘F⁻¹ (F 0:300000:65536,65536:1000:1)");
                userns_idmap_free(m);
        } else
                tap_check(0, "compose: %s", err.message);
        userns_idmap_free(f);
        userns_idmap_free(p);
        size_t bad = 0;
        for (int i = 0; i < nrandom; i++) {
                struct userns_idmap *u = random_map(), *g = random_map();
                char label[64];
                snprintf(label, sizeof label, "random map %d (%zu extents)", i, userns_idmap_count(u));
                int before = tap_failed;
                check_ownership(fs, root, u, g, label);
                if (tap_failed != before) {
                        char *s = fmt(u);
                        printf("# failing map: %s\n", s);
                        free(s);
                        bad++;
                }
                userns_idmap_free(u);
                userns_idmap_free(g);
        }
        struct userns_idmap *ro = parse("0:1000:1000");
        check_read_only(fs, root, ro);
        userns_idmap_free(ro);
}

int main(void)
{
        if (geteuid() != 0) {
                tap_skip("needs root");
                return tap_done();
        }
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                tap_check(0, "private mount namespace: %m");
                return tap_done();
        }
        const char *env = getenv("KDIFF_MOUNT_RANDOM");
        int nrandom = env ? atoi(env) : 12;
        snprintf(base, sizeof base, "/tmp/kdiff-mount.XXXXXX");
        if (!mkdtemp(base)) {
                tap_check(0, "mkdtemp: %m");
                return tap_done();
        }
        chmod(base, 0755);   /* ids other than root walk through it */
        char tmpfs[128], ext4[128], img[128], cmd[1024];
        mkpath(tmpfs, sizeof tmpfs, base, "tmpfs");
        mkpath(ext4, sizeof ext4, base, "ext4");
        mkpath(img, sizeof img, base, "ext4.img");
        mkdir(tmpfs, 0755);
        mkdir(ext4, 0755);
        if (mount("none", tmpfs, "tmpfs", 0, "size=64m") == 0)
                run_filesystem("tmpfs", tmpfs, nrandom);
        else
                tap_check(0, "mount tmpfs: %m");
        snprintf(cmd, sizeof cmd, "truncate -s 64M %s && mkfs.ext4 -q -F %s && mount -o loop %s %s", img, img,
                 img, ext4);
        if (sh(cmd) == 0) {
                run_filesystem("ext4", ext4, nrandom > 4 ? nrandom / 3 : nrandom);
                scenario_fsid(ext4);
                scenario_shared(ext4);
                check_recursive(ext4);
                check_overlay(ext4);
                check_errors(ext4);
        } else
                tap_check(0, "loop-mounted ext4 image (truncate, mkfs.ext4, mount -o loop)");
        umount2(ext4, MNT_DETACH);
        umount2(tmpfs, MNT_DETACH);
        snprintf(cmd, sizeof cmd, "rm -rf %s", base);
        sh(cmd);
        return tap_done();
}
