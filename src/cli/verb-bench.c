/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "cpuset-util.h"
#include "json-writer.h"
#include "load.h"
#include "parse-util.h"
#include "proc.h"
#include "slice.h"
#include "stall.h"
#include "string-util.h"

/* vmslice bench: the stall and timer probes on the VM CPUs, under a host load, without and with a
 * slice. See docs/bench.md. */

#define BENCH_VM_NAME      "vmslice-bench"
#define BENCH_SETTLE_S     1U /* the load runs this long before the first probe */
#define BENCH_DURATION_MAX 86400

typedef struct BenchArgs {
        const char *cpus_arg;
        unsigned duration_s;
        bool stall, timer;
        unsigned threshold_us, interval_us;
        unsigned fifo;
        bool dma_latency;
        unsigned histogram_us; /* 0: no cyclictest histogram */
        bool load;
        const char *load_arg; /* NULL: the default load */
        bool compare, json;
} BenchArgs;

typedef struct BenchRun {
        bool slice;
        bool have_stall, have_timer;
        BenchProbe stall, timer;
} BenchRun;

static void bench_run_done(BenchRun *r)
{
        bench_probe_done(&r->stall);
        bench_probe_done(&r->timer);
}

static atomic_int stop_flag;

static void on_signal(int sig)
{
        atomic_store(&stop_flag, sig);
}

static void catch_signals(void)
{
        struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: sleeps end early */
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
}

static bool stopped(void)
{
        return atomic_load(&stop_flag) != 0;
}

static void settle(unsigned seconds)
{
        for (unsigned i = 0; i < seconds * 10 && !stopped(); i++) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                (void) nanosleep(&ts, NULL);
        }
}

_Static_assert(HISTOGRAM_LINEAR_US == 4096, "the help of --histogram says 4096");

static const CliOption options[] = {
    {"cpus", required_argument, 'c', 0, "LIST",
     "CPUs to measure (default: every online CPU but CPU 0's core)"},
    {"duration", required_argument, 'd', 0, "S",
     "seconds per probe, 1 to " STRINGIFY(BENCH_DURATION_MAX) " (default 10)"},
    {"probe", required_argument, 'p', 0, "P", "stall, timer or both (default both)"},
    {"threshold", required_argument, 't', 0, "US",
     "stall: gaps above US µs are stolen, 1 to 1000000 (default 5)"},
    {"interval", required_argument, 'i', 0, "US",
     "timer: the period in µs, 10 to 1000000 (default 1000)"},
    {"fifo", required_argument, 'f', 0, "PRIO",
     "timer: SCHED_FIFO priority 1 to 99 (default SCHED_OTHER)"},
    {"dma-latency", no_argument, 'D', 0, NULL, "hold /dev/cpu_dma_latency at 0 while measuring"},
    {"histogram", optional_argument, 'H', 0, "US",
     "timer: also cyclictest's histogram, 1-µs lines up to US\n(default 1000, at most 4096)"},
    {"load", optional_argument, 'l', 0, "SPEC",
     "a host load while measuring: stress-ng, or the built-in one;\n"
     "SPEC: cpu=N,vm=N,io=N,vm-bytes=SIZE,builtin|stress-ng\n"
     "(default one worker of each kind per online CPU, 64 MiB each)"},
    {"compare", no_argument, 'C', 0, NULL,
     "measure without a slice, then with a slice for these CPUs\n"
     "(as 'vmslice prepare' makes; released afterwards, also on\n"
     "Ctrl-C), and print both with their ratio; needs root"},
    {"json", no_argument, 'j', 0, NULL, "print JSON (see docs/bench.md)"},
    CLI_OPTION_HELP,
    {},
};

static const CliOptionGroup groups[] = {
    {NULL, options},
    {},
};

static void help(void)
{
        printf(
            "Usage: vmslice [--state-dir DIR] bench [--cpus LIST] [--duration SECONDS]\n"
            "         [--probe stall|timer|both] [--threshold US] [--interval US] [--fifo PRIO]\n"
            "         [--dma-latency] [--histogram[=US]] [--load[=SPEC]] [--compare] [--json]\n\n"
            "Measures what a vCPU on these CPUs of this machine would feel, with one thread per\n"
            "CPU pinned to it:\n"
            "  stall  a busy loop reading the clock (like osnoise): every gap above the\n"
            "         threshold is time something else took; availability, gaps, "
            "p50/p99/p99.9/max\n"
            "  timer  clock_nanosleep to absolute times (like cyclictest): the wake-up latency,\n"
            "         min/avg/p50/p99/p99.9/max\n"
            "and the interrupts that hit those CPUs meanwhile. With both, stall runs first.\n\n");
        cli_options_help(stdout, groups);
}

