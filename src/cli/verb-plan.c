/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "cli-plan-args.h"
#include "cli.h"
#include "cpuset-util.h"
#include "json-writer.h"
#include "parse-util.h"
#include "plan-xml.h"
#include "plan.h"
#include "string-util.h"
#include "topology.h"

enum {
        ARG_EXPLAIN = ARG_PLAN_MAX,
        ARG_JSON,
};

static const CliOption options[] = {
    {"explain", no_argument, ARG_EXPLAIN, 0, NULL, "say why for each choice (on stderr)"},
    {"json", no_argument, ARG_JSON, 0, NULL, "machine-readable plan (documented in docs/json.md)"},
    CLI_OPTION_HELP,
    {},
};

static const CliOptionGroup groups[] = {
    {NULL, plan_options},
    {NULL, options},
    {},
};

static void help(void)
{
        printf(
            "Usage: vmslice [--root DIR] plan [OPTIONS]\n\n"
            "Computes where a VM's vCPUs, emulator and I/O threads and memory should go on this\n"
            "host, and prints the libvirt domain elements for it (<vcpu>, <iothreads>, <cputune>,\n"
            "<numatune>, <memory>, <memoryBacking>, <cpu>) as one <domain> document.\n\n");
        cli_options_help(stdout, groups);
}

static void json_strv(JsonWriter *w, const char *key, char **l)
{
        json_begin_array(w, key);
        for (char **i = l; i && *i; i++)
                json_string(w, NULL, *i);
        json_end_array(w);
}

static char *plan_json(const Plan *p, const char *xml)
{
        JsonWriter w = {0};
        json_begin_object(&w, NULL);
        json_uint(&w, "version", 1);
        json_uint(&w, "vcpus", p->vcpus);
        json_begin_object(&w, "topology");
        json_uint(&w, "sockets", p->sockets);
        json_uint(&w, "dies", p->dies);
        json_uint(&w, "cores", p->cores);
        json_uint(&w, "threads", p->threads);
        json_end_object(&w);
        json_begin_array(&w, "vcpupin");
        for (unsigned v = 0; v < p->vcpus; v++) {
                json_begin_object(&w, NULL);
                json_uint(&w, "vcpu", v);
                json_uint(&w, "cpu", p->vcpu_cpu[v]);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_cpuset(&w, "vcpu_cpus", p->vcpu_cpus);
        json_cpuset(&w, "vm_cpus", p->vm_cpus);
        json_begin_object(&w, "emulator");
        json_cpuset(&w, "cpus", p->emulator_cpus);
        json_bool(&w, "dedicated", p->emulator_dedicated);
        json_end_object(&w);
        json_begin_object(&w, "iothreads");
        json_uint(&w, "count", p->iothreads);
        json_cpuset(&w, "cpus", p->iothread_cpus);
        json_end_object(&w);
        json_cpuset(&w, "host_cpus", p->host_cpus);
        json_begin_array(&w, "nodes");
        for (unsigned i = 0; i < p->n_host_nodes; i++)
                json_uint(&w, NULL, p->host_nodes[i]);
        json_end_array(&w);
        json_begin_array(&w, "memory_nodes");
        for (unsigned i = 0; i < p->n_mem_nodes; i++)
                json_uint(&w, NULL, p->mem_nodes[i]);
        json_end_array(&w);
        json_uint(&w, "l3_groups", p->n_l3_groups);
        json_begin_array(&w, "cells");
        for (unsigned i = 0; i < p->n_cells; i++) {
                json_begin_object(&w, NULL);
                json_uint(&w, "id", i);
                json_uint(&w, "host_node", p->cells[i].host_node);
                json_uint(&w, "memory_node", p->cells[i].mem_node);
                json_uint(&w, "first_vcpu", p->cells[i].first_vcpu);
                json_uint(&w, "vcpus", p->cells[i].n_vcpus);
                json_uint(&w, "memory_bytes", p->cells[i].memory);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_uint(&w, "memory_bytes", p->memory);
        json_uint(&w, "hugepage_size_bytes", p->page_size);
        json_bool(&w, "realtime", p->realtime);
        json_bool(&w, "topoext", p->topoext);
        json_strv(&w, "explain", p->explain);
        json_strv(&w, "warnings", p->warnings);
        json_string(&w, "xml", xml);
        json_end_object(&w);
        return json_steal(&w);
}

int verb_plan(const CliContext *ctx, int argc, char **argv)
{
        _cleanup_(plan_args_done) PlanArgs args = {0};
        bool explain = false, json = false;
        int c, r;

        CliGetopt g;
        cli_getopt_init(&g, groups);
        if (plan_args_init(&args) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");
        while ((c = cli_getopt(&g, argc, argv)) >= 0) {
                r = plan_args_parse(&args, c, optarg);
                if (r == 0)
                        continue;
                if (r != 1)
                        return r;
                switch (c) {
                case ARG_EXPLAIN:
                        explain = true;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return cli_bad_option("plan", argv);
                }
        }
        if (optind < argc)
                return cli_errorf(EXIT_USAGE,
                                  "plan takes no arguments (got '%s'); see 'vmslice plan --help'",
                                  argv[optind]);

        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = NULL;
        r = cli_open_topology(ctx, &h, &t);
        if (r != 0)
                return r;
        Error err = {0};
        _cleanup_(plan_freep) Plan *p = NULL;
        if (plan_compute(t, &args.req, &p, &err) < 0)
                return cli_error(&err);

        _cleanup_(freep) char *xml = NULL;
        if (plan_xml_format(p, &xml) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");
        cli_print_plan_notes(p, explain);
        if (json) {
                _cleanup_(freep) char *s = plan_json(p, xml);
                if (!s)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                fputs(s, stdout);
        } else
                fputs(xml, stdout);
        return EXIT_OK;
}

void cli_print_plan_notes(const Plan *p, bool explain)
{
        if (explain)
                for (char **l = p->explain; l && *l; l++)
                        fprintf(stderr, "# %s\n", *l);
        for (char **l = p->warnings; l && *l; l++)
                fprintf(stderr, "vmslice: warning: %s\n", *l);
}
