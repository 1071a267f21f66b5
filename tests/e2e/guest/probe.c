/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmslice-probe: a stall probe for the e2e guest.
 *
 *   probe SECONDS [THRESHOLD_US]
 *
 * Reads CLOCK_MONOTONIC in a busy loop for SECONDS seconds. Each loop iteration yields one
 * interval: the time between two consecutive clock reads. While the vCPU runs, an interval is
 * the cost of one read (well under a microsecond on real hardware, a few under TCG); when the
 * vCPU does not run (the host preempted it, an interrupt, the emulator thread holding a lock),
 * the interval is as long as the stall. Prints one line:
 *
 *   VMSLICE-PROBE seconds=S threshold_us=T samples=N gaps=G stalled_us=U max_gap_us=M
 *       p99_us=A p999_us=B availability=X
 *
 *   samples      intervals measured (loop iterations)
 *   gaps         intervals longer than THRESHOLD_US (default 50)
 *   stalled_us   the sum of those intervals
 *   max_gap_us   the longest interval
 *   p99_us, p999_us
 *                99% (99.9%) of the intervals were no longer than this: the upper edge of the
 *                0.1 us histogram bucket the percentile falls in (intervals of 100 ms or more
 *                share one bucket, whose upper edge is the longest interval)
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

#define BUCKET_NS 100u                  /* histogram resolution */
#define N_BUCKETS 1000000u              /* 0.1 us x 10^6 = 100 ms; longer ones in the last */
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

/* the upper edge, in ns, of the bucket where the cumulative count reaches ceil(n * num / den) */
static uint64_t percentile_ns(uint64_t n, uint64_t num, uint64_t den, uint64_t max_ns)
{
        uint64_t want = (n * num + den - 1) / den, seen = 0;
        if (want == 0)
                want = 1;
        for (uint64_t b = 0; b <= N_BUCKETS; b++) {
                seen += hist[b];
                if (seen >= want)
                        return b == N_BUCKETS ? max_ns : (b + 1) * BUCKET_NS;
        }
        return max_ns;
}

int main(int argc, char **argv)
{
        uint64_t seconds, threshold_us = 50;
        if (argc < 2 || argc > 3 || parse_u64(argv[1], 1, 86400, &seconds) < 0 ||
            (argc == 3 && parse_u64(argv[2], 1, 10000000, &threshold_us) < 0)) {
                fprintf(stderr, "usage: vmslice-probe SECONDS(1-86400) [THRESHOLD_US(1-10000000)]\n");
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
                uint64_t b = d / BUCKET_NS;
                hist[b < N_BUCKETS ? b : N_BUCKETS]++;
                samples++;
                if (d > max_ns)
                        max_ns = d;
                if (d > threshold_ns) {
                        gaps++;
                        stalled_ns += d;
                }
        } while (t < end);
        const uint64_t total_ns = t - start;
        double availability = total_ns ? 1.0 - (double) stalled_ns / (double) total_ns : 0.0;
        uint64_t p99 = percentile_ns(samples, 99, 100, max_ns);
        uint64_t p999 = percentile_ns(samples, 999, 1000, max_ns);
        printf("VMSLICE-PROBE seconds=%" PRIu64 " threshold_us=%" PRIu64 " samples=%" PRIu64
               " gaps=%" PRIu64 " stalled_us=%.1f max_gap_us=%.1f p99_us=%.1f p999_us=%.1f"
               " availability=%.6f\n",
               seconds, threshold_us, samples, gaps, stalled_ns / 1000.0, max_ns / 1000.0,
               p99 / 1000.0, p999 / 1000.0, availability);
        fflush(stdout);
        return 0;
}
