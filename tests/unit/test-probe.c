/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cpuset-util.h"
#include "histogram.h"
#include "interrupts.h"
#include "json-writer.h"
#include "load.h"
#include "probe.h"
#include "stall.h"
#include "string-util.h"
#include "timer.h"

/* The probes' math on synthetic samples (histogram, percentiles, availability, the timer's
 * accounting, cyclictest's histogram text) and the /proc/interrupts parser on fixture texts. No
 * test here measures time. */

#define US 1000ULL
#define MS 1000000ULL

static Histogram *hist_of(const uint64_t *ns, size_t n)
{
        Histogram *h = histogram_new();
        assert_non_null(h);
        for (size_t i = 0; i < n; i++)
                histogram_add(h, ns[i]);
        return h;
}

/* ---- histogram ---- */

static void test_buckets(void **state)
{
        /* 1-µs buckets below the linear limit */
        for (unsigned u = 0; u < HISTOGRAM_LINEAR_US; u++) {
                assert_int_equal(histogram_bucket_of_us(u), u);
                assert_int_equal(histogram_bucket_low_us(u), u);
        }
        assert_int_equal(histogram_bucket_of_us(HISTOGRAM_LINEAR_US), HISTOGRAM_LINEAR_US);
        /* above: each bucket starts at its lower bound and is less than 1/128 of it wide */
        unsigned prev = HISTOGRAM_LINEAR_US - 1;
        for (uint64_t u = HISTOGRAM_LINEAR_US; u < HISTOGRAM_TOP_US; u += u / 97 + 1) {
                unsigned b = histogram_bucket_of_us(u);
                uint64_t low = histogram_bucket_low_us(b);
                assert_true(b >= prev);
                assert_true(b < HISTOGRAM_N_BUCKETS);
                assert_true(low <= u);
                assert_true(u - low < low / HISTOGRAM_SUB_BUCKETS + 1);
                assert_int_equal(histogram_bucket_of_us(low), b);
                prev = b;
        }
        for (unsigned b = HISTOGRAM_LINEAR_US; b + 1 < HISTOGRAM_N_BUCKETS; b++)
                assert_true(histogram_bucket_low_us(b + 1) > histogram_bucket_low_us(b));
        /* beyond the top: the last bucket */
        assert_int_equal(histogram_bucket_of_us(HISTOGRAM_TOP_US), HISTOGRAM_N_BUCKETS - 1);
        assert_int_equal(histogram_bucket_of_us(UINT64_MAX), HISTOGRAM_N_BUCKETS - 1);
        assert_int_equal(histogram_bucket_of_us(HISTOGRAM_TOP_US - 1), HISTOGRAM_N_BUCKETS - 1);
}

static void test_percentiles_exact(void **state)
{
        /* 1..1000 µs, once each, shuffled: nearest rank gives the k-th smallest */
        uint64_t v[1000];
        for (unsigned i = 0; i < 1000; i++)
                v[i] = (uint64_t) ((i * 617) % 1000 + 1) * US;
        _cleanup_(histogram_freep) Histogram *h = hist_of(v, 1000);
        assert_int_equal(h->count, 1000);
        assert_int_equal(h->min_ns, 1 * US);
        assert_int_equal(h->max_ns, 1000 * US);
        assert_int_equal(h->sum_ns, 500500 * US);
        assert_int_equal(histogram_mean_ns(h), 500500);
        assert_int_equal(histogram_percentile_ns(h, 500000), 500 * US);
        assert_int_equal(histogram_percentile_ns(h, 990000), 990 * US);
        assert_int_equal(histogram_percentile_ns(h, 999000), 999 * US);
        assert_int_equal(histogram_percentile_ns(h, 1000000), 1000 * US);
        assert_int_equal(histogram_percentile_ns(h, 0), 1 * US); /* rank 1 */
        assert_int_equal(histogram_percentile_ns(h, 1), 1 * US);

        /* ten samples: p50 is the 5th, p90 the 9th, p99 and p99.9 the 10th */
        uint64_t t[10];
        for (unsigned i = 0; i < 10; i++)
                t[i] = (uint64_t) (100 - 10 * i) * US;
        _cleanup_(histogram_freep) Histogram *g = hist_of(t, 10);
        assert_int_equal(histogram_percentile_ns(g, 500000), 50 * US);
        assert_int_equal(histogram_percentile_ns(g, 500001), 60 * US);
        assert_int_equal(histogram_percentile_ns(g, 900000), 90 * US);
        assert_int_equal(histogram_percentile_ns(g, 990000), 100 * US);
        assert_int_equal(histogram_percentile_ns(g, 999000), 100 * US);
}

