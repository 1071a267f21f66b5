/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "capture.h"
#include "cli.h"

static const CliOption options[] = {
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
            "Usage: vmslice [--root DIR|TARBALL] capture [--help] FILE.tar.gz\n\n"
            "Snapshots the files vmslice reads from the host into a gzip-compressed tarball:\n"
            "/proc/cpuinfo, meminfo, cmdline, interrupts, mounts and the IRQ affinities, the\n"
            "hugepage, watchdog, scheduler and NUMA-balancing sysctls, the CPU topology, cache,\n"
            "cpufreq and cpuidle files of /sys/devices/system/cpu, the NUMA nodes with their\n"
            "memory and hugepages, transparent hugepages and KSM, the workqueue CPU masks, the\n"
            "ids, locality and drivers of PCI devices, the DMI vendor and product names, and\n"
            "the cpuset files of the cgroup root and its first-level children (v2 or v1). Files\n"
            "that cannot be read are skipped. The tarball includes the host name, the kernel\n"
            "command line and the mount table, but no process or user files. With\n"
            "SOURCE_DATE_EPOCH set (the date is then left out of its MACHINE note), the same\n"
            "tree gives a byte-identical tarball.\n\n"
            "Use the result as 'vmslice --root FILE.tar.gz VERB', or extract it and use\n"
            "'--root DIR', to see or plan for the captured host from any machine.\n\n"
            "Options:\n");
        cli_options_help(stdout, groups);
}

int verb_capture(const CliContext *ctx, int argc, char **argv)
{
        _cleanup_(host_freep) Host *h = NULL;
        Error err = {0};
        unsigned n_files = 0;
        int c, r;

        CliGetopt g;
        cli_getopt_init(&g, groups);
        while ((c = cli_getopt(&g, argc, argv)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return cli_bad_option("capture", argv);
                }
        }
        if (optind >= argc)
                return cli_errorf(EXIT_USAGE, "capture needs the tarball to write, e.g. "
                                              "'vmslice capture host.tar.gz'");
        if (argc - optind > 1)
                return cli_errorf(EXIT_USAGE,
                                  "capture takes one tarball, got %d arguments; "
                                  "try 'vmslice capture --help'",
                                  argc - optind);
        const char *tarball = argv[optind];

        r = cli_open_host(ctx, &h);
        if (r != 0)
                return r;
        if (host_capture(h, tarball, &n_files, &err) < 0)
                return cli_error(&err);
        printf("captured %u files from %s into %s\n", n_files, ctx->root ? ctx->root : "/",
               tarball);
        return EXIT_OK;
}
