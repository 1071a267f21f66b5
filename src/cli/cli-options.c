/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "cli-options.h"
#include "string-util.h"

/* Options whose "--name VALUE" is longer than this put their text on the next line. */
#define OPTION_COLUMN_MAX 24

void cli_getopt_init(CliGetopt *g, const CliOptionGroup *groups)
{
        size_t n = 0, s = 0;
        *g = (CliGetopt){0};
        for (const CliOptionGroup *grp = groups; grp->options; grp++)
                for (const CliOption *o = grp->options; o->name; o++) {
                        for (size_t i = 0; i < n; i++)
                                if (streq(g->longs[i].name, o->name)) {
                                        fprintf(stderr, "vmslice: bug: option --%s twice\n",
                                                o->name);
                                        abort();
                                }
                        if (n >= CLI_OPTIONS_MAX || (o->short_name && o->short_name != o->id)) {
                                fprintf(stderr, "vmslice: bug: option table at --%s\n", o->name);
                                abort();
                        }
                        g->longs[n++] = (struct option){o->name, o->has_arg, NULL, o->id};
                        if (o->short_name) {
                                g->shorts[s++] = o->short_name;
                                if (o->has_arg != no_argument)
                                        g->shorts[s++] = ':';
                                if (o->has_arg == optional_argument)
                                        g->shorts[s++] = ':';
                        }
                }
}

int cli_getopt(const CliGetopt *g, int argc, char **argv)
{
        return getopt_long(argc, argv, g->shorts, g->longs, NULL);
}

/* "-h, --help", "--vcpus N", "--load[=SPEC]" */
static void option_left(const CliOption *o, char *buf, size_t size)
{
        int k = 0;
        if (o->short_name)
                k = snprintf(buf, size, "-%c, ", o->short_name);
        const char *m = o->metavar ? o->metavar : "VALUE";
        if (o->has_arg == required_argument)
                snprintf(buf + k, size - (size_t) k, "--%s %s", o->name, m);
        else if (o->has_arg == optional_argument)
                snprintf(buf + k, size - (size_t) k, "--%s[=%s]", o->name, m);
        else
                snprintf(buf + k, size - (size_t) k, "--%s", o->name);
}

void cli_options_help(FILE *f, const CliOptionGroup *groups)
{
        char left[128];
        size_t column = 0;
        for (const CliOptionGroup *grp = groups; grp->options; grp++)
                for (const CliOption *o = grp->options; o->name; o++) {
                        option_left(o, left, sizeof(left));
                        size_t w = strlen(left);
                        if (w <= OPTION_COLUMN_MAX && w > column)
                                column = w;
                }
        column += 2 + 2; /* the indent and the gap */
        for (const CliOptionGroup *grp = groups; grp->options; grp++) {
                if (grp->title)
                        fprintf(f, "%s%s\n", grp == groups ? "" : "\n", grp->title);
                for (const CliOption *o = grp->options; o->name; o++) {
                        option_left(o, left, sizeof(left));
                        int pad = (int) column - 2 - (int) strlen(left);
                        fprintf(f, "  %s", left);
                        if (pad < 2)
                                fprintf(f, "\n%*s", (int) column, "");
                        else
                                fprintf(f, "%*s", pad, "");
                        for (const char *p = o->help; *p;) {
                                const char *nl = strchr(p, '\n');
                                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                                fprintf(f, "%.*s\n", (int) len, p);
                                if (!nl)
                                        break;
                                p = nl + 1;
                                fprintf(f, "%*s", (int) column, "");
                        }
                }
        }
}
