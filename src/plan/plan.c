/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

/* What the planner has decided about each host core so far. */
typedef enum CoreState {
        CS_FREE = 0,
        CS_HOST,     /* CPU 0's core: always the host's */
        CS_EXCLUDED, /* a CPU of it is excluded (another VM) */
        CS_VM,
        CS_EMULATOR,
} CoreState;

typedef struct Planner {
        const Topology *t;
        const PlanRequest *req;
        Plan *p;
        Error *err;
        CoreState *state;
        unsigned threads;
        unsigned need;      /* cores for the vCPUs */
        unsigned host_core; /* index of CPU 0's core */
        unsigned reserve;   /* free cores that must stay with the host (host_cores - 1) */
        int pci_node;       /* node index the devices want, -1 none */
} Planner;

Plan *plan_free(Plan *p)
{
        if (!p)
                return NULL;
        free(p->vcpu_cpu);
        hwloc_bitmap_free(p->vcpu_cpus);
        hwloc_bitmap_free(p->vm_cpus);
        hwloc_bitmap_free(p->emulator_cpus);
        hwloc_bitmap_free(p->iothread_cpus);
        hwloc_bitmap_free(p->host_cpus);
        free(p->host_nodes);
        free(p->mem_nodes);
        free(p->cells);
        strv_free(p->explain);
        strv_free(p->warnings);
        free(p);
        return NULL;
}

static void note(char ***l, const char *fmt, ...) _printf_(2, 3);
static void note(char ***l, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        (void) strv_push(l, s);
}

#define EXPLAIN(pl, ...) note(&(pl)->p->explain, __VA_ARGS__)
#define WARN(pl, ...)    note(&(pl)->p->warnings, __VA_ARGS__)

static const char *cpus_str(char *buf, hwloc_const_bitmap_t set)
{
        return cpuset_to_list(buf, CPUSET_LIST_MAX, set);
}

static bool core_fits_vcpus(const Planner *pl, const TopoCore *c)
{
        if (pl->state[c->index] != CS_FREE || c->n_cpus < pl->threads)
                return false;
        /* hybrid parts: vCPUs only on performance cores */
        return !pl->t->hybrid || c->kind != CORE_KIND_E;
}

static bool core_is_isolated(const Planner *pl, const TopoCore *c)
{
        return hwloc_bitmap_isincluded(c->cpus, pl->t->isolated);
}

static unsigned free_cores_on_node(const Planner *pl, int node)
{
        unsigned n = 0;
        for (unsigned i = 0; i < pl->t->n_cores; i++)
                if (pl->t->cores[i].node == node && core_fits_vcpus(pl, &pl->t->cores[i]))
                        n++;
        return n;
}

static unsigned free_cores_total(const Planner *pl)
{
        unsigned n = 0;
        for (unsigned i = 0; i < pl->t->n_cores; i++)
                if (pl->state[i] == CS_FREE)
                        n++;
        return n;
}

static unsigned vcpu_cores_total(const Planner *pl)
{
        unsigned n = 0;
        for (unsigned i = 0; i < pl->t->n_cores; i++)
                if (core_fits_vcpus(pl, &pl->t->cores[i]))
                        n++;
        return n;
}

static bool node_has_memory(const Topology *t, int node)
{
        return node >= 0 && t->nodes[node].mem_total > 0;
}

static unsigned node_distance(const Topology *t, unsigned a, unsigned b)
{
        if (a == b)
                return 10;
        if (t->nodes[a].distances && t->nodes[a].distances[b] > 0)
                return t->nodes[a].distances[b];
        return 20;
}

/* The node guest memory for CPUs on node comes from: the node itself, or the nearest node with
 * memory when it has none (Threadripper 2990WX style). */
static int memory_node_for(const Topology *t, int node)
{
        if (node < 0)
                return t->n_nodes > 0 ? 0 : -1;
        if (node_has_memory(t, node))
                return node;
        int best = -1;
        for (unsigned i = 0; i < t->n_nodes; i++) {
                if (!node_has_memory(t, (int) i))
                        continue;
                if (best < 0 || node_distance(t, (unsigned) node, i) <
                                    node_distance(t, (unsigned) node, (unsigned) best))
                        best = (int) i;
        }
        return best;
}

/* ---- request checks ---- */

static int resolve_threads(Planner *pl)
{
        const Topology *t = pl->t;
        const PlanRequest *req = pl->req;

        if (req->threads > 2)
                return error_input(pl->err, "--threads %u is not supported; use 1, 2 or auto",
                                   req->threads);
        pl->threads = req->threads ? req->threads : (t->smt ? 2 : 1);
        if (pl->threads == 2 && !t->smt)
                return error_input(pl->err,
                                   "--threads 2 needs SMT, and no core of this host has two online "
                                   "threads; use --threads 1");
        if (req->threads == 0)
                EXPLAIN(pl, "threads=%u: %s", pl->threads,
                        pl->threads == 2 ? "the host has SMT, so each guest core gets both threads "
                                           "of one host core (guest vCPUs 2k and 2k+1 are siblings)"
                                         : "the host has no SMT");
        else
                EXPLAIN(pl, "threads=%u: as asked%s", pl->threads,
                        pl->threads == 1 && t->smt
                            ? "; each vCPU gets a whole host core, its sibling stays idle in "
                              "the VM's slice"
                            : "");
        return 0;
}

