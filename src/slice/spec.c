/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

/* The most hugepage entries a spec holds (one per node and page size). */
#define SPEC_HUGEPAGES_MAX 4096U
/* The longest spec text slice_spec_parse() reads. */
#define SPEC_TEXT_MAX (1024U * 1024)

SliceSpec *slice_spec_free(SliceSpec *s)
{
        if (!s)
                return NULL;
        free(s->name);
        hwloc_bitmap_free(s->cpus);
        hwloc_bitmap_free(s->vcpu_cpus);
        free(s->hugepages);
        free(s);
        return NULL;
}

static SliceSpec *spec_new(void)
{
        SliceSpec *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->cpus = hwloc_bitmap_alloc();
        s->vcpu_cpus = hwloc_bitmap_alloc();
        if (!s->cpus || !s->vcpu_cpus)
                return slice_spec_free(s);
        return s;
}

static int hugepages_cmp(const void *a, const void *b)
{
        const SliceHugepages *x = a, *y = b;
        if (x->node != y->node)
                return x->node < y->node ? -1 : 1;
        if (x->page_size != y->page_size)
                return x->page_size < y->page_size ? -1 : 1;
        return 0;
}

static SliceHugepages *hugepages_find(SliceSpec *s, unsigned node, uint64_t page_size)
{
        for (unsigned i = 0; i < s->n_hugepages; i++)
                if (s->hugepages[i].node == node && s->hugepages[i].page_size == page_size)
                        return &s->hugepages[i];
        return NULL;
}

