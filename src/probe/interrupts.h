/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "host.h"
#include "macro.h"

/* /proc/interrupts: which interrupts hit which CPUs, so that a bad probe result names its cause.
 *
 * The first line names the columns ("CPU0 CPU1 CPU4 ..." -- only online CPUs, so the numbers may
 * have holes); each other line is "KEY: count count ... description". Parsing is tolerant of what
 * real kernels and truncated reads give, and strict about what it keeps:
 *   - any number of CPU columns (up to CPU_NUMBER_MAX + 1), named in ascending order;
 *   - a line with fewer counts than columns keeps the counts it has (the CPUs of the missing
 *     columns count nothing); a line with exactly one count on a host with more columns ("ERR:",
 *     "MIS:") is a system-wide counter, not attributed to any CPU;
 *   - a count that does not fit in 64 bits, a line without "KEY:" or with an empty or over-long
 *     key is skipped (and counted in n_skipped);
 *   - the description of a numbered IRQ is split into fields at runs of two or more spaces (the
 *     kernel pads its columns); its device names are the last field when there are two or more
 *     and the last one is not the flow type ("5-edge", "Level") -- "virtio1-req.0", "PCIe PME,
 *     aerdrv"; for the other lines (LOC, RES, CAL, TLB...) the description is the name.
 * Without a header naming at least one CPU the text is refused (-EINVAL). */

#define IRQ_KEY_MAX 32

typedef struct IrqRow {
        char key[IRQ_KEY_MAX]; /* "36", "LOC" */
        char *name;            /* device names or the description; "" when none */
        bool device;           /* a numbered IRQ */
        bool global;           /* one system-wide count, no CPU columns */
        uint64_t *counts;      /* n_counts of them, in column order */
        unsigned n_counts;
} IrqRow;

typedef struct Interrupts {
        unsigned *cpus; /* the CPU of each column */
        unsigned n_cpus;
        IrqRow *rows;
        size_t n_rows;
        size_t n_skipped;
} Interrupts;

int interrupts_parse(const char *text, Interrupts **ret, Error *err);
/* Reads /proc/interrupts through the host. */
int interrupts_read(Host *h, Interrupts **ret, Error *err);
Interrupts *interrupts_free(Interrupts *irq);
DEFINE_TRIVIAL_CLEANUP_FUNC(Interrupts *, interrupts_free)

typedef struct IrqCpuCount {
        unsigned cpu;
        uint64_t count;
} IrqCpuCount;

/* What one line counted on a set of CPUs between two snapshots. */
typedef struct IrqDelta {
        char key[IRQ_KEY_MAX];
        char *name;
        bool device;
        uint64_t total;
        IrqCpuCount *cpus; /* the CPUs of the set it hit, ascending, counts > 0 */
        unsigned n_cpus;
} IrqDelta;

typedef struct IrqDeltas {
        IrqDelta *d; /* by total, largest first, then by key */
        size_t n;
} IrqDeltas;

/* The interrupts of after minus before on the CPUs of cpus: lines matched by key, columns by CPU
 * number (a CPU or line only in after counts from 0). A count that went down is a counter that
 * wrapped at 32 bits (the kernel's per-CPU counts are unsigned int) when that makes a difference
 * below 2^31, else a line that was reset (its IRQ freed and requested again), counted from 0.
 * Lines and CPUs that counted nothing are left out; global lines too. Returns 0 or -ENOMEM. */
int interrupts_delta(const Interrupts *before, const Interrupts *after, hwloc_const_bitmap_t cpus,
                     IrqDeltas *ret);
void irq_deltas_done(IrqDeltas *d);
/* The difference of two counts as interrupts_delta() takes it. */
uint64_t irq_count_delta(uint64_t before, uint64_t after);
