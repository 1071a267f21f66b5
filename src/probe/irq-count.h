/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "macro.h"

/* A minimal reader of /proc/interrupts for `vmslice check`: the per-CPU counts of each line, and
 * what fired on a set of CPUs between two snapshots. */

typedef struct IrqCountLine {
        char *name;      /* "24" (a device IRQ), "LOC", "NMI", "RES", ... */
        char *desc;      /* what follows the counts: "IO-APIC 4-edge ttyS0", "Local timer ..." */
        uint64_t *count; /* [n]: per column of IrqCounts */
        unsigned n;      /* counts on the line: n_cols, fewer for ERR and MIS */
} IrqCountLine;

typedef struct IrqCounts {
        unsigned *cpu; /* [n_cols]: the CPU of each column (offline CPUs have none) */
        unsigned n_cols;
        IrqCountLine *lines;
        size_t n_lines;
} IrqCounts;

/* Parses /proc/interrupts: a header "CPU0 CPU1 ..." and lines "NAME: COUNT... [DESCRIPTION]".
 * Strict: a header that is not CPU columns (up to CPU_NUMBER_MAX, ascending), a line without
 * "NAME:", or more counts than columns is -EINVAL; -ENOMEM. */
int irq_counts_parse(const char *text, IrqCounts **ret);
/* Reads and parses /proc/interrupts through the host. */
int irq_counts_read(Host *h, IrqCounts **ret);
IrqCounts *irq_counts_free(IrqCounts *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(IrqCounts *, irq_counts_free)

/* What one line counted on the CPUs between two snapshots. */
typedef struct IrqFired {
        const char *name; /* borrowed from the later snapshot */
        const char *desc;
        bool device; /* a numbered IRQ; else a per-CPU interrupt (LOC, RES, CAL, TLB, ...) */
        uint64_t count;
} IrqFired;

/* The lines of after that counted on cpus since before, in after's order: per CPU column, the
 * later count minus the earlier (the later count alone when it went down or the line or CPU is
 * new). ERR and MIS (not per CPU) are left out. *ret_n may be 0. Returns 0 or -ENOMEM. */
int irq_counts_delta(const IrqCounts *before, const IrqCounts *after, hwloc_const_bitmap_t cpus,
                     IrqFired **ret, size_t *ret_n);

/* The device's name in a description: its last word ("nvme0q1" of "PCI-MSIX-... 1-edge
 * nvme0q1"); the whole description when it has one word, "" when it is empty. */
const char *irq_desc_device(const char *desc);