static int number_arg(const char *opt, const char *v, unsigned min, unsigned max, unsigned *ret)
{
        if (safe_atou(v, ret) < 0 || *ret < min || *ret > max)
                return cli_errorf(EXIT_USAGE, "bench: %s '%s' is not a number from %u to %u", opt,
                                  v, min, max);
        return 0;
}

static int parse_args(int argc, char **argv, BenchArgs *a)
{
        CliGetopt g;
        cli_getopt_init(&g, groups);
        *a = (BenchArgs){
            .duration_s = 10, .stall = true, .timer = true, .threshold_us = 5, .interval_us = 1000};
        int c, r = 0;
        while (r == 0 && (c = cli_getopt(&g, argc, argv)) >= 0)
                switch (c) {
                case 'c':
                        a->cpus_arg = optarg;
                        break;
                case 'd':
                        r = number_arg("--duration", optarg, 1, BENCH_DURATION_MAX, &a->duration_s);
                        break;
                case 'p':
                        a->stall = streq(optarg, "stall") || streq(optarg, "both");
                        a->timer = streq(optarg, "timer") || streq(optarg, "both");
                        if (!a->stall && !a->timer)
                                r = cli_errorf(EXIT_USAGE,
                                               "bench: --probe '%s' is not stall, timer or both",
                                               optarg);
                        break;
                case 't':
                        r = number_arg("--threshold", optarg, 1, 1000000, &a->threshold_us);
                        break;
                case 'i':
                        r = number_arg("--interval", optarg, 10, 1000000, &a->interval_us);
                        break;
                case 'f':
                        r = number_arg("--fifo", optarg, 1, 99, &a->fifo);
                        break;
                case 'D':
                        a->dma_latency = true;
                        break;
                case 'H':
                        a->histogram_us = 1000;
                        if (optarg)
                                r = number_arg("--histogram", optarg, 1, HISTOGRAM_LINEAR_US,
                                               &a->histogram_us);
                        break;
                case 'l':
                        a->load = true;
                        a->load_arg = optarg;
                        break;
                case 'C':
                        a->compare = true;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'h':
                        help();
                        return -1;
                default:
                        return cli_bad_option("bench", argv);
                }
        if (r != 0)
                return r;
        if (optind != argc)
                return cli_errorf(EXIT_USAGE, "bench: unexpected argument '%s'", argv[optind]);
        if (a->histogram_us && !a->timer)
                return cli_errorf(EXIT_USAGE, "bench: --histogram is the timer probe's; leave out "
                                              "--probe stall");
        return 0;
}

/* The CPUs to measure: --cpus (online ones only), else every online CPU but CPU 0's core, else
 * (a host of one core) every online CPU. */
static int pick_cpus(const BenchArgs *a, const Topology *t, hwloc_bitmap_t cpus)
{
        char buf[CPUSET_LIST_MAX];
        if (a->cpus_arg) {
                if (cpuset_parse_list(a->cpus_arg, cpus) < 0 || hwloc_bitmap_iszero(cpus))
                        return cli_errorf(EXIT_USAGE, "bench: --cpus '%s' is not a CPU list",
                                          a->cpus_arg);
                if (!hwloc_bitmap_isincluded(cpus, t->online)) {
                        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t off = hwloc_bitmap_alloc();
                        if (!off)
                                return cli_errorf(EXIT_FAIL, "out of memory");
                        hwloc_bitmap_andnot(off, cpus, t->online);
                        return cli_errorf(EXIT_USAGE,
                                          "bench: CPU %s of --cpus is not online (online: %s)",
                                          cpuset_to_list(buf, sizeof(buf), off),
                                          cpuset_to_list(buf, sizeof(buf), t->online));
                }
                return 0;
        }
        hwloc_bitmap_copy(cpus, t->online);
        int core = hwloc_bitmap_isset(t->online, 0) ? topology_core_of_cpu(t, 0) : -1;
        if (core >= 0)
                hwloc_bitmap_andnot(cpus, cpus, t->cores[core].cpus);
        if (hwloc_bitmap_iszero(cpus))
                hwloc_bitmap_copy(cpus, t->online);
        return 0;
}

