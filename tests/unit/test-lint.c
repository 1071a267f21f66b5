/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <ctype.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "lint.h"
#include "parse-util.h"
#include "string-util.h"

/* `vmslice lint`: every rule fires on a fixture that has its problem and not on a well-tuned
 * one; --fix fixes what it says it fixes, and the result is a valid libvirt domain. */

#define I7    "i7-6800k"
#define RYZEN "ryzen-5900x"
#define XEON  "xeon-4s-80t"
#define TR    "tr-2990wx-memoryless"

static const char *domains_dir(void)
{
        static char path[1024];
        const char *d = getenv("VMSLICE_TEST_DATA");
        snprintf(path, sizeof(path), "%.1000s/domains", d ? d : "tests/data");
        return path;
}

/* A fixture domain, with substitutions (pairs, NULL-terminated). */
static Domain *load(const char *name, const char *const *subs)
{
        char *text = test_read_data("domains", name);
        for (const char *const *s = subs; s && s[0]; s += 2)
                text = test_replace(text, s[0], s[1]);
        Domain *d = NULL;
        Error err = {0};
        if (domain_parse(text, strlen(text), name, &d, &err) < 0)
                fail_msg("%s: %s", name, err.msg);
        free(text);
        return d;
}

typedef struct TestHost {
        Host *host;
        Topology *t;
        LintHost lh;
} TestHost;

static struct {
        char name[64];
        TestHost th;
} cache[8];

static void free_hosts(void)
{
        for (size_t i = 0; i < ELEMENTSOF(cache); i++)
                if (cache[i].name[0]) {
                        topology_free(cache[i].th.t);
                        host_free(cache[i].th.host);
                        cache[i].name[0] = 0;
                }
}

static TestHost *test_host(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(cache); i++)
                if (streq(cache[i].name, name))
                        return &cache[i].th;
        for (size_t i = 0; i < ELEMENTSOF(cache); i++) {
                if (cache[i].name[0])
                        continue;
                TestHost *th = &cache[i].th;
                th->t = fixture_topology(name, &th->host);
                th->lh.topology = th->t;
                char *s = NULL;
                int v;
                if (host_read_linef(th->host, &s, "/proc/sys/kernel/sched_rt_runtime_us") >= 0 &&
                    safe_atoi(s, &v) >= 0) {
                        th->lh.rt_runtime_us = v;
                        th->lh.rt_known = true;
                }
                free(s);
                snprintf(cache[i].name, sizeof(cache[i].name), "%s", name);
                return th;
        }
        fail_msg("too many hosts");
        return NULL;
}

static void lint_ok(const Domain *d, const LintHost *lh, LintResult *res)
{
        Error err = {0};
        if (lint_domain(d, lh, res, &err) < 0)
                fail_msg("%s: lint failed: %s", d->source, err.msg);
}

static bool has_rule(const LintResult *r, const char *id)
{
        for (unsigned i = 0; i < r->n; i++)
                if (streq(r->findings[i].rule->id, id))
                        return true;
        return false;
}

static void dump(const LintResult *r)
{
        for (unsigned i = 0; i < r->n; i++)
                print_message("#   %u %s: %s\n", r->findings[i].line, r->findings[i].rule->id,
                              r->findings[i].message);
}

/* ---- libvirt's schema ---- */

/* ---- the rule table ---- */

