/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "fileio.h"
#include "slice-config.h"
#include "spec.h"
#include "string-util.h"

/* The runtime slice's description of a VM (spec.h) and its configuration file (config.h). */

#define I7   "i7-6800k"
#define XEON "xeon-4s-80t"
#define TR   "tr-2990wx-memoryless"

#define KIB (1ULL << 10)
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* ---- fixtures ---- */

static Domain *parse_domain(const char *text, const char *source)
{
        Domain *d = NULL;
        Error err = {0};
        if (domain_parse(text, strlen(text), source, &d, &err) < 0)
                fail_msg("%s: %s", source, err.msg);
        return d;
}

/* A fixture domain, with substitutions (pairs, NULL-terminated). */
static Domain *load(const char *name, const char *const *subs)
{
        char *text = test_read_data("domains", name);
        for (const char *const *s = subs; s && s[0]; s += 2)
                text = test_replace(text, s[0], s[1]);
        Domain *d = parse_domain(text, name);
        free(text);
        return d;
}

static struct {
        char name[64];
        Topology *t;
} topos[4];

static const Topology *topo(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(topos); i++)
                if (streq(topos[i].name, name))
                        return topos[i].t;
        for (size_t i = 0; i < ELEMENTSOF(topos); i++)
                if (!topos[i].name[0]) {
                        topos[i].t = fixture_topology(name, NULL);
                        snprintf(topos[i].name, sizeof(topos[i].name), "%s", name);
                        return topos[i].t;
                }
        fail_msg("too many hosts");
        return NULL;
}

static void free_topos(void)
{
        for (size_t i = 0; i < ELEMENTSOF(topos); i++)
                if (topos[i].name[0]) {
                        topology_free(topos[i].t);
                        topos[i].name[0] = 0;
                }
}

static SliceSpec *spec_ok(const Domain *d, const char *host)
{
        SliceSpec *s = NULL;
        Error err = {0};
        if (slice_spec_from_domain(d, topo(host), &s, &err) < 0)
                fail_msg("%s on %s: %s", d->source, host, err.msg);
        return s;
}

/* The spec of a domain must fail with an input error containing want. */
static void spec_fails(const Domain *d, const char *host, const char *want)
{
        SliceSpec *s = NULL;
        Error err = {0};
        int r = slice_spec_from_domain(d, topo(host), &s, &err);
        if (r >= 0)
                fail_msg("%s on %s: no error, want '%s'", d->source, host, want);
        assert_int_equal(r, -EINVAL);
        assert_true(err.input);
        assert_null(s);
        assert_null(strchr(err.msg, '\n'));
        if (!strstr(err.msg, want))
                fail_msg("%s on %s: error '%s' does not contain '%s'", d->source, host, err.msg,
                         want);
}

static void spec_fails_subs(const char *file, const char *const *subs, const char *host,
                            const char *want)
{
        Domain *d = load(file, subs);
        spec_fails(d, host, want);
        domain_free(d);
}

static void assert_hugepages(const SliceSpec *s, unsigned i, unsigned node, uint64_t size,
                             uint64_t count)
{
        assert_true(i < s->n_hugepages);
        assert_int_equal(s->hugepages[i].node, node);
        assert_int_equal(s->hugepages[i].page_size, size);
        assert_int_equal(s->hugepages[i].count, count);
}

/* ---- specs from domains ---- */

static void test_good_tuned(void **state)
{
        Domain *d = load("good-tuned.xml", NULL);
        SliceSpec *s = spec_ok(d, I7);
        assert_string_equal(s->name, "good-tuned");
        assert_string_equal(setstr(s->cpus), "2-5,8-11");
        assert_string_equal(setstr(s->vcpu_cpus), "2-5,8-11");
        assert_true(s->pinned);
        assert_false(s->managed);
        assert_int_equal(s->n_hugepages, 1);
        assert_hugepages(s, 0, 0, 2 * MIB, 4096);
        slice_spec_free(s);
        domain_free(d);
}

/* seed 000: <hugepages/> without <page> is the default 2 MiB; no numatune: the vCPUs' node. */
static void test_seed_000(void **state)
{
        Domain *d = load("seed-000-gaming.xml", NULL);
        SliceSpec *s = spec_ok(d, I7);
        assert_string_equal(s->name, "gaming");
        assert_string_equal(setstr(s->cpus), "2-5,8-11"); /* the emulatorpin is not the VM's */
        assert_true(s->pinned);
        assert_false(s->managed);
        assert_int_equal(s->n_hugepages, 1);
        assert_hugepages(s, 0, 0, 2 * MIB, 8192);
        slice_spec_free(s);
        domain_free(d);
}

static const char xeon_cells[] =
    "<domain type='kvm'>\n"
    "  <name>xeon-cells</name>\n"
    "  <metadata>\n"
    "    <vmslice:slice xmlns:vmslice='https://vmslice.org/xmlns/domain/1' version='0.1.0'>\n"
    "      <vmslice:options>--vcpus 8 --emulator isolated</vmslice:options>\n"
    "      <vmslice:cpus vm='10-11,30-31,50-51,70-71' emulator='14,54'/>\n"
    "    </vmslice:slice>\n"
    "  </metadata>\n"
    "  <memory unit='GiB'>12</memory>\n"
    "  <memoryBacking>\n"
    "    <hugepages>\n"
    "      <page size='2048' unit='KiB'/>\n"
    "    </hugepages>\n"
    "  </memoryBacking>\n"
    "  <vcpu placement='static'>8</vcpu>\n"
    "  <cputune>\n"
    "    <vcpupin vcpu='0' cpuset='10'/>\n"
    "    <vcpupin vcpu='1' cpuset='50'/>\n"
    "    <vcpupin vcpu='2' cpuset='11'/>\n"
    "    <vcpupin vcpu='3' cpuset='51'/>\n"
    "    <vcpupin vcpu='4' cpuset='30'/>\n"
    "    <vcpupin vcpu='5' cpuset='70'/>\n"
    "    <vcpupin vcpu='6' cpuset='31'/>\n"
    "    <vcpupin vcpu='7' cpuset='71'/>\n"
    "    <emulatorpin cpuset='14,54'/>\n"
    "  </cputune>\n"
    "  <numatune>\n"
    "    <memory mode='strict' nodeset='1,3'/>\n"
    "    <memnode cellid='0' mode='strict' nodeset='1'/>\n"
    "    <memnode cellid='1' mode='strict' nodeset='3'/>\n"
    "  </numatune>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='q35'>hvm</type>\n"
    "  </os>\n"
    "  <cpu mode='host-passthrough'>\n"
    "    <topology sockets='2' dies='1' cores='2' threads='2'/>\n"
    "    <numa>\n"
    "      <cell id='0' cpus='0-3' memory='4' unit='GiB'/>\n"
    "      <cell id='1' cpus='4-7' memory='8388608' unit='KiB'/>\n"
    "    </numa>\n"
    "  </cpu>\n"
    "</domain>\n";