static int resolve_vcpus(Planner *pl)
{
        const PlanRequest *req = pl->req;
        unsigned vcpus = req->vcpus;

        if (vcpus > PLAN_VCPUS_MAX)
                return error_input(pl->err, "--vcpus %u is absurd; at most %u", vcpus,
                                   PLAN_VCPUS_MAX);
        if (vcpus == 0) {
                unsigned online = (unsigned) hwloc_bitmap_weight(pl->t->online);
                vcpus = online / 2 / pl->threads * pl->threads;
                if (vcpus == 0)
                        vcpus = pl->threads;
                EXPLAIN(pl, "vcpus=%u: no --vcpus given, half of the host's %u online CPUs", vcpus,
                        online);
        }
        if (vcpus % pl->threads != 0) {
                unsigned lo = vcpus / pl->threads * pl->threads;
                if (lo == 0)
                        return error_input(
                            pl->err,
                            "%u vCPU cannot be whole cores of %u threads; use --vcpus "
                            "%u, or --threads 1",
                            vcpus, pl->threads, pl->threads);
                return error_input(
                    pl->err,
                    "%u vCPUs cannot be whole cores of %u threads; use --vcpus %u or "
                    "%u, or --threads 1",
                    vcpus, pl->threads, lo, lo + pl->threads);
        }
        pl->p->vcpus = vcpus;
        pl->p->threads = pl->threads;
        pl->need = vcpus / pl->threads;
        return 0;
}

static int resolve_pci(Planner *pl)
{
        const Topology *t = pl->t;
        pl->pci_node = -1;
        for (char **a = pl->req->pci; a && *a; a++) {
                char norm[16];
                if (pci_addr_normalize(*a, norm) < 0)
                        return error_input(pl->err,
                                           "--pci '%s' is not a PCI address; use the form "
                                           "0000:01:00.0 (see 'vmslice topo')",
                                           *a);
                const TopoPci *d = topology_find_pci(t, norm);
                if (!d)
                        return error_input(pl->err,
                                           "--pci %s: no such device on this host; 'vmslice topo' "
                                           "lists the GPUs, NICs, NVMe and vfio-pci devices",
                                           norm);
                if (d->numa_node < 0) {
                        EXPLAIN(pl, "pci %s: the kernel reports no NUMA locality (numa_node -1)",
                                norm);
                        continue;
                }
                int n = topology_node_by_os_index(t, (unsigned) d->numa_node);
                if (n < 0)
                        continue;
                if (pl->pci_node < 0)
                        pl->pci_node = n;
                else if (pl->pci_node != n)
                        WARN(pl,
                             "pci %s is on node %u but an earlier device is on node %u; placing "
                             "near the first",
                             norm, t->nodes[n].os_index, t->nodes[pl->pci_node].os_index);
        }
        return 0;
}

static int resolve_host(Planner *pl)
{
        const Topology *t = pl->t;
        const PlanRequest *req = pl->req;
        char buf[CPUSET_LIST_MAX];

        int c0 = topology_core_of_cpu(t, 0);
        if (c0 < 0) { /* CPU 0 offline or absent: the lowest online CPU's core */
                int first = hwloc_bitmap_first(t->online);
                c0 = first >= 0 ? topology_core_of_cpu(t, (unsigned) first) : -1;
        }
        if (c0 < 0)
                return error_input(pl->err, "the host has no online CPU");
        pl->host_core = (unsigned) c0;
        pl->state[c0] = CS_HOST;

        unsigned host_cores = req->host_cores ? req->host_cores : 1;
        if (host_cores > t->n_cores)
                return error_input(pl->err, "--host-cores %u: the host has only %u cores",
                                   host_cores, t->n_cores);
        pl->reserve = host_cores - 1;

        if (req->exclude) {
                for (unsigned i = 0; i < t->n_cores; i++)
                        if (pl->state[i] == CS_FREE &&
                            hwloc_bitmap_intersects(t->cores[i].cpus, req->exclude))
                                pl->state[i] = CS_EXCLUDED;
                if (!hwloc_bitmap_iszero(req->exclude))
                        EXPLAIN(pl, "excluded cpus %s (other VMs): their cores are not used",
                                cpus_str(buf, req->exclude));
        }
        EXPLAIN(pl, "host keeps core %u (cpus %s) with CPU 0%s", t->cores[c0].core_id,
                cpus_str(buf, t->cores[c0].cpus), pl->reserve ? " and the cores listed below" : "");
        return 0;
}

/* ---- choosing cores ---- */

typedef struct Candidate {
        unsigned core;
} Candidate;

/* Order of cores inside an L3 group: cores the kernel already isolates first, then from the
 * highest CPU numbers down (away from CPU 0, where the host's housekeeping runs). */
static int cmp_core_pref(const Planner *pl, unsigned a, unsigned b)
{
        bool ia = core_is_isolated(pl, &pl->t->cores[a]),
             ib = core_is_isolated(pl, &pl->t->cores[b]);
        if (ia != ib)
                return ia ? -1 : 1;
        unsigned fa = pl->t->cores[a].first_cpu, fb = pl->t->cores[b].first_cpu;
        return fa > fb ? -1 : fa < fb;
}

/* Cores eligible for vCPUs in an L3 group of a node (l3 == -1: cores without an L3), best first. */
static unsigned group_candidates(const Planner *pl, int node, int l3, unsigned *out)
{
        unsigned n = 0;
        for (unsigned i = 0; i < pl->t->n_cores; i++) {
                const TopoCore *c = &pl->t->cores[i];
                if (c->node != node || c->l3 != l3 || !core_fits_vcpus(pl, c))
                        continue;
                /* insertion sort by preference */
                unsigned j = n++;
                while (j > 0 && cmp_core_pref(pl, i, out[j - 1]) < 0) {
                        out[j] = out[j - 1];
                        j--;
                }
                out[j] = i;
        }
        return n;
}

typedef struct Group {
        int l3;
        unsigned n_free, n_isolated;
        uint64_t size;
} Group;

static unsigned node_groups(const Planner *pl, int node, Group *groups, unsigned *scratch)
{
        unsigned n = 0;
        for (int l = -1; l < (int) pl->t->n_l3s; l++) {
                unsigned k = group_candidates(pl, node, l, scratch);
                if (k == 0)
                        continue;
                Group *g = &groups[n++];
                g->l3 = l;
                g->n_free = k;
                g->size = l >= 0 ? pl->t->l3s[l].size : 0;
                g->n_isolated = 0;
                for (unsigned i = 0; i < k; i++)
                        if (core_is_isolated(pl, &pl->t->cores[scratch[i]]))
                                g->n_isolated++;
        }
        return n;
}

