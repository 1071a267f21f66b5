/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cpuset-util.h"
#include "json-writer.h"
#include "parse-util.h"
#include "topology.h"

static const CliOption options[] = {
    {"json", no_argument, 'j', 0, NULL, "machine-readable output (documented in docs/json.md)"},
    CLI_OPTION_HELP,
    {},
};

static const CliOptionGroup groups[] = {
    {NULL, options},
    {},
};

static void help(void)
{
        printf(
            "Usage: vmslice [--root DIR] topo [--json]\n\n"
            "Shows the host as the planner sees it: packages, dies, NUMA nodes (memory, free\n"
            "memory, hugepages per size, distances), L3 groups with their size, cores with their\n"
            "sibling CPUs (P/E on hybrid parts), offline CPUs, CPUs the kernel already isolates\n"
            "(isolcpus=, nohz_full=, /sys/devices/system/cpu/isolated) and the PCI devices that\n"
            "matter for placement (GPUs, NICs, NVMe, devices bound to vfio-pci) with their "
            "node.\n\n");
        cli_options_help(stdout, groups);
}

static const char *list(char *buf, hwloc_const_bitmap_t set)
{
        return cpuset_to_list(buf, CPUSET_LIST_MAX, set);
}

static void print_hugepages(const TopoNode *n)
{
        char sz[FORMAT_BYTES_MAX];
        for (unsigned i = 0; i < n->n_hugepages; i++) {
                const TopoHugepages *h = &n->hugepages[i];
                printf("%s%s %llu/%llu free", i ? ", " : "; hugepages ",
                       format_bytes(sz, sizeof(sz), h->page_size), (unsigned long long) h->free,
                       (unsigned long long) h->total);
        }
}

static void print_node_line(const Topology *t, const TopoNode *n, const char *indent)
{
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX];
        printf("%snode %u: ", indent, n->os_index);
        if (n->mem_total == 0)
                printf("no memory (memoryless node)");
        else
                printf("%s, %s free", format_bytes(a, sizeof(a), n->mem_total),
                       format_bytes(b, sizeof(b), n->mem_free));
        print_hugepages(n);
        printf("\n");
}

static void print_cores(const Topology *t, hwloc_const_bitmap_t scope, int l3, const char *indent)
{
        char buf[CPUSET_LIST_MAX];
        unsigned col = 0, n = 0;
        for (unsigned i = 0; i < t->n_cores; i++) {
                const TopoCore *c = &t->cores[i];
                if (c->l3 != l3 || !hwloc_bitmap_isincluded(c->cpus, scope))
                        continue;
                n++;
        }
        if (n == 0)
                return;
        printf("%s", indent);
        col = (unsigned) strlen(indent);
        for (unsigned i = 0; i < t->n_cores; i++) {
                const TopoCore *c = &t->cores[i];
                if (c->l3 != l3 || !hwloc_bitmap_isincluded(c->cpus, scope))
                        continue;
                char item[CPUSET_LIST_MAX + 8];
                size_t used = 0;
                int cpu;
                buf[0] = 0;
                hwloc_bitmap_foreach_begin (cpu, c->cpus) {
                        if (used + 12 < sizeof(buf))
                                used += (size_t) snprintf(buf + used, sizeof(buf) - used, "%s%d",
                                                          used ? "," : "", cpu);
                }
                hwloc_bitmap_foreach_end();
                snprintf(item, sizeof(item), "%s[%s]",
                         c->kind == CORE_KIND_UNIFORM ? "" : core_kind_to_string(c->kind), buf);
                size_t len = strlen(item) + 1;
                if (col + len > 100) {
                        printf("\n%s", indent);
                        col = (unsigned) strlen(indent);
                }
                printf("%s%s", col > strlen(indent) ? " " : "", item);
                col += (unsigned) len;
        }
        printf("\n");
}

static void print_l3s(const Topology *t, hwloc_const_bitmap_t scope, const char *indent)
{
        char sz[FORMAT_BYTES_MAX], ind2[64];
        snprintf(ind2, sizeof(ind2), "%s  ", indent);
        for (unsigned l = 0; l < t->n_l3s; l++) {
                const TopoL3 *g = &t->l3s[l];
                if (!hwloc_bitmap_intersects(g->cpus, scope))
                        continue;
                unsigned cores = 0;
                for (unsigned i = 0; i < t->n_cores; i++)
                        if (t->cores[i].l3 == (int) l &&
                            hwloc_bitmap_isincluded(t->cores[i].cpus, scope))
                                cores++;
                printf("%sL3 #%u %s, %u cores:\n", indent, g->index,
                       format_bytes(sz, sizeof(sz), g->size), cores);
                print_cores(t, scope, (int) l, ind2);
        }
        bool orphan = false;
        for (unsigned i = 0; i < t->n_cores; i++)
                orphan |= t->cores[i].l3 < 0 && hwloc_bitmap_isincluded(t->cores[i].cpus, scope);
        if (orphan) {
                printf("%sno L3:\n", indent);
                print_cores(t, scope, -1, ind2);
        }
}