static void test_percentiles_bounds(void **state)
{
        /* one value, not on a µs boundary: every percentile is that value (clamped to min/max) */
        uint64_t one = 5999;
        _cleanup_(histogram_freep) Histogram *h = hist_of(&one, 1);
        assert_int_equal(histogram_percentile_ns(h, 500000), 5999);
        assert_int_equal(histogram_percentile_ns(h, 999000), 5999);

        /* values of the same µs: truncated to the µs but never below min */
        uint64_t same[] = {7100, 7300, 7900};
        _cleanup_(histogram_freep) Histogram *s = hist_of(same, 3);
        assert_int_equal(histogram_percentile_ns(s, 500000), 7100);
        assert_int_equal(histogram_percentile_ns(s, 1000000), 7900);

        /* large values: below the true value by less than 1/128 of it, max >= p99.9 >= p99 */
        uint64_t big[1000];
        for (unsigned i = 0; i < 1000; i++)
                big[i] = (uint64_t) (i + 1) * 37 * MS + 123;
        _cleanup_(histogram_freep) Histogram *b = hist_of(big, 1000);
        uint32_t ppm[] = {500000, 990000, 999000};
        uint64_t prev = 0;
        for (size_t i = 0; i < ELEMENTSOF(ppm); i++) {
                uint64_t want = big[(ppm[i] / 1000) - 1], got = histogram_percentile_ns(b, ppm[i]);
                assert_true(got <= want);
                assert_true(want - got < want / HISTOGRAM_SUB_BUCKETS + 1000);
                assert_true(got >= prev);
                prev = got;
        }
        assert_true(b->max_ns >= prev);

        /* empty */
        _cleanup_(histogram_freep) Histogram *e = histogram_new();
        assert_int_equal(histogram_percentile_ns(e, 500000), 0);
        assert_int_equal(histogram_mean_ns(e), 0);
        assert_int_equal(e->max_ns, 0);

        /* the sum saturates rather than wrapping */
        histogram_add(e, UINT64_MAX - 5);
        histogram_add(e, 100);
        assert_int_equal(e->sum_ns, UINT64_MAX);
        assert_int_equal(e->count, 2);
        assert_int_equal(histogram_percentile_ns(e, 1000000), UINT64_MAX - 5);
        assert_int_equal(histogram_percentile_ns(e, 500000), 100);
}

static void test_merge(void **state)
{
        uint64_t a[] = {1 * US, 20 * US, 5 * MS, 3}, b[] = {7 * US, 9 * MS, 400};
        uint64_t all[] = {1 * US, 20 * US, 5 * MS, 3, 7 * US, 9 * MS, 400};
        _cleanup_(histogram_freep) Histogram *x = hist_of(a, ELEMENTSOF(a));
        _cleanup_(histogram_freep) Histogram *y = hist_of(b, ELEMENTSOF(b));
        _cleanup_(histogram_freep) Histogram *z = hist_of(all, ELEMENTSOF(all));
        _cleanup_(histogram_freep) Histogram *empty = histogram_new();
        histogram_merge(x, y);
        histogram_merge(x, empty);
        assert_memory_equal(x, z, sizeof(Histogram));
        histogram_merge(empty, z);
        assert_memory_equal(empty, z, sizeof(Histogram));
}

/* ---- stall and timer accounting ---- */

static ProbeCpu new_cpu(void)
{
        ProbeCpu c = {.hist = histogram_new()};
        assert_non_null(c.hist);
        return c;
}

