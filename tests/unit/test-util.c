/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive-util.h"
#include "cpuset-util.h"
#include "fileio.h"
#include "plan-xml.h"
#include "string-util.h"

/* Fixture trees are unpacked under $TMPDIR by the hundred (the fault walks open one per point):
 * on a disk file system with online discard each file deleted costs a discard, so the unit tests
 * unpack in memory (/dev/shm) unless TMPDIR says otherwise. */
__attribute__((constructor)) static void tmpdir_in_memory(void)
{
        if (!getenv("TMPDIR") && access("/dev/shm", W_OK | X_OK) == 0)
                setenv("TMPDIR", "/dev/shm", 0);
}

const char *test_data_dir(void)
{
        const char *d = getenv("VMSLICE_TEST_DATA");
        return d ? d : "tests/data";
}

static int cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

char **fixture_hosts(void)
{
        char path[4096];
        char **l = NULL;
        snprintf(path, sizeof(path), "%s/hosts", test_data_dir());
        DIR *d = opendir(path);
        assert_non_null(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (n > 7 && streq(de->d_name + n - 7, ".tar.gz")) {
                        char *name = strndup(de->d_name, n - 7);
                        assert_int_equal(strv_push(&l, name), 0);
                }
        }
        closedir(d);
        assert_non_null(l);
        qsort(l, strv_length(l), sizeof(char *), cmp);
        return l;
}

const char *fixture_tarball(const char *name)
{
        static char path[4096];
        snprintf(path, sizeof(path), "%s/hosts/%s.tar.gz", test_data_dir(), name);
        return path;
}

/* Each fixture is unpacked once per test program and removed at exit. */
typedef struct Cached {
        char *name, *dir;
} Cached;
static Cached cache[64];
static unsigned n_cache;

static void cache_cleanup(void)
{
        for (unsigned i = 0; i < n_cache; i++) {
                (void) archive_remove_tree(cache[i].dir);
                free(cache[i].dir);
                free(cache[i].name);
        }
        n_cache = 0;
}

Host *fixture_host(const char *name)
{
        Host *h = NULL;
        Error err = {0};
        const char *dir = NULL;
        for (unsigned i = 0; i < n_cache; i++)
                if (streq(cache[i].name, name))
                        dir = cache[i].dir;
        if (!dir) {
                char *d = NULL;
                if (archive_unpack_tmp(fixture_tarball(name), &d, &err) < 0)
                        fail_msg("cannot unpack fixture %s: %s", name, err.msg);
                if (n_cache == 0)
                        atexit(cache_cleanup);
                assert_true(n_cache < ELEMENTSOF(cache));
                cache[n_cache].name = strdup(name);
                cache[n_cache].dir = d;
                dir = cache[n_cache++].dir;
        }
        if (host_new(dir, &h, &err) < 0)
                fail_msg("cannot open fixture %s: %s", name, err.msg);
        return h;
}

Host *fixture_host_private(const char *name)
{
        Host *h = NULL;
        Error err = {0};
        if (host_new(fixture_tarball(name), &h, &err) < 0)
                fail_msg("cannot open fixture %s: %s", name, err.msg);
        return h;
}

Topology *fixture_topology(const char *name, Host **ret_host)
{
        Host *h = fixture_host(name);
        Topology *t = NULL;
        Error err = {0};
        if (topology_load(h, &t, &err) < 0)
                fail_msg("cannot load topology of %s: %s", name, err.msg);
        if (ret_host)
                *ret_host = h;
        else
                host_free(h);
        return t;
}

Plan *plan_or_null(const Topology *t, const PlanRequest *req, Error *err)
{
        Plan *p = NULL;
        if (plan_compute(t, req, &p, err) < 0)
                return NULL;
        return p;
}

static xmlRelaxNGPtr schema;

static void collect_error(void *ctx, const char *fmt, ...) _printf_(2, 3);
static void collect_error(void *ctx, const char *fmt, ...)
{
        char *msg = ctx;
        size_t len = strlen(msg);
        va_list ap;
        va_start(ap, fmt);
        if (len < 1000)
                vsnprintf(msg + len, 1024 - len, fmt, ap);
        va_end(ap);
}

int validate_domain_text(const char *text, char *msg, size_t msg_size)
{
        const char *path = getenv("VMSLICE_DOMAIN_RNG");
        if (!path)
                path = "/usr/share/libvirt/schemas/domain.rng";
        if (!schema) {
                FILE *f = fopen(path, "r");
                if (!f)
                        return -ENOENT;
                fclose(f);
                xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewParserCtxt(path);
                schema = xmlRelaxNGParse(pc);
                xmlRelaxNGFreeParserCtxt(pc);
                if (!schema)
                        return -ENOENT;
        }
        xmlDocPtr doc = xmlReadMemory(text, (int) strlen(text), "domain.xml", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
                snprintf(msg, msg_size, "not well-formed");
                return -EINVAL;
        }
        char errors[1024] = "";
        xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt(schema);
        xmlRelaxNGSetValidErrors(vc, collect_error, collect_error, errors);
        int r = xmlRelaxNGValidateDoc(vc, doc);
        xmlRelaxNGFreeValidCtxt(vc);
        xmlFreeDoc(doc);
        if (r != 0) {
                snprintf(msg, msg_size, "%s\n%s", errors, text);
                return -EINVAL;
        }
        return 0;
}

int validate_plan_xml(const Plan *p, char *msg, size_t msg_size)
{
        _cleanup_(freep) char *frag = NULL;
        if (plan_xml_format(p, &frag) < 0)
                return -ENOMEM;
        /* wrap the elements into the smallest domain libvirt accepts */
        const char *body = strstr(frag, "<domain>");
        assert_non_null(body);
        body += strlen("<domain>");
        SBuf b = {0};
        sbuf_append(&b, "<domain type='kvm'><name>t</name>");
        if (p->memory == 0)
                sbuf_append(&b, "<memory unit='KiB'>1048576</memory>");
        sbuf_append(&b, "<os><type arch='x86_64'>hvm</type></os>");
        sbuf_append(&b, body);
        _cleanup_(freep) char *doc_text = sbuf_steal(&b);
        assert_non_null(doc_text);
        return validate_domain_text(doc_text, msg, msg_size);
}

const char *setstr(hwloc_const_bitmap_t set)
{
        static char bufs[8][CPUSET_LIST_MAX];
        static unsigned i;
        char *b = bufs[i++ % 8];
        if (hwloc_bitmap_iszero(set))
                b[0] = 0;
        else
                hwloc_bitmap_list_snprintf(b, CPUSET_LIST_MAX, set);
        return b;
}

char *test_read_data(const char *dir, const char *name)
{
        char path[2048];
        snprintf(path, sizeof(path), "%.1000s/%s/%.512s", test_data_dir(), dir, name);
        FILE *f = fopen(path, "re");
        if (!f)
                fail_msg("cannot open %s", path);
        char *buf = NULL;
        size_t size = 0;
        int r = read_fd_full(fileno(f), 16U << 20, &buf, &size);
        fclose(f);
        assert_int_equal(r, 0);
        return buf;
}

char *test_replace(char *text, const char *from, const char *to)
{
        char *at = strstr(text, from);
        if (!at)
                fail_msg("'%s' not found in the fixture", from);
        assert_null(strstr(at + 1, from));
        char *s = NULL;
        assert_true(asprintf(&s, "%.*s%s%s", (int) (at - text), text, to, at + strlen(from)) > 0);
        free(text);
        return s;
}