static int measure(Host *h, const BenchArgs *a, hwloc_const_bitmap_t cpus, BenchRun *run)
{
        Error err = {0};
        ProbeConfig cfg = {
            .duration_ns = (uint64_t) a->duration_s * 1000000000ULL,
            .threshold_ns = (uint64_t) a->threshold_us * 1000,
            .interval_ns = (uint64_t) a->interval_us * 1000,
            .fifo_priority = (int) a->fifo,
            .overflow_us = a->histogram_us,
            .stop = &stop_flag,
        };
        if (a->stall && !stopped()) {
                cfg.kind = PROBE_STALL;
                if (bench_probe(h, &cfg, cpus, &run->stall, &err) < 0)
                        return cli_error(&err);
                run->have_stall = true;
        }
        if (a->timer && !stopped()) {
                cfg.kind = PROBE_TIMER;
                if (bench_probe(h, &cfg, cpus, &run->timer, &err) < 0)
                        return cli_error(&err);
                run->have_timer = true;
        }
        return 0;
}

/* ---- output ---- */

static double us(uint64_t ns)
{
        return (double) ns / 1000.0;
}

static double pct_us(const ProbeResult *r, uint32_t ppm)
{
        return us(histogram_percentile_ns(r->hist, ppm));
}

/* A row of the table: a value of a probe, how to print it, and whether without/with means
 * something for it. */
typedef struct Metric {
        const char *label;
        int decimals;
        const char *unit;
        bool ratio;
        double (*get)(const ProbeResult *r);
} Metric;

static double m_availability(const ProbeResult *r)
{
        return 100.0 * probe_availability(r->elapsed_ns, r->stolen_ns);
}
static double m_stolen(const ProbeResult *r)
{
        return 100.0 - m_availability(r);
}
static double m_count(const ProbeResult *r)
{
        return (double) r->hist->count;
}
static double m_min(const ProbeResult *r)
{
        return r->hist->count ? us(r->hist->min_ns) : 0;
}
static double m_avg(const ProbeResult *r)
{
        return us(histogram_mean_ns(r->hist));
}
static double m_p50(const ProbeResult *r)
{
        return pct_us(r, 500000);
}
static double m_p99(const ProbeResult *r)
{
        return pct_us(r, 990000);
}
static double m_p999(const ProbeResult *r)
{
        return pct_us(r, 999000);
}
static double m_max(const ProbeResult *r)
{
        return us(r->hist->max_ns);
}
static double m_overruns(const ProbeResult *r)
{
        return (double) r->overruns;
}

static const Metric stall_metrics[] = {
    {"availability", 3, " %", false, m_availability},
    {"stolen time", 3, " %", true, m_stolen},
    {"gaps", 0, "", true, m_count},
    {"p50 gap", 1, " µs", true, m_p50},
    {"p99 gap", 1, " µs", true, m_p99},
    {"p99.9 gap", 1, " µs", true, m_p999},
    {"max gap", 1, " µs", true, m_max},
};

static const Metric timer_metrics[] = {
    {"cycles", 0, "", false, m_count}, {"min", 1, " µs", true, m_min},
    {"avg", 1, " µs", true, m_avg},    {"p50", 1, " µs", true, m_p50},
    {"p99", 1, " µs", true, m_p99},    {"p99.9", 1, " µs", true, m_p999},
    {"max", 1, " µs", true, m_max},    {"overruns", 0, "", true, m_overruns},
};

static void print_metrics(const Metric *m, size_t n, const ProbeResult *const *res, size_t nres)
{
        for (size_t i = 0; i < n; i++) {
                printf("  %-14s", m[i].label);
                double v[2] = {0};
                for (size_t j = 0; j < nres; j++) {
                        char cell[64];
                        v[j] = m[i].get(res[j]);
                        snprintf(cell, sizeof(cell), "%.*f%s", m[i].decimals, v[j], m[i].unit);
                        /* "µs" is two bytes and one column */
                        printf(" %*s", 15 + (strstr(cell, "µ") ? 1 : 0), cell);
                }
                if (nres == 2 && m[i].ratio) {
                        if (v[1] > 0)
                                printf(" %12.1fx", v[0] / v[1]);
                        else
                                printf(" %13s", v[0] > 0 ? "inf" : "-");
                }
                printf("\n");
        }
}

/* The interrupts of one or two runs, merged by key, largest first. */
typedef struct IrqLine {
        const IrqDelta *x;
        uint64_t n[2];
} IrqLine;

static int cmp_line(const void *a, const void *b)
{
        const IrqLine *x = a, *y = b;
        uint64_t mx = MAX(x->n[0], x->n[1]), my = MAX(y->n[0], y->n[1]);
        if (mx != my)
                return mx > my ? -1 : 1;
        return strcmp(x->x->key, y->x->key);
}

#define IRQ_LINES_SHOWN 12

