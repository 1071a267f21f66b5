/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <string.h>

#include "cpuset-util.h"
#include "string-util.h"

typedef struct Expect {
        const char *name;
        unsigned packages, dies, nodes, l3s, cores, cpus;
        bool smt, hybrid;
        const char *offline, *isolated;
} Expect;

/* What each fixture is, as the machine it models would report it. */
static const Expect expected[] = {
    {"i5-6c-nosmt", 1, 1, 1, 1, 6, 6, false, false, "", ""},
    {"i7-4790k", 1, 1, 1, 1, 4, 8, true, false, "", ""},
    {"i7-6800k", 1, 1, 1, 1, 6, 12, true, false, "", ""},
    {"i7-6800k-isolated", 1, 1, 1, 1, 6, 12, true, false, "", "2-5,8-11"},
    {"i9-12900k-hybrid", 1, 1, 1, 1, 16, 24, true, true, "", ""},
    {"ryzen-5900x", 1, 1, 1, 2, 12, 24, true, false, "", ""},
    {"ryzen-5950x-offline", 1, 1, 1, 2, 15, 29, true, false, "6,22,25", ""},
    {"ryzen-7950x3d", 1, 1, 1, 2, 16, 32, true, false, "", ""},
    {"small-2c", 1, 1, 1, 1, 2, 2, false, false, "", ""},
    {"tr-2990wx-memoryless", 1, 4, 4, 8, 32, 64, true, false, "", ""},
    {"xeon-2s-interleaved", 2, 2, 2, 2, 16, 32, true, false, "", ""},
    {"xeon-4s-80t", 4, 4, 4, 4, 40, 80, true, false, "", ""},
    {"debian12-vm-2c", 1, 1, 1, 0, 2, 2, false, false, "", ""},
};

static const Expect *find_expect(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                if (streq(expected[i].name, name))
                        return &expected[i];
        return NULL;
}

/* Every fixture has an expectation, and every expectation a fixture. */
static void test_every_fixture_known(void **state)
{
        _cleanup_(strv_freep) char **hosts = fixture_hosts();
        for (char **h = hosts; *h; h++)
                if (!find_expect(*h))
                        fail_msg("fixture %s has no expectation in test-topology.c", *h);
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                if (!strv_contains(hosts, expected[i].name))
                        fail_msg("expected fixture %s is missing from tests/data/hosts",
                                 expected[i].name);
}

static void test_counts(void **state)
{
        _cleanup_(strv_freep) char **hosts = fixture_hosts();
        for (char **name = hosts; *name; name++) {
                const Expect *e = find_expect(*name);
                assert_non_null(e);
                _cleanup_(topology_freep) Topology *t = fixture_topology(*name, NULL);
                print_message("# %s: %u packages, %u dies, %u nodes, %u L3, %u cores, %d cpus\n",
                              *name, t->n_packages, t->n_dies, t->n_nodes, t->n_l3s, t->n_cores,
                              hwloc_bitmap_weight(t->online));
                assert_int_equal(t->n_packages, e->packages);
                assert_int_equal(t->n_dies, e->dies);
                assert_int_equal(t->n_nodes, e->nodes);
                assert_int_equal(t->n_l3s, e->l3s);
                assert_int_equal(t->n_cores, e->cores);
                assert_int_equal(hwloc_bitmap_weight(t->online), e->cpus);
                assert_int_equal(t->smt, e->smt);
                assert_int_equal(t->hybrid, e->hybrid);
                assert_string_equal(setstr(t->offline), e->offline);
                assert_string_equal(setstr(t->isolated), e->isolated);
        }
}

/* Cores are the kernel's sibling lists: for every online CPU, its core holds exactly the online
 * CPUs of /sys/devices/system/cpu/cpuN/topology/thread_siblings_list. Cores partition the online
 * CPUs, and each core lies inside its L3 group, node, die and package. */
