/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <string.h>

#include "cpuset-util.h"
#include "plan-xml.h"
#include "string-util.h"

/* One test per placement rule, on the machine that shows it. */

static Plan *plan_ok(const char *host, const PlanRequest *req)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology(host, NULL);
        Error err = {0};
        Plan *p = plan_or_null(t, req, &err);
        if (!p)
                fail_msg("%s: plan failed: %s", host, err.msg);
        char msg[4096];
        int r = validate_plan_xml(p, msg, sizeof(msg));
        if (r == -EINVAL)
                fail_msg("%s: plan XML does not validate: %s", host, msg);
        return p;
}

static Error plan_err(const char *host, const PlanRequest *req)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology(host, NULL);
        Error err = {0};
        Plan *p = plan_or_null(t, req, &err);
        if (p) {
                plan_free(p);
                fail_msg("%s: plan should have failed", host);
        }
        return err;
}

static const char *pins(const Plan *p)
{
        static char buf[1024];
        size_t n = 0;
        buf[0] = 0;
        for (unsigned v = 0; v < p->vcpus && n < sizeof(buf) - 8; v++)
                n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s%u", v ? " " : "",
                                       p->vcpu_cpu[v]);
        return buf;
}

static bool warned(const Plan *p, const char *needle)
{
        for (char **l = p->warnings; l && *l; l++)
                if (strstr(*l, needle))
                        return true;
        return false;
}

static bool explained(const Plan *p, const char *needle)
{
        for (char **l = p->explain; l && *l; l++)
                if (strstr(*l, needle))
                        return true;
        return false;
}

/* Seed "Performance of your gaming VM": i7-6800K, host keeps cores 0-1, VM 4 cores / 8 threads,
 * vCPU pairs on siblings (2,8), (3,9)... and the emulator on the host's CPUs. */
static void test_seed_gaming_vm(void **state)
{
        PlanRequest req = {.vcpus = 8, .host_cores = 2};
        _cleanup_(plan_freep) Plan *p = plan_ok("i7-6800k", &req);
        assert_string_equal(pins(p), "2 8 3 9 4 10 5 11");
        assert_string_equal(setstr(p->emulator_cpus), "0-1,6-7");
        assert_false(p->emulator_dedicated);
        assert_int_equal(p->sockets, 1);
        assert_int_equal(p->dies, 1);
        assert_int_equal(p->cores, 4);
        assert_int_equal(p->threads, 2);
        assert_false(p->topoext); /* Intel */
}

/* Seed "Low-latency KVM": 6 cores without SMT, 2 for the host, 3 vCPUs and an emulator core. */
static void test_seed_low_latency(void **state)
{
        PlanRequest req = {.vcpus = 3,
                           .host_cores = 2,
                           .emulator = EMULATOR_ISOLATED,
                           .iothreads = 1,
                           .realtime = true};
        _cleanup_(plan_freep) Plan *p = plan_ok("i5-6c-nosmt", &req);
        assert_string_equal(pins(p), "3 4 5");
        assert_string_equal(setstr(p->emulator_cpus), "2");
        assert_true(p->emulator_dedicated);
        assert_string_equal(setstr(p->iothread_cpus), "0-1");
        assert_true(p->realtime);
        assert_true(warned(p, "NO_HZ_FULL")); /* the seed's realtime warning */
}

/* Seed "Mitigating CPU Stutter": i7-4790K, host core 0 (0,4), vCPUs 0-2 on CPUs 1-3 and the
 * emulator on their idle siblings 5-7. */
static void test_seed_stutter(void **state)
{
        PlanRequest req = {.vcpus = 3, .threads = 1, .emulator = EMULATOR_ISOLATED};
        _cleanup_(plan_freep) Plan *p = plan_ok("i7-4790k", &req);
        assert_string_equal(pins(p), "1 2 3");
        assert_string_equal(setstr(p->emulator_cpus), "5-7");
        assert_string_equal(setstr(p->vm_cpus), "1-3,5-7");
        assert_string_equal(setstr(p->host_cpus), "0,4");
}

/* Rule 1: siblings from the kernel's lists, whatever the numbering. */
static void test_siblings_not_arithmetic(void **state)
{
        PlanRequest req = {.vcpus = 4};
        _cleanup_(plan_freep) Plan *a = plan_ok("xeon-2s-interleaved", &req);
        assert_string_equal(pins(a), "13 29 15 31"); /* pairs n, n+16, node 1 has most free */
        _cleanup_(plan_freep) Plan *b = plan_ok("i9-12900k-hybrid", &req);
        assert_string_equal(pins(b), "12 13 14 15"); /* Alder Lake pairs 2k, 2k+1 */
}

