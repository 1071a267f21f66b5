/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <sys/types.h>

#include "error.h"
#include "host.h"
#include "interrupts.h"
#include "probe.h"

/* What `vmslice bench` does around the probes: the interrupts on the measured CPUs while a probe
 * runs, the process's place in the cpuset hierarchy, and /dev/cpu_dma_latency. */

typedef struct BenchProbe {
        ProbeResult *result;
        IrqDeltas irqs; /* the interrupts that hit the measured CPUs while the probe ran */
} BenchProbe;

/* Runs a probe on cpus between two snapshots of /proc/interrupts. */
int bench_probe(Host *h, const ProbeConfig *cfg, hwloc_const_bitmap_t cpus, BenchProbe *ret,
                Error *err);
void bench_probe_done(BenchProbe *p);

/* The cgroup that decides a process's CPUs: in cgroup v2 (when /sys/fs/cgroup/cgroup.controllers
 * exists) its cgroup there, else in cgroup v1's cpuset hierarchy at /sys/fs/cgroup/cpuset -- the
 * same choice the runtime slice makes. */
typedef struct BenchCgroup {
        char *mount; /* "/sys/fs/cgroup" or "/sys/fs/cgroup/cpuset"; NULL: no cpuset hierarchy */
        char *path;  /* the process's cgroup in it, "/" for the root */
} BenchCgroup;

/* Where pid is (from /proc/PID/cgroup). */
int bench_cgroup_get(Host *h, pid_t pid, BenchCgroup *ret, Error *err);
/* Moves pid, every thread of it, into path of the hierarchy of where (its cgroup.procs). A path
 * that no longer exists is not an error (returns 0 and does nothing): a cgroup that a slice
 * removed. */
int bench_cgroup_move(Host *h, pid_t pid, const BenchCgroup *where, const char *path, Error *err);
void bench_cgroup_done(BenchCgroup *c);

/* Opens /dev/cpu_dma_latency and writes 0: no CPU enters an idle state with an exit latency
 * above 0 µs while the returned fd stays open (the kernel's PM QoS interface). */
int bench_dma_latency_hold(Host *h, int *ret_fd, Error *err);
