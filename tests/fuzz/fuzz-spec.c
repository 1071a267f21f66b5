/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory's vms/NAME.spec records (slice/spec.c): what parses formats back to a text
 * that parses to the same spec. */
#include <string.h>

#include "fuzz.h"
#include "spec.h"
#include "string-util.h"

static void check_same(const SliceSpec *a, const SliceSpec *b)
{
        FUZZ_CHECK(streq(a->name, b->name));
        FUZZ_CHECK(hwloc_bitmap_isequal(a->cpus, b->cpus));
        FUZZ_CHECK(hwloc_bitmap_isequal(a->vcpu_cpus, b->vcpu_cpus));
        FUZZ_CHECK(a->pinned == b->pinned && a->managed == b->managed);
        FUZZ_CHECK(a->n_hugepages == b->n_hugepages);
        for (unsigned i = 0; i < a->n_hugepages; i++)
                FUZZ_CHECK(memcmp(&a->hugepages[i], &b->hugepages[i], sizeof(SliceHugepages)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(slice_spec_freep) SliceSpec *s = NULL, *again = NULL;
        Error err = {0};
        int r = slice_spec_parse(text, &s, &err);
        if (r < 0) {
                fuzz_check_error(r, &err);
                return 0;
        }
        char why[128];
        FUZZ_CHECK(domain_name_check(s->name, why, sizeof(why)) == 0);
        FUZZ_CHECK(hwloc_bitmap_isincluded(s->vcpu_cpus, s->cpus));
        for (unsigned i = 0; i < s->n_hugepages; i++) {
                const SliceHugepages *h = &s->hugepages[i];
                FUZZ_CHECK(h->node <= SLICE_NODE_MAX && h->count > 0);
                FUZZ_CHECK(h->page_size >= SLICE_BASE_PAGE_SIZE &&
                           (h->page_size & (h->page_size - 1)) == 0);
                if (i > 0) {
                        const SliceHugepages *p = &s->hugepages[i - 1];
                        FUZZ_CHECK(p->node < h->node ||
                                   (p->node == h->node && p->page_size < h->page_size));
                }
        }

        _cleanup_(freep) char *formatted = NULL, *formatted2 = NULL;
        FUZZ_CHECK(slice_spec_format(s, &formatted) == 0);
        FUZZ_CHECK(slice_spec_parse(formatted, &again, &err) == 0);
        check_same(s, again);
        FUZZ_CHECK(slice_spec_format(again, &formatted2) == 0);
        FUZZ_CHECK(streq(formatted, formatted2));
        return 0;
}
