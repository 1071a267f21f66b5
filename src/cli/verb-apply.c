/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "cli-plan-args.h"
#include "cli.h"
#include "cpuset-util.h"
#include "plan-xml.h"
#include "string-util.h"
#include "topology.h"

enum {
        ARG_CONNECT = ARG_PLAN_MAX,
        ARG_DRY_RUN,
        ARG_OUTPUT,
        ARG_BACKUP_DIR,
        ARG_SHARE,
        ARG_EXPLAIN,
};

static const CliOption options[] = {
    {"connect", required_argument, ARG_CONNECT, 0, "URI", "libvirt URI (default qemu:///system)"},
    {"dry-run", no_argument, ARG_DRY_RUN, 0, NULL,
     "print a unified diff instead of writing or defining"},
    {"output", required_argument, ARG_OUTPUT, 0, "FILE",
     "write the new domain to FILE (- for stdout); default: stdout\n"
     "for a file, redefinition in libvirt for a libvirt domain"},
    {"backup-dir", required_argument, ARG_BACKUP_DIR, 0, "DIR",
     "where a libvirt domain's previous definition is saved\n"
     "(default " CLI_BACKUP_DIR_DEFAULT ")"},
    {"share", no_argument, ARG_SHARE, 0, NULL,
     "do not exclude the CPUs of other domains vmslice manages"},
    {"explain", no_argument, ARG_EXPLAIN, 0, NULL, "say why for each choice (on stderr)"},
    CLI_OPTION_HELP,
    {},
};

static const CliOptionGroup groups[] = {
    {NULL, options},
    {"Planner options (they override what the domain says):", plan_options},
    {},
};

static void help(void)
{
        printf(
            "Usage: vmslice [--root DIR] apply DOMAIN [OPTIONS]\n\n"
            "Plans the CPU, NUMA and memory placement of a domain as 'vmslice plan' does, with "
            "the\n"
            "vCPU count, memory and passed-through PCI devices taken from the domain, and writes\n"
            "the plan into it: <vcpu>, the pins of <cputune> (its other children kept), <cpu>\n"
            "mode, topology and cache (its features kept), <numatune>, <memoryBacking> hugepages,\n"
            "<iothreads> with one iothread per virtio disk, and vmslice's <metadata>, which marks\n"
            "the domain as managed by vmslice for the runtime slice. Nothing else changes.\n\n"
            "DOMAIN is a file (FILE.xml, - for stdin) or the name of a domain defined in "
            "libvirt.\n\n");
        cli_options_help(stdout, groups);
}

int verb_apply(const CliContext *ctx, int argc, char **argv)
{
        _cleanup_(plan_args_done) PlanArgs args = {0};
        const char *uri = NULL, *output = NULL, *backup_dir = CLI_BACKUP_DIR_DEFAULT;
        bool dry_run = false, share = false, explain = false;
        int c, r;

        CliGetopt g;
        cli_getopt_init(&g, groups);
        if (plan_args_init(&args) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");
        while ((c = cli_getopt(&g, argc, argv)) >= 0) {
                r = plan_args_parse(&args, c, optarg);
                if (r == 0)
                        continue;
                if (r != 1)
                        return r;
                switch (c) {
                case ARG_CONNECT:
                        uri = optarg;
                        break;
                case ARG_DRY_RUN:
                        dry_run = true;
                        break;
                case ARG_OUTPUT:
                        output = optarg;
                        break;
                case ARG_BACKUP_DIR:
                        backup_dir = optarg;
                        break;
                case ARG_SHARE:
                        share = true;
                        break;
                case ARG_EXPLAIN:
                        explain = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return cli_bad_option("apply", argv);
                }
        }
        if (optind + 1 != argc)
                return cli_errorf(EXIT_USAGE,
                                  "apply takes one DOMAIN (a file, - or a libvirt domain name); "
                                  "see 'vmslice apply --help'");
        if (dry_run && output)
                return cli_errorf(EXIT_USAGE,
                                  "apply: --dry-run prints a diff; it does not go with --output");
        const char *arg = argv[optind];

        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = NULL;
        r = cli_open_topology(ctx, &h, &t);
        if (r != 0)
                return r;
        Error err = {0};

        _cleanup_(domain_freep) Domain *d = NULL;
        _cleanup_(virt_closep) Virt *v = NULL;
        r = cli_refuse_live_libvirt(ctx, "apply", arg, uri);
        if (r == 0)
                r = cli_load_domain(arg, uri, &d, &v);
        if (r != 0)
                return r;
        _cleanup_(freep) char *before = NULL;
        if (domain_format(d, &before) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");

        /* other managed domains' CPUs: from libvirt, for libvirt domains or with --connect */
        _cleanup_(strv_freep) char **others = NULL;
        if (!share && (v || uri)) {
                r = cli_other_managed_cpus(v, uri, v ? d->name : NULL, args.exclude, &others);
                if (r != 0)
                        return r;
        }

        ApplyOptions opts = {.req = args.req, .iothreads_set = args.iothreads_set};
        PlanRequest req;
        _cleanup_(strv_freep) char **pci = NULL;
        if (domain_plan_request(d, &opts, &req, &pci, &err) < 0)
                return cli_error(&err);
        /* devices the domain passes through but this host lacks (a domain from another machine,
         * or --root elsewhere): planned without their locality, and said so */
        if (!args.pci) {
                _cleanup_(strv_freep) char **keep = NULL;
                for (char **a = pci; a && *a; a++)
                        if (topology_find_pci(t, *a)) {
                                if (strv_extend(&keep, *a) < 0)
                                        return cli_errorf(EXIT_FAIL, "out of memory");
                        } else
                                fprintf(
                                    stderr,
                                    "vmslice: warning: the domain passes through PCI device %s, "
                                    "which this host does not have; planned without its NUMA "
                                    "locality\n",
                                    *a);
                strv_free(pci);
                pci = TAKE_PTR(keep);
                req.pci = pci;
        }
        _cleanup_(plan_freep) Plan *p = NULL;
        if (plan_compute(t, &req, &p, &err) < 0)
                return cli_error(&err);
        if (others && explain) {
                _cleanup_(freep) char *ex = cpuset_format_list(args.exclude);
                fprintf(
                    stderr,
                    "# other domains vmslice manages use cpus %s: excluded (--share to allow)\n",
                    ex ? ex : "?");
        }
        cli_print_plan_notes(p, explain);
        if (domain_apply_plan(d, p, &req, &err) < 0)
                return cli_error(&err);
        _cleanup_(freep) char *after = NULL;
        if (domain_format(d, &after) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");

        DomainSink sink = {
            .what = "apply", .dry_run = dry_run, .output = output, .backup_dir = backup_dir};
        return cli_store_domain(d, v, before, after, &sink);
}
