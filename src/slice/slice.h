/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "host.h"
#include "slice-config.h"
#include "spec.h"
#include "state.h"
#include "topology.h"

/* The runtime slice: the host state the prepared VMs want, reconciled with the host.
 *
 * Every prepare, release and restore computes, from the specs of the VMs that are prepared, the
 * value each knob must have (hugepages per node: the original count plus every VM's pages; CPU
 * masks: the online CPUs minus the union of the VMs' CPUs; the noise knobs: their quiet value
 * while any VM runs), and writes only what differs. Before a file is first written its original
 * value goes to the journal (state.h), fsynced. Knobs no VM wants any more get their original back
 * and leave the journal. So the last VM out restores the shared knobs, a crash at any point leaves
 * the journal and the specs from which the next run (or `restore`) puts everything right, and a
 * second prepare of a prepared VM changes nothing. */

typedef enum ThpMode {
        THP_LEAVE = 0,
        THP_NEVER,
        THP_MADVISE,
        THP_ALWAYS,
} ThpMode;

typedef enum IrqbalanceMode {
        IRQBALANCE_BAN = 0, /* its control socket bans the VM CPUs while VMs run */
        IRQBALANCE_STOP,    /* systemd stops irqbalance.service while VMs run */
        IRQBALANCE_LEAVE,
} IrqbalanceMode;

typedef struct SlicePolicy {
        bool hugepages;         /* reserve the VMs' hugepages */
        bool isolate;           /* cgroup v2: keep host cgroups off the VM CPUs */
        bool workqueues;        /* unbound workqueue and writeback cpumasks */
        bool irqs;              /* IRQ affinities and default_smp_affinity */
        unsigned stat_interval; /* vm.stat_interval, 0: leave */
        bool watchdog_off;      /* kernel.watchdog and kernel.nmi_watchdog */
        bool timer_migration_off;
        ThpMode thp;
        bool ksm_off;
        bool governor_performance; /* on the VM CPUs */
        int cstate_max_latency_us; /* disable idle states above it on the VM CPUs; -1: leave */
        unsigned compact_tries;
        unsigned compact_timeout_ms;
        bool drop_caches;
        IrqbalanceMode irqbalance;
        bool partition; /* cgroup v2: each running VM's vCPU cgroups become isolated partitions */
} SlicePolicy;

/* What a desktop gaming VM wants with no configuration. */
void slice_policy_default(SlicePolicy *p);
/* The policy of the settings file's [defaults] (shared knobs follow [defaults]; a [vm NAME]
 * section's hugepages and isolate decide what that VM's own slice holds). */
void slice_policy_from_settings(const SliceSettings *s, SlicePolicy *p);

typedef struct SliceChange {
        char *path;
        char *from, *to; /* to NULL: the file refused the value (see note) */
        char *note;
} SliceChange;

typedef struct SliceReport {
        SliceChange *changes;
        size_t n;
        char **notes; /* e.g. IRQs the kernel manages, files this host does not have */
} SliceReport;

void slice_report_done(SliceReport *r);

/* Prepares a VM's slice (records its spec, then reconciles). A second prepare of a prepared VM
 * only re-checks. On failure the VM's changes are rolled back and its spec removed. */
int slice_prepare(Host *h, const Topology *t, State *st, const SliceSpec *vm, const SlicePolicy *p,
                  bool dry_run, SliceReport *rep, Error *err);
/* Gives a VM's slice back. Releasing a VM that is not prepared is not an error (a no-op). */
int slice_release(Host *h, const Topology *t, State *st, const char *name, const SlicePolicy *p,
                  bool dry_run, SliceReport *rep, Error *err);
/* Re-applies the slices of the prepared VMs (after a crash or a libvirtd restart). */
int slice_reconcile(Host *h, const Topology *t, State *st, const SlicePolicy *p, bool dry_run,
                    SliceReport *rep, Error *err);
/* Undoes everything vmslice changed, whatever state it was left in: forgets every VM and writes
 * every journaled original back, in reverse order. */
int slice_restore(Host *h, State *st, bool dry_run, SliceReport *rep, Error *err);

/* The current value of a journaled knob as status shows it: a file's content, a kernel thread's
 * affinity, a unit's AllowedCPUs=, the CPUs irqbalance bans, a host cgroup's CPUs. */
int slice_current_value(Host *h, const char *path, char **ret);