static void test_availability(void **state)
{
        assert_true(probe_availability(1000, 0) == 1.0);
        assert_true(probe_availability(1000, 250) == 0.75);
        assert_true(probe_availability(0, 0) == 1.0);
        assert_true(probe_availability(10, 20) == 0.0);
        assert_true(probe_availability(10, 10) == 0.0);

        /* a loop of 50-ns reads for 1000 reads, then a 10 µs and a 100 µs gap; a gap equal to the
         * threshold is not stolen */
        ProbeCpu c = new_cpu();
        for (int i = 0; i < 1000; i++)
                stall_account(&c, 50, 5 * US);
        stall_account(&c, 10 * US, 5 * US);
        stall_account(&c, 5 * US, 5 * US);
        stall_account(&c, 100 * US, 5 * US);
        assert_int_equal(c.loops, 1003);
        assert_int_equal(c.elapsed_ns, 50000 + 115 * US);
        assert_int_equal(c.stolen_ns, 110 * US);
        assert_int_equal(c.hist->count, 2);
        assert_int_equal(c.hist->max_ns, 100 * US);
        assert_int_equal(histogram_percentile_ns(c.hist, 500000), 10 * US);
        double a = probe_availability(c.elapsed_ns, c.stolen_ns);
        assert_true(a > 0.3333 && a < 0.3334); /* 55 µs of 165 µs ran */
        histogram_free(c.hist);
}

static void test_timer_account(void **state)
{
        ProbeConfig cfg = {.kind = PROBE_TIMER, .interval_ns = 1 * MS, .overflow_us = 100};
        ProbeCpu c = new_cpu();
        uint64_t cycles[100];
        c.overflow_cycles = cycles;
        /* on time + 5 µs */
        uint64_t next = timer_account(&cfg, &c, 1 * MS, 1 * MS + 5 * US);
        assert_int_equal(next, 2 * MS);
        /* 1.5 ms late: the 3 ms period is missed entirely, next is 4 ms; an overflow at cycle 1 */
        next = timer_account(&cfg, &c, next, 3 * MS + 500 * US);
        assert_int_equal(next, 4 * MS);
        assert_int_equal(c.overruns, 1);
        /* a wake-up before the due time (cannot happen; counts as 0) */
        next = timer_account(&cfg, &c, next, 4 * MS - 1);
        assert_int_equal(next, 5 * MS);
        /* exactly 100 µs late: an overflow (cyclictest counts >= size) */
        next = timer_account(&cfg, &c, next, 5 * MS + 100 * US);
        assert_int_equal(c.loops, 4);
        assert_int_equal(c.hist->count, 4);
        assert_int_equal(c.hist->min_ns, 0);
        assert_int_equal(c.hist->max_ns, 1500 * US);
        assert_int_equal(c.n_overflow_cycles, 2);
        assert_int_equal(cycles[0], 1);
        assert_int_equal(cycles[1], 3);
        /* at most overflow_us cycle numbers are kept */
        for (int i = 0; i < 200; i++)
                next = timer_account(&cfg, &c, next, next + 200 * US);
        assert_int_equal(c.n_overflow_cycles, 100);
        assert_int_equal(c.hist->count, 204);
        histogram_free(c.hist);
}

/* ---- cyclictest's histogram text ---- */

