/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "topology.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

const char *core_kind_to_string(CoreKind k)
{
        switch (k) {
        case CORE_KIND_P:
                return "P";
        case CORE_KIND_E:
                return "E";
        default:
                return "uniform";
        }
}

static const char *const pci_kind_names[_PCI_KIND_MAX] = {
    [PCI_KIND_OTHER] = "other", [PCI_KIND_GPU] = "gpu",   [PCI_KIND_AUDIO] = "audio",
    [PCI_KIND_NIC] = "nic",     [PCI_KIND_NVME] = "nvme", [PCI_KIND_USB] = "usb",
};

const char *pci_kind_to_string(PciKind k)
{
        return k >= 0 && k < _PCI_KIND_MAX ? pci_kind_names[k] : "other";
}

static void group_array_free(TopoGroup *g, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                hwloc_bitmap_free(g[i].cpus);
        free(g);
}

Topology *topology_free(Topology *t)
{
        if (!t)
                return NULL;
        free(t->vendor);
        free(t->model_name);
        hwloc_bitmap_free(t->online);
        hwloc_bitmap_free(t->offline);
        hwloc_bitmap_free(t->possible);
        hwloc_bitmap_free(t->isolated);
        hwloc_bitmap_free(t->isolcpus);
        hwloc_bitmap_free(t->nohz_full);
        hwloc_bitmap_free(t->isolated_sysfs);
        group_array_free(t->packages, t->n_packages);
        group_array_free(t->dies, t->n_dies);
        for (unsigned i = 0; i < t->n_nodes; i++) {
                hwloc_bitmap_free(t->nodes[i].cpus);
                free(t->nodes[i].distances);
        }
        free(t->nodes);
        for (unsigned i = 0; i < t->n_l3s; i++)
                hwloc_bitmap_free(t->l3s[i].cpus);
        free(t->l3s);
        for (unsigned i = 0; i < t->n_cores; i++)
                hwloc_bitmap_free(t->cores[i].cpus);
        free(t->cores);
        for (unsigned i = 0; i < t->n_pci; i++) {
                free(t->pci[i].driver);
                hwloc_bitmap_free(t->pci[i].local_cpus);
        }
        free(t->pci);
        free(t->cpu_to_core);
        free(t);
        return NULL;
}

static Topology *topology_alloc(void)
{
        Topology *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->online = hwloc_bitmap_alloc();
        t->offline = hwloc_bitmap_alloc();
        t->possible = hwloc_bitmap_alloc();
        t->isolated = hwloc_bitmap_alloc();
        t->isolcpus = hwloc_bitmap_alloc();
        t->nohz_full = hwloc_bitmap_alloc();
        t->isolated_sysfs = hwloc_bitmap_alloc();
        if (!t->online || !t->offline || !t->possible || !t->isolated || !t->isolcpus ||
            !t->nohz_full || !t->isolated_sysfs)
                return topology_free(t);
        return t;
}

int topology_core_of_cpu(const Topology *t, unsigned cpu)
{
        if (cpu >= t->n_cpu_to_core || t->cpu_to_core[cpu] == UINT_MAX)
                return -1;
        return (int) t->cpu_to_core[cpu];
}

int topology_node_by_os_index(const Topology *t, unsigned os_index)
{
        for (unsigned i = 0; i < t->n_nodes; i++)
                if (t->nodes[i].os_index == os_index)
                        return (int) i;
        return -1;
}

const TopoPci *topology_find_pci(const Topology *t, const char *addr)
{
        char norm[16];
        if (pci_addr_normalize(addr, norm) < 0)
                return NULL;
        for (unsigned i = 0; i < t->n_pci; i++)
                if (streq(t->pci[i].addr, norm))
                        return &t->pci[i];
        return NULL;
}