static void test_rules(void **state)
{
        size_t n;
        const LintRule *r = lint_rules(&n);
        assert_true(n >= 40);
        for (size_t i = 0; i < n; i++) {
                assert_non_null(r[i].id);
                for (const char *p = r[i].id; *p; p++)
                        assert_true(islower((unsigned char) *p) || isdigit((unsigned char) *p) ||
                                    *p == '-');
                for (size_t j = 0; j < i; j++)
                        if (streq(r[i].id, r[j].id))
                                fail_msg("rule id %s twice", r[i].id);
                assert_true(r[i].summary && *r[i].summary && !strchr(r[i].summary, '\n'));
                assert_true(r[i].why && strlen(r[i].why) > 20 && !strchr(r[i].why, '\n'));
                /* every why cites its source: a seed or libvirt/QEMU */
                assert_true(strstr(r[i].why, "seed") || strstr(r[i].why, "libvirt") ||
                            strstr(r[i].why, "QEMU"));
                assert_ptr_equal(lint_rule_find(r[i].id), &r[i]);
        }
        assert_null(lint_rule_find("no-such-rule"));
        assert_string_equal(lint_severity_to_string(LINT_ERROR), "error");
        assert_string_equal(lint_severity_to_string(LINT_WARNING), "warning");
        assert_string_equal(lint_severity_to_string(LINT_INFO), "note");
        /* the brief's rules that must not be "fixed" */
        assert_false(lint_rule_find("disk-bus")->fixable);
        assert_false(lint_rule_find("net-model")->fixable);
        assert_false(lint_rule_find("memory-page-multiple")->fixable);
        assert_false(lint_rule_find("vcpusched-rt")->fixable);
}

/* For every rule: a fixture (on its host, with substitutions) that triggers it, and one that does
 * not. */
typedef struct Case {
        const char *rule;
        const char *host;
        const char *bad;
        const char *bad_subs[9];
        const char *good; /* on the same host */
        const char *good_subs[9];
} Case;

#define GOOD     "good-tuned.xml"
#define GOOD_WIN "good-tuned-win.xml"

