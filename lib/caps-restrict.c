/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A capability ceiling for a user namespace and everything below it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps-private.h"
#include "userns/caps-restrict.h"
#include "userns/caps.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

int userns_caps_native_userns_caps(void)
{
        /* The proposal shows the set as "CapUNs:" and answers IS_SET with 0 or 1.  Kernels
         * without it reject prctl option 48 with EINVAL; both must agree so a future,
         * different use of 48 is not mistaken for it. */
        errno = 0;
        int r = prctl(USERNS_PR_CAP_USERNS, USERNS_PR_CAP_USERNS_IS_SET, 0, 0, 0);
        if (r < 0 && errno == EINVAL)
                return 0;
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return 0;
        char line[256];
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "CapUNs:", 7) == 0)
                        return r >= 0;
        return 0;
}

int userns_nested_parse(const char *text, enum userns_nested *out, struct userns_error *err)
{
        if (text && strcmp(text, "allow") == 0)
                *out = USERNS_NESTED_ALLOW;
        else if (text && strcmp(text, "deny") == 0)
                *out = USERNS_NESTED_DENY;
        else
                return userns_error_set(err, EINVAL, "nested user namespaces: '%s' is neither allow nor deny",
                                        text ? text : "");
        return 0;
}

int userns_caps_policy_resolve(struct userns_caps_policy *p, bool native, struct userns_error *err)
{
        if (p->keep_set) {
                p->keep = (p->keep | p->add) & ~p->drop;
                p->add = p->drop = 0;
        }
        if (p->add & p->drop) {
                char t[USERNS_CAPS_TEXT_MAX];
                userns_caps_format(p->add & p->drop, t, sizeof t);
                return userns_error_set(err, EINVAL, "%s both added and dropped", t);
        }
        if (!p->ceiling_set)
                return 0;
        uint64_t outside = ((p->keep_set ? p->keep : 0) | p->add) & ~p->ceiling;
        if (outside) {
                char t[USERNS_CAPS_TEXT_MAX];
                userns_caps_format(outside, t, sizeof t);
                return userns_error_set(err, EINVAL,
                        "the command's capabilities include %s, outside the namespace's ceiling", t);
        }
        if (p->nested == USERNS_NESTED_DEFAULT)
                p->nested = native ? USERNS_NESTED_ALLOW : USERNS_NESTED_DENY;
        if (p->nested == USERNS_NESTED_ALLOW && !native)
                return userns_error_set(err, EPERM,
                        "a capability ceiling with nested user namespaces allowed needs a kernel that "
                        "enforces a user-namespace capability set (prctl PR_CAP_USERNS); this kernel has "
                        "none (prctl 48 gives EINVAL), so a nested namespace would get every capability "
                        "back: use --nested-userns deny");
        return 0;
}

bool userns_caps_policy_empty(const struct userns_caps_policy *p)
{
        return !p->keep_set && !p->add && !p->drop && !p->ceiling_set && p->nested != USERNS_NESTED_DENY &&
               !p->no_new_privs && !p->securebits;
}

int userns_caps_policy_prepare(const struct userns_caps_policy *p, struct userns_error *err)
{
        if (userns_caps_policy_empty(p))
                return 0;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return userns_error_errno(err, errno, "keeping capabilities across the identity switch");
        /* This process may stay behind with every capability of the namespace (the PID 1 that
         * reaps the command).  Non-dumpable, it can only be ptraced (or its /proc/PID/mem, fds
         * and memory reached) with CAP_SYS_PTRACE over the namespace it was exec'd in, which is
         * outside: the command cannot take it over to escape the ceiling.  execve(2) of the
         * command makes that process dumpable again. */
        if ((p->ceiling_set || p->nested == USERNS_NESTED_DENY) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return userns_error_errno(err, errno, "making the process that keeps the namespace non-dumpable");
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned nargs, struct scmp_arg_cmp arg,
                    const char *name, struct userns_error *err)
{
        int r = nargs ? seccomp_rule_add(ctx, action, nr, 1, arg) : seccomp_rule_add(ctx, action, nr, 0);
        return r < 0 ? userns_error_errno(err, -r, "seccomp rule for %s", name) : 0;
}

int userns_caps_seccomp_deny_userns(bool set_no_new_privs, struct userns_error *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return userns_error_set(err, ENOMEM, "seccomp filter: cannot allocate");
        int r = 0;
        /* Cover the compat ABIs too, or a 32-bit unshare(2) would walk around the filter (and
         * libseccomp would kill every 32-bit process by default). */
        uint32_t native = seccomp_arch_native();
        if (native == SCMP_ARCH_X86_64) {
                seccomp_arch_add(ctx, SCMP_ARCH_X86);
                seccomp_arch_add(ctx, SCMP_ARCH_X32);
        } else if (native == SCMP_ARCH_AARCH64) {
                seccomp_arch_add(ctx, SCMP_ARCH_ARM);
        }
        /* no_new_privs only when asked for: in a new user namespace we hold CAP_SYS_ADMIN. */
        if (!set_no_new_privs && (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) {
                r = userns_error_errno(err, -r, "seccomp filter attribute");
                goto out;
        }
        /* clone(2) takes its flags in the second argument on s390. */
        bool s390 = native == SCMP_ARCH_S390 || native == SCMP_ARCH_S390X;
        struct scmp_arg_cmp newuser0 = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
        struct scmp_arg_cmp newuser1 = SCMP_A1(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
        if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1, newuser0, "unshare", err)) < 0 ||
            (r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, s390 ? newuser1 : newuser0, "clone",
                          err)) < 0 ||
            /* clone3 passes its flags in memory, which seccomp cannot read: refuse it whole with
             * ENOSYS, the answer that makes glibc and others fall back to clone(2). */
            (r = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, newuser0, "clone3", err)) < 0)
                goto out;
        r = seccomp_load(ctx);
        if (r < 0)
                r = userns_error_errno(err, -r,
                        "loading the seccomp filter against new user namespaces (needs cap_sys_admin or no_new_privs)");