static void test_cyclictest_format(void **state)
{
        uint64_t a[] = {1500, 1900, 3 * US, 4200, 7 * US, 12 * US};
        uint64_t b[] = {2 * US, 2 * US};
        _cleanup_(histogram_freep) Histogram *ha = hist_of(a, ELEMENTSOF(a));
        _cleanup_(histogram_freep) Histogram *hb = hist_of(b, ELEMENTSOF(b));
        uint64_t oc[] = {4, 5};
        HistogramColumn cols[] = {{ha, oc, 1}, {hb, NULL, 0}};
        _cleanup_(freep) char *text = NULL;
        assert_int_equal(histogram_format_cyclictest(cols, 2, 5, &text), 0);
        /* the layout of rt-tests' cyclictest -h 5 -t 2 */
        assert_string_equal(text, "# Histogram\n"
                                  "000000 000000\t000000\n"
                                  "000001 000002\t000000\n"
                                  "000002 000000\t000002\n"
                                  "000003 000001\t000000\n"
                                  "000004 000001\t000000\n"
                                  "# Total: 000000004 000000002\n"
                                  "# Min Latencies: 00001 00002\n"
                                  "# Avg Latencies: 00004 00002\n"
                                  "# Max Latencies: 00012 00002\n"
                                  "# Histogram Overflows: 00002 00000\n"
                                  "# Histogram Overflow at cycle number:\n"
                                  "# Thread 0: 00004 # 00001 others\n"
                                  "# Thread 1:\n"
                                  "\n");
        free(TAKE_PTR(text));
        /* one thread: no tabs */
        cols[0].n_overflow_cycles = 2;
        assert_int_equal(histogram_format_cyclictest(cols, 1, 2, &text), 0);
        assert_string_equal(text, "# Histogram\n"
                                  "000000 000000\n"
                                  "000001 000002\n"
                                  "# Total: 000000002\n"
                                  "# Min Latencies: 00001\n"
                                  "# Avg Latencies: 00004\n"
                                  "# Max Latencies: 00012\n"
                                  "# Histogram Overflows: 00004\n"
                                  "# Histogram Overflow at cycle number:\n"
                                  "# Thread 0: 00004 00005 # 00002 others\n"
                                  "\n");
        assert_int_equal(histogram_format_cyclictest(cols, 1, 0, &text), -EINVAL);
        assert_int_equal(histogram_format_cyclictest(cols, 1, HISTOGRAM_LINEAR_US + 1, &text),
                         -EINVAL);
        assert_int_equal(histogram_format_cyclictest(cols, 0, 10, &text), -EINVAL);
        free(TAKE_PTR(text));
        assert_int_equal(histogram_format_cyclictest(cols, 1, HISTOGRAM_LINEAR_US, &text), 0);
        assert_non_null(strstr(text, "\n004095 000000\n# Total: 000000006\n"));
}

/* ---- /proc/interrupts ---- */

static Interrupts *parse_ok(const char *text)
{
        Interrupts *irq = NULL;
        Error err = {0};
        if (interrupts_parse(text, &irq, &err) < 0)
                fail_msg("parse: %s", err.msg);
        return irq;
}

static const IrqRow *row(const Interrupts *irq, const char *key)
{
        for (size_t i = 0; i < irq->n_rows; i++)
                if (streq(irq->rows[i].key, key))
                        return &irq->rows[i];
        fail_msg("no row %s", key);
        return NULL;
}

/* /proc/interrupts of this kind of machine (a KVM guest, kernel 6.x) */
static const char x86_text[] =
    "           CPU0       CPU1       \n"
    "  0:         44          0   IO-APIC   2-edge      timer\n"
    " 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
    " 36:          0    3707507 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
    " 42:       4874      14729 PCI-MSIX-0000:00:04.0   2-edge      virtio3-tx\n"
    " 44:          3          4  IO-APIC   9-fasteoi\n"
    "120:          0         17  PCI-MSI 16384-edge      PCIe PME, aerdrv\n"
    "NMI:          0          0   Non-maskable interrupts\n"
    "LOC:    1486824    1640749   Local timer interrupts\n"
    "RES:     349632     192419   Rescheduling interrupts\n"
    "CAL:    1165863     167637   Function call interrupts\n"
    "TLB:          0          0   TLB shootdowns\n"
    "ERR:          0\n"
    "MIS:          0\n";