/* Best group for a request that fits one: most kernel-isolated cores, then the larger L3 (X3D),
 * then the fullest (fewest free cores: best fit), then the lowest index. */
static bool group_better_fit(const Group *a, const Group *b)
{
        if (a->n_isolated != b->n_isolated)
                return a->n_isolated > b->n_isolated;
        if (a->size != b->size)
                return a->size > b->size;
        if (a->n_free != b->n_free)
                return a->n_free < b->n_free;
        return a->l3 < b->l3;
}

/* For a request spanning groups: larger L3 first, then most free. */
static bool group_better_span(const Group *a, const Group *b)
{
        if (a->n_isolated != b->n_isolated)
                return a->n_isolated > b->n_isolated;
        if (a->n_free != b->n_free)
                return a->n_free > b->n_free;
        if (a->size != b->size)
                return a->size > b->size;
        return a->l3 < b->l3;
}

static void take_from_group(Planner *pl, int node, int l3, unsigned count, unsigned *scratch)
{
        unsigned k = group_candidates(pl, node, l3, scratch);
        for (unsigned i = 0; i < count && i < k; i++)
                pl->state[scratch[i]] = CS_VM;
}

static void describe_l3(const Planner *pl, int l3, char *out, size_t size)
{
        char buf[CPUSET_LIST_MAX], sz[FORMAT_BYTES_MAX];
        if (l3 < 0) {
                snprintf(out, size, "cores without an L3 cache");
                return;
        }
        const TopoL3 *l = &pl->t->l3s[l3];
        snprintf(out, size, "L3 #%u (%s, cpus %s)", l->index, format_bytes(sz, sizeof(sz), l->size),
                 cpus_str(buf, l->cpus));
}

/* Places `count` cores on one node. Returns the number of L3 groups used and whether each
 * contributed the same number of cores. */
static int place_on_node(Planner *pl, int node, unsigned count, unsigned *ret_groups,
                         bool *ret_equal)
{
        const Topology *t = pl->t;
        unsigned ng_max = t->n_l3s + 1;
        _cleanup_(freep) Group *groups = calloc(ng_max, sizeof(Group));
        _cleanup_(freep) unsigned *scratch = calloc(t->n_cores + 1, sizeof(unsigned));
        char desc[CPUSET_LIST_MAX + 64];
        if (!groups || !scratch)
                return -ENOMEM;

        unsigned ng = node_groups(pl, node, groups, scratch);
        int best = -1;
        for (unsigned g = 0; g < ng; g++)
                if (groups[g].n_free >= count &&
                    (best < 0 || group_better_fit(&groups[g], &groups[best])))
                        best = (int) g;
        if (best >= 0) {
                take_from_group(pl, node, groups[best].l3, count, scratch);
                describe_l3(pl, groups[best].l3, desc, sizeof(desc));
                if (ng > 1 || t->n_l3s > 1)
                        EXPLAIN(pl,
                                "%u cores fit one L3 group: %s, %u free there%s (one L3 keeps the "
                                "guest's threads sharing one cache)",
                                count, desc, groups[best].n_free,
                                groups[best].n_isolated ? ", isolated by the kernel command line"
                                : ng > 1                ? "; chosen as the best fit"
                                                        : "");
                *ret_groups = 1;
                *ret_equal = true;
                return 0;
        }

        /* Spans L3 groups: as few as possible, and the same number of cores from each when that
         * works, so the guest can be told dies = groups. */
        for (unsigned a = 0; a < ng; a++) /* sort by span preference */
                for (unsigned b = a + 1; b < ng; b++)
                        if (group_better_span(&groups[b], &groups[a])) {
                                Group x = groups[a];
                                groups[a] = groups[b];
                                groups[b] = x;
                        }
        unsigned k = 0, sum = 0;
        while (k < ng && sum < count)
                sum += groups[k++].n_free;
        if (sum < count)
                return -ENOSPC;
        bool equal = false;
        for (unsigned kk = k; kk <= ng && !equal; kk++) {
                if (count % kk != 0)
                        continue;
                unsigned share = count / kk, ok = 0;
                for (unsigned g = 0; g < ng; g++)
                        if (groups[g].n_free >= share)
                                ok++;
                if (ok < kk)
                        continue;
                /* take `share` from the kk best groups that have enough */
                unsigned used = 0;
                for (unsigned g = 0; g < ng && used < kk; g++)
                        if (groups[g].n_free >= share) {
                                take_from_group(pl, node, groups[g].l3, share, scratch);
                                describe_l3(pl, groups[g].l3, desc, sizeof(desc));
                                EXPLAIN(pl, "%u cores from %s", share, desc);
                                used++;
                        }
                k = kk;
                equal = true;
        }
        if (!equal) {
                unsigned left = count;
                for (unsigned g = 0; g < k && left > 0; g++) {
                        unsigned n = MIN(left, groups[g].n_free);
                        take_from_group(pl, node, groups[g].l3, n, scratch);
                        describe_l3(pl, groups[g].l3, desc, sizeof(desc));
                        EXPLAIN(pl, "%u cores from %s", n, desc);
                        left -= n;
                }
        }
        EXPLAIN(pl,
                "%u cores do not fit one L3 group (largest has %u free); spread over %u groups%s",
                count, groups[0].n_free, k, equal ? " with the same number of cores each" : "");
        *ret_groups = k;
        *ret_equal = equal;
        return 0;
}

static int cmp_node_pref(const Planner *pl, unsigned a, unsigned b)
{
        /* the devices' node first, then nodes with memory, then most free cores, then lowest */
        if ((int) a == pl->pci_node || (int) b == pl->pci_node)
                return (int) a == pl->pci_node ? -1 : 1;
        bool ma = node_has_memory(pl->t, (int) a), mb = node_has_memory(pl->t, (int) b);
        if (ma != mb)
                return ma ? -1 : 1;
        unsigned fa = free_cores_on_node(pl, (int) a), fb = free_cores_on_node(pl, (int) b);
        if (fa != fb)
                return fa > fb ? -1 : 1;
        return a < b ? -1 : a > b;
}

