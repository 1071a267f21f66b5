/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <string.h>

#include "cpuset-util.h"
#include "string-util.h"

/* Property tests: on every fixture host (and synthetic hwloc topologies), for every vCPU count,
 * both thread modes and both emulator modes, every plan the planner returns obeys the placement
 * rules and validates against libvirt's schema; every refusal is an input error with a message. */

typedef struct Stats {
        unsigned plans, refused, validated;
} Stats;

static bool eligible_for_vcpus(const Topology *t, const TopoCore *c, unsigned threads,
                               unsigned host_core, hwloc_const_bitmap_t exclude)
{
        if (c->index == host_core || c->n_cpus < threads)
                return false;
        if (t->hybrid && c->kind == CORE_KIND_E)
                return false;
        return !exclude || !hwloc_bitmap_intersects(c->cpus, exclude);
}

static void check_plan(const char *name, const Topology *t, const PlanRequest *req, const Plan *p,
                       Stats *st)
{
        char ctx[256];
        snprintf(ctx, sizeof(ctx), "%s vcpus=%u threads=%u emulator=%s exclude=%s pci=%s", name,
                 p->vcpus, p->threads, req->emulator == EMULATOR_ISOLATED ? "isolated" : "shared",
                 req->exclude ? setstr(req->exclude) : "-", req->pci ? req->pci[0] : "-");
        int host_core = topology_core_of_cpu(t, 0);
        assert_true(host_core >= 0);

        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t seen = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cores_used = hwloc_bitmap_alloc();
        for (unsigned v = 0; v < p->vcpus; v++) {
                unsigned cpu = p->vcpu_cpu[v];
                if (hwloc_bitmap_isset(seen, cpu))
                        fail_msg("%s: two vCPUs on cpu %u", ctx, cpu);
                hwloc_bitmap_set(seen, cpu);
                if (!hwloc_bitmap_isset(t->online, cpu))
                        fail_msg("%s: vCPU %u on offline cpu %u", ctx, v, cpu);
                if (req->exclude && hwloc_bitmap_isset(req->exclude, cpu))
                        fail_msg("%s: vCPU %u on excluded cpu %u", ctx, v, cpu);
                int core = topology_core_of_cpu(t, cpu);
                if (core == host_core)
                        fail_msg("%s: vCPU %u on CPU 0's core", ctx, v);
                if (t->hybrid && t->cores[core].kind == CORE_KIND_E)
                        fail_msg("%s: vCPU %u on an E core", ctx, v);
                if (p->threads == 2 && v % 2 == 1) {
                        int prev = topology_core_of_cpu(t, p->vcpu_cpu[v - 1]);
                        if (prev != core)
                                fail_msg("%s: vCPUs %u,%u on cpus %u,%u are not siblings", ctx,
                                         v - 1, v, p->vcpu_cpu[v - 1], cpu);
                } else {
                        if (hwloc_bitmap_isset(cores_used, (unsigned) core))
                                fail_msg("%s: two guest cores on host core %d", ctx, core);
                        hwloc_bitmap_set(cores_used, (unsigned) core);
                }
        }
        assert_true(hwloc_bitmap_isequal(seen, p->vcpu_cpus));

        /* whole cores: the VM's CPUs are exactly the CPUs of the cores it uses */
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t whole = hwloc_bitmap_alloc();
        int c;
        hwloc_bitmap_foreach_begin (c, cores_used) {
                hwloc_bitmap_or(whole, whole, t->cores[c].cpus);
        }
        hwloc_bitmap_foreach_end();
        if (!hwloc_bitmap_isequal(whole, p->vm_cpus))
                fail_msg("%s: vm cpus %s are not the whole cores %s", ctx, setstr(p->vm_cpus),
                         setstr(whole));

        /* emulator and iothreads never on a vCPU's CPU (nor the VM's idle siblings unless
         * dedicated), host CPUs never overlap the VM */
        assert_false(hwloc_bitmap_iszero(p->emulator_cpus));
        if (hwloc_bitmap_intersects(p->emulator_cpus, p->vcpu_cpus))
                fail_msg("%s: emulator %s on vCPU cpus", ctx, setstr(p->emulator_cpus));
        if (hwloc_bitmap_intersects(p->iothread_cpus, p->vm_cpus))
                fail_msg("%s: iothreads %s on the VM's cores", ctx, setstr(p->iothread_cpus));
        if (!p->emulator_dedicated && hwloc_bitmap_intersects(p->emulator_cpus, p->vm_cpus))
                fail_msg("%s: shared emulator on the VM's cores", ctx);
        if (!p->emulator_dedicated && !hwloc_bitmap_isincluded(p->emulator_cpus, p->host_cpus))
                fail_msg("%s: shared emulator not on host cpus", ctx);
        if (p->emulator_dedicated && hwloc_bitmap_intersects(p->emulator_cpus, p->host_cpus))
                fail_msg("%s: dedicated emulator shares host cpus", ctx);
        if (hwloc_bitmap_intersects(p->host_cpus, p->vm_cpus))
                fail_msg("%s: host cpus overlap the VM", ctx);
        assert_true(hwloc_bitmap_isincluded(t->cores[host_core].cpus, p->host_cpus));
        if (req->exclude)
                assert_false(hwloc_bitmap_intersects(p->host_cpus, req->exclude));

        /* guest topology covers every vCPU */
        assert_int_equal(p->sockets * p->dies * p->cores * p->threads, p->vcpus);

        /* NUMA: vCPUs only on the plan's nodes; memory only from nodes with memory */
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t nodecpus = hwloc_bitmap_alloc();
        for (unsigned i = 0; i < p->n_host_nodes; i++)
                hwloc_bitmap_or(nodecpus, nodecpus,
                                t->nodes[topology_node_by_os_index(t, p->host_nodes[i])].cpus);
        if (!hwloc_bitmap_isincluded(p->vcpu_cpus, nodecpus))
                fail_msg("%s: vCPUs outside the plan's nodes", ctx);
        for (unsigned i = 0; i < p->n_mem_nodes; i++) {
                int n = topology_node_by_os_index(t, p->mem_nodes[i]);
                if (t->nodes[n].mem_total == 0)
                        fail_msg("%s: guest memory from memoryless node %u", ctx, p->mem_nodes[i]);
        }

        /* split only when no single node could hold the VM; the device's node first */
        unsigned need = p->vcpus / p->threads;
        int pci_node = -1;
        if (req->pci) {
                const TopoPci *d = topology_find_pci(t, req->pci[0]);
                if (d && d->numa_node >= 0)
                        pci_node = topology_node_by_os_index(t, (unsigned) d->numa_node);
        }
        unsigned best_node_free = 0, pci_node_free = 0;
        for (unsigned n = 0; n < t->n_nodes; n++) {
                unsigned f = 0;
                for (unsigned i = 0; i < t->n_cores; i++)
                        if (t->cores[i].node == (int) n &&
                            eligible_for_vcpus(t, &t->cores[i], p->threads, (unsigned) host_core,
                                               req->exclude))
                                f++;
                best_node_free = MAX(best_node_free, f);
                if ((int) n == pci_node)
                        pci_node_free = f;
        }
        if (pci_node >= 0) {
                if (p->host_nodes[0] != t->nodes[pci_node].os_index)
                        fail_msg("%s: first node %u is not the device's node", ctx,
                                 p->host_nodes[0]);
                if (pci_node_free >= need && p->n_host_nodes != 1)
                        fail_msg("%s: split although the device's node holds the VM", ctx);
        } else if (best_node_free >= need && p->n_host_nodes != 1)
                fail_msg("%s: split across %u nodes although one holds %u cores", ctx,
                         p->n_host_nodes, best_node_free);

        /* one L3 when the request fits one L3 group of the chosen node */
        if (p->n_host_nodes == 1) {
                int node = topology_node_by_os_index(t, p->host_nodes[0]);
                unsigned best_l3 = 0;
                for (unsigned l = 0; l < t->n_l3s; l++) {
                        unsigned f = 0;
                        for (unsigned i = 0; i < t->n_cores; i++)
                                if (t->cores[i].l3 == (int) l && t->cores[i].node == node &&
                                    eligible_for_vcpus(t, &t->cores[i], p->threads,
                                                       (unsigned) host_core, req->exclude))
                                        f++;
                        best_l3 = MAX(best_l3, f);
                }
                if (best_l3 >= need) {
                        bool inside = false;
                        for (unsigned l = 0; l < t->n_l3s; l++)
                                inside |= hwloc_bitmap_isincluded(p->vcpu_cpus, t->l3s[l].cpus);
                        if (!inside || p->n_l3_groups != 1)
                                fail_msg("%s: %u cores fit one L3 group but span %u", ctx, need,
                                         p->n_l3_groups);
                }
        }

        char msg[4096];
        int r = validate_plan_xml(p, msg, sizeof(msg));
        if (r == -EINVAL)
                fail_msg("%s: XML does not validate: %s", ctx, msg);
        if (r == 0)
                st->validated++;
        st->plans++;
}

