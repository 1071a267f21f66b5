/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "host.h"

/* What vmslice knows of a host's topology: the CPU structure from hwloc (which reads the kernel's
 * sibling, cache, package, die and node files), and from sysfs/procfs directly what hwloc does not
 * model: offline and isolated CPUs, per-node free memory and hugepages, PCI devices that matter. */

typedef enum CoreKind {
        CORE_KIND_UNIFORM = 0, /* not a hybrid part */
        CORE_KIND_P,           /* performance core of a hybrid part */
        CORE_KIND_E,           /* efficiency core of a hybrid part */
} CoreKind;

const char *core_kind_to_string(CoreKind k);

typedef struct TopoCore {
        unsigned index;   /* position in Topology.cores (ordered by first CPU) */
        unsigned package; /* index in Topology.packages */
        unsigned die;     /* index in Topology.dies */
        int node;         /* index in Topology.nodes, -1 if unknown */
        int l3;           /* index in Topology.l3s, -1 if the core has no L3 */
        unsigned core_id; /* the kernel's topology/core_id */
        CoreKind kind;
        hwloc_bitmap_t cpus; /* online sibling CPUs (the kernel's thread_siblings_list) */
        unsigned n_cpus;
        unsigned first_cpu; /* lowest online CPU of the core */
} TopoCore;

typedef struct TopoL3 {
        unsigned index;
        unsigned os_index; /* cache id from sysfs (hwloc os_index), UINT_MAX when unknown */
        uint64_t size;     /* bytes */
        int node;          /* node index of its CPUs, -1 when they span nodes */
        hwloc_bitmap_t cpus;
        unsigned n_cores;
} TopoL3;

typedef struct TopoHugepages {
        uint64_t page_size; /* bytes */
        uint64_t total, free, surplus;
} TopoHugepages;

#define TOPO_HUGEPAGE_SIZES_MAX 4

typedef struct TopoNode {
        unsigned index;
        unsigned os_index;   /* the N of nodeN */
        hwloc_bitmap_t cpus; /* online CPUs of the node (empty for CPU-less nodes) */
        uint64_t mem_total;  /* bytes, 0 for a memoryless node */
        uint64_t mem_free;
        unsigned n_hugepages;
        TopoHugepages hugepages[TOPO_HUGEPAGE_SIZES_MAX];
        unsigned *distances; /* distance to node j (by index); NULL when unknown */
} TopoNode;

typedef struct TopoGroup { /* a package or a die */
        unsigned index;
        unsigned os_index;
        hwloc_bitmap_t cpus;
} TopoGroup;

typedef enum PciKind {
        PCI_KIND_OTHER = 0,
        PCI_KIND_GPU,
        PCI_KIND_AUDIO,
        PCI_KIND_NIC,
        PCI_KIND_NVME,
        PCI_KIND_USB,
        _PCI_KIND_MAX,
} PciKind;

const char *pci_kind_to_string(PciKind k);

typedef struct TopoPci {
        char addr[16];       /* "0000:01:00.0" */
        uint32_t class_code; /* 24-bit class */
        uint16_t vendor, device;
        PciKind kind;
        int numa_node; /* os index from sysfs, -1 = no locality */
        char *driver;  /* bound driver name or NULL */
        hwloc_bitmap_t local_cpus;
} TopoPci;

typedef struct Topology {
        char *vendor; /* vendor_id from /proc/cpuinfo, e.g. "AuthenticAMD" */
        char *model_name;
        bool smt;    /* some core has more than one online thread */
        bool hybrid; /* two or more core kinds */

        hwloc_bitmap_t online, offline, possible;
        hwloc_bitmap_t isolated;       /* union of the three below */
        hwloc_bitmap_t isolcpus;       /* isolcpus= (domain flag) on the kernel command line */
        hwloc_bitmap_t nohz_full;      /* /sys/devices/system/cpu/nohz_full or cmdline */
        hwloc_bitmap_t isolated_sysfs; /* /sys/devices/system/cpu/isolated */

        TopoGroup *packages;
        unsigned n_packages;
        TopoGroup *dies;
        unsigned n_dies;
        TopoNode *nodes;
        unsigned n_nodes;
        TopoL3 *l3s;
        unsigned n_l3s;
        TopoCore *cores;
        unsigned n_cores;
        TopoPci *pci;
        unsigned n_pci;

        unsigned *cpu_to_core; /* CPU number -> core index, UINT_MAX if offline/absent */
        unsigned n_cpu_to_core;
} Topology;

/* Reads the topology of a host. */
int topology_load(Host *h, Topology **ret, Error *err);

/* Builds a topology from an hwloc topology that is already loaded, without a host (no PCI,
 * isolation or hugepage data); used for synthetic topologies in tests and benchmarks. */
int topology_from_hwloc(hwloc_topology_t t, Topology **ret, Error *err);

Topology *topology_free(Topology *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Topology *, topology_free)

/* Index of the core holding cpu, or -1. */
int topology_core_of_cpu(const Topology *t, unsigned cpu);
/* Index of a node by its os index, or -1. */
int topology_node_by_os_index(const Topology *t, unsigned os_index);
const TopoPci *topology_find_pci(const Topology *t, const char *addr);
/* Normalizes "01:00.0" or "0000:01:00.0" into "0000:01:00.0"; -EINVAL when malformed. */
int pci_addr_normalize(const char *in, char out[static 16]);
