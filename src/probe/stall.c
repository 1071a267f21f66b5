/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stall.h"

void stall_account(ProbeCpu *c, uint64_t gap_ns, uint64_t threshold_ns)
{
        c->elapsed_ns += gap_ns;
        c->loops++;
        if (gap_ns > threshold_ns) {
                c->stolen_ns += gap_ns;
                histogram_add(c->hist, gap_ns);
        }
}

void stall_loop(const ProbeConfig *cfg, ProbeCpu *c)
{
        uint64_t start = probe_now_ns(), prev = start, end = start + cfg->duration_ns;
        for (;;) {
                uint64_t now = probe_now_ns();
                stall_account(c, now - prev, cfg->threshold_ns);
                prev = now;
                if (now >= end)
                        break;
                if (cfg->stop && atomic_load_explicit(cfg->stop, memory_order_relaxed))
                        break;
        }
}
