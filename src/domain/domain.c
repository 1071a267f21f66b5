/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain.h"

#include <ctype.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"

#define X(s) ((const xmlChar *) (s))
#define S(s) ((const char *) (s))

/* the same bounds the planner uses (plan.h), restated so this layer stands alone */
#define DOMAIN_MEMORY_MAX (64ULL << 40)
#define DOMAIN_VCPUS_MAX  4096U

Domain *domain_free(Domain *d)
{
        if (!d)
                return NULL;
        if (d->doc)
                xmlFreeDoc(d->doc);
        free(d->source);
        free(d->name);
        free(d->text);
        free(d);
        return NULL;
}

/* ---- nodes ---- */

static bool is_element(xmlNodePtr n, const char *name)
{
        return n && n->type == XML_ELEMENT_NODE && (!name || streq(S(n->name), name)) && !n->ns;
}

xmlNodePtr dom_child(xmlNodePtr parent, const char *name)
{
        if (!parent)
                return NULL;
        for (xmlNodePtr c = parent->children; c; c = c->next)
                if (is_element(c, name))
                        return c;
        return NULL;
}

xmlNodePtr dom_next(xmlNodePtr node)
{
        if (!node)
                return NULL;
        for (xmlNodePtr c = node->next; c; c = c->next)
                if (is_element(c, S(node->name)))
                        return c;
        return NULL;
}

xmlNodePtr dom_path(xmlNodePtr parent, const char *path)
{
        char name[64];
        const char *p = path;
        xmlNodePtr n = parent;
        while (n && *p) {
                size_t l = strcspn(p, "/");
                if (l == 0 || l >= sizeof(name))
                        return NULL;
                memcpy(name, p, l);
                name[l] = 0;
                n = dom_child(n, name);
                p += l;
                if (*p == '/')
                        p++;
        }
        return n;
}

char *dom_prop(xmlNodePtr node, const char *name)
{
        if (!node)
                return NULL;
        xmlChar *v = xmlGetNoNsProp(node, X(name));
        if (!v)
                return NULL;
        char *s = strdup(S(v));
        xmlFree(v);
        return s;
}

bool dom_prop_is(xmlNodePtr node, const char *name, const char *value)
{
        _cleanup_(freep) char *v = dom_prop(node, name);
        return v && streq(v, value);
}

char *dom_text(xmlNodePtr node)
{
        if (!node)
                return NULL;
        xmlChar *v = xmlNodeGetContent(node);
        if (!v)
                return NULL;
        char *s = strdup(S(v));
        xmlFree(v);
        return s ? strstrip(s) : NULL;
}

unsigned dom_line(xmlNodePtr node)
{
        long l = node ? xmlGetLineNo(node) : 0;
        return l > 0 ? (unsigned) l : 0;
}

unsigned dom_count(xmlNodePtr parent, const char *name)
{
        unsigned n = 0;
        for (xmlNodePtr c = dom_child(parent, name); c; c = dom_next(c))
                n++;
        return n;
}

/* ---- indentation ---- */

static bool is_blank_text(xmlNodePtr n)
{
        if (!n || n->type != XML_TEXT_NODE)
                return false;
        for (const xmlChar *p = n->content; p && *p; p++)
                if (!isspace(*p))
                        return false;
        return true;
}

/* The indentation of a node: the whitespace after the last newline in the blank text before it. */
static void indent_of(xmlNodePtr node, char *buf, size_t size)
{
        buf[0] = 0;
        if (!node || node->type == XML_DOCUMENT_NODE || !node->parent ||
            node->parent->type == XML_DOCUMENT_NODE)
                return;
        xmlNodePtr prev = node->prev;
        if (is_blank_text(prev)) {
                const char *nl = strrchr(S(prev->content), '\n');
                if (nl) {
                        snprintf(buf, size, "%s", nl + 1);
                        return;
                }
        }
        /* no newline before it: one level deeper than its parent */
        indent_of(node->parent, buf, size);
        size_t l = strlen(buf);
        if (l + 3 < size)
                strcpy(buf + l, "  ");
}

static void child_indent(xmlNodePtr parent, char *buf, size_t size)
{
        for (xmlNodePtr c = parent->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && is_blank_text(c->prev) &&
                    strchr(S(c->prev->content), '\n')) {
                        indent_of(c, buf, size);
                        return;
                }
        indent_of(parent, buf, size);
        size_t l = strlen(buf);
        if (l + 3 < size)
                strcpy(buf + l, "  ");
}