static void test_interrupts_x86(void **state)
{
        _cleanup_(interrupts_freep) Interrupts *irq = parse_ok(x86_text);
        assert_int_equal(irq->n_cpus, 2);
        assert_int_equal(irq->cpus[0], 0);
        assert_int_equal(irq->cpus[1], 1);
        assert_int_equal(irq->n_rows, 13);
        assert_int_equal(irq->n_skipped, 0);
        assert_string_equal(row(irq, "0")->name, "timer");
        assert_string_equal(row(irq, "24")->name, "ACPI:Ged");
        assert_string_equal(row(irq, "36")->name, "virtio1-req.0");
        assert_int_equal(row(irq, "36")->counts[1], 3707507);
        assert_true(row(irq, "36")->device);
        assert_string_equal(row(irq, "44")->name, ""); /* no action: the flow type is no name */
        assert_string_equal(row(irq, "120")->name, "PCIe PME, aerdrv");
        const IrqRow *loc = row(irq, "LOC");
        assert_false(loc->device);
        assert_false(loc->global);
        assert_string_equal(loc->name, "Local timer interrupts");
        assert_int_equal(loc->n_counts, 2);
        assert_int_equal(loc->counts[0], 1486824);
        assert_string_equal(row(irq, "TLB")->name, "TLB shootdowns");
        assert_true(row(irq, "ERR")->global);
        assert_true(row(irq, "MIS")->global);
        assert_string_equal(row(irq, "ERR")->name, "");
}

static void test_interrupts_other_formats(void **state)
{
        /* arm64 (GIC, "Level"), an old x86 kernel ("IO-APIC-edge"), sparse CPU columns, tabs */
        _cleanup_(interrupts_freep) Interrupts *arm = parse_ok(
            "           CPU0       CPU2       CPU3\n"
            " 11:     123456     234567     345678     GICv3  27 Level     arch_timer\n"
            " 14:          0          0          0     GICv3  30 Level\n"
            " 50:          7          0          1   ITS-MSI 524288 Edge      nvme0q0, nvme0q1\n"
            "IPI0:     10000      20000      30000       Rescheduling interrupts\n"
            "Err:          0\n");
        assert_int_equal(arm->n_cpus, 3);
        assert_int_equal(arm->cpus[1], 2);
        assert_int_equal(arm->cpus[2], 3);
        assert_string_equal(row(arm, "11")->name, "arch_timer");
        assert_string_equal(row(arm, "14")->name, "");
        assert_string_equal(row(arm, "50")->name, "nvme0q0, nvme0q1");
        assert_string_equal(row(arm, "IPI0")->name, "Rescheduling interrupts");
        assert_int_equal(row(arm, "IPI0")->counts[2], 30000);
        assert_true(row(arm, "Err")->global);

        _cleanup_(interrupts_freep) Interrupts *old =
            parse_ok("           CPU0       CPU1\n"
                     "  0:        127          0   IO-APIC-edge      timer\n"
                     "  9:          0          0   IO-APIC-fasteoi   acpi\n"
                     "\t16:\t5\t6\tIO-APIC-fasteoi\tehci_hcd:usb1\n");
        assert_string_equal(row(old, "0")->name, "timer");
        assert_string_equal(row(old, "9")->name, "acpi");
        assert_string_equal(row(old, "16")->name, "ehci_hcd:usb1");
        assert_int_equal(row(old, "16")->counts[1], 6);
}