static const Case cases[] = {
    {"vcpu-unpinned", I7, "problem-vcpu-unpinned.xml", {}, GOOD, {}},
    {"vcpu-pinned-to-set", I7, "problem-vcpu-pinned-to-set.xml", {}, GOOD, {}},
    {"vcpu-on-host-core", I7, "problem-vcpu-on-cpu0-core.xml", {}, GOOD, {}},
    {"vcpu-shared-cpu", I7, "problem-vcpu-shared-cpu.xml", {}, GOOD, {}},
    {"threads-not-siblings", I7, "problem-threads-not-siblings.xml", {}, GOOD, {}},
    {"siblings-split",
     I7,
     "problem-siblings-split.xml",
     {},
     "problem-threads-not-siblings.xml",
     {}},
    /* on the Xeon, CPUs 10 and 11 are node 1 and 2-9 node 0 */
    {"vcpu-spans-nodes",
     XEON,
     GOOD,
     {},
     GOOD,
     {"cpuset='10'", "cpuset='46'", "cpuset='11'", "cpuset='47'", "cpuset='8'", "cpuset='42'",
      "cpuset='9'", "cpuset='43'"}},
    /* on the 5900X, CPUs 2-5 are the first CCD, 8-11 the second */
    {"vcpu-spans-l3", RYZEN, GOOD, {}, "amd-threads2-no-topoext.xml", {}},
    {"emulator-on-vcpu", I7, "problem-emulator-on-vcpu.xml", {}, GOOD, {}},
    {"emulator-unpinned", I7, "problem-emulator-unpinned.xml", {}, GOOD, {}},
    {"iothread-on-vcpu", I7, "problem-iothread-on-vcpu.xml", {}, GOOD, {}},
    {"iothread-unpinned", I7, "problem-iothread-unpinned.xml", {}, GOOD, {}},
    {"cpu-mode", I7, "problem-cpu-mode-not-passthrough.xml", {}, GOOD, {}},
    {"cpu-topology", I7, "problem-cpu-no-topology.xml", {}, GOOD, {}},
    {"cpu-cache", I7, "seed-000-gaming.xml", {}, GOOD, {}},
    {"amd-topoext",
     RYZEN,
     "amd-threads2-no-topoext.xml",
     {},
     "amd-threads2-no-topoext.xml",
     {"<cache mode='passthrough'/>",
      "<cache mode='passthrough'/>\n    <feature policy='require' name='topoext'/>"}},
    {"vcpusched-rt", I7, "problem-vcpusched-fifo.xml", {}, GOOD, {}},
    {"vcpu-offline", I7, "problem-vcpu-on-offline.xml", {}, GOOD, {}},
    {"no-hugepages", I7, "problem-no-hugepages.xml", {}, GOOD, {}},
    {"memory-page-multiple", I7, "problem-memory-not-page-multiple.xml", {}, GOOD, {}},
    {"numatune-missing", XEON, "problem-numatune-missing.xml", {}, GOOD, {}},
    {"numatune-wrong-node", I7, "problem-numatune-wrong-node.xml", {}, GOOD, {}},
    {"numatune-memoryless", TR, GOOD, {"nodeset='0'", "nodeset='1'"}, GOOD, {}},
    {"balloon-vfio", I7, "problem-balloon-with-vfio.xml", {}, GOOD, {}},
    {"balloon-hugepages", I7, "problem-balloon-with-hugepages.xml", {}, GOOD, {}},
    {"hyperv-relaxed", I7, "problem-win-no-hyperv.xml", {}, GOOD_WIN, {}},
    {"hyperv-vapic", I7, "problem-win-no-hyperv.xml", {}, GOOD_WIN, {}},
    {"hyperv-spinlocks", I7, "problem-win-no-hyperv.xml", {}, GOOD_WIN, {}},
    {"hyperv-vpindex", I7, "problem-win-hyperv-partial.xml", {}, GOOD_WIN, {}},
    {"hyperv-synic", I7, "problem-win-hyperv-partial.xml", {}, GOOD_WIN, {}},
    {"hyperv-stimer", I7, "problem-win-hyperv-partial.xml", {}, GOOD_WIN, {}},
    {"hyperv-reset", I7, "problem-win-hyperv-partial.xml", {}, GOOD_WIN, {}},
    {"hyperv-frequencies", I7, "problem-win-hyperv-partial.xml", {}, GOOD_WIN, {}},
    {"clock-hpet", I7, "problem-win-hpet-on.xml", {}, GOOD_WIN, {}},
    {"clock-hypervclock", I7, "problem-win-no-hypervclock.xml", {}, GOOD_WIN, {}},
    {"clock-rtc-catchup", I7, "problem-win-rtc-no-catchup.xml", {}, GOOD_WIN, {}},
    {"clock-pit-delay", I7, "problem-win-pit-no-delay.xml", {}, GOOD_WIN, {}},
    {"disk-bus", I7, "problem-disk-sata.xml", {}, GOOD, {}},
    {"disk-cache", I7, "problem-disk-cache-writeback.xml", {}, GOOD, {}},
    {"disk-io", I7, "problem-disk-io-threads.xml", {}, GOOD, {}},
    {"disk-iothread", I7, "problem-disk-no-iothread.xml", {}, GOOD, {}},
    {"iothreads-missing", I7, "problem-no-iothreads.xml", {}, GOOD, {}},
    {"scsi-queues", I7, "problem-scsi-no-queues.xml", {}, GOOD, {}},
    {"net-model", I7, "problem-net-e1000.xml", {}, GOOD, {}},
    {"net-vhost", I7, "problem-net-no-vhost.xml", {}, GOOD, {}},
    {"net-multiqueue", I7, "problem-net-no-multiqueue.xml", {}, GOOD, {}},
};

static void test_every_rule_has_a_case(void **state)
{
        size_t n;
        const LintRule *r = lint_rules(&n);
        for (size_t i = 0; i < n; i++) {
                bool found = false;
                for (size_t c = 0; c < ELEMENTSOF(cases); c++)
                        found |= streq(cases[c].rule, r[i].id);
                if (!found)
                        fail_msg("rule %s has no test case", r[i].id);
        }
        for (size_t c = 0; c < ELEMENTSOF(cases); c++)
                if (!lint_rule_find(cases[c].rule))
                        fail_msg("test case for unknown rule %s", cases[c].rule);
}

