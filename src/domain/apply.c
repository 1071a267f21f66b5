/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "apply.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

#define X(s) ((const xmlChar *) (s))
#define S(s) ((const char *) (s))

static bool is_virtio_disk(xmlNodePtr disk)
{
        xmlNodePtr target = dom_child(disk, "target");
        _cleanup_(freep) char *device = dom_prop(disk, "device");
        return target && dom_prop_is(target, "bus", "virtio") && (!device || streq(device, "disk"));
}

static unsigned count_virtio_disks(xmlNodePtr devices)
{
        unsigned n = 0;
        for (xmlNodePtr d = dom_child(devices, "disk"); d; d = dom_next(d))
                if (is_virtio_disk(d))
                        n++;
        return n;
}

static int hostdev_address(xmlNodePtr hostdev, char out[static 16])
{
        if (!dom_prop_is(hostdev, "type", "pci"))
                return -ENOENT;
        xmlNodePtr a = dom_path(hostdev, "source/address");
        if (!a)
                return -ENOENT;
        _cleanup_(freep) char *dom = dom_prop(a, "domain"), *bus = dom_prop(a, "bus"),
                              *slot = dom_prop(a, "slot"), *fn = dom_prop(a, "function");
        if (!bus || !slot || !fn)
                return -EINVAL;
        unsigned long vd = dom ? strtoul(dom, NULL, 0) : 0, vb = strtoul(bus, NULL, 0),
                      vs = strtoul(slot, NULL, 0), vf = strtoul(fn, NULL, 0);
        if (vd > 0xffff || vb > 0xff || vs > 0x1f || vf > 7)
                return -EINVAL;
        snprintf(out, 16, "%04lx:%02lx:%02lx.%lx", vd, vb, vs, vf);
        return 0;
}

int domain_plan_request(const Domain *d, const ApplyOptions *opts, PlanRequest *ret_req,
                        char ***ret_pci, Error *err)
{
        PlanRequest req = opts->req;
        _cleanup_(strv_freep) char **pci = NULL;
        xmlNodePtr root = d->root;
        int r;

        if (req.vcpus == 0) {
                _cleanup_(freep) char *t = dom_text(dom_child(root, "vcpu"));
                if (!t || safe_atou(t, &req.vcpus) < 0 || req.vcpus == 0)
                        return error_input(err, "%s: the domain has no <vcpu> count; give --vcpus",
                                           d->source);
        }
        if (req.memory == 0) {
                xmlNodePtr m = dom_child(root, "memory");
                if (!m)
                        return error_input(err, "%s: the domain has no <memory>; give --memory",
                                           d->source);
                r = dom_parse_memory(m, NULL, &req.memory);
                if (r < 0)
                        return error_input(err, "%s:%u: <memory> is not a size", d->source,
                                           dom_line(m));
        }
        xmlNodePtr devices = dom_child(root, "devices");
        for (xmlNodePtr h = dom_child(devices, "hostdev"); h; h = dom_next(h)) {
                char addr[16];
                if (hostdev_address(h, addr) < 0)
                        continue;
                /* the passed-through devices, unless the command line names its own */
                if (!opts->req.pci && strv_extend(&pci, addr) < 0)
                        return error_fail(err, -ENOMEM, "out of memory");
        }
        if (!opts->iothreads_set) {
                _cleanup_(freep) char *t = dom_text(dom_child(root, "iothreads"));
                unsigned n = 0;
                if (t && safe_atou(t, &n) >= 0 && n > 0)
                        req.iothreads = MIN(n, PLAN_IOTHREADS_MAX);
                else
                        req.iothreads = count_virtio_disks(devices) > 0 ? 1 : 0;
        }
        if (!opts->req.pci)
                req.pci = pci;
        *ret_req = req;
        *ret_pci = TAKE_PTR(pci);
        return 0;
}