static void test_interrupts_hostile(void **state)
{
        static const char *const refused[] = {
            "",
            "\n\n   \n",
            "hello world\n 0: 1 2\n",
            "CPU1 CPU0\n",     /* descending */
            "CPU0 CPU0\n",     /* twice */
            "CPU0 CPU\n",      /* no number */
            "CPU0 CPU8192\n",  /* beyond CPU_NUMBER_MAX */
            "CPU0 CPUx1\n",    /* not a number */
            "CPU0 CPU-1\n",    /* signed */
            " 0: 1 2 timer\n", /* rows without a header */
            "CPU0 CPU99999999999999999999999\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                Interrupts *irq = NULL;
                Error err = {0};
                assert_int_equal(interrupts_parse(refused[i], &irq, &err), -EINVAL);
                assert_null(irq);
                assert_true(err.input);
                assert_non_null(strstr(err.msg, "/proc/interrupts"));
        }

        /* truncated lines, junk, huge counts: kept when they make sense, skipped when not */
        _cleanup_(interrupts_freep) Interrupts *irq =
            parse_ok("      CPU0       CPU1       CPU2\n"
                     " 36:         12\n"                             /* fewer counts, no name */
                     " 37\n"                                         /* no colon */
                     ":  1 2 3\n"                                    /* empty key */
                     "a b: 1 2 3\n"                                  /* key with a space */
                     "0123456789012345678901234567890123: 1 2 3\n"   /* key too long */
                     " 38: 18446744073709551615 0 1 big-edge  dev\n" /* the largest count */
                     " 39: 18446744073709551616 0 1\n"               /* one more: skipped */
                     " 40: 1 99999999999999999999999999 1\n"         /* far too large: skipped */
                     " 41: 1 2 3 4 5 6   x-edge  extra counts\n"     /* more numbers than CPUs */
                     " 42: 1 2x 3\n"                                 /* a count glued to junk */
                     "LOC: 5 6\n"                                    /* a missing column */
                     "\x01\x02\xff: 1 2 3\n"                         /* binary key */
                     " 43: 7 8 9   chip  1-edge      last line, no newline");
        assert_int_equal(irq->n_cpus, 3);
        assert_int_equal(irq->n_skipped, 7);
        assert_int_equal(row(irq, "36")->n_counts, 1);
        assert_false(row(irq, "36")->global); /* a numbered IRQ is never system-wide */
        assert_int_equal(row(irq, "38")->counts[0], UINT64_MAX);
        assert_string_equal(row(irq, "38")->name, "dev");
        assert_int_equal(row(irq, "41")->n_counts, 3);
        assert_string_equal(row(irq, "41")->name, "extra counts");
        assert_int_equal(row(irq, "42")->n_counts, 1);
        assert_int_equal(row(irq, "LOC")->n_counts, 2);
        assert_false(row(irq, "LOC")->global);
        assert_string_equal(row(irq, "43")->name, "last line, no newline");
        for (size_t i = 0; i < irq->n_rows; i++)
                assert_true(irq->rows[i].n_counts <= irq->n_cpus);
}

/* n columns of CPUs 0..n-1, a row "7" counting cpu * mult and LOC counting mult */
static char *columns_text(unsigned n, unsigned mult)
{
        SBuf b = {0};
        sbuf_append(&b, "    ");
        for (unsigned c = 0; c < n; c++)
                sbuf_appendf(&b, "   CPU%-5u", c);
        sbuf_append(&b, "\n  7:");
        for (unsigned c = 0; c < n; c++)
                sbuf_appendf(&b, " %10u", c * mult);
        sbuf_append(&b, "  PCI-MSI 1-edge      eth0\nLOC:");
        for (unsigned c = 0; c < n; c++)
                sbuf_appendf(&b, " %10u", mult);
        sbuf_append(&b, "  Local timer interrupts\nERR: 3\n");
        char *s = sbuf_steal(&b);
        assert_non_null(s);
        return s;
}

static void test_interrupts_columns(void **state)
{
        _cleanup_(freep) char *one = columns_text(1, 5), *many = columns_text(64, 5);
        _cleanup_(interrupts_freep) Interrupts *a = parse_ok(one);
        assert_int_equal(a->n_cpus, 1);
        assert_int_equal(row(a, "LOC")->counts[0], 5);
        assert_false(row(a, "ERR")->global); /* one CPU: its one count is CPU 0's */
        _cleanup_(interrupts_freep) Interrupts *b = parse_ok(many);
        assert_int_equal(b->n_cpus, 64);
        assert_int_equal(b->cpus[63], 63);
        assert_int_equal(row(b, "7")->n_counts, 64);
        assert_int_equal(row(b, "7")->counts[63], 315);
        assert_string_equal(row(b, "7")->name, "eth0");
        assert_true(row(b, "ERR")->global);
}

static const IrqDelta *delta(const IrqDeltas *d, const char *key)
{
        for (size_t i = 0; i < d->n; i++)
                if (streq(d->d[i].key, key))
                        return &d->d[i];
        return NULL;
}

