/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Differential test of the cap_capable() model (lib/caps-model.c) against the kernel.
 *
 * A nested setup of three levels below the initial namespace I:
 *     I ─┬─ A  (created by uid 1000;   maps 0 100000 65536) ─┬─ B  (by A-uid 1 = k100001; 0 1000 1000) ── C (by B-uid 1 = k101001; 0 100 100)
 *        │                                                   └─ B2 (by A-uid 0 = k100000; 0 2000 1000)
 *        └─ A2 (created by uid 2000;   maps 0 200000 65536)
 * Each namespace gets a UTS namespace it owns (a holder process keeps both alive).  The model's
 * tree is read back from the kernel (NS_GET_PARENT, NS_GET_OWNER_UID) and checked against the
 * plan.  Then for every credential (a user namespace, a uid in it, an effective set) and every
 * UTS namespace: the model decides "CAP_SYS_ADMIN over the UTS namespace's owner?", and a
 * process with exactly those credentials, sitting in that UTS namespace, calls sethostname(2).
 * The two answers must agree.  (setns(2) into the UTS namespace happens before the credentials
 * are taken, as root of the initial namespace; setns into a user namespace changes only creds.)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "userns/caps-model.h"
#include "userns/caps.h"

#define SYS_ADMIN 21
#define BIT(c) (UINT64_C(1) << (c))

enum { I, A, A2, B, B2, C, NNS };
static const char *const names[NNS] = { "I", "A", "A2", "B", "B2", "C" };

struct plan {
        int parent;             /* -1 for I */
        uint32_t creator;       /* uid in the parent that creates it */
        uint32_t lower, count;  /* map "0 lower count", lower in the parent's ids */
        uint32_t kbase;         /* kernel uid of uid 0 inside */
        uint32_t owner;         /* expected kernel uid of the owner */
};
static const struct plan plan[NNS] = {
        [I] = { -1, 0, 0, 0, 0, 0 },
        [A] = { I, 1000, 100000, 65536, 100000, 1000 },
        [A2] = { I, 2000, 200000, 65536, 200000, 2000 },
        [B] = { A, 1, 1000, 1000, 101000, 100001 },
        [B2] = { A, 0, 2000, 1000, 102000, 100000 },
        [C] = { B, 1, 100, 100, 101100, 101001 },
};

struct live {
        pid_t holder;
        int userns, uts;        /* fds (userns = -1 for I: the driver is there already) */
};
static struct live live[NNS];

static int write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, text, strlen(text));
        int e = n < 0 ? -errno : 0;
        close(fd);
        return e;
}

static int set_ids(uint32_t id)
{
        return setresgid(id, id, id) < 0 || setresuid(id, id, id) < 0 ? -errno : 0;
}

/* The holder of namespace `i`: enters the parent, takes the creator's ids, unshares the user
 * namespace, waits for its maps, becomes root inside and unshares a UTS namespace it owns. */
static void holder(int i, int to_parent, int from_parent)
{
        char c;
        const struct plan *p = &plan[i];
        if (i != I) {
                if (p->parent != I && setns(live[p->parent].userns, CLONE_NEWUSER) < 0)
                        _exit(10);
                if (set_ids(p->creator) < 0 || unshare(CLONE_NEWUSER) < 0)
                        _exit(11);
                if (write(to_parent, "u", 1) != 1 || read(from_parent, &c, 1) != 1)
                        _exit(12);
                if (set_ids(0) < 0)
                        _exit(13);
        }
        if (unshare(CLONE_NEWUTS) < 0 || sethostname(names[i], strlen(names[i])) < 0)
                _exit(14);
        if (write(to_parent, "r", 1) != 1)
                _exit(15);
        for (;;)
                pause();
}