static char *bitmap_str(hwloc_const_bitmap_t set)
{
        return cpuset_format_list(set);
}

static int set_cputune(xmlNodePtr root, const Plan *p)
{
        xmlNodePtr tune = dom_ensure_ordered(root, "cputune");
        if (!tune)
                return -ENOMEM;
        static const char *const ours[] = {"vcpupin", "emulatorpin", "iothreadpin", "vcpusched"};
        for (size_t i = 0; i < ELEMENTSOF(ours); i++)
                dom_remove_all(tune, ours[i]);
        int r = 0;
        for (unsigned v = 0; v < p->vcpus; v++) {
                xmlNodePtr n = dom_append(tune, "vcpupin");
                if (!n)
                        return -ENOMEM;
                r |= dom_set_propf(n, "vcpu", "%u", v);
                r |= dom_set_propf(n, "cpuset", "%u", p->vcpu_cpu[v]);
        }
        _cleanup_(freep) char *emu = bitmap_str(p->emulator_cpus);
        _cleanup_(freep) char *io = bitmap_str(p->iothread_cpus);
        if (!emu || !io)
                return -ENOMEM;
        xmlNodePtr n = dom_append(tune, "emulatorpin");
        if (!n)
                return -ENOMEM;
        r |= dom_set_prop(n, "cpuset", emu);
        for (unsigned i = 1; i <= p->iothreads; i++) {
                n = dom_append(tune, "iothreadpin");
                if (!n)
                        return -ENOMEM;
                r |= dom_set_propf(n, "iothread", "%u", i);
                r |= dom_set_prop(n, "cpuset", io);
        }
        if (p->realtime) {
                n = dom_append(tune, "vcpusched");
                if (!n)
                        return -ENOMEM;
                r |= dom_set_propf(n, "vcpus", p->vcpus > 1 ? "0-%u" : "%u", p->vcpus - 1);
                r |= dom_set_prop(n, "scheduler", "fifo");
                r |= dom_set_prop(n, "priority", "1");
        }
        return r ? -ENOMEM : 0;
}