static xmlNodePtr new_text(xmlDocPtr doc, const char *nl_indent)
{
        char buf[256];
        snprintf(buf, sizeof(buf), "\n%s", nl_indent);
        return xmlNewDocText(doc, X(buf));
}

static void insert_indented(xmlNodePtr parent, xmlNodePtr node)
{
        char ci[128], pi[128];
        child_indent(parent, ci, sizeof(ci));
        indent_of(parent, pi, sizeof(pi));
        xmlNodePtr last = parent->last;
        if (!last) {
                xmlAddChild(parent, new_text(parent->doc, ci));
                xmlAddChild(parent, node);
                xmlAddChild(parent, new_text(parent->doc, pi));
        } else if (is_blank_text(last) && strchr(S(last->content), '\n')) {
                /* libxml2 merges adjacent text nodes, so reuse the trailing one as the new node's
                 * indentation and add the closing indentation after it */
                char buf[256];
                snprintf(buf, sizeof(buf), "\n%s", ci);
                xmlNodeSetContent(last, X(buf));
                xmlAddNextSibling(last, node);
                xmlAddNextSibling(node, new_text(parent->doc, pi));
        } else {
                xmlAddChild(parent, new_text(parent->doc, ci));
                xmlAddChild(parent, node);
                xmlAddChild(parent, new_text(parent->doc, pi));
        }
}

xmlNodePtr dom_append(xmlNodePtr parent, const char *name)
{
        xmlNodePtr n = xmlNewDocNode(parent->doc, NULL, X(name), NULL);
        if (!n)
                return NULL;
        insert_indented(parent, n);
        return n;
}

/* libvirt's own order of a domain's children (the order virsh dumpxml prints) */
static const char *const domain_order[] = {
    "name",
    "uuid",
    "genid",
    "title",
    "description",
    "metadata",
    "maxMemory",
    "memory",
    "currentMemory",
    "blkiotune",
    "memtune",
    "memoryBacking",
    "vcpu",
    "vcpus",
    "iothreads",
    "iothreadids",
    "defaultiothread",
    "cputune",
    "numatune",
    "resource",
    "sysinfo",
    "bootloader",
    "bootloader_args",
    "os",
    "idmap",
    "features",
    "cpu",
    "clock",
    "on_poweroff",
    "on_reboot",
    "on_crash",
    "on_lockfailure",
    "pm",
    "perf",
    "devices",
    "seclabel",
    NULL,
};

static int order_index(const char *name)
{
        for (int i = 0; domain_order[i]; i++)
                if (streq(domain_order[i], name))
                        return i;
        return -1;
}

xmlNodePtr dom_ensure_ordered(xmlNodePtr parent, const char *name)
{
        xmlNodePtr n = dom_child(parent, name);
        if (n)
                return n;
        int want = order_index(name);
        xmlNodePtr anchor = NULL;
        if (want >= 0)
                for (xmlNodePtr c = parent->children; c; c = c->next) {
                        if (!is_element(c, NULL))
                                continue;
                        int i = order_index(S(c->name));
                        if (i >= 0 && i < want)
                                anchor = c;
                }
        if (!anchor)
                return dom_append(parent, name);
        n = xmlNewDocNode(parent->doc, NULL, X(name), NULL);
        if (!n)
                return NULL;
        char indent[128];
        indent_of(anchor, indent, sizeof(indent));
        /* element first, then its indentation before it: libxml2 merges adjacent text nodes */
        xmlAddNextSibling(anchor, n);
        xmlAddPrevSibling(n, new_text(parent->doc, indent));
        return n;
}

xmlNodePtr dom_insert_before(xmlNodePtr ref, const char *name)
{
        xmlNodePtr n = xmlNewDocNode(ref->doc, NULL, X(name), NULL);
        if (!n)
                return NULL;
        char indent[128];
        indent_of(ref, indent, sizeof(indent));
        xmlAddPrevSibling(ref, n);
        xmlAddPrevSibling(ref, new_text(ref->doc, indent));
        return n;
}

xmlNodePtr dom_ensure(xmlNodePtr parent, const char *name)
{
        xmlNodePtr n = dom_child(parent, name);
        return n ? n : dom_append(parent, name);
}

