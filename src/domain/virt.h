/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain.h"

/* The libvirt client API, for domains named on the command line. Never used from the hook
 * (libvirt forbids calling back into libvirtd from a hook). */

typedef struct Virt Virt;

#define VIRT_DEFAULT_URI "qemu:///system"

int virt_open(const char *uri, Virt **ret, Error *err);
Virt *virt_close(Virt *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(Virt *, virt_close)

/* The persistent (inactive) definition of a domain, secrets included so a redefinition keeps
 * them. */
int virt_load_domain(Virt *v, const char *name, Domain **ret, Error *err);
/* The live definition of a running domain (its pins as libvirt applied them); an input error when
 * the domain does not exist or is not running. */
int virt_load_live_domain(Virt *v, const char *name, Domain **ret, Error *err);
/* Defines (creates or replaces) a domain from XML. */
int virt_define(Virt *v, const char *xml, Error *err);
/* Names of every defined domain (persistent ones), a strv. */
int virt_list_domains(Virt *v, char ***ret, Error *err);