static Domain *xeon_domain(const char *const *subs)
{
        char *text = strdup(xeon_cells);
        assert_non_null(text);
        for (const char *const *s = subs; s && s[0]; s += 2)
                text = test_replace(text, s[0], s[1]);
        Domain *d = parse_domain(text, "xeon-cells.xml");
        free(text);
        return d;
}

/* Two guest cells with memnodes on host nodes 1 and 3, and vmslice's metadata: the VM's cores
 * and its dedicated emulator CPUs are isolated with the vCPUs. */
static void test_xeon_cells(void **state)
{
        const Topology *t = topo(XEON);
        assert_int_equal(t->n_nodes, 4);
        /* the fixture: node 1 = CPUs 10-19,50-59, node 3 = 30-39,70-79 */
        assert_true(hwloc_bitmap_isset(t->nodes[1].cpus, 10));
        assert_true(hwloc_bitmap_isset(t->nodes[3].cpus, 70));

        Domain *d = xeon_domain(NULL);
        SliceSpec *s = spec_ok(d, XEON);
        assert_true(s->managed);
        assert_true(s->pinned);
        assert_string_equal(setstr(s->vcpu_cpus), "10-11,30-31,50-51,70-71");
        assert_string_equal(setstr(s->cpus), "10-11,14,30-31,50-51,54,70-71");
        assert_int_equal(s->n_hugepages, 2);
        assert_hugepages(s, 0, 1, 2 * MIB, 2048);
        assert_hugepages(s, 1, 3, 2 * MIB, 4096);
        slice_spec_free(s);
        domain_free(d);

        /* a shared emulator (metadata emulator='') is not the VM's; recorded cores are */
        d = xeon_domain((const char *const[]){"vm='10-11,30-31,50-51,70-71' emulator='14,54'",
                                              "vm='10-12,30-31,50-52,70-71' emulator=''", NULL});
        s = spec_ok(d, XEON);
        assert_string_equal(setstr(s->cpus), "10-12,30-31,50-52,70-71");
        slice_spec_free(s);
        domain_free(d);

        /* a cell without memnode takes <numatune><memory nodeset>, split evenly over 1 and 3 */
        d = xeon_domain((const char *const[]){
            "    <memnode cellid='1' mode='strict' nodeset='3'/>\n", "", NULL});
        s = spec_ok(d, XEON);
        assert_int_equal(s->n_hugepages, 2);
        assert_hugepages(s, 0, 1, 2 * MIB, 2048 + 2048);
        assert_hugepages(s, 1, 3, 2 * MIB, 2048);
        slice_spec_free(s);
        domain_free(d);

        /* a page per cell: 1 GiB pages for cell 1, the 2 MiB page for the rest */
        d = xeon_domain((const char *const[]){
            "      <page size='2048' unit='KiB'/>\n",
            "      <page size='1' unit='GiB' nodeset='1'/>\n      <page size='2048' unit='KiB'/>\n",
            NULL});
        s = spec_ok(d, XEON);
        assert_int_equal(s->n_hugepages, 2);
        assert_hugepages(s, 0, 1, 2 * MIB, 2048);
        assert_hugepages(s, 1, 3, GIB, 8);
        slice_spec_free(s);
        domain_free(d);

        /* a page only for cell 0 and none for the rest: cell 1 is not backed by hugepages */
        d = xeon_domain((const char *const[]){"      <page size='2048' unit='KiB'/>\n",
                                              "      <page size='2048' nodeset='0'/>\n", NULL});
        s = spec_ok(d, XEON);
        assert_int_equal(s->n_hugepages, 1);
        assert_hugepages(s, 0, 1, 2 * MIB, 2048);
        slice_spec_free(s);
        domain_free(d);

        /* both cells on the same node and page size: merged */
        d = xeon_domain((const char *const[]){"<memnode cellid='1' mode='strict' nodeset='3'/>",
                                              "<memnode cellid='1' mode='strict' nodeset='1'/>",
                                              NULL});
        s = spec_ok(d, XEON);
        assert_int_equal(s->n_hugepages, 1);
        assert_hugepages(s, 0, 1, 2 * MIB, 6144);
        slice_spec_free(s);
        domain_free(d);
}

/* Memory that is not a whole number of pages still needs the last page. */
static void test_round_up(void **state)
{
        /* 8.5 GiB in 1 GiB pages */
        Domain *d = load("problem-hugepages-1g-not-multiple.xml", NULL);
        SliceSpec *s = spec_ok(d, I7);
        assert_int_equal(s->n_hugepages, 1);
        assert_hugepages(s, 0, 0, GIB, 9);
        slice_spec_free(s);
        domain_free(d);

        /* 8 GiB + 1 MiB in 2 MiB pages */
        d = load("problem-memory-not-page-multiple.xml", NULL);
        s = spec_ok(d, I7);
        assert_hugepages(s, 0, 0, 2 * MIB, 4097);
        slice_spec_free(s);
        domain_free(d);

        /* one byte */
        d = load("good-tuned.xml",
                 (const char *const[]){"<memory unit='KiB'>8388608</memory>",
                                       "<memory unit='b'>8589934593</memory>", NULL});
        s = spec_ok(d, I7);
        assert_hugepages(s, 0, 0, 2 * MIB, 4097);
        slice_spec_free(s);
        domain_free(d);
}

/* Without numatune the memory follows the vCPUs: split evenly over their nodes, the remainder on
 * the first; a nodeset over several nodes is split the same way. */
