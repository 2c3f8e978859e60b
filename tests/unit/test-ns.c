/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the namespace helpers: pure parts, and small real-kernel checks. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "userns/ns-enter.h"
#include "userns/ns-id.h"
#include "userns/ns-keep.h"
#include "userns/ns-tree.h"

static struct userns_idmap *map_of(const char *compact)
{
        struct userns_idmap *m = NULL;
        assert_int_equal(userns_idmap_parse(compact, strlen(compact), USERNS_IDMAP_FORMAT_COMPACT,
                                            USERNS_IDMAP_UID, &m, NULL), 0);
        return m;
}

static void assert_map(const struct userns_idmap *m, const char *want)
{
        char *s = NULL;
        assert_non_null(m);
        assert_int_equal(userns_idmap_format(m, USERNS_IDMAP_FORMAT_COMPACT, &s, NULL), 0);
        assert_string_equal(s, want);
        free(s);
}

/* --- types --- */

static void types_round_trip(void **state)
{
        for (int t = 0; t < USERNS_NS_TYPE_COUNT; t++) {
                enum userns_ns_type back;
                assert_int_equal(userns_ns_type_from_name(userns_ns_type_name(t), &back), 0);
                assert_int_equal(back, t);
                assert_int_equal(userns_ns_type_from_flag(userns_ns_type_flag(t), &back), 0);
                assert_int_equal(back, t);
        }
        assert_int_equal(userns_ns_type_flag(USERNS_NS_USER), CLONE_NEWUSER);
        assert_int_equal(userns_ns_type_flag(USERNS_NS_MNT), CLONE_NEWNS);
        enum userns_ns_type t;
        assert_int_equal(userns_ns_type_from_name("mount", &t), 0);
        assert_int_equal(t, USERNS_NS_MNT);
        assert_int_equal(userns_ns_type_from_name("users", &t), -EINVAL);
        assert_null(userns_ns_type_name(USERNS_NS_TYPE_COUNT));
        char buf[48];
        assert_string_equal(userns_ns_format(USERNS_NS_USER, 4026531837u, buf, sizeof buf), "user:[4026531837]");
}

static void types_parse(void **state)
{
        unsigned m = 0;
        struct userns_error err = { 0 };
        assert_int_equal(userns_ns_types_parse("user,net,mount", &m, &err), 0);
        assert_int_equal(m, USERNS_NS_BIT(USERNS_NS_USER) | USERNS_NS_BIT(USERNS_NS_NET) | USERNS_NS_BIT(USERNS_NS_MNT));
        assert_int_equal(userns_ns_types_parse("all", &m, &err), 0);
        assert_int_equal(m, USERNS_NS_ALL_TYPES);
        assert_int_equal(userns_ns_types_parse("net,bogus", &m, &err), -EINVAL);
        assert_non_null(strstr(err.message, "'bogus'"));
        assert_int_equal(userns_ns_types_parse("", &m, &err), -EINVAL);
        assert_int_equal(userns_ns_types_parse(",", &m, &err), -EINVAL);
}

/* --- /proc/PID/status --- */

static void status_parse(void **state)
{
        const char *text = "Name:\tsleep\nUid:\t101008\t101008\t101008\t101008\n"
                           "Gid:\t102011\t102011\t102011\t102011\nFDSize:\t64\nGroups:\t102012 102013 \nNStgid:\t1\n";
        uint32_t uid, gid, *groups = NULL;
        size_t n = 0;
        assert_int_equal(userns_ns_parse_status(text, &uid, &gid, &groups, &n, NULL), 0);
        assert_int_equal(uid, 101008);
        assert_int_equal(gid, 102011);
        assert_int_equal(n, 2);
        assert_int_equal(groups[0], 102012);
        assert_int_equal(groups[1], 102013);
        free(groups);
        assert_int_equal(userns_ns_parse_status("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n", &uid, &gid,
                                                &groups, &n, NULL), 0);
        assert_int_equal(n, 0);
        free(groups);
        struct userns_error err = { 0 };
        assert_int_equal(userns_ns_parse_status("Uid:\t0\n", &uid, &gid, &groups, &n, &err), -EINVAL);
        assert_non_null(strstr(err.message, "Gid:"));
}