static int set_cpu(xmlNodePtr root, const Plan *p)
{
        xmlNodePtr cpu = dom_ensure_ordered(root, "cpu");
        int r = 0;
        if (!cpu)
                return -ENOMEM;
        /* TCG (type='qemu') has no host CPU to pass through: QEMU's "max" model is its
         * equivalent, and libvirt refuses host-passthrough there */
        _cleanup_(freep) char *type = dom_prop(root, "type");
        r |=
            dom_set_prop(cpu, "mode", type && streq(type, "qemu") ? "maximum" : "host-passthrough");
        r |= dom_set_prop(cpu, "check", "none");
        dom_unset_prop(cpu, "match");
        /* a model or vendor has no meaning for host-passthrough or maximum */
        dom_remove_all(cpu, "model");
        dom_remove_all(cpu, "vendor");
        dom_remove_all(cpu, "topology");
        dom_remove_all(cpu, "cache");
        /* libvirt's order inside <cpu>: model, vendor, topology, cache, feature..., numa */
        xmlNodePtr anchor = NULL;
        for (xmlNodePtr k = cpu->children; k && !anchor; k = k->next)
                if (k->type == XML_ELEMENT_NODE && !streq(S(k->name), "model") &&
                    !streq(S(k->name), "vendor"))
                        anchor = k;
        xmlNodePtr t = anchor ? dom_insert_before(anchor, "topology") : dom_append(cpu, "topology");
        if (!t)
                return -ENOMEM;
        r |= dom_set_propf(t, "sockets", "%u", p->sockets);
        r |= dom_set_propf(t, "dies", "%u", p->dies);
        r |= dom_set_propf(t, "cores", "%u", p->cores);
        r |= dom_set_propf(t, "threads", "%u", p->threads);
        xmlNodePtr c = anchor ? dom_insert_before(anchor, "cache") : dom_append(cpu, "cache");
        if (!c)
                return -ENOMEM;
        r |= dom_set_prop(c, "mode", "passthrough");
        if (p->topoext) {
                xmlNodePtr f;
                for (f = dom_child(cpu, "feature"); f; f = dom_next(f))
                        if (dom_prop_is(f, "name", "topoext"))
                                break;
                if (!f) {
                        xmlNodePtr numa = dom_child(cpu, "numa");
                        f = numa ? dom_insert_before(numa, "feature") : dom_append(cpu, "feature");
                        if (!f)
                                return -ENOMEM;
                        r |= dom_set_prop(f, "policy", "require"); /* libvirt's attribute order */
                        r |= dom_set_prop(f, "name", "topoext");
                } else
                        r |= dom_set_prop(f, "policy", "require");
        }

        /* guest NUMA cells: the plan's when it spans nodes; otherwise a single existing cell (kept
         * for its memAccess, e.g. virtiofs) is resized to the whole VM, several are dropped */
        xmlNodePtr numa = dom_child(cpu, "numa");
        if (p->n_cells > 1 && p->memory > 0) {
                if (numa)
                        dom_remove(numa);
                numa = dom_append(cpu, "numa");
                if (!numa)
                        return -ENOMEM;
                for (unsigned i = 0; i < p->n_cells; i++) {
                        xmlNodePtr cell = dom_append(numa, "cell");
                        if (!cell)
                                return -ENOMEM;
                        const PlanCell *pc = &p->cells[i];
                        r |= dom_set_propf(cell, "id", "%u", i);
                        r |= dom_set_propf(cell, "cpus", pc->n_vcpus > 1 ? "%u-%u" : "%u",
                                           pc->first_vcpu, pc->first_vcpu + pc->n_vcpus - 1);
                        r |= dom_set_propf(cell, "memory", "%" PRIu64, pc->memory >> 10);
                        r |= dom_set_prop(cell, "unit", "KiB");
                }
        } else if (numa) {
                if (dom_count(numa, "cell") == 1 && p->memory > 0) {
                        xmlNodePtr cell = dom_child(numa, "cell");
                        r |= dom_set_propf(cell, "cpus", p->vcpus > 1 ? "0-%u" : "0", p->vcpus - 1);
                        r |= dom_set_propf(cell, "memory", "%" PRIu64, p->memory >> 10);
                        r |= dom_set_prop(cell, "unit", "KiB");
                } else
                        dom_remove(numa);
        }
        return r ? -ENOMEM : 0;
}

static int set_numatune(xmlNodePtr root, const Plan *p)
{
        int r = 0;
        if (p->n_mem_nodes == 0)
                return 0;
        xmlNodePtr nt = dom_ensure_ordered(root, "numatune");
        if (!nt)
                return -ENOMEM;
        dom_remove_all(nt, "memory");
        dom_remove_all(nt, "memnode");
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
                return -ENOMEM;
        for (unsigned i = 0; i < p->n_mem_nodes; i++)
                hwloc_bitmap_set(set, p->mem_nodes[i]);
        _cleanup_(freep) char *nodes = bitmap_str(set);
        xmlNodePtr m = dom_append(nt, "memory");
        if (!m || !nodes)
                return -ENOMEM;
        r |= dom_set_prop(m, "mode", "strict");
        r |= dom_set_prop(m, "nodeset", nodes);
        if (p->n_cells > 1 && p->memory > 0)
                for (unsigned c = 0; c < p->n_cells; c++) {
                        xmlNodePtr mn = dom_append(nt, "memnode");
                        if (!mn)
                                return -ENOMEM;
                        r |= dom_set_propf(mn, "cellid", "%u", c);
                        r |= dom_set_prop(mn, "mode", "strict");
                        r |= dom_set_propf(mn, "nodeset", "%u", p->cells[c].mem_node);
                }
        return r ? -ENOMEM : 0;
}

