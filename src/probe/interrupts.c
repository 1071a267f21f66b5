/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "interrupts.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

static void row_done(IrqRow *r)
{
        free(r->name);
        free(r->counts);
}

Interrupts *interrupts_free(Interrupts *irq)
{
        if (!irq)
                return NULL;
        for (size_t i = 0; i < irq->n_rows; i++)
                row_done(&irq->rows[i]);
        free(irq->rows);
        free(irq->cpus);
        free(irq);
        return NULL;
}

static const char *skip_blank(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

/* "CPU0 CPU1 CPU4": ascending CPU numbers. */
static int parse_header(Interrupts *irq, const char *p, const char *end)
{
        for (p = skip_blank(p, end); p < end; p = skip_blank(p, end)) {
                const char *tok = p;
                while (p < end && *p != ' ' && *p != '\t')
                        p++;
                char num[16];
                size_t len = (size_t) (p - tok);
                if (len <= 3 || len - 3 >= sizeof(num) || strncmp(tok, "CPU", 3) != 0)
                        return -EINVAL;
                memcpy(num, tok + 3, len - 3);
                num[len - 3] = 0;
                unsigned cpu;
                if (safe_atou(num, &cpu) < 0 || cpu > CPU_NUMBER_MAX ||
                    (irq->n_cpus > 0 && cpu <= irq->cpus[irq->n_cpus - 1]))
                        return -EINVAL;
                unsigned *n = realloc(irq->cpus, sizeof(unsigned) * (irq->n_cpus + 1));
                if (!n)
                        return -ENOMEM;
                irq->cpus = n;
                irq->cpus[irq->n_cpus++] = cpu;
        }
        return irq->n_cpus > 0 ? 0 : -EINVAL;
}

static bool is_flow_type(const char *field)
{
        static const char *const flows[] = {"edge",   "level",        "fasteoi",   "simple",
                                            "percpu", "percpu_devid", "untracked", "eoi"};
        const char *tok = strrchr(field, ' ');
        tok = tok ? tok + 1 : field;
        while (isdigit((unsigned char) *tok))
                tok++;
        if (*tok == '-')
                tok++;
        for (size_t i = 0; i < ELEMENTSOF(flows); i++)
                if (strcasecmp(tok, flows[i]) == 0)
                        return true;
        return false;
}

/* The description with runs of blanks folded: single blanks kept, two or more become a field
 * separator '\x1f' (the kernel pads its columns with several). */
static char *fold_fields(const char *p, const char *end)
{
        SBuf b = {0};
        p = skip_blank(p, end);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
        while (p < end) {
                const char *q = skip_blank(p, end);
                if (q == p) {
                        char c[2] = {*p, 0};
                        sbuf_append(&b, c);
                        p++;
                        continue;
                }
                sbuf_append(&b, q - p >= 2 || *p == '\t' ? "\x1f" : " ");
                p = q;
        }
        if (!b.s)
                sbuf_append(&b, "");
        return sbuf_steal(&b);
}

static int row_name(IrqRow *r, const char *p, const char *end)
{
        _cleanup_(freep) char *folded = fold_fields(p, end);
        if (!folded)
                return -ENOMEM;
        char *last = strrchr(folded, '\x1f');
        if (!r->device) {
                for (char *c = folded; *c; c++)
                        if (*c == '\x1f')
                                *c = ' ';
                r->name = TAKE_PTR(folded);
        } else if (last && !is_flow_type(last + 1))
                r->name = strdup(last + 1);
        else
                r->name = strdup("");
        return r->name ? 0 : -ENOMEM;
}

/* One "KEY: counts description" line; 0 kept, 1 skipped, -ENOMEM. */
static int parse_row(Interrupts *irq, const char *p, const char *end)
{
        IrqRow r = {0};
        p = skip_blank(p, end);
        const char *colon = memchr(p, ':', (size_t) (end - p));
        if (!colon || colon == p || (size_t) (colon - p) >= IRQ_KEY_MAX)
                return 1;
        for (const char *k = p; k < colon; k++)
                if (isspace((unsigned char) *k) || !isprint((unsigned char) *k))
                        return 1;
        memcpy(r.key, p, (size_t) (colon - p));
        r.device = true;
        for (const char *k = r.key; *k; k++)
                r.device = r.device && isdigit((unsigned char) *k);

        r.counts = calloc(irq->n_cpus, sizeof(uint64_t));
        if (!r.counts)
                return -ENOMEM;
        p = colon + 1;
        while (r.n_counts < irq->n_cpus) {
                const char *q = skip_blank(p, end), *d = q;
                while (d < end && isdigit((unsigned char) *d))
                        d++;
                if (d == q || (d < end && *d != ' ' && *d != '\t' && *d != '\r'))
                        break; /* not a count: the description starts */
                char num[24];
                uint64_t v;
                if ((size_t) (d - q) >= sizeof(num)) {
                        row_done(&r);
                        return 1;
                }
                memcpy(num, q, (size_t) (d - q));
                num[d - q] = 0;
                if (safe_atou64(num, &v) < 0) {
                        row_done(&r);
                        return 1;
                }
                r.counts[r.n_counts++] = v;
                p = d;
        }
        r.global = !r.device && r.n_counts == 1 && irq->n_cpus > 1;
        if (row_name(&r, p, end) < 0) {
                row_done(&r);
                return -ENOMEM;
        }
        IrqRow *rows = realloc(irq->rows, sizeof(IrqRow) * (irq->n_rows + 1));
        if (!rows) {
                row_done(&r);
                return -ENOMEM;
        }
        irq->rows = rows;
        irq->rows[irq->n_rows++] = r;
        return 0;
}

int interrupts_parse(const char *text, Interrupts **ret, Error *err)
{
        _cleanup_(interrupts_freep) Interrupts *irq = calloc(1, sizeof(Interrupts));
        if (!irq)
                return error_fail(err, -ENOMEM, "out of memory");
        bool header = false;
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
                int r = 0;
                if (skip_blank(p, end) == end)
                        ; /* blank line */
                else if (!header) {
                        r = parse_header(irq, p, end);
                        if (r == -EINVAL)
                                return error_input(err, "/proc/interrupts: the first line does not "
                                                        "name the CPU columns (CPU0 CPU1 ...)");
                        header = true;
                } else {
                        r = parse_row(irq, p, end);
                        if (r > 0)
                                irq->n_skipped++;
                }
                if (r == -ENOMEM)
                        return error_fail(err, r, "out of memory");
                p = nl ? nl + 1 : end;
        }
        if (!header)
                return error_input(err, "/proc/interrupts is empty");
        *ret = TAKE_PTR(irq);
        return 0;
}

