/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/numa_maps (probe/qemu-proc.c) and where it puts guest RAM. */
#include <string.h>

#include "fuzz.h"
#include "qemu-proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(numa_maps_done) NumaMaps m = {0};
        int r = numa_maps_parse(text, &m);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r < 0)
                return 0;
        FUZZ_CHECK(m.n <= PROC_MAPS_MAX);
        for (size_t i = 0; i < m.n; i++) {
                const NumaMapsEntry *e = &m.e[i];
                FUZZ_CHECK(e->policy && *e->policy && !strchr(e->policy, ' '));
                for (unsigned k = 0; k < e->n_nodes; k++) {
                        FUZZ_CHECK(e->nodes[k].node <= NUMA_MAPS_NODE_MAX);
                        for (unsigned j = 0; j < k; j++)
                                FUZZ_CHECK(e->nodes[j].node != e->nodes[k].node);
                }
        }

        /* each mapping as a 1 GiB RAM mapping in 2 MiB pages, as smaps would show it, and guest
         * memory of that many GiB: each is guest RAM (up to 16 of them: a RAM mapping is at least
         * a 16th of the memory), and its nodes' bytes are their pages times the page size,
         * saturated; the first numa_maps line of an address counts */
        _cleanup_(smaps_done) Smaps s = {.e = calloc(m.n ? m.n : 1, sizeof(SmapsEntry)), .n = m.n};
        if (!s.e)
                abort();
        for (size_t i = 0; i < m.n; i++)
                s.e[i] = (SmapsEntry){.start = m.e[i].start,
                                      .end = m.e[i].start,
                                      .perms = "rw-p",
                                      .size = 1ULL << 30,
                                      .kernel_page_size = 2ULL << 20};
        QemuRam *ram = NULL;
        size_t n = 0;
        FUZZ_CHECK(qemu_guest_ram(&s, &m, (uint64_t) m.n << 30, &ram, &n) == 0);
        FUZZ_CHECK(m.n > 16 || n == m.n);
        for (size_t i = 0; i < n; i++) {
                FUZZ_CHECK(ram[i].numa_known);
                const NumaMapsEntry *e = NULL;
                for (size_t k = 0; k < m.n && !e; k++)
                        if (m.e[k].start == ram[i].start)
                                e = &m.e[k];
                FUZZ_CHECK(e && ram[i].n_nodes == e->n_nodes);
                uint64_t page = e->kernel_page_size ? e->kernel_page_size : 2ULL << 20;
                for (unsigned k = 0; k < ram[i].n_nodes; k++) {
                        uint64_t pages = e->nodes[k].pages;
                        FUZZ_CHECK(ram[i].nodes[k].node == e->nodes[k].node);
                        FUZZ_CHECK(pages > UINT64_MAX / page
                                       ? ram[i].nodes[k].bytes == UINT64_MAX
                                       : ram[i].nodes[k].bytes == pages * page);
                }
        }
        qemu_ram_free_array(ram, n);
        return 0;
}