static int set_memory(xmlNodePtr root, const Plan *p, const PlanRequest *req,
                      bool memory_from_request)
{
        int r = 0;
        if (memory_from_request && p->memory > 0) {
                static const char *const names[] = {"memory", "currentMemory"};
                for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                        xmlNodePtr m = dom_ensure_ordered(root, names[i]);
                        if (!m)
                                return -ENOMEM;
                        char num[32];
                        snprintf(num, sizeof(num), "%" PRIu64, p->memory >> 10);
                        r |= dom_set_text(m, num);
                        r |= dom_set_prop(m, "unit", "KiB");
                }
        }
        xmlNodePtr mb = dom_child(root, "memoryBacking");
        if (p->page_size > 0) {
                if (!mb && !(mb = dom_ensure_ordered(root, "memoryBacking")))
                        return -ENOMEM;
                dom_remove_all(mb, "hugepages");
                xmlNodePtr hp = dom_append(mb, "hugepages");
                xmlNodePtr page = hp ? dom_append(hp, "page") : NULL;
                if (!page)
                        return -ENOMEM;
                r |= dom_set_propf(page, "size", "%" PRIu64, p->page_size >> 10);
                r |= dom_set_prop(page, "unit", "KiB");
        } else if (mb && req->hugepages == HUGEPAGES_NONE) {
                dom_remove_all(mb, "hugepages");
                if (!mb->children)
                        dom_remove(mb);
        }
        return r ? -ENOMEM : 0;
}

static int set_iothreads(xmlNodePtr root, const Plan *p)
{
        int r = 0;
        dom_remove_all(root, "iothreadids");
        if (p->iothreads == 0)
                dom_remove_all(root, "iothreads");
        else {
                xmlNodePtr io = dom_ensure_ordered(root, "iothreads");
                char num[16];
                snprintf(num, sizeof(num), "%u", p->iothreads);
                if (!io || dom_set_text(io, num) < 0)
                        return -ENOMEM;
        }
        /* each virtio disk gets an iothread, round robin */
        xmlNodePtr devices = dom_child(root, "devices");
        unsigned i = 0;
        for (xmlNodePtr d = dom_child(devices, "disk"); d; d = dom_next(d)) {
                if (!is_virtio_disk(d))
                        continue;
                xmlNodePtr drv = dom_child(d, "driver");
                if (p->iothreads == 0) {
                        if (drv)
                                dom_unset_prop(drv, "iothread");
                        continue;
                }
                if (!drv) {
                        drv = dom_append(d, "driver");
                        if (!drv)
                                return -ENOMEM;
                        r |= dom_set_prop(drv, "name", "qemu");
                }
                r |= dom_set_propf(drv, "iothread", "%u", i++ % p->iothreads + 1);
        }
        return r ? -ENOMEM : 0;
}

static xmlNodePtr find_metadata(xmlNodePtr root)
{
        xmlNodePtr md = dom_child(root, "metadata");
        for (xmlNodePtr c = md ? md->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
                    streq(S(c->ns->href), VMSLICE_XMLNS))
                        return c;
        return NULL;
}

static void request_options(const PlanRequest *req, const Plan *p, SBuf *b)
{
        sbuf_appendf(b, "--vcpus %u --threads %u --host-cores %u --emulator %s --iothreads %u",
                     p->vcpus, p->threads, req->host_cores ? req->host_cores : 1,
                     req->emulator == EMULATOR_ISOLATED ? "isolated" : "shared", p->iothreads);
        if (p->page_size == (2ULL << 20))
                sbuf_append(b, " --hugepages 2M");
        else if (p->page_size == (1ULL << 30))
                sbuf_append(b, " --hugepages 1G");
        else
                sbuf_append(b, " --hugepages none");
        if (p->realtime)
                sbuf_append(b, " --realtime");
        for (char **a = req->pci; a && *a; a++)
                sbuf_appendf(b, " --pci %s", *a);
}

