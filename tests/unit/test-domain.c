/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <dirent.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "cpuset-util.h"
#include "domain.h"
#include "fileio.h"
#include "string-util.h"

static const char *domains_dir(void)
{
        static char path[1024];
        const char *d = getenv("VMSLICE_TEST_DATA");
        snprintf(path, sizeof(path), "%.1000s/domains", d ? d : "tests/data");
        return path;
}

static char *read_file(const char *path, size_t *ret_size)
{
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        char *buf = NULL;
        size_t size = 0;
        int r = read_fd_full(fileno(f), 64U << 20, &buf, &size);
        fclose(f);
        assert_int_equal(r, 0);
        if (ret_size)
                *ret_size = size;
        return buf;
}

static char **domain_files(void)
{
        char **l = NULL;
        DIR *d = opendir(domains_dir());
        assert_non_null(d);
        struct dirent *de;
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".xml"))
                        assert_int_equal(strv_extend(&l, de->d_name), 0);
        closedir(d);
        assert_non_null(l);
        return l;
}

static Domain *load(const char *name)
{
        char path[2048];
        snprintf(path, sizeof(path), "%s/%.512s", domains_dir(), name);
        Domain *d = NULL;
        Error err = {0};
        if (domain_load_file(path, &d, &err) < 0)
                fail_msg("%s: %s", name, err.msg);
        return d;
}

/* Canonical XML (C14N) of a text, for "same elements, attributes, text and comments". */
static char *canonical(const char *text)
{
        xmlDocPtr doc = xmlReadMemory(text, (int) strlen(text), "x.xml", NULL, XML_PARSE_NONET);
        assert_non_null(doc);
        xmlChar *out = NULL;
        int n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1 /* with comments */, &out);
        xmlFreeDoc(doc);
        assert_true(n >= 0);
        char *s = strdup((const char *) out);
        xmlFree(out);
        return s;
}

static int validate(const char *text)
{
        char msg[2048];
        return validate_domain_text(text, msg, sizeof(msg));
}

/* Reading and writing without changes gives the same document: byte for byte apart from blank
 * lines after the root, and canonically equal. */
static void test_round_trip(void **state)
{
        _cleanup_(strv_freep) char **files = domain_files();
        unsigned n = 0, identical = 0;
        for (char **f = files; *f; f++) {
                char path[2048];
                snprintf(path, sizeof(path), "%s/%.512s", domains_dir(), *f);
                _cleanup_(freep) char *text = read_file(path, NULL);
                _cleanup_(domain_freep) Domain *d = load(*f);
                _cleanup_(freep) char *out = NULL;
                assert_int_equal(domain_format(d, &out), 0);
                _cleanup_(freep) char *a = canonical(text), *b = canonical(out);
                if (!streq(a, b))
                        fail_msg("%s: not equivalent after a round trip", *f);
                /* byte-identical up to trailing whitespace, when the document uses one quote style
                 * (libxml2 does not record quotes per attribute; mixed documents get the majority)
                 */
                n++;
                if (strstr(text, "='") && strstr(text, "=\""))
                        continue;
                size_t la = strlen(text), lb = strlen(out);
                while (la && (text[la - 1] == '\n' || text[la - 1] == ' '))
                        la--;
                while (lb && (out[lb - 1] == '\n' || out[lb - 1] == ' '))
                        lb--;
                if (la != lb || memcmp(text, out, la) != 0)
                        fail_msg("%s: round trip changed the text", *f);
                identical++;
        }
        print_message(
            "# %u domain fixtures round-trip to an equivalent document, %u of them (those "
            "with one quote style) byte for byte\n",
            n, identical);
        assert_true(n >= 40);
        assert_true(identical >= 2);
}

static void expect_refused(const char *what, const char *text, size_t size, const char *needle)
{
        Domain *d = NULL;
        Error err = {0};
        int r = domain_parse(text, size, what, &d, &err);
        if (r >= 0) {
                domain_free(d);
                fail_msg("%s: accepted", what);
        }
        if (!err.input)
                fail_msg("%s: not an input error: %s", what, err.msg);
        if (strchr(err.msg, '\n'))
                fail_msg("%s: message spans lines: %s", what, err.msg);
        if (needle && !strstr(err.msg, needle))
                fail_msg("%s: message '%s' lacks '%s'", what, err.msg, needle);
}

