/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CPU set parsers of cpuset-util: kernel CPU lists ("0-3,8-11", "0-15:2/4"), kernel cpumasks
 * ("0000000f,ffffffff") and systemd's byte arrays, each checked against its formatter. */
#include <ctype.h>
#include <string.h>

#include "cpuset-util.h"
#include "fuzz.h"
#include "string-util.h"

static hwloc_bitmap_t new_set(void)
{
        hwloc_bitmap_t s = hwloc_bitmap_alloc();
        if (!s)
                abort();
        return s;
}

/* Every form of a set a list or mask parse gave comes back as the same set. */
static void check_forms(hwloc_const_bitmap_t set)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t again = new_set();
        FUZZ_CHECK(hwloc_bitmap_last(set) <= (int) CPU_NUMBER_MAX);

        _cleanup_(freep) char *list = cpuset_format_list(set);
        FUZZ_CHECK(list);
        FUZZ_CHECK(cpuset_parse_list(list, again) == 0);
        FUZZ_CHECK(hwloc_bitmap_isequal(set, again));

        _cleanup_(freep) char *mask = cpuset_format_mask(set, 1);
        FUZZ_CHECK(mask);
        FUZZ_CHECK(cpuset_parse_mask(mask, again) == 0);
        FUZZ_CHECK(hwloc_bitmap_isequal(set, again));

        _cleanup_(freep) uint8_t *bytes = NULL;
        size_t n = 0;
        FUZZ_CHECK(cpuset_to_bytes(set, &bytes, &n) == 0);
        FUZZ_CHECK((n == 0) == hwloc_bitmap_iszero(set));
        FUZZ_CHECK(n == 0 || bytes[n - 1] != 0);
        cpuset_from_bytes(bytes, n, again);
        FUZZ_CHECK(hwloc_bitmap_isequal(set, again));

        /* the message form: always terminated, truncated with "..." */
        static const size_t sizes[] = {1, 2, 5, 8, CPUSET_LIST_MAX};
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                char buf[CPUSET_LIST_MAX];
                memset(buf, 'x', sizeof(buf));
                cpuset_to_list(buf, sizes[i], set);
                FUZZ_CHECK(strnlen(buf, sizes[i]) < sizes[i]);
        }
}

/* What cpuset_parse_mask() accepts: comma-separated words of 1 to 8 hex digits (surrounding
 * whitespace ignored), at most enough words for CPU_NUMBER_MAX. Its canonical form, the one
 * cpuset_format_mask() writes for as many words, pads each word to 8 lower-case digits. */
static char *mask_canonical(const char *s)
{
        _cleanup_(freep) char *copy = strdup(s);
        if (!copy)
                abort();
        char *p = strstrip(copy);
        SBuf b = {0};
        for (;;) {
                size_t l = strspn(p, "0123456789abcdefABCDEF");
                FUZZ_CHECK(l >= 1 && l <= 8);
                sbuf_appendf(&b, "%.*s", (int) (8 - l), "00000000");
                for (size_t i = 0; i < l; i++)
                        sbuf_appendf(&b, "%c", tolower((unsigned char) p[i]));
                p += l;
                if (!*p)
                        break;
                FUZZ_CHECK(*p == ',');
                sbuf_append(&b, ",");
                p++;
        }
        char *r = sbuf_steal(&b);
        if (!r)
                abort();
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = new_set();

        int r = cpuset_parse_list(text, set);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0)
                check_forms(set);
        else
                FUZZ_CHECK(hwloc_bitmap_iszero(set));

        r = cpuset_parse_mask(text, set);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0) {
                check_forms(set);
                _cleanup_(freep) char *want = mask_canonical(text);
                unsigned words = 0;
                for (const char *p = want; *p; p++)
                        words += *p == ',';
                _cleanup_(freep) char *got = cpuset_format_mask(set, words + 1);
                FUZZ_CHECK(got && streq(got, want));
        } else
                FUZZ_CHECK(hwloc_bitmap_iszero(set));

        cpuset_from_bytes(data, size, set);
        FUZZ_CHECK(hwloc_bitmap_last(set) <= (int) CPU_NUMBER_MAX);
        check_forms(set);
        return 0;
}
