/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>

#include "cli.h"
#include "plan.h"

/* The planner's options, shared by `plan` and `apply`. */
enum {
        ARG_VCPUS = 0x100,
        ARG_THREADS,
        ARG_HOST_CORES,
        ARG_PCI,
        ARG_EMULATOR,
        ARG_IOTHREADS,
        ARG_MEMORY,
        ARG_HUGEPAGES,
        ARG_REALTIME,
        ARG_EXCLUDE,
        ARG_PLAN_MAX, /* verbs number their own options from here */
};

#define PLAN_LONG_OPTIONS                                                                          \
        {"vcpus", required_argument, NULL, ARG_VCPUS},                                             \
            {"threads", required_argument, NULL, ARG_THREADS},                                     \
            {"host-cores", required_argument, NULL, ARG_HOST_CORES},                               \
            {"pci", required_argument, NULL, ARG_PCI},                                             \
            {"emulator", required_argument, NULL, ARG_EMULATOR},                                   \
            {"iothreads", required_argument, NULL, ARG_IOTHREADS},                                 \
            {"memory", required_argument, NULL, ARG_MEMORY},                                       \
            {"hugepages", required_argument, NULL, ARG_HUGEPAGES},                                 \
            {"realtime", no_argument, NULL, ARG_REALTIME},                                         \
        {                                                                                          \
                "exclude", required_argument, NULL, ARG_EXCLUDE                                    \
        }

#define PLAN_OPTIONS_HELP                                                                          \
        "  --vcpus N            guest vCPUs\n"                                                     \
        "  --threads 1|2|auto   guest threads per core (auto: 2 when the host has SMT)\n"          \
        "  --host-cores N       cores kept for the host, CPU 0's core included (default 1)\n"      \
        "  --pci BDF            place near this device, e.g. the passed-through GPU\n"             \
        "                       (repeatable; 0000:01:00.0 or 01:00.0)\n"                           \
        "  --emulator shared|isolated\n"                                                           \
        "                       emulator thread on the host's CPUs (default) or on a core\n"       \
        "                       (or idle siblings) of its own\n"                                   \
        "  --iothreads N        I/O threads, pinned to the host's CPUs of the VM's node\n"         \
        "  --memory SIZE        guest memory (16G, 16384M, 16GiB; a bare number is MiB)\n"         \
        "  --hugepages 2M|1G|none\n"                                                               \
        "                       back guest memory with hugepages (default 2M with --memory)\n"     \
        "  --realtime           SCHED_FIFO priority 1 for the vCPUs (read the warning)\n"          \
        "  --exclude CPUS       CPUs taken by other VMs, e.g. 4-7,12-15\n"

typedef struct PlanArgs {
        PlanRequest req; /* req.pci and req.exclude point into this struct */
        char **pci;
        hwloc_bitmap_t exclude;
        bool iothreads_set;
} PlanArgs;

int plan_args_init(PlanArgs *a);
void plan_args_done(PlanArgs *a);
/* Handles one getopt result: 0 when taken, 1 when c is not a planner option, else the exit status
 * of a usage error it printed. */
int plan_args_parse(PlanArgs *a, int c, const char *arg);
