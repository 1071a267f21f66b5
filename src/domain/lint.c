/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lint.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cpuset-util.h"
#include "parse-util.h"
#include "plan.h"
#include "string-util.h"

#define S(s) ((const char *) (s))

#define MIB            (1ULL << 20)
#define GIB            (1ULL << 30)
#define PAGE_2M        (2ULL << 20)
#define NET_QUEUES_MAX 16U

/* ---- the rules ---- */

enum {
        R_VCPU_UNPINNED,
        R_VCPU_PINNED_TO_SET,
        R_VCPU_ON_HOST_CORE,
        R_VCPU_SHARED_CPU,
        R_THREADS_NOT_SIBLINGS,
        R_SIBLINGS_SPLIT,
        R_VCPU_SPANS_NODES,
        R_VCPU_SPANS_L3,
        R_EMULATOR_ON_VCPU,
        R_EMULATOR_UNPINNED,
        R_IOTHREAD_ON_VCPU,
        R_IOTHREAD_UNPINNED,
        R_CPU_MODE,
        R_CPU_TOPOLOGY,
        R_CPU_CACHE,
        R_AMD_TOPOEXT,
        R_VCPUSCHED_RT,
        R_VCPU_OFFLINE,
        R_NO_HUGEPAGES,
        R_MEMORY_PAGE_MULTIPLE,
        R_NUMATUNE_MISSING,
        R_NUMATUNE_WRONG_NODE,
        R_NUMATUNE_MEMORYLESS,
        R_BALLOON_VFIO,
        R_BALLOON_HUGEPAGES,
        R_HYPERV_RELAXED,
        R_HYPERV_VAPIC,
        R_HYPERV_SPINLOCKS,
        R_HYPERV_VPINDEX,
        R_HYPERV_SYNIC,
        R_HYPERV_STIMER,
        R_HYPERV_RESET,
        R_HYPERV_FREQUENCIES,
        R_CLOCK_HPET,
        R_CLOCK_HYPERVCLOCK,
        R_CLOCK_RTC_CATCHUP,
        R_CLOCK_PIT_DELAY,
        R_DISK_BUS,
        R_DISK_CACHE,
        R_DISK_IO,
        R_DISK_IOTHREAD,
        R_IOTHREADS_MISSING,
        R_SCSI_QUEUES,
        R_NET_MODEL,
        R_NET_VHOST,
        R_NET_MULTIQUEUE,
        _R_MAX,
};

static const LintRule rules[_R_MAX] = {
    [R_VCPU_UNPINNED] = {"vcpu-unpinned", LINT_WARNING,
                         "every vCPU has a <vcpupin> to one host CPU",
                         "unpinned vCPUs float over all host CPUs and lose their caches on every "
                         "move; pinning is the first step of seed 000 (gaming VM), seed 001 "
                         "(Low-latency KVM) and seed 003 (KVM Performance Optimization: 'two "
                         "times faster memory access than without pinning')",
                         true},
    [R_VCPU_PINNED_TO_SET] = {"vcpu-pinned-to-set", LINT_WARNING,
                              "each <vcpupin> names exactly one host CPU, not a set",
                              "a set still lets the scheduler move the vCPU between its CPUs; "
                              "seeds 000, 001 and 004 (Libvirt and QEMU performance tweaks) pin "
                              "each vCPU to one CPU",
                              true},
    [R_VCPU_ON_HOST_CORE] = {"vcpu-on-host-core", LINT_ERROR,
                             "no vCPU runs on CPU 0's core, which the host keeps",
                             "CPU 0's core runs the host's housekeeping, interrupts and kernel "
                             "threads that cannot move; seed 000 keeps cpus 0-1,6-7 and seed 002 "
                             "(Mitigating CPU Stutter) keeps core 0 (cpus 0,4) for the host",
                             true},
    [R_VCPU_SHARED_CPU] = {"vcpu-shared-cpu", LINT_ERROR,
                           "no two vCPUs are pinned to the same host CPU",
                           "two vCPUs on one CPU take turns, and a guest spinning on a lock the "
                           "other holds stalls; seed 001 pins each vCPU to a CPU of its own",
                           true},
    [R_THREADS_NOT_SIBLINGS] = {"threads-not-siblings", LINT_ERROR,
                                "with threads=2, vCPUs 2k and 2k+1 run on the two threads of one "
                                "host core",
                                "QEMU makes vCPUs 2k and 2k+1 the two threads of guest core k; "
                                "seed 000: 'sibling cores follow each other ... they must be "
                                "pinned to sibling cores on host'",
                                true},
    [R_SIBLINGS_SPLIT] = {"siblings-split", LINT_WARNING,
                          "the threads of one host core serve a single guest core",
                          "the guest schedules two guest cores as independent while they compete "
                          "for one host core's execution units; seed 000: 'if you were to assign "
                          "two virtual cores sharing physical core ... performance would suffer'",
                          true},
    [R_VCPU_SPANS_NODES] = {"vcpu-spans-nodes", LINT_WARNING,
                            "the vCPUs stay on one NUMA node when one node has room for them",
                            "remote memory is expensive (seed 003, NUMA affinity: node distances "
                            "of 16-22 against 10 locally); a VM that fits one node belongs there",
                            true},
    [R_VCPU_SPANS_L3] = {"vcpu-spans-l3", LINT_INFO,
                         "the vCPUs share one L3 cache when one L3 group has room for them",
                         "vCPUs on different L3 groups (CCX/CCD) exchange data through the fabric "
                         "instead of a shared cache; seed 003: pinning 'increases CPU cache hit "
                         "ratio'",
                         true},
    [R_EMULATOR_ON_VCPU] = {"emulator-on-vcpu", LINT_ERROR,
                            "the emulator thread does not run on a vCPU's CPU",
                            "the emulator thread preempts the vCPU it shares a CPU with; seed 000 "
                            "pins it to the host's cores 'so that emulator does not stall VM', "
                            "seed 002 to the VM's idle siblings",
                            true},
    [R_EMULATOR_UNPINNED] = {"emulator-unpinned", LINT_WARNING, "<cputune> has an <emulatorpin>",
                             "without <emulatorpin> the emulator thread runs anywhere, the "
                             "vCPUs' CPUs included (seeds 000, 001 and 002; libvirt docs: "
                             "cputune emulatorpin)",
                             true},
    [R_IOTHREAD_ON_VCPU] = {"iothread-on-vcpu", LINT_WARNING,
                            "I/O threads do not run on a vCPU's CPU",
                            "an I/O thread on a vCPU's CPU preempts it on every disk request; "
                            "seed 001 pins its iothread to the host's cpus 0-1",
                            true},
    [R_IOTHREAD_UNPINNED] = {"iothread-unpinned", LINT_WARNING,
                             "every I/O thread has an <iothreadpin>",
                             "an unpinned I/O thread floats onto the vCPUs' CPUs; seeds 001 and "
                             "004 pin iothreads (libvirt docs: cputune iothreadpin)",
                             true},
    [R_CPU_MODE] = {"cpu-mode", LINT_WARNING, "<cpu mode='host-passthrough'>",
                    "other modes hide host CPU features and cache details from the guest; seeds "
                    "000 and 001 use host-passthrough (libvirt docs: CPU model and topology)",
                    true},
    [R_CPU_TOPOLOGY] = {"cpu-topology", LINT_WARNING,
                        "<cpu><topology> exists and sockets*dies*cores*threads equals <vcpu>",
                        "without a matching topology the guest sees one socket per vCPU, or "
                        "threads that are not the pinned siblings; seeds 000 and 001 set it "
                        "(libvirt docs: the topology must multiply to the vCPU count)",
                        true},
    [R_CPU_CACHE] =
        {"cpu-cache", LINT_INFO,
         "host-passthrough also passes the cache topology (<cache mode='passthrough'/>)",
         "the guest then sees the real cache sizes and which vCPUs share them "
         "(libvirt docs: cpu cache mode='passthrough')",
         true},
    [R_AMD_TOPOEXT] = {"amd-topoext", LINT_WARNING,
                       "AMD hosts with guest threads=2 require the topoext CPU feature",
                       "without topoext an AMD guest cannot see SMT threads and takes every "
                       "thread for a core (libvirt docs: cpu feature; QEMU: topoext is needed for "
                       "threads on AMD CPUs)",
                       true},
    [R_VCPUSCHED_RT] = {"vcpusched-rt", LINT_WARNING,
                        "real-time vCPU scheduling only on isolated CPUs without RT throttling",
                        "seed 002: realtime priority starves the kernel threads of the VM's CPUs "
                        "and turns NO_HZ_FULL off, 'a bad idea'; seed 001: 'a badly configured "
                        "fifo scheduler can get worse performance than ... no tunning at all'; it "
                        "needs isolated CPUs and kernel.sched_rt_runtime_us=-1",
                        false},
    [R_VCPU_OFFLINE] = {"vcpu-offline", LINT_ERROR,
                        "vCPUs are pinned to CPUs that exist and are online",
                        "a vCPU pinned to an offline or absent CPU cannot run there; libvirt "
                        "refuses to start the domain or the pin fails (libvirt docs: vcpupin)",
                        true},
    [R_NO_HUGEPAGES] = {"no-hugepages", LINT_WARNING,
                        "guest memory is backed by hugepages (<memoryBacking><hugepages>)",
                        "hugepages cut TLB misses and are never swapped or merged; seeds 000 and "
                        "001 back the VM with hugepages, seed 003 measures the gain (THP)",
                        true},
    [R_MEMORY_PAGE_MULTIPLE] = {"memory-page-multiple", LINT_ERROR,
                                "guest memory is a whole number of hugepages",
                                "QEMU cannot back a partial hugepage and the domain does not "
                                "start (libvirt docs: memoryBacking hugepages); not fixed, since "
                                "it would change the guest's RAM",
                                false},
    [R_NUMATUNE_MISSING] = {"numatune-missing", LINT_WARNING,
                            "on a multi-node host, <numatune> binds memory to the vCPUs' node",
                            "without it memory comes from wherever it is first touched, often a "
                            "remote node (seed 003, NUMA affinity: 'Remote memory is expensive!')",
                            true},
    [R_NUMATUNE_WRONG_NODE] = {"numatune-wrong-node", LINT_WARNING,
                               "<numatune> names the node(s) of the vCPUs (or the nearest node "
                               "with memory)",
                               "memory on another node than the vCPUs makes every access remote "
                               "(seed 003, NUMA affinity)",
                               true},
    [R_NUMATUNE_MEMORYLESS] = {"numatune-memoryless", LINT_ERROR,
                               "<numatune> names no memoryless or absent node",
                               "a node without memory cannot hold guest memory: strict mode "
                               "fails the start, other modes silently allocate elsewhere "
                               "(libvirt docs: numatune)",
                               true},
    [R_BALLOON_VFIO] = {"balloon-vfio", LINT_WARNING, "no memory balloon with PCI passthrough",
                        "with a VFIO device all guest memory is pinned, so the balloon reclaims "
                        "nothing and only adds a device (seed 003, KSM & virtio_balloon; libvirt "
                        "docs: memballoon model='none')",
                        true},
    [R_BALLOON_HUGEPAGES] = {"balloon-hugepages", LINT_WARNING, "no memory balloon with hugepages",
                             "hugepage memory stays reserved for the guest, so inflating the "
                             "balloon returns nothing to the host (seed 003, KSM & virtio_balloon)",
                             true},
    [R_HYPERV_RELAXED] = {"hyperv-relaxed", LINT_WARNING,
                          "Windows guests: <hyperv><relaxed state='on'/>",
                          "turns off Windows' watchdog timeouts that fire when a vCPU is "
                          "descheduled (seed 000; libvirt docs: hyperv enlightenments)",
                          true},
    [R_HYPERV_VAPIC] = {"hyperv-vapic", LINT_WARNING, "Windows guests: <hyperv><vapic state='on'/>",
                        "the paravirtual APIC saves VM exits on every interrupt (seed 000; "
                        "libvirt docs: hyperv enlightenments)",
                        true},
    [R_HYPERV_SPINLOCKS] = {"hyperv-spinlocks", LINT_WARNING,
                            "Windows guests: <hyperv><spinlocks state='on' retries='>=4096'/>",
                            "Windows spins this often before telling the hypervisor it waits on "
                            "a lock; seed 000 uses retries='8191' (libvirt docs: at least 4095)",
                            true},
    [R_HYPERV_VPINDEX] = {"hyperv-vpindex", LINT_WARNING,
                          "Windows guests: <hyperv><vpindex state='on'/>",
                          "the virtual processor index, needed by synic, paravirtual TLB flushes "
                          "and IPIs (QEMU docs: hv-vpindex)",
                          true},
    [R_HYPERV_SYNIC] = {"hyperv-synic", LINT_WARNING, "Windows guests: <hyperv><synic state='on'/>",
                        "the synthetic interrupt controller that the synthetic timers need (QEMU "
                        "docs: hv-synic, which requires hv-vpindex)",
                        true},
    [R_HYPERV_STIMER] = {"hyperv-stimer", LINT_WARNING,
                         "Windows guests: <hyperv><stimer state='on'/>",
                         "synthetic timers replace the emulated periodic timers and cut Windows' "
                         "idle load and DPC latency (QEMU docs: hv-stimer, which requires "
                         "hv-synic and hv-time)",
                         true},
    [R_HYPERV_RESET] = {"hyperv-reset", LINT_INFO, "Windows guests: <hyperv><reset state='on'/>",
                        "lets Windows reset itself through the hypervisor (QEMU docs: hv-reset)",
                        true},
    [R_HYPERV_FREQUENCIES] = {"hyperv-frequencies", LINT_WARNING,
                              "Windows guests: <hyperv><frequencies state='on'/>",
                              "tells Windows the TSC and APIC frequencies so it does not "
                              "calibrate them with timing loops (QEMU docs: hv-frequencies)",
                              true},
    [R_CLOCK_HPET] = {"clock-hpet", LINT_WARNING,
                      "Windows guests: <clock><timer name='hpet' present='no'/>",
                      "Windows polls the emulated HPET, which is slow to emulate; seed 000 turns "
                      "it off",
                      true},
    [R_CLOCK_HYPERVCLOCK] = {"clock-hypervclock", LINT_WARNING,
                             "Windows guests: <clock><timer name='hypervclock' present='yes'/>",
                             "the Hyper-V reference clock is Windows' cheap paravirtual clock "
                             "source; seed 000 turns it on",
                             true},
    [R_CLOCK_RTC_CATCHUP] = {"clock-rtc-catchup", LINT_WARNING,
                             "Windows guests: <clock><timer name='rtc' tickpolicy='catchup'/>",
                             "missed RTC ticks are delivered faster until the guest has caught "
                             "up, so Windows time does not drift (seed 000)",
                             true},
    [R_CLOCK_PIT_DELAY] = {"clock-pit-delay", LINT_WARNING,
                           "Windows guests: <clock><timer name='pit' tickpolicy='delay'/>",
                           "missed PIT ticks are not replayed in bursts after a vCPU was "
                           "descheduled (seed 000)",
                           true},
    [R_DISK_BUS] = {"disk-bus", LINT_WARNING, "disks are on virtio, not on emulated SATA or IDE",
                    "SATA and IDE controllers are emulated in QEMU's main loop; virtio-blk and "
                    "virtio-scsi are paravirtual (seeds 003 and 004); not fixed: the guest needs "
                    "the virtio drivers (virtio-win on Windows) before the bus changes, or it "
                    "does not boot",
                    false},
    [R_DISK_CACHE] = {"disk-cache", LINT_WARNING, "disks use cache='none' (or directsync)",
                      "bypassing the host page cache avoids double caching and the host's "
                      "writeback stalls (seed 003, VM cache mode; seed 004: 'cache=directsync, "
                      "io=native'); the image must be on a filesystem with O_DIRECT (not tmpfs)",
                      true},
    [R_DISK_IO] = {"disk-io", LINT_INFO,
                   "disks with cache none/directsync use io='native' or io='io_uring'",
                   "native AIO (or io_uring) gives more IOPS than QEMU's thread pool (seed 003, "
                   "Asynchronous I/O; seed 004); it needs O_DIRECT, i.e. cache none/directsync",
                   true},
    [R_DISK_IOTHREAD] = {"disk-iothread", LINT_WARNING,
                         "virtio disks run in an I/O thread (<driver iothread=>)",
                         "without iothread= a disk's I/O runs in QEMU's main loop under the "
                         "global lock; seed 004 saw 10x the IOPS with iothreads, seed 001 uses "
                         "one",
                         true},
    [R_IOTHREADS_MISSING] = {"iothreads-missing", LINT_WARNING,
                             "domains with virtio disks define <iothreads>",
                             "without I/O threads every virtio disk goes through QEMU's main "
                             "loop (seed 004: iothreads 'significantly speeds up guest "
                             "virtio-blk I/O')",
                             true},
    [R_SCSI_QUEUES] = {"scsi-queues", LINT_INFO,
                       "virtio-scsi controllers have one queue per vCPU (<driver queues=>)",
                       "a single queue serializes the I/O of all vCPUs; seed 004 sets <driver "
                       "queues='$vcpu'/>",
                       true},
    [R_NET_MODEL] = {"net-model", LINT_WARNING, "network interfaces use <model type='virtio'/>",
                     "emulated NICs (e1000, rtl8139) exit to QEMU on every register access; "
                     "virtio with vhost-net is paravirtual (seed 003, vhost-net); not fixed: the "
                     "guest needs the virtio-net driver first",
                     false},
    [R_NET_VHOST] = {"net-vhost", LINT_WARNING, "virtio interfaces use the vhost backend",
                     "<driver name='qemu'> moves every packet through the QEMU process, vhost-net "
                     "in the host kernel (seed 003, vhost_net)",
                     true},
    [R_NET_MULTIQUEUE] = {"net-multiqueue", LINT_INFO,
                          "virtio interfaces have one queue pair per vCPU (at most 16)",
                          "one queue pair serializes the network of all vCPUs (seed 003, "
                          "multi-queue NIC; libvirt docs: interface driver queues)",
                          true},
};

