/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan-xml.h"

#include <inttypes.h>
#include <libxml/xmlsave.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpuset-util.h"
#include "string-util.h"

#define X(s) ((const xmlChar *) (s))

static xmlNodePtr add_child(xmlNodePtr parent, const char *name, const char *text)
{
        return xmlNewTextChild(parent, NULL, X(name), text ? X(text) : NULL);
}

static int set_prop(xmlNodePtr n, const char *name, const char *value)
{
        return xmlNewProp(n, X(name), X(value)) ? 0 : -ENOMEM;
}

static int set_propf(xmlNodePtr n, const char *name, const char *fmt, ...) _printf_(3, 4);
static int set_propf(xmlNodePtr n, const char *name, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return set_prop(n, name, buf);
}

static int set_cpuset(xmlNodePtr n, const char *name, hwloc_const_bitmap_t set)
{
        _cleanup_(freep) char *s = cpuset_format_list(set);
        if (!s)
                return -ENOMEM;
        return set_prop(n, name, s);
}

static char *node_list(const unsigned *nodes, unsigned n)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
                return NULL;
        for (unsigned i = 0; i < n; i++)
                hwloc_bitmap_set(set, nodes[i]);
        return cpuset_format_list(set);
}

int plan_xml_append(const Plan *p, xmlNodePtr domain)
{
        char num[32];
        xmlNodePtr n, tune, cpu;
        int r = 0;

        snprintf(num, sizeof(num), "%u", p->vcpus);
        n = add_child(domain, "vcpu", num);
        if (!n || set_prop(n, "placement", "static") < 0)
                return -ENOMEM;
        if (p->iothreads > 0) {
                snprintf(num, sizeof(num), "%u", p->iothreads);
                if (!add_child(domain, "iothreads", num))
                        return -ENOMEM;
        }

        tune = add_child(domain, "cputune", NULL);
        if (!tune)
                return -ENOMEM;
        for (unsigned v = 0; v < p->vcpus; v++) {
                n = add_child(tune, "vcpupin", NULL);
                if (!n)
                        return -ENOMEM;
                r |= set_propf(n, "vcpu", "%u", v);
                r |= set_propf(n, "cpuset", "%u", p->vcpu_cpu[v]);
        }
        n = add_child(tune, "emulatorpin", NULL);
        if (!n || set_cpuset(n, "cpuset", p->emulator_cpus) < 0)
                return -ENOMEM;
        for (unsigned i = 1; i <= p->iothreads; i++) {
                n = add_child(tune, "iothreadpin", NULL);
                if (!n)
                        return -ENOMEM;
                r |= set_propf(n, "iothread", "%u", i);
                r |= set_cpuset(n, "cpuset", p->iothread_cpus);
        }
        if (p->realtime) {
                n = add_child(tune, "vcpusched", NULL);
                if (!n)
                        return -ENOMEM;
                r |= set_propf(n, "vcpus", p->vcpus > 1 ? "0-%u" : "%u", p->vcpus - 1);
                r |= set_prop(n, "scheduler", "fifo");
                r |= set_prop(n, "priority", "1");
        }

        if (p->n_mem_nodes > 0) {
                xmlNodePtr nt = add_child(domain, "numatune", NULL);
                _cleanup_(freep) char *nodes = node_list(p->mem_nodes, p->n_mem_nodes);
                if (!nt || !nodes || !(n = add_child(nt, "memory", NULL)))
                        return -ENOMEM;
                r |= set_prop(n, "mode", "strict");
                r |= set_prop(n, "nodeset", nodes);
                if (p->n_cells > 1 && p->memory > 0)
                        for (unsigned c = 0; c < p->n_cells; c++) {
                                n = add_child(nt, "memnode", NULL);
                                if (!n)
                                        return -ENOMEM;
                                r |= set_propf(n, "cellid", "%u", c);
                                r |= set_prop(n, "mode", "strict");
                                r |= set_propf(n, "nodeset", "%u", p->cells[c].mem_node);
                        }
        }

        if (p->memory > 0) {
                snprintf(num, sizeof(num), "%" PRIu64, p->memory >> 10);
                n = add_child(domain, "memory", num);
                if (!n || set_prop(n, "unit", "KiB") < 0)
                        return -ENOMEM;
                n = add_child(domain, "currentMemory", num);
                if (!n || set_prop(n, "unit", "KiB") < 0)
                        return -ENOMEM;
        }
        if (p->page_size > 0) {
                xmlNodePtr mb = add_child(domain, "memoryBacking", NULL);
                xmlNodePtr hp = mb ? add_child(mb, "hugepages", NULL) : NULL;
                n = hp ? add_child(hp, "page", NULL) : NULL;
                if (!n)
                        return -ENOMEM;
                r |= set_propf(n, "size", "%" PRIu64, p->page_size >> 10);
                r |= set_prop(n, "unit", "KiB");
        }

        cpu = add_child(domain, "cpu", NULL);
        if (!cpu)
                return -ENOMEM;
        r |= set_prop(cpu, "mode", "host-passthrough");
        r |= set_prop(cpu, "check", "none");
        n = add_child(cpu, "topology", NULL);
        if (!n)
                return -ENOMEM;
        r |= set_propf(n, "sockets", "%u", p->sockets);
        r |= set_propf(n, "dies", "%u", p->dies);
        r |= set_propf(n, "cores", "%u", p->cores);
        r |= set_propf(n, "threads", "%u", p->threads);
        n = add_child(cpu, "cache", NULL);
        if (!n)
                return -ENOMEM;
        r |= set_prop(n, "mode", "passthrough");
        if (p->topoext) {
                n = add_child(cpu, "feature", NULL);
                if (!n)
                        return -ENOMEM;
                r |= set_prop(n, "policy", "require");
                r |= set_prop(n, "name", "topoext");
        }
        if (p->n_cells > 1 && p->memory > 0) {
                xmlNodePtr numa = add_child(cpu, "numa", NULL);
                if (!numa)
                        return -ENOMEM;
                for (unsigned c = 0; c < p->n_cells; c++) {
                        const PlanCell *cell = &p->cells[c];
                        n = add_child(numa, "cell", NULL);
                        if (!n)
                                return -ENOMEM;
                        r |= set_propf(n, "id", "%u", c);
                        r |= set_propf(n, "cpus", cell->n_vcpus > 1 ? "%u-%u" : "%u",
                                       cell->first_vcpu, cell->first_vcpu + cell->n_vcpus - 1);
                        r |= set_propf(n, "memory", "%" PRIu64, cell->memory >> 10);
                        r |= set_prop(n, "unit", "KiB");
                }
        }
        return r ? -ENOMEM : 0;
}

int plan_xml_format(const Plan *p, char **ret)
{
        xmlDocPtr doc = xmlNewDoc(X("1.0"));
        xmlNodePtr root;
        int r;

        if (!doc)
                return -ENOMEM;
        root = xmlNewDocNode(doc, NULL, X("domain"), NULL);
        if (!root) {
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        xmlDocSetRootElement(doc, root);
        r = plan_xml_append(p, root);
        if (r < 0) {
                xmlFreeDoc(doc);
                return r;
        }
        xmlBufferPtr buf = xmlBufferCreate();
        xmlSaveCtxtPtr save =
            buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL) : NULL;
        if (!save) {
                if (buf)
                        xmlBufferFree(buf);
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        xmlSaveTree(save, root);
        xmlSaveClose(save);
        xmlFreeDoc(doc);
        size_t len = (size_t) xmlBufferLength(buf);
        char *s = malloc(len + 2);
        if (!s) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }
        memcpy(s, xmlBufferContent(buf), len);
        if (len == 0 || s[len - 1] != '\n')
                s[len++] = '\n';
        s[len] = 0;
        xmlBufferFree(buf);
        *ret = s;
        return 0;
}
