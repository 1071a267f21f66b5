/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* A latency histogram with bounded storage. Samples are nanoseconds; the buckets are in whole
 * microseconds (a sample of 5999 ns is in the bucket of 5 µs, as cyclictest counts):
 *
 *   - 1-µs buckets below HISTOGRAM_LINEAR_US (so cyclictest's histogram, which has one line per
 *     µs, can be written for sizes up to that),
 *   - above it, HISTOGRAM_SUB_BUCKETS buckets per power of two (each less than 0.8 % of its
 *     value wide), up to HISTOGRAM_TOP_US; larger samples count in the last bucket.
 *
 * count, sum, min and max are exact. A percentile is by nearest rank (the smallest sample that
 * at least that share of the samples do not exceed): the lower bound of the bucket that holds it,
 * clamped to [min, max] -- exact below HISTOGRAM_LINEAR_US to the truncated µs, and never above
 * the true value. */

#define HISTOGRAM_LINEAR_US   4096U
#define HISTOGRAM_SUB_BITS    7U
#define HISTOGRAM_SUB_BUCKETS (1U << HISTOGRAM_SUB_BITS)
#define HISTOGRAM_TOP_BITS    36U /* 2^36 µs, 19 hours */
#define HISTOGRAM_TOP_US      (1ULL << HISTOGRAM_TOP_BITS)
#define HISTOGRAM_LINEAR_BITS 12U /* log2(HISTOGRAM_LINEAR_US) */
#define HISTOGRAM_N_BUCKETS                                                                        \
        (HISTOGRAM_LINEAR_US + (HISTOGRAM_TOP_BITS - HISTOGRAM_LINEAR_BITS) * HISTOGRAM_SUB_BUCKETS)

typedef struct Histogram {
        uint64_t count;
        uint64_t sum_ns; /* saturates at UINT64_MAX */
        uint64_t min_ns; /* UINT64_MAX while empty */
        uint64_t max_ns;
        uint64_t buckets[HISTOGRAM_N_BUCKETS];
} Histogram;

/* A new empty histogram (NULL on OOM). */
Histogram *histogram_new(void);
Histogram *histogram_free(Histogram *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Histogram *, histogram_free)
void histogram_reset(Histogram *h);

void histogram_add(Histogram *h, uint64_t ns);
/* Adds every sample of from to into. */
void histogram_merge(Histogram *into, const Histogram *from);

/* The bucket of a sample in µs, and the lowest µs value of a bucket. */
unsigned histogram_bucket_of_us(uint64_t us);
uint64_t histogram_bucket_low_us(unsigned bucket);

/* Percentile by nearest rank; ppm is the share in parts per million (p50: 500000, p99.9:
 * 999000, max: 1000000). 0 for an empty histogram. */
uint64_t histogram_percentile_ns(const Histogram *h, uint32_t ppm);
/* sum / count, 0 when empty. */
uint64_t histogram_mean_ns(const Histogram *h);
/* Samples whose whole µs is us; us must be below HISTOGRAM_LINEAR_US. */
uint64_t histogram_count_us(const Histogram *h, unsigned us);

/* One thread (column) of cyclictest's histogram: its latencies and the cycle numbers of its first
 * overflows (samples of size_us or more), of which cyclictest keeps at most size_us. */
typedef struct HistogramColumn {
        const Histogram *h;
        const uint64_t *overflow_cycles;
        size_t n_overflow_cycles;
} HistogramColumn;

/* The text `cyclictest --histogram=size_us` prints for these threads: one line per µs from 0 to
 * size_us - 1 with each thread's count, the totals (samples in the histogram), min, avg and max
 * latencies in µs, the overflows and the cycle numbers where they happened. size_us is 1 to
 * HISTOGRAM_LINEAR_US. Returns 0, -EINVAL or -ENOMEM. */
int histogram_format_cyclictest(const HistogramColumn *cols, size_t n, unsigned size_us,
                                char **ret);
