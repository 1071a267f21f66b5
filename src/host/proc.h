/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "host.h"

/* /proc/PID/stat and /proc/PID/task/TID/stat, read through the host. */

#define PROC_PF_NO_SETAFFINITY 0x04000000UL /* its affinity cannot be changed */
/* PF_KTHREAD in the flags of /proc/PID/stat: a kernel thread. */
#define PROC_PF_KTHREAD 0x00200000UL

/* The fields of /proc/PID/task/TID/stat vmslice uses. */
typedef struct ProcStat {
        char comm[64];         /* field 2, without its parentheses */
        char state;            /* field 3: R, S, D, ... */
        unsigned ppid;         /* field 4 */
        unsigned long flags;   /* field 9: PF_* */
        uint64_t utime, stime; /* fields 14 and 15, clock ticks */
        uint64_t starttime;    /* field 22, clock ticks after boot */
        unsigned processor;    /* field 39: the CPU it last ran on */
        unsigned rt_priority;  /* field 40 */
        unsigned policy;       /* field 41: SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2, ... */
} ProcStat;

/* Parses a stat line. The comm (field 2) may hold spaces and parentheses: the fields after it are
 * read after the last ')'. Returns 0, or -EINVAL for a line that is malformed or ends before
 * field 41. */
int proc_stat_parse(const char *text, ProcStat *ret);

/* The Cpus_allowed_list of a /proc/PID/status text into ret. Returns 0, -ENOENT when the text has
 * no such line, -EINVAL/-ERANGE when its list is malformed. */
int proc_status_cpus_allowed(const char *text, hwloc_bitmap_t ret);

/* tid 0: the process's own stat. */
int host_read_proc_stat(Host *h, unsigned pid, unsigned tid, ProcStat *ret);

/* The first process whose comm is name (the lowest PID), or 0 when none runs. */
unsigned host_find_process(Host *h, const char *name);
