/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>

#include "plan.h"

/* libvirt domain XML for a plan: <vcpu>, <iothreads>, <cputune>, <numatune>, <memory>,
 * <memoryBacking> and <cpu>, the elements to paste into (or merge with) a domain. */

/* Appends the plan's elements as children of a <domain> node. */
int plan_xml_append(const Plan *p, xmlNodePtr domain);

/* A standalone document with root <domain> holding only those elements, serialized with
 * two-space indentation and no XML declaration. */
int plan_xml_format(const Plan *p, char **ret);