static void print_irqs(const char *probe, const char *cpus, const IrqDeltas *const *d, size_t nd)
{
        size_t cap = 0, n = 0;
        for (size_t j = 0; j < nd; j++)
                cap += d[j]->n;
        printf("interrupts on CPU %s during the %s probe:%s\n", cpus, probe,
               cap == 0 ? " none" : "");
        if (cap == 0)
                return;
        _cleanup_(freep) IrqLine *lines = calloc(cap, sizeof(IrqLine));
        if (!lines)
                return;
        for (size_t j = 0; j < nd; j++)
                for (size_t i = 0; i < d[j]->n; i++) {
                        const IrqDelta *x = &d[j]->d[i];
                        size_t k = 0;
                        while (k < n && !streq(lines[k].x->key, x->key))
                                k++;
                        if (k == n)
                                lines[n++].x = x;
                        lines[k].n[j] = x->total;
                }
        qsort(lines, n, sizeof(IrqLine), cmp_line);
        for (size_t k = 0; k < n && k < IRQ_LINES_SHOWN; k++) {
                printf("  %-5s %-34.34s", lines[k].x->key, lines[k].x->name);
                for (size_t j = 0; j < nd; j++)
                        printf(" %15llu", (unsigned long long) lines[k].n[j]);
                printf("\n");
        }
        if (n > IRQ_LINES_SHOWN)
                printf("  (%zu more; --json lists them all)\n", n - IRQ_LINES_SHOWN);
}

static void print_load(const LoadSpec *l, const char *engine)
{
        char sz[FORMAT_BYTES_MAX];
        printf("load: %s (cpu %u, vm %u x %s, io %u)", engine, l->cpu, l->vm,
               format_bytes(sz, sizeof(sz), l->vm_bytes), l->io);
}

static void print_text(const BenchArgs *a, const char *cpus, const LoadSpec *l, const char *engine,
                       const BenchRun *runs, size_t nruns)
{
        printf("vmslice bench: CPU %s, %u s per probe, ", cpus, a->duration_s);
        if (engine)
                print_load(l, engine);
        else
                printf("no load");
        printf("\n\n");
        if (nruns == 2)
                printf("%-16s %15s %15s %13s\n", "", "without slice", "with slice", "without/with");
        const ProbeResult *res[2];
        const IrqDeltas *irqs[2];
        if (runs[0].have_stall) {
                printf("stall: a busy loop; gaps above %u µs are stolen time\n", a->threshold_us);
                for (size_t j = 0; j < nruns; j++)
                        res[j] = runs[j].stall.result;
                print_metrics(stall_metrics, ELEMENTSOF(stall_metrics), res, nruns);
        }
        if (runs[0].have_timer) {
                if (a->fifo)
                        printf(
                            "timer: clock_nanosleep every %u µs, SCHED_FIFO %u; wake-up latency\n",
                            a->interval_us, a->fifo);
                else
                        printf("timer: clock_nanosleep every %u µs, SCHED_OTHER; wake-up latency\n",
                               a->interval_us);
                for (size_t j = 0; j < nruns; j++)
                        res[j] = runs[j].timer.result;
                print_metrics(timer_metrics, ELEMENTSOF(timer_metrics), res, nruns);
        }
        printf("\n");
        if (runs[0].have_stall) {
                for (size_t j = 0; j < nruns; j++)
                        irqs[j] = &runs[j].stall.irqs;
                print_irqs("stall", cpus, irqs, nruns);
        }
        if (runs[0].have_timer) {
                for (size_t j = 0; j < nruns; j++)
                        irqs[j] = &runs[j].timer.irqs;
                print_irqs("timer", cpus, irqs, nruns);
        }
}

static char *cyclictest_text(const ProbeResult *r, unsigned size_us)
{
        _cleanup_(freep) HistogramColumn *cols = calloc(r->n_cpus, sizeof(HistogramColumn));
        char *text = NULL;
        if (!cols)
                return NULL;
        for (size_t i = 0; i < r->n_cpus; i++)
                cols[i] = (HistogramColumn){r->cpus[i].hist, r->cpus[i].overflow_cycles,
                                            r->cpus[i].n_overflow_cycles};
        return histogram_format_cyclictest(cols, r->n_cpus, size_us, &text) < 0 ? NULL : text;
}

/* ---- JSON ---- */

static void json_percentiles(JsonWriter *w, const ProbeResult *r, const Histogram *h)
{
        json_fixed(w, "p50_us", us(histogram_percentile_ns(h, 500000)), 3);
        json_fixed(w, "p99_us", us(histogram_percentile_ns(h, 990000)), 3);
        json_fixed(w, "p999_us", us(histogram_percentile_ns(h, 999000)), 3);
}