static void host_core_msg(const Planner *pl, char *out, size_t size)
{
        char buf[CPUSET_LIST_MAX];
        const TopoCore *c = &pl->t->cores[pl->host_core];
        snprintf(out, size, "keeping core %u (cpus %s)%s for the host", c->core_id,
                 cpus_str(buf, c->cpus), pl->reserve ? " and room for the other --host-cores" : "");
}

static int choose_cores(Planner *pl)
{
        const Topology *t = pl->t;
        Plan *p = pl->p;
        char hostmsg[CPUSET_LIST_MAX + 128];
        int r;

        host_core_msg(pl, hostmsg, sizeof(hostmsg));
        unsigned avail = vcpu_cores_total(pl);
        unsigned free_all = free_cores_total(pl);
        const char *kind = t->hybrid ? " P" : "";
        const char *thr = pl->threads == 2 ? " with 2 online threads" : "";
        if (avail < pl->need || free_all < pl->need + pl->reserve) {
                unsigned usable = MIN(avail, free_all >= pl->reserve ? free_all - pl->reserve : 0);
                return error_input(pl->err,
                                   "need %u%s cores%s for %u vCPUs, %u free after %s; ask for "
                                   "fewer --vcpus%s",
                                   pl->need, kind, thr, p->vcpus, usable, hostmsg,
                                   pl->threads == 2 ? " or --threads 1" : "");
        }

        if (t->n_nodes == 0) { /* no NUMA information at all: one implicit node */
                return error_input(
                    pl->err, "the host reports no NUMA node; is /sys/devices/system/node missing?");
        }

        _cleanup_(freep) unsigned *order = calloc(t->n_nodes, sizeof(unsigned));
        if (!order)
                return -ENOMEM;
        for (unsigned i = 0; i < t->n_nodes; i++) {
                unsigned j = i;
                order[j] = i;
                while (j > 0 && cmp_node_pref(pl, order[j], order[j - 1]) < 0) {
                        unsigned x = order[j];
                        order[j] = order[j - 1];
                        order[j - 1] = x;
                        j--;
                }
        }

        /* one node when one can hold the VM */
        int chosen = -1;
        for (unsigned i = 0; i < t->n_nodes && chosen < 0; i++)
                if (free_cores_on_node(pl, (int) order[i]) >= pl->need)
                        chosen = (int) order[i];
        if (pl->pci_node >= 0 && chosen != pl->pci_node && t->n_nodes > 1)
                chosen = -1; /* the devices' node is too small: split starting from it */

        p->host_nodes = calloc(t->n_nodes, sizeof(unsigned));
        p->mem_nodes = calloc(t->n_nodes, sizeof(unsigned));
        p->cells = calloc(t->n_nodes, sizeof(PlanCell));
        if (!p->host_nodes || !p->mem_nodes || !p->cells)
                return -ENOMEM;

        if (chosen >= 0) {
                unsigned groups;
                bool equal;
                const TopoNode *n = &t->nodes[chosen];
                if (t->n_nodes > 1) {
                        if (chosen == pl->pci_node)
                                EXPLAIN(pl, "node %u: the passed-through device is attached there",
                                        n->os_index);
                        else if (chosen == (int) order[0])
                                EXPLAIN(
                                    pl,
                                    "node %u: %s%u free cores for vCPUs, the most of any node%s",
                                    n->os_index,
                                    pl->req->pci && pl->req->pci[0] ? "no device locality; " : "",
                                    free_cores_on_node(pl, chosen),
                                    node_has_memory(t, chosen) ? "" : " (none has memory)");
                        else
                                EXPLAIN(pl,
                                        "node %u: %u free cores; no node %s has %u free for vCPUs",
                                        n->os_index, free_cores_on_node(pl, chosen),
                                        node_has_memory(t, chosen) ? "with more free cores"
                                                                   : "with memory",
                                        pl->need);
                }
                r = place_on_node(pl, chosen, pl->need, &groups, &equal);
                if (r < 0)
                        return r;
                p->host_nodes[p->n_host_nodes++] = n->os_index;
                p->n_l3_groups = groups;
                p->sockets = 1;
                p->dies = equal && groups > 1 && pl->need % groups == 0 ? groups : 1;
                return 0;
        }

        /* Split: start with the devices' node or the one with most free cores, add the nearest
         * nodes until the VM fits; give each the same share when possible. */
        _cleanup_(freep) unsigned *set = calloc(t->n_nodes, sizeof(unsigned));
        _cleanup_(freep) bool *in = calloc(t->n_nodes, sizeof(bool));
        if (!set || !in)
                return -ENOMEM;
        unsigned k = 0, sum = 0;
        set[k++] = order[0];
        in[order[0]] = true;
        sum = free_cores_on_node(pl, (int) order[0]);
        while (sum < pl->need && k < t->n_nodes) {
                int best = -1;
                for (unsigned i = 0; i < t->n_nodes; i++) {
                        unsigned cand = order[i];
                        if (in[cand] || free_cores_on_node(pl, (int) cand) == 0)
                                continue;
                        if (best < 0 || node_distance(t, set[0], cand) <
                                            node_distance(t, set[0], (unsigned) best))
                                best = (int) cand;
                }
                if (best < 0)
                        break;
                set[k++] = (unsigned) best;
                in[best] = true;
                sum += free_cores_on_node(pl, best);
        }
        if (sum < pl->need)
                return error_input(pl->err,
                                   "need %u%s cores%s for %u vCPUs, %u free on all nodes after %s",
                                   pl->need, kind, thr, p->vcpus, sum, hostmsg);

        _cleanup_(freep) unsigned *share = calloc(k, sizeof(unsigned));
        if (!share)
                return -ENOMEM;
        bool balanced = pl->need % k == 0;
        for (unsigned i = 0; i < k && balanced; i++)
                if (free_cores_on_node(pl, (int) set[i]) < pl->need / k)
                        balanced = false;
        unsigned left = pl->need;
        for (unsigned i = 0; i < k; i++) {
                share[i] =
                    balanced ? pl->need / k : MIN(left, free_cores_on_node(pl, (int) set[i]));
                left -= share[i];
        }
        {
                SBuf b = {0};
                for (unsigned i = 0; i < k; i++)
                        sbuf_appendf(&b, "%s%u cores on node %u", i ? ", " : "", share[i],
                                     t->nodes[set[i]].os_index);
                _cleanup_(freep) char *s = sbuf_steal(&b);
                unsigned most = 0;
                for (unsigned i = 0; i < t->n_nodes; i++)
                        most = MAX(most, free_cores_on_node(pl, (int) i));
                EXPLAIN(pl,
                        "split across %u nodes: %s node can hold %u cores (most free: %u)%s; %s; "
                        "the guest gets one NUMA cell per host node",
                        k, pl->pci_node >= 0 ? "the devices'" : "no", pl->need,
                        pl->pci_node >= 0 ? free_cores_on_node(pl, pl->pci_node) : most,
                        pl->pci_node >= 0 ? "" : "", s ? s : "");
        }
        unsigned total_groups = 0, first_vcpu = 0;
        bool dies_equal = true;
        unsigned dies_per_node = 0;
        for (unsigned i = 0; i < k; i++) {
                unsigned groups;
                bool equal;
                r = place_on_node(pl, (int) set[i], share[i], &groups, &equal);
                if (r < 0)
                        return r;
                total_groups += groups;
                if (!equal || (dies_per_node && dies_per_node != groups))
                        dies_equal = false;
                dies_per_node = groups;
                p->host_nodes[p->n_host_nodes++] = t->nodes[set[i]].os_index;
                PlanCell *c = &p->cells[p->n_cells++];
                c->host_node = t->nodes[set[i]].os_index;
                c->first_vcpu = first_vcpu;
                c->n_vcpus = share[i] * pl->threads;
                first_vcpu += c->n_vcpus;
        }
        p->n_l3_groups = total_groups;
        p->sockets = balanced ? k : 1;
        p->dies = balanced && dies_equal && dies_per_node > 1 ? dies_per_node : 1;
        if (!balanced)
                EXPLAIN(pl,
                        "the nodes get different numbers of cores, so the guest topology is one "
                        "socket; its NUMA cells still mirror the host nodes");
        return 0;
}

