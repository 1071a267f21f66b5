/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tolerant /proc/interrupts parser of `vmslice bench` (probe/interrupts.c) and its deltas. */
#include <string.h>

#include "cpuset-util.h"
#include "fuzz.h"
#include "interrupts.h"
#include "string-util.h"

static void check_parsed(const Interrupts *irq)
{
        FUZZ_CHECK(irq->n_cpus > 0 && irq->n_cpus <= CPU_NUMBER_MAX + 1);
        for (unsigned j = 0; j < irq->n_cpus; j++)
                FUZZ_CHECK(irq->cpus[j] <= CPU_NUMBER_MAX &&
                           (j == 0 || irq->cpus[j] > irq->cpus[j - 1]));
        for (size_t i = 0; i < irq->n_rows; i++) {
                const IrqRow *r = &irq->rows[i];
                size_t kl = strnlen(r->key, IRQ_KEY_MAX);
                FUZZ_CHECK(kl > 0 && kl < IRQ_KEY_MAX);
                FUZZ_CHECK(!strpbrk(r->key, " \t\n:"));
                FUZZ_CHECK(r->name && !strchr(r->name, '\n') && !strchr(r->name, '\x1f'));
                FUZZ_CHECK(r->n_counts <= irq->n_cpus);
                FUZZ_CHECK(!r->global || (r->n_counts == 1 && !r->device));
        }
}

static bool keys_unique(const Interrupts *irq)
{
        for (size_t i = 0; i < irq->n_rows; i++)
                for (size_t k = i + 1; k < irq->n_rows; k++)
                        if (streq(irq->rows[i].key, irq->rows[k].key))
                                return false;
        return true;
}

static void check_deltas(const Interrupts *irq)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t all = hwloc_bitmap_alloc();
        Interrupts *none = NULL;
        if (!all || interrupts_parse("CPU0\n", &none, NULL) < 0)
                abort();
        hwloc_bitmap_fill(all);

        /* nothing happened between a snapshot and itself */
        IrqDeltas d = {0};
        FUZZ_CHECK(interrupts_delta(irq, irq, all, &d) == 0);
        if (keys_unique(irq))
                FUZZ_CHECK(d.n == 0);
        irq_deltas_done(&d);

        /* from nothing: every count of every per-CPU line, largest total first */
        FUZZ_CHECK(interrupts_delta(none, irq, all, &d) == 0);
        size_t want = 0;
        for (size_t i = 0; i < irq->n_rows; i++) {
                const IrqRow *r = &irq->rows[i];
                bool any = false;
                for (unsigned j = 0; j < r->n_counts; j++)
                        any = any || r->counts[j] > 0;
                want += !r->global && any;
        }
        FUZZ_CHECK(d.n == want);
        for (size_t i = 0; i < d.n; i++) {
                FUZZ_CHECK(d.d[i].n_cpus > 0 && d.d[i].name);
                FUZZ_CHECK(i == 0 || d.d[i - 1].total >= d.d[i].total);
                for (unsigned j = 0; j < d.d[i].n_cpus; j++)
                        FUZZ_CHECK(d.d[i].cpus[j].count > 0 &&
                                   (j == 0 || d.d[i].cpus[j].cpu > d.d[i].cpus[j - 1].cpu));
        }
        irq_deltas_done(&d);
        interrupts_free(none);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(interrupts_freep) Interrupts *irq = NULL;
        Error err = {0};
        int r = interrupts_parse(text, &irq, &err);
        if (r < 0) {
                fuzz_check_error(r, &err);
                return 0;
        }
        check_parsed(irq);
        check_deltas(irq);
        return 0;
}
