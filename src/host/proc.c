/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "proc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset-util.h"
#include "parse-util.h"
#include "string-util.h"

/* A stat field: a decimal number, negative ones too (priority, nice, tpgid). */
static bool is_number(const char *s)
{
        if (*s == '-')
                s++;
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

int proc_stat_parse(const char *text, ProcStat *ret)
{
        const char *open = text ? strchr(text, '(') : NULL;
        const char *close = text ? strrchr(text, ')') : NULL;
        if (!open || !close || close < open)
                return -EINVAL;
        ProcStat st = {0};
        size_t len = MIN((size_t) (close - open - 1), sizeof(st.comm) - 1);
        memcpy(st.comm, open + 1, len);
        st.comm[len] = 0;

        _cleanup_(freep) char *rest = strdup(close + 1);
        if (!rest)
                return -ENOMEM;
        char *save = NULL;
        unsigned field = 2;
        for (char *tok = strtok_r(rest, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                field++;
                if (field == 3) {
                        if (strlen(tok) != 1 || !isalpha((unsigned char) tok[0]))
                                return -EINVAL;
                        st.state = tok[0];
                        continue;
                }
                if (!is_number(tok))
                        return -EINVAL;
                uint64_t v = 0;
                bool want = field == 4 || field == 9 || field == 14 || field == 15 || field == 22 ||
                            field == 39 || field == 40 || field == 41;
                if (want && safe_atou64(tok, &v) < 0)
                        return -EINVAL;
                if ((field == 4 || field >= 39) && want && v > UINT_MAX)
                        return -EINVAL;
                switch (field) {
                case 4:
                        st.ppid = (unsigned) v;
                        break;
                case 9:
                        st.flags = (unsigned long) v;
                        break;
                case 14:
                        st.utime = v;
                        break;
                case 15:
                        st.stime = v;
                        break;
                case 22:
                        st.starttime = v;
                        break;
                case 39:
                        st.processor = (unsigned) v;
                        break;
                case 40:
                        st.rt_priority = (unsigned) v;
                        break;
                case 41:
                        st.policy = (unsigned) v;
                        break;
                default:
                        break;
                }
        }
        if (field < 41)
                return -EINVAL;
        *ret = st;
        return 0;
}

int proc_status_cpus_allowed(const char *text, hwloc_bitmap_t ret)
{
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t) (nl - line) : strlen(line);
                const char *v = startswith(line, "Cpus_allowed_list:");
                if (v && (size_t) (v - line) <= n) {
                        _cleanup_(freep) char *list = strndup(v, n - (size_t) (v - line));
                        if (!list)
                                return -ENOMEM;
                        return cpuset_parse_list(strstrip(list), ret);
                }
                line = nl ? nl + 1 : line + n;
        }
        return -ENOENT;
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