/* Rules fixed together by planning the domain as `vmslice apply` does. */
static const bool planner_rule[_R_MAX] = {
    [R_VCPU_UNPINNED] = true,     [R_VCPU_PINNED_TO_SET] = true,   [R_VCPU_ON_HOST_CORE] = true,
    [R_VCPU_SHARED_CPU] = true,   [R_THREADS_NOT_SIBLINGS] = true, [R_SIBLINGS_SPLIT] = true,
    [R_VCPU_SPANS_NODES] = true,  [R_VCPU_SPANS_L3] = true,        [R_EMULATOR_ON_VCPU] = true,
    [R_EMULATOR_UNPINNED] = true, [R_IOTHREAD_ON_VCPU] = true,     [R_IOTHREAD_UNPINNED] = true,
    [R_CPU_MODE] = true,          [R_CPU_TOPOLOGY] = true,         [R_CPU_CACHE] = true,
    [R_AMD_TOPOEXT] = true,       [R_VCPU_OFFLINE] = true,         [R_NO_HUGEPAGES] = true,
    [R_NUMATUNE_MISSING] = true,  [R_NUMATUNE_WRONG_NODE] = true,  [R_NUMATUNE_MEMORYLESS] = true,
    [R_IOTHREADS_MISSING] = true,
};

const char *lint_severity_to_string(LintSeverity s)
{
        switch (s) {
        case LINT_INFO:
                return "note";
        case LINT_WARNING:
                return "warning";
        case LINT_ERROR:
                return "error";
        }
        return "?";
}

const LintRule *lint_rules(size_t *ret_n)
{
        if (ret_n)
                *ret_n = _R_MAX;
        return rules;
}

const LintRule *lint_rule_find(const char *id)
{
        for (size_t i = 0; i < _R_MAX; i++)
                if (streq(rules[i].id, id))
                        return &rules[i];
        return NULL;
}

static unsigned rule_index(const LintRule *r)
{
        return (unsigned) (r - rules);
}

/* ---- small helpers ---- */

static const char *cpus_str(char *buf, hwloc_const_bitmap_t set)
{
        return cpuset_to_list(buf, CPUSET_LIST_MAX, set);
}

static bool prop_uint(xmlNodePtr n, const char *name, unsigned *ret)
{
        _cleanup_(freep) char *v = dom_prop(n, name);
        return v && safe_atou(v, ret) >= 0;
}

static bool is_virtio_disk(xmlNodePtr disk)
{
        xmlNodePtr target = dom_child(disk, "target");
        _cleanup_(freep) char *device = dom_prop(disk, "device");
        return target && dom_prop_is(target, "bus", "virtio") && (!device || streq(device, "disk"));
}

static bool is_pci_hostdev(xmlNodePtr h)
{
        _cleanup_(freep) char *mode = dom_prop(h, "mode");
        return dom_prop_is(h, "type", "pci") && (!mode || streq(mode, "subsystem"));
}

/* "vda" (target dev, cut to a sane length, printable) or "#N". */
static void disk_name(xmlNodePtr disk, unsigned n, char *buf, size_t size)
{
        _cleanup_(freep) char *dev = dom_prop(dom_child(disk, "target"), "dev");
        if (dev)
                snprintf(buf, size, "%.32s", dev);
        else
                snprintf(buf, size, "#%u", n);
}

static void iface_name(xmlNodePtr iface, unsigned n, char *buf, size_t size)
{
        _cleanup_(freep) char *mac = dom_prop(dom_child(iface, "mac"), "address");
        if (mac)
                snprintf(buf, size, "%.32s", mac);
        else
                snprintf(buf, size, "#%u", n);
}

static int nearest_memory_node(const Topology *t, int node)
{
        if (node < 0)
                return -1;
        if (t->nodes[node].mem_total > 0)
                return node;
        int best = -1;
        unsigned bestd = 0;
        for (unsigned i = 0; i < t->n_nodes; i++) {
                if (t->nodes[i].mem_total == 0)
                        continue;
                unsigned d = t->nodes[node].distances && t->nodes[node].distances[i] > 0
                                 ? t->nodes[node].distances[i]
                                 : 20;
                if (best < 0 || d < bestd) {
                        best = (int) i;
                        bestd = d;
                }
        }
        return best;
}

