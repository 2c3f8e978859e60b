/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File capabilities: the model (lib/fcaps-model.c) against the running kernel.
 *
 * Namespaces are made here (fork, unshare(CLONE_NEWUSER), a helper in the parent
 * namespace writes "0 LOWER COUNT" to uid_map and gid_map; nesting repeats it).  On a
 * private tmpfs, for fixed cases (test vectors 23-25) and random ones:
 *   - store: setxattr(security.capability) by root of a namespace, read back raw from
 *     the host, against userns_fcaps_model_store();
 *   - read: getxattr from readers in other namespaces, against userns_fcaps_model_read();
 *   - exec: /bin/cat with file capabilities run as uid 5 of a namespace prints its own
 *     /proc/self/status; CapPrm/CapEff against userns_fcaps_model_exec();
 *   - the same on a tmpfs mounted by root of a namespace (a filesystem whose s_user_ns
 *     is not the initial namespace), and through an idmapped mount of the scratch tmpfs.
 * KDIFF_FCAPS_CASES sets the number of random cases (default 300).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/capability.h>

#include "../lib/tap.h"
#include "userns/fcaps.h"
#include "util/cleanup.h"

#define RAW (1ull << CAP_NET_RAW)
#define MAXDEPTH 3

/* A chain of nested namespaces, each mapping uid and gid "0 lower count" (lower in its parent's ids). */
struct chain {
        struct chain *outer;            /* entered first; its innermost namespace is our parent */
        bool join;                      /* join the existing namespace join_fd (n = 1, map for the model) */
        int join_fd;
        size_t n;
        uint32_t lower[MAXDEPTH], count[MAXDEPTH];
        /* the model's view */
        struct userns_idmap *map[MAXDEPTH];
        struct userns_fcaps_ns ns[MAXDEPTH];
};

static struct chain mkchain(size_t n, const uint32_t *lc)
{
        struct chain c = { .n = n };
        for (size_t i = 0; i < n; i++) {
                c.lower[i] = lc[2 * i];
                c.count[i] = lc[2 * i + 1];
                if (userns_idmap_new(&c.map[i]) < 0 ||
                    userns_idmap_add(c.map[i], 0, c.lower[i], c.count[i], NULL, NULL) < 0)
                        abort();
        }
        return c;
}

/* A namespace nested in outer's innermost one, mapping "0 lower count" of it. */
static struct chain mkchild(struct chain *outer, uint32_t lower, uint32_t count)
{
        struct chain c = mkchain(1, (uint32_t[]){ lower, count });
        c.outer = outer;
        return c;
}

/* The model's namespace objects are shared with the outer chain, so "is an ancestor"
 * is pointer identity, as in the library. */
static const struct userns_fcaps_ns *model_ns(struct chain *c)
{
        const struct userns_fcaps_ns *base = c->outer ? model_ns(c->outer) : NULL;
        for (size_t i = 0; i < c->n; i++)
                c->ns[i] = (struct userns_fcaps_ns) { .uid_map = c->map[i], .parent = i ? &c->ns[i - 1] : base };
        return c->n ? &c->ns[c->n - 1] : base;
}

static void chain_free(struct chain *c)
{
        for (size_t i = 0; i < c->n; i++)
                userns_idmap_free(c->map[i]);
}

static int write_file(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, s, strlen(s));
        int e = n < 0 ? errno : 0;
        close(fd);
        return n < 0 ? -e : 0;
}