static void test_each_rule(void **state)
{
        for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                const Case *k = &cases[c];
                TestHost *th = test_host(k->host);
                _cleanup_(domain_freep) Domain *bad = load(k->bad, k->bad_subs);
                _cleanup_(domain_freep) Domain *good = load(k->good, k->good_subs);
                LintResult rb = {0}, rg = {0};
                lint_ok(bad, &th->lh, &rb);
                lint_ok(good, &th->lh, &rg);
                if (!has_rule(&rb, k->rule)) {
                        dump(&rb);
                        fail_msg("%s on %s: rule %s does not fire", k->bad, k->host, k->rule);
                }
                if (has_rule(&rg, k->rule)) {
                        dump(&rg);
                        fail_msg("%s on %s: rule %s fires", k->good, k->host, k->rule);
                }
                /* findings: sorted by line, on a line of the document, one line of text */
                for (unsigned i = 0; i < rb.n; i++) {
                        const LintFinding *f = &rb.findings[i];
                        assert_true(f->line > 0);
                        assert_null(strchr(f->message, '\n'));
                        assert_true(strlen(f->message) > 10);
                        if (i > 0)
                                assert_true(rb.findings[i - 1].line <= f->line);
                        if (f->fixable)
                                assert_true(f->rule->fixable);
                }
                lint_result_done(&rb);
                lint_result_done(&rg);
        }
}

/* The well-tuned fixtures have nothing to report on the host they were made for. */
static void test_good_is_clean(void **state)
{
        static const char *const names[] = {GOOD, GOOD_WIN};
        TestHost *th = test_host(I7);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(domain_freep) Domain *d = load(names[i], NULL);
                LintResult r = {0};
                lint_ok(d, &th->lh, &r);
                if (r.n > 0) {
                        dump(&r);
                        fail_msg("%s has findings", names[i]);
                }
                assert_int_equal(lint_worst(&r), -1);
                lint_result_done(&r);
        }
}

/* Exactly the problem the README of the fixtures describes, no side findings. */
static void test_exact_findings(void **state)
{
        static const struct {
                const char *file;
                const char *rules[6];
        } exact[] = {
            {"problem-vcpu-on-offline.xml", {"vcpu-offline"}},
            {"problem-vcpu-shared-cpu.xml", {"vcpu-shared-cpu"}},
            {"problem-siblings-split.xml", {"siblings-split", "threads-not-siblings"}},
            {"problem-cpu-no-topology.xml", {"cpu-topology"}},
            {"problem-balloon-with-vfio.xml", {"balloon-vfio"}},
            {"problem-disk-cache-writeback.xml", {"disk-cache"}},
            {"problem-net-no-vhost.xml", {"net-vhost"}},
            {"problem-numatune-wrong-node.xml", {"numatune-wrong-node"}},
            {"problem-hugepages-1g-not-multiple.xml", {"memory-page-multiple"}},
        };
        TestHost *th = test_host(I7);
        for (size_t i = 0; i < ELEMENTSOF(exact); i++) {
                _cleanup_(domain_freep) Domain *d = load(exact[i].file, NULL);
                LintResult r = {0};
                lint_ok(d, &th->lh, &r);
                for (unsigned f = 0; f < r.n; f++) {
                        bool expected = false;
                        for (size_t j = 0; j < ELEMENTSOF(exact[i].rules) && exact[i].rules[j]; j++)
                                expected |= streq(exact[i].rules[j], r.findings[f].rule->id);
                        if (!expected) {
                                dump(&r);
                                fail_msg("%s: unexpected %s", exact[i].file,
                                         r.findings[f].rule->id);
                        }
                }
                lint_result_done(&r);
        }
}