static void json_stall_fields(JsonWriter *w, const ProbeResult *r, const ProbeCpu *c)
{
        uint64_t elapsed = c ? c->elapsed_ns : r->elapsed_ns,
                 stolen = c ? c->stolen_ns : r->stolen_ns;
        const Histogram *h = c ? c->hist : r->hist;
        json_fixed(w, "availability", probe_availability(elapsed, stolen), 6);
        json_fixed(w, "elapsed_us", us(elapsed), 3);
        json_fixed(w, "stolen_us", us(stolen), 3);
        json_uint(w, "loops", c ? c->loops : r->loops);
        json_uint(w, "gaps", h->count);
        json_fixed(w, "max_gap_us", us(h->max_ns), 3);
        json_percentiles(w, r, h);
}

static void json_timer_fields(JsonWriter *w, const ProbeResult *r, const ProbeCpu *c)
{
        const Histogram *h = c ? c->hist : r->hist;
        json_uint(w, "cycles", h->count);
        json_uint(w, "overruns", c ? c->overruns : r->overruns);
        json_fixed(w, "min_us", h->count ? us(h->min_ns) : 0, 3);
        json_fixed(w, "avg_us", us(histogram_mean_ns(h)), 3);
        json_percentiles(w, r, h);
        json_fixed(w, "max_us", us(h->max_ns), 3);
}

static void json_probe(JsonWriter *w, const char *key, const BenchArgs *a, const BenchProbe *p)
{
        const ProbeResult *r = p->result;
        bool stall = r->kind == PROBE_STALL;
        json_begin_object(w, key);
        if (stall) {
                json_uint(w, "threshold_us", a->threshold_us);
                json_stall_fields(w, r, NULL);
        } else {
                json_uint(w, "interval_us", a->interval_us);
                json_string(w, "policy", a->fifo ? "fifo" : "other");
                json_uint(w, "priority", a->fifo);
                json_timer_fields(w, r, NULL);
        }
        json_begin_array(w, "per_cpu");
        for (size_t i = 0; i < r->n_cpus; i++) {
                json_begin_object(w, NULL);
                json_uint(w, "cpu", r->cpus[i].cpu);
                if (stall)
                        json_stall_fields(w, r, &r->cpus[i]);
                else
                        json_timer_fields(w, r, &r->cpus[i]);
                json_end_object(w);
        }
        json_end_array(w);
        json_begin_array(w, "interrupts");
        for (size_t i = 0; i < p->irqs.n; i++) {
                const IrqDelta *d = &p->irqs.d[i];
                json_begin_object(w, NULL);
                json_string(w, "irq", d->key);
                json_string(w, "name", d->name);
                json_bool(w, "device", d->device);
                json_uint(w, "count", d->total);
                json_begin_array(w, "per_cpu");
                for (unsigned k = 0; k < d->n_cpus; k++) {
                        json_begin_object(w, NULL);
                        json_uint(w, "cpu", d->cpus[k].cpu);
                        json_uint(w, "count", d->cpus[k].count);
                        json_end_object(w);
                }
                json_end_array(w);
                json_end_object(w);
        }
        json_end_array(w);
        if (!stall && a->histogram_us) {
                _cleanup_(freep) char *text = cyclictest_text(r, a->histogram_us);
                json_string(w, "histogram", text);
        }
        json_end_object(w);
}

static void json_report(JsonWriter *w, const char *key, const BenchArgs *a, const char *cpus,
                        const LoadSpec *l, const char *engine, const BenchRun *run)
{
        json_begin_object(w, key);
        json_uint(w, "version", 1);
        json_string(w, "cpus", cpus);
        json_uint(w, "duration_s", a->duration_s);
        json_bool(w, "slice", run->slice);
        json_bool(w, "dma_latency", a->dma_latency);
        if (engine) {
                json_begin_object(w, "load");
                json_string(w, "engine", engine);
                json_uint(w, "cpu", l->cpu);
                json_uint(w, "vm", l->vm);
                json_uint(w, "vm_bytes", l->vm_bytes);
                json_uint(w, "io", l->io);
                json_end_object(w);
        } else
                json_null(w, "load");
        if (run->have_stall)
                json_probe(w, "stall", a, &run->stall);
        else
                json_null(w, "stall");
        if (run->have_timer)
                json_probe(w, "timer", a, &run->timer);
        else
                json_null(w, "timer");
        json_end_object(w);
}

/* ---- the slice ---- */

/* The slice of a VM on these CPUs, as `vmslice prepare` makes for a domain pinned to them,
 * without hugepages. */
