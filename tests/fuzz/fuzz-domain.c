/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain XML reader (domain/domain.c) and what reads a parsed domain: the writer (a document
 * written and read again writes the same), lint with its fixes, and the slice spec (its record
 * parses back to the same spec). The host is a synthetic 2-node, 16-CPU topology. */
#include <string.h>

#include "domain.h"
#include "fuzz.h"
#include "lint.h"
#include "spec.h"
#include "string-util.h"
#include "topology.h"

static const Topology *host_topology(void)
{
        static Topology *t = NULL;
        if (t)
                return t;
        hwloc_topology_t ht;
        Error err = {0};
        if (hwloc_topology_init(&ht) < 0 ||
            hwloc_topology_set_synthetic(ht, "pack:2 [numa(memory=34359738368)] l3:1 core:4 pu:2") <
                0 ||
            hwloc_topology_load(ht) < 0 || topology_from_hwloc(ht, &t, &err) < 0)
                abort();
        hwloc_topology_destroy(ht);
        return t;
}

/* Writes d and reads it back: the reader takes what the writer wrote, and writing that again
 * gives the same text. */
static void check_written(const Domain *d, const char *what)
{
        _cleanup_(freep) char *text = NULL, *again_text = NULL;
        _cleanup_(domain_freep) Domain *again = NULL;
        Error err = {0};
        FUZZ_CHECK(domain_format(d, &text) == 0);
        int r = domain_parse(text, strlen(text), what, &again, &err);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", what, err.msg);
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(streq(d->name, again->name));
        FUZZ_CHECK(domain_format(again, &again_text) == 0);
        FUZZ_CHECK(streq(text, again_text));
}

static void check_spec(const Domain *d, const Topology *t)
{
        _cleanup_(slice_spec_freep) SliceSpec *s = NULL, *again = NULL;
        _cleanup_(freep) char *text = NULL;
        Error err = {0};
        int r = slice_spec_from_domain(d, t, &s, &err);
        if (r < 0) {
                fuzz_check_error(r, &err);
                return;
        }
        FUZZ_CHECK(slice_spec_format(s, &text) == 0);
        r = slice_spec_parse(text, &again, &err);
        if (r < 0)
                fprintf(stderr, "spec of the domain: %s\n%s", err.msg, text);
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(hwloc_bitmap_isequal(s->cpus, again->cpus));
        FUZZ_CHECK(s->n_hugepages == again->n_hugepages);
}

static void check_lint(Domain *d, const Topology *t)
{
        LintHost lh = {.topology = t, .rt_runtime_us = 950000, .rt_known = true};
        LintResult res = {0};
        Error err = {0};
        int r = lint_domain(d, &lh, &res, &err);
        if (r < 0) {
                fuzz_check_error(r, &err);
                return;
        }
        for (unsigned i = 0; i < res.n; i++) {
                FUZZ_CHECK(res.findings[i].rule && res.findings[i].message);
                FUZZ_CHECK(!strchr(res.findings[i].message, '\n'));
                FUZZ_CHECK(i == 0 || res.findings[i - 1].line <= res.findings[i].line);
        }
        char **fixed = NULL, **notes = NULL;
        err = (Error){0};
        r = lint_fix_full(d, &lh, &res, &fixed, &notes, &err);
        if (r < 0)
                fuzz_check_error(r, &err);
        else
                check_written(d, "fixed");
        strv_free(fixed);
        strv_free(notes);
        lint_result_done(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(domain_freep) Domain *d = NULL;
        Error err = {0};
        int r = domain_parse((const char *) data, size, "fuzz.xml", &d, &err);
        if (r < 0) {
                fuzz_check_error(r, &err);
                return 0;
        }
        char why[128];
        FUZZ_CHECK(domain_name_check(d->name, why, sizeof(why)) == 0);
        check_written(d, "written");
        const Topology *t = host_topology();
        check_spec(d, t);
        check_lint(d, t);
        return 0;
}