/* Rule 2: the host keeps CPU 0's core plus --host-cores - 1; the emulator never shares a vCPU. */
static void test_host_cores(void **state)
{
        PlanRequest req = {.vcpus = 6, .host_cores = 3};
        _cleanup_(plan_freep) Plan *p = plan_ok("i7-6800k", &req);
        assert_string_equal(setstr(p->vcpu_cpus), "3-5,9-11");
        assert_string_equal(setstr(p->host_cpus), "0-2,6-8");
        PlanRequest too_many = {.vcpus = 8, .host_cores = 3};
        Error e = plan_err("i7-6800k", &too_many);
        assert_true(e.input);
        assert_string_equal(e.msg, "need 4 cores with 2 online threads for 8 vCPUs, 3 free after "
                                   "keeping core 0 (cpus 0,6) and room for the other --host-cores "
                                   "for the host; ask for fewer --vcpus or --threads 1");
}

/* Rule 2: --emulator isolated with threads=2 takes a whole core of its own on the VM's node. */
static void test_emulator_isolated_core(void **state)
{
        PlanRequest req = {.vcpus = 6, .emulator = EMULATOR_ISOLATED, .iothreads = 2};
        _cleanup_(plan_freep) Plan *p = plan_ok("i7-6800k", &req);
        assert_string_equal(setstr(p->vcpu_cpus), "3-5,9-11");
        assert_string_equal(setstr(p->emulator_cpus), "2,8");
        assert_string_equal(setstr(p->iothread_cpus), "0-1,6-7");
        assert_false(hwloc_bitmap_intersects(p->host_cpus, p->emulator_cpus));
}

/* Rule 3: the device's node first; -1 means no locality. */
static void test_pci_node(void **state)
{
        char *pci[] = {(char *) "0000:41:00.0", NULL};
        PlanRequest req = {.vcpus = 8, .pci = pci};
        _cleanup_(topology_freep) Topology *t = fixture_topology("xeon-4s-80t", NULL);
        _cleanup_(plan_freep) Plan *p = plan_ok("xeon-4s-80t", &req);
        assert_int_equal(p->n_host_nodes, 1);
        assert_int_equal(p->host_nodes[0], 2);
        assert_true(hwloc_bitmap_isincluded(p->vcpu_cpus, t->nodes[2].cpus));
        assert_true(hwloc_bitmap_isincluded(p->emulator_cpus, t->nodes[2].cpus));
        assert_int_equal(p->mem_nodes[0], 2);
        assert_true(explained(p, "device is attached there"));

        char *gpu[] = {(char *) "af:00.0", NULL};
        PlanRequest r2 = {.vcpus = 8, .pci = gpu};
        _cleanup_(plan_freep) Plan *q = plan_ok("xeon-2s-interleaved", &r2);
        assert_int_equal(q->host_nodes[0], 1);

        char *nolocal[] = {(char *) "0b:00.0", NULL};
        PlanRequest r3 = {.vcpus = 4, .pci = nolocal};
        _cleanup_(plan_freep) Plan *n = plan_ok("ryzen-5900x", &r3);
        assert_true(explained(n, "no NUMA locality"));

        char *bad[] = {(char *) "0000:99:00.0", NULL};
        PlanRequest r4 = {.vcpus = 4, .pci = bad};
        Error e = plan_err("ryzen-5900x", &r4);
        assert_true(e.input);
        assert_non_null(strstr(e.msg, "no such device"));
        char *garbage[] = {(char *) "../../etc", NULL};
        PlanRequest r5 = {.vcpus = 4, .pci = garbage};
        e = plan_err("ryzen-5900x", &r5);
        assert_non_null(strstr(e.msg, "not a PCI address"));
}

/* Rule 3: otherwise the node with most free cores; never memory from a memoryless node. */
static void test_memoryless_node(void **state)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t ex = hwloc_bitmap_alloc();
        assert_int_equal(cpuset_parse_list("16-23,48-55", ex), 0); /* node 2 taken */
        PlanRequest req = {.vcpus = 16, .exclude = ex, .memory = 8ULL << 30};
        _cleanup_(plan_freep) Plan *p = plan_ok("tr-2990wx-memoryless", &req);
        assert_int_equal(p->host_nodes[0], 1); /* node 0 has only 7 free cores */
        assert_int_equal(p->n_mem_nodes, 1);
        assert_int_equal(p->mem_nodes[0], 0); /* nearest node with memory */
        assert_true(explained(p, "memoryless"));
        /* 8 cores on a die of two 4-core CCXs: guest dies=2 */
        assert_int_equal(p->dies, 2);
        assert_int_equal(p->n_l3_groups, 2);
}