static void print_human(const Topology *t)
{
        char buf[CPUSET_LIST_MAX];
        unsigned online = (unsigned) hwloc_bitmap_weight(t->online);

        printf("%s (%s)\n", t->model_name, t->vendor);
        printf("%u package%s, %u NUMA node%s, %u L3 group%s, %u cores, %u CPUs online%s%s\n",
               t->n_packages, t->n_packages == 1 ? "" : "s", t->n_nodes, t->n_nodes == 1 ? "" : "s",
               t->n_l3s, t->n_l3s == 1 ? "" : "s", t->n_cores, online, t->smt ? ", SMT" : "",
               t->hybrid ? ", hybrid (P/E cores)" : "");
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t scope = hwloc_bitmap_alloc();
        if (!scope)
                return;
        for (unsigned p = 0; p < t->n_packages; p++) {
                const TopoGroup *pkg = &t->packages[p];
                printf("package %u: cpus %s\n", pkg->os_index, list(buf, pkg->cpus));
                unsigned dies_here = 0;
                for (unsigned d = 0; d < t->n_dies; d++)
                        if (hwloc_bitmap_isincluded(t->dies[d].cpus, pkg->cpus))
                                dies_here++;
                for (unsigned d = 0; d < t->n_dies; d++) {
                        const TopoGroup *die = &t->dies[d];
                        if (!hwloc_bitmap_isincluded(die->cpus, pkg->cpus))
                                continue;
                        const char *ind = "  ";
                        if (dies_here > 1) {
                                printf("  die %u: cpus %s\n", die->os_index, list(buf, die->cpus));
                                ind = "    ";
                        }
                        for (unsigned n = 0; n < t->n_nodes; n++) {
                                const TopoNode *node = &t->nodes[n];
                                hwloc_bitmap_and(scope, node->cpus, die->cpus);
                                if (hwloc_bitmap_iszero(scope))
                                        continue;
                                print_node_line(t, node, ind);
                                char ind2[16];
                                snprintf(ind2, sizeof(ind2), "%s  ", ind);
                                print_l3s(t, scope, ind2);
                        }
                        if (t->n_nodes == 0) {
                                char ind2[16];
                                snprintf(ind2, sizeof(ind2), "%s  ", ind);
                                print_l3s(t, die->cpus, ind2);
                        }
                }
        }
        for (unsigned n = 0; n < t->n_nodes; n++)
                if (hwloc_bitmap_iszero(t->nodes[n].cpus))
                        print_node_line(t, &t->nodes[n], "memory-only ");
        if (t->n_nodes > 1) {
                printf("node distances:");
                for (unsigned n = 0; n < t->n_nodes; n++) {
                        printf("%s node %u:", n ? ";" : "", t->nodes[n].os_index);
                        for (unsigned m = 0; m < t->n_nodes; m++)
                                printf(" %u", t->nodes[n].distances ? t->nodes[n].distances[m] : 0);
                }
                printf("\n");
        }
        printf("offline CPUs: %s\n", list(buf, t->offline));
        printf("isolated CPUs: %s", list(buf, t->isolated));
        if (!hwloc_bitmap_iszero(t->isolated)) {
                char a[CPUSET_LIST_MAX], b[CPUSET_LIST_MAX], c[CPUSET_LIST_MAX];
                printf(" (isolcpus=%s, nohz_full=%s, sysfs isolated=%s)", list(a, t->isolcpus),
                       list(b, t->nohz_full), list(c, t->isolated_sysfs));
        }
        printf("\n");
        if (t->n_pci == 0) {
                printf("PCI devices: none that matter for placement\n");
                return;
        }
        printf("PCI devices:\n");
        for (unsigned i = 0; i < t->n_pci; i++) {
                const TopoPci *d = &t->pci[i];
                char node[16];
                if (d->numa_node < 0)
                        snprintf(node, sizeof(node), "none");
                else
                        snprintf(node, sizeof(node), "%d", d->numa_node);
                printf("  %s %-5s %04x:%04x class %06x driver %-10s node %s\n", d->addr,
                       pci_kind_to_string(d->kind), d->vendor, d->device, d->class_code,
                       d->driver ? d->driver : "none", node);
        }
}

