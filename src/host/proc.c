/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"
#include "string-util.h"

int proc_stat_parse(const char *text, ProcStat *ret)
{
        const char *p = strrchr(text, ')');
        if (!p || !strchr(text, '('))
                return -EINVAL;
        *ret = (ProcStat){.processor = -1};
        /* after ") ": state(3) ppid pgrp session tty tpgid flags(9) ... starttime(22) ...
         * processor(39) */
        unsigned field = 2;
        for (p++; *p;) {
                while (*p == ' ')
                        p++;
                if (!*p || *p == '\n')
                        break;
                field++;
                char *end;
                if (field == 3)
                        ret->state = *p;
                else if (field == 9)
                        ret->flags = strtoul(p, &end, 10);
                else if (field == 22)
                        ret->starttime = strtoull(p, &end, 10);
                else if (field == 39)
                        ret->processor = (int) strtol(p, &end, 10);
                while (*p && *p != ' ' && *p != '\n')
                        p++;
        }
        return field >= 22 ? 0 : -EINVAL;
}

int host_read_proc_stat(Host *h, unsigned pid, unsigned tid, ProcStat *ret)
{
        _cleanup_(freep) char *text = NULL;
        int r = tid ? host_read_linef(h, &text, "/proc/%u/task/%u/stat", pid, tid)
                    : host_read_linef(h, &text, "/proc/%u/stat", pid);
        if (r < 0)
                return r;
        return proc_stat_parse(text, ret);
}

unsigned host_find_process(Host *h, const char *name)
{
        _cleanup_(strv_freep) char **pids = NULL;
        if (host_list_dir(h, "/proc", &pids) < 0)
                return 0;
        unsigned best = 0;
        for (char **i = pids; *i; i++) {
                unsigned pid;
                _cleanup_(freep) char *comm = NULL;
                if (safe_atou(*i, &pid) < 0 || pid == 0 || (best && pid > best) ||
                    host_read_linef(h, &comm, "/proc/%u/comm", pid) < 0 || !streq(comm, name))
                        continue;
                best = pid;
        }
        return best;
}