static void test_hostile(void **state)
{
        static const struct {
                const char *file, *needle;
        } cases[] = {
            {"xxe-file.xml", "DOCTYPE"},
            {"xxe-network.xml", "DOCTYPE"},
            {"billion-laughs.xml", NULL}, /* entity loop or DOCTYPE */
            {"quadratic-blowup.xml", NULL},
            {"dtd-external.xml", "DOCTYPE"},
            {"deep-nesting.xml", NULL},
            {"name-slash.xml", "'/'"},
            {"name-dotdot.xml", "path component"},
            {"name-newline.xml", "control character"},
            {"name-shell.xml", "contains '$'"},
            {"name-backtick.xml", "contains '`'"},
            {"name-quotes.xml", "contains '''"},
            {"name-semicolon.xml", "contains ';'"},
            {"name-dot.xml", "path component"},
            {"name-empty.xml", "empty"},
            {"name-long.xml", "longer than 200 bytes"},
            {"name-nul.xml", "not a valid XML document"},
            {"name-escape.xml", "'/'"},
            {"name-cdata-dotdot.xml", "'..' is a path component"},
            {"name-cr.xml", "control character (0x0d)"},
            {"name-tab.xml", "control character (0x09)"},
            {"encoding-bogus.xml", "Unsupported encoding"},
            {"memory-overflow.xml", "absurd"},
            {"memory-absurd.xml", "absurd"},
            {"vcpus-absurd.xml", "absurd"},
            {"vcpus-negative.xml", "not a vCPU count"},
            {"not-a-domain.xml", "not a libvirt domain"},
            {"truncated.xml", "not a valid XML document"},
        };
        char path[2048];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                snprintf(path, sizeof(path), "%s/hostile/%.512s", domains_dir(), cases[i].file);
                size_t size;
                _cleanup_(freep) char *text = read_file(path, &size);
                expect_refused(cases[i].file, text, size, cases[i].needle);
        }
        snprintf(path, sizeof(path), "%s/hostile/not-xml.txt", domains_dir());
        size_t size;
        _cleanup_(freep) char *junk = read_file(path, &size);
        expect_refused("not-xml.txt", junk, size, NULL);

        /* the hook reads any name libvirt allows, to leave domains that did not opt in alone */
        static const char *const odd[] = {"name-shell.xml", "name-backtick.xml", "name-quotes.xml",
                                          "name-slash.xml", "name-dotdot.xml",   "name-escape.xml",
                                          "name-long.xml",  "name-cr.xml",       "name-tab.xml"};
        for (size_t i = 0; i < ELEMENTSOF(odd); i++) {
                snprintf(path, sizeof(path), "%s/hostile/%.512s", domains_dir(), odd[i]);
                _cleanup_(freep) char *text = read_file(path, &size);
                Domain *d = NULL;
                Error err = {0};
                char why[128];
                if (domain_parse_flags(text, size, odd[i], DOMAIN_ANY_NAME, &d, &err) < 0)
                        fail_msg("%s: refused with DOMAIN_ANY_NAME: %s", odd[i], err.msg);
                assert_int_equal(domain_name_check(d->name, why, sizeof(why)), -EINVAL);
                domain_free(d);
        }
        /* but never one libvirt refuses itself */
        static const char *const never[] = {"name-newline.xml", "name-empty.xml"};
        for (size_t i = 0; i < ELEMENTSOF(never); i++) {
                snprintf(path, sizeof(path), "%s/hostile/%.512s", domains_dir(), never[i]);
                _cleanup_(freep) char *text = read_file(path, &size);
                Domain *d = NULL;
                Error err = {0};
                assert_int_equal(
                    domain_parse_flags(text, size, never[i], DOMAIN_ANY_NAME, &d, &err), -EINVAL);
                assert_null(strchr(err.msg, '\n'));
        }

        /* a legitimate UTF-16 document is read */
        snprintf(path, sizeof(path), "%s/hostile/utf16.xml", domains_dir());
        _cleanup_(freep) char *u16 = read_file(path, &size);
        Domain *d = NULL;
        Error err = {0};
        assert_int_equal(domain_parse(u16, size, "utf16.xml", &d, &err), 0);
        domain_free(d);

        /* oversized: refused before parsing */
        size_t big = DOMAIN_XML_MAX + 1;
        _cleanup_(freep) char *huge = malloc(big);
        assert_non_null(huge);
        memset(huge, ' ', big);
        memcpy(huge, "<domain>", 8);
        expect_refused("huge", huge, big, "too large");

        /* an undefined entity without a DTD is a parse error, not a lookup */
        const char *ent = "<domain><name>&x;</name></domain>";
        expect_refused("entity", ent, strlen(ent), "not a valid XML document");
        const char *ns = "<x:domain xmlns:x='urn:x'><name>a</name></x:domain>";
        expect_refused("namespaced root", ns, strlen(ns), "not a libvirt domain");
        const char *noname = "<domain><memory>1</memory></domain>";
        expect_refused("no name", noname, strlen(noname), "no <name>");
        const char *badunit = "<domain><name>a</name><memory unit='parsecs'>1</memory></domain>";
        expect_refused("bad unit", badunit, strlen(badunit), "not a size");
        const char *pib = "<domain><name>a</name><memory unit='PiB'>1</memory></domain>";
        expect_refused("PiB", pib, strlen(pib), "absurd");
}