/* Specific messages and lines. */
static void test_messages(void **state)
{
        TestHost *th = test_host(I7);
        _cleanup_(domain_freep) Domain *d = load("problem-emulator-on-vcpu.xml", NULL);
        LintResult r = {0};
        lint_ok(d, &th->lh, &r);
        assert_int_equal(r.n, 1);
        assert_string_equal(r.findings[0].rule->id, "emulator-on-vcpu");
        assert_int_equal(r.findings[0].rule->severity, LINT_ERROR);
        assert_non_null(strstr(r.findings[0].message, "0-2,6-8"));
        assert_non_null(strstr(r.findings[0].message, "2,8"));
        assert_true(r.findings[0].fixable);
        assert_int_equal(lint_worst(&r), LINT_ERROR);
        lint_result_done(&r);

        _cleanup_(domain_freep) Domain *s = load("problem-vcpu-shared-cpu.xml", NULL);
        lint_ok(s, &th->lh, &r);
        assert_int_equal(r.n, 1);
        assert_non_null(strstr(r.findings[0].message, "vCPU 7 shares CPU 5 with vCPU 6"));
        lint_result_done(&r);

        _cleanup_(domain_freep) Domain *o = load("problem-vcpu-on-offline.xml", NULL);
        lint_ok(o, &th->lh, &r);
        assert_int_equal(r.n, 1);
        assert_non_null(strstr(r.findings[0].message, "vCPU 7"));
        assert_non_null(strstr(r.findings[0].message, "47"));
        lint_result_done(&r);

        _cleanup_(domain_freep) Domain *n = load("problem-net-no-multiqueue.xml", NULL);
        lint_ok(n, &th->lh, &r);
        assert_int_equal(r.n, 1);
        assert_non_null(strstr(r.findings[0].message, "52:54:00:"));
        assert_non_null(strstr(r.findings[0].message, "queues='8'"));
        lint_result_done(&r);

        _cleanup_(domain_freep) Domain *k = load("problem-disk-sata.xml", NULL);
        lint_ok(k, &th->lh, &r);
        assert_int_equal(r.n, 1);
        assert_non_null(strstr(r.findings[0].message, "disk sda"));
        assert_false(r.findings[0].fixable);
        lint_result_done(&r);
}

/* vcpusched-rt: not on isolated CPUs without RT throttling; either reason alone fires. */
static void test_vcpusched(void **state)
{
        TestHost *iso = test_host("i7-6800k-isolated");
        _cleanup_(domain_freep) Domain *d = load("problem-vcpusched-fifo.xml", NULL);
        LintHost lh = iso->lh;
        LintResult r = {0};

        lh.rt_known = true;
        lh.rt_runtime_us = -1;
        lint_ok(d, &lh, &r);
        assert_false(has_rule(&r, "vcpusched-rt"));
        lint_result_done(&r);

        lh.rt_runtime_us = 950000;
        lint_ok(d, &lh, &r);
        assert_true(has_rule(&r, "vcpusched-rt"));
        for (unsigned i = 0; i < r.n; i++)
                if (streq(r.findings[i].rule->id, "vcpusched-rt")) {
                        assert_non_null(strstr(r.findings[i].message, "950000"));
                        assert_null(strstr(r.findings[i].message, "not isolated"));
                        assert_false(r.findings[i].fixable);
                }
        lint_result_done(&r);

        TestHost *plain = test_host(I7);
        lh = plain->lh;
        lh.rt_known = true;
        lh.rt_runtime_us = -1;
        lint_ok(d, &lh, &r);
        assert_true(has_rule(&r, "vcpusched-rt"));
        for (unsigned i = 0; i < r.n; i++)
                if (streq(r.findings[i].rule->id, "vcpusched-rt"))
                        assert_non_null(strstr(r.findings[i].message, "not isolated"));
        lint_result_done(&r);
}

/* Fix, lint again: none of the fixed rules, every fixable finding fixed, a valid domain. */
static void check_fix(const char *what, Domain *d, const LintHost *lh)
{
        LintResult before = {0}, after = {0};
        lint_ok(d, lh, &before);
        char **fixed = NULL, **notes = NULL;
        Error err = {0};
        if (lint_fix_full(d, lh, &before, &fixed, &notes, &err) < 0)
                fail_msg("%s: fix failed: %s", what, err.msg);
        assert_non_null(fixed);
        lint_ok(d, lh, &after);
        for (char **f = fixed; *f; f++)
                if (has_rule(&after, *f)) {
                        dump(&after);
                        fail_msg("%s: %s is still reported after --fix", what, *f);
                }
        for (unsigned i = 0; i < before.n; i++)
                if (before.findings[i].fixable &&
                    !strv_contains(fixed, before.findings[i].rule->id)) {
                        dump(&after);
                        fail_msg("%s: fixable %s was not fixed", what, before.findings[i].rule->id);
                }
        /* the fixes make no new problem */
        for (unsigned i = 0; i < after.n; i++)
                if (!has_rule(&before, after.findings[i].rule->id)) {
                        dump(&after);
                        fail_msg("%s: --fix introduced %s", what, after.findings[i].rule->id);
                }
        char *xml = NULL;
        assert_int_equal(domain_format(d, &xml), 0);
        char msg[1024];
        int r = validate_domain_text(xml, msg, sizeof(msg));
        if (r == -EINVAL)
                fail_msg("%s: the fixed domain does not validate: %s\n%s", what, msg, xml);

        /* and a second fix changes nothing */
        LintResult again = {0};
        lint_ok(d, lh, &again);
        char **fixed2 = NULL;
        assert_int_equal(lint_fix(d, lh, &again, &fixed2, &err), 0);
        char *xml2 = NULL;
        assert_int_equal(domain_format(d, &xml2), 0);
        assert_string_equal(xml, xml2);
        assert_null(fixed2[0]);
        free(xml);
        free(xml2);
        strv_free(fixed);
        strv_free(fixed2);
        strv_free(notes);
        lint_result_done(&before);
        lint_result_done(&after);
        lint_result_done(&again);
}

