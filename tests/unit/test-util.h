/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host.h"
#include "plan.h"
#include "topology.h"

/* Test fixtures: the host trees under tests/data/hosts/NAME.tar.gz (VMSLICE_TEST_DATA). */

/* VMSLICE_TEST_DATA (tests/data). */
const char *test_data_dir(void);
/* A data file's text, tests/data/DIR/NAME (the caller frees); fails the test when unreadable. */
char *test_read_data(const char *dir, const char *name);
/* Replaces the one occurrence of from in text (it must be there exactly once); frees text. */
char *test_replace(char *text, const char *from, const char *to);

/* Names of every fixture host, NULL-terminated, sorted. */
char **fixture_hosts(void);
/* Path of a fixture's tarball (static buffer). */
const char *fixture_tarball(const char *name);
/* A Host for a fixture, unpacked once per test program (removed at exit); do not write to it.
 * Fails the test when it cannot be opened. */
Host *fixture_host(const char *name);
/* A Host on a private copy of a fixture (its own unpacked tarball), for tests that write. */
Host *fixture_host_private(const char *name);
/* Host + topology of a fixture; aborts the test on failure. */
Topology *fixture_topology(const char *name, Host **ret_host);

/* Plans with a request; returns NULL (and fills err) when the planner refuses. */
Plan *plan_or_null(const Topology *t, const PlanRequest *req, Error *err);

/* Validates a domain document against libvirt's domain schema (VMSLICE_DOMAIN_RNG or
 * /usr/share/libvirt/schemas/domain.rng). 0 valid, -ENOENT no schema, -EINVAL with msg. */
int validate_domain_text(const char *text, char *msg, size_t msg_size);
/* Validates a plan's XML, wrapped in a minimal domain, against libvirt's domain schema. Returns
 * 0 when valid, -ENOENT when the schema is not installed, -EINVAL with a message otherwise. */
int validate_plan_xml(const Plan *p, char *msg, size_t msg_size);

/* Formats a set for assertions (static rotating buffers). */
const char *setstr(hwloc_const_bitmap_t set);
