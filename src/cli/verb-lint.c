/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cpuset-util.h"
#include "json-writer.h"
#include "lint.h"
#include "parse-util.h"
#include "string-util.h"
#include "topology.h"

enum {
        ARG_FIX = 0x100,
        ARG_OUTPUT,
        ARG_JSON,
        ARG_CONNECT,
        ARG_DRY_RUN,
        ARG_BACKUP_DIR,
        ARG_RULES,
};

static const CliOption options[] = {
    {"fix", no_argument, ARG_FIX, 0, NULL,
     "fix what is safe to fix: placement as 'vmslice apply' does,\n"
     "then the other fixable findings one by one"},
    {"output", required_argument, ARG_OUTPUT, 0, "FILE",
     "with --fix: write the fixed domain to FILE (- for stdout);\n"
     "default: stdout for a file, redefinition for a libvirt domain"},
    {"dry-run", no_argument, ARG_DRY_RUN, 0, NULL,
     "with --fix: print a unified diff instead of writing"},
    {"backup-dir", required_argument, ARG_BACKUP_DIR, 0, "DIR",
     "with --fix on a libvirt domain: where its previous definition\n"
     "is saved (default " CLI_BACKUP_DIR_DEFAULT ")"},
    {"connect", required_argument, ARG_CONNECT, 0, "URI", "libvirt URI (default qemu:///system)"},
    {"json", no_argument, ARG_JSON, 0, NULL, "machine-readable findings"},
    {"rules", no_argument, ARG_RULES, 0, NULL, "list every rule with its severity, fix and reason"},
    CLI_OPTION_HELP,
    {},
};

static const CliOptionGroup groups[] = {
    {NULL, options},
    {},
};

static void help(void)
{
        printf(
            "Usage: vmslice [--root DIR] lint DOMAIN [OPTIONS]\n"
            "       vmslice lint --rules [--json]\n\n"
            "Reviews a libvirt domain against this host's topology and the practices of the\n"
            "seeds and the libvirt/QEMU documentation: vCPU pinning, SMT siblings, NUMA and L3\n"
            "placement, emulator and I/O threads, CPU mode and topology, hugepages, Hyper-V\n"
            "enlightenments and timers of Windows guests, disks, network and balloon. Prints one\n"
            "line per finding, like a compiler: FILE:LINE: SEVERITY[RULE]: message.\n\n"
            "DOMAIN is a file (FILE.xml, - for stdin) or the name of a domain defined in "
            "libvirt.\n\n");
        cli_options_help(stdout, groups);
        printf("\n"
               "Exit status: 0 no error-severity finding (after fixing, with --fix), 1 some,\n"
               "2 bad usage or input.\n");
}