static void test_fix_cases(void **state)
{
        for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                const Case *k = &cases[c];
                TestHost *th = test_host(k->host);
                _cleanup_(domain_freep) Domain *d = load(k->bad, k->bad_subs);
                char what[256];
                snprintf(what, sizeof(what), "%s (%s) on %s", k->bad, k->rule, k->host);
                check_fix(what, d, &th->lh);
        }
}

/* Every fixture domain on the host it was written for. */
static void test_fix_every_fixture(void **state)
{
        DIR *dir = opendir(domains_dir());
        assert_non_null(dir);
        struct dirent *de;
        unsigned n = 0;
        while ((de = readdir(dir))) {
                if (!endswith(de->d_name, ".xml"))
                        continue;
                const char *host = startswith(de->d_name, "amd-") ? RYZEN : I7;
                _cleanup_(domain_freep) Domain *d = load(de->d_name, NULL);
                check_fix(de->d_name, d, &test_host(host)->lh);
                n++;
        }
        closedir(dir);
        assert_true(n >= 40);
}

/* The placement fix is the plan of `vmslice apply`: on the i7-6800K it gives good-tuned's pins
 * back, and keeps the domain's real-time scheduling. */
static void test_fix_placement(void **state)
{
        TestHost *th = test_host(I7);
        _cleanup_(domain_freep) Domain *d = load("problem-siblings-split.xml", NULL);
        LintResult r = {0};
        lint_ok(d, &th->lh, &r);
        char **fixed = NULL;
        Error err = {0};
        assert_int_equal(lint_fix(d, &th->lh, &r, &fixed, &err), 0);
        assert_true(strv_contains(fixed, "siblings-split"));
        assert_true(strv_contains(fixed, "threads-not-siblings"));
        char *xml = NULL;
        assert_int_equal(domain_format(d, &xml), 0);
        static const char *const pins[] = {"2", "8", "3", "9", "4", "10", "5", "11"};
        for (unsigned v = 0; v < 8; v++) {
                char want[64];
                snprintf(want, sizeof(want), "<vcpupin vcpu='%u' cpuset='%s'/>", v, pins[v]);
                assert_non_null(strstr(xml, want));
        }
        assert_non_null(strstr(xml, "<emulatorpin cpuset='0-1,6-7'/>"));
        assert_non_null(strstr(xml, "<topology sockets='1' dies='1' cores='4' threads='2'/>"));
        free(xml);
        strv_free(fixed);
        lint_result_done(&r);

        _cleanup_(domain_freep) Domain *s =
            load("problem-vcpusched-fifo.xml",
                 (const char *const[]){"<vcpupin vcpu='0' cpuset='2'/>",
                                       "<vcpupin vcpu='0' cpuset='2-3'/>", NULL});
        lint_ok(s, &th->lh, &r);
        assert_true(has_rule(&r, "vcpu-pinned-to-set"));
        assert_int_equal(lint_fix(s, &th->lh, &r, &fixed, &err), 0);
        assert_true(strv_contains(fixed, "vcpu-pinned-to-set"));
        assert_false(strv_contains(fixed, "vcpusched-rt"));
        assert_int_equal(domain_format(s, &xml), 0);
        assert_non_null(strstr(xml, "<vcpusched vcpus='0-7' scheduler='fifo' priority='1'/>"));
        free(xml);
        strv_free(fixed);
        lint_result_done(&r);
}