static void test_cores_are_kernel_siblings(void **state)
{
        _cleanup_(strv_freep) char **hosts = fixture_hosts();
        for (char **name = hosts; *name; name++) {
                _cleanup_(host_freep) Host *h = NULL;
                _cleanup_(topology_freep) Topology *t = fixture_topology(*name, &h);
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t sib = hwloc_bitmap_alloc();
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t seen = hwloc_bitmap_alloc();
                int cpu;
                hwloc_bitmap_foreach_begin (cpu, t->online) {
                        assert_int_equal(host_read_cpusetf(h, sib,
                                                           "/sys/devices/system/cpu/cpu%d/topology/"
                                                           "thread_siblings_list",
                                                           cpu),
                                         0);
                        hwloc_bitmap_and(sib, sib, t->online);
                        int c = topology_core_of_cpu(t, (unsigned) cpu);
                        assert_true(c >= 0);
                        if (!hwloc_bitmap_isequal(sib, t->cores[c].cpus))
                                fail_msg("%s: cpu %d: core has %s, kernel siblings %s", *name, cpu,
                                         setstr(t->cores[c].cpus), setstr(sib));
                }
                hwloc_bitmap_foreach_end();
                for (unsigned i = 0; i < t->n_cores; i++) {
                        const TopoCore *c = &t->cores[i];
                        assert_false(hwloc_bitmap_intersects(seen, c->cpus));
                        hwloc_bitmap_or(seen, seen, c->cpus);
                        assert_int_equal(c->index, i);
                        assert_int_equal(c->n_cpus, hwloc_bitmap_weight(c->cpus));
                        if (c->l3 >= 0)
                                assert_true(hwloc_bitmap_isincluded(c->cpus, t->l3s[c->l3].cpus));
                        assert_true(c->node >= 0);
                        assert_true(hwloc_bitmap_isincluded(c->cpus, t->nodes[c->node].cpus));
                        assert_true(hwloc_bitmap_isincluded(c->cpus, t->packages[c->package].cpus));
                        assert_true(hwloc_bitmap_isincluded(c->cpus, t->dies[c->die].cpus));
                        if (i > 0)
                                assert_true(t->cores[i - 1].first_cpu < c->first_cpu);
                }
                assert_true(hwloc_bitmap_isequal(seen, t->online));
        }
}

static void test_hybrid(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("i9-12900k-hybrid", NULL);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t p = hwloc_bitmap_alloc(),
                                                     e = hwloc_bitmap_alloc();
        for (unsigned i = 0; i < t->n_cores; i++)
                hwloc_bitmap_or(t->cores[i].kind == CORE_KIND_P ? p : e,
                                t->cores[i].kind == CORE_KIND_P ? p : e, t->cores[i].cpus);
        assert_string_equal(setstr(p), "0-15");
        assert_string_equal(setstr(e), "16-23");
        /* P siblings are adjacent on Alder Lake: 0,1 is one core */
        assert_string_equal(setstr(t->cores[0].cpus), "0-1");
}

static void test_x3d_l3_sizes(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("ryzen-7950x3d", NULL);
        assert_int_equal(t->n_l3s, 2);
        assert_true(t->l3s[0].size == 96ULL << 20);
        assert_true(t->l3s[1].size == 32ULL << 20);
        assert_string_equal(setstr(t->l3s[0].cpus), "0-7,16-23");
        assert_string_equal(t->vendor, "AuthenticAMD");
}

static void test_memoryless_nodes(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("tr-2990wx-memoryless", NULL);
        assert_int_equal(t->n_nodes, 4);
        assert_true(t->nodes[0].mem_total == 64ULL << 30);
        assert_true(t->nodes[1].mem_total == 0);
        assert_true(t->nodes[3].mem_total == 0);
        assert_string_equal(setstr(t->nodes[1].cpus), "8-15,40-47");
        assert_int_equal(t->nodes[1].distances[0], 16);
        assert_int_equal(t->nodes[1].distances[1], 10);
        const TopoPci *gpu = topology_find_pci(t, "42:00.0");
        assert_non_null(gpu);
        assert_int_equal(gpu->numa_node, 2);
        assert_int_equal(gpu->kind, PCI_KIND_GPU);
        assert_string_equal(gpu->driver, "vfio-pci");
}

static void test_interleaved_packages(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("xeon-2s-interleaved", NULL);
        assert_string_equal(setstr(t->packages[0].cpus),
                            "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30");
        assert_string_equal(setstr(t->nodes[1].cpus), "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31");
        /* siblings are n and n+16, not 2k,2k+1 */
        int c = topology_core_of_cpu(t, 1);
        assert_string_equal(setstr(t->cores[c].cpus), "1,17");
        assert_int_equal(t->nodes[0].n_hugepages, 2);
        assert_true(t->nodes[0].hugepages[0].page_size == 2ULL << 20);
        assert_int_equal(t->nodes[0].hugepages[0].total, 512);
        assert_int_equal(t->nodes[0].hugepages[0].free, 512);
}

static void test_offline(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("ryzen-5950x-offline", NULL);
        assert_int_equal(topology_core_of_cpu(t, 6), -1);
        assert_int_equal(topology_core_of_cpu(t, 22), -1);
        int c = topology_core_of_cpu(t, 9);
        assert_string_equal(setstr(t->cores[c].cpus), "9"); /* 25 is offline */
        assert_int_equal(t->cores[c].n_cpus, 1);
}