static void test_split(void **state)
{
        static const char *const pins[] = {
            "<vcpupin vcpu='0' cpuset='10'/>",
            "<vcpupin vcpu='0' cpuset='0'/>",
            "<vcpupin vcpu='1' cpuset='50'/>",
            "<vcpupin vcpu='1' cpuset='40'/>",
            "<vcpupin vcpu='2' cpuset='11'/>",
            "<vcpupin vcpu='2' cpuset='1'/>",
            "<vcpupin vcpu='3' cpuset='51'/>",
            "<vcpupin vcpu='3' cpuset='41'/>",
            "<vcpupin vcpu='4' cpuset='30'/>",
            "<vcpupin vcpu='4' cpuset='20'/>",
            "<vcpupin vcpu='5' cpuset='70'/>",
            "<vcpupin vcpu='5' cpuset='60'/>",
            "<vcpupin vcpu='6' cpuset='31'/>",
            "<vcpupin vcpu='6' cpuset='21'/>",
            "<vcpupin vcpu='7' cpuset='71'/>",
            "<vcpupin vcpu='7' cpuset='61'/>",
            "<vmslice:cpus vm='10-11,30-31,50-51,70-71' emulator='14,54'/>",
            "<vmslice:cpus vm='' emulator=''/>",
        };
        /* no cells, 8 GiB + 2 MiB, no numatune, vCPUs on nodes 0 and 2 */
        const char *subs[ELEMENTSOF(pins) + 16];
        size_t n = 0;
        for (size_t i = 0; i < ELEMENTSOF(pins); i++)
                subs[n++] = pins[i];
        const char *more[] = {
            "<memory unit='GiB'>12</memory>",
            "<memory unit='KiB'>8390656</memory>",
            "  <numatune>\n"
            "    <memory mode='strict' nodeset='1,3'/>\n"
            "    <memnode cellid='0' mode='strict' nodeset='1'/>\n"
            "    <memnode cellid='1' mode='strict' nodeset='3'/>\n"
            "  </numatune>\n",
            "",
            "    <numa>\n"
            "      <cell id='0' cpus='0-3' memory='4' unit='GiB'/>\n"
            "      <cell id='1' cpus='4-7' memory='8388608' unit='KiB'/>\n"
            "    </numa>\n",
            "",
        };
        for (size_t i = 0; i < ELEMENTSOF(more); i++)
                subs[n++] = more[i];
        subs[n] = NULL;
        Domain *d = xeon_domain(subs);
        SliceSpec *s = spec_ok(d, XEON);
        assert_string_equal(setstr(s->vcpu_cpus), "0-1,20-21,40-41,60-61");
        assert_int_equal(s->n_hugepages, 2);
        assert_hugepages(s, 0, 0, 2 * MIB, 2049);
        assert_hugepages(s, 1, 2, 2 * MIB, 2048);
        slice_spec_free(s);
        domain_free(d);

        /* an explicit nodeset over three nodes: 4097 = 1367 + 1365 + 1365 */
        subs[n - 4] = "  <numatune>\n"
                      "    <memory mode='strict' nodeset='1,3'/>\n"
                      "    <memnode cellid='0' mode='strict' nodeset='1'/>\n"
                      "    <memnode cellid='1' mode='strict' nodeset='3'/>\n"
                      "  </numatune>\n";
        subs[n - 3] = "  <numatune>\n"
                      "    <memory mode='interleave' nodeset='1-3'/>\n"
                      "  </numatune>\n";
        d = xeon_domain(subs);
        s = spec_ok(d, XEON);
        assert_int_equal(s->n_hugepages, 3);
        assert_hugepages(s, 0, 1, 2 * MIB, 1367);
        assert_hugepages(s, 1, 2, 2 * MIB, 1365);
        assert_hugepages(s, 2, 3, 2 * MIB, 1365);
        slice_spec_free(s);
        domain_free(d);
}

/* A Threadripper 2990WX: nodes 1 and 3 have CPUs but no memory. */
static void test_memoryless(void **state)
{
        const Topology *t = topo(TR);
        assert_int_equal(t->n_nodes, 4);
        assert_true(t->nodes[1].mem_total == 0 && t->nodes[3].mem_total == 0);

        /* a nodeset on a memoryless node is refused, as is one on a node the host lacks */
        spec_fails_subs("good-tuned.xml", (const char *const[]){"nodeset='0'", "nodeset='1'", NULL},
                        TR,
                        "good-tuned.xml:38: <numatune/memory nodeset='1'> names host node 1, "
                        "which has no memory; guest memory can only come from nodes with memory "
                        "(0,2)");
        spec_fails_subs("good-tuned.xml",
                        (const char *const[]){"nodeset='0'", "nodeset='0,3'", NULL}, TR,
                        "names host node 3, which has no memory");
        spec_fails_subs("good-tuned.xml",
                        (const char *const[]){"nodeset='0'", "nodeset='2-4'", NULL}, TR,
                        "names host node 4, which this host does not have (nodes: 0-3)");

        /* vCPUs on memoryless node 1 (CPUs 8-15,40-47): the nearest node with memory, 0 (nodes 0
         * and 2 are both at distance 16: the first) */
        Domain *d =
            load("good-tuned.xml",
                 (const char *const[]){
                     "vcpu='0' cpuset='2'", "vcpu='0' cpuset='8'", "vcpu='1' cpuset='8'",
                     "vcpu='1' cpuset='40'", "vcpu='2' cpuset='3'", "vcpu='2' cpuset='9'",
                     "vcpu='3' cpuset='9'", "vcpu='3' cpuset='41'", "vcpu='4' cpuset='4'",
                     "vcpu='4' cpuset='10'", "vcpu='5' cpuset='10'", "vcpu='5' cpuset='42'",
                     "vcpu='6' cpuset='5'", "vcpu='6' cpuset='11'", "vcpu='7' cpuset='11'",
                     "vcpu='7' cpuset='43'",
                     "  <numatune>\n    <memory mode='strict' nodeset='0'/>\n  </numatune>\n", "",
                     NULL});
        SliceSpec *s = spec_ok(d, TR);
        assert_string_equal(setstr(s->vcpu_cpus), "8-11,40-43");
        assert_int_equal(s->n_hugepages, 1);
        assert_hugepages(s, 0, 0, 2 * MIB, 4096);
        slice_spec_free(s);
        domain_free(d);

        /* unpinned, no numatune: the first node with memory */
        d = load("problem-vcpu-unpinned.xml",
                 (const char *const[]){"  <numatune>\n    <memory mode='strict' nodeset='0'/>\n  "
                                       "</numatune>\n",
                                       "", NULL});
        s = spec_ok(d, TR);
        assert_false(s->pinned);
        assert_hugepages(s, 0, 0, 2 * MIB, 4096);
        slice_spec_free(s);
        domain_free(d);
}

static void test_no_hugepages(void **state)
{
        Domain *d = load("problem-no-hugepages.xml", NULL);
        SliceSpec *s = spec_ok(d, I7);
        assert_int_equal(s->n_hugepages, 0);
        assert_null(s->hugepages);
        assert_true(s->pinned);
        assert_string_equal(setstr(s->cpus), "2-5,8-11");
        slice_spec_free(s);
        domain_free(d);

        /* a page of the base page size is libvirt's "no hugepages" */
        d = load("good-tuned.xml", (const char *const[]){"<page size='2048' unit='KiB'/>",
                                                         "<page size='4' unit='KiB'/>", NULL});
        s = spec_ok(d, I7);
        assert_int_equal(s->n_hugepages, 0);
        slice_spec_free(s);
        domain_free(d);
}

static void test_unpinned(void **state)
{
        Domain *d = load("problem-vcpu-unpinned.xml", NULL);
        SliceSpec *s = spec_ok(d, I7);
        assert_false(s->pinned);
        assert_false(s->managed);
        assert_true(hwloc_bitmap_iszero(s->cpus));
        assert_true(hwloc_bitmap_iszero(s->vcpu_cpus));
        assert_hugepages(s, 0, 0, 2 * MIB, 4096);
        slice_spec_free(s);
        domain_free(d);

        /* seven of eight vCPUs pinned */
        d = load("good-tuned.xml",
                 (const char *const[]){"    <vcpupin vcpu='7' cpuset='11'/>\n", "", NULL});
        s = spec_ok(d, I7);
        assert_false(s->pinned);
        assert_string_equal(setstr(s->vcpu_cpus), "2-5,8-10");
        slice_spec_free(s);
        domain_free(d);

        /* libvirt's cpuset syntax: ranges, '^' exclusions, spaces */
        d = load("good-tuned.xml",
                 (const char *const[]){"<vcpupin vcpu='7' cpuset='11'/>",
                                       "<vcpupin vcpu='7' cpuset=' 8-11 , ^9'/>", NULL});
        s = spec_ok(d, I7);
        assert_true(s->pinned);
        assert_string_equal(setstr(s->vcpu_cpus), "2-5,8-11");
        slice_spec_free(s);
        domain_free(d);
}