static int bench_spec(hwloc_const_bitmap_t cpus, SliceSpec **ret)
{
        Error err = {0};
        _cleanup_(freep) char *list = cpuset_format_list(cpus);
        _cleanup_(freep) char *text =
            list ? strdup_printf("name\t%s\ncpus\t%s\nvcpus\t%s\npinned\t1\nmanaged\t1\n",
                                 BENCH_VM_NAME, list, list)
                 : NULL;
        if (!text)
                return cli_errorf(EXIT_FAIL, "out of memory");
        if (slice_spec_parse(text, ret, &err) < 0)
                return cli_error(&err);
        return 0;
}

static void print_notes(const SliceReport *rep)
{
        for (size_t i = 0; i < rep->n; i++) /* knobs the kernel refused: they stay as they are */
                if (!rep->changes[i].to)
                        fprintf(stderr, "vmslice: note: %s kept at '%s' (%s)\n",
                                rep->changes[i].path,
                                rep->changes[i].from ? rep->changes[i].from : "",
                                rep->changes[i].note ? rep->changes[i].note : "refused");
        for (char **n = rep->notes; n && *n; n++)
                fprintf(stderr, "vmslice: note: %s\n", *n);
}

/* cgroup v1's host cpuset, as src/slice/slice.c names it */
#define SLICE_HOST_CPUSET "/sys/fs/cgroup/cpuset/vmslice.host"

/* Other VMs' slices would be in both runs (and their CPUs perhaps measured), and a slice of
 * another state directory would have its changes journaled here as originals: refuse both. */
static int check_no_vms(SliceEnv *e)
{
        Error err = {0};
        if (host_exists(e->h, SLICE_HOST_CPUSET) && !state_original(e->st, SLICE_HOST_CPUSET))
                return cli_errorf(EXIT_FAIL,
                                  "bench --compare: %s exists but is not in the journal of %s: a "
                                  "slice of another state directory is active; release it (or "
                                  "'vmslice --state-dir DIR restore' it) first",
                                  SLICE_HOST_CPUSET, state_dir(e->st));
        _cleanup_(strv_freep) char **names = NULL;
        if (state_list_vms(e->st, &names, &err) < 0)
                return cli_error(&err);
        SBuf b = {0};
        for (char **n = names; *n; n++)
                if (!streq(*n, BENCH_VM_NAME))
                        sbuf_appendf(&b, "%s%s", b.len ? ", " : "", *n);
        _cleanup_(freep) char *others = sbuf_steal(&b);
        if (others && *others)
                return cli_errorf(EXIT_FAIL,
                                  "bench --compare: VMs are prepared in %s (%s); their slices "
                                  "would be in both runs; release them first or leave out "
                                  "--compare",
                                  state_dir(e->st), others);
        return 0;
}

/* Measures with the slice prepared, and releases it whatever happens. The probes must not be in
 * the host's cpuset the slice keeps host tasks in: this process moves to the root of its cpuset
 * hierarchy for the run (the load it started stays in the host's), and back afterwards. */
static int measure_sliced(SliceEnv *e, const BenchArgs *a, hwloc_const_bitmap_t cpus, BenchRun *run)
{
        Error err = {0};
        _cleanup_(slice_spec_freep) SliceSpec *spec = NULL;
        int r = bench_spec(cpus, &spec);
        if (r != 0)
                return r;
        _cleanup_(bench_cgroup_done) BenchCgroup orig = {0}, now = {0};
        if (bench_cgroup_get(e->h, getpid(), &orig, &err) < 0)
                return cli_error(&err);
        _cleanup_(slice_report_done) SliceReport rep = {0};
        if (slice_prepare(e->h, e->t, e->st, spec, &e->policy, false, &rep, &err) < 0)
                return cli_error(&err); /* prepare rolled itself back */
        print_notes(&rep);
        run->slice = true;
        if (bench_cgroup_get(e->h, getpid(), &now, &err) >= 0 && now.path && !streq(now.path, "/"))
                (void) bench_cgroup_move(e->h, getpid(), &now, "/", &err);
        r = err.code < 0 ? cli_error(&err) : 0;
        if (r == 0)
                r = measure(e->h, a, cpus, run);

        Error rerr = {0};
        _cleanup_(slice_report_done) SliceReport rel = {0};
        if (slice_release(e->h, e->t, e->st, BENCH_VM_NAME, &e->policy, false, &rel, &rerr) < 0) {
                (void) cli_error(&rerr);
                return cli_errorf(EXIT_FAIL, "bench: the slice was not fully released; run "
                                             "'vmslice restore'");
        }
        err = (Error){0};
        if (orig.path && bench_cgroup_move(e->h, getpid(), &orig, orig.path, &err) < 0)
                fprintf(stderr, "vmslice: note: %s\n", err.msg);
        return r;
}

