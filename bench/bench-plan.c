/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plan time on a synthetic 512-CPU, 8-node host (hwloc's synthetic topology backend):
 * 8 packages x 1 node x 4 L3 groups x 8 cores x 2 threads. Not a test: it prints figures.
 *
 *   build/bench/bench-plan [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "plan-xml.h"
#include "plan.h"
#include "topology.h"

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
        const char *shape = "pack:8 [numa(memory=68719476736)] l3:4 core:8 pu:2";
        unsigned rounds = argc > 1 ? (unsigned) atoi(argv[1]) : 50;
        hwloc_topology_t ht;
        Topology *t = NULL;
        Error err = {0};

        if (rounds == 0)
                rounds = 1;
        double t0 = now_ms();
        if (hwloc_topology_init(&ht) < 0 || hwloc_topology_set_synthetic(ht, shape) < 0 ||
            hwloc_topology_load(ht) < 0) {
                fprintf(stderr, "bench-plan: cannot build the synthetic topology '%s'\n", shape);
                return 1;
        }
        if (topology_from_hwloc(ht, &t, &err) < 0) {
                fprintf(stderr, "bench-plan: %s\n", err.msg);
                return 1;
        }
        hwloc_topology_destroy(ht);
        double t1 = now_ms();
        printf("host: %s -> %u CPUs, %u cores, %u nodes, %u L3 groups (built in %.2f ms)\n", shape,
               (unsigned) hwloc_bitmap_weight(t->online), t->n_cores, t->n_nodes, t->n_l3s,
               t1 - t0);
        printf("%8s %8s %12s %12s %12s\n", "vcpus", "nodes", "plan ms", "xml ms", "max ms");

        static const unsigned sizes[] = {2, 16, 32, 64, 128, 256, 496};
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                double sum = 0, xsum = 0, max = 0;
                unsigned nodes = 0;
                for (unsigned r = 0; r < rounds; r++) {
                        PlanRequest req = {
                            .vcpus = sizes[i], .iothreads = 2, .memory = (uint64_t) sizes[i] << 30};
                        Plan *p = NULL;
                        Error e = {0};
                        double a = now_ms();
                        if (plan_compute(t, &req, &p, &e) < 0) {
                                fprintf(stderr, "bench-plan: %u vCPUs: %s\n", sizes[i], e.msg);
                                return 1;
                        }
                        double b = now_ms();
                        char *xml = NULL;
                        if (plan_xml_format(p, &xml) < 0)
                                return 1;
                        double c = now_ms();
                        sum += b - a;
                        xsum += c - b;
                        if (b - a > max)
                                max = b - a;
                        nodes = p->n_host_nodes;
                        free(xml);
                        plan_free(p);
                }
                printf("%8u %8u %12.3f %12.3f %12.3f\n", sizes[i], nodes, sum / rounds,
                       xsum / rounds, max);
        }
        topology_free(t);
        return 0;
}