out:
        seccomp_release(ctx);
        return r;
}

/* max_user_namespaces = 0 in the caller's namespace: it owns this table, so its root may write. */
static int write_max_userns_zero(void)
{
        _cleanup_close_ int fd = open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, "0\n", 2) != 2)
                return errno ? -errno : -EIO;
        return 0;
}

int userns_caps_policy_apply(const struct userns_caps_policy *p, struct userns_caps_report *rep,
                             struct userns_error *err)
{
        struct userns_caps_report dummy;
        if (!rep)
                rep = &dummy;
        *rep = (struct userns_caps_report){ 0 };
        rep->native = p->ceiling_set && userns_caps_native_userns_caps() == 1;
        if (p->ceiling_set && p->nested == USERNS_NESTED_ALLOW && !rep->native)
                return userns_error_set(err, EPERM, "policy not resolved: ceiling with nesting allowed on a kernel "
                                        "without a user-namespace capability set");
        struct userns_caps_state st;
        int r = userns_caps_read(0, &st, err);
        if (r < 0)
                return r;
        /* Work with every permitted capability effective; lowered again at the end. */
        if ((r = caps_set(st.permitted, st.permitted, st.inheritable, err)) < 0)
                return r;

        if (p->nested == USERNS_NESTED_DENY) {
                r = write_max_userns_zero();
                rep->sysctl_written = r == 0;
                rep->sysctl_errno = -r;
                if ((r = userns_caps_seccomp_deny_userns(p->no_new_privs, err)) < 0)
                        return r;
                rep->seccomp = true;
                rep->nested_blocked = true;
        }
        if (rep->native) {
                for (unsigned c = 0; c <= userns_caps_last_cap(); c++)
                        if (!(p->ceiling & (UINT64_C(1) << c)) &&
                            prctl(USERNS_PR_CAP_USERNS, USERNS_PR_CAP_USERNS_LOWER, c, 0, 0) < 0)
                                return userns_error_errno(err, errno, "lowering capability %u in the user-namespace set",
                                                          c);
        }
        /* K and B as described in the header. */
        bool explicit = p->keep_set || p->add || p->drop;
        bool sets = explicit || p->ceiling_set;
        uint64_t all = userns_caps_all(), ceiling = p->ceiling_set ? p->ceiling : all;
        uint64_t base = p->keep_set ? p->keep : (getuid() == 0 || geteuid() == 0) ? st.permitted & st.bounding : 0;
        uint64_t keep = ((base | p->add) & ~p->drop) & ceiling;
        uint64_t bound = (explicit ? keep : st.bounding) & ceiling;
        if (sets && (r = caps_apply_sets(keep, bound, false, err)) < 0)
                return r;

        unsigned bits = p->securebits;
        if (p->ceiling_set && !rep->native)
                bits |= USERNS_CAPS_CEILING_SECUREBITS;
        int cur = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
        if (cur < 0)
                return userns_error_errno(err, errno, "reading securebits");
        unsigned want = (unsigned)cur | bits;
        if (p->ceiling_set && !rep->native)
                want &= ~USERNS_SECBIT_KEEP_CAPS;       /* off and locked */
        if (want != (unsigned)cur) {
                if (prctl(PR_SET_SECUREBITS, want, 0, 0, 0) < 0) {
                        char t[256];
                        userns_securebits_format(bits, t, sizeof t);
                        return userns_error_errno(err, errno, "setting securebits %s (needs cap_setpcap; a locked bit "
                                                  "cannot change)", t);
                }
        }
        rep->securebits = (unsigned)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
        if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return userns_error_errno(err, errno, "setting no_new_privs");
        if (sets)
                return caps_lower(keep, err);
        return caps_set(st.permitted, st.effective, st.inheritable, err);
}