/* A domain the host cannot hold: the placement findings are not fixable, the planner says why,
 * the other findings are still fixed. */
static void test_fix_refused(void **state)
{
        TestHost *th = test_host(I7);
        _cleanup_(domain_freep) Domain *d =
            load("virt-install-linux.xml",
                 (const char *const[]){"<vcpu>4</vcpu>", "<vcpu>24</vcpu>", NULL});
        LintResult r = {0};
        lint_ok(d, &th->lh, &r);
        assert_true(has_rule(&r, "vcpu-unpinned"));
        assert_true(has_rule(&r, "disk-cache"));
        for (unsigned i = 0; i < r.n; i++)
                if (streq(r.findings[i].rule->id, "vcpu-unpinned"))
                        assert_false(r.findings[i].fixable);
                else if (streq(r.findings[i].rule->id, "disk-cache"))
                        assert_true(r.findings[i].fixable);
        assert_non_null(r.notes);
        assert_non_null(strstr(r.notes[0], "24 vCPUs"));

        char **fixed = NULL, **notes = NULL;
        Error err = {0};
        /* even when asked to with a finding marked fixable, the refusal is reported */
        for (unsigned i = 0; i < r.n; i++)
                r.findings[i].fixable = r.findings[i].rule->fixable;
        assert_int_equal(lint_fix_full(d, &th->lh, &r, &fixed, &notes, &err), 0);
        assert_false(strv_contains(fixed, "vcpu-unpinned"));
        assert_false(strv_contains(fixed, "cpu-topology"));
        assert_true(strv_contains(fixed, "disk-cache"));
        assert_non_null(notes);
        assert_non_null(strstr(notes[0], "not fixed"));
        assert_non_null(strstr(notes[0], "24 vCPUs"));
        strv_free(fixed);
        strv_free(notes);
        lint_result_done(&r);
}

/* Windows fixes: the Hyper-V dependencies come together, and the result validates. */
static void test_fix_windows(void **state)
{
        TestHost *th = test_host(I7);
        _cleanup_(domain_freep) Domain *d = load("problem-win-no-hyperv.xml", NULL);
        LintResult r = {0};
        lint_ok(d, &th->lh, &r);
        /* ask for stimer only: synic and vpindex come with it */
        unsigned k = 0;
        for (unsigned i = 0; i < r.n; i++)
                if (streq(r.findings[i].rule->id, "hyperv-stimer"))
                        r.findings[k++] = r.findings[i];
                else
                        free(r.findings[i].message);
        r.n = k;
        assert_int_equal(k, 1);
        char **fixed = NULL;
        Error err = {0};
        assert_int_equal(lint_fix(d, &th->lh, &r, &fixed, &err), 0);
        assert_true(strv_contains(fixed, "hyperv-stimer"));
        char *xml = NULL;
        assert_int_equal(domain_format(d, &xml), 0);
        assert_non_null(strstr(xml, "<stimer state='on'/>"));
        assert_non_null(strstr(xml, "<synic state='on'/>"));
        assert_non_null(strstr(xml, "<vpindex state='on'/>"));
        assert_non_null(strstr(xml, "<hyperv mode='custom'>"));
        assert_null(strstr(xml, "<relaxed"));
        free(xml);
        strv_free(fixed);
        lint_result_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rules),
            cmocka_unit_test(test_every_rule_has_a_case),
            cmocka_unit_test(test_each_rule),
            cmocka_unit_test(test_good_is_clean),
            cmocka_unit_test(test_exact_findings),
            cmocka_unit_test(test_messages),
            cmocka_unit_test(test_vcpusched),
            cmocka_unit_test(test_fix_cases),
            cmocka_unit_test(test_fix_every_fixture),
            cmocka_unit_test(test_fix_placement),
            cmocka_unit_test(test_fix_refused),
            cmocka_unit_test(test_fix_windows),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        free_hosts();
        return r;
}