static void test_interrupts_delta(void **state)
{
        assert_int_equal(irq_count_delta(5, 9), 4);
        assert_int_equal(irq_count_delta(UINT32_MAX - 1, 3), 5); /* 32-bit wrap */
        assert_int_equal(irq_count_delta(1000, 5), 5);           /* reset */
        assert_int_equal(irq_count_delta(1ULL << 40, 7), 7);     /* 64-bit: reset */
        assert_int_equal(irq_count_delta(UINT64_MAX, UINT64_MAX), 0);

        _cleanup_(interrupts_freep) Interrupts *before =
            parse_ok("   CPU0 CPU1 CPU2 CPU3\n"
                     " 30: 1 10 100 1000   chip  1-edge      nic\n"
                     " 31: 0 0 4294967290 0   chip  2-edge      disk\n"
                     " 32: 5 5 5 5   chip  3-edge      gone\n"
                     "LOC: 100 100 100 100  Local timer interrupts\n"
                     "RES: 0 0 0 0  Rescheduling interrupts\n"
                     "ERR: 1\n");
        _cleanup_(interrupts_freep) Interrupts *after =
            parse_ok("   CPU0 CPU1 CPU2 CPU3 CPU4\n"
                     " 30: 2 13 100 1100 9   chip  1-edge      nic\n"
                     " 31: 0 0 4 0 0   chip  2-edge      disk\n"
                     " 33: 0 0 6 0 0   chip  4-edge      new\n"
                     "LOC: 100 350 1100 100 50  Local timer interrupts\n"
                     "RES: 0 0 0 0 0  Rescheduling interrupts\n"
                     "ERR: 900\n");
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        assert_int_equal(cpuset_parse_list("1-2,4", set), 0);
        IrqDeltas d = {0};
        assert_int_equal(interrupts_delta(before, after, set, &d), 0);
        /* LOC 250 + 1000 + 50, 31 wrapped by 10, 30: 3 + 0 + 9, 33 new: 6 */
        assert_int_equal(d.n, 4);
        assert_string_equal(d.d[0].key, "LOC");
        assert_int_equal(d.d[0].total, 1300);
        assert_int_equal(d.d[0].n_cpus, 3);
        assert_int_equal(d.d[0].cpus[0].cpu, 1);
        assert_int_equal(d.d[0].cpus[0].count, 250);
        assert_int_equal(d.d[0].cpus[2].cpu, 4);
        assert_int_equal(d.d[0].cpus[2].count, 50);
        assert_string_equal(d.d[0].name, "Local timer interrupts");
        assert_false(d.d[0].device);
        assert_string_equal(d.d[1].key, "30");
        assert_int_equal(d.d[1].total, 12);
        assert_int_equal(d.d[1].n_cpus, 2); /* CPU 2 counted nothing */
        assert_true(d.d[1].device);
        assert_string_equal(d.d[1].name, "nic");
        assert_string_equal(d.d[2].key, "31");
        assert_int_equal(d.d[2].total, 10);
        assert_string_equal(d.d[3].key, "33");
        assert_int_equal(d.d[3].total, 6);
        assert_null(delta(&d, "RES")); /* nothing counted */
        assert_null(delta(&d, "ERR")); /* system-wide */
        assert_null(delta(&d, "32"));  /* gone */
        irq_deltas_done(&d);

        /* CPUs outside both snapshots, and an empty set: nothing */
        assert_int_equal(cpuset_parse_list("7-9", set), 0);
        assert_int_equal(interrupts_delta(before, after, set, &d), 0);
        assert_int_equal(d.n, 0);
        irq_deltas_done(&d);
        hwloc_bitmap_zero(set);
        assert_int_equal(interrupts_delta(before, after, set, &d), 0);
        assert_int_equal(d.n, 0);
        irq_deltas_done(&d);
}

