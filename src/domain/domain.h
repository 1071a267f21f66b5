/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

/* A libvirt domain document, read safely and written back in libvirt's own style.
 *
 * Reading: libxml2 with no network, no entity substitution, no DTD loading; documents with a
 * DOCTYPE are refused (libvirt never writes one), as are documents over DOMAIN_XML_MAX bytes,
 * nested deeper than DOMAIN_DEPTH_MAX, whose root is not <domain>, whose name could be a path or
 * break a log line, or whose memory or vCPU count is absurd. All of these are input errors.
 *
 * Writing: every node is kept (elements, attributes, text, comments, CDATA, processing
 * instructions) and attributes are written with the quotes the document used (virsh writes
 * single, virt-install double quotes), so a document read and written unchanged comes back as it
 * was. */

#define DOMAIN_XML_MAX   (8U * 1024 * 1024)
#define DOMAIN_DEPTH_MAX 64U
#define DOMAIN_NAME_MAX  200U

/* The namespace of vmslice's element in <metadata>. */
#define VMSLICE_XMLNS "https://vmslice.org/xmlns/domain/1"

typedef struct Domain {
        xmlDocPtr doc;
        xmlNodePtr root;
        char *source; /* where it came from, for messages: a file name, "<stdin>", "libvirt:NAME" */
        char *name;   /* <name> */
        bool had_decl; /* the text started with an <?xml ...?> declaration */
        char quote;    /* attribute quote to write: the one the document mostly used */
        char *text;    /* the document as it was read, for backups */
} Domain;

/* Parses a document. source names it in messages. */
int domain_parse(const char *data, size_t size, const char *source, Domain **ret, Error *err);
/* Reads a file ("-" for stdin) and parses it. */
int domain_load_file(const char *path, Domain **ret, Error *err);

enum {
        /* accept a name domain_name_check() refuses (still not an empty one or one with a
         * newline, which libvirt never writes): for the hook, which must let a domain that did
         * not opt in start whatever libvirt allowed its name to be, and checks the name of one
         * that did */
        DOMAIN_ANY_NAME = 1U << 0,
};
int domain_parse_flags(const char *data, size_t size, const char *source, unsigned flags,
                       Domain **ret, Error *err);
int domain_load_file_flags(const char *path, unsigned flags, Domain **ret, Error *err);

/* Whether vmslice can use name as a VM name (a state file name, a line of its state, a word in
 * a message): not empty, "." or "..", at most DOMAIN_NAME_MAX bytes, only letters, digits,
 * spaces, ._-+:@,= and non-ASCII bytes. Returns 0, or -EINVAL with what is wrong in why
 * ("contains '/' (...)"). */
int domain_name_check(const char *name, char *why, size_t why_size);
/* Serializes the document. */
int domain_format(const Domain *d, char **ret);
Domain *domain_free(Domain *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Domain *, domain_free)

/* ---- reading nodes ---- */

/* First element child named name (no namespace), or NULL. */
xmlNodePtr dom_child(xmlNodePtr parent, const char *name);
/* Next element sibling after node with the same name, or NULL. */
xmlNodePtr dom_next(xmlNodePtr node);
/* Element at a '/'-separated path of child names below parent ("cputune/emulatorpin"). */
xmlNodePtr dom_path(xmlNodePtr parent, const char *path);
/* Attribute value (borrowed from a per-call static buffer ring is NOT used: caller frees). NULL
 * when absent. */
char *dom_prop(xmlNodePtr node, const char *name);
/* True when the attribute equals value. */
bool dom_prop_is(xmlNodePtr node, const char *name, const char *value);
/* Text content with surrounding whitespace removed (caller frees), NULL when none. */
char *dom_text(xmlNodePtr node);
/* The line of a node in its source document. */
unsigned dom_line(xmlNodePtr node);
/* Counts element children named name. */
unsigned dom_count(xmlNodePtr parent, const char *name);

/* ---- changing nodes, keeping the document's indentation ---- */

/* Appends a new element child (indented like its siblings) and returns it. */
xmlNodePtr dom_append(xmlNodePtr parent, const char *name);
/* Returns the child named name, appending it when absent. */
xmlNodePtr dom_ensure(xmlNodePtr parent, const char *name);
/* Like dom_ensure() for a child of <domain>: a new element goes where libvirt puts it (after
 * <vcpu> for <cputune>, ...), not at the end. */
xmlNodePtr dom_ensure_ordered(xmlNodePtr domain, const char *name);
/* Inserts a new element right before ref, indented like it. */
xmlNodePtr dom_insert_before(xmlNodePtr ref, const char *name);
/* Removes a node and the indentation before it. */
void dom_remove(xmlNodePtr node);
/* Removes every element child named name. */
void dom_remove_all(xmlNodePtr parent, const char *name);
/* Sets (or replaces) an attribute. */
int dom_set_prop(xmlNodePtr node, const char *name, const char *value);
int dom_set_propf(xmlNodePtr node, const char *name, const char *fmt, ...) _printf_(3, 4);
void dom_unset_prop(xmlNodePtr node, const char *name);
/* Replaces the text content. */
int dom_set_text(xmlNodePtr node, const char *text);
/* Re-indents an element's subtree: whitespace-only text is replaced so that the subtree is laid
 * out like the rest of the document (two spaces per level). Used for subtrees vmslice built. */
void dom_reindent(xmlNodePtr node);

/* ---- values ---- */

/* <memory>/<currentMemory>/cell memory with libvirt's unit attribute (default KiB) in bytes.
 * Returns -EINVAL for garbage, -ERANGE for overflow. */
int dom_parse_memory(xmlNodePtr node, const char *attr_value_or_null, uint64_t *ret_bytes);
