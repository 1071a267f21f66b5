/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse-util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "string-util.h"

int safe_atou64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;
        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        for (; *s; s++) {
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret)
{
        uint64_t v;
        int r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int safe_atoi(const char *s, int *ret)
{
        bool neg = false;
        uint64_t v;
        if (s && *s == '-') {
                neg = true;
                s++;
        }
        int r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > (uint64_t) INT_MAX + (neg ? 1 : 0))
                return -ERANGE;
        *ret = neg ? (int) -(int64_t) v : (int) v;
        return 0;
}

static const struct {
        const char *suffix;
        uint64_t factor;
} units[] = {
    {"b", 1ULL},         {"bytes", 1ULL},
    {"k", 1ULL << 10},   {"K", 1ULL << 10},
    {"KiB", 1ULL << 10}, {"KB", 1000ULL},
    {"m", 1ULL << 20},   {"M", 1ULL << 20},
    {"MiB", 1ULL << 20}, {"MB", 1000ULL * 1000},
    {"g", 1ULL << 30},   {"G", 1ULL << 30},
    {"GiB", 1ULL << 30}, {"GB", 1000ULL * 1000 * 1000},
    {"t", 1ULL << 40},   {"T", 1ULL << 40},
    {"TiB", 1ULL << 40}, {"TB", 1000ULL * 1000 * 1000 * 1000},
};

int parse_size(const char *s, uint64_t default_unit, uint64_t *ret_bytes)
{
        char num[32];
        size_t n = 0;

        if (!s)
                return -EINVAL;
        while (isdigit((unsigned char) s[n]))
                n++;
        if (n == 0 || n >= sizeof(num))
                return n == 0 ? -EINVAL : -ERANGE;
        memcpy(num, s, n);
        num[n] = 0;

        uint64_t v, factor = default_unit;
        int r = safe_atou64(num, &v);
        if (r < 0)
                return r;
        const char *unit = s + n;
        if (*unit) {
                factor = 0;
                for (size_t i = 0; i < ELEMENTSOF(units); i++)
                        if (streq(unit, units[i].suffix)) {
                                factor = units[i].factor;
                                break;
                        }
                if (factor == 0)
                        return -EINVAL;
        }
        if (factor != 0 && v > UINT64_MAX / factor)
                return -ERANGE;
        *ret_bytes = v * factor;
        return 0;
}

const char *format_bytes(char *buf, size_t size, uint64_t bytes)
{
        static const char *const suffix[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        size_t top = 0;
        uint64_t unit = 1;

        while (top + 1 < ELEMENTSOF(suffix) && bytes >= unit * 1024)
                unit *= 1024, top++;
        /* an exact figure when there is a short one ("1536 MiB", which --memory accepts back),
         * else one decimal in the largest unit ("9.1 GiB") */
        uint64_t u = unit;
        for (size_t i = top + 1; i-- > 0; u /= 1024)
                if (bytes % u == 0 && bytes / u < 10000) {
                        snprintf(buf, size, "%llu %s", (unsigned long long) (bytes / u), suffix[i]);
                        return buf;
                }
        snprintf(buf, size, "%.1f %s", (double) bytes / (double) unit, suffix[top]);
        return buf;
}
