/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "host.h"

/* /proc/PID/stat and /proc/PID/task/TID/stat, read through the host. */

#define PROC_PF_KTHREAD        0x00200000UL /* a kernel thread */
#define PROC_PF_NO_SETAFFINITY 0x04000000UL /* its affinity cannot be changed */

typedef struct ProcStat {
        char state;                   /* field 3: R, S, D, ... */
        unsigned long flags;          /* field 9: PF_* */
        unsigned long long starttime; /* field 22: clock ticks after boot; tells a reused PID */
        int processor;                /* field 39: the CPU it last ran on, -1 when absent */
} ProcStat;

/* Parses the text of a stat file; the comm (field 2) may hold spaces and parentheses, so the
 * fields are counted after the last ')'. -EINVAL when it is not a stat line. */
int proc_stat_parse(const char *text, ProcStat *ret);

/* tid 0: the process's own stat. */
int host_read_proc_stat(Host *h, unsigned pid, unsigned tid, ProcStat *ret);

/* The first process whose comm is name (the lowest PID), or 0 when none runs. */
unsigned host_find_process(Host *h, const char *name);