int pci_addr_normalize(const char *in, char out[static 16])
{
        unsigned dom = 0, bus, dev, fn;
        int n = 0;
        size_t len = strlen(in);

        for (size_t i = 0; i < len; i++)
                if (!isxdigit((unsigned char) in[i]) && in[i] != ':' && in[i] != '.')
                        return -EINVAL;
        if (sscanf(in, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) == 4 && (size_t) n == len) {
                /* full form */
        } else if (sscanf(in, "%x:%x.%x%n", &bus, &dev, &fn, &n) == 3 && (size_t) n == len)
                dom = 0;
        else
                return -EINVAL;
        if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
                return -EINVAL;
        snprintf(out, 16, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
        return 0;
}

/* ---- structure from hwloc ---- */

static int collect_groups(hwloc_topology_t ht, hwloc_obj_type_t type, TopoGroup **ret,
                          unsigned *ret_n)
{
        int n = hwloc_get_nbobjs_by_type(ht, type);
        if (n <= 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        TopoGroup *g = calloc((size_t) n, sizeof(*g));
        if (!g)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                hwloc_obj_t o = hwloc_get_obj_by_type(ht, type, (unsigned) i);
                g[i].index = (unsigned) i;
                g[i].os_index = o->os_index;
                g[i].cpus = hwloc_bitmap_dup(o->cpuset);
                if (!g[i].cpus) {
                        group_array_free(g, (unsigned) i);
                        return -ENOMEM;
                }
        }
        *ret = g;
        *ret_n = (unsigned) n;
        return 0;
}

static unsigned group_index_of(const TopoGroup *g, unsigned n, hwloc_const_bitmap_t cpus)
{
        for (unsigned i = 0; i < n; i++)
                if (hwloc_bitmap_isincluded(cpus, g[i].cpus))
                        return i;
        return 0;
}

static int cmp_core_first_cpu(const void *a, const void *b)
{
        const TopoCore *x = a, *y = b;
        return x->first_cpu < y->first_cpu ? -1 : x->first_cpu > y->first_cpu;
}

static int collect_core_kinds(hwloc_topology_t ht, Topology *t)
{
        int nr = hwloc_cpukinds_get_nr(ht, 0);
        if (nr <= 1)
                return 0;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
                return -ENOMEM;
        t->hybrid = true;
        for (int k = 0; k < nr; k++) {
                int efficiency = -1;
                unsigned n_infos = 0;
                struct hwloc_info_s *infos = NULL;
                if (hwloc_cpukinds_get_info(ht, (unsigned) k, set, &efficiency, &n_infos, &infos,
                                            0) < 0)
                        continue;
                /* Kinds come sorted by efficiency, the most performant last. When the efficiencies
                 * are unknown, Intel's CoreType info tells atoms from cores. */
                CoreKind kind = k == nr - 1 ? CORE_KIND_P : CORE_KIND_E;
                if (efficiency < 0) {
                        kind = CORE_KIND_P;
                        for (unsigned i = 0; i < n_infos; i++)
                                if (streq(infos[i].name, "CoreType") &&
                                    streq(infos[i].value, "IntelAtom"))
                                        kind = CORE_KIND_E;
                }
                for (unsigned c = 0; c < t->n_cores; c++)
                        if (hwloc_bitmap_intersects(t->cores[c].cpus, set))
                                t->cores[c].kind = kind;
        }
        return 0;
}

static int structure_from_hwloc(hwloc_topology_t ht, Topology *t)
{
        int r;

        hwloc_bitmap_copy(t->online, hwloc_topology_get_topology_cpuset(ht));
        hwloc_bitmap_copy(t->possible, hwloc_topology_get_complete_cpuset(ht));
        hwloc_bitmap_andnot(t->offline, t->possible, t->online);

        r = collect_groups(ht, HWLOC_OBJ_PACKAGE, &t->packages, &t->n_packages);
        if (r < 0)
                return r;
        r = collect_groups(ht, HWLOC_OBJ_DIE, &t->dies, &t->n_dies);
        if (r < 0)
                return r;
        if (t->n_dies == 0) { /* one die per package: hwloc merged them away */
                r = collect_groups(ht, HWLOC_OBJ_PACKAGE, &t->dies, &t->n_dies);
                if (r < 0)
                        return r;
        }
        if (t->n_packages == 0) { /* synthetic or odd trees: the whole machine is one package */
                t->packages = calloc(1, sizeof(TopoGroup));
                if (!t->packages || !(t->packages[0].cpus = hwloc_bitmap_dup(t->online)))
                        return -ENOMEM;
                t->n_packages = 1;
                if (t->n_dies == 0) {
                        t->dies = calloc(1, sizeof(TopoGroup));
                        if (!t->dies || !(t->dies[0].cpus = hwloc_bitmap_dup(t->online)))
                                return -ENOMEM;
                        t->n_dies = 1;
                }
        }

        /* NUMA nodes, with CPU-less and memoryless ones */
        int nn = hwloc_get_nbobjs_by_type(ht, HWLOC_OBJ_NUMANODE);
        if (nn > 0) {
                t->nodes = calloc((size_t) nn, sizeof(TopoNode));
                if (!t->nodes)
                        return -ENOMEM;
                for (int i = 0; i < nn; i++) {
                        hwloc_obj_t o = hwloc_get_obj_by_type(ht, HWLOC_OBJ_NUMANODE, (unsigned) i);
                        TopoNode *n = &t->nodes[t->n_nodes++];
                        n->index = (unsigned) i;
                        n->os_index = o->os_index;
                        n->cpus = hwloc_bitmap_alloc();
                        if (!n->cpus)
                                return -ENOMEM;
                        hwloc_bitmap_and(n->cpus, o->cpuset, t->online);
                        n->mem_total = o->attr->numanode.local_memory;
                        n->mem_free = n->mem_total;
                        for (unsigned p = 0; p < o->attr->numanode.page_types_len &&
                                             n->n_hugepages < TOPO_HUGEPAGE_SIZES_MAX;
                             p++) {
                                uint64_t size = o->attr->numanode.page_types[p].size;
                                if (size <= 4096 * 4)
                                        continue; /* the base page */
                                TopoHugepages *hp = &n->hugepages[n->n_hugepages++];
                                hp->page_size = size;
                                hp->total = o->attr->numanode.page_types[p].count;
                                hp->free = hp->total;
                        }
                }
                /* hwloc's NUMA distances, when the OS reports them */
                unsigned nr = 1;
                struct hwloc_distances_s *dist = NULL;
                if (hwloc_distances_get_by_type(ht, HWLOC_OBJ_NUMANODE, &nr, &dist,
                                                HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) == 0 &&
                    nr == 1) {
                        for (unsigned i = 0; i < t->n_nodes; i++) {
                                t->nodes[i].distances = calloc(t->n_nodes, sizeof(unsigned));
                                if (!t->nodes[i].distances) {
                                        hwloc_distances_release(ht, dist);
                                        return -ENOMEM;
                                }
                        }
                        for (unsigned a = 0; a < dist->nbobjs; a++)
                                for (unsigned b = 0; b < dist->nbobjs; b++) {
                                        int ia =
                                            topology_node_by_os_index(t, dist->objs[a]->os_index);
                                        int ib =
                                            topology_node_by_os_index(t, dist->objs[b]->os_index);
                                        if (ia >= 0 && ib >= 0)
                                                t->nodes[ia].distances[ib] =
                                                    (unsigned) dist->values[a * dist->nbobjs + b];
                                }
                        hwloc_distances_release(ht, dist);
                }
        }

        /* L3 groups */
        int nl = hwloc_get_nbobjs_by_type(ht, HWLOC_OBJ_L3CACHE);
        if (nl > 0) {
                t->l3s = calloc((size_t) nl, sizeof(TopoL3));
                if (!t->l3s)
                        return -ENOMEM;
                for (int i = 0; i < nl; i++) {
                        hwloc_obj_t o = hwloc_get_obj_by_type(ht, HWLOC_OBJ_L3CACHE, (unsigned) i);
                        TopoL3 *l = &t->l3s[t->n_l3s++];
                        l->index = (unsigned) i;
                        l->os_index = o->os_index;
                        l->size = o->attr->cache.size;
                        l->cpus = hwloc_bitmap_dup(o->cpuset);
                        if (!l->cpus)
                                return -ENOMEM;
                        l->node = -1;
                        for (unsigned n = 0; n < t->n_nodes; n++)
                                if (!hwloc_bitmap_iszero(t->nodes[n].cpus) &&
                                    hwloc_bitmap_isincluded(l->cpus, t->nodes[n].cpus))
                                        l->node = (int) n;
                }
        }

        /* cores: hwloc builds them from the kernel's thread_siblings lists */
        int nc = hwloc_get_nbobjs_by_type(ht, HWLOC_OBJ_CORE);
        if (nc <= 0) { /* no core information: every PU is its own core */
                nc = hwloc_get_nbobjs_by_type(ht, HWLOC_OBJ_PU);
                if (nc <= 0)
                        return -ENODATA;
        }
        hwloc_obj_type_t core_type =
            hwloc_get_nbobjs_by_type(ht, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
        t->cores = calloc((size_t) nc, sizeof(TopoCore));
        if (!t->cores)
                return -ENOMEM;
        for (int i = 0; i < nc; i++) {
                hwloc_obj_t o = hwloc_get_obj_by_type(ht, core_type, (unsigned) i);
                if (!hwloc_bitmap_intersects(o->cpuset, t->online))
                        continue;
                TopoCore *c = &t->cores[t->n_cores++];
                c->cpus = hwloc_bitmap_alloc();
                if (!c->cpus)
                        return -ENOMEM;
                hwloc_bitmap_and(c->cpus, o->cpuset, t->online);
                c->n_cpus = (unsigned) hwloc_bitmap_weight(c->cpus);
                c->first_cpu = (unsigned) hwloc_bitmap_first(c->cpus);
                c->core_id = core_type == HWLOC_OBJ_CORE ? o->os_index : c->first_cpu;
                c->package = group_index_of(t->packages, t->n_packages, c->cpus);
                c->die = group_index_of(t->dies, t->n_dies, c->cpus);
                c->node = -1;
                for (unsigned n = 0; n < t->n_nodes; n++)
                        if (hwloc_bitmap_intersects(c->cpus, t->nodes[n].cpus)) {
                                c->node = (int) n;
                                break;
                        }
                c->l3 = -1;
                for (unsigned l = 0; l < t->n_l3s; l++)
                        if (hwloc_bitmap_intersects(c->cpus, t->l3s[l].cpus)) {
                                c->l3 = (int) l;
                                t->l3s[l].n_cores++;
                                break;
                        }
                if (c->n_cpus > 1)
                        t->smt = true;
        }
        qsort(t->cores, t->n_cores, sizeof(TopoCore), cmp_core_first_cpu);

        int last = hwloc_bitmap_last(t->possible);
        if (last < 0)
                last = hwloc_bitmap_last(t->online);
        t->n_cpu_to_core = (unsigned) (last + 1);
        t->cpu_to_core = malloc(sizeof(unsigned) * t->n_cpu_to_core);
        if (!t->cpu_to_core)
                return -ENOMEM;
        for (unsigned i = 0; i < t->n_cpu_to_core; i++)
                t->cpu_to_core[i] = UINT_MAX;
        for (unsigned i = 0; i < t->n_cores; i++) {
                t->cores[i].index = i;
                int cpu;
                hwloc_bitmap_foreach_begin (cpu, t->cores[i].cpus) {
                        if ((unsigned) cpu < t->n_cpu_to_core)
                                t->cpu_to_core[cpu] = i;
                }
                hwloc_bitmap_foreach_end();
        }

        r = collect_core_kinds(ht, t);
        if (r < 0)
                return r;

        hwloc_obj_t root = hwloc_get_root_obj(ht);
        hwloc_obj_t pkg = hwloc_get_obj_by_type(ht, HWLOC_OBJ_PACKAGE, 0);
        const char *vendor = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUVendor") : NULL;
        const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
        if (!vendor)
                vendor = hwloc_obj_get_info_by_name(root, "CPUVendor");
        if (!model)
                model = hwloc_obj_get_info_by_name(root, "CPUModel");
        t->vendor = strdup(vendor ? vendor : "unknown");
        t->model_name = strdup(model ? model : "unknown CPU");
        if (!t->vendor || !t->model_name)
                return -ENOMEM;
        return 0;
}

int topology_from_hwloc(hwloc_topology_t ht, Topology **ret, Error *err)
{
        _cleanup_(topology_freep) Topology *t = topology_alloc();
        if (!t)
                return error_fail(err, -ENOMEM, "out of memory");
        int r = structure_from_hwloc(ht, t);
        if (r < 0)
                return error_fail(err, r, "cannot build the topology: %s", strerror(-r));
        *ret = TAKE_PTR(t);
        return 0;
}

/* ---- what hwloc does not model, straight from sysfs/procfs ---- */

/* Finds "key=" options on the kernel command line; the last one wins, as in the kernel. CPU lists
 * may carry flags in front ("isolcpus=managed_irq,domain,2-5"); only lists whose flags include
 * the domain isolation (or have no flags) isolate from the scheduler. */
static int parse_cmdline_cpus(const char *cmdline, const char *key, bool domain_only,
                              hwloc_bitmap_t ret)
{
        _cleanup_(freep) char *copy = strdup(cmdline);
        if (!copy)
                return -ENOMEM;
        size_t klen = strlen(key);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
                if (strncmp(w, key, klen) != 0 || w[klen] != '=')
                        continue;
                char *v = w + klen + 1;
                bool flags = false, domain = false;
                while (isalpha((unsigned char) *v)) { /* leading flag words */
                        size_t l = strcspn(v, ",");
                        flags = true;
                        if (l == 6 && strncmp(v, "domain", 6) == 0)
                                domain = true;
                        v += l;
                        if (*v != ',')
                                break;
                        v++;
                }
                /* without flags isolcpus= means domain isolation; with flags only "domain" does */
                if (!flags)
                        domain = true;
                if (domain_only && !domain) {
                        hwloc_bitmap_zero(ret);
                        continue;
                }
                if (cpuset_parse_list(v, ret) < 0)
                        hwloc_bitmap_zero(ret); /* the kernel ignores bad lists too */
        }
        return 0;
}

static int read_isolation(Host *h, Topology *t)
{
        _cleanup_(freep) char *cmdline = NULL;
        int r;

        r = host_read_line(h, "/proc/cmdline", &cmdline);
        if (r >= 0) {
                r = parse_cmdline_cpus(cmdline, "isolcpus", true, t->isolcpus);
                if (r < 0)
                        return r;
                r = parse_cmdline_cpus(cmdline, "nohz_full", false, t->nohz_full);
                if (r < 0)
                        return r;
        }
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t s = hwloc_bitmap_alloc();
        if (!s)
                return -ENOMEM;
        if (host_read_cpuset(h, "/sys/devices/system/cpu/nohz_full", s) >= 0)
                hwloc_bitmap_or(t->nohz_full, t->nohz_full, s);
        (void) host_read_cpuset(h, "/sys/devices/system/cpu/isolated", t->isolated_sysfs);
        hwloc_bitmap_or(t->isolated, t->isolcpus, t->nohz_full);
        hwloc_bitmap_or(t->isolated, t->isolated, t->isolated_sysfs);
        hwloc_bitmap_and(t->isolated, t->isolated, t->online);
        return 0;
}

static int read_offline(Host *h, Topology *t)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t s = hwloc_bitmap_alloc();
        if (!s)
                return -ENOMEM;
        if (host_read_cpuset(h, "/sys/devices/system/cpu/offline", s) >= 0) {
                hwloc_bitmap_or(t->offline, t->offline, s);
                hwloc_bitmap_andnot(t->offline, t->offline, t->online);
                hwloc_bitmap_or(t->possible, t->possible, s);
        }
        return 0;
}