/* Rule 3: split only when no node can hold the VM, mirrored as guest NUMA cells. */
static void test_split_nodes(void **state)
{
        PlanRequest req = {.vcpus = 40, .memory = 32ULL << 30};
        _cleanup_(topology_freep) Topology *t = fixture_topology("xeon-4s-80t", NULL);
        _cleanup_(plan_freep) Plan *p = plan_ok("xeon-4s-80t", &req);
        assert_int_equal(p->n_host_nodes, 2);
        assert_int_equal(p->n_cells, 2);
        assert_int_equal(p->sockets, 2);
        assert_int_equal(p->cores, 10);
        assert_int_equal(p->cells[0].n_vcpus, 20);
        assert_int_equal(p->cells[1].first_vcpu, 20);
        assert_true(p->cells[0].memory == 16ULL << 30);
        assert_true(p->cells[1].memory == 16ULL << 30);
        /* the second node is the nearest to the first */
        unsigned a = p->host_nodes[0], b = p->host_nodes[1];
        assert_int_equal(t->nodes[a].distances[b], 16);
        /* each cell's vCPUs are on its node */
        for (unsigned c = 0; c < 2; c++)
                for (unsigned v = p->cells[c].first_vcpu; v < p->cells[c].first_vcpu + 20; v++)
                        assert_true(hwloc_bitmap_isset(t->nodes[p->cells[c].host_node].cpus,
                                                       p->vcpu_cpu[v]));
        assert_true(explained(p, "split across 2 nodes"));

        /* without --memory: no cells (they need sizes), a warning says so */
        PlanRequest nomem = {.vcpus = 40};
        _cleanup_(plan_freep) Plan *q = plan_ok("xeon-4s-80t", &nomem);
        assert_int_equal(q->n_host_nodes, 2);
        assert_true(warned(q, "give --memory"));
        _cleanup_(freep) char *xml = NULL;
        assert_int_equal(plan_xml_format(q, &xml), 0);
        assert_null(strstr(xml, "<numa>"));
        assert_non_null(strstr(xml, "nodeset=\"1,3\""));
}

/* Rule 4: one L3 when it fits, the fullest group that fits, dies = groups otherwise. */
static void test_l3_best_fit(void **state)
{
        PlanRequest five = {.vcpus = 10};
        _cleanup_(plan_freep) Plan *a = plan_ok("ryzen-5900x", &five);
        assert_string_equal(setstr(a->vcpu_cpus), "1-5,13-17"); /* CCD0: 5 free, fuller than CCD1 */
        PlanRequest six = {.vcpus = 12};
        _cleanup_(plan_freep) Plan *b = plan_ok("ryzen-5900x", &six);
        assert_string_equal(setstr(b->vcpu_cpus), "6-11,18-23"); /* only CCD1 has 6 */
        assert_true(b->topoext);
        PlanRequest ten = {.vcpus = 20};
        _cleanup_(plan_freep) Plan *c = plan_ok("ryzen-5900x", &ten);
        assert_int_equal(c->dies, 2);
        assert_int_equal(c->cores, 5);
        assert_int_equal(c->n_l3_groups, 2);
        PlanRequest eleven = {.vcpus = 22};
        _cleanup_(plan_freep) Plan *d = plan_ok("ryzen-5900x", &eleven);
        assert_int_equal(d->dies, 1); /* 5 + 6: not equal, one die */
        assert_int_equal(d->cores, 11);
}

/* Rule 4: X3D: the larger L3 when both fit. */
static void test_x3d_prefers_vcache(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("ryzen-7950x3d", NULL);
        PlanRequest six = {.vcpus = 12};
        _cleanup_(plan_freep) Plan *a = plan_ok("ryzen-7950x3d", &six);
        assert_true(hwloc_bitmap_isincluded(a->vcpu_cpus, t->l3s[0].cpus)); /* 96 MiB */
        PlanRequest eight = {.vcpus = 16};
        _cleanup_(plan_freep) Plan *b = plan_ok("ryzen-7950x3d", &eight);
        assert_true(hwloc_bitmap_isincluded(b->vcpu_cpus, t->l3s[1].cpus)); /* only CCD1 has 8 */
}