static void test_memory_units(void **state)
{
        static const struct {
                const char *xml;
                uint64_t bytes;
        } cases[] = {
            {"<memory>1024</memory>", 1ULL << 20},
            {"<memory unit='KiB'>1024</memory>", 1ULL << 20},
            {"<memory unit='M'>1</memory>", 1ULL << 20},
            {"<memory unit='GiB'>16</memory>", 16ULL << 30},
            {"<memory unit='GB'>1</memory>", 1000000000ULL},
            {"<memory unit='b'>4096</memory>", 4096},
            {"<memory unit='bytes'>4096</memory>", 4096},
            {"<memory unit='T'>1</memory>", 1ULL << 40},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                xmlDocPtr doc =
                    xmlReadMemory(cases[i].xml, (int) strlen(cases[i].xml), "m", NULL, 0);
                uint64_t b = 0;
                assert_int_equal(dom_parse_memory(xmlDocGetRootElement(doc), NULL, &b), 0);
                assert_true(b == cases[i].bytes);
                xmlFreeDoc(doc);
        }

        /* <memory> 0: refused without guest NUMA cells, read with them (libvirt sums the cells) */
        static const char zero[] = "<domain><name>z</name><memory>0</memory></domain>";
        expect_refused("memory 0", zero, strlen(zero), "<memory> is 0 and the domain has no guest");
        static const char cells[] =
            "<domain><name>z</name><memory>0</memory><cpu><numa>"
            "<cell id='0' cpus='0' memory='1048576' unit='KiB'/></numa></cpu></domain>";
        Domain *d = NULL;
        Error err = {0};
        assert_int_equal(domain_parse(cells, strlen(cells), "cells", &d, &err), 0);
        domain_free(d);
}

static void test_editing_keeps_layout(void **state)
{
        const char *text = "<domain type='kvm'>\n  <name>t</name>\n  <vcpu>2</vcpu>\n  <devices>\n"
                           "    <emulator>/usr/bin/qemu</emulator>\n  </devices>\n</domain>\n";
        Domain *d = NULL;
        Error err = {0};
        assert_int_equal(domain_parse(text, strlen(text), "t", &d, &err), 0);
        xmlNodePtr tune = dom_ensure_ordered(d->root, "cputune");
        xmlNodePtr pin = dom_append(tune, "vcpupin");
        dom_set_prop(pin, "vcpu", "0");
        xmlNodePtr empty = dom_append(d->root, "features");
        dom_append(empty, "acpi");
        dom_remove(dom_child(d->root, "vcpu"));
        _cleanup_(freep) char *out = NULL;
        assert_int_equal(domain_format(d, &out), 0);
        assert_string_equal(
            out, "<domain type='kvm'>\n  <name>t</name>\n  <cputune>\n    <vcpupin vcpu='0'/>\n"
                 "  </cputune>\n  <devices>\n    <emulator>/usr/bin/qemu</emulator>\n"
                 "  </devices>\n  <features>\n    <acpi/>\n  </features>\n</domain>\n");
        domain_free(d);
}