/* Move the calling process into a new user namespace mapped "0 lower count". */
static int enter_userns(uint32_t lower, uint32_t count)
{
        int go[2];
        if (pipe2(go, O_CLOEXEC) < 0)
                return -errno;
        pid_t self = getpid();
        pid_t helper = fork();
        if (helper < 0)
                return -errno;
        if (helper == 0) {
                char c, path[64], map[64];
                int rc = 0;
                if (read(go[0], &c, 1) != 1)
                        _exit(1);
                snprintf(map, sizeof map, "0 %u %u\n", lower, count);
                snprintf(path, sizeof path, "/proc/%d/uid_map", (int)self);
                rc |= write_file(path, map);
                snprintf(path, sizeof path, "/proc/%d/gid_map", (int)self);
                rc |= write_file(path, map);
                _exit(rc ? 1 : 0);
        }
        close(go[0]);
        int r = unshare(CLONE_NEWUSER) < 0 ? -errno : 0;
        char c = 'g';
        if (write(go[1], &c, 1) != 1)
                r = r ? r : -EIO;
        close(go[1]);
        int st;
        if (waitpid(helper, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                r = r ? r : -EPERM;
        /* Become the namespace's root (kernel id `lower`): unshare keeps our ids, and an
         * unmapped uid could neither own files there nor create a nested namespace. */
        if (r == 0 && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 ||
                       prctl(PR_SET_DUMPABLE, 1) < 0))   /* the id change made us non-dumpable */
                r = -errno;
        return r;
}

/* Join an existing user namespace as its root. */
static int join_userns(int fd)
{
        if (setns(fd, CLONE_NEWUSER) < 0 || setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 ||
            setresuid(0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 1) < 0)
                return -errno;
        return 0;
}

static int enter_chain(const struct chain *c)
{
        if (c->outer) {
                int r = enter_chain(c->outer);
                if (r < 0)
                        return r;
        }
        if (c->join)
                return join_userns(c->join_fd);
        for (size_t i = 0; i < c->n; i++) {
                int r = enter_userns(c->lower[i], c->count[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct result {
        int rc;                         /* 0 or -errno of the operation */
        size_t len;
        uint8_t buf[32];
};

/* Run op in a child inside chain `c`; the child fills *res. */
typedef void (*op_fn)(const void *arg, struct result *res);

static int in_ns(const struct chain *c, op_fn op, const void *arg, struct result *res)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct result r = { 0 };
                r.rc = enter_chain(c);
                if (r.rc == 0)
                        op(arg, &r);
                else
                        r.rc = -10000 + r.rc;    /* setup failure, not the operation's */
                if (write(p[1], &r, sizeof r) != sizeof r)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        ssize_t n = read(p[0], res, sizeof *res);
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        return n == sizeof *res ? 0 : -EIO;
}

/* Operations on an fd opened by the test and inherited: it works in any namespace,
 * even for a file on a mount only another mount namespace has. */
struct xattr_op {
        int fd;
        const uint8_t *value;
        size_t len;
};

static void op_set(const void *arg, struct result *res)
{
        const struct xattr_op *x = arg;
        res->rc = fsetxattr(x->fd, USERNS_FCAPS_XATTR, x->value, x->len, 0) < 0 ? -errno : 0;
}

static void op_get(const void *arg, struct result *res)
{
        const struct xattr_op *x = arg;
        ssize_t n = fgetxattr(x->fd, USERNS_FCAPS_XATTR, res->buf, sizeof res->buf);
        res->rc = n < 0 ? -errno : 0;
        res->len = n < 0 ? 0 : (size_t)n;
}

static const char *errname(int rc)
{
        static char b[32];
        switch (rc) {
        case 0: return "ok";
        case -EINVAL: return "EINVAL";
        case -EPERM: return "EPERM";
        case -EOVERFLOW: return "EOVERFLOW";
        case -ENODATA: return "ENODATA";
        }
        snprintf(b, sizeof b, "error %d", rc);
        return b;
}

static void describe(char *out, size_t sz, int rc, const struct userns_fcaps *c)
{
        if (rc < 0)
                snprintf(out, sz, "%s", errname(rc));
        else
                snprintf(out, sz, "%s%s rootid=%u p=%llx i=%llx", userns_fcaps_revision_name(c->revision),
                         c->effective ? "+e" : "", c->revision == 3 ? c->rootid : 0,
                         (unsigned long long)c->permitted, (unsigned long long)c->inheritable);
}

static int raw_get(int fd, uint8_t *buf, size_t *len)
{
        ssize_t n = fgetxattr(fd, USERNS_FCAPS_XATTR, buf, USERNS_FCAPS_SIZE_MAX + 8);
        if (n < 0)
                return -errno;
        *len = (size_t)n;
        return 0;
}

/* Each reader's getxattr on `fd` against model_read of the on-disk bytes `disk`. */
static int check_reads(const char *label, int fd, const struct userns_fcaps_fs *fs, const uint8_t *disk,
                       size_t dlen, struct chain **readers, size_t nreaders)
{
        int bad = 0;
        char got[128], want[128];
        for (size_t i = 0; i < nreaders; i++) {
                struct userns_fcaps ms = { 0 }, ks = { 0 };
                struct result res;
                int mr = userns_fcaps_model_read(disk, dlen, model_ns(readers[i]), fs, &ms, NULL);
                struct xattr_op x = { .fd = fd };
                if (in_ns(readers[i], op_get, &x, &res) < 0 || res.rc < -1000) {
                        tap_check(0, "%s: could not make reader %zu's namespace", label, i);
                        bad++;
                        continue;
                }
                int kr = res.rc;
                if (kr == 0)
                        kr = userns_fcaps_decode(res.buf, res.len, &ks, NULL);
                describe(got, sizeof got, kr, &ks);
                describe(want, sizeof want, mr, &ms);
                int ok = strcmp(got, want) == 0;
                bad += !ok;
                char rl[64] = "init";
                const struct chain *rc = readers[i];
                if (rc->n)
                        snprintf(rl, sizeof rl, "0->%u/%u%s", rc->lower[rc->n - 1], rc->count[rc->n - 1],
                                 rc->n > 1 || rc->outer ? " nested" : "");
                tap_check(ok, "%s: reader %s sees %s (model %s)", label, rl, got, want);
        }
        return bad;
}

/*
 * Write `value` from root of chain w to the file open at `fd` (made owned by w's root)
 * on filesystem `fs` (NULL: owned by the initial namespace), then compare: what the
 * host reads back against model_read(model_store()), and what each reader reads
 * against model_read of the stored value.  Returns the number of mismatches.
 */
static int check_store(const char *label, int fd, const struct userns_fcaps_fs *fs,
                       const uint8_t *value, size_t len, struct chain *w, struct chain **readers,
                       size_t nreaders)
{
        int bad = 0;
        char got[128], want[128];
        const struct userns_fcaps_ns *wns = model_ns(w);
        /* the file belongs to the writer's root (or the filesystem's, for the host) */
        uint32_t owner = userns_fcaps_ns_to_host(wns ? wns : fs ? fs->owner : NULL, 0);
        fremovexattr(fd, USERNS_FCAPS_XATTR);
        if (wns && fchown(fd, owner, owner) < 0)   /* init root needs no particular owner */
                return tap_check(0, "%s: chown: %m", label), 1;

        struct userns_fcaps_writer wr = { .ns = wns, .cap_setfcap = true, .inode_owner_mapped = true };
        struct userns_fcaps stored;
        int m = userns_fcaps_model_store(value, len, &wr, fs, &stored, NULL);
        struct result res;
        struct xattr_op x = { .fd = fd, .value = value, .len = len };
        if (in_ns(w, op_set, &x, &res) < 0 || res.rc < -1000)
                return tap_check(0, "%s: could not make the writer's namespace", label), 1;
        int set_ok = (res.rc == 0) == (m >= 0) && (m >= 0 || res.rc == m);
        if (!set_ok)
                bad++;

        /* the stored bytes, as the (initial-namespace) host reads them */
        uint8_t disk[40];
        size_t dlen = 0;
        int hr = raw_get(fd, disk, &dlen);
        struct userns_fcaps host_seen = { 0 }, model_host = { 0 };
        if (hr == 0)
                hr = userns_fcaps_decode(disk, dlen, &host_seen, NULL);
        int mh = -ENODATA;
        if (m >= 0) {
                uint8_t sb[24];
                int sn = userns_fcaps_encode(&stored, sb, sizeof sb, NULL);
                mh = userns_fcaps_model_read(sb, (size_t)sn, NULL, fs, &model_host, NULL);
        }
        describe(got, sizeof got, hr, &host_seen);
        describe(want, sizeof want, mh, &model_host);
        if (strcmp(got, want) != 0)
                bad++;
        tap_check(set_ok && strcmp(got, want) == 0, "%s: setxattr %s (model %s), host reads %s (model %s)",
                  label, errname(res.rc), errname(m < 0 ? m : 0), got, want);

        if (m >= 0) {
                uint8_t sb[24];
                int sn = userns_fcaps_encode(&stored, sb, sizeof sb, NULL);
                bad += check_reads(label, fd, fs, sb, (size_t)sn, readers, nreaders);
        }
        return bad;
}

struct exec_op {
        const char *path;
        int out_fd;
};

struct task_state {
        int rc;
        uint64_t inh, prm, bnd, amb;
        int nnp;
};

static uint64_t status_field(const char *text, const char *key)
{
        const char *p = strstr(text, key);
        return p ? strtoull(p + strlen(key), NULL, 16) : ~0ull;
}

static int read_status(char *buf, size_t sz)
{
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sz - 1);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

/* Where an exec happens: a mount namespace to join first (-1: ours), the filesystem
 * for the model, and the on-disk value (as the filesystem's owner reads it). */
struct exec_env {
        int mntns_fd;
        const struct userns_fcaps_fs *fs;
        const uint8_t *disk;
        size_t len;
};

/*
 * Exec `path` (a copy of cat) as uid 5 of chain c (or uid 1000 on the host when c is
 * empty), after dropping capability drop_bset (>= 0) from the bounding set, printing
 * its own /proc/self/status; compare CapPrm/CapEff with the model.
 */
static int check_exec_in(const char *label, const char *path, struct chain *c, int drop_bset,
                         const struct exec_env *env)
{
        int st_pipe[2], out_pipe[2];
        if (pipe2(st_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0)
                return tap_check(0, "%s: pipe: %m", label), 1;
        pid_t pid = fork();
        if (pid == 0) {
                struct task_state ts = { 0 };
                char status[4096];
                uid_t uid = c->n ? 5 : 1000;
                if (env->mntns_fd >= 0 && setns(env->mntns_fd, CLONE_NEWNS) < 0)
                        ts.rc = -errno;
                if (ts.rc == 0)
                        ts.rc = enter_chain(c);
                if (ts.rc == 0 && drop_bset >= 0 && prctl(PR_CAPBSET_DROP, drop_bset) < 0)
                        ts.rc = -errno;
                if (ts.rc == 0 && (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
                        ts.rc = -errno;
                if (ts.rc == 0 && (ts.rc = read_status(status, sizeof status)) == 0) {
                        ts.inh = status_field(status, "CapInh:");
                        ts.prm = status_field(status, "CapPrm:");
                        ts.bnd = status_field(status, "CapBnd:");
                        ts.amb = status_field(status, "CapAmb:");
                        ts.nnp = (int)strtol(strstr(status, "NoNewPrivs:") + 11, NULL, 10);
                }
                if (write(st_pipe[1], &ts, sizeof ts) != sizeof ts || ts.rc)
                        _exit(1);
                dup2(out_pipe[1], 1);
                execl(path, "cat", "/proc/self/status", (char *)NULL);
                int e = -errno;
                if (write(st_pipe[1], &e, sizeof e) != sizeof e)
                        _exit(1);
                _exit(127);
        }
        close(st_pipe[1]);
        close(out_pipe[1]);
        struct task_state ts = { .rc = -EIO };
        int exec_err = 0;
        char out[8192];
        size_t n = 0;
        ssize_t k;
        if (read(st_pipe[0], &ts, sizeof ts) != sizeof ts)
                ts.rc = -EIO;
        while ((k = read(out_pipe[0], out + n, sizeof out - 1 - n)) > 0)
                n += (size_t)k;
        out[n] = 0;
        if (read(st_pipe[0], &exec_err, sizeof exec_err) != sizeof exec_err)
                exec_err = 0;
        close(st_pipe[0]);
        close(out_pipe[0]);
        int st;
        waitpid(pid, &st, 0);
        if (ts.rc)
                return tap_check(0, "%s: setting up the task failed: %d", label, ts.rc), 1;

        struct userns_fcaps_task task = {
                .ns = model_ns(c), .permitted = ts.prm, .inheritable = ts.inh,
                .ambient = ts.amb, .bounding = ts.bnd, .no_new_privs = ts.nnp,
        };
        struct userns_fcaps_exec e = { 0 };
        int mr = userns_fcaps_model_exec(env->disk, env->len, &task, env->fs, &e, NULL);
        uint64_t prm = status_field(out, "CapPrm:"), eff = status_field(out, "CapEff:");
        int ok;
        if (mr < 0 || exec_err)
                ok = mr == exec_err;
        else
                ok = prm == e.permitted && eff == e.effective;
        tap_check(ok, "%s: exec gives CapPrm %llx CapEff %llx%s (model %llx %llx%s, %s)", label,
                  (unsigned long long)prm, (unsigned long long)eff, exec_err ? " execve failed" : "",
                  (unsigned long long)e.permitted, (unsigned long long)e.effective,
                  mr < 0 ? " execve fails" : "", mr < 0 ? errname(mr) : e.why);
        return !ok;
}

/* The same, for a file on a filesystem the initial namespace owns (the host's view is the disk's). */
static int check_exec(const char *label, const char *path, struct chain *c, int drop_bset)
{
        uint8_t disk[40];
        size_t dlen = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        int hr = fd < 0 ? -errno : raw_get(fd, disk, &dlen);
        if (fd >= 0)
                close(fd);
        struct exec_env env = { .mntns_fd = -1, .disk = hr == 0 ? disk : NULL, .len = hr == 0 ? dlen : 0 };
        return check_exec_in(label, path, c, drop_bset, &env);
}

static int copy_file(const char *from, const char *to)
{
        int in = open(from, O_RDONLY | O_CLOEXEC);
        int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (in < 0 || out < 0)
                return -1;
        char b[65536];
        ssize_t n;
        while ((n = read(in, b, sizeof b)) > 0)
                if (write(out, b, (size_t)n) != n)
                        return -1;
        close(in);
        close(out);
        return n < 0 ? -1 : 0;
}

static size_t enc(uint8_t *buf, unsigned rev, bool eff, uint64_t p, uint64_t i, uint32_t rootid)
{
        struct userns_fcaps c = { .revision = rev, .effective = eff, .permitted = p, .inheritable = i,
                                  .rootid = rootid };
        int n = userns_fcaps_encode(&c, buf, USERNS_FCAPS_SIZE_MAX, NULL);
        return n < 0 ? 0 : (size_t)n;
}

static uint32_t rnd(uint32_t n)
{
        return (uint32_t)((unsigned)rand() % n);
}

/*
 * A filesystem owned by namespace A (KERNEL-RULES §10 lists this as untested): root of
 * A mounts a tmpfs in its own mount namespace; the test reaches the files through
 * /proc/HOLDER/root and runs programs after joining that mount namespace.
 */
static int fs_owned_by_ns(const char *dir, struct chain *A, struct chain *B, struct chain *C,
                          struct chain *D, struct chain *init)
{
        int ready[2], hold[2];
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
                return tap_check(0, "A's fs: pipe: %m"), 1;
        pid_t holder = fork();
        if (holder == 0) {
                char c = 'x', path[256];
                close(hold[1]);
                snprintf(path, sizeof path, "%s/cat", dir);
                if (enter_chain(A) == 0 && unshare(CLONE_NEWNS) == 0 &&
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
                    mount("tmpfs", dir, "tmpfs", 0, "mode=0755") == 0 && copy_file("/bin/cat", path) == 0) {
                        snprintf(path, sizeof path, "%s/f", dir);
                        close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755));
                        c = 'r';
                }
                if (write(ready[1], &c, 1) != 1 || c != 'r')
                        _exit(1);
                if (read(hold[0], &c, 1) < 0)   /* until the test closes its end */
                        _exit(1);
                _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        char c = 0, path[256];
        int bad = 0;
        if (read(ready[0], &c, 1) != 1 || c != 'r') {
                tap_check(0, "A's fs: root of A could not mount a tmpfs");
                bad = 1;
                goto out;
        }
        snprintf(path, sizeof path, "/proc/%d/root%s/f", (int)holder, dir);
        int ffd = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%d/root%s/cat", (int)holder, dir);
        int cfd = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)holder);
        int mfd = open(path, O_RDONLY | O_CLOEXEC);
        if (ffd < 0 || cfd < 0 || mfd < 0) {
                tap_check(0, "A's fs: opening the files through /proc/%d/root: %m", (int)holder);
                bad = 1;
                goto out;
        }
        /* the holder's own namespace A, and D nested in it: the filesystem's owner must be
         * that very namespace, not another with the same map */
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)holder);
        struct chain Ah = mkchain(1, (uint32_t[]){ A->lower[0], A->count[0] });
        Ah.join = true;
        Ah.join_fd = open(path, O_RDONLY | O_CLOEXEC);
        struct chain Dh = mkchild(&Ah, D->lower[0], D->count[0]);
        A = &Ah;
        D = &Dh;
        struct userns_fcaps_fs fs = { .owner = model_ns(A) };
        struct chain *readers[] = { init, A, B, C, D };
        uint8_t v[24];
        size_t n = enc(v, 2, true, RAW, 0, 0);
        bad += check_store("A's fs: v2 by root of A", ffd, &fs, v, n, A, readers, 5);
        bad += check_store("A's fs: v2 by init root", ffd, &fs, v, n, init, readers, 5);
        bad += check_store("A's fs: v2 by root of D", ffd, &fs, v, n, D, readers, 5);
        n = enc(v, 3, false, RAW, 0, 1005);
        bad += check_store("A's fs: v3 rootid 1005 by init root", ffd, &fs, v, n, init, readers, 5);
        n = enc(v, 3, false, RAW, 0, 5);
        bad += check_store("A's fs: v3 rootid 5 by root of A", ffd, &fs, v, n, A, readers, 5);
        bad += check_store("A's fs: v3 rootid 5 (outside A) by init root", ffd, &fs, v, n, init, NULL, 0);

        /* exec from A's mount namespace; the value on disk is what A (the owner) reads */
        const char *label[] = { "v2 (A's root)", "v3 rootid 5 of A (D's root)" };
        for (int k = 0; k < 2; k++) {
                n = k == 0 ? enc(v, 2, true, RAW, 0, 0) : enc(v, 3, true, RAW, 0, 1005);
                if (fsetxattr(cfd, USERNS_FCAPS_XATTR, v, n, 0) < 0)
                        bad++;
                struct result res;
                struct xattr_op x = { .fd = cfd };
                if (in_ns(A, op_get, &x, &res) < 0 || res.rc < 0) {
                        tap_check(0, "A's fs: reading the value from A: %d", res.rc);
                        bad++;
                        continue;
                }
                struct exec_env env = { .mntns_fd = mfd, .fs = &fs, .disk = res.buf, .len = res.len };
                snprintf(path, sizeof path, "%s/cat", dir);
                struct chain *who[] = { A, D, B, init };
                const char *name[] = { "uid 5 in A", "uid 5 in D inside A", "uid 5 in B", "uid 1000 on the host" };
                for (int i = 0; i < 4; i++) {
                        char l[128];
                        snprintf(l, sizeof l, "A's fs: %s, %s", label[k], name[i]);
                        bad += check_exec_in(l, path, who[i], -1, &env);
                }
        }
        close(ffd);
        close(cfd);
        close(mfd);
        close(Ah.join_fd);
        chain_free(&Ah);
        chain_free(&Dh);
out:
        close(ready[0]);
        close(hold[1]);
        waitpid(holder, NULL, 0);
        return bad;
}

/* The bytes the model says setxattr stores (length in *len, 0 when refused). */
static void model_disk(const uint8_t *v, size_t n, struct chain *w, const struct userns_fcaps_fs *fs,
                       uint8_t *out, size_t *len)
{
        struct userns_fcaps_writer wr = { .ns = model_ns(w), .cap_setfcap = true, .inode_owner_mapped = true };
        struct userns_fcaps st;
        *len = 0;
        if (userns_fcaps_model_store(v, n, &wr, fs, &st, NULL) > 0)
                *len = (size_t)userns_fcaps_encode(&st, out, USERNS_FCAPS_SIZE_MAX, NULL);
}

/*
 * An idmapped mount (KERNEL-RULES §6) of the scratch tmpfs, idmapped with a namespace
 * mapping 0 1000 1000: writes and reads through it and through the plain path, and
 * programs run through either.
 */
static int idmapped_mount(const char *dir, const char *prog, struct chain *A, struct chain *B,
                          struct chain *D, struct chain *init)
{
        int hold[2], bad = 0;
        char idm[128], path[256];
        if (pipe2(hold, O_CLOEXEC) < 0)
                return tap_check(0, "idmapped: pipe: %m"), 1;
        pid_t keeper = fork();
        if (keeper == 0) {
                char c;
                close(hold[1]);
                if (enter_chain(A) < 0)
                        _exit(1);
                if (read(hold[0], &c, 1) < 0)
                        _exit(1);
                _exit(0);
        }
        close(hold[0]);
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)keeper);
        int usfd = -1;
        for (int i = 0; i < 200 && usfd < 0; i++) {    /* once the keeper is in its namespace */
                struct stat a, b;
                if (stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino)
                        usfd = open(path, O_RDONLY | O_CLOEXEC);
                else
                        usleep(10000);
        }
        snprintf(idm, sizeof idm, "%s/idm", dir);
        mkdir(idm, 0755);
        int tfd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)usfd };
        int ok = usfd >= 0 && tfd >= 0 && mount_setattr(tfd, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0 &&
                 move_mount(tfd, "", AT_FDCWD, idm, MOVE_MOUNT_F_EMPTY_PATH) == 0;
        tap_check(ok, "idmapped mount of the scratch tmpfs (0 1000 1000): %s", ok ? "ok" : strerror(errno));
        close(hold[1]);
        waitpid(keeper, NULL, 0);
        if (usfd >= 0)
                close(usfd);
        if (tfd >= 0)
                close(tfd);
        if (!ok)
                return 1;

        snprintf(path, sizeof path, "%s/g", dir);
        int pfd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0755);
        snprintf(path, sizeof path, "%s/g", idm);
        int ifd = open(path, O_RDONLY | O_CLOEXEC);
        if (pfd < 0 || ifd < 0 || fchown(pfd, 0, 0) < 0)
                return tap_check(0, "idmapped: scratch file: %m"), 1;
        struct userns_fcaps_fs fs = { .mnt_idmap = A->map[0] };
        struct chain *readers[] = { init, A, B, D };
        struct {
                const char *label;
                unsigned rev;
                uint32_t rootid;
                struct chain *w;
        } cases[] = {
                { "v2 by root of A", 2, 0, A },
                { "v2 by init root", 2, 0, init },
                { "v3 rootid 1005 by init root", 3, 1005, init },
                { "v3 rootid 5 by root of A", 3, 5, A },
                { "v2 by root of D", 2, 0, D },
        };
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                uint8_t v[24], disk[24];
                size_t n = enc(v, cases[k].rev, true, RAW, 0, cases[k].rootid), dn;
                char l[128];
                snprintf(l, sizeof l, "idmapped: %s", cases[k].label);
                bad += check_store(l, ifd, &fs, v, n, cases[k].w, readers, 4);
                model_disk(v, n, cases[k].w, &fs, disk, &dn);
                if (dn) {
                        snprintf(l, sizeof l, "idmapped: %s, read by the plain path", cases[k].label);
                        bad += check_reads(l, pfd, NULL, disk, dn, readers, 4);
                }
        }

        /* programs run through the idmapped mount and the plain path */
        struct {
                const char *label;
                unsigned rev;
                uint32_t rootid;
        } vals[] = { { "on-disk v2", 2, 0 }, { "on-disk v3 rootid 5", 3, 5 } };
        struct chain *who[] = { A, D, B, init };
        const char *name[] = { "uid 5 in A", "uid 5 in D inside A", "uid 5 in B", "uid 1000 on the host" };
        char icat[256];
        snprintf(icat, sizeof icat, "%s/cat", idm);
        for (size_t k = 0; k < ELEMENTSOF(vals); k++) {
                uint8_t v[24];
                size_t n = enc(v, vals[k].rev, true, RAW, 0, vals[k].rootid);
                if (setxattr(prog, USERNS_FCAPS_XATTR, v, n, 0) < 0)
                        bad++;
                struct exec_env via_idm = { .mntns_fd = -1, .fs = &fs, .disk = v, .len = n };
                struct exec_env plain = { .mntns_fd = -1, .disk = v, .len = n };
                for (size_t i = 0; i < ELEMENTSOF(who); i++) {
                        char l[160];
                        snprintf(l, sizeof l, "idmapped: %s through the idmapped mount, %s", vals[k].label, name[i]);
                        bad += check_exec_in(l, icat, who[i], -1, &via_idm);
                        snprintf(l, sizeof l, "idmapped: %s through the plain path, %s", vals[k].label, name[i]);
                        bad += check_exec_in(l, prog, who[i], -1, &plain);
                }
        }
        close(pfd);
        close(ifd);
        umount2(idm, MNT_DETACH);
        return bad;
}

