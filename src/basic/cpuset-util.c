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

char *cpuset_format_mask(hwloc_const_bitmap_t set, unsigned words)
{
        int last = hwloc_bitmap_last(set);
        unsigned need = last < 0 ? 1 : (unsigned) last / 32 + 1;
        if (words < need)
                words = need;
        SBuf b = {0};
        for (unsigned w = words; w-- > 0;) {
                unsigned long v =
                    hwloc_bitmap_to_ith_ulong(set, w * 32 / (8 * sizeof(unsigned long)));
                if (sizeof(unsigned long) == 8)
                        v = (w % 2) ? v >> 32 : v;
                sbuf_appendf(&b, "%s%08lx", w + 1 == words ? "" : ",", v & 0xffffffffUL);
        }
        return sbuf_steal(&b);
}

int cpuset_parse_mask(const char *s, hwloc_bitmap_t ret)
{
        _cleanup_(freep) char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        strstrip(copy);
        hwloc_bitmap_zero(ret);
        size_t nwords = 1;
        for (char *p = copy; *p; p++)
                nwords += *p == ',';
        if (!*copy || nwords > CPU_NUMBER_MAX / 32 + 1)
                return *copy ? -ERANGE : -EINVAL;
        size_t w = nwords;
        /* word by word, most significant first; an empty word ("f,,f", ",f") is malformed (not
         * skipped, which would move the words after it) */
        for (char *next = copy, *tok; (tok = strsep(&next, ","));) {
                w--;
                size_t l = strlen(tok);
                if (l == 0 || l > 8) {
                        hwloc_bitmap_zero(ret);
                        return -EINVAL;
                }
                unsigned long v = 0;
                for (char *c = tok; *c; c++) {
                        if (!isxdigit((unsigned char) *c)) {
                                hwloc_bitmap_zero(ret);
                                return -EINVAL;
                        }
                        v = v * 16 +
                            (unsigned long) (isdigit((unsigned char) *c)
                                                 ? *c - '0'
                                                 : (tolower((unsigned char) *c) - 'a' + 10));
                }
                for (unsigned bit = 0; bit < 32; bit++)
                        if (v & (1UL << bit))
                                hwloc_bitmap_set(ret, (unsigned) (w * 32 + bit));
        }
        return 0;
}

int cpuset_to_bytes(hwloc_const_bitmap_t set, uint8_t **ret, size_t *ret_size)
{
        *ret = NULL;
        *ret_size = 0;
        int last = hwloc_bitmap_last(set);
        if (hwloc_bitmap_iszero(set) || last < 0)
                return 0;
        size_t n = (size_t) last / 8 + 1;
        uint8_t *b = calloc(n, 1);
        if (!b)
                return -ENOMEM;
        int cpu;
        hwloc_bitmap_foreach_begin (cpu, set) {
                b[cpu / 8] |= (uint8_t) (1U << (cpu % 8));
        }
        hwloc_bitmap_foreach_end();
        *ret = b;
        *ret_size = n;
        return 0;
}

void cpuset_from_bytes(const uint8_t *bytes, size_t size, hwloc_bitmap_t ret)
{
        hwloc_bitmap_zero(ret);
        for (size_t i = 0; i < size && i <= CPU_NUMBER_MAX / 8; i++)
                for (unsigned bit = 0; bit < 8; bit++)
                        if (bytes[i] & (1U << bit))
                                hwloc_bitmap_set(ret, (unsigned) (i * 8 + bit));
}
