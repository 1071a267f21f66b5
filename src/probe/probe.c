/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "probe.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpuset-util.h"
#include "stall.h"
#include "string-util.h"
#include "timer.h"

const char *probe_kind_to_string(ProbeKind k)
{
        return k == PROBE_STALL ? "stall" : "timer";
}

uint64_t probe_now_ns(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

double probe_availability(uint64_t elapsed_ns, uint64_t stolen_ns)
{
        if (elapsed_ns == 0)
                return 1.0;
        if (stolen_ns >= elapsed_ns)
                return 0.0;
        return (double) (elapsed_ns - stolen_ns) / (double) elapsed_ns;
}

ProbeResult *probe_result_free(ProbeResult *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_cpus; i++) {
                histogram_free(r->cpus[i].hist);
                free(r->cpus[i].overflow_cycles);
        }
        free(r->cpus);
        histogram_free(r->hist);
        free(r);
        return NULL;
}

/* The threads wait at a gate until every one of them exists and is pinned, then start together;
 * if one cannot be created, the others are told to quit. */
typedef struct Gate {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int state; /* 0 wait, 1 go, -1 quit */
} Gate;

typedef struct ThreadArg {
        const ProbeConfig *cfg;
        ProbeCpu *c;
        Gate *gate;
} ThreadArg;

#define CPUSET_BITS (CPU_NUMBER_MAX + 1)

static int pin_self(unsigned cpu)
{
        cpu_set_t *set = CPU_ALLOC(CPUSET_BITS);
        size_t size = CPU_ALLOC_SIZE(CPUSET_BITS);
        if (!set)
                return -ENOMEM;
        CPU_ZERO_S(size, set);
        CPU_SET_S(cpu, size, set);
        int r = -pthread_setaffinity_np(pthread_self(), size, set);
        CPU_FREE(set);
        if (r == 0 && sched_getcpu() != (int) cpu)
                r = -EIO;
        return r;
}

static void *probe_thread(void *p)
{
        ThreadArg *a = p;
        sigset_t all;
        sigfillset(&all);
        (void) pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
        int r = pin_self(a->c->cpu);
        if (r < 0) {
                a->c->error = r;
                a->c->failed = "pin a thread";
        }
        pthread_mutex_lock(&a->gate->lock);
        while (a->gate->state == 0)
                pthread_cond_wait(&a->gate->cond, &a->gate->lock);
        int state = a->gate->state;
        pthread_mutex_unlock(&a->gate->lock);
        if (state < 0 || r < 0)
                return NULL;
        if (a->cfg->kind == PROBE_STALL)
                stall_loop(a->cfg, a->c);
        else
                (void) timer_loop(a->cfg, a->c);
        return NULL;
}

static void gate_open(Gate *g, int state)
{
        pthread_mutex_lock(&g->lock);
        g->state = state;
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->lock);
}

/* Keeps the calling thread off the measured CPUs while they are measured, when it may run on
 * others. Returns the previous affinity to restore (NULL when unchanged). */
static cpu_set_t *step_aside(hwloc_const_bitmap_t cpus)
{
        size_t size = CPU_ALLOC_SIZE(CPUSET_BITS);
        cpu_set_t *old = CPU_ALLOC(CPUSET_BITS), *aside = CPU_ALLOC(CPUSET_BITS);
        bool any = false;
        if (!old || !aside || sched_getaffinity(0, size, old) < 0)
                goto none;
        CPU_ZERO_S(size, aside);
        for (unsigned i = 0; i < CPUSET_BITS; i++)
                if (CPU_ISSET_S(i, size, old) && !hwloc_bitmap_isset(cpus, i)) {
                        CPU_SET_S(i, size, aside);
                        any = true;
                }
        if (!any || sched_setaffinity(0, size, aside) < 0)
                goto none;
        CPU_FREE(aside);
        return old;
none:
        if (old)
                CPU_FREE(old);
        if (aside)
                CPU_FREE(aside);
        return NULL;
}

static void step_back(cpu_set_t *old)
{
        if (!old)
                return;
        (void) sched_setaffinity(0, CPU_ALLOC_SIZE(CPUSET_BITS), old);
        CPU_FREE(old);
}

