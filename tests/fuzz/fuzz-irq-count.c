/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict /proc/interrupts parser of `vmslice check` (probe/irq-count.c) and its deltas. */
#include <string.h>

#include "cpuset-util.h"
#include "fuzz.h"
#include "irq-count.h"
#include "string-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(irq_counts_freep) IrqCounts *c = NULL;
        int r = irq_counts_parse(text, &c);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r < 0)
                return 0;

        FUZZ_CHECK(c->n_cols > 0);
        for (unsigned k = 0; k < c->n_cols; k++)
                FUZZ_CHECK(c->cpu[k] <= CPU_NUMBER_MAX && (k == 0 || c->cpu[k] > c->cpu[k - 1]));
        for (size_t i = 0; i < c->n_lines; i++) {
                const IrqCountLine *l = &c->lines[i];
                FUZZ_CHECK(l->name && *l->name && !strpbrk(l->name, " \t:"));
                FUZZ_CHECK(l->desc && !strchr(l->desc, '\n'));
                FUZZ_CHECK(l->n <= c->n_cols);
                (void) irq_desc_device(l->desc);
        }

        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t all = hwloc_bitmap_alloc();
        _cleanup_(irq_counts_freep) IrqCounts *none = NULL;
        if (!all || irq_counts_parse("CPU0\n", &none) < 0)
                abort();
        hwloc_bitmap_fill(all);

        /* nothing fired between a snapshot and itself */
        _cleanup_(freep) IrqFired *f = NULL;
        size_t n = 0;
        FUZZ_CHECK(irq_counts_delta(c, c, all, &f, &n) == 0);
        FUZZ_CHECK(n == 0);
        free(TAKE_PTR(f));

        /* from nothing: every line with a count, in order, ERR and MIS left out */
        FUZZ_CHECK(irq_counts_delta(none, c, all, &f, &n) == 0);
        size_t k = 0;
        for (size_t i = 0; i < c->n_lines; i++) {
                const IrqCountLine *l = &c->lines[i];
                bool any = false;
                for (unsigned j = 0; j < l->n; j++)
                        any = any || l->count[j] > 0;
                if (!any || streq(l->name, "ERR") || streq(l->name, "MIS"))
                        continue;
                FUZZ_CHECK(k < n && f[k].name == l->name && f[k].count > 0);
                k++;
        }
        FUZZ_CHECK(k == n);
        return 0;
}