/* vCPU numbering: cores in ascending CPU order within each node in the order chosen; within a
 * core, threads in the kernel's sibling order. QEMU numbers a core's threads consecutively, so
 * vCPUs 2k and 2k+1 land on the two siblings of one host core. */
static int assign_vcpus(Planner *pl)
{
        const Topology *t = pl->t;
        Plan *p = pl->p;
        unsigned v = 0;

        p->vcpu_cpu = calloc(p->vcpus, sizeof(unsigned));
        if (!p->vcpu_cpu)
                return -ENOMEM;
        for (unsigned n = 0; n < p->n_host_nodes; n++) {
                int node = topology_node_by_os_index(t, p->host_nodes[n]);
                for (unsigned i = 0; i < t->n_cores; i++) {
                        const TopoCore *c = &t->cores[i];
                        if (pl->state[i] != CS_VM || c->node != node)
                                continue;
                        hwloc_bitmap_or(p->vm_cpus, p->vm_cpus, c->cpus);
                        unsigned used = 0;
                        int cpu;
                        hwloc_bitmap_foreach_begin (cpu, c->cpus) {
                                if (used < pl->threads && v < p->vcpus) {
                                        p->vcpu_cpu[v++] = (unsigned) cpu;
                                        hwloc_bitmap_set(p->vcpu_cpus, (unsigned) cpu);
                                        used++;
                                }
                        }
                        hwloc_bitmap_foreach_end();
                }
        }
        if (v != p->vcpus)
                return error_fail(pl->err, -EINVAL, "internal error: placed %u of %u vCPUs", v,
                                  p->vcpus);
        EXPLAIN(
            pl,
            "cores picked %sfrom the highest CPU numbers down, leaving CPU 0's neighbours to the "
            "host; vCPUs numbered in ascending core order, siblings consecutive",
            hwloc_bitmap_iszero(t->isolated) ? "" : "kernel-isolated first, then ");
        p->cores = p->vcpus / (pl->threads * p->sockets * p->dies);
        if (p->cores * pl->threads * p->sockets * p->dies != p->vcpus) {
                p->sockets = 1;
                p->dies = 1;
                p->cores = p->vcpus / pl->threads;
        }
        return 0;
}

/* Host CPUs in a node index (or all when node < 0), preferring E cores on hybrid parts. */
static void host_cpus_near(const Planner *pl, int node, hwloc_bitmap_t out)
{
        const Topology *t = pl->t;
        hwloc_bitmap_zero(out);
        for (int pass = 0; pass < 2 && hwloc_bitmap_iszero(out); pass++)
                for (unsigned i = 0; i < t->n_cores; i++) {
                        const TopoCore *c = &t->cores[i];
                        if (pl->state[i] != CS_HOST && pl->state[i] != CS_FREE)
                                continue;
                        if (node >= 0 && c->node != node)
                                continue;
                        if (pass == 0 && t->hybrid && c->kind != CORE_KIND_E)
                                continue;
                        if (pass == 0 && !t->hybrid)
                                continue;
                        hwloc_bitmap_or(out, out, c->cpus);
                }
}

