/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "error.h"
#include "macro.h"
#include "topology.h"

/* What one VM needs from the host while it runs: the CPUs to isolate and the hugepages to reserve
 * on each NUMA node. Computed from the domain XML libvirt hands to its hook (prepare begin) and
 * the host's topology, and kept in the state directory as a small text (slice_spec_format()) so
 * that release and restore know what was taken without the domain.
 *
 * CPUs: the union of the <vcpupin> cpusets (libvirt's syntax, "0-3,^2,8"; every CPU must be online
 * on this host), plus, when the domain carries vmslice's metadata, the VM's whole cores and its
 * dedicated emulator CPUs recorded there (metadata CPUs this host does not have online are left
 * out: the metadata may be older than the host's current state). A <vcpu cpuset=> (all vCPUs
 * on a set of CPUs) is not a pin: such a VM's CPUs are not isolated unless its metadata names them.
 *
 * Hugepages, only when the domain has <memoryBacking><hugepages>, as libvirt backs the memory:
 *   - the memory is the <memory> of the domain, or each guest NUMA cell's memory when it has
 *     <cpu><numa><cell>; without cells the whole memory is one cell that only a <page> without
 *     nodeset applies to;
 *   - the page size of a cell is that of the first <page> whose nodeset lists the cell, else
 *     that of the <page> without nodeset, else the cell is not backed by hugepages; <hugepages/>
 *     without <page> means the default hugepage size, 2 MiB. A page of SLICE_BASE_PAGE_SIZE is
 *     libvirt's way of saying "no hugepages" for those cells. Sizes: size and unit (default
 *     KiB), a power of two, at least SLICE_BASE_PAGE_SIZE;
 *   - the host nodes of a cell: the nodeset of its <numatune><memnode cellid=>, else of
 *     <numatune><memory nodeset=>, else the nodes of the CPUs the vCPUs are pinned to (a CPU of a
 *     memoryless node counts as the nearest node with memory), else, with no pins, the first node
 *     with memory. Every node named by <numatune> must exist and have memory (input error);
 *   - the pages of a cell are memory / page size rounded up (a partial page still takes a page),
 *     split evenly over its host nodes in ascending order, the remainder on the first.
 * The entries are merged per (node, page size) and sorted by node, then page size. */

/* The base page size: a <page> of this size is no hugepage. */
#define SLICE_BASE_PAGE_SIZE 4096ULL
/* The page size of <hugepages/> without <page>: the host's default hugepage size. */
#define SLICE_DEFAULT_PAGE_SIZE (2ULL << 20)
/* The largest node number vmslice accepts (the kernel's MAX_NUMNODES is at most 1024). */
#define SLICE_NODE_MAX 1023U
/* The most guest memory a spec may describe: the domain reader's limit for <memory>. */
#define SLICE_MEMORY_MAX (64ULL << 40)

typedef struct SliceHugepages {
        unsigned node;      /* os index of the host node */
        uint64_t page_size; /* bytes */
        uint64_t count;     /* pages, > 0 */
} SliceHugepages;

typedef struct SliceSpec {
        char *name;                /* domain name (already validated by the domain reader) */
        hwloc_bitmap_t cpus;       /* CPUs to isolate: the union of all <vcpupin> cpusets, plus the
                                      emulator CPUs when vmslice's metadata says they are dedicated
                                      (ManagedInfo.emulator_cpus), plus the VM's whole cores from the
                                      metadata (ManagedInfo.cpus) when present */
        hwloc_bitmap_t vcpu_cpus;  /* union of vcpupin cpusets only */
        bool pinned;               /* every vCPU has a vcpupin */
        SliceHugepages *hugepages; /* what the VM's memory needs, sorted by node, then page size */
        unsigned n_hugepages;
        bool managed; /* vmslice metadata present */
} SliceSpec;

/* The spec of a domain on a host. Bad or inconsistent domain content (a malformed cpuset or
 * nodeset, a vCPU pinned to a CPU the host does not have online, a page size that is 0 or not a
 * power of two, memory that overflows, a <numatune> node the host does not have or that has no
 * memory, a <memnode> or page nodeset naming a guest cell the domain does not have) is an input
 * error with one line naming the element and the value. */
int slice_spec_from_domain(const Domain *d, const Topology *t, SliceSpec **ret, Error *err);
SliceSpec *slice_spec_free(SliceSpec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(SliceSpec *, slice_spec_free)

/* The spec as text for the state directory, one "key\tvalue" per line, every line ending in '\n':
 *
 *   name\t<name>
 *   cpus\t<kernel CPU list, empty when none>
 *   vcpus\t<kernel CPU list>
 *   pinned\t<0|1>
 *   managed\t<0|1>
 *   hugepages\t<node>\t<page size in bytes>\t<count>     (zero or more, sorted)
 *
 * Returns 0, -ENOMEM, or -EINVAL for a spec without a name. */
int slice_spec_format(const SliceSpec *s, char **ret);

/* Parses what slice_spec_format() wrote, strictly: each of name, cpus, vcpus, pinned and managed
 * exactly once, hugepages lines with a node up to SLICE_NODE_MAX, a page size that is a power of
 * two of at least SLICE_BASE_PAGE_SIZE and a count above 0, no (node, page size) twice, vcpus
 * within cpus, a name domain_name_check() accepts, every line ending in '\n' (a truncated file is
 * refused). Unknown keys, bad numbers and anything else are -EINVAL (an input error naming the
 * line); -ENOMEM. */
int slice_spec_parse(const char *text, SliceSpec **ret, Error *err);
