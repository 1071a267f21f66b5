/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "irq-count.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

IrqCounts *irq_counts_free(IrqCounts *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_lines; i++) {
                free(c->lines[i].name);
                free(c->lines[i].desc);
                free(c->lines[i].count);
        }
        free(c->lines);
        free(c->cpu);
        free(c);
        return NULL;
}

static int parse_header(IrqCounts *c, char *line)
{
        char *save = NULL;
        for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                const char *num = startswith(tok, "CPU");
                unsigned cpu;
                if (!num || safe_atou(num, &cpu) < 0 || cpu > CPU_NUMBER_MAX ||
                    (c->n_cols && cpu <= c->cpu[c->n_cols - 1]))
                        return -EINVAL;
                unsigned *n = realloc(c->cpu, (c->n_cols + 1) * sizeof(unsigned));
                if (!n)
                        return -ENOMEM;
                c->cpu = n;
                c->cpu[c->n_cols++] = cpu;
        }
        return c->n_cols ? 0 : -EINVAL;
}

static int parse_line(IrqCounts *c, char *line, IrqCountLine *l)
{
        char *p = line;
        while (*p == ' ')
                p++;
        char *colon = strchr(p, ':');
        if (!colon || colon == p)
                return -EINVAL;
        for (char *q = p; q < colon; q++)
                if (!isalnum((unsigned char) *q) && *q != '_' && *q != '-')
                        return -EINVAL;
        if (!(l->name = strndup(p, (size_t) (colon - p))))
                return -ENOMEM;
        if (!(l->count = calloc(c->n_cols, sizeof(uint64_t))))
                return -ENOMEM;
        p = colon + 1;
        for (;;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                char *end = p;
                while (isdigit((unsigned char) *end))
                        end++;
                if (end == p || (*end && *end != ' ' && *end != '\t'))
                        break; /* the description begins */
                if (l->n >= c->n_cols)
                        return -EINVAL;
                char save = *end;
                *end = 0;
                int r = safe_atou64(p, &l->count[l->n]);
                *end = save;
                if (r < 0)
                        return -EINVAL;
                l->n++;
                p = end;
        }
        if (!(l->desc = strdup(p)))
                return -ENOMEM;
        strstrip(l->desc);
        return 0;
}

int irq_counts_parse(const char *text, IrqCounts **ret)
{
        _cleanup_(freep) char *copy = strdup(text ? text : "");
        _cleanup_(irq_counts_freep) IrqCounts *c = calloc(1, sizeof(IrqCounts));
        if (!copy || !c)
                return -ENOMEM;
        bool header = false;
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int r;
                if (!header) {
                        r = parse_header(c, line);
                        header = true;
                } else {
                        IrqCountLine *n = realloc(c->lines, (c->n_lines + 1) * sizeof(*n));
                        if (!n)
                                return -ENOMEM;
                        c->lines = n;
                        n[c->n_lines] = (IrqCountLine){0};
                        r = parse_line(c, line, &n[c->n_lines]);
                        c->n_lines++;
                }
                if (r < 0)
                        return r;
        }
        if (!header)
                return -EINVAL;
        *ret = TAKE_PTR(c);
        return 0;
}

int irq_counts_read(Host *h, IrqCounts **ret)
{
        _cleanup_(freep) char *text = NULL;
        int r = host_read_file(h, "/proc/interrupts", HOST_READ_MAX, &text);
        return r < 0 ? r : irq_counts_parse(text, ret);
}

static const IrqCountLine *find_line(const IrqCounts *c, size_t hint, const char *name)
{
        if (hint < c->n_lines && streq(c->lines[hint].name, name))
                return &c->lines[hint];
        for (size_t i = 0; i < c->n_lines; i++)
                if (streq(c->lines[i].name, name))
                        return &c->lines[i];
        return NULL;
}

/* The count of a line in the column of cpu; false when it has none. */
static bool count_of(const IrqCounts *c, const IrqCountLine *l, unsigned cpu, uint64_t *ret)
{
        for (unsigned k = 0; l && k < l->n; k++)
                if (c->cpu[k] == cpu) {
                        *ret = l->count[k];
                        return true;
                }
        return false;
}

/* A numbered line is a device IRQ; the others (LOC, RES, ...) are per-CPU interrupts. */
static bool is_device(const char *name)
{
        uint64_t n;
        return safe_atou64(name, &n) >= 0;
}

int irq_counts_delta(const IrqCounts *before, const IrqCounts *after, hwloc_const_bitmap_t cpus,
                     IrqFired **ret, size_t *ret_n)
{
        IrqFired *f = calloc(after->n_lines ? after->n_lines : 1, sizeof(IrqFired));
        if (!f)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < after->n_lines; i++) {
                const IrqCountLine *l = &after->lines[i];
                if (streq(l->name, "ERR") || streq(l->name, "MIS"))
                        continue;
                const IrqCountLine *b = find_line(before, i, l->name);
                uint64_t sum = 0;
                for (unsigned k = 0; k < l->n; k++) {
                        if (!hwloc_bitmap_isset(cpus, after->cpu[k]))
                                continue;
                        uint64_t was;
                        if (!count_of(before, b, after->cpu[k], &was) || was > l->count[k])
                                was = 0;
                        sum += l->count[k] - was;
                }
                if (sum > 0)
                        f[n++] = (IrqFired){l->name, l->desc, is_device(l->name), sum};
        }
        *ret = f;
        *ret_n = n;
        return 0;
}

const char *irq_desc_device(const char *desc)
{
        const char *sp = strrchr(desc, ' ');
        return sp ? sp + 1 : desc;
}