/* The prepared VMs of the state directory whose slice holds some of cpus, "a, b", or NULL (none,
 * or a state directory this user cannot open). st: the one open already, else opened here. */
static char *vms_on(const CliContext *ctx, State *st, hwloc_const_bitmap_t cpus)
{
        _cleanup_(state_closep) State *own = NULL;
        Error err = {0};
        if (!st) {
                _cleanup_(freep) char *dir = NULL;
                struct stat sb;
                if (cli_state_dir(ctx, false, &dir) != 0 || !dir || stat(dir, &sb) < 0 ||
                    state_open(dir, &own, &err) < 0)
                        return NULL;
                st = own;
        }
        _cleanup_(strv_freep) char **names = NULL;
        if (state_list_vms(st, &names, &err) < 0)
                return NULL;
        SBuf b = {0};
        for (char **n = names; *n; n++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(slice_spec_freep) SliceSpec *s = NULL;
                if (state_read_vm(st, *n, &text, &err) >= 0 &&
                    slice_spec_parse(text, &s, &err) >= 0 && hwloc_bitmap_intersects(s->cpus, cpus))
                        sbuf_appendf(&b, "%s%s", b.len ? ", " : "", *n);
        }
        return sbuf_steal(&b);
}

/* The CPUs to measure must be this process's to run on. While a VM runs, its slice keeps host
 * tasks, the shell that started bench included, off the VM's CPUs: a cgroup v1 cpuset
 * (vmslice.host), systemd's AllowedCPUs= of user.slice and system.slice, or the cpuset.cpus of
 * cgroup v2's top-level cgroups. Said before measuring, with what to do. */
static int check_cpus_allowed(const CliContext *ctx, SliceEnv *e, hwloc_const_bitmap_t cpus,
                              const char *cpus_text)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t allowed = hwloc_bitmap_alloc(),
                                                     out = hwloc_bitmap_alloc();
        _cleanup_(freep) char *status = NULL;
        if (!allowed || !out)
                return cli_errorf(EXIT_FAIL, "out of memory");
        if (host_read_file(e->h, "/proc/self/status", HOST_READ_MAX, &status) < 0 ||
            proc_status_cpus_allowed(status, allowed) < 0)
                return 0; /* the probe says it if a thread cannot be pinned */
        hwloc_bitmap_andnot(out, cpus, allowed);
        if (hwloc_bitmap_iszero(out))
                return 0;
        char out_text[CPUSET_LIST_MAX], allowed_text[CPUSET_LIST_MAX];
        cpuset_to_list(out_text, sizeof(out_text), out);
        cpuset_to_list(allowed_text, sizeof(allowed_text), allowed);
        bool plural = hwloc_bitmap_weight(out) > 1;

        /* where this process is: its cgroup in the hierarchy that holds the cpuset */
        Error err = {0};
        _cleanup_(bench_cgroup_done) BenchCgroup cg = {0};
        (void) bench_cgroup_get(e->h, getpid(), &cg, &err);
        bool in_root = !cg.mount || !cg.path || streq(cg.path, "/");
        _cleanup_(freep) char *where = in_root ? NULL : strdup_printf("%s%s", cg.mount, cg.path);
        _cleanup_(freep) char *vms = vms_on(ctx, e->st, out);
        bool shield = where && endswith(where, "/vmslice.host");
        if ((vms && *vms) || shield)
                return cli_errorf(
                    EXIT_FAIL,
                    "bench: CPU %s %s the slice of %s%s, which keeps host tasks, bench included, "
                    "off %s (bench may run on CPU %s%s%s); measure %s after the VM stops "
                    "('vmslice bench --compare --cpus %s' shows what its slice gives), or as root "
                    "from a shell moved out of the host's cgroup ('echo $$ > %s/cgroup.procs'), "
                    "where the probes compete with the VM",
                    out_text, plural ? "are in" : "is in", vms && *vms ? "VM " : "a running VM",
                    vms && *vms ? vms : "", plural ? "them" : "it", allowed_text,
                    where ? ", in " : "", where ? where : "", plural ? "them" : "it", cpus_text,
                    cg.mount ? cg.mount : "/sys/fs/cgroup");
        if (where)
                return cli_errorf(EXIT_FAIL,
                                  "bench: CPU %s %s online but not in this process's cpuset (%s "
                                  "allows CPU %s); as root, run bench from a shell moved to the "
                                  "root cgroup ('echo $$ > %s/cgroup.procs'), or give --cpus "
                                  "within CPU %s",
                                  out_text, plural ? "are" : "is", where, allowed_text, cg.mount,
                                  allowed_text);
        return cli_errorf(EXIT_FAIL,
                          "bench: CPU %s %s online but this process may not run there (its CPU "
                          "affinity is %s, as taskset or its parent set it); run bench without "
                          "that affinity, or give --cpus within CPU %s",
                          out_text, plural ? "are" : "is", allowed_text, allowed_text);
}