void dom_remove(xmlNodePtr node)
{
        if (!node)
                return;
        xmlNodePtr prev = node->prev;
        if (is_blank_text(prev)) {
                xmlUnlinkNode(prev);
                xmlFreeNode(prev);
        }
        xmlNodePtr parent = node->parent;
        xmlUnlinkNode(node);
        xmlFreeNode(node);
        /* an element left with only whitespace becomes empty again */
        if (parent && parent->type == XML_ELEMENT_NODE && parent->children &&
            parent->children == parent->last && is_blank_text(parent->children)) {
                xmlNodePtr t = parent->children;
                xmlUnlinkNode(t);
                xmlFreeNode(t);
        }
}

void dom_remove_all(xmlNodePtr parent, const char *name)
{
        xmlNodePtr c;
        while ((c = dom_child(parent, name)))
                dom_remove(c);
}

int dom_set_prop(xmlNodePtr node, const char *name, const char *value)
{
        return xmlSetProp(node, X(name), X(value)) ? 0 : -ENOMEM;
}

int dom_set_propf(xmlNodePtr node, const char *name, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return dom_set_prop(node, name, buf);
}

void dom_unset_prop(xmlNodePtr node, const char *name)
{
        (void) xmlUnsetProp(node, X(name));
}

int dom_set_text(xmlNodePtr node, const char *text)
{
        xmlChar *enc = xmlEncodeSpecialChars(node->doc, X(text));
        if (!enc)
                return -ENOMEM;
        xmlNodeSetContent(node, enc);
        xmlFree(enc);
        return 0;
}

static void reindent_at(xmlNodePtr node, const char *indent)
{
        bool has_elements = false;
        for (xmlNodePtr c = node->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE || c->type == XML_COMMENT_NODE)
                        has_elements = true;
                else if (c->type == XML_TEXT_NODE && !is_blank_text(c))
                        return; /* mixed content: leave it alone */
        if (!has_elements)
                return;
        xmlNodePtr c = node->children;
        while (c) {
                xmlNodePtr next = c->next;
                if (is_blank_text(c)) {
                        xmlUnlinkNode(c);
                        xmlFreeNode(c);
                }
                c = next;
        }
        char inner[128];
        snprintf(inner, sizeof(inner), "%s  ", indent);
        for (c = node->children; c; c = c->next) {
                xmlAddPrevSibling(c, new_text(node->doc, inner));
                if (c->type == XML_ELEMENT_NODE)
                        reindent_at(c, inner);
        }
        xmlAddChild(node, new_text(node->doc, indent));
}

void dom_reindent(xmlNodePtr node)
{
        char indent[128];
        indent_of(node, indent, sizeof(indent));
        reindent_at(node, indent);
}

/* ---- values ---- */

int dom_parse_memory(xmlNodePtr node, const char *value, uint64_t *ret_bytes)
{
        _cleanup_(freep) char *text = value ? strdup(value) : dom_text(node);
        _cleanup_(freep) char *unit = dom_prop(node, "unit");
        uint64_t v, factor = 1024;
        int r;

        if (!text)
                return -EINVAL;
        strstrip(text);
        r = safe_atou64(text, &v);
        if (r < 0)
                return r;
        if (unit) {
                static const char *const huge[] = {"P", "PB", "PiB", "E", "EB", "EiB"};
                for (size_t i = 0; i < ELEMENTSOF(huge); i++)
                        if (streq(unit, huge[i]))
                                return v == 0 ? (*ret_bytes = 0, 0) : -ERANGE;
                char probe[40];
                snprintf(probe, sizeof(probe), "1%s", unit);
                r = parse_size(probe, 1, &factor);
                if (r < 0)
                        return -EINVAL;
        }
        if (factor && v > UINT64_MAX / factor)
                return -ERANGE;
        *ret_bytes = v * factor;
        return 0;
}

/* ---- parsing ---- */

static unsigned max_depth(xmlNodePtr n, unsigned depth)
{
        unsigned m = depth;
        for (xmlNodePtr c = n->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE) {
                        unsigned d = max_depth(c, depth + 1);
                        if (d > m)
                                m = d;
                        if (m > DOMAIN_DEPTH_MAX)
                                break;
                }
        return m;
}