/* Appends an entry (the caller has checked that (node, page_size) is new). */
static int hugepages_append(SliceSpec *s, unsigned node, uint64_t page_size, uint64_t count)
{
        if (s->n_hugepages >= SPEC_HUGEPAGES_MAX)
                return -E2BIG;
        SliceHugepages *n = realloc(s->hugepages, (s->n_hugepages + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->hugepages = n;
        n[s->n_hugepages++] =
            (SliceHugepages){.node = node, .page_size = page_size, .count = count};
        return 0;
}

static bool is_pow2(uint64_t v)
{
        return v != 0 && (v & (v - 1)) == 0;
}

/* ---- reading the domain ---- */

/* libvirt's set syntax for cpuset and nodeset: comma-separated numbers and ranges "a-b", "^n"
 * takes n out again, applied in order; spaces around the parts are allowed. Numbers up to max;
 * the result must not be empty. */
static int parse_set(const char *s, unsigned max, hwloc_bitmap_t ret)
{
        _cleanup_(freep) char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        hwloc_bitmap_zero(ret);
        for (char *p = copy;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = 0;
                char *tok = strstrip(p);
                bool neg = *tok == '^';
                if (neg)
                        tok = strstrip(tok + 1);
                unsigned a, b;
                char *dash = strchr(tok, '-');
                if (dash) {
                        *dash = 0;
                        if (neg || safe_atou(strstrip(tok), &a) < 0 ||
                            safe_atou(strstrip(dash + 1), &b) < 0 || a > b)
                                return -EINVAL;
                } else {
                        if (safe_atou(tok, &a) < 0)
                                return -EINVAL;
                        b = a;
                }
                if (b > max)
                        return -ERANGE;
                if (neg)
                        hwloc_bitmap_clr(ret, a);
                else if (hwloc_bitmap_set_range(ret, a, (int) b) < 0)
                        return -ENOMEM;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return hwloc_bitmap_iszero(ret) ? -EINVAL : 0;
}

typedef struct Cell {
        unsigned id;
        uint64_t memory;
        uint64_t page_size;   /* 0: not backed by hugepages */
        hwloc_bitmap_t nodes; /* host nodes (os indexes) of its <memnode>, NULL when none */
} Cell;

typedef struct Page {
        uint64_t size;
        hwloc_bitmap_t cells; /* guest cells of its nodeset, NULL for the page without nodeset */
} Page;

typedef struct Ctx {
        const Domain *d;
        const Topology *t;
        Error *err;
        const char *src;
        SliceSpec *s;
        Cell *cells;
        unsigned n_cells;
        bool implicit_cell; /* no <cpu><numa>: the whole memory as one cell */
        Page *pages;
        unsigned n_pages;
        hwloc_bitmap_t all_nodes, mem_nodes; /* os indexes, for checks and messages */
} Ctx;

static void ctx_done(Ctx *c)
{
        for (unsigned i = 0; i < c->n_cells; i++)
                hwloc_bitmap_free(c->cells[i].nodes);
        free(c->cells);
        for (unsigned i = 0; i < c->n_pages; i++)
                hwloc_bitmap_free(c->pages[i].cells);
        free(c->pages);
        hwloc_bitmap_free(c->all_nodes);
        hwloc_bitmap_free(c->mem_nodes);
}

static const char *set_str(char *buf, size_t size, hwloc_const_bitmap_t set)
{
        if (hwloc_bitmap_iszero(set))
                return "none";
        return cpuset_to_list(buf, size, set);
}

/* The cpuset of a pin element (<vcpupin>, <emulatorpin>, <iothreadpin>) into set: a list of
 * CPUs this host has online. what names the element in messages ("vcpupin vcpu='3'"). */
static int read_pin_set(Ctx *c, xmlNodePtr n, const char *what, hwloc_bitmap_t set)
{
        char a[CPUSET_LIST_MAX];
        _cleanup_(freep) char *cs = dom_prop(n, "cpuset");
        if (!cs)
                return error_input(c->err,
                                   "%s:%u: <%s> has no cpuset; give the host CPUs, cpuset='2'",
                                   c->src, dom_line(n), what);
        int r = parse_set(cs, CPU_NUMBER_MAX, set);
        if (r == -ENOMEM)
                return error_fail(c->err, r, "out of memory");
        if (r < 0)
                return error_input(c->err,
                                   "%s:%u: <%s cpuset='%.64s'> is not a CPU list (up to CPU %u); "
                                   "write it like 2-5,8-11",
                                   c->src, dom_line(n), what, cs, CPU_NUMBER_MAX);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t off = hwloc_bitmap_alloc();
        if (!off)
                return error_fail(c->err, -ENOMEM, "out of memory");
        hwloc_bitmap_andnot(off, set, c->t->online);
        if (!hwloc_bitmap_iszero(off))
                return error_input(c->err,
                                   "%s:%u: <%s> names CPU %d, which is not online on this host "
                                   "(online: %s); fix the cpuset or bring the CPU online",
                                   c->src, dom_line(n), what, hwloc_bitmap_first(off),
                                   set_str(a, sizeof(a), c->t->online));
        return 0;
}

static int read_pins(Ctx *c)
{
        SliceSpec *s = c->s;

        unsigned vcpus = 1; /* libvirt's default when <vcpu> is absent */
        _cleanup_(freep) char *vt = dom_text(dom_child(c->d->root, "vcpu"));
        if (vt && safe_atou(vt, &vcpus) < 0)
                return error_input(c->err, "%s: <vcpu> '%s' is not a number of vCPUs", c->src, vt);

        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t seen = hwloc_bitmap_alloc();
        if (!set || !seen)
                return error_fail(c->err, -ENOMEM, "out of memory");

        xmlNodePtr tune = dom_child(c->d->root, "cputune");
        char what[64];
        int r;
        for (xmlNodePtr n = dom_child(tune, "vcpupin"); n; n = dom_next(n)) {
                _cleanup_(freep) char *id = dom_prop(n, "vcpu");
                unsigned v;
                if (!id || safe_atou(id, &v) < 0)
                        return error_input(c->err,
                                           "%s:%u: <vcpupin> has no valid vcpu attribute; give "
                                           "the vCPU number, vcpu='0'",
                                           c->src, dom_line(n));
                if (v >= vcpus)
                        return error_input(c->err,
                                           "%s:%u: <vcpupin vcpu='%u'> names a vCPU the domain "
                                           "does not have (<vcpu> %u: vCPUs 0 to %u); fix the "
                                           "vcpu attribute",
                                           c->src, dom_line(n), v, vcpus, vcpus - 1);
                if (hwloc_bitmap_isset(seen, v))
                        return error_input(c->err,
                                           "%s:%u: vCPU %u has a second <vcpupin>; keep one per "
                                           "vCPU",
                                           c->src, dom_line(n), v);
                snprintf(what, sizeof(what), "vcpupin vcpu='%u'", v);
                r = read_pin_set(c, n, what, set);
                if (r < 0)
                        return r;
                hwloc_bitmap_or(s->vcpu_cpus, s->vcpu_cpus, set);
                hwloc_bitmap_set(seen, v);
        }
        /* not part of the slice, but a domain that pins them where the host has no CPU is wrong */
        xmlNodePtr e = dom_child(tune, "emulatorpin");
        if (e && (r = read_pin_set(c, e, "emulatorpin", set)) < 0)
                return r;
        for (xmlNodePtr n = dom_child(tune, "iothreadpin"); n; n = dom_next(n)) {
                _cleanup_(freep) char *id = dom_prop(n, "iothread");
                snprintf(what, sizeof(what), "iothreadpin iothread='%.16s'", id ? id : "");
                r = read_pin_set(c, n, what, set);
                if (r < 0)
                        return r;
        }
        s->pinned = vcpus > 0 && hwloc_bitmap_weight(seen) == (int) vcpus;
        hwloc_bitmap_or(s->cpus, s->cpus, s->vcpu_cpus);

        ManagedInfo m = {0};
        r = domain_managed_info(c->d, &m);
        if (r < 0)
                return error_fail(c->err, r, "out of memory");
        s->managed = m.managed;
        if (m.managed) {
                /* recorded when the domain was planned: keep what is still online */
                hwloc_bitmap_and(m.cpus, m.cpus, c->t->online);
                hwloc_bitmap_and(m.emulator_cpus, m.emulator_cpus, c->t->online);
                hwloc_bitmap_or(s->cpus, s->cpus, m.cpus);
                hwloc_bitmap_or(s->cpus, s->cpus, m.emulator_cpus);
        }
        managed_info_done(&m);
        return 0;
}

static int read_memory(Ctx *c, xmlNodePtr node, const char *value, const char *what, uint64_t *ret)
{
        int r = dom_parse_memory(node, value, ret);
        if (r == -ERANGE || (r >= 0 && *ret > SLICE_MEMORY_MAX))
                return error_input(c->err, "%s:%u: %s is absurd (more than 64 TiB)", c->src,
                                   dom_line(node), what);
        if (r < 0)
                return error_input(c->err,
                                   "%s:%u: %s is not a size; give a number and a unit, like "
                                   "unit='KiB'",
                                   c->src, dom_line(node), what);
        return 0;
}

static int read_cells(Ctx *c)
{
        xmlNodePtr root = c->d->root;
        xmlNodePtr numa = dom_path(root, "cpu/numa");
        unsigned n = dom_count(numa, "cell");

        c->cells = calloc(n > 0 ? n : 1, sizeof(Cell));
        if (!c->cells)
                return error_fail(c->err, -ENOMEM, "out of memory");
        if (n == 0) {
                xmlNodePtr mem = dom_child(root, "memory");
                if (!mem)
                        return error_input(c->err,
                                           "%s: the domain asks for hugepages but has no "
                                           "<memory>; add the guest's memory size",
                                           c->src);
                c->implicit_cell = true;
                c->n_cells = 1;
                return read_memory(c, mem, NULL, "<memory>", &c->cells[0].memory);
        }

        uint64_t total = 0;
        unsigned i = 0;
        for (xmlNodePtr x = dom_child(numa, "cell"); x; x = dom_next(x), i++) {
                Cell *cell = &c->cells[c->n_cells++];
                _cleanup_(freep) char *id = dom_prop(x, "id"), *mem = dom_prop(x, "memory");
                cell->id = i; /* libvirt numbers cells without id in order */
                if (id && (safe_atou(id, &cell->id) < 0 || cell->id > CPU_NUMBER_MAX))
                        return error_input(c->err,
                                           "%s:%u: <cell id='%s'> is not a guest NUMA cell "
                                           "number; number the cells 0, 1, ...",
                                           c->src, dom_line(x), id);
                for (unsigned j = 0; j + 1 < c->n_cells; j++)
                        if (c->cells[j].id == cell->id)
                                return error_input(c->err,
                                                   "%s:%u: guest NUMA cell %u is defined twice; "
                                                   "give each <cell> its own id",
                                                   c->src, dom_line(x), cell->id);
                if (!mem)
                        return error_input(c->err,
                                           "%s:%u: <cell id='%u'> has no memory; give its size, "
                                           "memory='4194304' unit='KiB'",
                                           c->src, dom_line(x), cell->id);
                char what[64];
                snprintf(what, sizeof(what), "the memory of guest NUMA cell %u", cell->id);
                int r = read_memory(c, x, mem, what, &cell->memory);
                if (r < 0)
                        return r;
                total += cell->memory; /* each at most 64 TiB: cannot wrap */
                if (total > SLICE_MEMORY_MAX)
                        return error_input(c->err,
                                           "%s:%u: the guest NUMA cells add up to more than 64 "
                                           "TiB; fix their memory sizes",
                                           c->src, dom_line(x));
        }
        return 0;
}

static int cell_index(const Ctx *c, unsigned id)
{
        for (unsigned i = 0; i < c->n_cells; i++)
                if (c->cells[i].id == id)
                        return (int) i;
        return -1;
}

static const char *cell_ids(const Ctx *c, char *buf, size_t size)
{
        hwloc_bitmap_t b = hwloc_bitmap_alloc();
        if (!b)
                return "?";
        for (unsigned i = 0; i < c->n_cells; i++)
                hwloc_bitmap_set(b, c->cells[i].id);
        set_str(buf, size, b);
        hwloc_bitmap_free(b);
        return buf;
}

static int read_pages(Ctx *c, xmlNodePtr hp)
{
        char a[CPUSET_LIST_MAX], b[FORMAT_BYTES_MAX];
        unsigned n = dom_count(hp, "page");

        c->pages = calloc(n > 0 ? n : 1, sizeof(Page));
        if (!c->pages)
                return error_fail(c->err, -ENOMEM, "out of memory");
        if (n == 0) { /* <hugepages/>: the default hugepage size for all memory */
                c->pages[0].size = SLICE_DEFAULT_PAGE_SIZE;
                c->n_pages = 1;
        }

        bool master = false;
        for (xmlNodePtr x = dom_child(hp, "page"); x; x = dom_next(x)) {
                Page *pg = &c->pages[c->n_pages++];
                _cleanup_(freep) char *size = dom_prop(x, "size"), *ns = dom_prop(x, "nodeset");
                _cleanup_(freep) char *unit = dom_prop(x, "unit");
                unsigned line = dom_line(x);
                if (!size)
                        return error_input(c->err,
                                           "%s:%u: <page> has no size; give it, like size='2048' "
                                           "unit='KiB'",
                                           c->src, line);
                int r = dom_parse_memory(x, size, &pg->size);
                if (r == -ERANGE)
                        return error_input(c->err,
                                           "%s:%u: <page size='%s' unit='%s'> overflows; use "
                                           "2048 or 1048576 KiB",
                                           c->src, line, size, unit ? unit : "KiB");
                if (r < 0)
                        return error_input(c->err,
                                           "%s:%u: <page size='%s' unit='%s'> is not a size; use "
                                           "2048 or 1048576 KiB",
                                           c->src, line, size, unit ? unit : "KiB");
                if (pg->size == 0)
                        return error_input(c->err,
                                           "%s:%u: <page size='%s'> is a hugepage size of 0; use "
                                           "2048 or 1048576 KiB",
                                           c->src, line, size);
                if (!is_pow2(pg->size))
                        return error_input(c->err,
                                           "%s:%u: hugepage size %s (%" PRIu64
                                           " bytes) is not a power of two; use 2048 or 1048576 KiB",
                                           c->src, line, format_bytes(b, sizeof(b), pg->size),
                                           pg->size);
                if (pg->size < SLICE_BASE_PAGE_SIZE)
                        return error_input(c->err,
                                           "%s:%u: hugepage size %s is smaller than the 4 KiB "
                                           "base page; use 2048 or 1048576 KiB",
                                           c->src, line, format_bytes(b, sizeof(b), pg->size));
                if (!ns) {
                        if (master)
                                return error_input(c->err,
                                                   "%s:%u: a second <page> without nodeset; "
                                                   "only one page size can apply to all memory",
                                                   c->src, line);
                        master = true;
                        continue;
                }
                if (c->implicit_cell)
                        return error_input(c->err,
                                           "%s:%u: <page nodeset='%s'> names guest NUMA cells, "
                                           "but the domain has none (<cpu><numa>); remove the "
                                           "nodeset",
                                           c->src, line, ns);
                pg->cells = hwloc_bitmap_alloc();
                if (!pg->cells)
                        return error_fail(c->err, -ENOMEM, "out of memory");
                r = parse_set(ns, CPU_NUMBER_MAX, pg->cells);
                if (r == -ENOMEM)
                        return error_fail(c->err, r, "out of memory");
                if (r < 0)
                        return error_input(c->err,
                                           "%s:%u: <page nodeset='%s'> is not a list of guest "
                                           "NUMA cells; write it like 0-1",
                                           c->src, line, ns);
                int id;
                hwloc_bitmap_foreach_begin (id, pg->cells) {
                        if (cell_index(c, (unsigned) id) < 0)
                                return error_input(c->err,
                                                   "%s:%u: <page nodeset='%s'> names guest NUMA "
                                                   "cell %d, which the domain does not have "
                                                   "(cells: %s)",
                                                   c->src, line, ns, id, cell_ids(c, a, sizeof(a)));
                }
                hwloc_bitmap_foreach_end();
                for (unsigned j = 0; j + 1 < c->n_pages; j++)
                        if (c->pages[j].cells &&
                            hwloc_bitmap_intersects(c->pages[j].cells, pg->cells))
                                return error_input(c->err,
                                                   "%s:%u: <page nodeset='%s'> overlaps the "
                                                   "nodeset of an earlier <page>; give each "
                                                   "guest cell one page size",
                                                   c->src, line, ns);
        }

        /* the page size of each cell: the first page listing it, else the master, else none */
        for (unsigned i = 0; i < c->n_cells; i++) {
                Cell *cell = &c->cells[i];
                const Page *use = NULL;
                for (unsigned j = 0; j < c->n_pages && !use; j++)
                        if (c->pages[j].cells && hwloc_bitmap_isset(c->pages[j].cells, cell->id))
                                use = &c->pages[j];
                for (unsigned j = 0; j < c->n_pages && !use; j++)
                        if (!c->pages[j].cells)
                                use = &c->pages[j];
                cell->page_size = use ? use->size : 0;
        }
        return 0;
}

/* Parses a <numatune> nodeset and checks every node exists and has memory. */
static int read_nodeset(Ctx *c, xmlNodePtr x, const char *what, const char *ns, hwloc_bitmap_t ret)
{
        char a[CPUSET_LIST_MAX];
        unsigned line = dom_line(x);
        int r = parse_set(ns, SLICE_NODE_MAX, ret);
        if (r == -ENOMEM)
                return error_fail(c->err, r, "out of memory");
        if (r < 0)
                return error_input(c->err,
                                   "%s:%u: <%s nodeset='%s'> is not a list of host NUMA nodes; "
                                   "write it like 0-1",
                                   c->src, line, what, ns);
        int node;
        hwloc_bitmap_foreach_begin (node, ret) {
                if (!hwloc_bitmap_isset(c->all_nodes, (unsigned) node))
                        return error_input(c->err,
                                           "%s:%u: <%s nodeset='%s'> names host node %d, which "
                                           "this host does not have (nodes: %s); fix the nodeset",
                                           c->src, line, what, ns, node,
                                           set_str(a, sizeof(a), c->all_nodes));
        }
        hwloc_bitmap_foreach_end();
        hwloc_bitmap_foreach_begin (node, ret) {
                if (!hwloc_bitmap_isset(c->mem_nodes, (unsigned) node))
                        return error_input(c->err,
                                           "%s:%u: <%s nodeset='%s'> names host node %d, which "
                                           "has no memory; guest memory can only come from nodes "
                                           "with memory (%s)",
                                           c->src, line, what, ns, node,
                                           set_str(a, sizeof(a), c->mem_nodes));
        }
        hwloc_bitmap_foreach_end();
        return 0;
}

static int read_numatune(Ctx *c, hwloc_bitmap_t ret_global)
{
        char a[CPUSET_LIST_MAX];
        xmlNodePtr nt = dom_child(c->d->root, "numatune");
        xmlNodePtr mem = dom_child(nt, "memory");
        _cleanup_(freep) char *ns = dom_prop(mem, "nodeset");
        int r;

        if (ns) {
                r = read_nodeset(c, mem, "numatune/memory", ns, ret_global);
                if (r < 0)
                        return r;
        }
        for (xmlNodePtr x = dom_child(nt, "memnode"); x; x = dom_next(x)) {
                _cleanup_(freep) char *id = dom_prop(x, "cellid"), *mns = dom_prop(x, "nodeset");
                unsigned cellid;
                unsigned line = dom_line(x);
                if (c->implicit_cell)
                        return error_input(c->err,
                                           "%s:%u: <memnode> without guest NUMA cells "
                                           "(<cpu><numa>); remove it or define the cells",
                                           c->src, line);
                if (!id || safe_atou(id, &cellid) < 0)
                        return error_input(c->err,
                                           "%s:%u: <memnode> has no valid cellid; give the guest "
                                           "cell, cellid='0'",
                                           c->src, line);
                int i = cell_index(c, cellid);
                if (i < 0)
                        return error_input(c->err,
                                           "%s:%u: <memnode cellid='%u'> names a guest NUMA cell "
                                           "the domain does not have (cells: %s)",
                                           c->src, line, cellid, cell_ids(c, a, sizeof(a)));
                if (c->cells[i].nodes)
                        return error_input(c->err,
                                           "%s:%u: a second <memnode> for guest cell %u; keep one",
                                           c->src, line, cellid);
                if (!mns)
                        return error_input(c->err,
                                           "%s:%u: <memnode cellid='%u'> has no nodeset; give the "
                                           "host nodes, nodeset='0'",
                                           c->src, line, cellid);
                c->cells[i].nodes = hwloc_bitmap_alloc();
                if (!c->cells[i].nodes)
                        return error_fail(c->err, -ENOMEM, "out of memory");
                r = read_nodeset(c, x, "memnode", mns, c->cells[i].nodes);
                if (r < 0)
                        return r;
        }
        return 0;
}

static unsigned node_distance(const Topology *t, unsigned a, unsigned b)
{
        if (a == b)
                return 10;
        if (t->nodes[a].distances && t->nodes[a].distances[b] > 0)
                return t->nodes[a].distances[b];
        return 20;
}

/* The node (index) memory for CPUs of node comes from: itself, or the nearest with memory (a
 * memoryless node, Threadripper 2990WX style); the first with memory when node is unknown. */
static int memory_node_for(const Topology *t, int node)
{
        if (node >= 0 && t->nodes[node].mem_total > 0)
                return node;
        int best = -1;
        for (unsigned i = 0; i < t->n_nodes; i++) {
                if (t->nodes[i].mem_total == 0)
                        continue;
                if (best < 0)
                        best = (int) i;
                else if (node >= 0 && node_distance(t, (unsigned) node, i) <
                                          node_distance(t, (unsigned) node, (unsigned) best))
                        best = (int) i;
                else if (node < 0 && t->nodes[i].os_index < t->nodes[best].os_index)
                        best = (int) i;
        }
        return best;
}

/* The host nodes (os indexes) the vCPUs' memory comes from without <numatune>. */
static int vcpu_nodes(Ctx *c, hwloc_bitmap_t ret)
{
        const Topology *t = c->t;
        int cpu;
        hwloc_bitmap_zero(ret);
        hwloc_bitmap_foreach_begin (cpu, c->s->vcpu_cpus) {
                int core = topology_core_of_cpu(t, (unsigned) cpu);
                int m = memory_node_for(t, core >= 0 ? t->cores[core].node : -1);
                if (m >= 0)
                        hwloc_bitmap_set(ret, t->nodes[m].os_index);
        }
        hwloc_bitmap_foreach_end();
        if (hwloc_bitmap_iszero(ret)) {
                int m = memory_node_for(t, -1);
                if (m >= 0)
                        hwloc_bitmap_set(ret, t->nodes[m].os_index);
        }
        if (hwloc_bitmap_iszero(ret))
                return error_input(c->err,
                                   "%s: no NUMA node of this host has memory (as its topology "
                                   "reads); cannot place the hugepages",
                                   c->src);
        return 0;
}

static int add_pages(Ctx *c, unsigned node, uint64_t page_size, uint64_t count)
{
        if (count == 0)
                return 0;
        SliceHugepages *h = hugepages_find(c->s, node, page_size);
        if (h) {
                h->count += count; /* at most 64 TiB of 4 KiB pages in all: cannot wrap */
                return 0;
        }
        int r = hugepages_append(c->s, node, page_size, count);
        if (r < 0)
                return error_fail(c->err, r, "out of memory");
        return 0;
}

static int read_hugepages(Ctx *c)
{
        xmlNodePtr hp = dom_path(c->d->root, "memoryBacking/hugepages");
        if (!hp)
                return 0;

        const Topology *t = c->t;
        c->all_nodes = hwloc_bitmap_alloc();
        c->mem_nodes = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t global = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t vnodes = NULL;
        if (!c->all_nodes || !c->mem_nodes || !global)
                return error_fail(c->err, -ENOMEM, "out of memory");
        for (unsigned i = 0; i < t->n_nodes; i++) {
                hwloc_bitmap_set(c->all_nodes, t->nodes[i].os_index);
                if (t->nodes[i].mem_total > 0)
                        hwloc_bitmap_set(c->mem_nodes, t->nodes[i].os_index);
        }

        int r = read_cells(c);
        if (r >= 0)
                r = read_pages(c, hp);
        if (r >= 0)
                r = read_numatune(c, global);
        if (r < 0)
                return r;

        for (unsigned i = 0; i < c->n_cells; i++) {
                const Cell *cell = &c->cells[i];
                if (cell->page_size <= SLICE_BASE_PAGE_SIZE || cell->memory == 0)
                        continue; /* not backed by hugepages */
                hwloc_const_bitmap_t nodes = cell->nodes;
                if (!nodes && !hwloc_bitmap_iszero(global))
                        nodes = global;
                if (!nodes) {
                        if (!vnodes) {
                                vnodes = hwloc_bitmap_alloc();
                                if (!vnodes)
                                        return error_fail(c->err, -ENOMEM, "out of memory");
                                r = vcpu_nodes(c, vnodes);
                                if (r < 0)
                                        return r;
                        }
                        nodes = vnodes;
                }
                uint64_t count =
                    cell->memory / cell->page_size + (cell->memory % cell->page_size != 0);
                unsigned k = (unsigned) hwloc_bitmap_weight(nodes);
                uint64_t each = count / k, rest = count % k;
                int node;
                hwloc_bitmap_foreach_begin (node, nodes) {
                        r = add_pages(c, (unsigned) node, cell->page_size, each + rest);
                        if (r < 0)
                                return r;
                        rest = 0;
                }
                hwloc_bitmap_foreach_end();
        }
        if (c->s->n_hugepages > 1)
                qsort(c->s->hugepages, c->s->n_hugepages, sizeof(SliceHugepages), hugepages_cmp);
        return 0;
}

int slice_spec_from_domain(const Domain *d, const Topology *t, SliceSpec **ret, Error *err)
{
        if (!d || !d->name || !t || !ret)
                return -EINVAL;
        _cleanup_(slice_spec_freep) SliceSpec *s = spec_new();
        if (!s || !(s->name = strdup(d->name)))
                return error_fail(err, -ENOMEM, "out of memory");

        Ctx c = {
            .d = d,
            .t = t,
            .err = err,
            .src = d->source ? d->source : d->name,
            .s = s,
        };
        int r = read_pins(&c);
        if (r >= 0)
                r = read_hugepages(&c);
        ctx_done(&c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- the state text ---- */

int slice_spec_format(const SliceSpec *s, char **ret)
{
        char why[128];
        if (!s || !ret || domain_name_check(s->name, why, sizeof(why)) < 0 || !s->cpus ||
            !s->vcpu_cpus)
                return -EINVAL;
        _cleanup_(freep) char *cpus = cpuset_format_list(s->cpus);
        _cleanup_(freep) char *vcpus = cpuset_format_list(s->vcpu_cpus);
        if (!cpus || !vcpus)
                return -ENOMEM;
        SBuf b = {0};
        sbuf_appendf(&b, "name\t%s\ncpus\t%s\nvcpus\t%s\npinned\t%d\nmanaged\t%d\n", s->name, cpus,
                     vcpus, s->pinned ? 1 : 0, s->managed ? 1 : 0);
        for (unsigned i = 0; i < s->n_hugepages; i++)
                sbuf_appendf(&b, "hugepages\t%u\t%" PRIu64 "\t%" PRIu64 "\n", s->hugepages[i].node,
                             s->hugepages[i].page_size, s->hugepages[i].count);
        char *text = sbuf_steal(&b);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

#define SPEC_BAD "; the state file is damaged or from another version of vmslice"

static int parse_list(const char *value, hwloc_bitmap_t set)
{
        /* only what cpuset_format_list() writes */
        if (strspn(value, "0123456789-,") != strlen(value))
                return -EINVAL;
        return cpuset_parse_list(value, set);
}

static int parse_bool01(const char *value, bool *ret)
{
        if (streq(value, "0") || streq(value, "1")) {
                *ret = value[0] == '1';
                return 0;
        }
        return -EINVAL;
}

static int parse_hugepages(SliceSpec *s, char *value, unsigned line, Error *err)
{
        char *f[3], *p = value;
        for (unsigned i = 0; i < 3; i++) {
                f[i] = p;
                char *tab = strchr(p, '\t');
                if (i < 2 && !tab)
                        return error_input(err,
                                           "slice spec, line %u: hugepages needs a node, a page "
                                           "size and a count" SPEC_BAD,
                                           line);
                if (i == 2 && tab)
                        return error_input(
                            err, "slice spec, line %u: more than 3 hugepages fields" SPEC_BAD,
                            line);
                if (tab) {
                        *tab = 0;
                        p = tab + 1;
                }
        }
        unsigned node;
        uint64_t size, count;
        if (safe_atou(f[0], &node) < 0 || node > SLICE_NODE_MAX)
                return error_input(err, "slice spec, line %u: bad node '%s'" SPEC_BAD, line, f[0]);
        if (safe_atou64(f[1], &size) < 0 || !is_pow2(size) || size < SLICE_BASE_PAGE_SIZE)
                return error_input(err, "slice spec, line %u: bad page size '%s'" SPEC_BAD, line,
                                   f[1]);
        if (safe_atou64(f[2], &count) < 0 || count == 0)
                return error_input(err, "slice spec, line %u: bad page count '%s'" SPEC_BAD, line,
                                   f[2]);
        if (hugepages_find(s, node, size))
                return error_input(err,
                                   "slice spec, line %u: hugepages of node %u and size %" PRIu64
                                   " twice" SPEC_BAD,
                                   line, node, size);
        int r = hugepages_append(s, node, size, count);
        if (r == -E2BIG)
                return error_input(err,
                                   "slice spec, line %u: more than %u hugepages lines" SPEC_BAD,
                                   line, SPEC_HUGEPAGES_MAX);
        if (r < 0)
                return error_fail(err, r, "out of memory");
        return 0;
}

int slice_spec_parse(const char *text, SliceSpec **ret, Error *err)
{
        enum { K_NAME, K_CPUS, K_VCPUS, K_PINNED, K_MANAGED, _K_MAX };
        static const char *const keys[_K_MAX] = {"name", "cpus", "vcpus", "pinned", "managed"};
        bool seen[_K_MAX] = {false};

        if (!text || !ret)
                return -EINVAL;
        if (strlen(text) > SPEC_TEXT_MAX)
                return error_input(err, "slice spec: longer than %u bytes" SPEC_BAD, SPEC_TEXT_MAX);
        _cleanup_(slice_spec_freep) SliceSpec *s = spec_new();
        if (!s)
                return error_fail(err, -ENOMEM, "out of memory");

        unsigned line = 0;
        for (const char *p = text; *p;) {
                line++;
                const char *nl = strchr(p, '\n');
                if (!nl)
                        return error_input(err,
                                           "slice spec, line %u: no newline at the end; the file "
                                           "is truncated",
                                           line);
                _cleanup_(freep) char *l = strndup(p, (size_t) (nl - p));
                if (!l)
                        return error_fail(err, -ENOMEM, "out of memory");
                p = nl + 1;
                char *tab = strchr(l, '\t');
                if (!tab)
                        return error_input(err, "slice spec, line %u: not 'key<TAB>value'" SPEC_BAD,
                                           line);
                *tab = 0;
                char *value = tab + 1;
                if (streq(l, "hugepages")) {
                        int r = parse_hugepages(s, value, line, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                int k = -1;
                for (int i = 0; i < _K_MAX; i++)
                        if (streq(l, keys[i]))
                                k = i;
                if (k < 0)
                        return error_input(err, "slice spec, line %u: unknown key '%.64s'" SPEC_BAD,
                                           line, l);
                if (seen[k])
                        return error_input(err, "slice spec, line %u: '%s' twice" SPEC_BAD, line,
                                           keys[k]);
                seen[k] = true;
                int r = 0;
                char why[128];
                switch (k) {
                case K_NAME:
                        if (domain_name_check(value, why, sizeof(why)) < 0)
                                return error_input(err, "slice spec, line %u: the name %s" SPEC_BAD,
                                                   line, why);
                        s->name = strdup(value);
                        if (!s->name)
                                return error_fail(err, -ENOMEM, "out of memory");
                        break;
                case K_CPUS:
                case K_VCPUS:
                        r = parse_list(value, k == K_CPUS ? s->cpus : s->vcpu_cpus);
                        if (r == -ENOMEM)
                                return error_fail(err, r, "out of memory");
                        if (r < 0)
                                return error_input(
                                    err, "slice spec, line %u: bad CPU list '%.64s'" SPEC_BAD, line,
                                    value);
                        break;
                case K_PINNED:
                case K_MANAGED:
                        if (parse_bool01(value, k == K_PINNED ? &s->pinned : &s->managed) < 0)
                                return error_input(err,
                                                   "slice spec, line %u: %s must be 0 or 1, not "
                                                   "'%.64s'" SPEC_BAD,
                                                   line, keys[k], value);
                        break;
                default:
                        break;
                }
        }
        for (int i = 0; i < _K_MAX; i++)
                if (!seen[i])
                        return error_input(err, "slice spec: no '%s' line" SPEC_BAD, keys[i]);
        if (!hwloc_bitmap_isincluded(s->vcpu_cpus, s->cpus))
                return error_input(err, "slice spec: the vcpus are not within the cpus" SPEC_BAD);
        if (s->n_hugepages > 1)
                qsort(s->hugepages, s->n_hugepages, sizeof(SliceHugepages), hugepages_cmp);
        *ret = TAKE_PTR(s);
        return 0;
}
