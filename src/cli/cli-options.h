/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>
#include <stdio.h>

/* A verb's options, declared once: getopt's table and the option list of the verb's --help are
 * both made from it, so an option is documented exactly when it is accepted. */
typedef struct CliOption {
        const char *name;    /* the long option, without "--"; NULL ends a table */
        int has_arg;         /* no_argument, required_argument or optional_argument */
        int id;              /* what getopt returns for it */
        char short_name;     /* the short option (id is then the same character), or 0 */
        const char *metavar; /* the value's name in the help ("N", "1|2|auto"), or NULL */
        const char *help;    /* what it does; '\n' starts another line of the help column */
} CliOption;

#define CLI_OPTION_HELP                                                                            \
        {                                                                                          \
                "help", no_argument, 'h', 'h', NULL, "show this help"                              \
        }

/* Tables of options, shown in the help in order, each after its title line (NULL: none); an
 * entry with options NULL ends the list. An option is in one table only. */
typedef struct CliOptionGroup {
        const char *title;
        const CliOption *options;
} CliOptionGroup;

#define CLI_OPTIONS_MAX 48
typedef struct CliGetopt {
        struct option longs[CLI_OPTIONS_MAX + 1];
        char shorts[3 * CLI_OPTIONS_MAX + 1];
} CliGetopt;

/* getopt's tables for groups. A name given twice or more than CLI_OPTIONS_MAX options are bugs
 * of the table and abort. */
void cli_getopt_init(CliGetopt *g, const CliOptionGroup *groups);
/* getopt_long() on the tables. */
int cli_getopt(const CliGetopt *g, int argc, char **argv);
/* The option list of a verb's help: "  -h, --help  show this help", one column for the texts. */
void cli_options_help(FILE *f, const CliOptionGroup *groups);
