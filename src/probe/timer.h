/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "probe.h"

/* The timer probe's loop on the calling thread (already pinned): sets SCHED_FIFO when asked, then
 * sleeps with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) to each next period, as cyclictest
 * does, for cfg->duration_ns or until *cfg->stop. Returns 0, or a negative errno when the
 * scheduling policy cannot be set (c->failed says so). */
int timer_loop(const ProbeConfig *cfg, ProbeCpu *c);

/* Accounts one wake-up: expected_ns is when the timer was due, now_ns when the thread ran. A
 * cycle whose latency is cfg->overflow_us µs or more has its number kept (the first overflow_us
 * of them). Returns the next due time: expected + interval, plus as many more intervals as
 * were missed entirely (counted as overruns). */
uint64_t timer_account(const ProbeConfig *cfg, ProbeCpu *c, uint64_t expected_ns, uint64_t now_ns);