static char *to_json(const Topology *t)
{
        JsonWriter w = {0};
        char hex[16];

        json_begin_object(&w, NULL);
        json_uint(&w, "version", 1);
        json_begin_object(&w, "cpu");
        json_string(&w, "vendor", t->vendor);
        json_string(&w, "model", t->model_name);
        json_bool(&w, "smt", t->smt);
        json_bool(&w, "hybrid", t->hybrid);
        json_end_object(&w);

        json_begin_object(&w, "cpus");
        json_cpuset(&w, "online", t->online);
        json_cpuset(&w, "offline", t->offline);
        json_cpuset(&w, "possible", t->possible);
        json_cpuset(&w, "isolated", t->isolated);
        json_cpuset(&w, "isolcpus", t->isolcpus);
        json_cpuset(&w, "nohz_full", t->nohz_full);
        json_cpuset(&w, "isolated_sysfs", t->isolated_sysfs);
        json_end_object(&w);

        json_begin_array(&w, "packages");
        for (unsigned i = 0; i < t->n_packages; i++) {
                json_begin_object(&w, NULL);
                json_uint(&w, "id", t->packages[i].os_index);
                json_cpuset(&w, "cpus", t->packages[i].cpus);
                json_end_object(&w);
        }
        json_end_array(&w);

        json_begin_array(&w, "dies");
        for (unsigned i = 0; i < t->n_dies; i++) {
                json_begin_object(&w, NULL);
                json_uint(&w, "index", i);
                json_uint(&w, "id", t->dies[i].os_index);
                json_cpuset(&w, "cpus", t->dies[i].cpus);
                json_end_object(&w);
        }
        json_end_array(&w);

        json_begin_array(&w, "nodes");
        for (unsigned i = 0; i < t->n_nodes; i++) {
                const TopoNode *n = &t->nodes[i];
                json_begin_object(&w, NULL);
                json_uint(&w, "id", n->os_index);
                json_cpuset(&w, "cpus", n->cpus);
                json_uint(&w, "memory_bytes", n->mem_total);
                json_uint(&w, "free_bytes", n->mem_free);
                json_begin_array(&w, "distances");
                for (unsigned j = 0; j < t->n_nodes && n->distances; j++)
                        json_uint(&w, NULL, n->distances[j]);
                json_end_array(&w);
                json_begin_array(&w, "hugepages");
                for (unsigned h = 0; h < n->n_hugepages; h++) {
                        json_begin_object(&w, NULL);
                        json_uint(&w, "page_size_bytes", n->hugepages[h].page_size);
                        json_uint(&w, "total", n->hugepages[h].total);
                        json_uint(&w, "free", n->hugepages[h].free);
                        json_uint(&w, "surplus", n->hugepages[h].surplus);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_end_object(&w);
        }
        json_end_array(&w);

        json_begin_array(&w, "l3");
        for (unsigned i = 0; i < t->n_l3s; i++) {
                const TopoL3 *l = &t->l3s[i];
                json_begin_object(&w, NULL);
                json_uint(&w, "index", i);
                json_uint(&w, "size_bytes", l->size);
                if (l->node >= 0)
                        json_uint(&w, "node", t->nodes[l->node].os_index);
                else
                        json_null(&w, "node");
                json_uint(&w, "cores", l->n_cores);
                json_cpuset(&w, "cpus", l->cpus);
                json_end_object(&w);
        }
        json_end_array(&w);

        json_begin_array(&w, "cores");
        for (unsigned i = 0; i < t->n_cores; i++) {
                const TopoCore *c = &t->cores[i];
                json_begin_object(&w, NULL);
                json_uint(&w, "index", i);
                json_uint(&w, "core_id", c->core_id);
                json_uint(&w, "package", t->packages[c->package].os_index);
                json_uint(&w, "die", c->die);
                if (c->node >= 0)
                        json_uint(&w, "node", t->nodes[c->node].os_index);
                else
                        json_null(&w, "node");
                if (c->l3 >= 0)
                        json_uint(&w, "l3", (unsigned) c->l3);
                else
                        json_null(&w, "l3");
                json_string(&w, "kind", core_kind_to_string(c->kind));
                json_begin_array(&w, "cpus");
                int cpu;
                hwloc_bitmap_foreach_begin (cpu, c->cpus) {
                        json_uint(&w, NULL, (unsigned) cpu);
                }
                hwloc_bitmap_foreach_end();
                json_end_array(&w);
                json_end_object(&w);
        }
        json_end_array(&w);

        json_begin_array(&w, "pci");
        for (unsigned i = 0; i < t->n_pci; i++) {
                const TopoPci *d = &t->pci[i];
                json_begin_object(&w, NULL);
                json_string(&w, "address", d->addr);
                json_string(&w, "kind", pci_kind_to_string(d->kind));
                snprintf(hex, sizeof(hex), "0x%06x", d->class_code);
                json_string(&w, "class", hex);
                snprintf(hex, sizeof(hex), "0x%04x", d->vendor);
                json_string(&w, "vendor", hex);
                snprintf(hex, sizeof(hex), "0x%04x", d->device);
                json_string(&w, "device", hex);
                json_string(&w, "driver", d->driver);
                json_int(&w, "numa_node", d->numa_node);
                json_cpuset(&w, "local_cpus", d->local_cpus);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        return json_steal(&w);
}

int verb_topo(const CliContext *ctx, int argc, char **argv)
{
        CliGetopt g;
        cli_getopt_init(&g, groups);
        bool json = false;
        int c;

        while ((c = cli_getopt(&g, argc, argv)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return cli_bad_option("topo", argv);
                }
        if (optind < argc)
                return cli_errorf(EXIT_USAGE, "topo takes no arguments (got '%s')", argv[optind]);

        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = NULL;
        int r = cli_open_topology(ctx, &h, &t);
        if (r != 0)
                return r;
        if (json) {
                _cleanup_(freep) char *s = to_json(t);
                if (!s)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                fputs(s, stdout);
        } else
                print_human(t);
        return EXIT_OK;
}