/* Write namespace i's maps from its parent (a forked writer enters the parent first). */
static int write_maps(int i)
{
        const struct plan *p = &plan[i];
        pid_t w = fork();
        if (w < 0)
                return -errno;
        if (w == 0) {
                char path[64], line[64];
                if (p->parent != I && setns(live[p->parent].userns, CLONE_NEWUSER) < 0)
                        _exit(20);
                snprintf(line, sizeof line, "0 %u %u", p->lower, p->count);
                snprintf(path, sizeof path, "/proc/%d/uid_map", (int)live[i].holder);
                if (write_file(path, line) < 0)
                        _exit(21);
                snprintf(path, sizeof path, "/proc/%d/gid_map", (int)live[i].holder);
                _exit(write_file(path, line) < 0 ? 22 : 0);
        }
        int st;
        waitpid(w, &st, 0);
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EPERM;
}

static int make_ns(int i)
{
        int up[2], down[2];
        if (pipe(up) < 0 || pipe(down) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(up[0]);
                close(down[1]);
                holder(i, up[1], down[0]);
        }
        close(up[1]);
        close(down[0]);
        live[i].holder = pid;
        char c = 0;
        int r = 0;
        if (i != I) {
                if (read(up[0], &c, 1) != 1 || c != 'u')
                        r = -EIO;
                if (r == 0 && (r = write_maps(i)) == 0 && write(down[1], "g", 1) != 1)
                        r = -EIO;
        }
        if (r == 0 && (read(up[0], &c, 1) != 1 || c != 'r'))
                r = -EIO;
        close(up[0]);
        close(down[1]);
        if (r < 0)
                return r;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)pid);
        live[i].uts = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
        live[i].userns = i == I ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        return live[i].uts < 0 || (i != I && live[i].userns < 0) ? -errno : 0;
}

