/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "error.h"
#include "host.h"
#include "interrupts.h"
#include "qemu-proc.h"
#include "slice.h"
#include "state.h"
#include "topology.h"

/* `vmslice check`: a running VM compared with what its domain asks for and what its slice should
 * have made of the host. Each finding is ok, warn or fail, with a stable code and one line:
 *
 *   qemu           the process is this domain's QEMU: one named thread per vCPU, its -name guest
 *   vcpu-pin       each vCPU thread may run exactly on its <vcpupin> (fail); no pins at all (warn)
 *   vcpu-last-cpu  each vCPU thread last ran inside its pin (warn)
 *   emulator-pin   the emulator threads stay inside <emulatorpin> (fail), or, without one, off the
 *                  vCPUs' CPUs (warn)
 *   iothread-pin   the same for each I/O thread and its <iothreadpin>; a missing thread (warn)
 *   other-tasks    tasks of other processes that may run on the vCPUs' CPUs (warn); per-CPU kernel
 *                  threads are not counted
 *   irqs           device IRQs that fired on the vCPUs' CPUs during the interval (warn)
 *   irqs-local     per-CPU interrupts there (LOC, RES, CAL, TLB, ...), summarised (warn)
 *   ram            the guest RAM mappings cannot be found or read (warn)
 *   hugepages      the guest RAM's KernelPageSize is the hugepage size the domain asks for (fail)
 *   numa           the guest RAM lies on the nodes of <numatune>, of the reserved hugepages or of
 *                  the vCPUs (warn)
 *   slice          the slice's record and knobs: CPU isolation knobs that do not exclude the VM's
 *                  CPUs fail, other knobs not as the slice wants them warn; an opted-in domain
 *                  without a slice warns
 */

typedef enum CheckLevel {
        CHECK_OK = 0,
        CHECK_WARN,
        CHECK_FAIL,
} CheckLevel;

const char *check_level_to_string(CheckLevel l);

typedef struct CheckFinding {
        CheckLevel level;
        const char *code; /* static: "vcpu-pin" */
        char *message;    /* one line, no control characters */
} CheckFinding;

typedef struct CheckResult {
        CheckFinding *findings; /* in the order of the codes above */
        size_t n;
} CheckResult;

typedef struct CheckInput {
        Host *host;
        const Topology *topology;
        const Domain *domain;      /* its live definition, or the XML it was started with */
        const QemuProc *qemu;      /* qemu_proc_load() of its QEMU */
        State *state;              /* the slice's state directory; NULL when there is none */
        const SlicePolicy *policy; /* the slice's shared policy; NULL: slice_policy_default() */
        bool slice_wanted;         /* the domain opted into the slice (metadata or settings) */
        unsigned interval_ms;      /* how long to count IRQs; 0: no IRQ findings */
} CheckInput;

/* The guest memory of a domain (<memory>, bytes; 0 when it has none), for qemu_proc_load(). */
int check_guest_memory(const Domain *d, uint64_t *ret);

/* The running QEMU of a domain: pid, or (pid 0) the one libvirt's pid file names, loaded with the
 * domain's guest memory. A <memory> that is not a size is an input error. */
int check_load_qemu(Host *h, const Domain *d, unsigned pid, QemuProc **ret, Error *err);

/* Checks a running VM. Sleeps for interval_ms (less the time the other checks took) between two
 * reads of /proc/interrupts. Checks the slice with a dry run of its reconciliation, holding the
 * state directory's lock (which state_open() took). A domain whose pins or hugepages are malformed
 * or do not fit the host is an input error; -ENOMEM. */
int check_run(const CheckInput *in, CheckResult *ret, Error *err);
void check_result_done(CheckResult *r);

/* The worst level (CHECK_OK when there are no findings), how many findings have a level, and the
 * first finding with a code (NULL when none). */
CheckLevel check_worst(const CheckResult *r);
size_t check_count(const CheckResult *r, CheckLevel level);
const CheckFinding *check_find(const CheckResult *r, const char *code);

/* The IRQ findings (irqs, irqs-local) for two snapshots of /proc/interrupts taken interval_ms
 * apart, on cpus; check_run() uses it, and tests. Returns 0 or -ENOMEM. */
int check_add_irqs(CheckResult *r, const Interrupts *before, const Interrupts *after,
                   hwloc_const_bitmap_t cpus, unsigned interval_ms);
