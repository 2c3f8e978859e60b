/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/fsmap: what filesystem id maps cost.
 *
 * (1) fstat through a user namespace with 0..340 extents: the caller's creds are
 *     in a user namespace whose uid and gid maps have N extents; every file is
 *     owned by the id of the LAST extent (the highest kernel id, so the linear
 *     scan (<= 5 extents) and the binary search (> 5) both have to search).
 *     Mean ns per fstat over FSMAP_FILES files (default 100000), FSMAP_REPS
 *     passes (default 3), fds opened in batches outside the timed loop.
 * (2) Setup time of an idmapped bind mount (libuserns: helper namespace, open_tree,
 *     mount_setattr, move_mount) for trees of 1k, 10k, 100k files against a
 *     recursive chown of the same tree (`chown -R`), the work an idmapped mount
 *     replaces.  FSMAP_TREES=1000,10000,100000 by default.
 *
 * Needs root; runs in a private mount namespace, files in one mktemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "userns/mount.h"

#define OWNER 5000u   /* kernel id of the last extent: 5000 is above every other extent's lower id */

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int make_files(const char *dir, long n, uid_t owner)
{
        char p[4200];
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        for (long i = 0; i < n; i++) {
                /* 1000 files per subdirectory, like a real tree */
                if (i % 1000 == 0) {
                        snprintf(p, sizeof p, "%s/d%ld", dir, i / 1000);
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                }
                snprintf(p, sizeof p, "%s/d%ld/f%ld", dir, i / 1000, i);
                int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -errno;
                if (owner != (uid_t)-1 && fchown(fd, owner, owner) < 0) {
                        close(fd);
                        return -errno;
                }
                close(fd);
        }
        return 0;
}

/* The N-extent map: "i 1000+i 1" for i < N-1, then "N-1 5000 1" (short lines: 340 fit in 4095 bytes). */
static int map_text(int n, char *buf, size_t size)
{
        size_t o = 0;
        for (int i = 0; i < n; i++) {
                int w = snprintf(buf + o, size - o, "%d %u 1\n", i, i == n - 1 ? OWNER : 1000u + (unsigned)i);
                if (w < 0 || (size_t)w >= size - o)
                        return -1;
                o += (size_t)w;
        }
        return (int)o;
}

static int write_file(pid_t pid, const char *name, const char *text, size_t len)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t w = write(fd, text, len);
        close(fd);
        return w == (ssize_t)len ? 0 : -1;
}

/* Child: (in the namespace) time fstat over all files; writes the mean ns to `out`. */
static void measure(const char *dir, long nfiles, int reps, int out)
{
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        long batch = (long)rl.rlim_cur - 64;
        if (batch > 10000)
                batch = 10000;
        int *fds = malloc(sizeof *fds * (size_t)batch);
        double total = 0;
        long count = 0, bad = 0;
        char p[4200];
        for (long start = 0; start < nfiles; start += batch) {
                long n = nfiles - start < batch ? nfiles - start : batch;
                for (long i = 0; i < n; i++) {
                        long k = start + i;
                        snprintf(p, sizeof p, "%s/d%ld/f%ld", dir, k / 1000, k);
                        fds[i] = open(p, O_PATH | O_CLOEXEC);
                }
                struct stat st;
                for (int r = 0; r < reps; r++) {
                        double t0 = now_ns();
                        for (long i = 0; i < n; i++)
                                if (fstat(fds[i], &st) < 0)
                                        bad++;
                        total += now_ns() - t0;
                        count += n;
                }
                for (long i = 0; i < n; i++)
                        close(fds[i]);
        }
        free(fds);
        double mean = bad ? -1 : total / (double)count;
        (void)!write(out, &mean, sizeof mean);
}