static int node_of_cpu(const Topology *t, unsigned cpu)
{
        int c = topology_core_of_cpu(t, cpu);
        if (c >= 0 && t->cores[c].node >= 0)
                return t->cores[c].node;
        for (unsigned i = 0; i < t->n_nodes; i++)
                if (hwloc_bitmap_isset(t->nodes[i].cpus, cpu))
                        return (int) i;
        return -1;
}

static bool is_windows(xmlNodePtr root)
{
        if (dom_path(root, "features/hyperv"))
                return true;
        xmlNodePtr md = dom_child(root, "metadata");
        if (!md)
                return false;
        /* libosinfo's <libosinfo:os id="http://microsoft.com/win/11"/>, any prefix */
        for (xmlNodePtr a = md->children; a; a = a->next) {
                if (a->type != XML_ELEMENT_NODE || !streq(S(a->name), "libosinfo"))
                        continue;
                for (xmlNodePtr o = a->children; o; o = o->next) {
                        if (o->type != XML_ELEMENT_NODE || !streq(S(o->name), "os"))
                                continue;
                        xmlChar *id = xmlGetNoNsProp(o, (const xmlChar *) "id");
                        bool win = id && strstr(S(id), "microsoft.com/win");
                        xmlFree(id);
                        if (win)
                                return true;
                }
        }
        return false;
}

/* ---- the linter ---- */

typedef struct Lint {
        const Domain *d;
        const LintHost *host;
        const Topology *t;
        xmlNodePtr root, devices, cputune, cpu, vcpu_node;
        unsigned vcpus;
        unsigned threads;    /* guest threads per core, 1 without <topology> */
        hwloc_bitmap_t *pin; /* [vcpus]: CPUs of each vCPU, NULL when unpinned */
        xmlNodePtr *pin_node;
        int *single; /* [vcpus]: the one CPU, -1 when unpinned or a set */
        bool all_pinned, all_single;
        hwloc_bitmap_t vcpu_cpus; /* union of all pins */
        int host_core;            /* index of CPU 0's core, -1 when unknown */
        uint64_t memory;
        bool has_memory;
        xmlNodePtr hugepages;
        uint64_t page_size;
        bool windows, pci_hostdev;
        unsigned iothreads;
        LintFinding *f;
        unsigned n, cap;
        bool oom;
} Lint;

static void lint_done(Lint *l)
{
        for (unsigned v = 0; l->pin && v < l->vcpus; v++)
                hwloc_bitmap_free(l->pin[v]);
        free(l->pin);
        free(l->pin_node);
        free(l->single);
        hwloc_bitmap_free(l->vcpu_cpus);
        for (unsigned i = 0; i < l->n; i++)
                free(l->f[i].message);
        free(l->f);
}

static void add(Lint *l, unsigned rule, xmlNodePtr node, bool fixable, const char *fmt, ...)
    _printf_(5, 6);
static void add(Lint *l, unsigned rule, xmlNodePtr node, bool fixable, const char *fmt, ...)
{
        if (l->oom)
                return;
        if (l->n == l->cap) {
                unsigned cap = l->cap ? l->cap * 2 : 16;
                LintFinding *f = realloc(l->f, cap * sizeof(LintFinding));
                if (!f) {
                        l->oom = true;
                        return;
                }
                l->f = f;
                l->cap = cap;
        }
        char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg) {
                l->oom = true;
                return;
        }
        for (char *p = msg; *p; p++) /* one line, whatever the document held */
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        unsigned line = dom_line(node);
        l->f[l->n++] = (LintFinding){
            .rule = &rules[rule],
            .line = line ? line : dom_line(l->root),
            .message = msg,
            .fixable = fixable && rules[rule].fixable,
        };
}

static int collect_pins(Lint *l)
{
        const Topology *t = l->t;
        l->pin = calloc(l->vcpus, sizeof(hwloc_bitmap_t));
        l->pin_node = calloc(l->vcpus, sizeof(xmlNodePtr));
        l->single = calloc(l->vcpus, sizeof(int));
        l->vcpu_cpus = hwloc_bitmap_alloc();
        if (!l->pin || !l->pin_node || !l->single || !l->vcpu_cpus)
                return -ENOMEM;
        for (xmlNodePtr n = dom_child(l->cputune, "vcpupin"); n; n = dom_next(n)) {
                unsigned v;
                _cleanup_(freep) char *cs = dom_prop(n, "cpuset");
                if (!prop_uint(n, "vcpu", &v) || v >= l->vcpus || l->pin[v])
                        continue;
                hwloc_bitmap_t set = hwloc_bitmap_alloc();
                if (!set)
                        return -ENOMEM;
                if (domain_parse_set(cs, set) < 0) {
                        hwloc_bitmap_free(set);
                        continue;
                }
                l->pin[v] = set;
                l->pin_node[v] = n;
        }
        /* <vcpu cpuset='...'> is the default placement of vCPUs without a <vcpupin> */
        _cleanup_(freep) char *def = dom_prop(l->vcpu_node, "cpuset");
        for (unsigned v = 0; def && v < l->vcpus; v++) {
                if (l->pin[v])
                        continue;
                hwloc_bitmap_t set = hwloc_bitmap_alloc();
                if (!set)
                        return -ENOMEM;
                if (domain_parse_set(def, set) < 0) {
                        hwloc_bitmap_free(set);
                        break;
                }
                l->pin[v] = set;
                l->pin_node[v] = l->vcpu_node;
        }
        l->all_pinned = l->all_single = true;
        for (unsigned v = 0; v < l->vcpus; v++) {
                l->single[v] = -1;
                if (!l->pin[v]) {
                        l->all_pinned = l->all_single = false;
                        continue;
                }
                hwloc_bitmap_or(l->vcpu_cpus, l->vcpu_cpus, l->pin[v]);
                if (hwloc_bitmap_weight(l->pin[v]) == 1)
                        l->single[v] = hwloc_bitmap_first(l->pin[v]);
                else
                        l->all_single = false;
        }
        int c0 = topology_core_of_cpu(t, 0);
        if (c0 < 0) {
                int first = hwloc_bitmap_first(t->online);
                c0 = first >= 0 ? topology_core_of_cpu(t, (unsigned) first) : -1;
        }
        l->host_core = c0;
        return 0;
}

static xmlNodePtr pin_line_node(const Lint *l, unsigned v)
{
        if (l->pin_node[v])
                return l->pin_node[v];
        return l->cputune ? l->cputune : l->vcpu_node;
}

/* Cores the planner could give vCPUs on node (index, -1 any) and L3 group (index, -2 any). */
static unsigned free_cores(const Lint *l, int node, int l3, unsigned threads)
{
        const Topology *t = l->t;
        unsigned n = 0;
        for (unsigned i = 0; i < t->n_cores; i++) {
                const TopoCore *c = &t->cores[i];
                if ((int) i == l->host_core || c->n_cpus < threads)
                        continue;
                if (t->hybrid && c->kind == CORE_KIND_E)
                        continue;
                if ((node >= 0 && c->node != node) || (l3 != -2 && c->l3 != l3))
                        continue;
                n++;
        }
        return n;
}

/* threads the planner uses for this domain when fixing, and the cores it needs */
static unsigned fix_threads(const Lint *l)
{
        return l->t->smt && l->vcpus % 2 == 0 ? 2 : 1;
}