int main(void)
{
        if (geteuid() != 0) {
                tap_skip("needs root");
                return tap_done();
        }
        signal(SIGPIPE, SIG_IGN);   /* a closed reader must not skip the cleanup */
        /* A private tmpfs: nothing outlives the test. */
        char dir[] = "/tmp/kdiff-fcaps.XXXXXX";
        if (!mkdtemp(dir) || unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0) {
                tap_check(0, "private tmpfs scratch: %m");
                return tap_done();
        }
        char file[128], prog[128];
        snprintf(file, sizeof file, "%s/f", dir);
        snprintf(prog, sizeof prog, "%s/cat", dir);
        close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0755));
        if (copy_file("/bin/cat", prog) < 0) {
                tap_check(0, "copy /bin/cat: %m");
                return tap_done();
        }
        int ffd = open(file, O_RDONLY | O_CLOEXEC);
        uint8_t v[24];
        size_t n;
        int bad = 0;

        /* tmpfs must take security.* xattrs for any of this to mean anything */
        n = enc(v, 2, true, RAW, 0, 0);
        tap_check(setxattr(file, USERNS_FCAPS_XATTR, v, n, 0) == 0, "tmpfs accepts security.capability");

        struct chain init = { 0 };
        struct chain A = mkchain(1, (uint32_t[]){ 1000, 1000 });
        struct chain B = mkchain(1, (uint32_t[]){ 999, 1000 });
        struct chain C = mkchain(1, (uint32_t[]){ 5000, 10 });
        struct chain D = mkchild(&A, 5, 10);
        struct chain *readers[] = { &init, &A, &B, &C, &D };

        /* vector 23: a v2 written by A's root is stored as v3 rootid 1000 */
        n = enc(v, 2, true, RAW, 0, 0);
        bad += check_store("v23 v2 by root of A", ffd, NULL, v, n, &A, readers, 5);
        n = enc(v, 3, false, RAW, 1ull << CAP_CHOWN, 5);
        bad += check_store("v3 rootid 5 by root of A", ffd, NULL, v, n, &A, readers, 5);
        n = enc(v, 3, true, RAW, 0, 2000);
        bad += check_store("v3 unmapped rootid 2000 by root of A", ffd, NULL, v, n, &A, NULL, 0);
        n = enc(v, 3, true, RAW, 0, 0);
        bad += check_store("v3 rootid 0 by init root", ffd, NULL, v, n, &init, readers, 5);
        n = enc(v, 2, false, RAW, 0, 0);
        bad += check_store("v2 by init root", ffd, NULL, v, n, &init, readers, 5);
        n = enc(v, 2, true, RAW, 0, 0);
        bad += check_store("v2 by root of D (nested in A)", ffd, NULL, v, n, &D, readers, 5);
        n = enc(v, 3, true, RAW, 0, UINT32_MAX);
        bad += check_store("v3 rootid 4294967295 by init root", ffd, NULL, v, n, &init, NULL, 0);
        /* vector 24: v1 refused even for init root; odd sizes and flags too */
        n = enc(v, 1, true, RAW, 0, 0);
        bad += check_store("v24 v1 by init root", ffd, NULL, v, n, &init, NULL, 0);
        n = enc(v, 2, true, RAW, 0, 0);
        bad += check_store("13 bytes by init root", ffd, NULL, v, 13, &init, NULL, 0);
        v[1] = 0x02;
        bad += check_store("v2 with an unknown flag by init root", ffd, NULL, v, n, &init, NULL, 0);

        /* a refused write leaves the previous value */
        n = enc(v, 3, true, RAW, 0, 1000);
        fremovexattr(ffd, USERNS_FCAPS_XATTR);
        if (fchown(ffd, 1000, 1000) < 0)
                bad++;
        fsetxattr(ffd, USERNS_FCAPS_XATTR, v, n, 0);
        uint8_t before[40], after[40], bad_v[24];
        size_t bl = 0, al = 0;
        raw_get(ffd, before, &bl);
        size_t bn = enc(bad_v, 3, true, RAW, 0, 2000);
        struct result res;
        struct xattr_op x = { .fd = ffd, .value = bad_v, .len = bn };
        in_ns(&A, op_set, &x, &res);
        raw_get(ffd, after, &al);
        tap_check(res.rc == -EINVAL && bl == al && memcmp(before, after, bl) == 0,
                  "a refused setxattr (%s) leaves the stored value unchanged", errname(res.rc));

        /* vector 25: v3 rootid 1000 on cat, run as uid 5 in A, in D (inside A), in B, uid 1000 on the host */
        n = enc(v, 3, true, RAW, 0, 1000);
        if (setxattr(prog, USERNS_FCAPS_XATTR, v, n, 0) < 0)
                bad++;
        bad += check_exec("v25 v3 rootid 1000, uid 5 in A", prog, &A, -1);
        bad += check_exec("v25 v3 rootid 1000, uid 5 in D inside A", prog, &D, -1);
        bad += check_exec("v25 v3 rootid 1000, uid 5 in B", prog, &B, -1);
        bad += check_exec("v25 v3 rootid 1000, uid 1000 on the host", prog, &init, -1);
        n = enc(v, 3, false, RAW, 0, 1000);
        setxattr(prog, USERNS_FCAPS_XATTR, v, n, 0);
        bad += check_exec("v3 rootid 1000 without effective, uid 5 in A", prog, &A, -1);
        n = enc(v, 3, true, 1ull << CAP_SYS_RESOURCE, 0, 1000);
        setxattr(prog, USERNS_FCAPS_XATTR, v, n, 0);
        bad += check_exec("fE with a capability outside the bounding set, uid 5 in A", prog, &A, CAP_SYS_RESOURCE);
        bad += check_exec("fE, an unrelated capability dropped from the bounding set, uid 5 in A", prog, &A, CAP_NET_RAW);
        n = enc(v, 2, true, RAW, 0, 0);
        setxattr(prog, USERNS_FCAPS_XATTR, v, n, 0);
        bad += check_exec("v2, uid 5 in C", prog, &C, -1);
        bad += check_exec("v2, uid 1000 on the host", prog, &init, -1);

        bad += fs_owned_by_ns(dir, &A, &B, &C, &D, &init);
        bad += idmapped_mount(dir, prog, &A, &B, &D, &init);

        /* random cases: writers, readers and exec'ing tasks in random namespaces */
        const char *env = getenv("KDIFF_FCAPS_CASES");
        int cases = env ? atoi(env) : 300;
        srand(25);
        int rbad = 0, rchecks = 0;
        for (int i = 0; i < cases; i++) {
                uint32_t base = 1000 * (1 + rnd(5));
                struct chain w = rnd(4) == 0 ? (struct chain){ 0 }
                                             : mkchain(1, (uint32_t[]){ base, 1000 });
                struct chain r1 = mkchain(1, (uint32_t[]){ 1000 * (1 + rnd(5)) + rnd(3), 1000 });
                struct chain r2 = mkchain(2, (uint32_t[]){ base, 1000, rnd(20), 10 });
                struct chain *rs[] = { &init, &w, &r1, &r2 };
                unsigned rev = 2 + rnd(2);
                uint64_t p = ((uint64_t)rand() << 20 ^ (uint64_t)rand()) & USERNS_FCAPS_VALID_MASK;
                n = enc(v, rev, rnd(2), p, (uint64_t)rand() & USERNS_FCAPS_VALID_MASK,
                        rev == 3 ? rnd(30) * (rnd(2) ? 1 : 100) : 0);
                char label[64];
                snprintf(label, sizeof label, "random %d", i);
                int b = check_store(label, ffd, NULL, v, n, &w, rs, 4);
                rbad += b;
                rchecks += 5;
                if (i % 3 == 0) {
                        /* exec: random rootid file, random namespace */
                        uint32_t root = 1000 * (1 + rnd(3));
                        n = enc(v, 3, rnd(2), RAW | 1ull << CAP_KILL, 0, root + rnd(2));
                        setxattr(prog, USERNS_FCAPS_XATTR, v, n, 0);
                        struct chain t = rnd(2) ? mkchain(1, (uint32_t[]){ root, 1000 })
                                                : mkchain(2, (uint32_t[]){ root, 1000, rnd(3), 10 });
                        snprintf(label, sizeof label, "random exec %d", i);
                        rbad += check_exec(label, prog, &t, -1);
                        rchecks++;
                        chain_free(&t);
                }
                chain_free(&w);
                chain_free(&r1);
                chain_free(&r2);
        }
        printf("# random: %d checks, %d disagreements between model and kernel\n", rchecks, rbad);
        printf("# fixed cases: %d disagreements\n", bad);

        chain_free(&A);
        chain_free(&B);
        chain_free(&C);
        chain_free(&D);
        umount2(dir, MNT_DETACH);
        rmdir(dir);
        return tap_done();
}
