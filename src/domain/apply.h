/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain.h"
#include "plan.h"

/* `vmslice apply`: plan for a domain and write the plan into it, leaving everything else alone. */

typedef struct ApplyOptions {
        PlanRequest req;    /* vcpus/memory 0: from the domain */
        bool iothreads_set; /* --iothreads given (else the domain's, or 1 with virtio disks) */
} ApplyOptions;

/* What vmslice recorded in a domain's <metadata>. */
typedef struct ManagedInfo {
        bool managed;
        hwloc_bitmap_t cpus;          /* the VM's CPUs (whole cores), empty when unknown */
        hwloc_bitmap_t emulator_cpus; /* dedicated emulator CPUs, empty when shared */
        char *options;                /* the plan options as recorded */
} ManagedInfo;

/* Fills req from the domain where opts leaves it open: vCPU count, memory, the PCI devices it
 * passes through (their addresses in *ret_pci, a strv the caller frees), iothreads. */
int domain_plan_request(const Domain *d, const ApplyOptions *opts, PlanRequest *ret_req,
                        char ***ret_pci, Error *err);

/* Merges a plan into the domain: <vcpu>, the pins of <cputune> (other children kept), <cpu> mode,
 * topology and cache (features kept, topoext added when needed), <numatune>, <memoryBacking>
 * hugepages (other children kept), <iothreads> and one iothread per virtio disk, and vmslice's
 * <metadata> (that vmslice manages the domain, with the options used). */
int domain_apply_plan(Domain *d, const Plan *p, const PlanRequest *req, Error *err);

/* Reads vmslice's metadata of a domain. */
int domain_managed_info(const Domain *d, ManagedInfo *ret);
void managed_info_done(ManagedInfo *m);

/* The choices a domain's vmslice metadata recorded (--host-cores, --threads, --emulator,
 * --iothreads, --realtime) into req. Returns 1 when the domain had them, 0 when not managed. */
int domain_recorded_request(const Domain *d, PlanRequest *req, bool *ret_iothreads_set);

/* All CPUs pinned in a domain's <cputune> (vcpupin, emulatorpin, iothreadpin), into set. */
int domain_pinned_cpus(const Domain *d, hwloc_bitmap_t set);

/* A libvirt cpuset or nodeset: "0-3,8,^2" (numbers and ranges up to CPU_NUMBER_MAX, '^' takes a
 * number or range out again). Returns 0, -EINVAL for garbage or an empty result, -ENOMEM. */
int domain_parse_set(const char *s, hwloc_bitmap_t out);

/* The most I/O threads domain_pins() accepts. */
#define DOMAIN_IOTHREADS_MAX 4096U

typedef struct DomainIothreadPin {
        unsigned id;         /* the iothread id (libvirt names its thread "IO iothread<id>") */
        hwloc_bitmap_t cpus; /* its <iothreadpin>, NULL when it has none */
} DomainIothreadPin;

/* The placement a domain asks libvirt for, as written. NULL sets: the domain does not say. */
typedef struct DomainPins {
        unsigned vcpus;              /* <vcpu>, 1 when absent */
        unsigned vcpus_current;      /* <vcpu current=>, else vcpus */
        hwloc_bitmap_t *vcpu;        /* [vcpus]: its <vcpupin>, else <vcpu cpuset=>, else NULL */
        hwloc_bitmap_t vcpu_default; /* <vcpu cpuset=> */
        hwloc_bitmap_t emulator;     /* <emulatorpin> */
        DomainIothreadPin
            *iothreads; /* every I/O thread (<iothreadids>, else ids 1..<iothreads>) */
        unsigned n_iothreads;
        hwloc_bitmap_t mem_nodes; /* <numatune>: <memory nodeset> and every <memnode nodeset> */
} DomainPins;

/* Reads the pins of a domain's <cputune> and its <numatune> nodes. A malformed set, a <vcpupin>
 * of a vCPU the domain does not have, an <iothreadpin> of an unknown I/O thread or more than
 * DOMAIN_IOTHREADS_MAX I/O threads are input errors naming the element. */
int domain_pins(const Domain *d, DomainPins *ret, Error *err);
void domain_pins_done(DomainPins *p);