static void check_vcpus(Lint *l)
{
        const Topology *t = l->t;
        char a[CPUSET_LIST_MAX], b[CPUSET_LIST_MAX];

        /* unpinned: one finding for all */
        {
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t un = hwloc_bitmap_alloc();
                if (!un) {
                        l->oom = true;
                        return;
                }
                for (unsigned v = 0; v < l->vcpus; v++)
                        if (!l->pin[v])
                                hwloc_bitmap_set(un, v);
                unsigned k = (unsigned) hwloc_bitmap_weight(un);
                xmlNodePtr at = l->cputune ? l->cputune : l->vcpu_node;
                if (k == 1)
                        add(l, R_VCPU_UNPINNED, at, true,
                            "vCPU %s has no <vcpupin>; it floats over all host CPUs",
                            cpus_str(a, un));
                else if (k == l->vcpus)
                        add(l, R_VCPU_UNPINNED, at, true,
                            "none of the %u vCPUs has a <vcpupin>; they float over all host CPUs",
                            k);
                else if (k > 1)
                        add(l, R_VCPU_UNPINNED, at, true,
                            "%u vCPUs have no <vcpupin> (vCPUs %s); they float over all host CPUs",
                            k, cpus_str(a, un));
        }

        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t bad = hwloc_bitmap_alloc();
        _cleanup_(freep) int *owner = calloc(CPU_NUMBER_MAX + 1, sizeof(int));
        if (!bad || !owner) {
                l->oom = true;
                return;
        }
        for (unsigned i = 0; i <= CPU_NUMBER_MAX; i++)
                owner[i] = -1;
        const TopoCore *hc = l->host_core >= 0 ? &t->cores[l->host_core] : NULL;

        for (unsigned v = 0; v < l->vcpus; v++) {
                hwloc_bitmap_t p = l->pin[v];
                if (!p)
                        continue;
                xmlNodePtr n = pin_line_node(l, v);
                hwloc_bitmap_andnot(bad, p, t->online);
                if (!hwloc_bitmap_iszero(bad)) {
                        bool offline = hwloc_bitmap_intersects(bad, t->offline);
                        add(l, R_VCPU_OFFLINE, n, true, "vCPU %u is pinned to CPU%s %s, %s", v,
                            hwloc_bitmap_weight(p) > 1 ? "s" : "", cpus_str(a, p),
                            offline ? (hwloc_bitmap_isincluded(bad, t->offline)
                                           ? "which is offline"
                                           : "which includes offline or absent CPUs")
                                    : "which this host does not have");
                }
                if (l->single[v] < 0)
                        add(l, R_VCPU_PINNED_TO_SET, n, true,
                            "vCPU %u is pinned to CPUs %s, a set of %d CPUs the scheduler moves "
                            "it between",
                            v, cpus_str(a, p), hwloc_bitmap_weight(p));
                if (hc && hwloc_bitmap_intersects(p, hc->cpus))
                        add(l, R_VCPU_ON_HOST_CORE, n, true,
                            "vCPU %u runs on CPU%s %s, on CPU 0's core (cpus %s), which the "
                            "host keeps",
                            v, hwloc_bitmap_weight(p) > 1 ? "s" : "", cpus_str(a, p),
                            cpus_str(b, hc->cpus));
                int cpu = l->single[v];
                if (cpu >= 0 && cpu <= (int) CPU_NUMBER_MAX) {
                        if (owner[cpu] >= 0)
                                add(l, R_VCPU_SHARED_CPU, n, true,
                                    "vCPU %u shares CPU %d with vCPU %d", v, cpu, owner[cpu]);
                        else
                                owner[cpu] = (int) v;
                }
        }

        /* guest threads 2k, 2k+1 on one host core */
        if (l->threads == 2)
                for (unsigned v = 0; v + 1 < l->vcpus; v += 2) {
                        int c0 = l->single[v], c1 = l->single[v + 1];
                        if (c0 < 0 || c1 < 0 || c0 == c1)
                                continue;
                        int k0 = topology_core_of_cpu(t, (unsigned) c0),
                            k1 = topology_core_of_cpu(t, (unsigned) c1);
                        /* a CPU that is offline or absent is vcpu-offline's finding */
                        if (k0 < 0 || k1 < 0 || k0 == k1)
                                continue;
                        add(l, R_THREADS_NOT_SIBLINGS, pin_line_node(l, v + 1), true,
                            "vCPUs %u and %u (the threads of guest core %u) run on CPUs %d and "
                            "%d, which are not one host core; the siblings of CPU %d are %s",
                            v, v + 1, v / 2, c0, c1, c0, cpus_str(a, t->cores[k0].cpus));
                }

        /* a host core's threads used by different guest cores (without a guest <topology> every
         * vCPU is a socket of its own: that is cpu-topology's finding) */
        if (t->n_cores > 0 && dom_child(l->cpu, "topology")) {
                _cleanup_(freep) int *core_vcpu = calloc(t->n_cores, sizeof(int));
                if (!core_vcpu) {
                        l->oom = true;
                        return;
                }
                for (unsigned i = 0; i < t->n_cores; i++)
                        core_vcpu[i] = -1;
                for (unsigned v = 0; v < l->vcpus; v++) {
                        int cpu = l->single[v];
                        if (cpu < 0)
                                continue;
                        int k = topology_core_of_cpu(t, (unsigned) cpu);
                        if (k < 0 || t->cores[k].n_cpus < 2)
                                continue;
                        int w = core_vcpu[k];
                        if (w < 0) {
                                core_vcpu[k] = (int) v;
                                continue;
                        }
                        if (l->single[w] == cpu || (unsigned) w / l->threads == v / l->threads)
                                continue;
                        add(l, R_SIBLINGS_SPLIT, pin_line_node(l, v), true,
                            "host core %u (cpus %s) runs vCPU %d of guest core %u and vCPU %u of "
                            "guest core %u; its threads should serve one guest core",
                            t->cores[k].core_id, cpus_str(a, t->cores[k].cpus), w,
                            (unsigned) w / l->threads, v, v / l->threads);
                        core_vcpu[k] = (int) v; /* report each further split once */
                }
        }

        /* nodes and L3 groups, for fully pinned domains on online CPUs */
        if (!l->all_single || t->n_nodes == 0 || !hwloc_bitmap_isincluded(l->vcpu_cpus, t->online))
                return;
        _cleanup_(freep) bool *node_used = calloc(t->n_nodes, sizeof(bool));
        _cleanup_(freep) bool *l3_used = calloc(t->n_l3s + 1, sizeof(bool));
        if (!node_used || !l3_used) {
                l->oom = true;
                return;
        }
        unsigned nodes = 0, l3s = 0;
        int the_node = -1;
        for (unsigned v = 0; v < l->vcpus; v++) {
                int k = topology_core_of_cpu(t, (unsigned) l->single[v]);
                if (k < 0)
                        return;
                int nd = t->cores[k].node, l3 = t->cores[k].l3;
                if (nd >= 0 && !node_used[nd]) {
                        node_used[nd] = true;
                        nodes++;
                        the_node = nd;
                }
                if (l3 >= 0 && !l3_used[l3]) {
                        l3_used[l3] = true;
                        l3s++;
                }
        }
        unsigned thr = fix_threads(l), need = (l->vcpus + thr - 1) / thr;

        /* the node of the passed-through devices, as the planner prefers it */
        int pci_node = -1;
        for (xmlNodePtr h = dom_child(l->devices, "hostdev"); h; h = dom_next(h)) {
                xmlNodePtr ad = dom_path(h, "source/address");
                unsigned long dm = 0, bus, slot, fn;
                _cleanup_(freep) char *sd = dom_prop(ad, "domain"), *sb = dom_prop(ad, "bus"),
                                      *ss = dom_prop(ad, "slot"), *sf = dom_prop(ad, "function");
                if (!is_pci_hostdev(h) || !sb || !ss || !sf)
                        continue;
                if (sd)
                        dm = strtoul(sd, NULL, 0);
                bus = strtoul(sb, NULL, 0);
                slot = strtoul(ss, NULL, 0);
                fn = strtoul(sf, NULL, 0);
                char addr[32];
                snprintf(addr, sizeof(addr), "%04lx:%02lx:%02lx.%lx", dm & 0xffff, bus & 0xff,
                         slot & 0x1f, fn & 7);
                const TopoPci *dev = topology_find_pci(t, addr);
                if (dev && dev->numa_node >= 0) {
                        pci_node = topology_node_by_os_index(t, (unsigned) dev->numa_node);
                        break;
                }
        }

        if (nodes > 1) {
                int fit = -1;
                if (pci_node >= 0)
                        fit = free_cores(l, pci_node, -2, thr) >= need ? pci_node : -1;
                else
                        for (unsigned i = 0; i < t->n_nodes; i++)
                                if (free_cores(l, (int) i, -2, thr) >= need &&
                                    (fit < 0 ||
                                     free_cores(l, (int) i, -2, thr) > free_cores(l, fit, -2, thr)))
                                        fit = (int) i;
                if (fit >= 0) {
                        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t ns = hwloc_bitmap_alloc();
                        if (!ns) {
                                l->oom = true;
                                return;
                        }
                        for (unsigned i = 0; i < t->n_nodes; i++)
                                if (node_used[i])
                                        hwloc_bitmap_set(ns, t->nodes[i].os_index);
                        add(l, R_VCPU_SPANS_NODES, l->cputune ? l->cputune : l->vcpu_node, true,
                            "the vCPUs run on NUMA nodes %s, but node %u alone has %u free cores "
                            "for the %u cores of %u threads these %u vCPUs need",
                            cpus_str(a, ns), t->nodes[fit].os_index, free_cores(l, fit, -2, thr),
                            need, thr, l->vcpus);
                }
                return;
        }
        if (l3s > 1 && the_node >= 0) {
                for (unsigned g = 0; g < t->n_l3s; g++) {
                        if (t->l3s[g].node != the_node && t->l3s[g].node != -1)
                                continue;
                        unsigned fc = free_cores(l, the_node, (int) g, thr);
                        if (fc < need)
                                continue;
                        add(l, R_VCPU_SPANS_L3, l->cputune ? l->cputune : l->vcpu_node, true,
                            "the vCPUs run on %u L3 groups, but L3 group %u (cpus %s) alone has %u "
                            "free cores for the %u cores these %u vCPUs need",
                            l3s, g, cpus_str(a, t->l3s[g].cpus), fc, need, l->vcpus);
                        break;
                }
        }
}

static void check_threads_pins(Lint *l)
{
        char a[CPUSET_LIST_MAX], b[CPUSET_LIST_MAX];
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t x = hwloc_bitmap_alloc();
        if (!set || !x) {
                l->oom = true;
                return;
        }

        xmlNodePtr emu = dom_child(l->cputune, "emulatorpin");
        if (!emu)
                add(l, R_EMULATOR_UNPINNED, l->cputune ? l->cputune : l->vcpu_node, true,
                    "no <emulatorpin>: QEMU's emulator thread may run on any CPU, the vCPUs' "
                    "included");
        else {
                _cleanup_(freep) char *cs = dom_prop(emu, "cpuset");
                if (domain_parse_set(cs, set) >= 0) {
                        hwloc_bitmap_and(x, set, l->vcpu_cpus);
                        if (!hwloc_bitmap_iszero(x))
                                add(l, R_EMULATOR_ON_VCPU, emu, true,
                                    "the emulator is pinned to %s, which includes CPUs %s of the "
                                    "vCPUs",
                                    cpus_str(a, set), cpus_str(b, x));
                }
        }

        /* I/O threads: <iothreads>N</iothreads>, ids 1..N, or <iothreadids> */
        xmlNodePtr ion = dom_child(l->root, "iothreads");
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t ids = hwloc_bitmap_alloc();
        if (!ids) {
                l->oom = true;
                return;
        }
        for (xmlNodePtr i = dom_path(l->root, "iothreadids/iothread"); i; i = dom_next(i)) {
                unsigned id;
                if (prop_uint(i, "id", &id) && id <= CPU_NUMBER_MAX)
                        hwloc_bitmap_set(ids, id);
        }
        if (l->iothreads > 0 && hwloc_bitmap_iszero(ids))
                hwloc_bitmap_set_range(ids, 1, (int) MIN(l->iothreads, CPU_NUMBER_MAX));
        for (xmlNodePtr p = dom_child(l->cputune, "iothreadpin"); p; p = dom_next(p)) {
                unsigned id;
                _cleanup_(freep) char *cs = dom_prop(p, "cpuset");
                if (!prop_uint(p, "iothread", &id))
                        continue;
                if (id <= CPU_NUMBER_MAX)
                        hwloc_bitmap_clr(ids, id);
                if (domain_parse_set(cs, set) < 0)
                        continue;
                hwloc_bitmap_and(x, set, l->vcpu_cpus);
                if (!hwloc_bitmap_iszero(x))
                        add(l, R_IOTHREAD_ON_VCPU, p, true,
                            "I/O thread %u is pinned to %s, which includes CPUs %s of the vCPUs",
                            id, cpus_str(a, set), cpus_str(b, x));
        }
        if (!hwloc_bitmap_iszero(ids))
                add(l, R_IOTHREAD_UNPINNED, ion ? ion : l->root, true,
                    "I/O thread%s %s %s no <iothreadpin>", hwloc_bitmap_weight(ids) > 1 ? "s" : "",
                    cpus_str(a, ids), hwloc_bitmap_weight(ids) > 1 ? "have" : "has");
}