/* line numbers past 65535 (libxml2 needs XML_PARSE_BIG_LINES for them) */
static void test_big_lines(void **state)
{
        SBuf b = {0};
        sbuf_append(&b, "<domain>");
        for (unsigned i = 0; i < 70000; i++)
                sbuf_append(&b, "\n");
        sbuf_append(&b, "<name>big</name><vcpu>2</vcpu></domain>\n");
        _cleanup_(freep) char *text = sbuf_steal(&b);
        Domain *d = NULL;
        Error err = {0};
        assert_int_equal(domain_parse(text, strlen(text), "big", &d, &err), 0);
        assert_int_equal(dom_line(dom_child(d->root, "vcpu")), 70001);
        domain_free(d);
}

/* A document read and written unchanged comes back as text (one line, a newline added). */
static void assert_writes_back(const char *text)
{
        Domain *d = NULL;
        Error err = {0};
        assert_int_equal(domain_parse(text, strlen(text), "w", &d, &err), 0);
        _cleanup_(freep) char *out = NULL, *want = strdup_printf("%s\n", text);
        assert_int_equal(domain_format(d, &out), 0);
        assert_string_equal(out, want);
        domain_free(d);
}

static void test_quotes(void **state)
{
        assert_writes_back(
            "<domain type=\"kvm\"><name>q</name><title a=\"x'y\">it's</title></domain>");
}

/* Attribute values are written escaped once: '&' and '<' as entities, non-ASCII as UTF-8, with or
 * without an XML declaration (virsh dumpxml writes none). Found by tests/fuzz/fuzz-domain. */
static void test_attribute_escapes(void **state)
{
        assert_writes_back("<domain type='kvm'><name>e</name><devices><disk><source "
                           "file='/img/M\xc3\xbcnchen &amp; co &lt;1>.qcow2'/></disk></devices>"
                           "<description>&lt;&amp;\xc3\xa9</description></domain>");
}

/* apply writes the plan and leaves the rest: other cputune children, cpu features, other
 * memoryBacking children, devices; the result validates with libvirt's schema. */
