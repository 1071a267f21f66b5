/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>

#include "error.h"
#include "host.h"

/* irqbalance moves IRQs every 10 s and would put them back on the VMs' CPUs. Its control socket
 * (/run/irqbalance/irqbalance<PID>.sock, the one irqbalance-ui uses; root only) changes the CPUs
 * it keeps IRQs off while it runs: "settings cpus LIST" bans LIST, "settings cpus NULL" returns to
 * its own choice (IRQBALANCE_BANNED_CPULIST, else the isolated and nohz_full CPUs), "setup"
 * answers "SLEEP n ... BANNED <cpumask>". The socket is reached through the host's root. */

/* A running irqbalance: its pid and start time (to tell a restarted one). Returns 1 when found,
 * 0 when none runs. */
int irqbalance_find(Host *h, unsigned *ret_pid, unsigned long long *ret_start);

/* The CPUs irqbalance keeps IRQs off now. */
int irqbalance_get_banned(Host *h, unsigned pid, hwloc_bitmap_t ret, Error *err);

/* Bans set (NULL: irqbalance's own choice again). */
int irqbalance_set_banned(Host *h, unsigned pid, hwloc_const_bitmap_t set, Error *err);
