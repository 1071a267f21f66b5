/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cpuset-util.h"
#include "json-writer.h"
#include "parse-util.h"
#include "plan-xml.h"
#include "plan.h"
#include "string-util.h"
#include "topology.h"

static void help(void)
{
        printf(
            "Usage: vmslice [--root DIR] plan [OPTIONS]\n\n"
            "Computes where a VM's vCPUs, emulator and I/O threads and memory should go on this\n"
            "host, and prints the libvirt domain elements for it (<vcpu>, <iothreads>, <cputune>,\n"
            "<numatune>, <memory>, <memoryBacking>, <cpu>) as one <domain> document.\n\n"
            "  --vcpus N            guest vCPUs (default: half the host's CPUs, whole cores)\n"
            "  --threads 1|2|auto   guest threads per core (auto: 2 when the host has SMT)\n"
            "  --host-cores N       cores kept for the host, CPU 0's core included (default 1)\n"
            "  --pci BDF            place near this device, e.g. the passed-through GPU\n"
            "                       (repeatable; 0000:01:00.0 or 01:00.0)\n"
            "  --emulator shared|isolated\n"
            "                       emulator thread on the host's CPUs (default) or on a core\n"
            "                       (or idle siblings) of its own\n"
            "  --iothreads N        I/O threads, pinned to the host's CPUs of the VM's node\n"
            "  --memory SIZE        guest memory (16G, 16384M, 16GiB; a bare number is MiB)\n"
            "  --hugepages 2M|1G|none\n"
            "                       back guest memory with hugepages (default 2M with --memory)\n"
            "  --realtime           SCHED_FIFO priority 1 for the vCPUs (read the warning)\n"
            "  --exclude CPUS       CPUs taken by other VMs, e.g. 4-7,12-15\n"
            "  --explain            say why for each choice (on stderr)\n"
            "  --json               machine-readable plan (documented in docs/json.md)\n"
            "  -h, --help\n");
}

enum {
        ARG_VCPUS = 0x100,
        ARG_THREADS,
        ARG_HOST_CORES,
        ARG_PCI,
        ARG_EMULATOR,
        ARG_IOTHREADS,
        ARG_MEMORY,
        ARG_HUGEPAGES,
        ARG_REALTIME,
        ARG_EXCLUDE,
        ARG_EXPLAIN,
        ARG_JSON,
};

