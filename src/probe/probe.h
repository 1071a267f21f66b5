/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "histogram.h"
#include "macro.h"

/* The probes of `vmslice bench`: what a vCPU on a CPU of this host would feel. Each runs in one
 * thread per measured CPU, pinned to it (pthread_setaffinity_np) before it starts; the threads
 * start together and run for the duration, or until *stop becomes non-zero. Nothing here prints.
 *
 *   stall  (stall.h) a CPU-bound loop reading CLOCK_MONOTONIC, as the kernel's osnoise tracer
 *          does: every gap between two reads above the threshold is time something else took.
 *   timer  (timer.h) absolute-time clock_nanosleep() at a fixed interval, as cyclictest does:
 *          the wake-up latency of each cycle. */

typedef enum ProbeKind {
        PROBE_STALL,
        PROBE_TIMER,
} ProbeKind;

const char *probe_kind_to_string(ProbeKind k);

typedef struct ProbeConfig {
        ProbeKind kind;
        uint64_t duration_ns;
        uint64_t threshold_ns;  /* stall: gaps above it are stolen time */
        uint64_t interval_ns;   /* timer: the period */
        int fifo_priority;      /* timer: SCHED_FIFO priority, 0 for SCHED_OTHER */
        unsigned overflow_us;   /* timer: keep the cycle numbers of the first overflow_us cycles
                                   whose latency is overflow_us µs or more (cyclictest's
                                   histogram); 0: none */
        const atomic_int *stop; /* may be NULL */
} ProbeConfig;

/* The result of a probe on one CPU. */
typedef struct ProbeCpu {
        unsigned cpu;
        Histogram *hist;     /* stall: the gaps above the threshold; timer: every latency */
        uint64_t elapsed_ns; /* time measured */
        uint64_t stolen_ns;  /* stall: sum of the gaps above the threshold */
        uint64_t loops;      /* stall: clock reads; timer: cycles */
        uint64_t overruns;   /* timer: periods missed entirely */
        uint64_t *overflow_cycles;
        size_t n_overflow_cycles;
        int error;          /* negative errno when the thread could not run */
        const char *failed; /* what failed then */
} ProbeCpu;

typedef struct ProbeResult {
        ProbeKind kind;
        ProbeCpu *cpus; /* ascending CPU numbers */
        size_t n_cpus;
        Histogram *hist;                                 /* every CPU's histogram merged */
        uint64_t elapsed_ns, stolen_ns, loops, overruns; /* summed over the CPUs */
} ProbeResult;

/* Runs the probe on every CPU of cpus at once. While it runs, the calling thread moves off the
 * measured CPUs when it may run elsewhere, and gets its affinity back afterwards. A thread that
 * cannot be pinned to its CPU (not in this process's cpuset, offline) or cannot get its
 * scheduling policy fails the run with a message naming the CPU. */
int probe_run(const ProbeConfig *cfg, hwloc_const_bitmap_t cpus, ProbeResult **ret, Error *err);
ProbeResult *probe_result_free(ProbeResult *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProbeResult *, probe_result_free)

/* The share of the elapsed time the stall loop ran: (elapsed - stolen) / elapsed, in 0..1; 1 when
 * nothing was measured. */
double probe_availability(uint64_t elapsed_ns, uint64_t stolen_ns);

/* CLOCK_MONOTONIC in ns. */
uint64_t probe_now_ns(void);