int domain_name_check(const char *name, char *why, size_t why_size)
{
        if (!name || !*name) {
                snprintf(why, why_size, "is empty");
                return -EINVAL;
        }
        if (strlen(name) > DOMAIN_NAME_MAX) {
                snprintf(why, why_size, "is longer than %u bytes", DOMAIN_NAME_MAX);
                return -EINVAL;
        }
        if (streq(name, ".") || streq(name, "..")) {
                snprintf(why, why_size, "is a path component");
                return -EINVAL;
        }
        for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
                if (*p >= 0x80 || isalnum(*p) || strchr(" ._-+:@,=", *p))
                        continue;
                if (*p < 0x20 || *p == 0x7f)
                        snprintf(why, why_size, "contains a control character (0x%02x)", *p);
                else
                        snprintf(why, why_size,
                                 "contains '%c' (vmslice accepts letters, digits, spaces and "
                                 "._-+:@,= in names)",
                                 *p);
                return -EINVAL;
        }
        return 0;
}

static int check_name(const char *source, const char *name, Error *err)
{
        char why[128];
        if (domain_name_check(name, why, sizeof(why)) < 0)
                return error_input(err, "%s: the domain name '%.64s' %s; rename the domain", source,
                                   name, why);
        return 0;
}

static int check_domain(Domain *d, unsigned flags, Error *err)
{
        const char *src = d->source;
        xmlNodePtr root = d->root;
        int r;

        if (!root || !streq(S(root->name), "domain") || root->ns)
                return error_input(err,
                                   "%s: not a libvirt domain (root element <%s>, want <domain>)",
                                   src, root ? S(root->name) : "none");
        if (max_depth(root, 1) > DOMAIN_DEPTH_MAX)
                return error_input(
                    err, "%s: elements nested deeper than %u levels; not a libvirt domain", src,
                    DOMAIN_DEPTH_MAX);
        xmlNodePtr name = dom_child(root, "name");
        if (!name)
                return error_input(err, "%s: the domain has no <name>", src);
        xmlChar *raw = xmlNodeGetContent(name);
        if (!raw)
                return error_input(err, "%s: the domain has an empty <name>", src);
        d->name = strdup(S(raw));
        xmlFree(raw);
        if (!d->name)
                return error_fail(err, -ENOMEM, "out of memory");
        /* DOMAIN_ANY_NAME takes any name libvirt writes: never an empty one, nor one with a
         * newline (libvirt refuses those) */
        bool any = (flags & DOMAIN_ANY_NAME) && *d->name && !strchr(d->name, '\n');
        if (!any && (r = check_name(src, d->name, err)) < 0)
                return r;

        static const char *const mems[] = {"memory", "currentMemory", "maxMemory"};
        for (size_t i = 0; i < ELEMENTSOF(mems); i++) {
                xmlNodePtr m = dom_child(root, mems[i]);
                uint64_t bytes;
                if (!m)
                        continue;
                r = dom_parse_memory(m, NULL, &bytes);
                if (r == -ERANGE || (r >= 0 && bytes > DOMAIN_MEMORY_MAX))
                        return error_input(err, "%s:%u: <%s> is absurd (more than 64 TiB)", src,
                                           dom_line(m), mems[i]);
                if (r < 0)
                        return error_input(err, "%s:%u: <%s> is not a size with a libvirt unit",
                                           src, dom_line(m), mems[i]);
                /* libvirt sums the guest NUMA cells when <memory> is 0; without cells the
                 * guest would have no memory */
                if (bytes == 0 && i == 0 && !dom_path(root, "cpu/numa/cell"))
                        return error_input(err,
                                           "%s:%u: <memory> is 0 and the domain has no guest NUMA "
                                           "cells; give the guest's memory, like <memory "
                                           "unit='GiB'>8</memory>",
                                           src, dom_line(m));
        }
        xmlNodePtr v = dom_child(root, "vcpu");
        if (v) {
                _cleanup_(freep) char *t = dom_text(v);
                unsigned n;
                r = t ? safe_atou(t, &n) : -EINVAL;
                if (r < 0 || n == 0)
                        return error_input(err, "%s:%u: <vcpu> '%s' is not a vCPU count", src,
                                           dom_line(v), t ? t : "");
                if (n > DOMAIN_VCPUS_MAX)
                        return error_input(err, "%s:%u: <vcpu> %u is absurd (at most %u)", src,
                                           dom_line(v), n, DOMAIN_VCPUS_MAX);
        }
        return 0;
}