static void test_apply_merge(void **state)
{
        const char *text =
            "<domain type='kvm'>\n"
            "  <name>merge</name>\n"
            "  <memory unit='GiB'>8</memory>\n"
            "  <memoryBacking>\n    <locked/>\n    <hugepages/>\n  </memoryBacking>\n"
            "  <vcpu placement='static' cpuset='1-3' current='2'>4</vcpu>\n"
            "  <cputune>\n    <shares>2048</shares>\n    <vcpupin vcpu='0' cpuset='0-11'/>\n  "
            "</cputune>\n"
            "  <os>\n    <type arch='x86_64'>hvm</type>\n  </os>\n"
            "  <cpu mode='host-model' check='partial'>\n    <feature policy='disable' "
            "name='hypervisor'/>\n"
            "    <numa>\n      <cell id='0' cpus='0-3' memory='8' unit='GiB' "
            "memAccess='shared'/>\n    </numa>\n  </cpu>\n"
            "  <devices>\n    <disk type='file' device='disk'>\n      <source file='/a.img'/>\n"
            "      <target dev='vda' bus='virtio'/>\n    </disk>\n"
            "    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw' "
            "cache='none'/>\n"
            "      <source file='/b.img'/>\n      <target dev='vdb' bus='virtio'/>\n    </disk>\n"
            "    <disk type='file' device='cdrom'>\n      <target dev='sda' bus='sata'/>\n    "
            "</disk>\n"
            "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n"
            "        <address domain='0x0000' bus='0x0b' slot='0x00' function='0x0'/>\n      "
            "</source>\n    </hostdev>\n"
            "  </devices>\n</domain>\n";
        _cleanup_(topology_freep) Topology *t = fixture_topology("ryzen-5900x", NULL);
        Domain *d = NULL;
        Error err = {0};
        assert_int_equal(domain_parse(text, strlen(text), "merge", &d, &err), 0);
        ApplyOptions opts = {.req = {.host_cores = 1}};
        PlanRequest req;
        _cleanup_(strv_freep) char **pci = NULL;
        assert_int_equal(domain_plan_request(d, &opts, &req, &pci, &err), 0);
        assert_int_equal(req.vcpus, 4);
        assert_true(req.memory == 8ULL << 30);
        assert_int_equal(req.iothreads, 1);
        assert_string_equal(pci[0], "0000:0b:00.0");
        _cleanup_(plan_freep) Plan *p = plan_or_null(t, &req, &err);
        assert_non_null(p);
        assert_int_equal(domain_apply_plan(d, p, &req, &err), 0);
        _cleanup_(freep) char *out = NULL;
        assert_int_equal(domain_format(d, &out), 0);

        assert_non_null(strstr(out, "<shares>2048</shares>"));
        assert_null(strstr(out, "cpuset='0-11'"));
        assert_non_null(strstr(out, "<vcpu placement='static'>4</vcpu>"));
        assert_non_null(strstr(out, "<locked/>"));
        assert_non_null(strstr(out, "<page size='2048' unit='KiB'/>"));
        assert_non_null(strstr(out, "<feature policy='disable' name='hypervisor'/>"));
        assert_non_null(strstr(out, "<feature policy='require' name='topoext'/>"));
        assert_non_null(strstr(out, "<cpu mode='host-passthrough' check='none'>"));
        assert_non_null(strstr(out, "memAccess='shared'"));
        assert_non_null(strstr(out, "cpus='0-3' memory='8388608' unit='KiB'"));
        assert_non_null(strstr(out, "<driver name='qemu' iothread='1'/>"));
        assert_non_null(strstr(out, "<driver name='qemu' type='raw' cache='none' iothread='1'/>"));
        assert_non_null(strstr(out, "<iothreads>1</iothreads>"));
        assert_non_null(strstr(out, "<iothreadpin iothread='1'"));
        assert_non_null(
            strstr(out, "<vmslice:slice xmlns:vmslice='https://vmslice.org/xmlns/domain/1'"));
        int r = validate(out);
        if (r != -ENOENT)
                assert_int_equal(r, 0);

        /* the metadata reads back, and a second apply replaces it instead of adding one */
        ManagedInfo m;
        assert_int_equal(domain_managed_info(d, &m), 0);
        assert_true(m.managed);
        assert_string_equal(setstr(m.cpus), setstr(p->vm_cpus));
        assert_non_null(strstr(m.options, "--pci 0000:0b:00.0"));
        managed_info_done(&m);
        assert_int_equal(domain_apply_plan(d, p, &req, &err), 0);
        _cleanup_(freep) char *again = NULL;
        assert_int_equal(domain_format(d, &again), 0);
        if (!streq(out, again))
                fail_msg("second apply differs:\n%s\n----\n%s", out, again);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t pinned = hwloc_bitmap_alloc();
        assert_int_equal(domain_pinned_cpus(d, pinned), 0);
        assert_true(hwloc_bitmap_isincluded(p->vcpu_cpus, pinned));
        domain_free(d);
}

/* apply on every fixture domain that plans on the 6800K: the result validates and re-applies to
 * the same text. */
static void test_apply_fixtures(void **state)
{
        _cleanup_(topology_freep) Topology *t = fixture_topology("xeon-4s-80t", NULL);
        _cleanup_(strv_freep) char **files = domain_files();
        unsigned applied = 0;
        for (char **f = files; *f; f++) {
                _cleanup_(domain_freep) Domain *d = load(*f);
                ApplyOptions opts = {.req = {.host_cores = 1, .hugepages = HUGEPAGES_NONE}};
                PlanRequest req;
                _cleanup_(strv_freep) char **pci = NULL;
                Error err = {0};
                if (domain_plan_request(d, &opts, &req, &pci, &err) < 0)
                        continue;
                req.pci = NULL; /* the fixtures' devices are not on this host */
                _cleanup_(plan_freep) Plan *p = plan_or_null(t, &req, &err);
                if (!p)
                        continue;
                assert_int_equal(domain_apply_plan(d, p, &req, &err), 0);
                _cleanup_(freep) char *out = NULL;
                assert_int_equal(domain_format(d, &out), 0);
                int r = validate(out);
                if (r == -EINVAL)
                        fail_msg("%s: applied domain does not validate:\n%s", *f, out);
                applied++;
        }
        print_message("# applied to %u fixture domains\n", applied);
        assert_true(applied >= 10);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_hostile),
            cmocka_unit_test(test_memory_units),   cmocka_unit_test(test_editing_keeps_layout),
            cmocka_unit_test(test_quotes),         cmocka_unit_test(test_attribute_escapes),
            cmocka_unit_test(test_big_lines),      cmocka_unit_test(test_apply_merge),
            cmocka_unit_test(test_apply_fixtures),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
