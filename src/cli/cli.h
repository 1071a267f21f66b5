/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "host.h"

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

/* Prints "vmslice: <message>" to stderr and returns the exit status for it (2 for bad input). */
int cli_error(const Error *err);
/* Prints "vmslice: <formatted>" and returns status. */
int cli_errorf(int status, const char *fmt, ...) _printf_(2, 3);
/* Opens the host named by --root, printing the error; returns 0 or an exit status. */
int cli_open_host(const CliContext *ctx, Host **ret);
/* For getopt: reports an unknown option or missing argument the same way in every verb. */
int cli_bad_option(const char *verb, char **argv);