/* --- ids at every level (pure) --- */

static void translate_down(void **state)
{
        /* The nesting of tests/cli/ns/nest.bash: L1 0:100000:65536, L2 0:1000:2000, L3 0:5:10. */
        struct userns_idmap *l1 = map_of("0:100000:65536"), *l2 = map_of("0:1000:2000"), *l3 = map_of("0:5:10");
        const struct userns_idmap *maps[3] = { l1, l2, l3 };
        struct userns_id_value v[4];
        userns_id_translate_down(maps, 3, (struct userns_id_value){ 101008, true }, v);
        assert_int_equal(v[0].id, 101008);
        assert_int_equal(v[1].id, 1008);
        assert_int_equal(v[2].id, 8);
        assert_int_equal(v[3].id, 3);
        assert_true(v[3].mapped);
        /* Host root: unmapped at every level below, and shown as 65534. */
        userns_id_translate_down(maps, 3, (struct userns_id_value){ 0, true }, v);
        assert_true(v[0].mapped);
        for (int k = 1; k <= 3; k++) {
                assert_false(v[k].mapped);
                assert_int_equal(v[k].id, USERNS_OVERFLOW_ID);
        }
        /* Mapped in L1 and L2 but not in L3 (uid 1020 of L1 = 20 of L2, L3 maps 5..14). */
        userns_id_translate_down(maps, 3, (struct userns_id_value){ 101020, true }, v);
        assert_true(v[2].mapped);
        assert_int_equal(v[2].id, 20);
        assert_false(v[3].mapped);
        /* An unmapped top stays unmapped even where 65534 would map. */
        const struct userns_idmap *wide[1] = { map_of("0:0:4294967295") };
        userns_id_translate_down(wide, 1, (struct userns_id_value){ USERNS_OVERFLOW_ID, false }, v);
        assert_false(v[1].mapped);
        userns_idmap_free((struct userns_idmap *)wide[0]);
        userns_idmap_free(l1);
        userns_idmap_free(l2);
        userns_idmap_free(l3);
}

/* --- maps relative to the parent from maps seen by the caller (pure) --- */

static void map_relative(void **state)
{
        struct userns_idmap *out = NULL;
        struct userns_idmap *child = map_of("0:101005:10"), *parent = map_of("0:101000:2000");
        assert_int_equal(userns_ns_map_relative(child, parent, &out, NULL), 0);
        assert_map(out, "0:5:10");
        userns_idmap_free(out);
        userns_idmap_free(child);
        userns_idmap_free(parent);
        /* Across two parent extents the child's extent comes out split. */
        child = map_of("0:100003:2,2:200000:3");
        parent = map_of("0:100000:5,5:200000:5");
        assert_int_equal(userns_ns_map_relative(child, parent, &out, NULL), 0);
        assert_map(out, "0:3:2,2:5:3");
        userns_idmap_free(out);
        userns_idmap_free(child);
        userns_idmap_free(parent);
}

/* --- names of kept namespaces --- */