static uint64_t meminfo_field(const char *text, const char *field)
{
        const char *p = strstr(text, field);
        if (!p)
                return 0;
        p += strlen(field);
        while (*p == ':' || *p == ' ' || *p == '\t')
                p++;
        return strtoull(p, NULL, 10);
}

static int read_node_memory(Host *h, Topology *t)
{
        for (unsigned i = 0; i < t->n_nodes; i++) {
                TopoNode *n = &t->nodes[i];
                char path[128];
                _cleanup_(freep) char *meminfo = NULL;

                snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/meminfo",
                         n->os_index);
                if (host_read_file(h, path, 1024 * 1024, &meminfo) >= 0) {
                        uint64_t total = meminfo_field(meminfo, " MemTotal");
                        if (total > 0 || n->mem_total == 0)
                                n->mem_total = total * 1024;
                        n->mem_free = meminfo_field(meminfo, " MemFree") * 1024;
                }

                _cleanup_(strv_freep) char **sizes = NULL;
                snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/hugepages",
                         n->os_index);
                if (host_list_dir(h, path, &sizes) < 0)
                        continue;
                n->n_hugepages = 0;
                for (char **s = sizes; *s && n->n_hugepages < TOPO_HUGEPAGE_SIZES_MAX; s++) {
                        unsigned long long kb;
                        char tail[4];
                        if (sscanf(*s, "hugepages-%llukB%3s", &kb, tail) != 1)
                                continue;
                        TopoHugepages *hp = &n->hugepages[n->n_hugepages++];
                        *hp = (TopoHugepages){.page_size = (uint64_t) kb * 1024};
                        (void) host_read_u64f(h, &hp->total, "%s/%s/nr_hugepages", path, *s);
                        (void) host_read_u64f(h, &hp->free, "%s/%s/free_hugepages", path, *s);
                        (void) host_read_u64f(h, &hp->surplus, "%s/%s/surplus_hugepages", path, *s);
                }
                /* sort by page size */
                for (unsigned a = 0; a < n->n_hugepages; a++)
                        for (unsigned b = a + 1; b < n->n_hugepages; b++)
                                if (n->hugepages[b].page_size < n->hugepages[a].page_size) {
                                        TopoHugepages x = n->hugepages[a];
                                        n->hugepages[a] = n->hugepages[b];
                                        n->hugepages[b] = x;
                                }
        }
        return 0;
}

