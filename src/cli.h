/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the CLI's commands: messages, exit codes, number parsing, JSON output. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "userns/error.h"

#define EXIT_USERNS_ERROR 125   /* run/enter: userns itself failed */
#define EXIT_CANNOT_EXEC  126
#define EXIT_NOT_FOUND    127

/* Every command: int cmd_<name>(int argc, char **argv); argv[0] is the command name. */
// [idmap]
int cmd_map(int argc, char **argv);
int cmd_map_show(int argc, char **argv);
struct userns_idmap;
enum userns_idmap_kind;
/* "uid"/"gid"/"projid" (or uid_map ...) → kind; -EINVAL otherwise. */
int cli_map_kind(const char *s, enum userns_idmap_kind *kind);
// [ns]
int cmd_tree(int argc, char **argv);
int cmd_id(int argc, char **argv);
int cmd_enter(int argc, char **argv);
int cmd_keep(int argc, char **argv);
int cmd_rm(int argc, char **argv);
/* src/ns-cli.c: the directory of kept namespaces, and keeping a process's namespaces. */
int cli_keep_base(char *buf, size_t size);
int cli_keep_pid(int pid, const char *name, unsigned types, struct userns_error *err);
// [run]
int cmd_run(int argc, char **argv);
// [mount]
int cmd_mount(int argc, char **argv);
// [fcaps]
int cmd_fcaps(int argc, char **argv);
// [caps]
int cmd_caps(int argc, char **argv);

/* "userns: <what>: <why>" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the library error with a context; returns `status`. */
int cli_fail(int status, const struct userns_error *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "userns <cmd>: unknown option ..., try --help" */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict decimal u32 (rejects signs, junk, (u32)-1 unless allow_max). */
int cli_parse_u32(const char *s, uint32_t *out, bool allow_max);

/* Read a whole file (or stdin for NULL / "-") into a NUL-terminated buffer. */
int cli_read_file(const char *path, char **buf, size_t *len, struct userns_error *err);

/* Minimal JSON writer: nesting and commas are tracked for the caller. */
struct cli_json {
        FILE *f;
        int depth;
        bool need_comma[32];
        bool after_key;
};
void cli_json_init(struct cli_json *j, FILE *f);
void cli_json_begin_object(struct cli_json *j);
void cli_json_end_object(struct cli_json *j);
void cli_json_begin_array(struct cli_json *j);
void cli_json_end_array(struct cli_json *j);
void cli_json_key(struct cli_json *j, const char *key);
void cli_json_string(struct cli_json *j, const char *s);   /* NULL → null */
void cli_json_uint(struct cli_json *j, uint64_t v);
void cli_json_int(struct cli_json *j, int64_t v);
void cli_json_bool(struct cli_json *j, bool v);
void cli_json_null(struct cli_json *j);
/* Finish the document with a newline. */
void cli_json_end(struct cli_json *j);
/* A map's extents as [{"first":N,"lower_first":N,"count":N},...]. */
struct userns_idmap;
void cli_json_idmap(struct cli_json *j, const struct userns_idmap *m);