static int parse_count(const char *opt, const char *value, unsigned min, unsigned max,
                       unsigned *ret)
{
        unsigned v;
        int r = safe_atou(value, &v);
        if (r < 0 || v < min || v > max)
                return cli_errorf(EXIT_USAGE, "%s '%s' is not a number from %u to %u", opt, value,
                                  min, max);
        *ret = v;
        return 0;
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
        static const struct option options[] = {
            {"vcpus", required_argument, NULL, ARG_VCPUS},
            {"threads", required_argument, NULL, ARG_THREADS},
            {"host-cores", required_argument, NULL, ARG_HOST_CORES},
            {"pci", required_argument, NULL, ARG_PCI},
            {"emulator", required_argument, NULL, ARG_EMULATOR},
            {"iothreads", required_argument, NULL, ARG_IOTHREADS},
            {"memory", required_argument, NULL, ARG_MEMORY},
            {"hugepages", required_argument, NULL, ARG_HUGEPAGES},
            {"realtime", no_argument, NULL, ARG_REALTIME},
            {"exclude", required_argument, NULL, ARG_EXCLUDE},
            {"explain", no_argument, NULL, ARG_EXPLAIN},
            {"json", no_argument, NULL, ARG_JSON},
            {"help", no_argument, NULL, 'h'},
            {},
        };
        PlanRequest req = {.host_cores = 1};
        _cleanup_(strv_freep) char **pci = NULL;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t exclude = hwloc_bitmap_alloc();
        bool explain = false, json = false;
        int c, r;

        if (!exclude)
                return cli_errorf(EXIT_FAIL, "out of memory");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case ARG_VCPUS:
                        r = parse_count("--vcpus", optarg, 1, PLAN_VCPUS_MAX, &req.vcpus);
                        break;
                case ARG_THREADS:
                        if (streq(optarg, "auto"))
                                req.threads = 0;
                        else if (streq(optarg, "1") || streq(optarg, "2"))
                                req.threads = (unsigned) (optarg[0] - '0');
                        else
                                r = cli_errorf(EXIT_USAGE, "--threads '%s': use 1, 2 or auto",
                                               optarg);
                        break;
                case ARG_HOST_CORES:
                        r = parse_count("--host-cores", optarg, 1, 8192, &req.host_cores);
                        break;
                case ARG_PCI:
                        if (strv_extend(&pci, optarg) < 0)
                                r = cli_errorf(EXIT_FAIL, "out of memory");
                        break;
                case ARG_EMULATOR:
                        if (streq(optarg, "shared"))
                                req.emulator = EMULATOR_SHARED;
                        else if (streq(optarg, "isolated"))
                                req.emulator = EMULATOR_ISOLATED;
                        else
                                r = cli_errorf(EXIT_USAGE,
                                               "--emulator '%s': use shared or isolated", optarg);
                        break;
                case ARG_IOTHREADS:
                        r = parse_count("--iothreads", optarg, 0, PLAN_IOTHREADS_MAX,
                                        &req.iothreads);
                        break;
                case ARG_MEMORY: {
                        uint64_t bytes;
                        int k = parse_size(optarg, 1ULL << 20, &bytes);
                        if (k < 0 || bytes == 0)
                                r = cli_errorf(
                                    EXIT_USAGE,
                                    "--memory '%s' is not a size; use e.g. 16G, 16384M or "
                                    "16GiB (a bare number is MiB)",
                                    optarg);
                        else
                                req.memory = bytes;
                        break;
                }
                case ARG_HUGEPAGES: {
                        uint64_t bytes = 0;
                        if (streq(optarg, "none") || streq(optarg, "no"))
                                req.hugepages = HUGEPAGES_NONE;
                        else if (parse_size(optarg, 1ULL << 20, &bytes) >= 0 &&
                                 bytes == (2ULL << 20))
                                req.hugepages = HUGEPAGES_2M;
                        else if (parse_size(optarg, 1ULL << 20, &bytes) >= 0 &&
                                 bytes == (1ULL << 30))
                                req.hugepages = HUGEPAGES_1G;
                        else
                                r = cli_errorf(EXIT_USAGE, "--hugepages '%s': use 2M, 1G or none",
                                               optarg);
                        break;
                }
                case ARG_REALTIME:
                        req.realtime = true;
                        break;
                case ARG_EXCLUDE: {
                        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t x = hwloc_bitmap_alloc();
                        if (!x || cpuset_parse_list(optarg, x) < 0)
                                r = cli_errorf(
                                    EXIT_USAGE,
                                    "--exclude '%s' is not a CPU list; use e.g. 4-7,12-15", optarg);
                        else
                                hwloc_bitmap_or(exclude, exclude, x);
                        break;
                }
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
                if (r != 0)
                        return r;
        }
        if (optind < argc)
                return cli_errorf(EXIT_USAGE,
                                  "plan takes no arguments (got '%s'); see 'vmslice plan --help'",
                                  argv[optind]);
        req.pci = pci;
        req.exclude = exclude;

        _cleanup_(host_freep) Host *h = NULL;
        r = cli_open_host(ctx, &h);
        if (r != 0)
                return r;
        Error err = {0};
        _cleanup_(topology_freep) Topology *t = NULL;
        if (topology_load(h, &t, &err) < 0)
                return cli_error(&err);
        _cleanup_(plan_freep) Plan *p = NULL;
        if (plan_compute(t, &req, &p, &err) < 0)
                return cli_error(&err);

        _cleanup_(freep) char *xml = NULL;
        if (plan_xml_format(p, &xml) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");
        if (explain)
                for (char **l = p->explain; l && *l; l++)
                        fprintf(stderr, "# %s\n", *l);
        for (char **l = p->warnings; l && *l; l++)
                fprintf(stderr, "vmslice: warning: %s\n", *l);
        if (json) {
                _cleanup_(freep) char *s = plan_json(p, xml);
                if (!s)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                fputs(s, stdout);
        } else
                fputs(xml, stdout);
        return EXIT_OK;
}