/* Rule 5: hybrid: vCPUs on P cores, the rest on E cores. */
static void test_hybrid(void **state)
{
        PlanRequest req = {.vcpus = 12, .iothreads = 1};
        _cleanup_(plan_freep) Plan *p = plan_ok("i9-12900k-hybrid", &req);
        assert_string_equal(setstr(p->vcpu_cpus), "4-15");
        assert_string_equal(setstr(p->emulator_cpus), "16-23");
        assert_string_equal(setstr(p->iothread_cpus), "16-23");
        PlanRequest big = {.vcpus = 16};
        Error e = plan_err("i9-12900k-hybrid", &big);
        assert_non_null(strstr(e.msg, "need 8 P cores"));
        /* threads=1 may not spill onto E cores either */
        PlanRequest one = {.vcpus = 6, .threads = 1, .emulator = EMULATOR_ISOLATED};
        _cleanup_(plan_freep) Plan *q = plan_ok("i9-12900k-hybrid", &one);
        assert_true(hwloc_bitmap_isincluded(q->vcpu_cpus, q->vm_cpus));
        int cpu;
        hwloc_bitmap_foreach_begin (cpu, q->vcpu_cpus) {
                assert_true(cpu < 16);
        }
        hwloc_bitmap_foreach_end();
}

/* Rule 6: offline and excluded CPUs are never used; isolated ones are preferred. */
static void test_offline_exclude_isolated(void **state)
{
        PlanRequest req = {.vcpus = 20};
        _cleanup_(plan_freep) Plan *p = plan_ok("ryzen-5950x-offline", &req);
        assert_false(hwloc_bitmap_isset(p->vm_cpus, 6));
        assert_false(hwloc_bitmap_isset(p->vm_cpus, 9)); /* core 9 lost its sibling 25 */
        assert_false(hwloc_bitmap_isset(p->vm_cpus, 22));

        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t ex = hwloc_bitmap_alloc();
        assert_int_equal(cpuset_parse_list("5", ex), 0); /* one thread of core 5: whole core out */
        PlanRequest r2 = {.vcpus = 4, .exclude = ex};
        _cleanup_(plan_freep) Plan *q = plan_ok("i7-6800k", &r2);
        assert_string_equal(setstr(q->vcpu_cpus), "3-4,9-10");
        assert_false(hwloc_bitmap_isset(q->host_cpus, 11));
        assert_false(hwloc_bitmap_isset(q->emulator_cpus, 5));

        PlanRequest r3 = {.vcpus = 4};
        _cleanup_(plan_freep) Plan *i = plan_ok("i7-6800k-isolated", &r3);
        assert_string_equal(setstr(i->vcpu_cpus), "4-5,10-11");
        assert_true(explained(i, "isolated by the kernel command line"));
}

/* Rule 7: impossible requests and bad input: exit-2 errors with the numbers. */
static void test_errors(void **state)
{
        PlanRequest odd = {.vcpus = 7};
        Error e = plan_err("i7-6800k", &odd);
        assert_true(e.input);
        assert_string_equal(e.msg,
                            "7 vCPUs cannot be whole cores of 2 threads; use --vcpus 6 or 8, "
                            "or --threads 1");
        PlanRequest one = {.vcpus = 1};
        e = plan_err("i7-6800k", &one);
        assert_string_equal(
            e.msg, "1 vCPU cannot be whole cores of 2 threads; use --vcpus 2, or --threads 1");

        PlanRequest big = {.vcpus = 12};
        e = plan_err("i7-6800k", &big);
        assert_string_equal(e.msg, "need 6 cores with 2 online threads for 12 vCPUs, 5 free after "
                                   "keeping core 0 (cpus 0,6) for the host; ask for fewer --vcpus "
                                   "or --threads 1");

        PlanRequest smt = {.vcpus = 2, .threads = 2};
        e = plan_err("i5-6c-nosmt", &smt);
        assert_non_null(strstr(e.msg, "needs SMT"));

        PlanRequest t3 = {.vcpus = 3, .threads = 3};
        e = plan_err("i7-6800k", &t3);
        assert_true(e.input);

        PlanRequest absurd = {.vcpus = 100000};
        e = plan_err("i7-6800k", &absurd);
        assert_non_null(strstr(e.msg, "absurd"));

        PlanRequest hc = {.vcpus = 2, .host_cores = 7};
        e = plan_err("i7-6800k", &hc);
        assert_non_null(strstr(e.msg, "only 6 cores"));

        PlanRequest mem = {.vcpus = 2, .memory = 1536ULL << 20, .hugepages = HUGEPAGES_1G};
        e = plan_err("i7-6800k", &mem);
        assert_string_equal(e.msg,
                            "--memory 1536 MiB is not a multiple of the 1 GiB hugepage size; "
                            "use 1 GiB or 2 GiB");

        PlanRequest huge = {.vcpus = 2, .memory = 64ULL << 30};
        e = plan_err("i7-6800k", &huge);
        assert_non_null(strstr(e.msg, "does not fit node 0"));

        PlanRequest nomem = {.vcpus = 2, .hugepages = HUGEPAGES_2M};
        e = plan_err("i7-6800k", &nomem);
        assert_non_null(strstr(e.msg, "needs --memory"));

        PlanRequest io = {.vcpus = 2, .iothreads = 1000};
        e = plan_err("i7-6800k", &io);
        assert_non_null(strstr(e.msg, "absurd"));

        PlanRequest tiny = {.vcpus = 2, .memory = 4096};
        e = plan_err("i7-6800k", &tiny);
        assert_non_null(strstr(e.msg, "too small"));

        /* smallest host: one core for the host, one for the VM, nothing for an isolated emulator */
        PlanRequest small = {.vcpus = 1, .emulator = EMULATOR_ISOLATED};
        e = plan_err("small-2c", &small);
        assert_non_null(strstr(e.msg, "--emulator isolated needs"));
        PlanRequest two = {.vcpus = 2};
        e = plan_err("small-2c", &two);
        assert_non_null(strstr(e.msg, "need 2 cores"));
}