static void sweep(const char *name, const Topology *t, Stats *st)
{
        unsigned online = (unsigned) hwloc_bitmap_weight(t->online);
        char *pci[2] = {NULL, NULL};
        /* a device with locality, when the host has one */
        for (unsigned i = 0; i < t->n_pci; i++)
                if (t->pci[i].numa_node >= 0) {
                        pci[0] = (char *) t->pci[i].addr;
                        break;
                }
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t ex = hwloc_bitmap_alloc();
        /* another VM on the highest core */
        if (t->n_cores > 2)
                hwloc_bitmap_copy(ex, t->cores[t->n_cores - 1].cpus);

        for (unsigned threads = 1; threads <= 2; threads++) {
                if (threads == 2 && !t->smt)
                        continue;
                for (int emu = 0; emu < 2; emu++)
                        for (int variant = 0; variant < 3; variant++)
                                for (unsigned v = threads; v <= online; v += threads) {
                                        PlanRequest req = {
                                            .vcpus = v,
                                            .threads = threads,
                                            .emulator = emu ? EMULATOR_ISOLATED : EMULATOR_SHARED,
                                            .iothreads = (v / threads) % 3,
                                            .memory = (uint64_t) v * (256ULL << 20),
                                            .realtime = v % 4 == 0,
                                        };
                                        if (variant == 1) {
                                                if (!pci[0])
                                                        continue;
                                                req.pci = pci;
                                        }
                                        if (variant == 2) {
                                                if (hwloc_bitmap_iszero(ex))
                                                        continue;
                                                req.exclude = ex;
                                        }
                                        Error err = {0};
                                        Plan *p = plan_or_null(t, &req, &err);
                                        if (!p) {
                                                if (!err.input || !err.msg[0])
                                                        fail_msg(
                                                            "%s vcpus=%u: refused without an input "
                                                            "error: %s",
                                                            name, v, err.msg);
                                                st->refused++;
                                                continue;
                                        }
                                        check_plan(name, t, &req, p, st);
                                        plan_free(p);
                                }
        }
}