static int choose_emulator(Planner *pl)
{
        const Topology *t = pl->t;
        Plan *p = pl->p;
        char buf[CPUSET_LIST_MAX];
        int vm_node = topology_node_by_os_index(t, p->host_nodes[0]);

        if (pl->req->emulator == EMULATOR_ISOLATED) {
                /* threads=1 on an SMT host: the VM's idle siblings are the emulator's (the layout
                 * of the seed 'Mitigating CPU Stutter') */
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t idle = hwloc_bitmap_alloc();
                if (!idle)
                        return -ENOMEM;
                hwloc_bitmap_andnot(idle, p->vm_cpus, p->vcpu_cpus);
                if (!hwloc_bitmap_iszero(idle)) {
                        hwloc_bitmap_copy(p->emulator_cpus, idle);
                        p->emulator_dedicated = true;
                        EXPLAIN(pl,
                                "emulator on cpus %s: the idle SMT siblings of the vCPU cores, "
                                "dedicated to it and isolated with the VM",
                                cpus_str(buf, idle));
                        return 0;
                }
                /* a free core: on the VM's node, E cores first on hybrids, highest first */
                int best = -1;
                for (unsigned i = 0; i < t->n_cores; i++) {
                        const TopoCore *c = &t->cores[i];
                        if (pl->state[i] != CS_FREE)
                                continue;
                        if (free_cores_total(pl) <= pl->reserve)
                                break;
                        if (best < 0) {
                                best = (int) i;
                                continue;
                        }
                        const TopoCore *b = &t->cores[best];
                        bool cn = c->node == vm_node, bn = b->node == vm_node;
                        if (cn != bn) {
                                if (cn)
                                        best = (int) i;
                                continue;
                        }
                        bool ce = c->kind == CORE_KIND_E, be = b->kind == CORE_KIND_E;
                        if (ce != be) {
                                if (ce)
                                        best = (int) i;
                                continue;
                        }
                        if (c->first_cpu > b->first_cpu)
                                best = (int) i;
                }
                if (best >= 0) {
                        pl->state[best] = CS_EMULATOR;
                        hwloc_bitmap_copy(p->emulator_cpus, t->cores[best].cpus);
                        p->emulator_dedicated = true;
                        EXPLAIN(pl, "emulator on core %u (cpus %s): a whole core of its own%s",
                                t->cores[best].core_id, cpus_str(buf, t->cores[best].cpus),
                                t->cores[best].node == vm_node
                                    ? " on the VM's node"
                                    : ", on another node: the VM's node has none left");
                        return 0;
                }
                return error_input(
                    pl->err,
                    "--emulator isolated needs a core of its own, and none is left "
                    "after the %u vCPUs and the host's cores; use --emulator shared, "
                    "--threads 1 (the idle siblings take it) or fewer --vcpus",
                    p->vcpus);
        }
        return 0;
}

static void compute_host_cpus(Planner *pl)
{
        const Topology *t = pl->t;
        Plan *p = pl->p;
        hwloc_bitmap_copy(p->host_cpus, t->online);
        hwloc_bitmap_andnot(p->host_cpus, p->host_cpus, p->vm_cpus);
        if (p->emulator_dedicated)
                hwloc_bitmap_andnot(p->host_cpus, p->host_cpus, p->emulator_cpus);
        if (pl->req->exclude)
                hwloc_bitmap_andnot(p->host_cpus, p->host_cpus, pl->req->exclude);
        for (unsigned i = 0; i < t->n_cores; i++)
                if (pl->state[i] == CS_EXCLUDED)
                        hwloc_bitmap_andnot(p->host_cpus, p->host_cpus, t->cores[i].cpus);
}

static int place_threads(Planner *pl)
{
        const Topology *t = pl->t;
        Plan *p = pl->p;
        char buf[CPUSET_LIST_MAX];
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t near = hwloc_bitmap_alloc();
        if (!near)
                return -ENOMEM;

        /* host CPUs of the VM's node(s), E cores first on hybrids */
        for (unsigned n = 0; n < p->n_host_nodes; n++) {
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t x = hwloc_bitmap_alloc();
                if (!x)
                        return -ENOMEM;
                host_cpus_near(pl, topology_node_by_os_index(t, p->host_nodes[n]), x);
                hwloc_bitmap_or(near, near, x);
        }
        hwloc_bitmap_and(near, near, p->host_cpus);
        bool local = !hwloc_bitmap_iszero(near);
        unsigned nearest = UINT_MAX;
        if (!local) {
                /* none left on the VM's node: the host CPUs of the nearest node(s) that have some
                 */
                int vm_node = topology_node_by_os_index(t, p->host_nodes[0]);
                for (unsigned i = 0; i < t->n_cores; i++) {
                        const TopoCore *c = &t->cores[i];
                        if (c->node < 0 || !hwloc_bitmap_intersects(c->cpus, p->host_cpus))
                                continue;
                        nearest =
                            MIN(nearest, node_distance(t, (unsigned) vm_node, (unsigned) c->node));
                }
                for (unsigned i = 0; i < t->n_cores; i++) {
                        const TopoCore *c = &t->cores[i];
                        if (c->node >= 0 &&
                            node_distance(t, (unsigned) vm_node, (unsigned) c->node) == nearest)
                                hwloc_bitmap_or(near, near, c->cpus);
                }
                hwloc_bitmap_and(near, near, p->host_cpus);
                if (hwloc_bitmap_iszero(near))
                        hwloc_bitmap_copy(near, p->host_cpus);
        }
        const char *where =
            local ? (t->hybrid ? "the host's CPUs of the VM's node (E cores preferred)"
                               : "the host's CPUs of the VM's node")
                  : "the host's CPUs of the nearest node (the VM's node has none left)";

        if (!p->emulator_dedicated) {
                hwloc_bitmap_copy(p->emulator_cpus, near);
                EXPLAIN(pl, "emulator on cpus %s: %s, never a vCPU's CPU", cpus_str(buf, near),
                        where);
        }
        if (p->iothreads > 0) {
                hwloc_bitmap_copy(p->iothread_cpus, near);
                EXPLAIN(pl, "%u iothread%s on cpus %s: %s", p->iothreads,
                        p->iothreads > 1 ? "s" : "", cpus_str(buf, near), where);
        }
        if (!local && t->n_nodes > 1) {
                SBuf b = {0};
                for (unsigned n = 0; n < p->n_host_nodes; n++)
                        sbuf_appendf(&b, "%s%u", n ? "," : "", p->host_nodes[n]);
                _cleanup_(freep) char *nodes = sbuf_steal(&b);
                WARN(pl,
                     "the VM takes every core of node%s %s, so the emulator%s on a remote node "
                     "(distance %u); use fewer --vcpus to leave a core there",
                     p->n_host_nodes > 1 ? "s" : "", nodes ? nodes : "?",
                     p->iothreads ? " and iothreads run" : " runs", nearest);
        }
        return 0;
}

