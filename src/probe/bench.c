/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "string-util.h"

int bench_probe(Host *h, const ProbeConfig *cfg, hwloc_const_bitmap_t cpus, BenchProbe *ret,
                Error *err)
{
        _cleanup_(interrupts_freep) Interrupts *before = NULL, *after = NULL;
        _cleanup_(probe_result_freep) ProbeResult *res = NULL;
        int r = interrupts_read(h, &before, err);
        if (r < 0)
                return r;
        r = probe_run(cfg, cpus, &res, err);
        if (r < 0)
                return r;
        r = interrupts_read(h, &after, err);
        if (r < 0)
                return r;
        IrqDeltas d = {0};
        r = interrupts_delta(before, after, cpus, &d);
        if (r < 0)
                return error_fail(err, r, "out of memory");
        *ret = (BenchProbe){.result = TAKE_PTR(res), .irqs = d};
        return 0;
}

void bench_probe_done(BenchProbe *p)
{
        probe_result_free(p->result);
        irq_deltas_done(&p->irqs);
        *p = (BenchProbe){0};
}

void bench_cgroup_done(BenchCgroup *c)
{
        free(c->mount);
        free(c->path);
        *c = (BenchCgroup){0};
}

/* "ID:controllers:path" lines; v2 is "0::path". */
static char *cgroup_path_of(char *text, bool v2)
{
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || c2[1] != '/')
                        continue;
                *c2 = 0;
                const char *controllers = c1 + 1;
                bool match = false;
                if (v2)
                        match = streq(line, "0:") && !*controllers;
                else {
                        _cleanup_(freep) char *list = strdup(controllers);
                        char *s2 = NULL;
                        for (char *c = list ? strtok_r(list, ",", &s2) : NULL; c && !match;
                             c = strtok_r(NULL, ",", &s2))
                                match = streq(c, "cpuset");
                }
                if (match)
                        return strdup(c2 + 1);
        }
        return NULL;
}

int bench_cgroup_get(Host *h, pid_t pid, BenchCgroup *ret, Error *err)
{
        *ret = (BenchCgroup){0};
        bool v2 = host_exists(h, "/sys/fs/cgroup/cgroup.controllers");
        if (!v2 && !host_exists(h, "/sys/fs/cgroup/cpuset/cpuset.cpus"))
                return 0;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        _cleanup_(freep) char *text = NULL;
        int r = host_read_file(h, path, 1024 * 1024, &text);
        if (r < 0)
                return error_fail(err, r, "cannot read %s: %s", path, strerror(-r));
        ret->path = cgroup_path_of(text, v2);
        if (!ret->path)
                return error_fail(err, -ENOENT, "%s names no %s cgroup", path,
                                  v2 ? "cgroup v2" : "cpuset");
        ret->mount = strdup(v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpuset");
        if (!ret->mount) {
                bench_cgroup_done(ret);
                return error_fail(err, -ENOMEM, "out of memory");
        }
        return 0;
}

int bench_cgroup_move(Host *h, pid_t pid, const BenchCgroup *where, const char *path, Error *err)
{
        if (!where->mount)
                return 0;
        _cleanup_(freep) char *procs =
            strdup_printf("%s%s/cgroup.procs", where->mount, streq(path, "/") ? "" : path);
        char num[16];
        if (!procs)
                return error_fail(err, -ENOMEM, "out of memory");
        if (!host_exists(h, procs))
                return 0;
        snprintf(num, sizeof(num), "%d", (int) pid);
        int r = host_write_file(h, procs, num);
        if (r < 0)
                return error_fail(err, r, "cannot move process %d into %s: %s", (int) pid, procs,
                                  strerror(-r));
        return 0;
}

int bench_dma_latency_hold(Host *h, int *ret_fd, Error *err)
{
        int fd = host_open(h, "/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC, 0);
        if (fd < 0)
                return error_fail(err, fd,
                                  "cannot open /dev/cpu_dma_latency: %s; leave out "
                                  "--dma-latency or run as root",
                                  strerror(-fd));
        int32_t zero = 0;
        if (write(fd, &zero, sizeof(zero)) != (ssize_t) sizeof(zero)) {
                int r = -errno;
                close(fd);
                return error_fail(err, r, "cannot write /dev/cpu_dma_latency: %s", strerror(-r));
        }
        *ret_fd = fd;
        return 0;
}