static void keep_names(void **state)
{
        struct userns_error err = { 0 };
        assert_int_equal(userns_ns_keep_name_check("web-1.test_x", &err), 0);
        assert_int_equal(userns_ns_keep_name_check("", &err), -EINVAL);
        assert_int_equal(userns_ns_keep_name_check("..", &err), -EINVAL);
        assert_int_equal(userns_ns_keep_name_check("a/b", &err), -EINVAL);
        assert_non_null(strstr(err.message, "'a/b'"));
        char long_name[70];
        memset(long_name, 'x', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        assert_int_equal(userns_ns_keep_name_check(long_name, &err), -EINVAL);
        char *p = NULL;
        assert_int_equal(userns_ns_keep_path("/run/userns", "c1", &p, NULL), 0);
        assert_string_equal(p, "/run/userns/c1");
        free(p);
}

/* --- nsfs on the real kernel --- */

static void open_and_identify(void **state)
{
        struct userns_error err = { 0 };
        int fd = userns_ns_open(0, USERNS_NS_USER, &err);
        assert_true(fd >= 0);
        struct userns_ns_id id;
        enum userns_ns_type type;
        assert_int_equal(userns_ns_identify(fd, &id, &type, &err), 0);
        assert_int_equal(type, USERNS_NS_USER);
        struct stat st;
        assert_int_equal(stat("/proc/self/ns/user", &st), 0);
        assert_int_equal(id.ino, st.st_ino);
        assert_int_equal(id.dev, st.st_dev);
        int p = userns_ns_get_parent(fd, &err);
        if (id.ino == USERNS_INIT_USER_NS_INO) {
                assert_int_equal(p, -EPERM);        /* the initial namespace has no parent */
                uint32_t owner = 1;
                assert_int_equal(userns_ns_get_owner_uid(fd, &owner, &err), 0);
                assert_int_equal(owner, 0);
        } else if (p >= 0)
                close(p);
        close(fd);

        assert_int_equal(userns_ns_open_path("/etc/hostname", &err), -EINVAL);
        assert_non_null(strstr(err.message, "not a namespace file"));
        assert_int_equal(userns_ns_open_path("/no/such/file", &err), -ENOENT);
        int nfd = userns_ns_open(0, USERNS_NS_NET, &err);
        assert_true(nfd >= 0);
        assert_int_equal(userns_ns_get_parent(nfd, &err), -EINVAL);   /* only user and pid namespaces have parents */
        assert_int_equal(userns_ns_get_owner_uid(nfd, &(uint32_t){ 0 }, &err), -EINVAL);
        struct userns_ns_maps maps;
        assert_int_equal(userns_ns_read_maps(nfd, &maps, &err), -EINVAL);
        close(nfd);
}

static void own_maps(void **state)
{
        int fd = userns_ns_open(0, USERNS_NS_USER, NULL);
        assert_true(fd >= 0);
        struct userns_ns_maps maps;
        struct userns_idmap *want = NULL;
        assert_int_equal(userns_ns_read_maps(fd, &maps, NULL), 0);
        assert_int_equal(userns_idmap_read_proc(0, USERNS_IDMAP_UID, &want, NULL), 0);
        assert_true(userns_idmap_equal(maps.uid, want));
        assert_true(maps.setgroups == 0 || maps.setgroups == 1);
        userns_idmap_free(want);
        userns_ns_maps_done(&maps);
        close(fd);
}

/* A child in a new user namespace whose maps the test writes (as root); returns its pid. */
static pid_t child_in_userns(const char *uid_map, const char *gid_map, const char *setgroups)
{
        int go[2], ready[2];
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(ready), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                if (write(ready[1], "r", 1) != 1)
                        _exit(1);
                if (read(go[0], &c, 1) < 0)
                        _exit(1);
                pause();
                _exit(0);
        }
        char c, path[64];
        assert_int_equal(read(ready[0], &c, 1), 1);
        struct { const char *file, *text; } w[] = { { "uid_map", uid_map }, { "setgroups", setgroups },
                                                    { "gid_map", gid_map } };
        for (size_t i = 0; i < 3; i++) {
                if (!w[i].text)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, w[i].file);
                int fd = open(path, O_WRONLY);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, w[i].text, strlen(w[i].text)), (ssize_t)strlen(w[i].text));
                close(fd);
        }
        assert_int_equal(write(go[1], "g", 1), 1);
        close(go[0]);
        close(go[1]);
        close(ready[0]);
        close(ready[1]);
        return pid;
}