static void check_cpu(Lint *l)
{
        const Topology *t = l->t;
        xmlNodePtr cpu = l->cpu;
        _cleanup_(freep) char *mode = dom_prop(cpu, "mode");
        _cleanup_(freep) char *type = dom_prop(l->root, "type");
        /* TCG (type='qemu'): host-passthrough does not start; "maximum" is its equivalent */
        bool tcg = type && streq(type, "qemu");
        const char *want = tcg ? "maximum" : "host-passthrough";
        bool passthrough = mode && streq(mode, want);
        xmlNodePtr at = cpu ? cpu : l->vcpu_node;

        if (!cpu)
                add(l, R_CPU_MODE, at, true,
                    "no <cpu>: the guest gets QEMU's default CPU model; use "
                    "<cpu mode='%s'>",
                    want);
        else if (!passthrough)
                add(l, R_CPU_MODE, cpu, true, "<cpu mode='%.32s'> %s; use mode='%s'",
                    mode ? mode : "custom",
                    tcg && mode && streq(mode, "host-passthrough")
                        ? "does not start a TCG (type='qemu') domain"
                        : "hides host CPU features",
                    want);

        xmlNodePtr topo = dom_child(cpu, "topology");
        if (!topo && l->vcpus > 1) /* one vCPU is one socket of one core either way */
                add(l, R_CPU_TOPOLOGY, at, true,
                    "no <cpu><topology>: the guest sees %u sockets of one core each, not the "
                    "pinned cores and threads",
                    l->vcpus);
        else if (topo) {
                unsigned s = 1, d = 1, c = 1, th = 1;
                (void) prop_uint(topo, "sockets", &s);
                (void) prop_uint(topo, "dies", &d);
                (void) prop_uint(topo, "cores", &c);
                (void) prop_uint(topo, "threads", &th);
                uint64_t prod = 0;
                bool over = __builtin_mul_overflow((uint64_t) s, (uint64_t) d, &prod) ||
                            __builtin_mul_overflow(prod, (uint64_t) c, &prod) ||
                            __builtin_mul_overflow(prod, (uint64_t) th, &prod);
                if (over)
                        add(l, R_CPU_TOPOLOGY, topo, true,
                            "topology sockets=%u dies=%u cores=%u threads=%u is absurd for %u "
                            "vCPUs",
                            s, d, c, th, l->vcpus);
                else if (prod != l->vcpus)
                        add(l, R_CPU_TOPOLOGY, topo, true,
                            "topology sockets=%u dies=%u cores=%u threads=%u makes %" PRIu64
                            " vCPUs, but <vcpu> is %u",
                            s, d, c, th, prod, l->vcpus);
        }

        if (passthrough) {
                xmlNodePtr cache = dom_child(cpu, "cache");
                if (!cache || !dom_prop_is(cache, "mode", "passthrough"))
                        add(l, R_CPU_CACHE, cache ? cache : cpu, true,
                            "host-passthrough without <cache mode='passthrough'/>: the guest "
                            "does not see the host's cache topology");
        }

        if (t->vendor && (streq(t->vendor, "AuthenticAMD") || streq(t->vendor, "HygonGenuine")) &&
            l->threads == 2) {
                xmlNodePtr f;
                for (f = dom_child(cpu, "feature"); f; f = dom_next(f))
                        if (dom_prop_is(f, "name", "topoext"))
                                break;
                if (!f || !dom_prop_is(f, "policy", "require")) {
                        _cleanup_(freep) char *pol = dom_prop(f, "policy");
                        if (f)
                                add(l, R_AMD_TOPOEXT, f, true,
                                    "%s host with threads=2, but topoext has policy='%.16s'; "
                                    "use policy='require' so the guest sees the SMT threads",
                                    t->vendor, pol ? pol : "require");
                        else
                                add(l, R_AMD_TOPOEXT, at, true,
                                    "%s host with threads=2, but no <feature policy='require' "
                                    "name='topoext'/>: the guest sees no SMT threads",
                                    t->vendor);
                }
        }
}

static void check_vcpusched(Lint *l)
{
        const Topology *t = l->t;
        const LintHost *h = l->host;
        char a[CPUSET_LIST_MAX];
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t vs = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t notiso = hwloc_bitmap_alloc();
        if (!vs || !cpus || !notiso) {
                l->oom = true;
                return;
        }
        for (xmlNodePtr s = dom_child(l->cputune, "vcpusched"); s; s = dom_next(s)) {
                _cleanup_(freep) char *sched = dom_prop(s, "scheduler");
                _cleanup_(freep) char *which = dom_prop(s, "vcpus");
                if (!sched || (!streq(sched, "fifo") && !streq(sched, "rr")))
                        continue;
                if (!which || domain_parse_set(which, vs) < 0) {
                        hwloc_bitmap_zero(vs);
                        hwloc_bitmap_set_range(vs, 0, (int) l->vcpus - 1);
                }
                hwloc_bitmap_zero(cpus);
                bool unpinned = false;
                for (unsigned v = 0; v < l->vcpus; v++) {
                        if (!hwloc_bitmap_isset(vs, v))
                                continue;
                        if (!l->pin[v])
                                unpinned = true;
                        else
                                hwloc_bitmap_or(cpus, cpus, l->pin[v]);
                }
                hwloc_bitmap_andnot(notiso, cpus, t->isolated);
                SBuf why = {0};
                if (unpinned)
                        sbuf_append(&why, "some of its vCPUs are not pinned to isolated CPUs");
                else if (!hwloc_bitmap_iszero(notiso))
                        sbuf_appendf(&why, "CPUs %s are not isolated (isolcpus=, nohz_full=)",
                                     cpus_str(a, notiso));
                if (h->rt_known && h->rt_runtime_us != -1)
                        sbuf_appendf(&why,
                                     "%skernel.sched_rt_runtime_us is %ld, so RT throttling "
                                     "stops the vCPUs every period",
                                     why.len ? "; " : "", h->rt_runtime_us);
                if (why.len == 0) {
                        sbuf_done(&why);
                        continue;
                }
                _cleanup_(freep) char *w = sbuf_steal(&why);
                if (!w) {
                        l->oom = true;
                        return;
                }
                add(l, R_VCPUSCHED_RT, s, false,
                    "vCPUs %s use the real-time scheduler '%s', but %s; real-time vCPUs starve "
                    "the kernel threads of their CPUs (seed 002)",
                    cpus_str(a, vs), sched, w);
        }
}

static void check_memory(Lint *l)
{
        const Topology *t = l->t;
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX], c[CPUSET_LIST_MAX], d[CPUSET_LIST_MAX];
        xmlNodePtr mem = dom_child(l->root, "memory");

        if (l->has_memory && !l->hugepages)
                add(l, R_NO_HUGEPAGES, mem, l->memory % PAGE_2M == 0,
                    "guest memory %s is not backed by hugepages%s",
                    format_bytes(a, sizeof(a), l->memory),
                    l->memory % PAGE_2M == 0 ? "" : " (and is not a multiple of 2 MiB)");
        if (l->has_memory && l->hugepages) {
                for (xmlNodePtr p = dom_child(l->hugepages, "page"); p; p = dom_next(p)) {
                        uint64_t ps;
                        _cleanup_(freep) char *size = dom_prop(p, "size");
                        if (!size || dom_parse_memory(p, size, &ps) < 0 || ps == 0 ||
                            l->memory % ps == 0)
                                continue;
                        add(l, R_MEMORY_PAGE_MULTIPLE, mem, false,
                            "guest memory %s is not a multiple of the %s hugepage size; use %s "
                            "or %s",
                            format_bytes(a, sizeof(a), l->memory), format_bytes(b, sizeof(b), ps),
                            format_bytes(c, sizeof(c),
                                         (l->memory / ps * ps) != 0 ? l->memory / ps * ps : ps),
                            format_bytes(d, sizeof(d), (l->memory / ps + 1) * ps));
                        break;
                }
                if (!dom_child(l->hugepages, "page") && l->memory % PAGE_2M != 0)
                        add(l, R_MEMORY_PAGE_MULTIPLE, mem, false,
                            "guest memory %s is not a multiple of the default 2 MiB hugepage "
                            "size",
                            format_bytes(a, sizeof(a), l->memory));
        }

        /* NUMA */
        xmlNodePtr nt = dom_child(l->root, "numatune");
        xmlNodePtr ntm = dom_child(nt, "memory");
        if (t->n_nodes > 1 && !nt)
                add(l, R_NUMATUNE_MISSING, mem ? mem : l->vcpu_node, true,
                    "the host has %u NUMA nodes and the domain no <numatune>: its memory may "
                    "come from a remote node",
                    t->n_nodes);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t ns = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t want = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t badn = hwloc_bitmap_alloc();
        if (!ns || !want || !badn) {
                l->oom = true;
                return;
        }
        /* every nodeset of <numatune> must name nodes that have memory */
        for (xmlNodePtr x = nt ? nt->children : NULL; x; x = x->next) {
                if (x->type != XML_ELEMENT_NODE ||
                    (!streq(S(x->name), "memory") && !streq(S(x->name), "memnode")))
                        continue;
                _cleanup_(freep) char *set = dom_prop(x, "nodeset");
                if (!set || domain_parse_set(set, ns) < 0)
                        continue;
                hwloc_bitmap_zero(badn);
                int i;
                hwloc_bitmap_foreach_begin (i, ns) {
                        int n = topology_node_by_os_index(t, (unsigned) i);
                        if (n >= 0 && t->nodes[n].mem_total == 0)
                                hwloc_bitmap_set(badn, (unsigned) i);
                }
                hwloc_bitmap_foreach_end();
                if (!hwloc_bitmap_iszero(badn))
                        add(l, R_NUMATUNE_MEMORYLESS, x, true,
                            "<numatune> nodeset %s names node%s %s, which %s no memory",
                            cpus_str(c, ns), hwloc_bitmap_weight(badn) > 1 ? "s" : "",
                            cpus_str(d, badn), hwloc_bitmap_weight(badn) > 1 ? "have" : "has");
        }
        if (!ntm)
                return;
        _cleanup_(freep) char *set = dom_prop(ntm, "nodeset");
        if (!set || domain_parse_set(set, ns) < 0)
                return;
        /* nodes this host does not have */
        hwloc_bitmap_zero(badn);
        int i;
        hwloc_bitmap_foreach_begin (i, ns) {
                if (topology_node_by_os_index(t, (unsigned) i) < 0)
                        hwloc_bitmap_set(badn, (unsigned) i);
        }
        hwloc_bitmap_foreach_end();
        if (!hwloc_bitmap_iszero(badn)) {
                add(l, R_NUMATUNE_WRONG_NODE, ntm, true,
                    "<numatune> puts memory on node%s %s, but this host has no node %s",
                    hwloc_bitmap_weight(ns) > 1 ? "s" : "", cpus_str(c, ns), cpus_str(d, badn));
                return;
        }
        /* the nodeset should be the vCPUs' nodes (or their nearest nodes with memory) */
        if (!l->all_pinned || hwloc_bitmap_iszero(l->vcpu_cpus))
                return;
        hwloc_bitmap_foreach_begin (i, l->vcpu_cpus) {
                int m = nearest_memory_node(t, node_of_cpu(t, (unsigned) i));
                if (m < 0)
                        return; /* offline or absent CPUs: vcpu-offline */
                hwloc_bitmap_set(want, t->nodes[m].os_index);
        }
        hwloc_bitmap_foreach_end();
        if (!hwloc_bitmap_isequal(want, ns))
                add(l, R_NUMATUNE_WRONG_NODE, ntm, true,
                    "<numatune> puts memory on node%s %s, but the vCPUs' memory belongs on "
                    "node%s %s",
                    hwloc_bitmap_weight(ns) > 1 ? "s" : "", cpus_str(c, ns),
                    hwloc_bitmap_weight(want) > 1 ? "s" : "", cpus_str(d, want));
}