static int set_metadata(xmlNodePtr root, const Plan *p, const PlanRequest *req)
{
        xmlNodePtr old = find_metadata(root);
        if (old)
                dom_remove(old);
        xmlNodePtr md = dom_ensure_ordered(root, "metadata");
        if (!md)
                return -ENOMEM;
        xmlNodePtr v = dom_append(md, "slice");
        if (!v)
                return -ENOMEM;
        xmlNsPtr ns = xmlNewNs(v, X(VMSLICE_XMLNS), X("vmslice"));
        if (!ns)
                return -ENOMEM;
        xmlSetNs(v, ns);
        int r = 0;
        r |= dom_set_prop(v, "version", VMSLICE_VERSION);
        SBuf b = {0};
        request_options(req, p, &b);
        _cleanup_(freep) char *opts = sbuf_steal(&b);
        _cleanup_(freep) char *cpus = bitmap_str(p->vm_cpus);
        _cleanup_(freep) char *emu =
            p->emulator_dedicated ? bitmap_str(p->emulator_cpus) : strdup("");
        if (!opts || !cpus || !emu)
                return -ENOMEM;
        xmlNodePtr o = xmlNewChild(v, ns, X("options"), NULL);
        xmlNodePtr c = xmlNewChild(v, ns, X("cpus"), NULL);
        if (!o || !c)
                return -ENOMEM;
        r |= dom_set_text(o, opts);
        r |= dom_set_prop(c, "vm", cpus);
        r |= dom_set_prop(c, "emulator", emu);
        if (p->page_size > 0) {
                xmlNodePtr h = xmlNewChild(v, ns, X("hugepages"), NULL);
                if (!h)
                        return -ENOMEM;
                r |= dom_set_propf(h, "size", "%" PRIu64, p->page_size >> 10);
                r |= dom_set_prop(h, "unit", "KiB");
        }
        dom_reindent(v);
        return r ? -ENOMEM : 0;
}

int domain_apply_plan(Domain *d, const Plan *p, const PlanRequest *req, Error *err)
{
        xmlNodePtr root = d->root;
        int r;

        xmlNodePtr vcpu = dom_ensure_ordered(root, "vcpu");
        char num[16];
        snprintf(num, sizeof(num), "%u", p->vcpus);
        if (!vcpu || dom_set_text(vcpu, num) < 0 || dom_set_prop(vcpu, "placement", "static") < 0)
                return error_fail(err, -ENOMEM, "out of memory");
        dom_unset_prop(vcpu, "cpuset");
        dom_unset_prop(vcpu, "current");
        dom_remove_all(root, "vcpus"); /* per-vCPU hotplug state must match the count */

        uint64_t had = 0;
        (void) dom_parse_memory(dom_child(root, "memory"), NULL, &had);

        r = set_iothreads(root, p);
        if (r >= 0)
                r = set_cputune(root, p);
        if (r >= 0)
                r = set_numatune(root, p);
        if (r >= 0)
                r = set_memory(root, p, req, had != p->memory);
        if (r >= 0)
                r = set_cpu(root, p);
        if (r >= 0)
                r = set_metadata(root, p, req);
        if (r < 0)
                return error_fail(err, r, "cannot update %s: %s", d->source, strerror(-r));
        return 0;
}

int domain_managed_info(const Domain *d, ManagedInfo *ret)
{
        ManagedInfo m = {0};
        m.cpus = hwloc_bitmap_alloc();
        m.emulator_cpus = hwloc_bitmap_alloc();
        if (!m.cpus || !m.emulator_cpus) {
                managed_info_done(&m);
                return -ENOMEM;
        }
        xmlNodePtr v = find_metadata(d->root);
        if (v) {
                m.managed = true;
                for (xmlNodePtr c = v->children; c; c = c->next) {
                        if (c->type != XML_ELEMENT_NODE)
                                continue;
                        if (streq(S(c->name), "cpus")) {
                                _cleanup_(freep) char *vm = dom_prop(c, "vm"),
                                                      *emu = dom_prop(c, "emulator");
                                if (vm)
                                        (void) cpuset_parse_list(vm, m.cpus);
                                if (emu)
                                        (void) cpuset_parse_list(emu, m.emulator_cpus);
                        } else if (streq(S(c->name), "options")) {
                                free(m.options);
                                m.options = dom_text(c);
                        }
                }
        }
        *ret = m;
        return 0;
}