int interrupts_read(Host *h, Interrupts **ret, Error *err)
{
        _cleanup_(freep) char *text = NULL;
        int r = host_read_file(h, "/proc/interrupts", HOST_READ_MAX, &text);
        if (r < 0)
                return error_fail(err, r, "cannot read /proc/interrupts: %s", strerror(-r));
        return interrupts_parse(text, ret, err);
}

uint64_t irq_count_delta(uint64_t before, uint64_t after)
{
        if (after >= before)
                return after - before;
        if (before <= UINT32_MAX) {
                uint32_t wrapped = (uint32_t) after - (uint32_t) before;
                if (wrapped < (1U << 31))
                        return wrapped;
        }
        return after; /* reset */
}

static const IrqRow *find_row(const Interrupts *irq, const char *key)
{
        for (size_t i = 0; i < irq->n_rows; i++)
                if (streq(irq->rows[i].key, key))
                        return &irq->rows[i];
        return NULL;
}

static uint64_t count_of(const Interrupts *irq, const IrqRow *row, unsigned cpu)
{
        if (!row)
                return 0;
        for (unsigned j = 0; j < row->n_counts; j++)
                if (irq->cpus[j] == cpu)
                        return row->counts[j];
        return 0;
}

void irq_deltas_done(IrqDeltas *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->d[i].name);
                free(d->d[i].cpus);
        }
        free(d->d);
        *d = (IrqDeltas){0};
}

static int cmp_delta(const void *a, const void *b)
{
        const IrqDelta *x = a, *y = b;
        if (x->total != y->total)
                return x->total > y->total ? -1 : 1;
        return strcmp(x->key, y->key);
}

int interrupts_delta(const Interrupts *before, const Interrupts *after, hwloc_const_bitmap_t cpus,
                     IrqDeltas *ret)
{
        IrqDeltas out = {0};
        for (size_t i = 0; i < after->n_rows; i++) {
                const IrqRow *a = &after->rows[i], *b = find_row(before, a->key);
                if (a->global)
                        continue;
                IrqDelta d = {0};
                for (unsigned j = 0; j < a->n_counts; j++) {
                        unsigned cpu = after->cpus[j];
                        if (!hwloc_bitmap_isset(cpus, cpu))
                                continue;
                        uint64_t n = irq_count_delta(count_of(before, b, cpu), a->counts[j]);
                        if (n == 0)
                                continue;
                        IrqCpuCount *c = realloc(d.cpus, sizeof(IrqCpuCount) * (d.n_cpus + 1));
                        if (!c) {
                                free(d.cpus);
                                irq_deltas_done(&out);
                                return -ENOMEM;
                        }
                        d.cpus = c;
                        d.cpus[d.n_cpus++] = (IrqCpuCount){cpu, n};
                        d.total += n;
                }
                if (d.n_cpus == 0)
                        continue;
                IrqDelta *nd = realloc(out.d, sizeof(IrqDelta) * (out.n + 1));
                d.name = strdup(a->name);
                if (!nd || !d.name) {
                        free(d.cpus);
                        free(d.name);
                        if (nd)
                                out.d = nd;
                        irq_deltas_done(&out);
                        return -ENOMEM;
                }
                memcpy(d.key, a->key, sizeof(d.key));
                d.device = a->device;
                out.d = nd;
                out.d[out.n++] = d;
        }
        if (out.n > 1)
                qsort(out.d, out.n, sizeof(IrqDelta), cmp_delta);
        *ret = out;
        return 0;
}
