/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "cli-plan-args.h"
#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

const CliOption plan_options[] = {
    {"vcpus", required_argument, ARG_VCPUS, 0, "N",
     "guest vCPUs (default: for plan half the host's CPUs in whole\ncores, for apply the "
     "domain's)"},
    {"threads", required_argument, ARG_THREADS, 0, "1|2|auto",
     "guest threads per core (auto: 2 when the host has SMT)"},
    {"host-cores", required_argument, ARG_HOST_CORES, 0, "N",
     "cores kept for the host, CPU 0's core included (default 1)"},
    {"pci", required_argument, ARG_PCI, 0, "BDF",
     "place near this device, e.g. the passed-through GPU\n(repeatable; 0000:01:00.0 or 01:00.0)"},
    {"emulator", required_argument, ARG_EMULATOR, 0, "shared|isolated",
     "emulator thread on the host's CPUs (default) or on a core\n(or idle siblings) of its own"},
    {"iothreads", required_argument, ARG_IOTHREADS, 0, "N",
     "I/O threads, pinned to the host's CPUs of the VM's node"},
    {"memory", required_argument, ARG_MEMORY, 0, "SIZE",
     "guest memory (16G, 16384M, 16GiB; a bare number is MiB)"},
    {"hugepages", required_argument, ARG_HUGEPAGES, 0, "2M|1G|none",
     "back guest memory with hugepages (default 2M with --memory)"},
    {"realtime", no_argument, ARG_REALTIME, 0, NULL,
     "SCHED_FIFO priority 1 for the vCPUs (read the warning)"},
    {"exclude", required_argument, ARG_EXCLUDE, 0, "CPUS",
     "CPUs taken by other VMs, e.g. 4-7,12-15"},
    {},
};

int plan_args_init(PlanArgs *a)
{
        *a = (PlanArgs){.req = {.host_cores = 1}};
        a->exclude = hwloc_bitmap_alloc();
        /* the request always carries the exclusion, whether or not an option was given: the verb
         * adds other managed VMs' CPUs to it after parsing */
        a->req.exclude = a->exclude;
        return a->exclude ? 0 : -ENOMEM;
}

void plan_args_done(PlanArgs *a)
{
        strv_free(a->pci);
        hwloc_bitmap_free(a->exclude);
        *a = (PlanArgs){0};
}

static int parse_count(const char *opt, const char *value, unsigned min, unsigned max,
                       unsigned *ret)
{
        unsigned v;
        int r = safe_atou(value, &v);
        if (r < 0 || v < min || v > max)
                return cli_errorf(EXIT_USAGE, "%s '%s' is not a number from %u to %u", opt, value,
                                  min, max);
        *ret = v;
        return 0;
}

int plan_args_parse(PlanArgs *a, int c, const char *arg)
{
        PlanRequest *r_ = &a->req;
        int r = 0;
        switch (c) {
        case ARG_VCPUS:
                r = parse_count("--vcpus", arg, 1, PLAN_VCPUS_MAX, &r_->vcpus);
                break;
        case ARG_THREADS:
                if (streq(arg, "auto"))
                        r_->threads = 0;
                else if (streq(arg, "1") || streq(arg, "2"))
                        r_->threads = (unsigned) (arg[0] - '0');
                else
                        r = cli_errorf(EXIT_USAGE, "--threads '%s': use 1, 2 or auto", arg);
                break;
        case ARG_HOST_CORES:
                r = parse_count("--host-cores", arg, 1, 8192, &r_->host_cores);
                break;
        case ARG_PCI:
                if (strv_extend(&a->pci, arg) < 0)
                        r = cli_errorf(EXIT_FAIL, "out of memory");
                break;
        case ARG_EMULATOR:
                if (streq(arg, "shared"))
                        r_->emulator = EMULATOR_SHARED;
                else if (streq(arg, "isolated"))
                        r_->emulator = EMULATOR_ISOLATED;
                else
                        r = cli_errorf(EXIT_USAGE, "--emulator '%s': use shared or isolated", arg);
                break;
        case ARG_IOTHREADS:
                r = parse_count("--iothreads", arg, 0, PLAN_IOTHREADS_MAX, &r_->iothreads);
                break;
        case ARG_MEMORY: {
                uint64_t bytes;
                int k = parse_size(arg, 1ULL << 20, &bytes);
                if (k < 0 || bytes == 0)
                        r = cli_errorf(EXIT_USAGE,
                                       "--memory '%s' is not a size; use e.g. 16G, 16384M or "
                                       "16GiB (a bare number is MiB)",
                                       arg);
                else
                        r_->memory = bytes;
                break;
        }
        case ARG_HUGEPAGES: {
                uint64_t bytes = 0;
                if (streq(arg, "none") || streq(arg, "no"))
                        r_->hugepages = HUGEPAGES_NONE;
                else if (parse_size(arg, 1ULL << 20, &bytes) >= 0 && bytes == (2ULL << 20))
                        r_->hugepages = HUGEPAGES_2M;
                else if (parse_size(arg, 1ULL << 20, &bytes) >= 0 && bytes == (1ULL << 30))
                        r_->hugepages = HUGEPAGES_1G;
                else
                        r = cli_errorf(EXIT_USAGE, "--hugepages '%s': use 2M, 1G or none", arg);
                break;
        }
        case ARG_REALTIME:
                r_->realtime = true;
                break;
        case ARG_EXCLUDE: {
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t x = hwloc_bitmap_alloc();
                if (!x || cpuset_parse_list(arg, x) < 0)
                        r = cli_errorf(EXIT_USAGE,
                                       "--exclude '%s' is not a CPU list; use e.g. 4-7,12-15", arg);
                else
                        hwloc_bitmap_or(a->exclude, a->exclude, x);
                break;
        }
        default:
                return 1;
        }
        if (c == ARG_IOTHREADS && r == 0)
                a->iothreads_set = true;
        if (r == 0)
                r_->pci = a->pci;
        return r;
}