static int print_rules(bool json)
{
        size_t n;
        const LintRule *r = lint_rules(&n);
        if (json) {
                JsonWriter w = {0};
                json_begin_object(&w, NULL);
                json_uint(&w, "version", 1);
                json_begin_array(&w, "rules");
                for (size_t i = 0; i < n; i++) {
                        json_begin_object(&w, NULL);
                        json_string(&w, "rule", r[i].id);
                        json_string(&w, "severity", lint_severity_to_string(r[i].severity));
                        json_bool(&w, "fixable", r[i].fixable);
                        json_string(&w, "summary", r[i].summary);
                        json_string(&w, "why", r[i].why);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_end_object(&w);
                return cli_print_json(&w);
        }
        for (size_t i = 0; i < n; i++)
                printf("%-22s %-7s %-7s %s\n    why: %s\n", r[i].id,
                       lint_severity_to_string(r[i].severity), r[i].fixable ? "fixable" : "-",
                       r[i].summary, r[i].why);
        return EXIT_OK;
}

static void plural(FILE *f, unsigned n, const char *word)
{
        fprintf(f, "%u %s%s", n, word, n == 1 ? "" : "s");
}

static void print_text(FILE *f, const char *source, const LintResult *res, char **fixed, bool fix)
{
        unsigned count[3] = {0}, fixable = 0, nfixed = 0;
        for (unsigned i = 0; i < res->n; i++) {
                const LintFinding *x = &res->findings[i];
                bool done = fix && strv_contains(fixed, x->rule->id);
                fprintf(f, "%s:%u: %s[%s]: %s%s\n", source, x->line,
                        lint_severity_to_string(x->rule->severity), x->rule->id, x->message,
                        done ? " [fixed]" : "");
                count[x->rule->severity]++;
                fixable += x->fixable;
                nfixed += done;
        }
        plural(f, count[LINT_ERROR], "error");
        fputs(", ", f);
        plural(f, count[LINT_WARNING], "warning");
        fputs(", ", f);
        plural(f, count[LINT_INFO], "note");
        if (fix)
                fprintf(f, " (%u fixed)\n", nfixed);
        else
                fprintf(f, " (%u fixable with --fix)\n", fixable);
}

static int print_json(FILE *f, const char *source, const LintResult *res, char **fixed,
                      char **notes)
{
        JsonWriter w = {0};
        json_begin_object(&w, NULL);
        json_uint(&w, "version", 1);
        json_string(&w, "source", source);
        json_begin_array(&w, "findings");
        for (unsigned i = 0; i < res->n; i++) {
                const LintFinding *x = &res->findings[i];
                json_begin_object(&w, NULL);
                json_string(&w, "rule", x->rule->id);
                json_string(&w, "severity", lint_severity_to_string(x->rule->severity));
                json_uint(&w, "line", x->line);
                json_string(&w, "message", x->message);
                json_bool(&w, "fixable", x->fixable);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_begin_array(&w, "fixed");
        for (char **i = fixed; i && *i; i++)
                json_string(&w, NULL, *i);
        json_end_array(&w);
        json_begin_array(&w, "notes");
        for (char **i = notes; i && *i; i++)
                json_string(&w, NULL, *i);
        json_end_array(&w);
        json_end_object(&w);
        _cleanup_(freep) char *s = json_steal(&w);
        if (!s)
                return cli_errorf(EXIT_FAIL, "out of memory");
        fputs(s, f);
        return EXIT_OK;
}

static void read_rt_runtime(Host *h, LintHost *lh)
{
        _cleanup_(freep) char *s = NULL;
        int v;
        if (host_read_linef(h, &s, "/proc/sys/kernel/sched_rt_runtime_us") >= 0 &&
            safe_atoi(s, &v) >= 0) {
                lh->rt_runtime_us = v;
                lh->rt_known = true;
        }
}

int verb_lint(const CliContext *ctx, int argc, char **argv)
{
        CliGetopt g;
        cli_getopt_init(&g, groups);
        const char *uri = NULL, *output = NULL, *backup_dir = NULL;
        bool fix = false, json = false, dry_run = false, list_rules = false;
        int c, r;

        while ((c = cli_getopt(&g, argc, argv)) >= 0)
                switch (c) {
                case ARG_FIX:
                        fix = true;
                        break;
                case ARG_OUTPUT:
                        output = optarg;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                case ARG_CONNECT:
                        uri = optarg;
                        break;
                case ARG_DRY_RUN:
                        dry_run = true;
                        break;
                case ARG_BACKUP_DIR:
                        backup_dir = optarg;
                        break;
                case ARG_RULES:
                        list_rules = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return cli_bad_option("lint", argv);
                }
        if (list_rules) {
                if (optind < argc)
                        return cli_errorf(
                            EXIT_USAGE, "lint --rules takes no DOMAIN; see 'vmslice lint --help'");
                return print_rules(json);
        }
        if (optind + 1 != argc)
                return cli_errorf(EXIT_USAGE,
                                  "lint takes one DOMAIN (a file, - or a libvirt domain "
                                  "name); see 'vmslice lint --help'");
        if (!fix && (output || dry_run || backup_dir))
                return cli_errorf(EXIT_USAGE, "lint: --%s only makes sense with --fix",
                                  output    ? "output"
                                  : dry_run ? "dry-run"
                                            : "backup-dir");
        if (output && dry_run)
                return cli_errorf(EXIT_USAGE, "lint: --dry-run prints a diff and writes nothing; "
                                              "drop --output or --dry-run");
        if (output && !*output)
                return cli_errorf(EXIT_USAGE, "lint: --output needs a file name (- for stdout)");
        const char *arg = argv[optind];

        _cleanup_(domain_freep) Domain *d = NULL;
        _cleanup_(virt_closep) Virt *v = NULL;
        r = cli_refuse_live_libvirt(ctx, "lint", arg, uri);
        if (r == 0)
                r = cli_load_domain(arg, uri, &d, &v);
        if (r != 0)
                return r;

        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = NULL;
        r = cli_open_topology(ctx, &h, &t);
        if (r != 0)
                return r;
        Error err = {0};
        LintHost lh = {.topology = t};
        read_rt_runtime(h, &lh);

        /* --fix must not move the VM onto the cores of another VM vmslice manages */
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t others = hwloc_bitmap_alloc();
        _cleanup_(strv_freep) char **other_names = NULL;
        if (!others)
                return cli_errorf(EXIT_FAIL, "out of memory");
        if (fix && (v || uri)) {
                r = cli_other_managed_cpus(v, uri, v ? d->name : NULL, others, &other_names);
                if (r != 0)
                        return r;
                lh.exclude = others;
        }

        _cleanup_(lint_result_done) LintResult res = {0};
        if (lint_domain(d, &lh, &res, &err) < 0)
                return cli_error(&err);

        _cleanup_(strv_freep) char **fixed = NULL;
        _cleanup_(strv_freep) char **fix_notes = NULL;
        _cleanup_(freep) char *before = NULL, *after = NULL;
        int worst = lint_worst(&res);
        if (fix) {
                if (domain_format(d, &before) < 0)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                if (lint_fix_full(d, &lh, &res, &fixed, &fix_notes, &err) < 0)
                        return cli_error(&err);
                if (domain_format(d, &after) < 0)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                _cleanup_(lint_result_done) LintResult left = {0};
                if (lint_domain(d, &lh, &left, &err) < 0)
                        return cli_error(&err);
                worst = lint_worst(&left);
        }
        _cleanup_(strv_freep) char **notes = NULL;
        for (char **l = res.notes; l && *l; l++)
                if (strv_extend(&notes, *l) < 0)
                        return cli_errorf(EXIT_FAIL, "out of memory");
        for (char **l = fix_notes; l && *l; l++)
                if (!strv_contains(notes, *l) && strv_extend(&notes, *l) < 0)
                        return cli_errorf(EXIT_FAIL, "out of memory");

        /* the report goes to stderr when the document goes to stdout */
        bool doc_to_stdout = fix && (dry_run || (output && streq(output, "-")) || (!output && !v));
        FILE *rep = doc_to_stdout ? stderr : stdout;
        for (char **n = notes; n && *n && !json; n++)
                fprintf(stderr, "vmslice: note: %s\n", *n);
        if (json) {
                r = print_json(rep, d->source, &res, fixed, notes);
                if (r != EXIT_OK)
                        return r;
        } else
                print_text(rep, d->source, &res, fixed, fix);
        fflush(rep);
        int status = worst >= LINT_ERROR ? EXIT_FAIL : EXIT_OK;
        if (!fix)
                return status;

        DomainSink sink = {.what = "lint --fix",
                           .dry_run = dry_run,
                           .output = output,
                           .backup_dir = backup_dir,
                           .messages_to_stderr = json};
        r = cli_store_domain(d, v, before, after, &sink);
        return r != EXIT_OK ? r : status;
}