/* isolcpus= flags: only domain isolation (no flags, or the "domain" flag) counts as isolcpus;
 * nohz_full= always counts as isolated. */
static void test_isolation_cmdline(void **state)
{
        static const struct {
                const char *cmdline, *isolcpus, *nohz, *isolated;
        } cases[] = {
            {"ro quiet", "", "", ""},
            {"isolcpus=2-5", "2-5", "", "2-5"},
            {"isolcpus=domain,managed_irq,2-3 nohz_full=4", "2-3", "4", "2-4"},
            {"isolcpus=nohz,2-3", "", "", ""},
            {"isolcpus=managed_irq,2-3", "", "", ""},
            {"isolcpus=1 isolcpus=3", "3", "", "3"},
            {"isolcpus=garbage", "", "", ""},
            {"nohz_full=1-11:2/4", "", "1-2,5-6,9-10", "1-2,5-6,9-10"},
            {"isolcpus=99", "99", "", ""}, /* beyond the host: not online, not isolated */
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(host_freep) Host *h = fixture_host_private("i7-6800k");
                assert_int_equal(host_write_file(h, "/proc/cmdline", cases[i].cmdline), 0);
                Topology *t = NULL;
                Error err = {0};
                assert_int_equal(topology_load(h, &t, &err), 0);
                assert_string_equal(setstr(t->isolcpus), cases[i].isolcpus);
                assert_string_equal(setstr(t->nohz_full), cases[i].nohz);
                assert_string_equal(setstr(t->isolated), cases[i].isolated);
                topology_free(t);
        }
}

/* A fixture must never show the machine the tests run on: the same tree gives the same topology
 * whether given as a directory or a tarball, and hwloc reads nothing outside it. */
static void test_root_is_honoured(void **state)
{
        _cleanup_(host_freep) Host *h = fixture_host("xeon-4s-80t");
        _cleanup_(topology_freep) Topology *t1 = NULL, *t2 = NULL;
        Error err = {0};
        assert_int_equal(topology_load(h, &t1, &err), 0);
        _cleanup_(host_freep) Host *d = NULL;
        assert_int_equal(host_new(host_root(h), &d, &err), 0);
        assert_false(host_is_live(d));
        assert_int_equal(topology_load(d, &t2, &err), 0);
        assert_int_equal(t1->n_cores, 40);
        assert_int_equal(t2->n_cores, 40);
        assert_true(hwloc_bitmap_isequal(t1->online, t2->online));
}

static void test_bad_roots(void **state)
{
        Host *h = NULL;
        Error err = {0};
        assert_true(host_new("/nonexistent/vmslice", &h, &err) < 0);
        assert_true(err.input);
        assert_non_null(strstr(err.msg, "/nonexistent/vmslice"));

        /* an empty directory has no topology: a clear error, not a crash */
        char tmpl[] = "/tmp/vmslice-empty-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        Error e2 = {0};
        assert_int_equal(host_new(tmpl, &h, &e2), 0);
        Topology *t = NULL;
        assert_true(topology_load(h, &t, &e2) < 0);
        assert_true(e2.input);
        assert_non_null(strstr(e2.msg, "no CPU topology"));
        host_free(h);
        rmdir(tmpl);
}

static void test_symlinks_stay_inside_root(void **state)
{
        /* a tree whose sysfs file is a symlink to the real /etc/hostname must not read it */
        char tmpl[] = "/tmp/vmslice-link-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        char path[512];
        snprintf(path, sizeof(path), "%s/passwd", tmpl);
        assert_int_equal(symlink("/etc/passwd", path), 0);
        Host *h = NULL;
        Error err = {0};
        assert_int_equal(host_new(tmpl, &h, &err), 0);
        char *s = NULL;
        assert_true(host_read_file(h, "/passwd", 4096, &s) < 0);
        assert_null(s);
        host_free(h);
        unlink(path);
        rmdir(tmpl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_fixture_known),
            cmocka_unit_test(test_counts),
            cmocka_unit_test(test_cores_are_kernel_siblings),
            cmocka_unit_test(test_hybrid),
            cmocka_unit_test(test_x3d_l3_sizes),
            cmocka_unit_test(test_memoryless_nodes),
            cmocka_unit_test(test_interleaved_packages),
            cmocka_unit_test(test_offline),
            cmocka_unit_test(test_isolation_cmdline),
            cmocka_unit_test(test_root_is_honoured),
            cmocka_unit_test(test_bad_roots),
            cmocka_unit_test(test_symlinks_stay_inside_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