static int result_new(const ProbeConfig *cfg, hwloc_const_bitmap_t cpus, ProbeResult **ret)
{
        int n = hwloc_bitmap_weight(cpus);
        if (n <= 0 || hwloc_bitmap_last(cpus) > (int) CPU_NUMBER_MAX)
                return -EINVAL;
        _cleanup_(probe_result_freep) ProbeResult *r = calloc(1, sizeof(ProbeResult));
        if (!r)
                return -ENOMEM;
        r->kind = cfg->kind;
        r->cpus = calloc((size_t) n, sizeof(ProbeCpu));
        r->hist = histogram_new();
        if (!r->cpus || !r->hist)
                return -ENOMEM;
        unsigned cpu;
        hwloc_bitmap_foreach_begin (cpu, cpus) {
                ProbeCpu *c = &r->cpus[r->n_cpus++];
                c->cpu = cpu;
                c->hist = histogram_new();
                if (!c->hist)
                        return -ENOMEM;
                if (cfg->kind == PROBE_TIMER && cfg->overflow_us > 0) {
                        c->overflow_cycles = calloc(cfg->overflow_us, sizeof(uint64_t));
                        if (!c->overflow_cycles)
                                return -ENOMEM;
                }
        }
        hwloc_bitmap_foreach_end();
        *ret = TAKE_PTR(r);
        return 0;
}

int probe_run(const ProbeConfig *cfg, hwloc_const_bitmap_t cpus, ProbeResult **ret, Error *err)
{
        _cleanup_(probe_result_freep) ProbeResult *r = NULL;
        int k = result_new(cfg, cpus, &r);
        if (k == -EINVAL)
                return error_input(err, "the probes need at least one CPU, numbered up to %u",
                                   CPU_NUMBER_MAX);
        if (k < 0)
                return error_fail(err, k, "out of memory");

        Gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
        ThreadArg *args = calloc(r->n_cpus, sizeof(ThreadArg));
        pthread_t *threads = calloc(r->n_cpus, sizeof(pthread_t));
        size_t started = 0;
        int create_error = 0;
        if (!args || !threads)
                create_error = ENOMEM;
        cpu_set_t *old = step_aside(cpus);
        for (size_t i = 0; !create_error && i < r->n_cpus; i++) {
                args[i] = (ThreadArg){.cfg = cfg, .c = &r->cpus[i], .gate = &gate};
                create_error = pthread_create(&threads[i], NULL, probe_thread, &args[i]);
                if (!create_error)
                        started++;
        }
        gate_open(&gate, create_error ? -1 : 1);
        for (size_t i = 0; i < started; i++)
                (void) pthread_join(threads[i], NULL);
        step_back(old);
        free(args);
        free(threads);
        if (create_error)
                return error_fail(err, -create_error, "cannot start %zu probe threads: %s",
                                  r->n_cpus, strerror(create_error));

        for (size_t i = 0; i < r->n_cpus; i++) {
                const ProbeCpu *c = &r->cpus[i];
                if (c->error == -EINVAL && streq_ptr(c->failed, "pin a thread"))
                        return error_fail(err, c->error,
                                          "cannot run a probe on CPU %u: it is offline or not in "
                                          "this process's cpuset (see Cpus_allowed_list in "
                                          "/proc/self/status); choose other CPUs with --cpus",
                                          c->cpu);
                if (c->error == -EPERM && cfg->kind == PROBE_TIMER)
                        return error_fail(err, c->error,
                                          "cannot %s priority %d on CPU %u: %s; run as root or "
                                          "leave out --fifo",
                                          c->failed, cfg->fifo_priority, c->cpu,
                                          strerror(-c->error));
                if (c->error < 0)
                        return error_fail(err, c->error, "cannot %s on CPU %u: %s", c->failed,
                                          c->cpu, strerror(-c->error));
                histogram_merge(r->hist, c->hist);
                r->elapsed_ns += c->elapsed_ns;
                r->stolen_ns += c->stolen_ns;
                r->loops += c->loops;
                r->overruns += c->overruns;
        }
        *ret = TAKE_PTR(r);
        return 0;
}
