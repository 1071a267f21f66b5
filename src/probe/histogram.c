/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "histogram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "string-util.h"

Histogram *histogram_new(void)
{
        Histogram *h = malloc(sizeof(Histogram));
        if (h)
                histogram_reset(h);
        return h;
}

Histogram *histogram_free(Histogram *h)
{
        free(h);
        return NULL;
}

void histogram_reset(Histogram *h)
{
        memset(h, 0, sizeof(*h));
        h->min_ns = UINT64_MAX;
}

unsigned histogram_bucket_of_us(uint64_t us)
{
        if (us < HISTOGRAM_LINEAR_US)
                return (unsigned) us;
        if (us >= HISTOGRAM_TOP_US)
                return HISTOGRAM_N_BUCKETS - 1;
        unsigned k = 63U - (unsigned) __builtin_clzll(us); /* 2^k <= us < 2^(k+1) */
        unsigned sub = (unsigned) (us >> (k - HISTOGRAM_SUB_BITS)) & (HISTOGRAM_SUB_BUCKETS - 1);
        return HISTOGRAM_LINEAR_US + (k - HISTOGRAM_LINEAR_BITS) * HISTOGRAM_SUB_BUCKETS + sub;
}

uint64_t histogram_bucket_low_us(unsigned bucket)
{
        if (bucket < HISTOGRAM_LINEAR_US)
                return bucket;
        unsigned i = bucket - HISTOGRAM_LINEAR_US;
        unsigned k = HISTOGRAM_LINEAR_BITS + i / HISTOGRAM_SUB_BUCKETS;
        uint64_t sub = i % HISTOGRAM_SUB_BUCKETS;
        return (HISTOGRAM_SUB_BUCKETS + sub) << (k - HISTOGRAM_SUB_BITS);
}

void histogram_add(Histogram *h, uint64_t ns)
{
        h->buckets[histogram_bucket_of_us(ns / 1000)]++;
        h->count++;
        h->sum_ns = ns > UINT64_MAX - h->sum_ns ? UINT64_MAX : h->sum_ns + ns;
        if (ns < h->min_ns)
                h->min_ns = ns;
        if (ns > h->max_ns)
                h->max_ns = ns;
}

void histogram_merge(Histogram *into, const Histogram *from)
{
        if (from->count == 0)
                return;
        for (unsigned i = 0; i < HISTOGRAM_N_BUCKETS; i++)
                into->buckets[i] += from->buckets[i];
        into->count += from->count;
        into->sum_ns =
            from->sum_ns > UINT64_MAX - into->sum_ns ? UINT64_MAX : into->sum_ns + from->sum_ns;
        into->min_ns = MIN(into->min_ns, from->min_ns);
        into->max_ns = MAX(into->max_ns, from->max_ns);
}

uint64_t histogram_percentile_ns(const Histogram *h, uint32_t ppm)
{
        if (h->count == 0)
                return 0;
        if (ppm >= 1000000)
                return h->max_ns;
        /* nearest rank: ceil(count * ppm / 10^6), at least 1; count * ppm fits while count is
         * below 1.8e13 samples, far beyond what a run takes */
        uint64_t rank = (h->count * (uint64_t) ppm + 999999) / 1000000;
        if (rank == 0)
                rank = 1;
        uint64_t seen = 0;
        for (unsigned i = 0; i < HISTOGRAM_N_BUCKETS; i++) {
                seen += h->buckets[i];
                if (seen >= rank) {
                        uint64_t low = histogram_bucket_low_us(i) * 1000;
                        return MIN(MAX(low, h->min_ns), h->max_ns);
                }
        }
        return h->max_ns;
}

uint64_t histogram_mean_ns(const Histogram *h)
{
        return h->count ? h->sum_ns / h->count : 0;
}

uint64_t histogram_count_us(const Histogram *h, unsigned us)
{
        return us < HISTOGRAM_LINEAR_US ? h->buckets[us] : 0;
}

static uint64_t count_below_us(const Histogram *h, unsigned size_us)
{
        uint64_t in = 0;
        for (unsigned us = 0; us < size_us; us++)
                in += histogram_count_us(h, us);
        return in;
}

int histogram_format_cyclictest(const HistogramColumn *cols, size_t n, unsigned size_us, char **ret)
{
        if (n == 0 || size_us == 0 || size_us > HISTOGRAM_LINEAR_US)
                return -EINVAL;
        SBuf b = {0};
        sbuf_append(&b, "# Histogram\n");
        for (unsigned us = 0; us < size_us; us++) {
                sbuf_appendf(&b, "%06u ", us);
                for (size_t j = 0; j < n; j++)
                        sbuf_appendf(&b, "%06llu%s",
                                     (unsigned long long) histogram_count_us(cols[j].h, us),
                                     j + 1 < n ? "\t" : "");
                sbuf_append(&b, "\n");
        }
        /* cyclictest's totals count the samples inside the histogram */
        sbuf_append(&b, "# Total:");
        for (size_t j = 0; j < n; j++)
                sbuf_appendf(&b, " %09llu",
                             (unsigned long long) count_below_us(cols[j].h, size_us));
        static const char *const labels[] = {
            "# Min Latencies:", "# Avg Latencies:", "# Max Latencies:"};
        for (size_t l = 0; l < ELEMENTSOF(labels); l++) {
                sbuf_appendf(&b, "\n%s", labels[l]);
                for (size_t j = 0; j < n; j++) {
                        const Histogram *h = cols[j].h;
                        uint64_t ns = h->count == 0 ? 0
                                      : l == 0      ? h->min_ns
                                      : l == 1      ? histogram_mean_ns(h)
                                                    : h->max_ns;
                        sbuf_appendf(&b, " %05llu", (unsigned long long) (ns / 1000));
                }
        }
        sbuf_append(&b, "\n# Histogram Overflows:");
        for (size_t j = 0; j < n; j++)
                sbuf_appendf(
                    &b, " %05llu",
                    (unsigned long long) (cols[j].h->count - count_below_us(cols[j].h, size_us)));
        sbuf_append(&b, "\n# Histogram Overflow at cycle number:\n");
        for (size_t j = 0; j < n; j++) {
                uint64_t overflows = cols[j].h->count - count_below_us(cols[j].h, size_us);
                size_t shown = MIN(cols[j].n_overflow_cycles, (size_t) size_us);
                sbuf_appendf(&b, "# Thread %zu:", j);
                for (size_t k = 0; k < shown; k++)
                        sbuf_appendf(&b, " %05llu",
                                     (unsigned long long) cols[j].overflow_cycles[k]);
                if (shown < overflows)
                        sbuf_appendf(&b, " # %05llu others",
                                     (unsigned long long) (overflows - shown));
                sbuf_append(&b, "\n");
        }
        sbuf_append(&b, "\n");
        *ret = sbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}