static void check_balloon(Lint *l)
{
        xmlNodePtr b = dom_child(l->devices, "memballoon");
        _cleanup_(freep) char *model = dom_prop(b, "model");
        if (b && model && streq(model, "none"))
                return;
        if (!l->devices)
                return;
        xmlNodePtr at = b ? b : l->devices;
        char what[128];
        if (b)
                snprintf(what, sizeof(what), "<memballoon model='%.16s'>", model ? model : "?");
        else
                snprintf(what, sizeof(what),
                         "no <memballoon model='none'/>, so libvirt adds a "
                         "virtio balloon,");
        if (l->pci_hostdev)
                add(l, R_BALLOON_VFIO, at, true,
                    "%s with a passed-through PCI device: VFIO pins all guest memory, the "
                    "balloon cannot reclaim any",
                    what);
        else if (l->hugepages) /* with a VFIO device that is the reason, not the pages */
                add(l, R_BALLOON_HUGEPAGES, at, true,
                    "%s with hugepage-backed memory: inflating it returns nothing to the host",
                    what);
}

static const struct {
        unsigned rule;
        const char *name;
} hyperv_features[] = {
    {R_HYPERV_RELAXED, "relaxed"},     {R_HYPERV_VAPIC, "vapic"},
    {R_HYPERV_SPINLOCKS, "spinlocks"}, {R_HYPERV_VPINDEX, "vpindex"},
    {R_HYPERV_SYNIC, "synic"},         {R_HYPERV_STIMER, "stimer"},
    {R_HYPERV_RESET, "reset"},         {R_HYPERV_FREQUENCIES, "frequencies"},
};

static xmlNodePtr find_timer(xmlNodePtr clock, const char *name)
{
        for (xmlNodePtr t = dom_child(clock, "timer"); t; t = dom_next(t))
                if (dom_prop_is(t, "name", name))
                        return t;
        return NULL;
}

static void check_windows(Lint *l)
{
        if (!l->windows)
                return;
        xmlNodePtr features = dom_child(l->root, "features");
        xmlNodePtr hv = dom_child(features, "hyperv");
        if (!dom_prop_is(hv, "mode", "passthrough"))
                for (size_t i = 0; i < ELEMENTSOF(hyperv_features); i++) {
                        const char *name = hyperv_features[i].name;
                        xmlNodePtr e = dom_child(hv, name);
                        bool on = e && dom_prop_is(e, "state", "on");
                        xmlNodePtr at = e ? e : hv ? hv : features ? features : l->root;
                        if (on && hyperv_features[i].rule == R_HYPERV_SPINLOCKS) {
                                unsigned retries = 0;
                                if (prop_uint(e, "retries", &retries) && retries >= 4096)
                                        continue;
                                add(l, R_HYPERV_SPINLOCKS, e, true,
                                    "Windows guest with <spinlocks retries='%u'>; use at least "
                                    "4096 (8191 in seed 000)",
                                    retries);
                                continue;
                        }
                        if (on)
                                continue;
                        add(l, hyperv_features[i].rule, at, true,
                            e ? "Windows guest with the Hyper-V enlightenment %s turned off"
                              : "Windows guest without the Hyper-V enlightenment "
                                "<hyperv><%s state='on'/>",
                            name);
                }

        xmlNodePtr clock = dom_child(l->root, "clock");
        xmlNodePtr at = clock ? clock : l->root;
        xmlNodePtr hpet = find_timer(clock, "hpet");
        if (!hpet || !dom_prop_is(hpet, "present", "no"))
                add(l, R_CLOCK_HPET, hpet ? hpet : at, true,
                    "Windows guest with the emulated HPET timer present; use <timer name='hpet' "
                    "present='no'/>");
        xmlNodePtr hvc = find_timer(clock, "hypervclock");
        if (!hvc || !dom_prop_is(hvc, "present", "yes"))
                add(l, R_CLOCK_HYPERVCLOCK, hvc ? hvc : at, true,
                    "Windows guest without the Hyper-V clock; use <timer name='hypervclock' "
                    "present='yes'/>");
        xmlNodePtr rtc = find_timer(clock, "rtc");
        if (!dom_prop_is(rtc, "present", "no") && !dom_prop_is(rtc, "tickpolicy", "catchup"))
                add(l, R_CLOCK_RTC_CATCHUP, rtc ? rtc : at, true,
                    "Windows guest whose RTC timer has no tickpolicy='catchup'");
        xmlNodePtr pit = find_timer(clock, "pit");
        if (!dom_prop_is(pit, "present", "no") && !dom_prop_is(pit, "tickpolicy", "delay"))
                add(l, R_CLOCK_PIT_DELAY, pit ? pit : at, true,
                    "Windows guest whose PIT timer has no tickpolicy='delay'");
}

static bool disk_is_rw_disk(xmlNodePtr disk)
{
        _cleanup_(freep) char *device = dom_prop(disk, "device");
        _cleanup_(freep) char *type = dom_prop(disk, "type");
        if (device && !streq(device, "disk"))
                return false;
        if (type && (streq(type, "vhostuser") || streq(type, "nvme")))
                return false;
        return !dom_child(disk, "readonly");
}

static bool disk_local(xmlNodePtr disk)
{
        _cleanup_(freep) char *type = dom_prop(disk, "type");
        return !type || streq(type, "file") || streq(type, "block") || streq(type, "volume");
}

static bool cache_direct(const char *cache)
{
        return cache && (streq(cache, "none") || streq(cache, "directsync"));
}

static bool io_fast(const char *io)
{
        return io && (streq(io, "native") || streq(io, "io_uring"));
}

static void check_disks(Lint *l)
{
        char name[48];
        unsigned i = 0;
        SBuf virtio = {0};
        unsigned n_virtio = 0;
        xmlNodePtr first_virtio = NULL;

        for (xmlNodePtr disk = dom_child(l->devices, "disk"); disk; disk = dom_next(disk), i++) {
                disk_name(disk, i, name, sizeof(name));
                xmlNodePtr target = dom_child(disk, "target");
                xmlNodePtr drv = dom_child(disk, "driver");
                _cleanup_(freep) char *bus = dom_prop(target, "bus");
                _cleanup_(freep) char *device = dom_prop(disk, "device");
                bool is_disk = !device || streq(device, "disk");

                if (is_disk && bus && (streq(bus, "sata") || streq(bus, "ide")))
                        add(l, R_DISK_BUS, target, false,
                            "disk %s is on the emulated %s bus; move it to virtio (bus='virtio' or "
                            "virtio-scsi) after installing the guest's virtio drivers",
                            name, bus);
                if (disk_is_rw_disk(disk)) {
                        _cleanup_(freep) char *cache = dom_prop(drv, "cache");
                        _cleanup_(freep) char *io = dom_prop(drv, "io");
                        if (!cache_direct(cache) && cache)
                                add(l, R_DISK_CACHE, drv, true,
                                    "disk %s uses cache='%.16s', the host page cache; use "
                                    "cache='none'",
                                    name, cache);
                        else if (!cache)
                                add(l, R_DISK_CACHE, drv ? drv : disk, true,
                                    "disk %s has no cache= (the default is writeback, the host "
                                    "page cache); use cache='none'",
                                    name);
                        if (cache_direct(cache) && disk_local(disk) && !io_fast(io)) {
                                if (io)
                                        add(l, R_DISK_IO, drv, true,
                                            "disk %s uses io='%.16s'; use io='native' with "
                                            "cache='%s'",
                                            name, io, cache);
                                else
                                        add(l, R_DISK_IO, drv, true,
                                            "disk %s has no io= (QEMU's thread pool); use "
                                            "io='native' with cache='%s'",
                                            name, cache);
                        }
                }
                if (is_virtio_disk(disk)) {
                        if (!first_virtio)
                                first_virtio = disk;
                        sbuf_appendf(&virtio, "%s%s", n_virtio ? ", " : "", name);
                        n_virtio++;
                        _cleanup_(freep) char *io = dom_prop(drv, "iothread");
                        if (l->iothreads > 0 && !io)
                                add(l, R_DISK_IOTHREAD, drv ? drv : disk, true,
                                    "virtio disk %s has no iothread=; its I/O runs in QEMU's main "
                                    "loop although the domain has %u I/O thread%s",
                                    name, l->iothreads, l->iothreads > 1 ? "s" : "");
                }
        }
        _cleanup_(freep) char *vlist = sbuf_steal(&virtio);
        if (n_virtio > 0 && l->iothreads == 0)
                add(l, R_IOTHREADS_MISSING, first_virtio, true,
                    "virtio disk%s %s but no <iothreads>: disk I/O runs in QEMU's main loop",
                    n_virtio > 1 ? "s" : "", vlist ? vlist : "");

        unsigned k = 0;
        for (xmlNodePtr c = dom_child(l->devices, "controller"); c; c = dom_next(c), k++) {
                if (!dom_prop_is(c, "type", "scsi") || !dom_prop_is(c, "model", "virtio-scsi") ||
                    l->vcpus < 2)
                        continue;
                xmlNodePtr drv = dom_child(c, "driver");
                unsigned q;
                if (prop_uint(drv, "queues", &q))
                        continue;
                _cleanup_(freep) char *idx = dom_prop(c, "index");
                add(l, R_SCSI_QUEUES, drv ? drv : c, true,
                    "virtio-scsi controller %.16s has one queue for %u vCPUs; use <driver "
                    "queues='%u'/>",
                    idx ? idx : "0", l->vcpus, l->vcpus);
        }
}

static bool net_tap_type(xmlNodePtr iface)
{
        _cleanup_(freep) char *type = dom_prop(iface, "type");
        return type && (streq(type, "network") || streq(type, "bridge") || streq(type, "direct") ||
                        streq(type, "ethernet"));
}

static bool model_virtio(const char *model)
{
        return model && (streq(model, "virtio") || streq(model, "virtio-transitional") ||
                         streq(model, "virtio-non-transitional"));
}

static void check_net(Lint *l)
{
        char name[48];
        unsigned i = 0;
        unsigned want = MIN(l->vcpus, NET_QUEUES_MAX);
        for (xmlNodePtr n = dom_child(l->devices, "interface"); n; n = dom_next(n), i++) {
                _cleanup_(freep) char *type = dom_prop(n, "type");
                if (type && (streq(type, "hostdev") || streq(type, "vdpa")))
                        continue;
                iface_name(n, i, name, sizeof(name));
                xmlNodePtr m = dom_child(n, "model");
                _cleanup_(freep) char *model = dom_prop(m, "type");
                if (!model_virtio(model)) {
                        if (model)
                                add(l, R_NET_MODEL, m, false,
                                    "interface %s uses the emulated model '%.24s'; use <model "
                                    "type='virtio'/> once the guest has the virtio-net driver",
                                    name, model);
                        else
                                add(l, R_NET_MODEL, n, false,
                                    "interface %s has no <model> (QEMU's default emulated NIC); "
                                    "use <model type='virtio'/> once the guest has the "
                                    "virtio-net driver",
                                    name);
                        continue;
                }
                if (!net_tap_type(n))
                        continue;
                xmlNodePtr drv = dom_child(n, "driver");
                if (dom_prop_is(drv, "name", "qemu"))
                        add(l, R_NET_VHOST, drv, true,
                            "interface %s uses <driver name='qemu'>, the userspace backend; use "
                            "vhost",
                            name);
                unsigned q = 0;
                if (want > 1 && (!prop_uint(drv, "queues", &q) || q != want))
                        add(l, R_NET_MULTIQUEUE, drv ? drv : n, true,
                            "interface %s has %u queue pair%s for %u vCPUs; use <driver "
                            "queues='%u'/>",
                            name, q ? q : 1, q > 1 ? "s" : "", l->vcpus, want);
        }
}

