/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmslice-probe: a stall probe for the e2e guest.
 *
 *   probe SECONDS [THRESHOLD_US]
 *
 * Reads CLOCK_MONOTONIC in a busy loop for SECONDS seconds. Each loop iteration yields one
 * interval: the time between two consecutive clock reads. While the vCPU runs, an interval is
 * the cost of one read (well under a microsecond, under TCG too); when the vCPU does not run (the
 * host preempted it, an interrupt, the emulator thread holding a lock), the interval is as long as
 * the stall. An interval longer than THRESHOLD_US (default 50) is a gap. Prints one line:
 *
 *   VMSLICE-PROBE seconds=S threshold_us=T samples=N gaps=G stalled_us=U max_gap_us=M
 *       gap_p50_us=A gap_p99_us=B gap_p999_us=C availability=X
 *
 *   samples      intervals measured (loop iterations)
 *   gaps         intervals longer than THRESHOLD_US
 *   stalled_us   the sum of the gaps
 *   max_gap_us   the longest interval
 *   gap_p50_us, gap_p99_us, gap_p999_us
 *                half (99%, 99.9%) of the gaps were no longer than this: the upper edge of the
 *                1 us histogram bucket the percentile falls in, or the longest gap if that is
 *                shorter (gaps of 1 s or more share one bucket); 0 without gaps
 *   availability 1 - stalled_us / measured time: the share of the time the loop ran
 *
 * Exit status 0, or 2 for bad arguments, 1 if the clock cannot be read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define BUCKET_NS 1000u    /* gap histogram resolution: 1 us */
#define N_BUCKETS 1000000u /* 1 us x 10^6 = 1 s; longer gaps in the last bucket */
static uint64_t hist[N_BUCKETS + 1];

static uint64_t now_ns(void)
{
        struct timespec ts;
        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
                perror("vmslice-probe: clock_gettime");
                exit(1);
        }
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
        char *end;
        if (!s || *s < '0' || *s > '9')
                return -1;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -1;
        *ret = v;
        return 0;
}

/* the upper edge, in ns, of the gap bucket where the cumulative count reaches ceil(n * num / den)
 * (n gaps in the histogram); 0 without gaps */
static uint64_t percentile_ns(uint64_t n, uint64_t num, uint64_t den, uint64_t max_ns)
{
        if (n == 0)
                return 0;
        uint64_t want = (n * num + den - 1) / den, seen = 0;
        if (want == 0)
                want = 1;
        for (uint64_t b = 0; b <= N_BUCKETS; b++) {
                seen += hist[b];
                if (seen >= want) /* no gap is longer than the longest */
                        return b == N_BUCKETS ? max_ns : MIN((b + 1) * BUCKET_NS, max_ns);
        }
        return max_ns;
}

int main(int argc, char **argv)
{
        uint64_t seconds, threshold_us = 50;
        if (argc < 2 || argc > 3 || parse_u64(argv[1], 1, 86400, &seconds) < 0 ||
            (argc == 3 && parse_u64(argv[2], 1, 10000000, &threshold_us) < 0)) {
                fprintf(stderr,
                        "usage: vmslice-probe SECONDS(1-86400) [THRESHOLD_US(1-10000000)]\n");
                return 2;
        }
        const uint64_t threshold_ns = threshold_us * 1000u;
        uint64_t samples = 0, gaps = 0, stalled_ns = 0, max_ns = 0;
        const uint64_t start = now_ns(), end = start + seconds * 1000000000u;
        uint64_t prev = start, t;
        do {
                t = now_ns();
                uint64_t d = t - prev; /* CLOCK_MONOTONIC never goes back */
                prev = t;
                samples++;
                if (d > max_ns)
                        max_ns = d;
                if (d > threshold_ns) {
                        uint64_t b = d / BUCKET_NS;
                        hist[b < N_BUCKETS ? b : N_BUCKETS]++;
                        gaps++;
                        stalled_ns += d;
                }
        } while (t < end);
        const uint64_t total_ns = t - start;
        double availability = total_ns ? 1.0 - (double) stalled_ns / (double) total_ns : 0.0;
        uint64_t p50 = percentile_ns(gaps, 1, 2, max_ns);
        uint64_t p99 = percentile_ns(gaps, 99, 100, max_ns);
        uint64_t p999 = percentile_ns(gaps, 999, 1000, max_ns);
        printf("VMSLICE-PROBE seconds=%" PRIu64 " threshold_us=%" PRIu64 " samples=%" PRIu64
               " gaps=%" PRIu64 " stalled_us=%.1f max_gap_us=%.1f gap_p50_us=%.1f"
               " gap_p99_us=%.1f gap_p999_us=%.1f availability=%.6f\n",
               seconds, threshold_us, samples, gaps, stalled_ns / 1000.0, max_ns / 1000.0,
               p50 / 1000.0, p99 / 1000.0, p999 / 1000.0, availability);
        fflush(stdout);
        return 0;
}