static PciKind classify_pci(uint32_t class_code)
{
        unsigned base = (class_code >> 16) & 0xff, sub = (class_code >> 8) & 0xff;
        if (base == 0x03)
                return PCI_KIND_GPU;
        if (base == 0x04 && sub == 0x03)
                return PCI_KIND_AUDIO;
        if (base == 0x02)
                return PCI_KIND_NIC;
        if (base == 0x01 && sub == 0x08)
                return PCI_KIND_NVME;
        if (base == 0x0c && sub == 0x03)
                return PCI_KIND_USB;
        return PCI_KIND_OTHER;
}

static int read_pci(Host *h, Topology *t)
{
        _cleanup_(strv_freep) char **devs = NULL;
        if (host_list_dir(h, "/sys/bus/pci/devices", &devs) < 0)
                return 0; /* no PCI bus (or not captured) */
        size_t n = strv_length(devs);
        if (n == 0)
                return 0;
        t->pci = calloc(n, sizeof(TopoPci));
        if (!t->pci)
                return -ENOMEM;
        for (char **d = devs; *d; d++) {
                char norm[16], path[256];
                if (pci_addr_normalize(*d, norm) < 0)
                        continue;
                uint64_t cls = 0, vendor = 0, device = 0;
                _cleanup_(freep) char *s = NULL;
                snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", *d);
                if (host_read_line(h, path, &s) < 0)
                        continue;
                cls = strtoull(s, NULL, 16);
                PciKind kind = classify_pci((uint32_t) cls);
                _cleanup_(freep) char *link = NULL;
                snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", *d);
                const char *driver = NULL;
                if (host_readlink(h, path, &link) >= 0) {
                        const char *slash = strrchr(link, '/');
                        driver = slash ? slash + 1 : link;
                }
                /* the devices that matter for placement: displays, audio functions of GPUs,
                 * NICs, NVMe, USB controllers and anything bound to vfio-pci */
                bool vfio = driver && streq(driver, "vfio-pci");
                if (kind == PCI_KIND_OTHER && !vfio)
                        continue;
                if (kind == PCI_KIND_USB && !vfio)
                        continue;
                TopoPci *p = &t->pci[t->n_pci];
                memcpy(p->addr, norm, sizeof(norm));
                p->class_code = (uint32_t) cls;
                p->kind = kind;
                free(s);
                s = NULL;
                if (host_read_linef(h, &s, "/sys/bus/pci/devices/%s/vendor", *d) >= 0)
                        vendor = strtoull(s, NULL, 16);
                free(s);
                s = NULL;
                if (host_read_linef(h, &s, "/sys/bus/pci/devices/%s/device", *d) >= 0)
                        device = strtoull(s, NULL, 16);
                p->vendor = (uint16_t) vendor;
                p->device = (uint16_t) device;
                free(s);
                s = NULL;
                int node = -1;
                if (host_read_linef(h, &s, "/sys/bus/pci/devices/%s/numa_node", *d) >= 0 &&
                    safe_atoi(s, &node) < 0)
                        node = -1;
                p->numa_node = node < 0 ? -1 : node;
                p->driver = driver ? strdup(driver) : NULL;
                p->local_cpus = hwloc_bitmap_alloc();
                if (!p->local_cpus || (driver && !p->driver))
                        return -ENOMEM;
                (void) host_read_cpusetf(h, p->local_cpus, "/sys/bus/pci/devices/%s/local_cpulist",
                                         *d);
                t->n_pci++;
        }
        return 0;
}