void managed_info_done(ManagedInfo *m)
{
        hwloc_bitmap_free(m->cpus);
        hwloc_bitmap_free(m->emulator_cpus);
        free(m->options);
        *m = (ManagedInfo){0};
}

int domain_pinned_cpus(const Domain *d, hwloc_bitmap_t set)
{
        xmlNodePtr tune = dom_child(d->root, "cputune");
        static const char *const pins[] = {"vcpupin", "emulatorpin", "iothreadpin"};
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t x = hwloc_bitmap_alloc();
        if (!x)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(pins); i++)
                for (xmlNodePtr n = dom_child(tune, pins[i]); n; n = dom_next(n)) {
                        _cleanup_(freep) char *cs = dom_prop(n, "cpuset");
                        if (cs && cpuset_parse_list(cs, x) >= 0)
                                hwloc_bitmap_or(set, set, x);
                }
        return 0;
}

int domain_recorded_request(const Domain *d, PlanRequest *req, bool *ret_iothreads_set)
{
        ManagedInfo m = {0};
        int r = domain_managed_info(d, &m);
        if (r < 0)
                return r;
        if (!m.managed || !m.options) {
                managed_info_done(&m);
                return 0;
        }
        /* the options apply recorded: keep the choices that are not the domain's own facts */
        char *save = NULL, *prev = NULL;
        for (char *w = strtok_r(m.options, " ", &save); w;
             prev = w, w = strtok_r(NULL, " ", &save)) {
                unsigned n;
                if (streq(w, "--realtime"))
                        req->realtime = true;
                if (!prev)
                        continue;
                if (streq(prev, "--host-cores") && safe_atou(w, &n) >= 0 && n >= 1 && n <= 8192)
                        req->host_cores = n;
                else if (streq(prev, "--threads") && safe_atou(w, &n) >= 0 && n >= 1 && n <= 2)
                        req->threads = n;
                else if (streq(prev, "--emulator"))
                        req->emulator = streq(w, "isolated") ? EMULATOR_ISOLATED : EMULATOR_SHARED;
                else if (streq(prev, "--iothreads") && safe_atou(w, &n) >= 0 &&
                         n <= PLAN_IOTHREADS_MAX) {
                        req->iothreads = n;
                        if (ret_iothreads_set)
                                *ret_iothreads_set = true;
                }
        }
        managed_info_done(&m);
        return 1;
}

int domain_parse_set(const char *s, hwloc_bitmap_t out)
{
        _cleanup_(freep) char *copy = strdup(s ? s : "");
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t neg = hwloc_bitmap_alloc();
        char *save = NULL;
        if (!copy || !neg)
                return -ENOMEM;
        hwloc_bitmap_zero(out);
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                tok = strstrip(tok);
                bool exclude = tok[0] == '^';
                if (exclude)
                        tok++;
                char *dash = strchr(tok, '-');
                unsigned a, b;
                if (dash)
                        *dash = 0;
                if (safe_atou(tok, &a) < 0)
                        return -EINVAL;
                b = a;
                if (dash && safe_atou(dash + 1, &b) < 0)
                        return -EINVAL;
                if (a > b || b > CPU_NUMBER_MAX)
                        return -EINVAL;
                hwloc_bitmap_set_range(exclude ? neg : out, a, (int) b);
        }
        hwloc_bitmap_andnot(out, out, neg);
        return hwloc_bitmap_iszero(out) ? -EINVAL : 0;
}