static void end_child(pid_t pid)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static void child_maps_exact(void **state)
{
        if (geteuid() != 0) {
                skip();
                return;
        }
        /* Written in this order (not sorted), with lower ids relative to the parent. */
        pid_t pid = child_in_userns("10 200000 5\n0 100000 10\n", "0 300000 1\n", "deny");
        struct userns_error err = { 0 };
        int fd = userns_ns_open(pid, USERNS_NS_USER, &err);
        assert_true(fd >= 0);
        struct userns_ns_maps maps;
        assert_int_equal(userns_ns_read_maps(fd, &maps, &err), 0);
        assert_map(maps.uid, "10:200000:5,0:100000:10");
        assert_map(maps.gid, "0:300000:1");
        assert_int_equal(maps.setgroups, 0);
        userns_ns_maps_done(&maps);
        close(fd);
        end_child(pid);

        /* No maps written yet: empty maps, not an error. */
        pid = child_in_userns(NULL, NULL, NULL);
        fd = userns_ns_open(pid, USERNS_NS_USER, &err);
        assert_int_equal(userns_ns_read_maps(fd, &maps, &err), 0);
        assert_int_equal(userns_idmap_count(maps.uid), 0);
        assert_int_equal(maps.setgroups, 1);
        userns_ns_maps_done(&maps);
        close(fd);
        end_child(pid);
}

/* --- joining: the errors --- */

static void *idle(void *arg)
{
        pause();
        return arg;
}

static void join_errors(void **state)
{
        struct userns_error err = { 0 };
        struct userns_ns_set set;
        assert_int_equal(userns_ns_thread_count(), 1);

        /* Our own namespace. */
        assert_int_equal(userns_ns_set_from_pid(getpid(), USERNS_NS_ALL_TYPES, &set, &err), 0);
        assert_true(set.fd[USERNS_NS_USER] >= 0);
        for (int t = 1; t < USERNS_NS_TYPE_COUNT; t++)
                assert_int_equal(set.fd[t], -1);   /* all ours: nothing else to join */
        assert_int_equal(userns_ns_set_join(&set, 0, &err), -EINVAL);
        assert_non_null(strstr(err.message, "the caller's own user namespace"));
        assert_non_null(strstr(err.message, "nothing else to join"));

        /* A multithreaded caller (checked in a child, so the test process stays single-threaded). */
        pid_t pid = fork();
        if (pid == 0) {
                pthread_t th;
                struct userns_error e = { 0 };
                if (pthread_create(&th, NULL, idle, NULL) != 0)
                        _exit(2);
                int r = userns_ns_set_join(&set, 0, &e);
                _exit(r == -EINVAL && strstr(e.message, "multithreaded (2 threads)") ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        userns_ns_set_close(&set);

        /* A process that is gone. */
        pid = fork();
        if (pid == 0)
                _exit(0);
        waitpid(pid, NULL, 0);
        assert_int_equal(userns_ns_set_from_pid(pid, USERNS_NS_ALL_TYPES, &set, &err), -ESRCH);
        assert_non_null(strstr(err.message, "is gone"));

        /* Not a directory of namespace files. */
        assert_int_equal(userns_ns_set_from_path("/etc", USERNS_NS_ALL_TYPES, &set, &err), -ENOENT);
        assert_non_null(strstr(err.message, "no 'user' namespace file"));
}

static void join_child(void **state)
{
        if (geteuid() != 0) {
                skip();
                return;
        }
        pid_t pid = child_in_userns("0 100000 10\n", "0 100000 10\n", NULL);
        struct userns_error err = { 0 };
        struct userns_ns_set set;
        assert_int_equal(userns_ns_set_from_pid(pid, USERNS_NS_ALL_TYPES, &set, &err), 0);
        pid_t j = fork();
        if (j == 0) {
                struct userns_error e = { 0 };
                if (userns_ns_set_join(&set, 0, &e) < 0)
                        _exit(1);
                /* Root of the namespace: kernel uid 100000. */
                _exit(getuid() == 0 && getgid() == 0 ? 0 : 2);
        }
        int status;
        assert_int_equal(waitpid(j, &status, 0), j);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        userns_ns_set_close(&set);
        end_child(pid);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(types_round_trip),
                cmocka_unit_test(types_parse),
                cmocka_unit_test(status_parse),
                cmocka_unit_test(translate_down),
                cmocka_unit_test(map_relative),
                cmocka_unit_test(keep_names),
                cmocka_unit_test(open_and_identify),
                cmocka_unit_test(own_maps),
                cmocka_unit_test(child_maps_exact),
                cmocka_unit_test(join_errors),
                cmocka_unit_test(join_child),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