static void test_defaults_and_memory(void **state)
{
        PlanRequest req = {0};
        _cleanup_(plan_freep) Plan *p = plan_ok("i7-6800k", &req);
        assert_int_equal(p->vcpus, 6); /* half of 12 CPUs */
        assert_int_equal(p->threads, 2);
        assert_true(p->memory == 0);
        assert_true(p->page_size == 0);

        PlanRequest mem = {.vcpus = 4, .memory = 8ULL << 30};
        _cleanup_(plan_freep) Plan *m = plan_ok("i7-6800k", &mem);
        assert_true(m->page_size == 2ULL << 20); /* 2M by default with --memory */
        PlanRequest g = {.vcpus = 4, .memory = 8ULL << 30, .hugepages = HUGEPAGES_1G};
        _cleanup_(plan_freep) Plan *q = plan_ok("i7-6800k", &g);
        assert_true(q->page_size == 1ULL << 30);
        PlanRequest none = {.vcpus = 4, .memory = 8ULL << 30, .hugepages = HUGEPAGES_NONE};
        _cleanup_(plan_freep) Plan *n = plan_ok("i7-6800k", &none);
        assert_true(n->page_size == 0);
}

static void test_xml(void **state)
{
        PlanRequest req = {.vcpus = 4, .iothreads = 2, .memory = 4ULL << 30, .realtime = true};
        _cleanup_(plan_freep) Plan *p = plan_ok("ryzen-5900x", &req);
        _cleanup_(freep) char *xml = NULL;
        assert_int_equal(plan_xml_format(p, &xml), 0);
        assert_non_null(strstr(xml, "<vcpu placement=\"static\">4</vcpu>"));
        assert_non_null(strstr(xml, "<iothreads>2</iothreads>"));
        assert_non_null(strstr(xml, "<iothreadpin iothread=\"2\""));
        assert_non_null(
            strstr(xml, "<vcpusched vcpus=\"0-3\" scheduler=\"fifo\" priority=\"1\"/>"));
        assert_non_null(strstr(xml, "<feature policy=\"require\" name=\"topoext\"/>"));
        assert_non_null(strstr(xml, "<cache mode=\"passthrough\"/>"));
        assert_non_null(strstr(xml, "<page size=\"2048\" unit=\"KiB\"/>"));
        assert_non_null(strstr(xml, "<memory unit=\"KiB\">4194304</memory>"));
        assert_null(strstr(xml, "<?xml"));
        char msg[4096];
        int r = validate_plan_xml(p, msg, sizeof(msg));
        if (r == -ENOENT)
                skip();
        assert_int_equal(r, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_seed_gaming_vm),
            cmocka_unit_test(test_seed_low_latency),
            cmocka_unit_test(test_seed_stutter),
            cmocka_unit_test(test_siblings_not_arithmetic),
            cmocka_unit_test(test_host_cores),
            cmocka_unit_test(test_emulator_isolated_core),
            cmocka_unit_test(test_pci_node),
            cmocka_unit_test(test_memoryless_node),
            cmocka_unit_test(test_split_nodes),
            cmocka_unit_test(test_l3_best_fit),
            cmocka_unit_test(test_x3d_prefers_vcache),
            cmocka_unit_test(test_hybrid),
            cmocka_unit_test(test_offline_exclude_isolated),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_defaults_and_memory),
            cmocka_unit_test(test_xml),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