static void test_spec_errors(void **state)
{
        const char *gt = "good-tuned.xml";
        const char *page = "<page size='2048' unit='KiB'/>";
        spec_fails_subs(gt, (const char *const[]){page, "<page size='0' unit='KiB'/>", NULL}, I7,
                        "good-tuned.xml:20: <page size='0'> is a hugepage size of 0");
        spec_fails_subs(gt, (const char *const[]){page, "<page size='3000' unit='KiB'/>", NULL}, I7,
                        "good-tuned.xml:20: hugepage size 3000 KiB (3072000 bytes) is not a "
                        "power of two");
        spec_fails_subs(gt, (const char *const[]){page, "<page size='1' unit='KiB'/>", NULL}, I7,
                        "smaller than the 4 KiB base page");
        spec_fails_subs(gt, (const char *const[]){page, "<page size='2' unit='parsecs'/>", NULL},
                        I7, "<page size='2' unit='parsecs'> is not a size");
        spec_fails_subs(
            gt, (const char *const[]){page, "<page size='99999999999999' unit='TiB'/>", NULL}, I7,
            "overflows");
        spec_fails_subs(gt, (const char *const[]){page, "<page unit='KiB'/>", NULL}, I7,
                        "<page> has no size");
        spec_fails_subs(gt, (const char *const[]){page, "<page size='2048' nodeset='0'/>", NULL},
                        I7, "but the domain has none (<cpu><numa>)");
        spec_fails_subs(
            gt, (const char *const[]){page, "<page size='2048'/><page size='1048576'/>", NULL}, I7,
            "a second <page> without nodeset");
        spec_fails_subs(gt, (const char *const[]){"cpuset='11'/>", "cpuset='11-'/>", NULL}, I7,
                        "<vcpupin vcpu='7' cpuset='11-'> is not a CPU list");
        spec_fails_subs(gt, (const char *const[]){"cpuset='11'/>", "cpuset='11,^11'/>", NULL}, I7,
                        "is not a CPU list");
        spec_fails_subs(gt, (const char *const[]){"cpuset='11'/>", "cpuset='12'/>", NULL}, I7,
                        "good-tuned.xml:33: <vcpupin vcpu='7'> names CPU 12, which is not online "
                        "on this host (online: 0-11)");
        spec_fails_subs(gt, (const char *const[]){"<vcpupin vcpu='7'", "<vcpupin vcpu='8'", NULL},
                        I7,
                        "<vcpupin vcpu='8'> names a vCPU the domain does not have (<vcpu> 8: "
                        "vCPUs 0 to 7)");
        spec_fails_subs(gt, (const char *const[]){"<vcpupin vcpu='7'", "<vcpupin vcpu='6'", NULL},
                        I7, "good-tuned.xml:33: vCPU 6 has a second <vcpupin>");
        spec_fails_subs(gt,
                        (const char *const[]){"<emulatorpin cpuset='0-1,6-7'/>",
                                              "<emulatorpin cpuset='0-1000'/>", NULL},
                        I7, "good-tuned.xml:34: <emulatorpin> names CPU 12, which is not online");
        spec_fails_subs(
            gt, (const char *const[]){"<emulatorpin cpuset='0-1,6-7'/>", "<emulatorpin/>", NULL},
            I7, "<emulatorpin> has no cpuset");
        spec_fails_subs(gt,
                        (const char *const[]){"iothread='1' cpuset='0-1,6-7'",
                                              "iothread='1' cpuset='0-1,&#10;x'", NULL},
                        I7, "<iothreadpin iothread='1' cpuset='0-1,\\nx'> is not a CPU list");
        spec_fails_subs(gt, (const char *const[]){"<vcpupin vcpu='7'", "<vcpupin vcpu='x'", NULL},
                        I7, "<vcpupin> has no valid vcpu attribute");
        spec_fails_subs(gt, (const char *const[]){"nodeset='0'", "nodeset='0-'", NULL}, I7,
                        "<numatune/memory nodeset='0-'> is not a list of host NUMA nodes");
        spec_fails_subs(gt, (const char *const[]){"nodeset='0'", "nodeset='1'", NULL}, I7,
                        "names host node 1, which this host does not have (nodes: 0)");
        spec_fails_subs(gt,
                        (const char *const[]){"<memory mode='strict' nodeset='0'/>",
                                              "<memnode cellid='0' nodeset='0'/>", NULL},
                        I7, "<memnode> without guest NUMA cells");

        /* guest cells */
        const char *mn = "<memnode cellid='1' mode='strict' nodeset='3'/>";
        Domain *d;
        d = xeon_domain((const char *const[]){mn, "<memnode cellid='2' nodeset='3'/>", NULL});
        spec_fails(d, XEON,
                   "xeon-cells.xml:30: <memnode cellid='2'> names a guest NUMA cell the "
                   "domain does not have (cells: 0-1)");
        domain_free(d);
        d = xeon_domain((const char *const[]){mn, "<memnode cellid='0' nodeset='3'/>", NULL});
        spec_fails(d, XEON, "a second <memnode> for guest cell 0");
        domain_free(d);
        d = xeon_domain((const char *const[]){mn, "<memnode cellid='1'/>", NULL});
        spec_fails(d, XEON, "<memnode cellid='1'> has no nodeset");
        domain_free(d);
        d = xeon_domain(
            (const char *const[]){page, "<page size='2048' unit='KiB' nodeset='0-2'/>", NULL});
        spec_fails(d, XEON,
                   "<page nodeset='0-2'> names guest NUMA cell 2, which the domain does "
                   "not have (cells: 0-1)");
        domain_free(d);
        d = xeon_domain((const char *const[]){
            page, "<page size='2048' nodeset='0-1'/><page size='1048576' nodeset='1'/>", NULL});
        spec_fails(d, XEON, "overlaps the nodeset of an earlier <page>");
        domain_free(d);
        d = xeon_domain(
            (const char *const[]){"memory='4' unit='GiB'", "memory='64' unit='TiB'", NULL});
        spec_fails(d, XEON, "the guest NUMA cells add up to more than 64 TiB");
        domain_free(d);
        d = xeon_domain((const char *const[]){"memory='4' unit='GiB'",
                                              "memory='99999999999999' unit='TiB'", NULL});
        spec_fails(d, XEON, "the memory of guest NUMA cell 0 is absurd (more than 64 TiB)");
        domain_free(d);
        d = xeon_domain((const char *const[]){"memory='4' unit='GiB'", "unit='GiB'", NULL});
        spec_fails(d, XEON, "<cell id='0'> has no memory");
        domain_free(d);
        d = xeon_domain((const char *const[]){"<cell id='1'", "<cell id='0'", NULL});
        spec_fails(d, XEON, "guest NUMA cell 0 is defined twice");
        domain_free(d);
}

