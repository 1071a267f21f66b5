/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "macro.h"

/* /etc/vmslice/vmslice.conf: what the runtime slice does while VMs run. No file means every
 * default, which serves a desktop gaming VM. The file (every key optional; the values shown are
 * the defaults):
 *
 *   [defaults]                # apply to every VM vmslice manages
 *   hugepages = yes           # reserve the VM's hugepages on its NUMA nodes
 *   isolate = yes             # isolate the VM's CPUs from host tasks and kernel threads
 *   workqueues = yes          # keep unbound workqueues off the VM's CPUs
 *   irqs = yes                # keep IRQs off the VM's CPUs
 *   stat-interval = 120       # vm.stat_interval in seconds while VMs run (0 = leave alone)
 *   watchdog = off            # kernel.watchdog / nmi_watchdog off while VMs run ("leave" to
 *                             # not touch)
 *   timer-migration = off     # kernel.timer_migration off while VMs run, or leave
 *   thp = never               # transparent hugepages: never|madvise|always|leave
 *   ksm = off                 # kernel samepage merging: off|leave
 *   governor = performance    # cpufreq governor of the VM's CPUs: performance|leave
 *   cstates = shallow         # disable idle states with an exit latency above
 *                             # cstate-max-latency-us on the VM's CPUs; shallow|leave
 *   cstate-max-latency-us = 10
 *   irqbalance = ban          # ban the VM's CPUs in irqbalance, stop it, or leave it:
 *                             # ban|stop|leave
 *   compact-tries = 3         # memory compactions tried when hugepages do not come
 *   compact-timeout-ms = 2000 # time given to each try
 *   drop-caches = yes         # drop the page cache before compacting
 *   partition = no            # make the VM's cgroup a cgroup v2 isolated partition
 *
 *   [vm NAME]                 # overrides for the VM named NAME: any key above, and
 *   enabled = yes             # yes: vmslice slices this VM although its domain has no vmslice
 *                             # metadata; no: it leaves alone a VM whose domain has it
 *
 * A VM is sliced when its domain carries vmslice's metadata (`vmslice apply` writes it) or its
 * [vm NAME] section says enabled = yes, and not when that section says enabled = no.
 *
 * Syntax: one "key = value" per line (spaces around '=' do not matter), section headers
 * "[defaults]" and "[vm NAME]" (NAME with the rules of domain names: letters, digits, spaces and
 * ._-+:@,=, non-ASCII), comments from '#' or ';' to the end of the line, blank lines. Booleans
 * are yes/no (also true/false, on/off, 1/0). Numbers: stat-interval 0-86400,
 * cstate-max-latency-us 0-1000000, compact-tries 0-100, compact-timeout-ms 0-600000. A [vm NAME]
 * section matches the domain name exactly and overrides [defaults] wherever [defaults] is in the
 * file. Parsing is strict: an unknown section or key, a bad value, a key twice in a section, a
 * section twice, 'enabled' in [defaults], a key outside a section is an error naming the file and
 * line. Bounds: SLICE_CONFIG_SIZE_MAX bytes,
 * SLICE_CONFIG_LINE_MAX bytes per line, SLICE_CONFIG_VMS_MAX [vm] sections. */

#define SLICE_CONFIG_PATH     "/etc/vmslice/vmslice.conf"
#define SLICE_CONFIG_SIZE_MAX (64U * 1024)
#define SLICE_CONFIG_LINE_MAX 1024U
#define SLICE_CONFIG_VMS_MAX  256U

typedef enum SliceThp {
        SLICE_THP_NEVER = 0,
        SLICE_THP_MADVISE,
        SLICE_THP_ALWAYS,
        SLICE_THP_LEAVE,
} SliceThp;

typedef enum SliceIrqbalance {
        SLICE_IRQBALANCE_BAN = 0, /* its control socket bans the VM's CPUs */
        SLICE_IRQBALANCE_STOP,    /* irqbalance stopped while VMs run */
        SLICE_IRQBALANCE_LEAVE,
} SliceIrqbalance;

typedef struct SliceSettings {
        bool hugepages;                 /* hugepages = yes|no */
        bool isolate;                   /* isolate = yes|no */
        bool workqueues;                /* workqueues = yes|no */
        bool irqs;                      /* irqs = yes|no */
        unsigned stat_interval;         /* stat-interval, seconds, 0: leave alone */
        bool watchdog_off;              /* watchdog = off (true) | leave (false) */
        bool timer_migration_off;       /* timer-migration = off | leave */
        SliceThp thp;                   /* thp = never|madvise|always|leave */
        bool ksm_off;                   /* ksm = off | leave */
        bool governor_performance;      /* governor = performance | leave */
        bool cstates_shallow;           /* cstates = shallow | leave */
        unsigned cstate_max_latency_us; /* cstate-max-latency-us */
        SliceIrqbalance irqbalance;     /* irqbalance = ban|stop|leave */
        unsigned compact_tries;         /* compact-tries */
        unsigned compact_timeout_ms;    /* compact-timeout-ms */
        bool drop_caches;               /* drop-caches = yes|no */
        bool partition;                 /* partition = yes|no */
} SliceSettings;

const char *slice_thp_to_string(SliceThp t);
const char *slice_irqbalance_to_string(SliceIrqbalance i);

/* The defaults, as documented above. */
void slice_settings_default(SliceSettings *s);

typedef struct SliceConfig SliceConfig;

/* Parses the text of a configuration file; source names it in messages ("vmslice.conf" when
 * NULL): "vmslice.conf:12: unknown key 'thp-mode' in [defaults]; see vmslice.conf(5)". Errors
 * in the text are input errors (-EINVAL); -ENOMEM. */
int slice_config_parse(const char *text, const char *source, SliceConfig **ret, Error *err);

/* Reads and parses a configuration file (path NULL: SLICE_CONFIG_PATH). A file that does not
 * exist gives an empty configuration (every default) and returns 0; a file read returns 1. A file
 * over SLICE_CONFIG_SIZE_MAX, not a regular file or with a NUL byte is an input error; a file
 * that cannot be read fails with its errno. */
int slice_config_load(const char *path, SliceConfig **ret, Error *err);

SliceConfig *slice_config_free(SliceConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(SliceConfig *, slice_config_free)

/* The settings for the VM named vm: [defaults] with its [vm NAME] section on top (c may be NULL:
 * every default). Returns 1 when the VM's section has 'enabled', which *ret_enabled then holds;
 * 0 when the configuration does not say (*ret_enabled false: the domain's metadata decides).
 * ret_enabled may be NULL. */
int slice_config_settings_for(const SliceConfig *c, const char *vm, SliceSettings *ret,
                              bool *ret_enabled);

/* Whether vmslice slices the VM: its section's 'enabled' when it has one, else managed (the
 * domain carries vmslice's metadata). */
bool slice_config_vm_enabled(const SliceConfig *c, const char *vm, bool managed);

/* The number of [vm NAME] sections and the name of the i-th (in file order), for listing. */
unsigned slice_config_n_vms(const SliceConfig *c);
const char *slice_config_vm_name(const SliceConfig *c, unsigned i);