/* An attribute value for a one-line message: at most 40 bytes, control characters as '?'. */
static const char *shown(char buf[static 48], const char *v)
{
        snprintf(buf, 48, "%.40s", v ? v : "");
        for (char *p = buf; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        return buf;
}

/* The set in attribute attr of element n, into *ret (allocated). */
static int pin_set(const Domain *d, xmlNodePtr n, const char *attr, hwloc_bitmap_t *ret, Error *err)
{
        char b[48];
        _cleanup_(freep) char *v = dom_prop(n, attr);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
                return error_fail(err, -ENOMEM, "out of memory");
        int r = domain_parse_set(v, set);
        if (r == -ENOMEM)
                return error_fail(err, r, "out of memory");
        if (r < 0)
                return error_input(err,
                                   "%s:%u: <%s %s='%s'> is not a list of host CPUs or nodes; "
                                   "write it like 2-5,8-11",
                                   d->source, dom_line(n), S(n->name), attr, shown(b, v));
        *ret = TAKE_PTR(set);
        return 0;
}

/* An unsigned attribute that must be there and below max. */
static int pin_index(const Domain *d, xmlNodePtr n, const char *attr, unsigned max, unsigned *ret,
                     Error *err)
{
        char b[48];
        _cleanup_(freep) char *v = dom_prop(n, attr);
        if (!v || safe_atou(v, ret) < 0 || *ret >= max)
                return error_input(err, "%s:%u: <%s %s='%s'> names no %s the domain has", d->source,
                                   dom_line(n), S(n->name), attr, shown(b, v),
                                   streq(attr, "vcpu") ? "vCPU" : "I/O thread");
        return 0;
}

static int read_iothread_ids(const Domain *d, DomainPins *p, Error *err)
{
        unsigned n = 0, count = 0;
        for (xmlNodePtr i = dom_path(d->root, "iothreadids/iothread"); i; i = dom_next(i))
                n++;
        _cleanup_(freep) char *t = dom_text(dom_child(d->root, "iothreads"));
        if (n == 0 && t && (safe_atou(t, &count) < 0 || count > DOMAIN_IOTHREADS_MAX))
                return error_input(err,
                                   "%s: <iothreads> '%.40s' is not a count of I/O threads "
                                   "up to %u",
                                   d->source, t, DOMAIN_IOTHREADS_MAX);
        if (n > DOMAIN_IOTHREADS_MAX)
                return error_input(err, "%s: more than %u I/O threads", d->source,
                                   DOMAIN_IOTHREADS_MAX);
        p->n_iothreads = n ? n : count;
        p->iothreads = calloc(p->n_iothreads ? p->n_iothreads : 1, sizeof(DomainIothreadPin));
        if (!p->iothreads)
                return error_fail(err, -ENOMEM, "out of memory");
        unsigned k = 0;
        for (xmlNodePtr i = dom_path(d->root, "iothreadids/iothread"); i; i = dom_next(i)) {
                int r = pin_index(d, i, "id", UINT_MAX, &p->iothreads[k].id, err);
                if (r < 0)
                        return r;
                k++;
        }
        for (; k < p->n_iothreads; k++)
                p->iothreads[k].id = k + 1;
        return 0;
}

int domain_pins(const Domain *d, DomainPins *ret, Error *err)
{
        DomainPins p = {.vcpus = 1};
        xmlNodePtr vn = dom_child(d->root, "vcpu");
        _cleanup_(freep) char *vt = dom_text(vn), *cur = dom_prop(vn, "current");
        int r = 0;
        if (vt && safe_atou(vt, &p.vcpus) < 0)
                return error_input(err, "%s: <vcpu> is not a vCPU count", d->source);
        p.vcpus_current = p.vcpus;
        if (cur && (safe_atou(cur, &p.vcpus_current) < 0 || p.vcpus_current > p.vcpus))
                return error_input(err, "%s: <vcpu current='%.20s'> is not a count up to %u",
                                   d->source, cur, p.vcpus);
        p.vcpu = calloc(p.vcpus, sizeof(hwloc_bitmap_t));
        if (!p.vcpu)
                return error_fail(err, -ENOMEM, "out of memory");
        if (vn && xmlHasProp(vn, (const xmlChar *) "cpuset"))
                r = pin_set(d, vn, "cpuset", &p.vcpu_default, err);
        xmlNodePtr tune = dom_child(d->root, "cputune");
        for (xmlNodePtr n = dom_child(tune, "vcpupin"); r >= 0 && n; n = dom_next(n)) {
                unsigned v;
                r = pin_index(d, n, "vcpu", p.vcpus, &v, err);
                if (r >= 0 && p.vcpu[v])
                        r = error_input(err, "%s:%u: a second <vcpupin> for vCPU %u", d->source,
                                        dom_line(n), v);
                if (r >= 0)
                        r = pin_set(d, n, "cpuset", &p.vcpu[v], err);
        }
        for (unsigned v = 0; r >= 0 && p.vcpu_default && v < p.vcpus; v++)
                if (!p.vcpu[v] && !(p.vcpu[v] = hwloc_bitmap_dup(p.vcpu_default)))
                        r = error_fail(err, -ENOMEM, "out of memory");
        xmlNodePtr emu = dom_child(tune, "emulatorpin");
        if (r >= 0 && emu)
                r = pin_set(d, emu, "cpuset", &p.emulator, err);
        if (r >= 0)
                r = read_iothread_ids(d, &p, err);
        for (xmlNodePtr n = dom_child(tune, "iothreadpin"); r >= 0 && n; n = dom_next(n)) {
                unsigned id;
                r = pin_index(d, n, "iothread", UINT_MAX, &id, err);
                DomainIothreadPin *io = NULL;
                for (unsigned i = 0; r >= 0 && i < p.n_iothreads; i++)
                        if (p.iothreads[i].id == id)
                                io = &p.iothreads[i];
                if (r >= 0 && (!io || io->cpus))
                        r = error_input(err,
                                        "%s:%u: <iothreadpin iothread='%u'> names no I/O thread "
                                        "the domain has, or a second time",
                                        d->source, dom_line(n), id);
                if (r >= 0)
                        r = pin_set(d, n, "cpuset", &io->cpus, err);
        }
        xmlNodePtr nt = dom_child(d->root, "numatune");
        xmlNodePtr mem = dom_child(nt, "memory");
        if (r >= 0 && mem && xmlHasProp(mem, (const xmlChar *) "nodeset"))
                r = pin_set(d, mem, "nodeset", &p.mem_nodes, err);
        for (xmlNodePtr n = dom_child(nt, "memnode"); r >= 0 && n; n = dom_next(n)) {
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = NULL;
                r = pin_set(d, n, "nodeset", &set, err);
                if (r >= 0 && !p.mem_nodes)
                        p.mem_nodes = TAKE_PTR(set);
                else if (r >= 0)
                        hwloc_bitmap_or(p.mem_nodes, p.mem_nodes, set);
        }
        if (r < 0) {
                domain_pins_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

void domain_pins_done(DomainPins *p)
{
        for (unsigned v = 0; p->vcpu && v < p->vcpus; v++)
                hwloc_bitmap_free(p->vcpu[v]);
        free(p->vcpu);
        for (unsigned i = 0; p->iothreads && i < p->n_iothreads; i++)
                hwloc_bitmap_free(p->iothreads[i].cpus);
        free(p->iothreads);
        hwloc_bitmap_free(p->vcpu_default);
        hwloc_bitmap_free(p->emulator);
        hwloc_bitmap_free(p->mem_nodes);
        *p = (DomainPins){0};
}