/* ---- the state text ---- */

static void test_format_parse(void **state)
{
        Domain *d = load("good-tuned.xml", NULL);
        SliceSpec *s = spec_ok(d, I7);
        char *text = NULL;
        assert_int_equal(slice_spec_format(s, &text), 0);
        assert_string_equal(text, "name\tgood-tuned\n"
                                  "cpus\t2-5,8-11\n"
                                  "vcpus\t2-5,8-11\n"
                                  "pinned\t1\n"
                                  "managed\t0\n"
                                  "hugepages\t0\t2097152\t4096\n");
        free(text);
        slice_spec_free(s);
        domain_free(d);

        /* round trip of a spec with everything */
        d = xeon_domain((const char *const[]){"<name>xeon-cells</name>",
                                              "<name>xeon cells+1:@,=é</name>", NULL});
        s = spec_ok(d, XEON);
        assert_int_equal(slice_spec_format(s, &text), 0);
        SliceSpec *back = NULL;
        Error err = {0};
        assert_int_equal(slice_spec_parse(text, &back, &err), 0);
        assert_string_equal(back->name, "xeon cells+1:@,=é");
        assert_true(hwloc_bitmap_isequal(back->cpus, s->cpus));
        assert_true(hwloc_bitmap_isequal(back->vcpu_cpus, s->vcpu_cpus));
        assert_true(back->pinned == s->pinned);
        assert_true(back->managed == s->managed);
        assert_int_equal(back->n_hugepages, s->n_hugepages);
        for (unsigned i = 0; i < s->n_hugepages; i++)
                assert_hugepages(back, i, s->hugepages[i].node, s->hugepages[i].page_size,
                                 s->hugepages[i].count);
        char *again = NULL;
        assert_int_equal(slice_spec_format(back, &again), 0);
        assert_string_equal(again, text);
        free(again);
        free(text);
        slice_spec_free(back);
        slice_spec_free(s);
        domain_free(d);

        /* an empty, unpinned spec; hugepages lines in any order come back sorted */
        assert_int_equal(slice_spec_parse("name\tx\ncpus\t\nvcpus\t\npinned\t0\nmanaged\t0\n"
                                          "hugepages\t3\t1073741824\t2\n"
                                          "hugepages\t1\t2097152\t7\n"
                                          "hugepages\t1\t1073741824\t1\n",
                                          &back, &err),
                         0);
        assert_true(hwloc_bitmap_iszero(back->cpus));
        assert_false(back->pinned);
        assert_int_equal(back->n_hugepages, 3);
        assert_hugepages(back, 0, 1, 2 * MIB, 7);
        assert_hugepages(back, 1, 1, GIB, 1);
        assert_hugepages(back, 2, 3, GIB, 2);
        assert_int_equal(slice_spec_format(back, &text), 0);
        assert_string_equal(text, "name\tx\ncpus\t\nvcpus\t\npinned\t0\nmanaged\t0\n"
                                  "hugepages\t1\t2097152\t7\n"
                                  "hugepages\t1\t1073741824\t1\n"
                                  "hugepages\t3\t1073741824\t2\n");
        free(text);
        slice_spec_free(back);

        /* a spec the domain reader would not have made is not formatted */
        SliceSpec bad = {.name = (char *) "a/b", .cpus = NULL};
        assert_int_equal(slice_spec_format(&bad, &text), -EINVAL);
}

static void test_parse_errors(void **state)
{
        static const char ok[] = "name\tvm\ncpus\t2-5\nvcpus\t2-3\npinned\t1\nmanaged\t1\n";
        static const struct {
                const char *text, *want;
        } cases[] = {
            {"", "no 'name' line"},
            {"name\tvm\n", "no 'cpus' line"},
            {"name\tvm\ncpus\t2-5\nvcpus\t2-3\npinned\t1\n", "no 'managed' line"},
            {"name\tvm\ncpus\t2-5\nvcpus\t2-3\npinned\t1\nmanaged\t1", "line 5: no newline"},
            {"name\tvm\ncolour\tblue\n", "line 2: unknown key 'colour'"},
            {"name\tvm\nname\tvm\n", "line 2: 'name' twice"},
            {"name vm\n", "line 1: not 'key<TAB>value'"},
            {"\n", "line 1: not 'key<TAB>value'"},
            {"name\ta/b\n", "line 1: the name contains '/'"},
            {"name\t\n", "line 1: the name is empty"},
            {"name\t..\n", "the name is a path component"},
            {"name\tvm\ncpus\t2-x\n", "line 2: bad CPU list '2-x'"},
            {"name\tvm\ncpus\t 2\n", "line 2: bad CPU list ' 2'"},
            {"name\tvm\ncpus\t0-15:2/4\n", "line 2: bad CPU list"},
            {"name\tvm\ncpus\t5-2\n", "line 2: bad CPU list"},
            {"name\tvm\ncpus\t9000\n", "line 2: bad CPU list"},
            {"name\tvm\npinned\tyes\n", "line 2: pinned must be 0 or 1, not 'yes'"},
            {"name\tvm\nmanaged\t2\n", "line 2: managed must be 0 or 1"},
            {"name\tvm\ncpus\t2\nvcpus\t3\npinned\t1\nmanaged\t1\n",
             "the vcpus are not within the cpus"},
        };
        static const struct {
                const char *line, *want;
        } hp[] = {
            {"hugepages\t0\t2097152\n", "line 6: hugepages needs a node, a page size and a count"},
            {"hugepages\t0\t2097152\t1\t1\n", "line 6: more than 3 hugepages fields"},
            {"hugepages\tx\t2097152\t1\n", "line 6: bad node 'x'"},
            {"hugepages\t1024\t2097152\t1\n", "line 6: bad node '1024'"},
            {"hugepages\t-1\t2097152\t1\n", "line 6: bad node '-1'"},
            {"hugepages\t0\t3000000\t1\n", "line 6: bad page size '3000000'"},
            {"hugepages\t0\t0\t1\n", "line 6: bad page size '0'"},
            {"hugepages\t0\t2048\t1\n", "line 6: bad page size '2048'"},
            {"hugepages\t0\t2097152\t0\n", "line 6: bad page count '0'"},
            {"hugepages\t0\t2097152\t99999999999999999999\n", "line 6: bad page count"},
            {"hugepages\t0\t2097152\t+1\n", "line 6: bad page count '+1'"},
            {"hugepages\t0\t2097152\t1\nhugepages\t0\t2097152\t2\n",
             "line 7: hugepages of node 0 and size 2097152 twice"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases) + ELEMENTSOF(hp); i++) {
                char *text = NULL;
                const char *want;
                if (i < ELEMENTSOF(cases)) {
                        text = strdup(cases[i].text);
                        want = cases[i].want;
                } else {
                        assert_true(asprintf(&text, "%s%s", ok, hp[i - ELEMENTSOF(cases)].line) >
                                    0);
                        want = hp[i - ELEMENTSOF(cases)].want;
                }
                SliceSpec *s = NULL;
                Error err = {0};
                int r = slice_spec_parse(text, &s, &err);
                if (r != -EINVAL)
                        fail_msg("case %zu: '%s' gives %d, want -EINVAL", i, text, r);
                assert_null(s);
                assert_true(err.input);
                if (!strstr(err.msg, want))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, want);
                assert_non_null(strstr(err.msg, "the state file is damaged") ||
                                        strstr(err.msg, "truncated")
                                    ? err.msg
                                    : NULL);
                free(text);
        }

        /* the good base parses */
        SliceSpec *s = NULL;
        Error err = {0};
        assert_int_equal(slice_spec_parse(ok, &s, &err), 0);
        slice_spec_free(s);
}