/* hwloc does not always attach the vendor to an object; /proc/cpuinfo has it for every CPU. */
static int read_cpuinfo_names(Host *h, Topology *t)
{
        _cleanup_(freep) char *text = NULL;
        if (!streq(t->vendor, "unknown") && !streq(t->model_name, "unknown CPU"))
                return 0;
        if (host_read_file(h, "/proc/cpuinfo", HOST_READ_MAX, &text) < 0)
                return 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = 0;
                char *key = strstrip(line), *value = strstrip(colon + 1);
                char **field = streq(key, "vendor_id") && streq(t->vendor, "unknown") ? &t->vendor
                               : streq(key, "model name") && streq(t->model_name, "unknown CPU")
                                   ? &t->model_name
                                   : NULL;
                if (!field || !*value)
                        continue;
                char *v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(*field);
                *field = v;
        }
        return 0;
}

/* Intel hybrid parts name their kinds in the PMU devices; that list is authoritative, and hwloc's
 * linux backend (which ranks by capacity or frequency) is the fallback for other hybrids. */
static int read_core_kinds(Host *h, Topology *t)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t p = hwloc_bitmap_alloc(),
                                                     e = hwloc_bitmap_alloc();
        if (!p || !e)
                return -ENOMEM;
        if (host_read_cpuset(h, "/sys/devices/cpu_atom/cpus", e) < 0 || hwloc_bitmap_iszero(e) ||
            host_read_cpuset(h, "/sys/devices/cpu_core/cpus", p) < 0 || hwloc_bitmap_iszero(p))
                return 0;
        t->hybrid = true;
        for (unsigned c = 0; c < t->n_cores; c++)
                t->cores[c].kind =
                    hwloc_bitmap_intersects(t->cores[c].cpus, e) ? CORE_KIND_E : CORE_KIND_P;
        return 0;
}