/* ---- the verb ---- */

int verb_bench(const CliContext *ctx, int argc, char **argv)
{
        BenchArgs a;
        int r = parse_args(argc, argv, &a);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        if (ctx->root)
                return cli_errorf(EXIT_USAGE, "bench measures the machine it runs on; leave out "
                                              "--root");
        if (a.compare && geteuid() != 0)
                return cli_errorf(EXIT_FAIL, "bench --compare prepares a slice, which changes "
                                             "host settings: run it as root");

        _cleanup_(slice_env_done) SliceEnv e = {0};
        r = a.compare ? slice_env_open(ctx, &e) : cli_open_topology(ctx, &e.h, &e.t);
        if (r != 0)
                return r;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
        if (!cpus)
                return cli_errorf(EXIT_FAIL, "out of memory");
        r = pick_cpus(&a, e.t, cpus);
        if (r != 0)
                return r;
        _cleanup_(freep) char *cpus_text = cpuset_format_list(cpus);
        if (!cpus_text)
                return cli_errorf(EXIT_FAIL, "out of memory");
        if (a.compare && hwloc_bitmap_isincluded(e.t->online, cpus))
                return cli_errorf(EXIT_USAGE,
                                  "bench --compare: a slice on CPU %s would leave the host no CPU; "
                                  "leave at least one online CPU out of --cpus",
                                  cpus_text);
        Error err = {0};
        LoadSpec spec;
        load_spec_default(&spec, (unsigned) hwloc_bitmap_weight(e.t->online));
        if (a.load && a.load_arg && load_spec_parse(a.load_arg, &spec, &err) < 0)
                return cli_error(&err);
        if (a.compare) {
                r = check_no_vms(&e);
                if (r != 0)
                        return r;
        }
        r = check_cpus_allowed(ctx, &e, cpus, cpus_text);
        if (r != 0)
                return r;

        catch_signals();
        _cleanup_(closep) int dma = -1;
        if (a.dma_latency && bench_dma_latency_hold(e.h, &dma, &err) < 0)
                return cli_error(&err);
        _cleanup_(load_stopp) Load *load = NULL;
        if (a.load) {
                /* stress-ng's own timeout outlives the whole run: a safety net only */
                unsigned total = a.duration_s * 2 * (a.compare ? 2 : 1) + BENCH_SETTLE_S + 120;
                if (load_start(&spec, total, &load, &err) < 0)
                        return cli_error(&err);
                settle(BENCH_SETTLE_S);
        }

        BenchRun runs[2] = {{0}};
        r = measure(e.h, &a, cpus, &runs[0]);
        if (r == 0 && a.compare && !stopped())
                r = measure_sliced(&e, &a, cpus, &runs[1]);
        const char *engine = load ? load_engine_name(load) : NULL;
        load = load_stop(load);
        if (dma >= 0)
                dma = (close(dma), -1);
        if (r == 0 && stopped())
                r = cli_errorf(EXIT_FAIL, "bench: interrupted by signal %d; %s",
                               atomic_load(&stop_flag),
                               a.compare ? "the slice was released and the load stopped"
                                         : "the load was stopped");
        size_t nruns = a.compare ? 2 : 1;
        if (r == 0) {
                if (a.json) {
                        JsonWriter w = {0};
                        if (a.compare) {
                                json_begin_object(&w, NULL);
                                json_uint(&w, "version", 1);
                                json_report(&w, "without", &a, cpus_text, &spec, engine, &runs[0]);
                                json_report(&w, "with", &a, cpus_text, &spec, engine, &runs[1]);
                                json_end_object(&w);
                        } else
                                json_report(&w, NULL, &a, cpus_text, &spec, engine, &runs[0]);
                        r = cli_print_json(&w);
                } else {
                        print_text(&a, cpus_text, &spec, engine, runs, nruns);
                        for (size_t j = 0; a.histogram_us && j < nruns; j++) {
                                _cleanup_(freep) char *text =
                                    cyclictest_text(runs[j].timer.result, a.histogram_us);
                                if (nruns == 2)
                                        printf("\n# vmslice bench: %s slice\n",
                                               j == 0 ? "without" : "with");
                                else
                                        printf("\n");
                                fputs(text ? text : "", stdout);
                        }
                }
        }
        for (size_t j = 0; j < 2; j++)
                bench_run_done(&runs[j]);
        return r;
}
