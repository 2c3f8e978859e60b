/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* userns run --caps/--cap-add/--cap-drop/--userns-caps/--nested-userns/--no-new-privs/--securebits:
 * option handlers and the hooks that apply the policy (the rules live in lib/caps-restrict.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cli.h"
#include "cmd-run.h"
#include "userns/caps-restrict.h"
#include "userns/caps.h"

/* rc->ext slot of this feature (one malloc'd struct, freed by cmd-run.c). */
#define RUN_EXT_CAPS 2

static struct userns_caps_policy *policy(struct run_cli *rc)
{
        if (!rc->ext[RUN_EXT_CAPS])
                rc->ext[RUN_EXT_CAPS] = calloc(1, sizeof(struct userns_caps_policy));
        return rc->ext[RUN_EXT_CAPS];
}

static int parse_set(struct run_cli *rc, const char *opt, const char *arg, uint64_t *out)
{
        int r = userns_caps_parse(arg, out, &rc->err);
        if (r < 0)
                userns_error_prefix(&rc->err, "%s '%s'", opt, arg);
        return r;
}

#define POLICY_OR_FAIL(rc, p) \
        struct userns_caps_policy *p = policy(rc); \
        if (!p) \
                return userns_error_set(&(rc)->err, ENOMEM, "out of memory")

int run_caps_opt_caps(struct run_cli *rc, const char *arg)
{
        POLICY_OR_FAIL(rc, p);
        if (p->keep_set)
                return userns_error_set(&rc->err, EINVAL, "--caps given twice");
        p->keep_set = true;
        return parse_set(rc, "--caps", arg, &p->keep);
}

/* --cap-add / --cap-drop: the later option wins for a capability named by both. */
static int adjust(struct run_cli *rc, const char *opt, const char *arg, bool add)
{
        POLICY_OR_FAIL(rc, p);
        uint64_t s;
        int r = parse_set(rc, opt, arg, &s);
        if (r == 0) {
                p->add = add ? p->add | s : p->add & ~s;
                p->drop = add ? p->drop & ~s : p->drop | s;
        }
        return r;
}

int run_caps_opt_cap_add(struct run_cli *rc, const char *arg) { return adjust(rc, "--cap-add", arg, true); }
int run_caps_opt_cap_drop(struct run_cli *rc, const char *arg) { return adjust(rc, "--cap-drop", arg, false); }

int run_caps_opt_userns_caps(struct run_cli *rc, const char *arg)
{
        POLICY_OR_FAIL(rc, p);
        p->ceiling_set = true;
        return parse_set(rc, "--userns-caps", arg, &p->ceiling);
}

int run_caps_opt_nested(struct run_cli *rc, const char *arg)
{
        POLICY_OR_FAIL(rc, p);
        return userns_nested_parse(arg, &p->nested, &rc->err);
}

int run_caps_opt_nnp(struct run_cli *rc, const char *arg)
{
        (void)arg;
        POLICY_OR_FAIL(rc, p);
        p->no_new_privs = true;
        return 0;
}

int run_caps_opt_securebits(struct run_cli *rc, const char *arg)
{
        POLICY_OR_FAIL(rc, p);
        unsigned bits;
        int r = userns_securebits_parse(arg, &bits, &rc->err);
        if (r < 0)
                return userns_error_prefix(&rc->err, "--securebits '%s'", arg);
        p->securebits |= bits;
        return 0;
}

static int hook_prepare(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        (void)ctx;
        return userns_caps_policy_prepare(data, err);
}

static int hook_apply(void *data, const struct userns_spawn_ctx *ctx, struct userns_error *err)
{
        (void)ctx;
        int r = userns_caps_policy_apply(data, NULL, err);
        return r < 0 ? userns_error_prefix(err, "applying the capability policy") : 0;
}

int run_caps_finish(struct run_cli *rc)
{
        struct userns_caps_policy *p = rc->ext[RUN_EXT_CAPS];
        if (!p)
                return 0;
        int r = userns_caps_policy_resolve(p, userns_caps_native_userns_caps() == 1, &rc->err);
        if (r < 0 || userns_caps_policy_empty(p))
                return r;
        if ((r = userns_spawn_add_hook(rc->spawn, USERNS_STAGE_INSIDE_SETUP, hook_prepare, p, &rc->err)) < 0)
                return r;
        return userns_spawn_add_hook(rc->spawn, USERNS_STAGE_INSIDE_EXEC, hook_apply, p, &rc->err);
}
