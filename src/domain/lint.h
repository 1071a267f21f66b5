/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain.h"
#include "topology.h"

/* `vmslice lint`: a domain reviewed against the practices of the seeds and the libvirt/QEMU
 * documentation, as a VFIO expert would, with fixes for what is safe to change. */

typedef enum LintSeverity {
        LINT_INFO = 0,
        LINT_WARNING,
        LINT_ERROR,
} LintSeverity;

const char *lint_severity_to_string(LintSeverity s);

typedef struct LintRule {
        const char *id; /* kebab-case, stable: "disk-cache" */
        LintSeverity severity;
        const char *summary; /* one line: what the rule checks */
        const char *why;     /* short why, with its source (seed or libvirt/QEMU docs) */
        bool fixable;        /* --fix can fix it safely */
} LintRule;

typedef struct LintFinding {
        const LintRule *rule;
        unsigned line; /* line in the domain document, 0 when not tied to an element */
        char *message; /* one line, specific ("vCPU 3 is pinned to 2-5, a set") */
        bool fixable;  /* --fix can fix this finding here: the rule is fixable and, for the
                        * placement rules, the planner accepts the domain on this host */
} LintFinding;

typedef struct LintResult {
        LintFinding *findings;
        unsigned n;
        char **notes; /* strv: why some findings cannot be fixed here (the planner's message) */
} LintResult;

/* Host facts lint needs besides the topology. */
typedef struct LintHost {
        const Topology *topology;
        long rt_runtime_us; /* /proc/sys/kernel/sched_rt_runtime_us, -1 = unlimited */
        bool rt_known;
        hwloc_const_bitmap_t exclude; /* CPUs of other VMs vmslice manages (may be NULL) */
} LintHost;

/* All rules, in report order. */
const LintRule *lint_rules(size_t *ret_n);
const LintRule *lint_rule_find(const char *id);

/* Reviews a domain. Findings are sorted by line. */
int lint_domain(const Domain *d, const LintHost *host, LintResult *ret, Error *err);
void lint_result_done(LintResult *r);
/* The worst severity among findings, or -1 when there are none. */
int lint_worst(const LintResult *r);

/* Fixes the fixable findings in place. CPU, NUMA and memory placement findings are fixed together
 * by planning the domain as `vmslice apply` does (with its defaults); the others one by one.
 * *ret_fixed receives the ids of the rules it fixed (strv). */
int lint_fix(Domain *d, const LintHost *host, const LintResult *found, char ***ret_fixed,
             Error *err);
/* The same, and *ret_notes (strv, may be NULL) says what could not be fixed and why, e.g. the
 * planner's refusal ("need 6 cores ... for 12 vCPUs ..."), in which case the placement rules are
 * not in *ret_fixed. A rule is in *ret_fixed only when a lint of the fixed domain no longer
 * reports it. */
int lint_fix_full(Domain *d, const LintHost *host, const LintResult *found, char ***ret_fixed,
                  char ***ret_notes, Error *err);