/* ---- planning a domain, shared by lint (can it be fixed?) and fix ---- */

typedef struct DomainPlan {
        PlanRequest req;       /* what was planned */
        PlanRequest apply_req; /* what domain_apply_plan gets (keeps odd hugepages) */
        char **pci;
        Plan *plan;
        char **notes;
} DomainPlan;

static void domain_plan_done(DomainPlan *dp)
{
        strv_free(dp->pci);
        plan_free(dp->plan);
        strv_free(dp->notes);
        *dp = (DomainPlan){0};
}

static int plan_domain(const Domain *d, const LintHost *host, bool add_hugepages, DomainPlan *ret,
                       Error *err)
{
        const Topology *t = host->topology;
        DomainPlan dp = {0};
        ApplyOptions opts = {.req = {.host_cores = 1, .exclude = host->exclude}};
        int r;

        /* a domain vmslice manages keeps the choices its apply made (host cores, emulator...) */
        r = domain_recorded_request(d, &opts.req, &opts.iothreads_set);
        if (r < 0)
                return error_fail(err, r, "out of memory");

        r = domain_plan_request(d, &opts, &dp.req, &dp.pci, err);
        if (r < 0)
                return r;
        /* devices this host does not have (a domain from another machine): plan without them */
        char **keep = NULL;
        for (char **a = dp.pci; a && *a; a++) {
                char norm[16];
                if (pci_addr_normalize(*a, norm) >= 0 && topology_find_pci(t, norm)) {
                        if (strv_extend(&keep, *a) < 0) {
                                strv_free(keep);
                                domain_plan_done(&dp);
                                return error_fail(err, -ENOMEM, "out of memory");
                        }
                } else {
                        _cleanup_(freep) char *note = strdup_printf(
                            "PCI device %s of the domain is not on this host; placed without "
                            "its NUMA locality",
                            *a);
                        if (!note || strv_push(&dp.notes, TAKE_PTR(note)) < 0) {
                                strv_free(keep);
                                domain_plan_done(&dp);
                                return error_fail(err, -ENOMEM, "out of memory");
                        }
                }
        }
        strv_free(dp.pci);
        dp.pci = keep;
        dp.req.pci = dp.pci;

        /* hugepages: keep the domain's page size, add 2 MiB pages where missing */
        xmlNodePtr hp = dom_path(d->root, "memoryBacking/hugepages");
        uint64_t mem = dp.req.memory, ps = 0;
        HugepageChoice hc = HUGEPAGES_NONE, apply_hc = HUGEPAGES_NONE;
        if (hp) {
                xmlNodePtr page = dom_child(hp, "page");
                _cleanup_(freep) char *size = dom_prop(page, "size");
                if (!size || dom_parse_memory(page, size, &ps) < 0)
                        ps = PAGE_2M;
                if (ps == GIB && mem % GIB == 0)
                        hc = apply_hc = HUGEPAGES_1G;
                else if (ps == PAGE_2M && mem % PAGE_2M == 0)
                        hc = apply_hc = HUGEPAGES_2M;
                else
                        apply_hc = HUGEPAGES_DEFAULT; /* leave the domain's hugepages alone */
        } else if (add_hugepages && mem % PAGE_2M == 0)
                hc = apply_hc = HUGEPAGES_2M;
        dp.req.hugepages = hc;
        /* an odd vCPU count cannot be whole cores of two threads */
        if (t->smt && dp.req.vcpus % 2 != 0)
                dp.req.threads = 1;

        r = plan_compute(t, &dp.req, &dp.plan, err);
        if (r < 0) {
                domain_plan_done(&dp);
                return r;
        }
        dp.apply_req = dp.req;
        dp.apply_req.hugepages = apply_hc;
        *ret = dp;
        return 0;
}

/* ---- lint ---- */

static int cmp_finding(const void *a, const void *b)
{
        const LintFinding *x = a, *y = b;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        unsigned rx = rule_index(x->rule), ry = rule_index(y->rule);
        if (rx != ry)
                return rx < ry ? -1 : 1;
        return strcmp(x->message, y->message);
}

int lint_domain(const Domain *d, const LintHost *host, LintResult *ret, Error *err)
{
        Lint l = {.d = d, .host = host, .t = host->topology, .root = d->root};
        char **notes = NULL;
        int r;

        l.devices = dom_child(l.root, "devices");
        l.cputune = dom_child(l.root, "cputune");
        l.cpu = dom_child(l.root, "cpu");
        l.vcpu_node = dom_child(l.root, "vcpu");
        l.vcpus = 1;
        _cleanup_(freep) char *vt = dom_text(l.vcpu_node);
        if (vt && (safe_atou(vt, &l.vcpus) < 0 || l.vcpus == 0))
                l.vcpus = 1;
        l.threads = 1;
        (void) prop_uint(dom_child(l.cpu, "topology"), "threads", &l.threads);
        if (l.threads == 0)
                l.threads = 1;
        xmlNodePtr mem = dom_child(l.root, "memory");
        l.has_memory = mem && dom_parse_memory(mem, NULL, &l.memory) >= 0 && l.memory > 0;
        l.hugepages = dom_path(l.root, "memoryBacking/hugepages");
        l.windows = is_windows(l.root);
        for (xmlNodePtr h = dom_child(l.devices, "hostdev"); h; h = dom_next(h))
                l.pci_hostdev |= is_pci_hostdev(h);
        _cleanup_(freep) char *iot = dom_text(dom_child(l.root, "iothreads"));
        if (!iot || safe_atou(iot, &l.iothreads) < 0)
                l.iothreads = 0;

        r = collect_pins(&l);
        if (r < 0) {
                lint_done(&l);
                return error_fail(err, r, "out of memory");
        }
        check_vcpus(&l);
        check_threads_pins(&l);
        check_cpu(&l);
        check_vcpusched(&l);
        check_memory(&l);
        check_balloon(&l);
        check_windows(&l);
        check_disks(&l);
        check_net(&l);
        if (l.oom) {
                lint_done(&l);
                return error_fail(err, -ENOMEM, "out of memory");
        }

        /* can --fix place this domain here? */
        bool planner = false, add_hp = false;
        for (unsigned i = 0; i < l.n; i++) {
                unsigned ri = rule_index(l.f[i].rule);
                planner |= planner_rule[ri] && l.f[i].fixable;
                add_hp |= ri == R_NO_HUGEPAGES && l.f[i].fixable;
        }
        if (planner) {
                DomainPlan dp = {0};
                Error perr = {0};
                if (plan_domain(d, host, add_hp, &dp, &perr) < 0) {
                        if (!perr.input) {
                                lint_done(&l);
                                if (err)
                                        *err = perr;
                                return perr.code;
                        }
                        for (unsigned i = 0; i < l.n; i++)
                                if (planner_rule[rule_index(l.f[i].rule)])
                                        l.f[i].fixable = false;
                        char *note = strdup_printf("the vCPU, NUMA and memory placement cannot "
                                                   "be fixed on this host: %s",
                                                   perr.msg);
                        if (!note || strv_push(&notes, note) < 0) {
                                lint_done(&l);
                                return error_fail(err, -ENOMEM, "out of memory");
                        }
                } else
                        domain_plan_done(&dp);
        }

        if (l.n > 1)
                qsort(l.f, l.n, sizeof(LintFinding), cmp_finding);
        *ret = (LintResult){.findings = l.f, .n = l.n, .notes = notes};
        l.f = NULL;
        l.n = 0;
        lint_done(&l);
        return 0;
}

void lint_result_done(LintResult *r)
{
        if (!r)
                return;
        for (unsigned i = 0; i < r->n; i++)
                free(r->findings[i].message);
        free(r->findings);
        strv_free(r->notes);
        *r = (LintResult){0};
}

int lint_worst(const LintResult *r)
{
        int w = -1;
        for (unsigned i = 0; i < r->n; i++)
                if ((int) r->findings[i].rule->severity > w)
                        w = (int) r->findings[i].rule->severity;
        return w;
}

/* ---- fix ---- */

typedef struct SchedCopy {
        char *vcpus, *scheduler, *priority;
} SchedCopy;

static int fix_placement(Domain *d, const LintHost *host, bool add_hp, char ***notes, Error *err)
{
        DomainPlan dp = {0};
        Error perr = {0};
        int r = plan_domain(d, host, add_hp, &dp, &perr);
        if (r < 0) {
                if (!perr.input) {
                        if (err)
                                *err = perr;
                        return perr.code;
                }
                char *note = strdup_printf("the vCPU, NUMA and memory placement was not fixed: %s",
                                           perr.msg);
                if (!note || strv_push(notes, note) < 0)
                        return error_fail(err, -ENOMEM, "out of memory");
                return 0;
        }
        for (char **n = dp.notes; n && *n; n++)
                if (strv_extend(notes, *n) < 0) {
                        domain_plan_done(&dp);
                        return error_fail(err, -ENOMEM, "out of memory");
                }

        /* the domain's own real-time scheduling survives the merge (apply drops <vcpusched>) */
        SchedCopy sc[64];
        unsigned n_sc = 0;
        xmlNodePtr tune = dom_child(d->root, "cputune");
        for (xmlNodePtr s = dom_child(tune, "vcpusched"); s && n_sc < ELEMENTSOF(sc);
             s = dom_next(s))
                sc[n_sc++] = (SchedCopy){dom_prop(s, "vcpus"), dom_prop(s, "scheduler"),
                                         dom_prop(s, "priority")};

        r = domain_apply_plan(d, dp.plan, &dp.apply_req, err);
        tune = dom_child(d->root, "cputune");
        for (unsigned i = 0; i < n_sc; i++) {
                if (r >= 0 && tune && sc[i].scheduler) {
                        xmlNodePtr s = dom_append(tune, "vcpusched");
                        if (!s)
                                r = error_fail(err, -ENOMEM, "out of memory");
                        else {
                                if (sc[i].vcpus)
                                        (void) dom_set_prop(s, "vcpus", sc[i].vcpus);
                                (void) dom_set_prop(s, "scheduler", sc[i].scheduler);
                                if (sc[i].priority)
                                        (void) dom_set_prop(s, "priority", sc[i].priority);
                        }
                }
                free(sc[i].vcpus);
                free(sc[i].scheduler);
                free(sc[i].priority);
        }
        domain_plan_done(&dp);
        return r < 0 ? r : 0;
}

static int set_state_on(xmlNodePtr e)
{
        return e ? dom_set_prop(e, "state", "on") : -ENOMEM;
}

static xmlNodePtr ensure_timer(xmlNodePtr clock, const char *name)
{
        xmlNodePtr t = find_timer(clock, name);
        if (t)
                return t;
        t = dom_append(clock, "timer");
        if (t && dom_set_prop(t, "name", name) < 0)
                return NULL;
        return t;
}