int topology_load(Host *h, Topology **ret, Error *err)
{
        hwloc_topology_t ht = NULL;
        _cleanup_(topology_freep) Topology *t = NULL;
        int r;

        if (!host_exists(h, "/sys/devices/system/cpu"))
                return error_input(err,
                                   "no CPU topology under %s (no sys/devices/system/cpu); give a "
                                   "capture or a host tree made by 'vmslice capture'",
                                   host_root(h));
        r = host_load_hwloc(h, &ht, err);
        if (r < 0)
                return r;
        t = topology_alloc();
        if (!t) {
                hwloc_topology_destroy(ht);
                return error_fail(err, -ENOMEM, "out of memory");
        }
        r = structure_from_hwloc(ht, t);
        hwloc_topology_destroy(ht);
        if (r == -ENODATA || (r >= 0 && t->n_cores == 0))
                return error_input(err,
                                   "no CPU topology under %s (no online CPU with topology files); "
                                   "give a capture or a host tree with sys/devices/system/cpu",
                                   host_root(h));
        if (r < 0)
                return error_fail(err, r, "cannot build the topology of %s: %s", host_root(h),
                                  strerror(-r));
        r = read_offline(h, t);
        if (r >= 0)
                r = read_cpuinfo_names(h, t);
        if (r >= 0)
                r = read_core_kinds(h, t);
        if (r >= 0)
                r = read_isolation(h, t);
        if (r >= 0)
                r = read_node_memory(h, t);
        if (r >= 0)
                r = read_pci(h, t);
        if (r < 0)
                return error_fail(err, r, "cannot read the host under %s: %s", host_root(h),
                                  strerror(-r));
        *ret = TAKE_PTR(t);
        return 0;
}
