/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "topology.h"

/* The placement planner: from a host topology and a request, which host CPU each vCPU runs on,
 * where the emulator and I/O threads go, the guest CPU topology that mirrors the host, and the
 * NUMA memory placement. Pure computation: no I/O. */

typedef enum EmulatorMode {
        EMULATOR_SHARED = 0, /* emulator and iothreads on the host's CPUs of the VM's node */
        EMULATOR_ISOLATED,   /* a host core (or idle siblings) of its own for the emulator */
} EmulatorMode;

typedef enum HugepageChoice {
        HUGEPAGES_DEFAULT = 0, /* 2 MiB when --memory is given, none otherwise */
        HUGEPAGES_NONE,
        HUGEPAGES_2M,
        HUGEPAGES_1G,
} HugepageChoice;

/* Upper bounds the planner accepts; larger requests are bad input. */
#define PLAN_VCPUS_MAX     4096U
#define PLAN_IOTHREADS_MAX 64U
#define PLAN_MEMORY_MAX    (64ULL << 40) /* 64 TiB */

typedef struct PlanRequest {
        unsigned vcpus;      /* 0: half of the host's online CPUs, in whole cores */
        unsigned threads;    /* guest threads per core: 0 auto (2 with SMT), 1 or 2 */
        unsigned host_cores; /* cores kept for the host, including CPU 0's; 0 means 1 */
        char **pci;          /* strv of PCI addresses to place near (may be NULL) */
        EmulatorMode emulator;
        unsigned iothreads;
        uint64_t memory; /* guest memory in bytes, 0 when not given */
        HugepageChoice hugepages;
        bool realtime;
        hwloc_const_bitmap_t exclude; /* CPUs taken by other VMs (may be NULL) */
} PlanRequest;

typedef struct PlanCell {   /* one guest NUMA cell when the VM spans host nodes */
        unsigned host_node; /* os index of the host node */
        unsigned first_vcpu, n_vcpus;
        uint64_t memory;   /* bytes */
        unsigned mem_node; /* os index of the node the memory comes from */
} PlanCell;

typedef struct Plan {
        unsigned vcpus, threads;
        unsigned *vcpu_cpu;       /* [vcpus]: host CPU of each vCPU */
        hwloc_bitmap_t vcpu_cpus; /* CPUs running a vCPU */
        hwloc_bitmap_t vm_cpus;   /* all CPUs of the VM's cores (idle siblings included) */
        hwloc_bitmap_t emulator_cpus;
        bool emulator_dedicated; /* emulator CPUs belong to the VM's slice */
        hwloc_bitmap_t iothread_cpus;
        hwloc_bitmap_t host_cpus; /* online CPUs left to the host */
        unsigned iothreads;

        unsigned sockets, dies, cores; /* guest topology (threads above) */
        bool topoext;                  /* AMD with threads=2 */
        bool realtime;

        unsigned *host_nodes; /* os indexes of the nodes holding the vCPUs */
        unsigned n_host_nodes;
        unsigned *mem_nodes; /* os indexes of the nodes the memory comes from */
        unsigned n_mem_nodes;
        PlanCell *cells; /* guest NUMA cells; n_cells > 1 only when split */
        unsigned n_cells;
        unsigned n_l3_groups; /* L3 groups the vCPUs span */

        uint64_t memory;    /* bytes, 0 when not requested */
        uint64_t page_size; /* hugepage size in bytes, 0 for none */

        char **explain; /* one line per decision */
        char **warnings;
} Plan;

int plan_compute(const Topology *t, const PlanRequest *req, Plan **ret, Error *err);
Plan *plan_free(Plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Plan *, plan_free)
