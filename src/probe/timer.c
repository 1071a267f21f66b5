/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "timer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

uint64_t timer_account(const ProbeConfig *cfg, ProbeCpu *c, uint64_t expected_ns, uint64_t now_ns)
{
        uint64_t lat = now_ns > expected_ns ? now_ns - expected_ns : 0;
        histogram_add(c->hist, lat);
        if (cfg->overflow_us > 0 && lat / 1000 >= cfg->overflow_us &&
            c->n_overflow_cycles < cfg->overflow_us && c->overflow_cycles)
                c->overflow_cycles[c->n_overflow_cycles++] = c->loops;
        c->loops++;
        uint64_t next = expected_ns + cfg->interval_ns;
        while (now_ns > next) { /* periods missed entirely: skip them, as cyclictest does */
                next += cfg->interval_ns;
                c->overruns++;
        }
        return next;
}

int timer_loop(const ProbeConfig *cfg, ProbeCpu *c)
{
        if (cfg->fifo_priority > 0) {
                struct sched_param sp = {.sched_priority = cfg->fifo_priority};
                int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
                if (r != 0) {
                        c->error = -r;
                        c->failed = "set SCHED_FIFO";
                        return -r;
                }
        }
        uint64_t start = probe_now_ns(), end = start + cfg->duration_ns;
        uint64_t due = start + cfg->interval_ns, now = start;
        while (now < end) {
                if (cfg->stop && atomic_load_explicit(cfg->stop, memory_order_relaxed))
                        break;
                struct timespec ts = {.tv_sec = (time_t) (due / 1000000000ULL),
                                      .tv_nsec = (long) (due % 1000000000ULL)};
                int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                if (r == EINTR)
                        continue;
                now = probe_now_ns();
                due = timer_account(cfg, c, due, now);
        }
        c->elapsed_ns = now - start;
        return 0;
}