static double fstat_with_extents(const char *dir, long nfiles, int reps, int extents)
{
        int go[2], res[2];
        if (pipe(go) < 0 || pipe(res) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(go[1]);
                close(res[0]);
                if (extents > 0 && unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                char c;
                (void)!write(res[1], "r", 1);
                if (read(go[0], &c, 1) != 1)
                        _exit(1);
                measure(dir, nfiles, reps, res[1]);
                _exit(0);
        }
        close(go[0]);
        close(res[1]);
        char c, text[4096];
        double mean = -1;
        if (read(res[0], &c, 1) != 1)
                goto out;
        if (extents > 0) {
                int len = map_text(extents, text, sizeof text);
                if (len < 0 || write_file(pid, "uid_map", text, (size_t)len) < 0 ||
                    write_file(pid, "gid_map", text, (size_t)len) < 0) {
                        fprintf(stderr, "fsmap: writing a %d-extent map: %m\n", extents);
                        goto out;
                }
        }
        (void)!write(go[1], "g", 1);
        if (read(res[0], &mean, sizeof mean) != sizeof mean)
                mean = -1;
out:
        close(go[1]);
        close(res[0]);
        waitpid(pid, NULL, 0);
        return mean;
}

static double run_chown(const char *dir, const char *owner)
{
        double t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
                execlp("chown", "chown", "-R", owner, dir, (char *)NULL);
                _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
                return -1;
        return now_ns() - t0;
}

static double idmapped_setup(const char *src, const char *dst, const struct userns_idmap *m, int reps)
{
        double best = -1;
        for (int r = 0; r < reps; r++) {
                struct userns_error err = { 0 };
                struct userns_mount_opts o = { .uid_map = m, .gid_map = m };
                double t0 = now_ns();
                if (userns_mount_bind(src, dst, &o, &err) < 0) {
                        fprintf(stderr, "fsmap: %s\n", err.message);
                        return -1;
                }
                double t = now_ns() - t0;
                umount2(dst, MNT_DETACH);
                if (best < 0 || t < best)
                        best = t;
        }
        return best;
}

int main(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "fsmap: needs root\n");
                return 1;
        }
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                perror("fsmap: private mount namespace");
                return 1;
        }
        long nfiles = getenv("FSMAP_FILES") ? atol(getenv("FSMAP_FILES")) : 100000;
        int reps = getenv("FSMAP_REPS") ? atoi(getenv("FSMAP_REPS")) : 3;
        const char *trees = getenv("FSMAP_TREES") ? getenv("FSMAP_TREES") : "1000,10000,100000";
        char base[] = "/tmp/bench-fsmap.XXXXXX", dir[256], cmd[600];
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                return 1;
        }
        chmod(base, 0755);
        /* (1) on tmpfs, so the numbers are the VFS and id-map costs, not a disk's */
        snprintf(dir, sizeof dir, "%s/stat", base);
        mkdir(dir, 0755);
        if (mount("none", dir, "tmpfs", 0, "size=1g,nr_inodes=0") < 0) {
                perror("fsmap: tmpfs");
                return 1;
        }
        if (make_files(dir, nfiles, OWNER) < 0) {
                perror("fsmap: creating files");
                return 1;
        }
        printf("fstat through a user namespace with N extents (uid and gid maps), %ld files owned by the\n"
               "last extent's id, %d passes, tmpfs, Linux kernel of this machine:\n\n", nfiles, reps);
        printf("%10s %14s %14s\n", "extents", "ns/fstat", "vs 0 extents");
        static const int ns[] = { 0, 1, 2, 3, 5, 10, 50, 100, 200, 300, 340 };
        double base_ns = 0;
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
                double m = fstat_with_extents(dir, nfiles, reps, ns[i]);
                if (i == 0)
                        base_ns = m;
                if (m < 0)
                        printf("%10d %14s\n", ns[i], "failed");
                else
                        printf("%10d %14.1f %+13.1f%%\n", ns[i], m, base_ns > 0 ? (m / base_ns - 1) * 100 : 0);
                fflush(stdout);
        }
        umount2(dir, MNT_DETACH);

        /* (2) on the disk's filesystem (ext4 here) */
        printf("\nSetup: idmapped bind mount (libuserns) vs chown -R of the same tree (best of 5 / one run):\n\n");
        printf("%10s %18s %14s %10s\n", "files", "idmapped mount ms", "chown -R ms", "ratio");
        struct userns_idmap *m = NULL;
        struct userns_error err = { 0 };
        const char *mt = "0:100000:65536";
        if (userns_idmap_parse(mt, strlen(mt), USERNS_IDMAP_FORMAT_COMPACT, USERNS_IDMAP_UID, &m, &err) < 0) {
                fprintf(stderr, "fsmap: %s\n", err.message);
                return 1;
        }
        char *list = strdup(trees), *save = NULL;
        int t = 0;
        for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save), t++) {
                long n = atol(tok);
                char src[300], dst[300];
                snprintf(src, sizeof src, "%s/tree%d", base, t);
                snprintf(dst, sizeof dst, "%s/mnt%d", base, t);
                mkdir(dst, 0755);
                if (make_files(src, n, (uid_t)-1) < 0) {
                        perror("fsmap: creating the tree");
                        break;
                }
                sync();
                double im = idmapped_setup(src, dst, m, 5);
                double ch = run_chown(src, "100000:100000");
                printf("%10ld %18.3f %14.1f %9.0fx\n", n, im / 1e6, ch / 1e6, im > 0 ? ch / im : 0);
                fflush(stdout);
        }
        free(list);
        userns_idmap_free(m);
        snprintf(cmd, sizeof cmd, "rm -rf %s", base);
        return system(cmd) == 0 ? 0 : 1;
}