/* ---- the configuration ---- */

static void assert_settings_equal(const SliceSettings *a, const SliceSettings *b)
{
        assert_int_equal(a->hugepages, b->hugepages);
        assert_int_equal(a->isolate, b->isolate);
        assert_int_equal(a->workqueues, b->workqueues);
        assert_int_equal(a->irqs, b->irqs);
        assert_int_equal(a->stat_interval, b->stat_interval);
        assert_int_equal(a->watchdog_off, b->watchdog_off);
        assert_int_equal(a->timer_migration_off, b->timer_migration_off);
        assert_int_equal(a->thp, b->thp);
        assert_int_equal(a->ksm_off, b->ksm_off);
        assert_int_equal(a->governor_performance, b->governor_performance);
        assert_int_equal(a->cstates_shallow, b->cstates_shallow);
        assert_int_equal(a->cstate_max_latency_us, b->cstate_max_latency_us);
        assert_int_equal(a->irqbalance, b->irqbalance);
        assert_int_equal(a->compact_tries, b->compact_tries);
        assert_int_equal(a->compact_timeout_ms, b->compact_timeout_ms);
        assert_int_equal(a->drop_caches, b->drop_caches);
        assert_int_equal(a->partition, b->partition);
}

static SliceConfig *config_file(const char *name)
{
        char path[2048];
        snprintf(path, sizeof(path), "%.1000s/config/%s", test_data_dir(), name);
        SliceConfig *c = NULL;
        Error err = {0};
        int r = slice_config_load(path, &c, &err);
        if (r < 0)
                fail_msg("%s: %s", path, err.msg);
        assert_int_equal(r, 1);
        return c;
}

static void test_config_defaults(void **state)
{
        SliceSettings def, s;
        slice_settings_default(&def);
        /* what a desktop gaming VM wants */
        assert_true(def.hugepages && def.isolate && def.workqueues && def.irqs);
        assert_int_equal(def.stat_interval, 120);
        assert_true(def.watchdog_off && def.timer_migration_off && def.ksm_off);
        assert_int_equal(def.thp, SLICE_THP_NEVER);
        assert_true(def.governor_performance && def.cstates_shallow);
        assert_int_equal(def.cstate_max_latency_us, 10);
        assert_int_equal(def.irqbalance, SLICE_IRQBALANCE_BAN);
        assert_int_equal(def.compact_tries, 3);
        assert_int_equal(def.compact_timeout_ms, 2000);
        assert_true(def.drop_caches);
        assert_false(def.partition);
        assert_string_equal(slice_thp_to_string(SLICE_THP_MADVISE), "madvise");
        assert_string_equal(slice_irqbalance_to_string(SLICE_IRQBALANCE_STOP), "stop");
        assert_null(slice_thp_to_string((SliceThp) 99));

        /* no configuration at all */
        bool en = true;
        assert_int_equal(slice_config_settings_for(NULL, "gaming", &s, &en), 0);
        assert_false(en);
        assert_settings_equal(&s, &def);
        assert_true(slice_config_vm_enabled(NULL, "gaming", true));
        assert_false(slice_config_vm_enabled(NULL, "gaming", false));

        /* an empty file, a file of comments, a missing file */
        const char *empties[] = {"", "\n\n", "# nothing\n; here\n   \n", "[defaults]\n"};
        for (size_t i = 0; i < ELEMENTSOF(empties); i++) {
                SliceConfig *c = NULL;
                Error err = {0};
                assert_int_equal(slice_config_parse(empties[i], NULL, &c, &err), 0);
                assert_int_equal(slice_config_settings_for(c, "x", &s, NULL), 0);
                assert_settings_equal(&s, &def);
                assert_int_equal(slice_config_n_vms(c), 0);
                slice_config_free(c);
        }
        SliceConfig *c = NULL;
        Error err = {0};
        assert_int_equal(slice_config_load("/nonexistent/vmslice.conf", &c, &err), 0);
        assert_non_null(c);
        assert_int_equal(slice_config_settings_for(c, "x", &s, NULL), 0);
        assert_settings_equal(&s, &def);
        slice_config_free(c);

        /* the documented file is the defaults */
        c = config_file("defaults.conf");
        assert_int_equal(slice_config_settings_for(c, "gaming", &s, &en), 0);
        assert_settings_equal(&s, &def);
        slice_config_free(c);
}

static void test_config_every_key(void **state)
{
        SliceConfig *c = config_file("every-key.conf");
        SliceSettings s;
        assert_int_equal(slice_config_settings_for(c, "any", &s, NULL), 0);
        assert_false(s.hugepages);
        assert_false(s.isolate);
        assert_false(s.workqueues);
        assert_false(s.irqs);
        assert_int_equal(s.stat_interval, 0);
        assert_false(s.watchdog_off);
        assert_false(s.timer_migration_off);
        assert_int_equal(s.thp, SLICE_THP_MADVISE);
        assert_false(s.ksm_off);
        assert_false(s.governor_performance);
        assert_false(s.cstates_shallow);
        assert_int_equal(s.cstate_max_latency_us, 0);
        assert_int_equal(s.irqbalance, SLICE_IRQBALANCE_STOP);
        assert_int_equal(s.compact_tries, 0);
        assert_int_equal(s.compact_timeout_ms, 600000);
        assert_false(s.drop_caches);
        assert_true(s.partition);
        slice_config_free(c);

        /* every value of every choice */
        static const struct {
                const char *line;
                size_t offset;
                int want;
        } v[] = {
            {"thp = never", offsetof(SliceSettings, thp), SLICE_THP_NEVER},
            {"thp = madvise", offsetof(SliceSettings, thp), SLICE_THP_MADVISE},
            {"thp = always", offsetof(SliceSettings, thp), SLICE_THP_ALWAYS},
            {"thp = leave", offsetof(SliceSettings, thp), SLICE_THP_LEAVE},
            {"irqbalance = ban", offsetof(SliceSettings, irqbalance), SLICE_IRQBALANCE_BAN},
            {"irqbalance = stop", offsetof(SliceSettings, irqbalance), SLICE_IRQBALANCE_STOP},
            {"irqbalance = leave", offsetof(SliceSettings, irqbalance), SLICE_IRQBALANCE_LEAVE},
        };
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                char *text = NULL;
                assert_true(asprintf(&text, "[defaults]\n%s\n", v[i].line) > 0);
                Error err = {0};
                assert_int_equal(slice_config_parse(text, NULL, &c, &err), 0);
                assert_int_equal(slice_config_settings_for(c, "x", &s, NULL), 0);
                int got;
                memcpy(&got, (char *) &s + v[i].offset, sizeof(got));
                assert_int_equal(got, v[i].want);
                slice_config_free(c);
                free(text);
        }
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                char *text = NULL;
                assert_true(asprintf(&text, "[defaults]\npartition = %s\nhugepages=%s\n", yes[i],
                                     no[i]) > 0);
                Error err = {0};
                assert_int_equal(slice_config_parse(text, NULL, &c, &err), 0);
                assert_int_equal(slice_config_settings_for(c, "x", &s, NULL), 0);
                assert_true(s.partition);
                assert_false(s.hugepages);
                slice_config_free(c);
                free(text);
        }
        /* CRLF line ends, numbers at their bounds */
        Error err = {0};
        assert_int_equal(slice_config_parse("[defaults]\r\nstat-interval = 86400\r\n"
                                            "cstate-max-latency-us = 1000000\r\n"
                                            "compact-tries = 100\r\n",
                                            NULL, &c, &err),
                         0);
        assert_int_equal(slice_config_settings_for(c, "x", &s, NULL), 0);
        assert_int_equal(s.stat_interval, 86400);
        assert_int_equal(s.cstate_max_latency_us, 1000000);
        assert_int_equal(s.compact_tries, 100);
        slice_config_free(c);
}