static void sanitize_line(char *s)
{
        for (char *p = s; *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t')
                        *p = ' ';
        strstrip(s);
}

int domain_parse_flags(const char *data, size_t size, const char *source, unsigned flags,
                       Domain **ret, Error *err)
{
        _cleanup_(domain_freep) Domain *d = calloc(1, sizeof(Domain));
        if (!d || !(d->source = strdup(source)))
                return error_fail(err, -ENOMEM, "out of memory");
        if (size > DOMAIN_XML_MAX)
                return error_input(err, "%s: %zu bytes is too large for a domain (at most %u MiB)",
                                   source, size, DOMAIN_XML_MAX >> 20);
        if (size > INT32_MAX)
                return error_input(err, "%s: too large", source);

        xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return error_fail(err, -ENOMEM, "out of memory");
        /* no XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR/DTDVALID, no XINCLUDE,
         * no network; libxml2's own limits stay on (no XML_PARSE_HUGE) */
        d->doc = xmlCtxtReadMemory(ctxt, data, (int) size, source, NULL,
                                   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                       XML_PARSE_BIG_LINES);
        if (!d->doc) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                char msg[256] = "not well-formed";
                int line = 0;
                if (e && e->message) {
                        snprintf(msg, sizeof(msg), "%s", e->message);
                        line = e->line;
                }
                sanitize_line(msg);
                /* libxml2's advice is for programs, not for whoever wrote the document */
                char *huge = strstr(msg, " use XML_PARSE_HUGE option");
                if (huge)
                        *huge = 0;
                xmlFreeParserCtxt(ctxt);
                return error_input(err, "%s:%d: not a valid XML document: %s", source, line, msg);
        }
        xmlFreeParserCtxt(ctxt);
        if (d->doc->intSubset || d->doc->extSubset)
                return error_input(err,
                                   "%s: the document has a DOCTYPE; libvirt domains never do, and "
                                   "vmslice does not read DTDs or entities",
                                   source);
        d->root = xmlDocGetRootElement(d->doc);
        size_t skip = 0;
        if (size >= 3 && (unsigned char) data[0] == 0xef && (unsigned char) data[1] == 0xbb &&
            (unsigned char) data[2] == 0xbf)
                skip = 3;
        /* an XML declaration is "<?xml" and white space; "<?xmlfoo" is a processing instruction */
        d->had_decl = size > skip + 5 && memcmp(data + skip, "<?xml", 5) == 0 && data[skip + 5] &&
                      strchr(" \t\r\n", data[skip + 5]);
        /* write attributes back with the quotes the document mostly uses: virsh writes '',
         * virt-install "" */
        size_t single = 0, dbl = 0;
        for (size_t i = 0; i + 1 < size; i++)
                if (data[i] == '=') {
                        single += data[i + 1] == '\'';
                        dbl += data[i + 1] == '"';
                }
        d->quote = dbl > single ? '"' : '\'';
        int r = check_domain(d, flags, err);
        if (r < 0)
                return r;
        d->text = strndup(data, size);
        if (!d->text)
                return error_fail(err, -ENOMEM, "out of memory");
        *ret = TAKE_PTR(d);
        return 0;
}

int domain_parse(const char *data, size_t size, const char *source, Domain **ret, Error *err)
{
        return domain_parse_flags(data, size, source, 0, ret, err);
}

int domain_load_file_flags(const char *path, unsigned flags, Domain **ret, Error *err)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        int r;

        if (streq(path, "-"))
                fd = dup(STDIN_FILENO);
        else
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT
                           ? error_input(err, "cannot read %s: no such file", path)
                           : error_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
        if (!streq(path, "-")) {
                int fl = fcntl(fd, F_GETFL);
                if (fl >= 0)
                        (void) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        }
        const char *shown = streq(path, "-") ? "<stdin>" : path;
        r = read_fd_full(fd, DOMAIN_XML_MAX, &data, &size);
        if (r == -EFBIG)
                return error_input(err, "%s: larger than %u MiB, too large for a domain", shown,
                                   DOMAIN_XML_MAX >> 20);
        if (r == -EISDIR)
                return error_input(err, "cannot read %s: it is a directory", path);
        if (r < 0)
                return error_fail(err, r, "cannot read %s: %s", path, strerror(-r));
        return domain_parse_flags(data, size, shown, flags, ret, err);
}

int domain_load_file(const char *path, Domain **ret, Error *err)
{
        return domain_load_file_flags(path, 0, ret, err);
}

/* ---- writing ---- */