/* Through a host: a fixture whose CPU 6, 22 and 25 are offline has no columns for them. */
static void test_interrupts_fixture(void **state)
{
        _cleanup_(host_freep) Host *h = fixture_host("ryzen-5950x-offline");
        _cleanup_(interrupts_freep) Interrupts *irq = NULL;
        Error err = {0};
        assert_int_equal(interrupts_read(h, &irq, &err), 0);
        assert_int_equal(irq->n_cpus, 29);
        assert_int_equal(irq->cpus[6], 7);
        const IrqRow *t = row(irq, "0");
        assert_string_equal(t->name, "timer");
        assert_int_equal(t->counts[6], 7); /* the fixture counts the CPU number there */
        assert_string_equal(row(irq, "40")->name, "enp5s0");
        assert_string_equal(row(irq, "RES")->name, "Rescheduling interrupts");
}

/* ---- JSON numbers of the reports ---- */

static void test_json_fixed(void **state)
{
        JsonWriter w = {0};
        json_begin_array(&w, NULL);
        json_fixed(&w, NULL, 1000000.0, 3);
        json_fixed(&w, NULL, 45926.6, 3);
        json_fixed(&w, NULL, 0.1234567, 6);
        json_fixed(&w, NULL, 12.0004, 3);
        json_fixed(&w, NULL, -0.0001, 3);
        json_fixed(&w, NULL, 1.0, 6);
        json_end_array(&w);
        _cleanup_(freep) char *s = json_steal(&w);
        assert_string_equal(s, "[\n  1000000,\n  45926.6,\n  0.123457,\n  12,\n  0,\n  1\n]\n");
}

/* ---- load specs ---- */

static void test_load_spec(void **state)
{
        LoadSpec s;
        Error err = {0};
        load_spec_default(&s, 2);
        assert_int_equal(s.cpu, 2);
        assert_int_equal(s.vm, 2);
        assert_int_equal(s.io, 2);
        assert_int_equal(s.vm_bytes, 64ULL << 20);
        assert_int_equal(s.engine, LOAD_AUTO);
        assert_int_equal(load_spec_parse("cpu=3,vm=0,vm-bytes=1G,builtin", &s, &err), 0);
        assert_int_equal(s.cpu, 3);
        assert_int_equal(s.vm, 0);
        assert_int_equal(s.io, 2);
        assert_int_equal(s.vm_bytes, 1ULL << 30);
        assert_int_equal(s.engine, LOAD_BUILTIN);
        assert_int_equal(load_spec_parse("stress-ng", &s, &err), 0);
        assert_int_equal(s.engine, LOAD_STRESS_NG);

        static const struct {
                const char *spec, *msg;
        } bad[] = {
            {"cpu=-1", "'cpu=-1' needs a number of workers"},
            {"cpu=4097", "from 0 to 4096"},
            {"disk=2", "unknown item 'disk=2'"},
            {"vm-bytes=12", "not a size from 1M to 1T"},
            {"vm-bytes=2T", "not a size from 1M to 1T"},
            {"cpu=0,vm=0,io=0", "the load has no workers"},
            {"io=", "'io=' needs a number"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                load_spec_default(&s, 1);
                err = (Error){0};
                assert_int_equal(load_spec_parse(bad[i].spec, &s, &err), -EINVAL);
                assert_true(err.input);
                if (!strstr(err.msg, bad[i].msg))
                        fail_msg("%s: %s", bad[i].spec, err.msg);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_buckets),
            cmocka_unit_test(test_percentiles_exact),
            cmocka_unit_test(test_percentiles_bounds),
            cmocka_unit_test(test_merge),
            cmocka_unit_test(test_availability),
            cmocka_unit_test(test_timer_account),
            cmocka_unit_test(test_cyclictest_format),
            cmocka_unit_test(test_interrupts_x86),
            cmocka_unit_test(test_interrupts_other_formats),
            cmocka_unit_test(test_interrupts_hostile),
            cmocka_unit_test(test_interrupts_columns),
            cmocka_unit_test(test_interrupts_delta),
            cmocka_unit_test(test_interrupts_fixture),
            cmocka_unit_test(test_json_fixed),
            cmocka_unit_test(test_load_spec),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