static void test_config_vms(void **state)
{
        SliceConfig *c = config_file("vms.conf");
        SliceSettings def, s;
        bool en;
        slice_settings_default(&def);

        assert_int_equal(slice_config_n_vms(c), 4);
        assert_string_equal(slice_config_vm_name(c, 0), "gaming");
        assert_string_equal(slice_config_vm_name(c, 1), "win 11 pro");
        assert_string_equal(slice_config_vm_name(c, 2), "build-server");
        assert_string_equal(slice_config_vm_name(c, 3), "héllo+vm@host:1,x=2");
        assert_null(slice_config_vm_name(c, 4));

        /* a VM without a section: [defaults] (which comes after the first [vm] in the file) */
        en = true;
        assert_int_equal(slice_config_settings_for(c, "other", &s, &en), 0);
        assert_false(en);
        SliceSettings want = def;
        want.stat_interval = 60;
        want.drop_caches = false;
        assert_settings_equal(&s, &want);
        assert_true(slice_config_vm_enabled(c, "other", true));
        assert_false(slice_config_vm_enabled(c, "other", false));

        /* overrides on top of [defaults]; the metadata still decides */
        assert_int_equal(slice_config_settings_for(c, "gaming", &s, &en), 0);
        assert_false(en);
        SliceSettings g = want;
        g.thp = SLICE_THP_MADVISE;
        g.irqbalance = SLICE_IRQBALANCE_STOP;
        assert_settings_equal(&s, &g);
        assert_true(slice_config_vm_enabled(c, "gaming", true));
        assert_false(slice_config_vm_enabled(c, "gaming", false));

        /* opt-in without metadata */
        assert_int_equal(slice_config_settings_for(c, "win 11 pro", &s, &en), 1);
        assert_true(en);
        SliceSettings w = want;
        w.partition = true;
        assert_settings_equal(&s, &w);
        assert_true(slice_config_vm_enabled(c, "win 11 pro", false));

        /* opt-out of a managed VM */
        assert_int_equal(slice_config_settings_for(c, "build-server", &s, &en), 1);
        assert_false(en);
        assert_false(slice_config_vm_enabled(c, "build-server", true));

        assert_int_equal(slice_config_settings_for(c, "héllo+vm@host:1,x=2", &s, NULL), 0);
        assert_int_equal(s.compact_tries, 5);

        /* names are exact */
        assert_int_equal(slice_config_settings_for(c, "Gaming", &s, NULL), 0);
        assert_int_equal(s.thp, SLICE_THP_NEVER);
        slice_config_free(c);
}

static void config_fails(const char *text, const char *source, const char *want)
{
        SliceConfig *c = NULL;
        Error err = {0};
        int r = slice_config_parse(text, source, &c, &err);
        if (r != -EINVAL)
                fail_msg("'%.200s' gives %d, want -EINVAL", text, r);
        assert_null(c);
        assert_true(err.input);
        assert_null(strchr(err.msg, '\n'));
        if (!strstr(err.msg, want))
                fail_msg("error '%s' does not contain '%s'", err.msg, want);
}