static int fix_windows(Domain *d, const bool *want)
{
        xmlNodePtr root = d->root;
        int r = 0;
        bool any_hv = false;
        for (size_t i = 0; i < ELEMENTSOF(hyperv_features); i++)
                any_hv |= want[hyperv_features[i].rule];
        if (any_hv) {
                xmlNodePtr features = dom_ensure(root, "features");
                xmlNodePtr hv = features ? dom_ensure(features, "hyperv") : NULL;
                if (!hv)
                        return -ENOMEM;
                if (!dom_prop_is(hv, "mode", "custom"))
                        r |= dom_set_prop(hv, "mode", "custom");
                for (size_t i = 0; i < ELEMENTSOF(hyperv_features); i++) {
                        if (!want[hyperv_features[i].rule])
                                continue;
                        xmlNodePtr e = dom_ensure(hv, hyperv_features[i].name);
                        r |= set_state_on(e);
                        unsigned retries;
                        if (e && hyperv_features[i].rule == R_HYPERV_SPINLOCKS &&
                            (!prop_uint(e, "retries", &retries) || retries < 4096))
                                r |= dom_set_prop(e, "retries", "8191");
                }
        }
        bool any_clock = want[R_CLOCK_HPET] || want[R_CLOCK_HYPERVCLOCK] ||
                         want[R_CLOCK_RTC_CATCHUP] || want[R_CLOCK_PIT_DELAY];
        if (any_clock) {
                xmlNodePtr clock = dom_child(root, "clock");
                if (!clock) {
                        clock = dom_append(root, "clock");
                        /* Windows keeps the RTC in local time */
                        if (!clock || dom_set_prop(clock, "offset", "localtime") < 0)
                                return -ENOMEM;
                }
                xmlNodePtr t;
                if (want[R_CLOCK_RTC_CATCHUP]) {
                        t = ensure_timer(clock, "rtc");
                        r |= t ? dom_set_prop(t, "tickpolicy", "catchup") : -ENOMEM;
                }
                if (want[R_CLOCK_PIT_DELAY]) {
                        t = ensure_timer(clock, "pit");
                        r |= t ? dom_set_prop(t, "tickpolicy", "delay") : -ENOMEM;
                }
                if (want[R_CLOCK_HPET]) {
                        t = ensure_timer(clock, "hpet");
                        if (t)
                                dom_unset_prop(t, "tickpolicy");
                        r |= t ? dom_set_prop(t, "present", "no") : -ENOMEM;
                }
                if (want[R_CLOCK_HYPERVCLOCK]) {
                        t = ensure_timer(clock, "hypervclock");
                        r |= t ? dom_set_prop(t, "present", "yes") : -ENOMEM;
                }
        }
        return r ? -ENOMEM : 0;
}

static int fix_devices(Domain *d, const bool *want, unsigned vcpus)
{
        xmlNodePtr root = d->root;
        xmlNodePtr devices = dom_child(root, "devices");
        int r = 0;
        unsigned iothreads = 0;
        _cleanup_(freep) char *iot = dom_text(dom_child(root, "iothreads"));
        if (!iot || safe_atou(iot, &iothreads) < 0)
                iothreads = 0;

        unsigned next_io = 0;
        for (xmlNodePtr disk = dom_child(devices, "disk"); disk; disk = dom_next(disk)) {
                xmlNodePtr drv = dom_child(disk, "driver");
                _cleanup_(freep) char *cache = dom_prop(drv, "cache");
                _cleanup_(freep) char *io = dom_prop(drv, "io");
                bool rw = disk_is_rw_disk(disk);
                bool fix_cache = want[R_DISK_CACHE] && rw && !cache_direct(cache);
                bool fix_io = rw && disk_local(disk) && !io_fast(io) &&
                              (fix_cache || (want[R_DISK_IO] && cache_direct(cache)));
                _cleanup_(freep) char *has_io = dom_prop(drv, "iothread");
                bool fix_iothread =
                    want[R_DISK_IOTHREAD] && iothreads > 0 && is_virtio_disk(disk) && !has_io;
                if (!fix_cache && !fix_io && !fix_iothread)
                        continue;
                if (!drv) {
                        drv = dom_append(disk, "driver");
                        if (!drv)
                                return -ENOMEM;
                        r |= dom_set_prop(drv, "name", "qemu");
                }
                if (fix_cache)
                        r |= dom_set_prop(drv, "cache", "none");
                if (fix_io)
                        r |= dom_set_prop(drv, "io", "native");
                if (fix_iothread)
                        r |= dom_set_propf(drv, "iothread", "%u", next_io++ % iothreads + 1);
        }

        if (want[R_SCSI_QUEUES] && vcpus > 1)
                for (xmlNodePtr c = dom_child(devices, "controller"); c; c = dom_next(c)) {
                        unsigned q;
                        if (!dom_prop_is(c, "type", "scsi") ||
                            !dom_prop_is(c, "model", "virtio-scsi") ||
                            prop_uint(dom_child(c, "driver"), "queues", &q))
                                continue;
                        xmlNodePtr drv = dom_ensure(c, "driver");
                        r |= drv ? dom_set_propf(drv, "queues", "%u", vcpus) : -ENOMEM;
                }

        unsigned want_q = MIN(vcpus, NET_QUEUES_MAX);
        for (xmlNodePtr n = dom_child(devices, "interface"); n; n = dom_next(n)) {
                _cleanup_(freep) char *model = dom_prop(dom_child(n, "model"), "type");
                if (!model_virtio(model) || !net_tap_type(n))
                        continue;
                xmlNodePtr drv = dom_child(n, "driver");
                if (want[R_NET_VHOST] && dom_prop_is(drv, "name", "qemu"))
                        r |= dom_set_prop(drv, "name", "vhost");
                unsigned q = 0;
                if (want[R_NET_MULTIQUEUE] && want_q > 1 &&
                    (!prop_uint(drv, "queues", &q) || q != want_q)) {
                        if (!drv && !(drv = dom_append(n, "driver")))
                                return -ENOMEM;
                        r |= dom_set_propf(drv, "queues", "%u", want_q);
                }
        }

        if ((want[R_BALLOON_VFIO] || want[R_BALLOON_HUGEPAGES]) && devices) {
                xmlNodePtr b = dom_child(devices, "memballoon");
                if (!b && !(b = dom_append(devices, "memballoon")))
                        return -ENOMEM;
                r |= dom_set_prop(b, "model", "none");
                /* a balloon that is not there has no address, statistics or options */
                static const char *const attrs[] = {"autodeflate", "freePageReporting"};
                for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
                        dom_unset_prop(b, attrs[i]);
                /* (dom_remove also frees whitespace around the node: look again each time) */
                for (;;) {
                        xmlNodePtr c = b->children;
                        while (c && c->type != XML_ELEMENT_NODE)
                                c = c->next;
                        if (!c)
                                break;
                        dom_remove(c);
                }
                for (xmlNodePtr c; (c = b->children) && c->type == XML_TEXT_NODE && !c->next;) {
                        xmlUnlinkNode(c); /* a lone whitespace text left behind */
                        xmlFreeNode(c);
                }
        }
        return r ? -ENOMEM : 0;
}

int lint_fix_full(Domain *d, const LintHost *host, const LintResult *found, char ***ret_fixed,
                  char ***ret_notes, Error *err)
{
        bool want[_R_MAX] = {0};
        bool planner = false;
        _cleanup_(strv_freep) char **notes = NULL;
        _cleanup_(strv_freep) char **fixed = NULL;
        int r;

        for (unsigned i = 0; i < found->n; i++) {
                if (!found->findings[i].fixable)
                        continue;
                unsigned ri = rule_index(found->findings[i].rule);
                want[ri] = true;
                planner |= planner_rule[ri];
        }
        /* libvirt's and QEMU's dependencies: stimer needs synic and vpindex (and hv-time, the
         * hypervclock timer), synic needs vpindex */
        if (want[R_HYPERV_STIMER])
                want[R_HYPERV_SYNIC] = want[R_CLOCK_HYPERVCLOCK] = true;
        if (want[R_HYPERV_SYNIC])
                want[R_HYPERV_VPINDEX] = true;

        /* what the domain had before (the caller may ask for a part of it only) */
        bool before[_R_MAX] = {0};
        LintResult base = {0};
        r = lint_domain(d, host, &base, err);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < base.n; i++)
                before[rule_index(base.findings[i].rule)] = true;
        lint_result_done(&base);

        if (planner) {
                r = fix_placement(d, host, want[R_NO_HUGEPAGES], &notes, err);
                if (r < 0)
                        return r;
        }
        _cleanup_(freep) char *vt = dom_text(dom_child(d->root, "vcpu"));
        unsigned vcpus = 1;
        if (vt && (safe_atou(vt, &vcpus) < 0 || vcpus == 0))
                vcpus = 1;
        r = fix_windows(d, want);
        if (r >= 0)
                r = fix_devices(d, want, vcpus);
        if (r < 0)
                return error_fail(err, r, "cannot update %s: %s", d->source, strerror(-r));

        /* a fix can make another rule true (hugepages added to a domain with a balloon): one
         * more round for the findings that are new and not placement */
        LintResult after = {0};
        r = lint_domain(d, host, &after, err);
        if (r < 0)
                return r;
        bool again[_R_MAX] = {0}, any = false;
        for (unsigned i = 0; i < after.n; i++) {
                unsigned ri = rule_index(after.findings[i].rule);
                if (after.findings[i].fixable && !before[ri] && !planner_rule[ri])
                        again[ri] = want[ri] = any = true;
        }
        if (any) {
                for (unsigned ri = 0; ri < _R_MAX; ri++)
                        if (again[ri]) {
                                char *note = strdup_printf(
                                    "the other fixes made %s true; fixed it too", rules[ri].id);
                                if (!note || strv_push(&notes, note) < 0) {
                                        lint_result_done(&after);
                                        return error_fail(err, -ENOMEM, "out of memory");
                                }
                        }
                lint_result_done(&after);
                r = fix_windows(d, again);
                if (r >= 0)
                        r = fix_devices(d, again, vcpus);
                if (r < 0)
                        return error_fail(err, r, "cannot update %s: %s", d->source, strerror(-r));
                r = lint_domain(d, host, &after, err);
                if (r < 0)
                        return r;
        }

        /* what is fixed is what a new lint no longer finds */
        for (unsigned ri = 0; ri < _R_MAX; ri++) {
                if (!want[ri])
                        continue;
                bool still = false;
                for (unsigned i = 0; i < after.n; i++)
                        still |= rule_index(after.findings[i].rule) == ri;
                if ((before[ri] || again[ri]) && !still && strv_extend(&fixed, rules[ri].id) < 0) {
                        lint_result_done(&after);
                        return error_fail(err, -ENOMEM, "out of memory");
                }
        }
        lint_result_done(&after);
        if (!fixed && !(fixed = calloc(1, sizeof(char *))))
                return error_fail(err, -ENOMEM, "out of memory");
        *ret_fixed = TAKE_PTR(fixed);
        if (ret_notes)
                *ret_notes = TAKE_PTR(notes);
        return 0;
}

int lint_fix(Domain *d, const LintHost *host, const LintResult *found, char ***ret_fixed,
             Error *err)
{
        return lint_fix_full(d, host, found, ret_fixed, NULL, err);
}