static ino_t ino_of(int fd)
{
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static int capset_eff(uint64_t eff)
{
        struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct d[2] = { { (uint32_t)eff, (uint32_t)eff, 0 },
                                               { (uint32_t)(eff >> 32), (uint32_t)(eff >> 32), 0 } };
        return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* In a child: join UTS namespace `target`, take the credentials, try sethostname.
 * Returns 1 granted, 0 EPERM, -1 setup failure. */
static int kernel_says(int target, int ns, uint32_t uid, uint64_t eff)
{
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (setns(live[target].uts, CLONE_NEWUTS) < 0)
                        _exit(30);
                if (ns != I && setns(live[ns].userns, CLONE_NEWUSER) < 0)
                        _exit(31);
                /* Keep capabilities across the uid change, then set exactly `eff`. */
                if (prctl(PR_SET_SECUREBITS, 1 << 2 /* no-setuid-fixup */, 0, 0, 0) < 0)
                        _exit(32);
                if (set_ids(uid) < 0)
                        _exit(33);
                if (capset_eff(eff) < 0)
                        _exit(34);
                if (sethostname("kdiff", 5) == 0)
                        _exit(1);
                _exit(errno == EPERM ? 0 : 35);
        }
        int st;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
                return -1;
        int code = WEXITSTATUS(st);
        if (code > 1)
                tap_check(0, "setup of a credential failed at step %d", code);
        return code <= 1 ? code : -1;
}

int main(void)
{
        if (geteuid() != 0) {
                tap_skip("needs root in the initial user namespace");
                return tap_done();
        }
        for (int i = 0; i < NNS; i++) {
                int r = make_ns(i);
                tap_check(r == 0, "namespace %s created with its own UTS namespace%s%s", names[i],
                          r ? ": " : "", r ? strerror(-r) : "");
                if (r) {
                        for (int k = 0; k <= i; k++)
                                if (live[k].holder > 0)
                                        kill(live[k].holder, SIGKILL);
                        return tap_done();
                }
        }

        /* The model's tree, read back from the kernel. */
        struct userns_capns model[NNS];
        int init_fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        ino_t inos[NNS];
        inos[I] = ino_of(init_fd);
        for (int i = A; i < NNS; i++)
                inos[i] = ino_of(live[i].userns);
        model[I] = (struct userns_capns){ NULL, 0, 0, inos[I] };
        for (int i = A; i < NNS; i++) {
                int pfd = ioctl(live[i].userns, NS_GET_PARENT);
                ino_t pino = pfd >= 0 ? ino_of(pfd) : 0;
                if (pfd >= 0)
                        close(pfd);
                uid_t owner = (uid_t)-1;
                ioctl(live[i].userns, NS_GET_OWNER_UID, &owner);
                int parent = -1;
                for (int k = 0; k < NNS; k++)
                        if (inos[k] == pino)
                                parent = k;
                tap_check(parent == plan[i].parent && owner == plan[i].owner,
                          "kernel: %s's parent is %s (want %s), owner uid %u (want %u)", names[i],
                          parent >= 0 ? names[parent] : "?", names[plan[i].parent], (unsigned)owner, plan[i].owner);
                if (parent < 0)
                        parent = plan[i].parent;
                model[i] = (struct userns_capns){ &model[parent], model[parent].level + 1, owner, inos[i] };
        }
        close(init_fd);

        /* Credentials: in every namespace, uids 0 and 1, plus the ones the owner rule is about. */
        struct cred {
                int ns;
                uint32_t uid;
        } creds[64];
        size_t nc = 0;
        for (int i = 0; i < NNS; i++) {
                creds[nc++] = (struct cred){ i, 0 };
                creds[nc++] = (struct cred){ i, 1 };
        }
        static const struct cred extra[] = {
                { I, 1000 }, { I, 2000 }, { I, 100000 }, { I, 100001 }, { I, 101001 },
                { A, 1001 }, { A, 999 }, { B, 2 }, { A2, 1000 },
        };
        for (size_t k = 0; k < sizeof extra / sizeof *extra; k++)
                creds[nc++] = extra[k];
        const uint64_t effs[3] = { BIT(SYS_ADMIN), 0, userns_caps_all() & ~BIT(SYS_ADMIN) };
        const char *const effnames[3] = { "{sys_admin}", "{}", "all-sys_admin" };

        struct userns_caps_state self;
        if (userns_caps_read(0, &self, NULL) < 0)
                self.permitted = 0;
        unsigned pairs = 0, agree = 0, granted = 0, by_rule[3] = { 0 };
        for (size_t k = 0; k < nc; k++)
                for (int e = 0; e < 3; e++)
                        for (int t = 0; t < NNS; t++) {
                                const struct cred *cr = &creds[k];
                                /* In I the driver's own permitted set bounds what it can keep (the
                                 * host may lack some, e.g. cap_sys_resource); setns gives all. */
                                uint64_t eff = cr->ns == I ? effs[e] & self.permitted : effs[e];
                                struct userns_capcred mc = { &model[cr->ns], plan[cr->ns].kbase + cr->uid, eff };
                                struct userns_cap_verdict v;
                                bool want = userns_cap_model_capable(&mc, &model[t], SYS_ADMIN, &v);
                                int got = kernel_says(t, cr->ns, cr->uid, eff);
                                pairs++;
                                if (got == (int)want)
                                        agree++;
                                granted += got == 1;
                                by_rule[v.rule]++;
                                tap_check(got == (int)want,
                                          "%s uid %u (k%u) eff %s over %s: model %s (%s), kernel %s", names[cr->ns],
                                          cr->uid, mc.euid, effnames[e], names[t], want ? "yes" : "no",
                                          userns_cap_rule_name(v.rule),
                                          got == 1 ? "yes" : got == 0 ? "no (EPERM)" : "setup failed");
                        }
        printf("# %u (credential, namespace) pairs: %u agree; kernel granted %u; decided by effective set %u, "
               "owner rule %u, not a descendant %u\n",
               pairs, agree, granted, by_rule[USERNS_CAP_RULE_EFFECTIVE], by_rule[USERNS_CAP_RULE_OWNER],
               by_rule[USERNS_CAP_RULE_NOT_BELOW]);
        for (int i = NNS - 1; i >= 0; i--) {
                kill(live[i].holder, SIGKILL);
                waitpid(live[i].holder, NULL, 0);
                close(live[i].uts);
                if (live[i].userns >= 0)
                        close(live[i].userns);
        }
        return tap_done();
}