static void list_reserved_host_cores(Planner *pl)
{
        /* The extra --host-cores: they are what is left; report which ones remain. */
        const Topology *t = pl->t;
        if (pl->reserve == 0)
                return;
        char buf[CPUSET_LIST_MAX];
        EXPLAIN(pl, "--host-cores %u: the host keeps cpus %s (at least %u whole cores)",
                pl->reserve + 1, cpus_str(buf, pl->p->host_cpus), pl->reserve + 1);
        (void) t;
}

static uint64_t page_size_for(HugepageChoice c)
{
        switch (c) {
        case HUGEPAGES_2M:
                return 2ULL << 20;
        case HUGEPAGES_1G:
                return 1ULL << 30;
        default:
                return 0;
        }
}

static bool node_supports_page(const TopoNode *n, uint64_t page)
{
        if (n->n_hugepages == 0)
                return true; /* unknown (synthetic): do not refuse */
        for (unsigned i = 0; i < n->n_hugepages; i++)
                if (n->hugepages[i].page_size == page)
                        return true;
        return false;
}

static int plan_memory(Planner *pl)
{
        const Topology *t = pl->t;
        const PlanRequest *req = pl->req;
        Plan *p = pl->p;
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX], c[FORMAT_BYTES_MAX], d[FORMAT_BYTES_MAX];

        /* memory nodes: the vCPUs' nodes, or the nearest with memory */
        for (unsigned i = 0; i < p->n_host_nodes; i++) {
                int n = topology_node_by_os_index(t, p->host_nodes[i]);
                int m = memory_node_for(t, n);
                if (m < 0)
                        return error_input(pl->err, "no NUMA node of this host has memory");
                if (m != n)
                        EXPLAIN(pl,
                                "node %u has no memory of its own (memoryless node); guest memory "
                                "comes from node %u, the nearest with memory (distance %u)",
                                p->host_nodes[i], t->nodes[m].os_index,
                                node_distance(t, (unsigned) n, (unsigned) m));
                bool dup = false;
                for (unsigned j = 0; j < p->n_mem_nodes; j++)
                        dup |= p->mem_nodes[j] == t->nodes[m].os_index;
                if (!dup)
                        p->mem_nodes[p->n_mem_nodes++] = t->nodes[m].os_index;
                if (i < p->n_cells)
                        p->cells[i].mem_node = t->nodes[m].os_index;
        }

        if (req->memory > PLAN_MEMORY_MAX)
                return error_input(pl->err, "--memory %s is absurd; at most %s",
                                   format_bytes(a, sizeof(a), req->memory),
                                   format_bytes(b, sizeof(b), PLAN_MEMORY_MAX));
        HugepageChoice hc = req->hugepages;
        if (req->memory == 0) {
                if (hc == HUGEPAGES_2M || hc == HUGEPAGES_1G)
                        return error_input(pl->err, "--hugepages needs --memory SIZE (the guest's "
                                                    "memory) to size the pages");
                if (p->n_cells > 1)
                        WARN(pl,
                             "the VM spans %u NUMA nodes but guest NUMA cells need sizes; give "
                             "--memory SIZE so the guest sees the host's nodes",
                             p->n_cells);
                return 0;
        }
        if (req->memory < (1ULL << 20) * 16)
                return error_input(pl->err,
                                   "--memory %s is too small for a guest; give at least 16M",
                                   format_bytes(a, sizeof(a), req->memory));
        p->memory = req->memory;
        if (hc == HUGEPAGES_DEFAULT)
                hc = HUGEPAGES_2M;
        p->page_size = page_size_for(hc);
        uint64_t unit = p->page_size ? p->page_size : (1ULL << 20);
        if (p->memory % unit != 0) {
                uint64_t lo = p->memory / unit * unit, hi = lo + unit;
                return error_input(
                    pl->err, "--memory %s is not a multiple of the %s %s; use %s or %s",
                    format_bytes(a, sizeof(a), p->memory), format_bytes(b, sizeof(b), unit),
                    p->page_size ? "hugepage size" : "MiB granularity",
                    format_bytes(c, sizeof(c), lo ? lo : hi),
                    format_bytes(d, sizeof(d), lo ? hi : hi + unit));
        }
        if (p->page_size) {
                for (unsigned i = 0; i < p->n_mem_nodes; i++) {
                        int n = topology_node_by_os_index(t, p->mem_nodes[i]);
                        if (!node_supports_page(&t->nodes[n], p->page_size))
                                return error_input(
                                    pl->err,
                                    "node %u has no %s hugepages (no hugepages-%llukB "
                                    "under /sys/devices/system/node/node%u/hugepages); "
                                    "use --hugepages 2M or none",
                                    p->mem_nodes[i], format_bytes(a, sizeof(a), p->page_size),
                                    (unsigned long long) (p->page_size >> 10), p->mem_nodes[i]);
                }
                EXPLAIN(pl,
                        "memory %s in %llu hugepages of %s: fewer TLB misses, never swapped or "
                        "merged",
                        format_bytes(a, sizeof(a), p->memory),
                        (unsigned long long) (p->memory / p->page_size),
                        format_bytes(b, sizeof(b), p->page_size));
        } else
                EXPLAIN(pl, "memory %s without hugepages, as asked",
                        format_bytes(a, sizeof(a), p->memory));

        /* per cell sizes, proportional to vCPUs, in whole pages */
        if (p->n_cells > 1) {
                uint64_t pages = p->memory / unit, given = 0;
                for (unsigned i = 0; i < p->n_cells; i++) {
                        uint64_t share = i + 1 == p->n_cells
                                             ? pages - given
                                             : pages * p->cells[i].n_vcpus / p->vcpus;
                        p->cells[i].memory = share * unit;
                        given += share;
                }
        }
        /* does it fit where it must come from? */
        for (unsigned i = 0; i < p->n_mem_nodes; i++) {
                int n = topology_node_by_os_index(t, p->mem_nodes[i]);
                uint64_t want = 0;
                if (p->n_cells > 1) {
                        for (unsigned j = 0; j < p->n_cells; j++)
                                if (p->cells[j].mem_node == p->mem_nodes[i])
                                        want += p->cells[j].memory;
                } else
                        want = p->memory;
                const TopoNode *tn = &t->nodes[n];
                if (tn->mem_total > 0 && want > tn->mem_total)
                        return error_input(pl->err,
                                           "guest memory %s does not fit node %u (%s in total); "
                                           "give less --memory%s",
                                           format_bytes(a, sizeof(a), want), tn->os_index,
                                           format_bytes(b, sizeof(b), tn->mem_total),
                                           t->n_nodes > 1 ? " or more vCPUs to span nodes" : "");
                uint64_t reserved = 0;
                for (unsigned h = 0; h < tn->n_hugepages; h++)
                        if (tn->hugepages[h].page_size == p->page_size)
                                reserved = tn->hugepages[h].free * p->page_size;
                if (tn->mem_total > 0 && want > tn->mem_free + reserved)
                        WARN(pl,
                             "node %u has %s free (and %s in free hugepages) for %s of guest "
                             "memory; the slice will have to compact or drop caches, or the VM "
                             "will not start",
                             tn->os_index, format_bytes(a, sizeof(a), tn->mem_free),
                             format_bytes(b, sizeof(b), reserved),
                             format_bytes(c, sizeof(c), want));
        }
        return 0;
}

