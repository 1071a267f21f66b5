/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "cli-options.h"
#include "domain.h"
#include "error.h"
#include "host.h"
#include "plan.h"
#include "slice.h"
#include "topology.h"
#include "virt.h"

/* The CLI is the only layer that prints or exits. Each verb gets the argv after the global options
 * were taken out (argv[0] is the verb) and returns the process exit status. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
};

typedef struct CliContext {
        const char *root; /* --root, NULL for / */
        const char *state_dir;
} CliContext;

typedef struct Verb {
        const char *name;
        const char *args;
        const char *summary;
        int (*run)(const CliContext *ctx, int argc, char **argv);
} Verb;

int verb_topo(const CliContext *ctx, int argc, char **argv);
int verb_plan(const CliContext *ctx, int argc, char **argv);
int verb_capture(const CliContext *ctx, int argc, char **argv);
int verb_apply(const CliContext *ctx, int argc, char **argv);
int verb_prepare(const CliContext *ctx, int argc, char **argv);
int verb_release(const CliContext *ctx, int argc, char **argv);
int verb_restore(const CliContext *ctx, int argc, char **argv);
int verb_status(const CliContext *ctx, int argc, char **argv);
int verb_hook(const CliContext *ctx, int argc, char **argv);
int verb_lint(const CliContext *ctx, int argc, char **argv);
int verb_check(const CliContext *ctx, int argc, char **argv);
int verb_bench(const CliContext *ctx, int argc, char **argv);

/* Prints "vmslice: <message>" to stderr and returns the exit status for it (2 for bad input). */
int cli_error(const Error *err);
/* Prints "vmslice: <formatted>" and returns status. */
int cli_errorf(int status, const char *fmt, ...) _printf_(2, 3);
/* Opens the host named by --root, printing the error; returns 0 or an exit status. */
int cli_open_host(const CliContext *ctx, Host **ret);
/* For getopt: reports an unknown option or missing argument the same way in every verb. */
int cli_bad_option(const char *verb, char **argv);

/* Domains named on the command line: a file ("FILE.xml"), "-" for stdin, or otherwise the name of
 * a domain defined in libvirt at uri. *ret_virt is set (and kept open) only for libvirt domains. */
int cli_load_domain(const char *arg, const char *uri, Domain **ret, Virt **ret_virt);
/* True when arg names a file rather than a libvirt domain. */
bool cli_domain_is_file(const char *arg);
/* Writes text to path ("-" for stdout) atomically (temp file + rename); prints the error. */
int cli_write_output(const char *path, const char *text);
#define CLI_BACKUP_DIR_DEFAULT "/var/lib/vmslice/backup"

/* Where a changed domain goes: with dry_run a unified diff on stdout; to output ("-" for
 * stdout) when given or when the domain came from a file; else redefined in libvirt after its
 * previous definition (as libvirt gave it) is saved under backup_dir. what names the verb in the
 * messages ("apply", "lint --fix"). */
typedef struct DomainSink {
        const char *what;
        bool dry_run;
        const char *output;
        const char *backup_dir;
        bool messages_to_stderr; /* keep stdout for the JSON report */
} DomainSink;
int cli_store_domain(const Domain *d, Virt *v, const char *before, const char *after,
                     const DomainSink *sink);

/* The CPUs (VM cores and dedicated emulator CPUs) of every defined domain vmslice manages in
 * libvirt, except self; their names are added to *ret_names. Uses v, or connects to uri when v
 * is NULL. Prints errors. */
int cli_other_managed_cpus(Virt *v, const char *uri, const char *self, hwloc_bitmap_t out,
                           char ***ret_names);
/* Opens the host named by --root and loads its topology, printing errors; 0 or an exit status. */
int cli_open_topology(const CliContext *ctx, Host **ret_host, Topology **ret_topology);
/* Prints a JSON document (stolen from w) on stdout; EXIT_OK, or EXIT_FAIL on OOM. */
#include "json-writer.h"
int cli_print_json(JsonWriter *w);

/* Saves a domain's previous definition under dir as NAME-YYYYmmdd-HHMMSS.xml; prints the error. */
int cli_backup_domain(const char *dir, const char *name, const char *xml, char **ret_path);

/* The slice's settings file (read through the host; none: the defaults) and the policy of its
 * [defaults]; prints errors. 0 or an exit status. */
#include "slice.h"
int cli_slice_settings(Host *h, SliceConfig **ret_conf, SlicePolicy *ret_policy);

/* Prints a plan's explanation lines ("# ...", with explain) and warnings to stderr. */
void cli_print_plan_notes(const Plan *p, bool explain);

/* What prepare and release need: the host, its topology, the state directory (--state-dir), the
 * settings file and the policy of its [defaults]. Opened with errors printed (0 or an exit status).
 */
typedef struct SliceEnv {
        Host *h;
        Topology *t;
        State *st;
        SliceConfig *conf;
        SlicePolicy policy;
} SliceEnv;
int slice_env_open(const CliContext *ctx, SliceEnv *e);

/* With --root other than / nothing live is read or written (cli-live.c). True without --root or
 * with a root that is "/". */
bool cli_root_is_live(const CliContext *ctx);
/* A directory vmslice writes (path as on a live host, "/run/vmslice") in the root's tree: path
 * itself on the live host, ROOT/path under --root DIR (the directories above it created there).
 * Refused (printed, exit status returned) under a --root that is a tarball, which is unpacked
 * into a tree removed at exit; option names what to give instead. */
int cli_root_dir_path(const CliContext *ctx, const char *what, const char *option, const char *path,
                      char **ret);
/* The state directory: --state-dir, else /run/vmslice in the root's tree (created with its
 * parents under a fixture root when create). Under a tarball root without --state-dir: refused
 * when create, else *ret NULL (no state to read). 0 or an exit status (printed). */
int cli_state_dir(const CliContext *ctx, bool create, char **ret);
/* With --root other than /, a libvirt domain name (arg not a file) or a query of libvirt (arg
 * NULL) needs an explicit --connect URI: the default is the live host's libvirt. 0 or the exit
 * status (printed). */
int cli_refuse_live_libvirt(const CliContext *ctx, const char *verb, const char *arg,
                            const char *uri);
void slice_env_done(SliceEnv *e);
