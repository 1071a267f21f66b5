/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "probe.h"

/* The stall probe's loop on the calling thread (already pinned): reads CLOCK_MONOTONIC as fast as
 * it can for cfg->duration_ns or until *cfg->stop, accounting every gap into c. */
void stall_loop(const ProbeConfig *cfg, ProbeCpu *c);

/* Accounts one gap between two clock reads: gaps above threshold_ns are stolen time and go into
 * the histogram; every gap counts as run time. */
void stall_account(ProbeCpu *c, uint64_t gap_ns, uint64_t threshold_ns);