int plan_compute(const Topology *t, const PlanRequest *req, Plan **ret, Error *err)
{
        _cleanup_(plan_freep) Plan *p = calloc(1, sizeof(Plan));
        _cleanup_(freep) CoreState *state = calloc(t->n_cores + 1, sizeof(CoreState));
        int r;

        if (!p || !state)
                return error_fail(err, -ENOMEM, "out of memory");
        p->vcpu_cpus = hwloc_bitmap_alloc();
        p->vm_cpus = hwloc_bitmap_alloc();
        p->emulator_cpus = hwloc_bitmap_alloc();
        p->iothread_cpus = hwloc_bitmap_alloc();
        p->host_cpus = hwloc_bitmap_alloc();
        if (!p->vcpu_cpus || !p->vm_cpus || !p->emulator_cpus || !p->iothread_cpus || !p->host_cpus)
                return error_fail(err, -ENOMEM, "out of memory");
        if (t->n_cores == 0)
                return error_input(err, "the host has no online core");
        if (req->iothreads > PLAN_IOTHREADS_MAX)
                return error_input(err, "--iothreads %u is absurd; at most %u", req->iothreads,
                                   PLAN_IOTHREADS_MAX);

        Planner pl = {.t = t, .req = req, .p = p, .err = err, .state = state};
        p->iothreads = req->iothreads;
        p->realtime = req->realtime;

        r = resolve_threads(&pl);
        if (r >= 0)
                r = resolve_vcpus(&pl);
        if (r >= 0)
                r = resolve_pci(&pl);
        if (r >= 0)
                r = resolve_host(&pl);
        if (r >= 0)
                r = choose_cores(&pl);
        if (r >= 0)
                r = assign_vcpus(&pl);
        if (r >= 0)
                r = choose_emulator(&pl);
        if (r >= 0) {
                compute_host_cpus(&pl);
                list_reserved_host_cores(&pl);
                r = place_threads(&pl);
        }
        if (r >= 0)
                r = plan_memory(&pl);
        if (r < 0)
                return err && err->code ? r : error_fail(err, r, "cannot plan: %s", strerror(-r));

        char buf[CPUSET_LIST_MAX];
        EXPLAIN(&pl, "vCPUs on cpus %s%s", cpus_str(buf, p->vcpu_cpus),
                hwloc_bitmap_isincluded(p->vcpu_cpus, t->isolated) &&
                        !hwloc_bitmap_iszero(t->isolated)
                    ? " (already isolated by the kernel command line)"
                    : "");
        EXPLAIN(&pl, "guest topology sockets=%u dies=%u cores=%u threads=%u%s", p->sockets, p->dies,
                p->cores, p->threads,
                p->dies > 1 ? ": one guest die per host L3 group, so the guest sees the cache split"
                : p->sockets > 1 ? ": one guest socket per host NUMA node"
                                 : "");
        if ((streq(t->vendor, "AuthenticAMD") || streq(t->vendor, "HygonGenuine")) &&
            p->threads == 2) {
                p->topoext = true;
                EXPLAIN(&pl, "topoext required: AMD guests only see SMT siblings with it");
        }
        if (req->realtime) {
                EXPLAIN(&pl, "vcpusched fifo priority 1 on all vCPUs, as asked");
                WARN(
                    &pl,
                    "--realtime: SCHED_FIFO vCPUs can starve the kernel threads of their CPUs, and "
                    "the kernel then keeps the tick on (NO_HZ_FULL off); use it only on CPUs "
                    "isolated "
                    "from kernel threads, and benchmark: a badly set up fifo guest is worse than "
                    "none");
                if (!hwloc_bitmap_isincluded(p->vcpu_cpus, t->isolated))
                        WARN(&pl,
                             "--realtime: cpus %s are not isolated on the kernel command line "
                             "(isolcpus/nohz_full); the runtime slice must shield them",
                             cpus_str(buf, p->vcpu_cpus));
        }
        *ret = TAKE_PTR(p);
        return 0;
}