static void test_config_errors(void **state)
{
        static const struct {
                const char *text, *want;
        } cases[] = {
            {"# comment\n\n[defaults]\nhugepages = yes\n\n\n\n\n\n\n\nthp-mode = never\n",
             "vmslice.conf:12: unknown key 'thp-mode' in [defaults]; see vmslice.conf(5)"},
            {"[vm gaming]\nthp-mode = never\n",
             "vmslice.conf:2: unknown key 'thp-mode' in [vm gaming]; see vmslice.conf(5)"},
            {"[global]\n", "vmslice.conf:1: unknown section [global]"},
            {"[vms gaming]\n", "vmslice.conf:1: unknown section [vms gaming]"},
            {"[defaults\n", "vmslice.conf:1: a section header is [defaults] or [vm NAME]"},
            {"[defaults] x\n", "vmslice.conf:1: a section header is"},
            {"[vm]\n", "vmslice.conf:1: [vm] needs the name of the VM"},
            {"[vm   ]\n", "vmslice.conf:1: [vm] needs the name of the VM"},
            {"[vm a/b]\n", "vmslice.conf:1: the VM name in [vm a/b] contains '/'"},
            {"[vm ..]\n", "vmslice.conf:1: the VM name in [vm ..] is a path component"},
            {"[vm a\tb]\n", "contains a control character (0x09)"},
            {"[vm a]b]\n", "contains ']'"},
            {"\n[defaults]\n[defaults]\n",
             "vmslice.conf:3: a second [defaults] section (the first is at line 2)"},
            {"[vm a]\n[vm b]\n[vm a]\n",
             "vmslice.conf:3: a second [vm a] section (the first is at line 1)"},
            {"hugepages = yes\n", "vmslice.conf:1: 'hugepages' comes before any section"},
            {"[defaults]\nhugepages\n",
             "vmslice.conf:2: expected 'key = value' or a [section], not 'hugepages'"},
            {"[defaults]\n= yes\n", "vmslice.conf:2: '= yes' has no key"},
            {"[defaults]\nhugepages =\n",
             "vmslice.conf:2: 'hugepages' in [defaults] has no value; use yes or no"},
            {"[defaults]\nhugepages = # later\n", "has no value"},
            {"[defaults]\nhugepages = maybe\n",
             "vmslice.conf:2: bad value 'maybe' for 'hugepages' in [defaults]; use yes or no"},
            {"[defaults]\nhugepages = Yes\n", "bad value 'Yes'"},
            {"[defaults]\nthp = sometimes\n",
             "vmslice.conf:2: bad value 'sometimes' for 'thp' in [defaults]; use never, madvise, "
             "always or leave"},
            {"[defaults]\nwatchdog = no\n",
             "bad value 'no' for 'watchdog' in [defaults]; use leave or off"},
            {"[defaults]\ntimer-migration = on\n", "use leave or off"},
            {"[defaults]\nksm = yes\n", "use leave or off"},
            {"[defaults]\ngovernor = powersave\n", "use leave or performance"},
            {"[defaults]\ncstates = deep\n", "use leave or shallow"},
            {"[defaults]\nirqbalance = off\n", "use ban, stop or leave"},
            {"[defaults]\nstat-interval = 12s\n",
             "vmslice.conf:2: bad value '12s' for 'stat-interval' in [defaults]; use a number "
             "from 0 to 86400"},
            {"[defaults]\nstat-interval = -1\n", "bad value '-1'"},
            {"[defaults]\nstat-interval = 86401\n", "bad value '86401'"},
            {"[defaults]\ncompact-tries = 101\n", "use a number from 0 to 100"},
            {"[defaults]\ncompact-timeout-ms = 600001\n", "use a number from 0 to 600000"},
            {"[defaults]\ncstate-max-latency-us = 1000001\n", "use a number from 0 to 1000000"},
            {"[defaults]\ncompact-tries = 99999999999999999999\n", "bad value"},
            {"[defaults]\ncompact-tries = 3 4\n", "bad value '3 4'"},
            {"[defaults]\nthp = never\nksm = off\nthp = never\n",
             "vmslice.conf:4: 'thp' is set twice in [defaults] (first at line 2)"},
            {"[vm x]\nthp = never\n[vm y]\nthp = never\n[vm x]\n", "a second [vm x] section"},
            {"[vm x]\nenabled = yes\nenabled = no\n",
             "vmslice.conf:3: 'enabled' is set twice in [vm x] (first at line 2)"},
            {"[defaults]\nenabled = yes\n",
             "vmslice.conf:2: 'enabled' belongs in a [vm NAME] section"},
            {"[vm x]\nenabled = sure\n",
             "vmslice.conf:2: bad value 'sure' for 'enabled' in [vm x]; use yes or no"},
            {"[defaults]\nHugepages = yes\n", "unknown key 'Hugepages'"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                config_fails(cases[i].text, NULL, cases[i].want);

        /* the source names the file */
        config_fails("[defaults]\nthp = x\n", "/etc/vmslice/vmslice.conf",
                     "/etc/vmslice/vmslice.conf:2: bad value 'x'");

        /* a line of 1024 bytes is fine, 1025 is not */
        char line[SLICE_CONFIG_LINE_MAX + 64];
        SliceConfig *c = NULL;
        Error err = {0};
        memset(line, ' ', sizeof(line));
        memcpy(line, "[defaults]\nthp = never", strlen("[defaults]\nthp = never"));
        size_t first = strlen("[defaults]\n");
        line[first + SLICE_CONFIG_LINE_MAX] = '\n';
        line[first + SLICE_CONFIG_LINE_MAX + 1] = 0;
        assert_int_equal(slice_config_parse(line, NULL, &c, &err), 0);
        slice_config_free(c);
        line[first + SLICE_CONFIG_LINE_MAX] = ' ';
        line[first + SLICE_CONFIG_LINE_MAX + 1] = 0;
        config_fails(line, NULL, "vmslice.conf:2: line longer than 1024 bytes");

        /* 256 [vm] sections are fine, 257 are not */
        SBuf b = {0};
        for (unsigned i = 0; i < SLICE_CONFIG_VMS_MAX; i++)
                sbuf_appendf(&b, "[vm vm%u]\nenabled = yes\n", i);
        char *text = sbuf_steal(&b);
        assert_non_null(text);
        assert_int_equal(slice_config_parse(text, NULL, &c, &err), 0);
        assert_int_equal(slice_config_n_vms(c), SLICE_CONFIG_VMS_MAX);
        assert_true(slice_config_vm_enabled(c, "vm255", false));
        slice_config_free(c);
        char *more = NULL;
        assert_true(asprintf(&more, "%s[vm one-too-many]\n", text) > 0);
        config_fails(more, NULL, "vmslice.conf:513: more than 256 [vm NAME] sections");
        free(more);
        free(text);

        /* 64 KiB in all */
        size_t big = SLICE_CONFIG_SIZE_MAX + 1;
        text = malloc(big + 1);
        assert_non_null(text);
        memset(text, '\n', big);
        text[big] = 0;
        config_fails(text, NULL, "vmslice.conf: larger than 64 KiB");
        text[big - 1] = 0;
        assert_int_equal(slice_config_parse(text, NULL, &c, &err), 0);
        slice_config_free(c);
        free(text);
}

static void test_config_load_errors(void **state)
{
        char path[2048];
        SliceConfig *c = NULL;
        Error err = {0};

        snprintf(path, sizeof(path), "%.1000s/config/bad-key.conf", test_data_dir());
        assert_int_equal(slice_config_load(path, &c, &err), -EINVAL);
        assert_null(c);
        assert_true(err.input);
        char want[2200];
        snprintf(want, sizeof(want),
                 "%s:6: unknown key 'thp-mode' in [defaults]; see vmslice.conf(5)", path);
        assert_string_equal(err.msg, want);

        /* a directory */
        snprintf(path, sizeof(path), "%.1000s/config", test_data_dir());
        err = (Error){0};
        assert_int_equal(slice_config_load(path, &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "is not a regular file"));

        /* a NUL byte; more than 64 KiB */
        char tmp[] = "/tmp/vmslice-test-conf-XXXXXX";
        int fd = mkstemp(tmp);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "[defaults]\n\0\n", 13), 13);
        err = (Error){0};
        assert_int_equal(slice_config_load(tmp, &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "contains a NUL byte"));
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        static char blank[SLICE_CONFIG_SIZE_MAX + 1];
        memset(blank, '\n', sizeof(blank));
        assert_int_equal(write(fd, blank, sizeof(blank)), (ssize_t) sizeof(blank));
        err = (Error){0};
        assert_int_equal(slice_config_load(tmp, &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "larger than 64 KiB"));
        assert_int_equal(ftruncate(fd, SLICE_CONFIG_SIZE_MAX), 0);
        err = (Error){0};
        assert_int_equal(slice_config_load(tmp, &c, &err), 1);
        slice_config_free(c);
        close(fd);
        unlink(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good_tuned),
            cmocka_unit_test(test_seed_000),
            cmocka_unit_test(test_xeon_cells),
            cmocka_unit_test(test_round_up),
            cmocka_unit_test(test_split),
            cmocka_unit_test(test_memoryless),
            cmocka_unit_test(test_no_hugepages),
            cmocka_unit_test(test_unpinned),
            cmocka_unit_test(test_spec_errors),
            cmocka_unit_test(test_format_parse),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_config_defaults),
            cmocka_unit_test(test_config_every_key),
            cmocka_unit_test(test_config_vms),
            cmocka_unit_test(test_config_errors),
            cmocka_unit_test(test_config_load_errors),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        free_topos();
        return r;
}
