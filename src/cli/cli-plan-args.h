/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>

#include "cli-options.h"
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

/* The planner's options: getopt's and the help's (cli-options.h). */
extern const CliOption plan_options[];

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