static void test_fixtures(void **state)
{
        _cleanup_(strv_freep) char **hosts = fixture_hosts();
        Stats total = {0};
        for (char **name = hosts; *name; name++) {
                _cleanup_(topology_freep) Topology *t = fixture_topology(*name, NULL);
                Stats st = {0};
                sweep(*name, t, &st);
                print_message(
                    "# %-22s %4u plans checked (%u validated by libvirt's schema), %u refused\n",
                    *name, st.plans, st.validated, st.refused);
                assert_true(st.plans > 0);
                total.plans += st.plans;
                total.refused += st.refused;
                total.validated += st.validated;
        }
        print_message("# all fixtures: %u plans checked, %u validated, %u refused\n", total.plans,
                      total.validated, total.refused);
}

static void test_synthetic(void **state)
{
        static const char *const shapes[] = {
            "pack:2 [numa(memory=68719476736)] l3:2 core:4 pu:2", /* 2 nodes x 2 CCX */
            "[numa(memory=68719476736)] pack:1 l3:3 core:4 pu:1", /* no SMT, 3 L3 groups */
            "pack:4 [numa(memory=68719476736)] core:6 pu:2",      /* no L3 info */
            "pack:1 [numa(memory=68719476736)] l3:2 core:3 pu:4", /* SMT4 */
        };
        for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
                hwloc_topology_t ht;
                assert_int_equal(hwloc_topology_init(&ht), 0);
                assert_int_equal(hwloc_topology_set_synthetic(ht, shapes[i]), 0);
                assert_int_equal(hwloc_topology_load(ht), 0);
                Topology *t = NULL;
                Error err = {0};
                assert_int_equal(topology_from_hwloc(ht, &t, &err), 0);
                hwloc_topology_destroy(ht);
                Stats st = {0};
                sweep(shapes[i], t, &st);
                print_message("# synthetic %-32s %4u plans checked, %u refused\n", shapes[i],
                              st.plans, st.refused);
                assert_true(st.plans > 0);
                topology_free(t);
        }
}

/* The same request gives the same plan: output is deterministic. */
static void test_deterministic(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("xeon-4s-80t", NULL);
        PlanRequest req = {.vcpus = 40, .memory = 16ULL << 30, .iothreads = 2};
        Error err = {0};
        _cleanup_(plan_freep) Plan *a = plan_or_null(t, &req, &err);
        _cleanup_(plan_freep) Plan *b = plan_or_null(t, &req, &err);
        assert_non_null(a);
        assert_non_null(b);
        assert_memory_equal(a->vcpu_cpu, b->vcpu_cpu, sizeof(unsigned) * a->vcpus);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fixtures),
            cmocka_unit_test(test_synthetic),
            cmocka_unit_test(test_deterministic),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
