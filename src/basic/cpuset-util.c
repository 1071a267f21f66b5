/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cpuset-util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"
#include "string-util.h"

static int parse_number(const char **p, unsigned *ret)
{
        const char *s = *p;
        unsigned v = 0;
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        while (isdigit((unsigned char) *s)) {
                v = v * 10 + (unsigned) (*s - '0');
                if (v > CPU_NUMBER_MAX)
                        return -ERANGE;
                s++;
        }
        *p = s;
        *ret = v;
        return 0;
}

int cpuset_parse_list(const char *s, hwloc_bitmap_t ret)
{
        _cleanup_(freep) char *copy = NULL;
        int r;

        hwloc_bitmap_zero(ret);
        if (!s)
                return -EINVAL;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        strstrip(copy);

        const char *p = copy;
        while (*p) {
                unsigned a, b, used = 1, group = 1;
                r = parse_number(&p, &a);
                if (r < 0)
                        goto fail;
                b = a;
                if (*p == '-') {
                        p++;
                        r = parse_number(&p, &b);
                        if (r < 0)
                                goto fail;
                        if (b < a) {
                                r = -EINVAL;
                                goto fail;
                        }
                        if (*p == ':') { /* kernel stride syntax: a-b:used/group */
                                p++;
                                r = parse_number(&p, &used);
                                if (r < 0 || *p != '/') {
                                        r = r < 0 ? r : -EINVAL;
                                        goto fail;
                                }
                                p++;
                                r = parse_number(&p, &group);
                                if (r < 0)
                                        goto fail;
                                if (used == 0 || group == 0 || used > group) {
                                        r = -EINVAL;
                                        goto fail;
                                }
                        }
                }
                if (*p == ',') {
                        p++;
                        if (!*p) {
                                r = -EINVAL;
                                goto fail;
                        }
                } else if (*p) {
                        r = -EINVAL;
                        goto fail;
                }
                if (used == group) {
                        /* plain number or range: let hwloc build it */
                        char piece[32];
                        snprintf(piece, sizeof(piece), "%u-%u", a, b);
                        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t t = hwloc_bitmap_alloc();
                        if (!t || hwloc_bitmap_list_sscanf(t, piece) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        hwloc_bitmap_or(ret, ret, t);
                } else
                        for (unsigned c = a; c <= b; c++)
                                if ((c - a) % group < used)
                                        hwloc_bitmap_set(ret, c);
        }
        return 0;
fail:
        hwloc_bitmap_zero(ret);
        return r;
}

char *cpuset_format_list(hwloc_const_bitmap_t set)
{
        char *s = NULL;
        if (hwloc_bitmap_iszero(set))
                return strdup("");
        if (hwloc_bitmap_list_asprintf(&s, set) < 0)
                return NULL;
        return s;
}

const char *cpuset_to_list(char *buf, size_t size, hwloc_const_bitmap_t set)
{
        if (size == 0)
                return buf;
        int n = hwloc_bitmap_iszero(set) ? snprintf(buf, size, "none")
                                         : hwloc_bitmap_list_snprintf(buf, size, set);
        if (n >= 0 && (size_t) n >= size && size > 4)
                strcpy(buf + size - 4, "...");
        return buf;
}

void json_cpuset(JsonWriter *w, const char *key, hwloc_const_bitmap_t set)
{
        _cleanup_(freep) char *s = cpuset_format_list(set);
        if (!s)
                w->buf.oom = true;
        json_string(w, key, s ? s : "");
}