static void put_escaped(SBuf *b, const xmlChar *s, char quote)
{
        bool attr = quote != 0;
        for (const xmlChar *p = s; p && *p; p++)
                switch (*p) {
                case '&':
                        sbuf_append(b, "&amp;");
                        break;
                case '<':
                        sbuf_append(b, "&lt;");
                        break;
                case '>':
                        sbuf_append(b, attr ? ">" : "&gt;");
                        break;
                case '\'':
                        sbuf_append(b, quote == '\'' ? "&apos;" : "'");
                        break;
                case '"':
                        sbuf_append(b, quote == '"' ? "&quot;" : "\"");
                        break;
                case '\n':
                        sbuf_append(b, attr ? "&#10;" : "\n");
                        break;
                case '\r':
                        sbuf_append(b, "&#13;");
                        break;
                case '\t':
                        sbuf_append(b, attr ? "&#9;" : "\t");
                        break;
                default:
                        sbuf_appendf(b, "%c", *p);
                }
}

/* A namespace's URI as libxml2 keeps it without entity substitution: a literal '&' is stored as
 * "&#38;" (the rest decoded); escaped as is, it would grow by one level at every round trip. */
static void put_ns_href(SBuf *b, const xmlChar *href, char quote)
{
        _cleanup_(freep) char *plain = strdup(href ? (const char *) href : "");
        if (!plain)
                return;
        char *w = plain;
        for (const char *r = plain; *r;)
                if (startswith(r, "&#38;")) {
                        *w++ = '&';
                        r += 5;
                } else
                        *w++ = *r++;
        *w = 0;
        put_escaped(b, (const xmlChar *) plain, quote);
}

static void put_qname(SBuf *b, xmlNsPtr ns, const xmlChar *name)
{
        if (ns && ns->prefix)
                sbuf_appendf(b, "%s:", S(ns->prefix));
        sbuf_append(b, S(name));
}

static void put_node(SBuf *b, xmlNodePtr n, char q)
{
        switch (n->type) {
        case XML_ELEMENT_NODE:
                sbuf_append(b, "<");
                put_qname(b, n->ns, n->name);
                for (xmlNsPtr ns = n->nsDef; ns; ns = ns->next) {
                        sbuf_append(b, ns->prefix ? " xmlns:" : " xmlns");
                        if (ns->prefix)
                                sbuf_append(b, S(ns->prefix));
                        sbuf_appendf(b, "=%c", q);
                        put_ns_href(b, ns->href, q);
                        sbuf_appendf(b, "%c", q);
                }
                for (xmlAttrPtr a = n->properties; a; a = a->next) {
                        sbuf_append(b, " ");
                        put_qname(b, a->ns, a->name);
                        sbuf_appendf(b, "=%c", q);
                        /* the value as it is (inLine 1): put_escaped() escapes it, once; with
                         * 0 libxml2 would return it escaped already, non-ASCII as &#x..; */
                        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
                        put_escaped(b, v, q);
                        xmlFree(v);
                        sbuf_appendf(b, "%c", q);
                }
                if (!n->children) {
                        sbuf_append(b, "/>");
                        break;
                }
                sbuf_append(b, ">");
                for (xmlNodePtr c = n->children; c; c = c->next)
                        put_node(b, c, q);
                sbuf_append(b, "</");
                put_qname(b, n->ns, n->name);
                sbuf_append(b, ">");
                break;
        case XML_TEXT_NODE:
                put_escaped(b, n->content, 0);
                break;
        case XML_CDATA_SECTION_NODE:
                sbuf_appendf(b, "<![CDATA[%s]]>", n->content ? S(n->content) : "");
                break;
        case XML_COMMENT_NODE:
                sbuf_appendf(b, "<!--%s-->", n->content ? S(n->content) : "");
                break;
        case XML_PI_NODE:
                sbuf_appendf(b, "<?%s%s%s?>", S(n->name), n->content ? " " : "",
                             n->content ? S(n->content) : "");
                break;
        case XML_ENTITY_REF_NODE:
                sbuf_appendf(b, "&%s;", S(n->name));
                break;
        default:
                break;
        }
}

int domain_format(const Domain *d, char **ret)
{
        SBuf b = {0};
        char q = d->quote ? d->quote : '\'';
        if (d->had_decl)
                sbuf_appendf(&b, "<?xml version=%c1.0%c encoding=%cUTF-8%c?>\n", q, q, q, q);
        for (xmlNodePtr n = d->doc->children; n; n = n->next) {
                put_node(&b, n, q);
                sbuf_append(&b, "\n");
        }
        char *s = sbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
