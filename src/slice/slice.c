/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "slice.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpuset-util.h"
#include "irqbalance.h"
#include "parse-util.h"
#include "proc.h"
#include "string-util.h"

void slice_policy_default(SlicePolicy *p)
{
        SliceSettings s;
        slice_settings_default(&s); /* one place for the defaults: the settings file's */
        slice_policy_from_settings(&s, p);
}

void slice_policy_from_settings(const SliceSettings *s, SlicePolicy *p)
{
        *p = (SlicePolicy){
            .hugepages = s->hugepages,
            .isolate = s->isolate,
            .workqueues = s->workqueues,
            .irqs = s->irqs,
            .stat_interval = s->stat_interval,
            .watchdog_off = s->watchdog_off,
            .timer_migration_off = s->timer_migration_off,
            .thp = s->thp == SLICE_THP_NEVER     ? THP_NEVER
                   : s->thp == SLICE_THP_MADVISE ? THP_MADVISE
                   : s->thp == SLICE_THP_ALWAYS  ? THP_ALWAYS
                                                 : THP_LEAVE,
            .ksm_off = s->ksm_off,
            .governor_performance = s->governor_performance,
            .cstate_max_latency_us =
                s->cstates_shallow ? (int) MIN(s->cstate_max_latency_us, 1000000U) : -1,
            .compact_tries = s->compact_tries,
            .compact_timeout_ms = s->compact_timeout_ms,
            .drop_caches = s->drop_caches,
            .irqbalance = s->irqbalance == SLICE_IRQBALANCE_BAN    ? IRQBALANCE_BAN
                          : s->irqbalance == SLICE_IRQBALANCE_STOP ? IRQBALANCE_STOP
                                                                   : IRQBALANCE_LEAVE,
            .partition = s->partition,
        };
}

void slice_report_done(SliceReport *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->changes[i].path);
                free(r->changes[i].from);
                free(r->changes[i].to);
                free(r->changes[i].note);
        }
        free(r->changes);
        strv_free(r->notes);
        *r = (SliceReport){0};
}

static void report_change(SliceReport *r, const char *path, const char *from, const char *to,
                          const char *note)
{
        if (!r)
                return;
        SliceChange *n = realloc(r->changes, sizeof(SliceChange) * (r->n + 1));
        if (!n)
                return;
        r->changes = n;
        r->changes[r->n++] = (SliceChange){
            .path = strdup(path),
            .from = from ? strdup(from) : NULL,
            .to = to ? strdup(to) : NULL,
            .note = note ? strdup(note) : NULL,
        };
}

static void report_note(SliceReport *r, const char *fmt, ...) _printf_(2, 3);
static void report_note(SliceReport *r, const char *fmt, ...)
{
        if (!r)
                return;
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s && !strv_contains(r->notes, s))
                (void) strv_push(&r->notes, s);
        else
                free(s);
}

/* Values are written as `echo VALUE > FILE` writes them, with a newline. */
static int write_value(Host *h, const char *path, const char *value)
{
        _cleanup_(freep) char *line = strdup_printf("%s\n", value);
        return line ? host_write_file(h, path, line) : -ENOMEM;
}

/* ---- knobs ---- */

typedef enum KnobKind {
        KNOB_PLAIN,     /* a value compared as text */
        KNOB_THP,       /* "always [madvise] never": the bracketed word */
        KNOB_MASK,      /* a kernel cpumask */
        KNOB_LIST,      /* a kernel CPU list */
        KNOB_HUGEPAGES, /* a page count the kernel may not fully grant */
        KNOB_SHIELD,    /* cgroup v1: the cpuset holding the host's tasks, as `cset shield` makes */
        KNOB_KTHREAD,   /* a kernel thread's CPU affinity: "kthread:PID:STARTTIME" */
        KNOB_SYSTEMD,   /* a unit's AllowedCPUs= through systemd: "systemd:UNIT" */
        KNOB_IRQBALANCE, /* the CPUs irqbalance bans: "irqbalance:PID:STARTTIME" */
        KNOB_UNIT,       /* a unit systemd stops while VMs run: "unit:NAME", "inactive" */
        KNOB_PARTITION,  /* cpuset.cpus.partition; reads "isolated invalid (why)" if refused */
} KnobKind;

/* The cgroup holding the host's tasks (as `cset shield` makes): cgroup v1's cpuset hierarchy, or
 * a cgroup v2 tree without systemd where processes live in the root cgroup. */
#define CPUSET_V1     "/sys/fs/cgroup/cpuset"
#define SHIELD_DIR    CPUSET_V1 "/vmslice.host"
#define CGROUP_V2     "/sys/fs/cgroup"
#define SHIELD_V2     CGROUP_V2 "/vmslice.host"
#define SHIELD_ABSENT "(absent)" /* the original of a cgroup vmslice created */
#define UNSET         "(unset)"  /* the original of an AllowedCPUs= that was not set */

typedef struct Shield {
        const char *dir, *parent;
        const char *procs; /* the file tasks move through */
        bool v1;           /* cgroup v1 needs cpuset.mems set before tasks enter */
} Shield;

static const Shield shields[] = {
    {SHIELD_DIR, CPUSET_V1, "tasks", true},
    {SHIELD_V2, CGROUP_V2, "cgroup.procs", false},
};

static const Shield *shield_of(const char *path)
{
        for (size_t i = 0; i < ELEMENTSOF(shields); i++)
                if (streq(path, shields[i].dir))
                        return &shields[i];
        return NULL;
}

typedef struct Knob {
        char *path;
        char *value;
        KnobKind kind;
} Knob;

typedef struct Targets {
        Knob *k;
        size_t n;
        bool oom;
} Targets;

static void targets_done(Targets *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->k[i].path);
                free(t->k[i].value);
        }
        free(t->k);
        *t = (Targets){0};
}

static void target_add(Targets *t, KnobKind kind, char *path, char *value)
{
        Knob *n = path && value ? realloc(t->k, sizeof(Knob) * (t->n + 1)) : NULL;
        if (!n) {
                free(path);
                free(value);
                t->oom = true;
                return;
        }
        t->k = n;
        t->k[t->n++] = (Knob){path, value, kind};
}

static const Knob *target_find(const Targets *t, const char *path)
{
        for (size_t i = 0; i < t->n; i++)
                if (streq(t->k[i].path, path))
                        return &t->k[i];
        return NULL;
}

/* The value of a file as it can be written back. */
static int read_writable(Host *h, const char *path, KnobKind kind, char **ret)
{
        _cleanup_(freep) char *s = NULL;
        int r = host_read_line(h, path, &s);
        if (r < 0)
                return r;
        if (kind == KNOB_THP) {
                char *a = strchr(s, '['), *b = a ? strchr(a, ']') : NULL;
                if (a && b) {
                        *b = 0;
                        memmove(s, a + 1, strlen(a + 1) + 1);
                }
        }
        *ret = TAKE_PTR(s);
        return 0;
}

static bool same_value(KnobKind kind, const char *a, const char *b)
{
        if (kind == KNOB_MASK || kind == KNOB_LIST) {
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t x = hwloc_bitmap_alloc(),
                                                             y = hwloc_bitmap_alloc();
                if (!x || !y)
                        return false;
                int (*parse)(const char *, hwloc_bitmap_t) =
                    kind == KNOB_MASK ? cpuset_parse_mask : cpuset_parse_list;
                if (parse(a, x) < 0 || parse(b, y) < 0)
                        return streq(a, b);
                return hwloc_bitmap_isequal(x, y);
        }
        return streq(a, b);
}

static unsigned mask_words(Host *h, const char *path)
{
        _cleanup_(freep) char *s = NULL;
        unsigned w = 1;
        if (host_read_line(h, path, &s) >= 0)
                for (char *p = s; *p; p++)
                        w += *p == ',';
        return w;
}

static void add_mask(Targets *t, Host *h, const char *path, hwloc_const_bitmap_t set)
{
        if (!host_exists(h, path))
                return;
        target_add(t, KNOB_MASK, strdup(path), cpuset_format_mask(set, mask_words(h, path)));
}

static void add_plain(Targets *t, Host *h, const char *path, const char *value)
{
        if (!host_exists(h, path))
                return;
        target_add(t, KNOB_PLAIN, strdup(path), strdup(value));
}

static void add_irqs(Targets *t, Host *h, State *st, hwloc_const_bitmap_t vm,
                     hwloc_const_bitmap_t host)
{
        _cleanup_(strv_freep) char **irqs = NULL;
        if (host_list_dir(h, "/proc/irq", &irqs) < 0)
                return;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t base = hwloc_bitmap_alloc();
        if (!base) {
                t->oom = true;
                return;
        }
        for (char **i = irqs; *i; i++) {
                unsigned n;
                if (safe_atou(*i, &n) < 0)
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", n);
                const char *orig = state_original(st, path);
                _cleanup_(freep) char *cur = NULL;
                if (!orig && host_read_line(h, path, &cur) < 0)
                        continue;
                if (cpuset_parse_list(orig ? orig : cur, base) < 0)
                        continue;
                /* keep the IRQ where it was, minus the VM's CPUs; all host CPUs if nothing is left
                 */
                if (!hwloc_bitmap_intersects(base, vm) && !orig)
                        continue;
                hwloc_bitmap_andnot(base, base, vm);
                if (hwloc_bitmap_iszero(base))
                        hwloc_bitmap_copy(base, host);
                target_add(t, KNOB_LIST, strdup(path), cpuset_format_list(base));
        }
}

static void add_cpu_knobs(Targets *t, Host *h, hwloc_const_bitmap_t vm, const SlicePolicy *p)
{
        int cpu;
        hwloc_bitmap_foreach_begin (cpu, vm) {
                char path[160];
                if (p->governor_performance) {
                        _cleanup_(freep) char *avail = NULL;
                        snprintf(
                            path, sizeof(path),
                            "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_available_governors",
                            cpu);
                        if (host_read_line(h, path, &avail) >= 0 && strstr(avail, "performance")) {
                                snprintf(path, sizeof(path),
                                         "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
                                         cpu);
                                add_plain(t, h, path, "performance");
                        }
                }
                if (p->cstate_max_latency_us >= 0)
                        for (unsigned s = 0; s < 16; s++) {
                                uint64_t lat;
                                snprintf(path, sizeof(path),
                                         "/sys/devices/system/cpu/cpu%d/cpuidle/state%u/latency",
                                         cpu, s);
                                if (host_read_u64(h, path, &lat) < 0)
                                        break;
                                if (lat <= (uint64_t) p->cstate_max_latency_us)
                                        continue;
                                snprintf(path, sizeof(path),
                                         "/sys/devices/system/cpu/cpu%d/cpuidle/state%u/disable",
                                         cpu, s);
                                add_plain(t, h, path, "1");
                        }
        }
        hwloc_bitmap_foreach_end();
}

/* The units systemd keeps the host's tasks in (libvirt's VMs are in machine.slice). */
static const char *const host_units[] = {"init.scope", "system.slice", "user.slice"};

/* cgroup v2: systemd's AllowedCPUs= of the host's units when systemd is PID 1 (it owns the tree
 * and would undo a cpuset written behind its back); without systemd, cpuset.cpus of every
 * top-level cgroup but libvirt's machine partition, and the root cgroup's processes moved into a
 * host cgroup. */
static void add_cgroup_v2(Targets *t, Host *h, hwloc_const_bitmap_t host, SliceReport *rep)
{
        _cleanup_(freep) char *controllers = NULL, *subtree = NULL;
        if (host_read_line(h, CGROUP_V2 "/cgroup.controllers", &controllers) < 0)
                return;
        if (!strstr(controllers, "cpuset")) {
                report_note(rep, "cgroup v2 without the cpuset controller: host tasks are not kept "
                                 "off the VM CPUs");
                return;
        }
        Systemd *sd = NULL;
        Error e = {0};
        if (host_systemd(h, &sd, &e) < 0)
                report_note(rep,
                            "systemd is PID 1 but %s: the cgroups' cpuset.cpus are written "
                            "directly, and systemd may undo that at its next daemon-reload",
                            e.msg);
        if (sd) {
                for (size_t i = 0; i < ELEMENTSOF(host_units); i++)
                        target_add(t, KNOB_SYSTEMD, strdup_printf("systemd:%s", host_units[i]),
                                   cpuset_format_list(host));
                return;
        }
        if (host_read_line(h, CGROUP_V2 "/cgroup.subtree_control", &subtree) < 0 ||
            !strstr(subtree, "cpuset")) {
                report_note(rep,
                            "cpuset is not enabled in /sys/fs/cgroup/cgroup.subtree_control: host "
                            "tasks are not kept off the VM CPUs");
                return;
        }
        _cleanup_(strv_freep) char **groups = NULL;
        if (host_list_dir(h, CGROUP_V2, &groups) < 0)
                return;
        for (char **g = groups; *g; g++) {
                /* libvirt's partition (machine.slice, or /machine without systemd) keeps the
                 * VMs' CPUs; vmslice's own host cgroup is a target of its own */
                if (startswith(*g, "machine") || streq(*g, "vmslice.host"))
                        continue;
                _cleanup_(freep) char *path = strdup_printf(CGROUP_V2 "/%s/cpuset.cpus", *g);
                if (path && host_exists(h, path))
                        target_add(t, KNOB_LIST, TAKE_PTR(path), cpuset_format_list(host));
        }
        /* processes in the root cgroup (no systemd to put them in slices) */
        _cleanup_(freep) char *procs = NULL;
        bool user_tasks = false;
        if (host_read_file(h, CGROUP_V2 "/cgroup.procs", HOST_READ_MAX, &procs) >= 0) {
                char *save = NULL;
                for (char *tok = strtok_r(procs, "\n", &save); tok && !user_tasks;
                     tok = strtok_r(NULL, "\n", &save)) {
                        unsigned pid;
                        ProcStat ps;
                        if (safe_atou(strstrip(tok), &pid) >= 0 &&
                            host_read_proc_stat(h, pid, 0, &ps) >= 0 &&
                            !(ps.flags & PROC_PF_KTHREAD))
                                user_tasks = true;
                }
        }
        if (user_tasks || host_exists(h, SHIELD_V2))
                target_add(t, KNOB_SHIELD, strdup(SHIELD_V2), cpuset_format_list(host));
}

/* The cgroup v2 directory holding a running VM's vCPU cgroups (".../libvirt"), from the cgroup
 * of its QEMU process (/run/libvirt/qemu/NAME.pid, "0::/machine.slice/...scope/libvirt/emulator"
 * in /proc/PID/cgroup). NULL when the VM does not run (prepare begin) or the layout is another. */
static char *vm_libvirt_cgroup(Host *h, const char *name)
{
        uint64_t pid;
        _cleanup_(freep) char *cg = NULL;
        if (host_read_u64f(h, &pid, "/run/libvirt/qemu/%s.pid", name) < 0 || pid == 0 ||
            host_read_linef(h, &cg, "/proc/%llu/cgroup", (unsigned long long) pid) < 0 ||
            !startswith(cg, "0::/"))
                return NULL;
        char *last = strrchr(cg, '/');
        if (!last || last == cg + 3)
                return NULL;
        *last = 0;
        if (!endswith(cg, "/libvirt") || strstr(cg, "/../") || strstr(cg, "\n"))
                return NULL;
        return strdup_printf(CGROUP_V2 "%s", cg + 3);
}

/* Optional (partition = yes): each running VM's vCPU cgroups (libvirt/vcpuN, holding libvirt's
 * pin as cpuset.cpus) become isolated partitions: their CPUs leave the scheduler's load balancing
 * as with isolcpus, without a reboot. They are remote partitions (kernel 6.7+): the CPUs are
 * handed down through cpuset.cpus.exclusive of every cgroup from libvirt's partition down, and
 * the VM's cgroups vanish when it stops, taking their settings with them. */
/* A running VM's libvirt/ cgroup, with its vCPU cgroups (vcpuN, holding libvirt's pin as
 * cpuset.cpus) whose pins lie in the VM's CPUs in *ret_vcpus and the union of those pins in vm.
 * NULL when the VM does not run, the kernel has no cpuset.cpus.exclusive (said in rep), or no
 * vCPU cgroup qualifies. */
static char *vm_vcpus(Host *h, const SliceSpec *spec, char ***ret_vcpus, hwloc_bitmap_t vm,
                      SliceReport *rep)
{
        _cleanup_(freep) char *dir = vm_libvirt_cgroup(h, spec->name);
        _cleanup_(freep) char *excl = dir ? strdup_printf("%s/cpuset.cpus.exclusive", dir) : NULL;
        _cleanup_(strv_freep) char **kids = NULL, **vcpus = NULL;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t pin = hwloc_bitmap_alloc();
        hwloc_bitmap_zero(vm);
        if (!excl || !pin)
                return NULL;
        if (!host_exists(h, excl)) {
                report_note(rep,
                            "partition = yes: this kernel has no cpuset.cpus.exclusive (6.7 or "
                            "later has it); '%s' runs without isolated partitions",
                            spec->name);
                return NULL;
        }
        if (host_list_dir(h, dir, &kids) < 0)
                return NULL;
        for (char **k = kids; *k; k++) {
                if (!startswith(*k, "vcpu") ||
                    host_read_cpusetf(h, pin, "%s/%s/cpuset.cpus", dir, *k) < 0 ||
                    hwloc_bitmap_iszero(pin) || !hwloc_bitmap_isincluded(pin, spec->cpus))
                        continue;
                hwloc_bitmap_or(vm, vm, pin);
                if (strv_push(&vcpus, strdup(*k)) < 0)
                        return NULL;
        }
        if (!vcpus)
                return NULL;
        *ret_vcpus = TAKE_PTR(vcpus);
        return TAKE_PTR(dir);
}

/* Optional (partition = yes): each running VM's vCPU cgroups become isolated partitions: their
 * CPUs leave the scheduler's load balancing as with isolcpus, without a reboot. They are remote
 * partitions (kernel 6.7+): the CPUs are handed down through cpuset.cpus.exclusive of every
 * cgroup from libvirt's partition (machine.slice, the first level) down, ancestors first, and
 * the VM's cgroups vanish when it stops, taking their settings with them. */
static void add_partitions(Targets *t, Host *h, SliceSpec *const *vms, size_t n, SliceReport *rep)
{
        if (!host_exists(h, CGROUP_V2 "/cgroup.controllers"))
                return;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t all = hwloc_bitmap_alloc(),
                                                     one = hwloc_bitmap_alloc(),
                                                     pin = hwloc_bitmap_alloc();
        _cleanup_(freep) char *top = NULL;
        if (!all || !one || !pin) {
                t->oom = true;
                return;
        }
        const size_t base = strlen(CGROUP_V2) + 1;
        for (size_t v = 0; v < n; v++) {
                _cleanup_(strv_freep) char **vcpus = NULL;
                _cleanup_(freep) char *dir = vm_vcpus(h, vms[v], &vcpus, one, rep);
                const char *slash = dir ? strchr(dir + base, '/') : NULL;
                if (!slash)
                        continue;
                hwloc_bitmap_or(all, all, one);
                if (!top)
                        top = strndup(dir, (size_t) (slash - dir));
        }
        if (!top)
                return;
        target_add(t, KNOB_LIST, strdup_printf("%s/cpuset.cpus.exclusive", top),
                   cpuset_format_list(all));
        for (size_t v = 0; v < n; v++) {
                _cleanup_(strv_freep) char **vcpus = NULL;
                _cleanup_(freep) char *dir = vm_vcpus(h, vms[v], &vcpus, one, NULL);
                const char *slash = dir ? strchr(dir + base, '/') : NULL;
                if (!slash)
                        continue;
                /* the cgroups between libvirt's partition and libvirt/, libvirt/, its vCPUs */
                for (const char *p = strchr(slash + 1, '/'); p; p = strchr(p + 1, '/'))
                        target_add(
                            t, KNOB_LIST,
                            strdup_printf("%.*s/cpuset.cpus.exclusive", (int) (p - dir), dir),
                            cpuset_format_list(one));
                target_add(t, KNOB_LIST, strdup_printf("%s/cpuset.cpus.exclusive", dir),
                           cpuset_format_list(one));
                for (char **k = vcpus; *k; k++) {
                        if (host_read_cpusetf(h, pin, "%s/%s/cpuset.cpus", dir, *k) < 0)
                                continue;
                        target_add(t, KNOB_LIST,
                                   strdup_printf("%s/%s/cpuset.cpus.exclusive", dir, *k),
                                   cpuset_format_list(pin));
                        target_add(t, KNOB_PARTITION,
                                   strdup_printf("%s/%s/cpuset.cpus.partition", dir, *k),
                                   strdup("isolated"));
                }
        }
}

/* cgroup v1 (no cpuset in a v2 hierarchy): a host cpuset next to libvirt's machine cgroups takes
 * every task of the root cpuset, so host tasks run on the host CPUs only */
static void add_cgroup_v1(Targets *t, Host *h, hwloc_const_bitmap_t host)
{
        if (host_exists(h, CGROUP_V2 "/cgroup.controllers") ||
            !host_exists(h, CPUSET_V1 "/cpuset.cpus"))
                return;
        target_add(t, KNOB_SHIELD, strdup(SHIELD_DIR), cpuset_format_list(host));
}

static void add_hugepages(Targets *t, Host *h, State *st, SliceSpec *const *vms, size_t n)
{
        for (size_t v = 0; v < n; v++)
                for (unsigned i = 0; i < vms[v]->n_hugepages; i++) {
                        const SliceHugepages *hp = &vms[v]->hugepages[i];
                        char path[160];
                        snprintf(path, sizeof(path),
                                 "/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/"
                                 "nr_hugepages",
                                 hp->node, (unsigned long long) (hp->page_size >> 10));
                        if (target_find(t, path))
                                continue;
                        /* the original count plus every VM's pages on this node and size */
                        uint64_t base = 0, sum = 0;
                        const char *orig = state_original(st, path);
                        if (orig ? safe_atou64(orig, &base) < 0 : host_read_u64(h, path, &base) < 0)
                                continue;
                        for (size_t w = 0; w < n; w++)
                                for (unsigned k = 0; k < vms[w]->n_hugepages; k++)
                                        if (vms[w]->hugepages[k].node == hp->node &&
                                            vms[w]->hugepages[k].page_size == hp->page_size)
                                                sum += vms[w]->hugepages[k].count;
                        char *value = strdup_printf("%llu", (unsigned long long) (base + sum));
                        target_add(t, KNOB_HUGEPAGES, strdup(path), value);
                }
}

static void add_kthreads(Targets *t, Host *h, State *st, hwloc_const_bitmap_t vm,
                         hwloc_const_bitmap_t host);

/* irqbalance rebalances IRQs every 10 s and would put them back on the VM CPUs: ban the VM CPUs
 * through its socket (its own bans kept), or have systemd stop it while VMs run. */
static void add_irqbalance(Targets *t, Host *h, State *st, hwloc_const_bitmap_t vm,
                           const SlicePolicy *p, SliceReport *rep)
{
        unsigned pid;
        unsigned long long start;
        if (p->irqbalance == IRQBALANCE_LEAVE || irqbalance_find(h, &pid, &start) <= 0)
                return;
        _cleanup_(freep) char *cpus = cpuset_format_list(vm);
        if (p->irqbalance == IRQBALANCE_STOP) {
                Systemd *sd = NULL;
                Error e = {0};
                if (host_systemd(h, &sd, &e) >= 0 && sd) {
                        target_add(t, KNOB_UNIT, strdup("unit:irqbalance.service"),
                                   strdup("inactive"));
                        return;
                }
                report_note(rep,
                            "irqbalance = stop needs systemd to stop and start irqbalance.service "
                            "(%s); banning cpus %s in it instead",
                            e.code ? e.msg : "systemd is not PID 1 here", cpus ? cpus : "?");
        }
        char key[64];
        snprintf(key, sizeof(key), "irqbalance:%u:%llu", pid, start);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t banned = hwloc_bitmap_alloc();
        const char *orig = state_original(st, key);
        Error e = {0};
        if (!banned)
                return;
        if (orig ? cpuset_parse_list(streq(orig, UNSET) ? "" : orig, banned) < 0
                 : irqbalance_get_banned(h, pid, banned, &e) < 0) {
                report_note(rep, "%s; it may move IRQs back onto cpus %s", e.msg,
                            cpus ? cpus : "?");
                return;
        }
        hwloc_bitmap_or(banned, banned, vm);
        target_add(t, KNOB_IRQBALANCE, strdup(key), cpuset_format_list(banned));
}

static int compute_targets(Host *h, const Topology *topo, State *st, SliceSpec *const *vms,
                           size_t n, const SlicePolicy *p, Targets *t, SliceReport *rep)
{
        if (n == 0)
                return 0;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t vm = hwloc_bitmap_alloc(),
                                                     host = hwloc_bitmap_alloc();
        if (!vm || !host)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                hwloc_bitmap_or(vm, vm, vms[i]->cpus);
        hwloc_bitmap_and(vm, vm, topo->online);
        hwloc_bitmap_andnot(host, topo->online, vm);
        if (hwloc_bitmap_iszero(host))
                return -ENOSPC;

        if (p->hugepages)
                add_hugepages(t, h, st, vms, n);
        /* Knobs whose change starts or stops kernel threads (THP: khugepaged) come before the
         * kernel threads are moved, so they are journaled first and restored last, newest
         * first: a thread a restore starts is forked while kthreadd has its affinity back. */
        if (p->thp != THP_LEAVE && host_exists(h, "/sys/kernel/mm/transparent_hugepage/enabled"))
                target_add(t, KNOB_THP, strdup("/sys/kernel/mm/transparent_hugepage/enabled"),
                           strdup(p->thp == THP_NEVER     ? "never"
                                  : p->thp == THP_MADVISE ? "madvise"
                                                          : "always"));
        if (!hwloc_bitmap_iszero(vm)) {
                if (p->isolate) {
                        add_cgroup_v2(t, h, host, rep);
                        if (p->partition)
                                add_partitions(t, h, vms, n, rep);
                        add_cgroup_v1(t, h, host);
                        add_kthreads(t, h, st, vm, host);
                }
                if (p->workqueues) {
                        add_mask(t, h, "/sys/devices/virtual/workqueue/cpumask", host);
                        add_mask(t, h, "/sys/bus/workqueue/devices/writeback/cpumask", host);
                }
                if (p->irqs) {
                        add_mask(t, h, "/proc/irq/default_smp_affinity", host);
                        add_irqs(t, h, st, vm, host);
                        add_irqbalance(t, h, st, vm, p, rep);
                }
                add_cpu_knobs(t, h, vm, p);
        }
        if (p->stat_interval > 0) {
                char v[16];
                snprintf(v, sizeof(v), "%u", p->stat_interval);
                add_plain(t, h, "/proc/sys/vm/stat_interval", v);
        }
        if (p->watchdog_off) {
                add_plain(t, h, "/proc/sys/kernel/watchdog", "0");
                add_plain(t, h, "/proc/sys/kernel/nmi_watchdog", "0");
        }
        if (p->timer_migration_off)
                add_plain(t, h, "/proc/sys/kernel/timer_migration", "0");
        if (p->ksm_off)
                add_plain(t, h, "/sys/kernel/mm/ksm/run", "0");
        return t->oom ? -ENOMEM : 0;
}

/* ---- writing ---- */

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* nr_hugepages: the kernel grants what it can; compact (and drop caches) and retry, bounded. */
static int grant_hugepages(Host *h, const Knob *k, const char *from, const SlicePolicy *p,
                           Error *err)
{
        uint64_t want, got = 0, before = 0;
        (void) safe_atou64(k->value, &want);
        (void) safe_atou64(from, &before);
        uint64_t deadline = now_ms() + p->compact_timeout_ms;
        bool dropped = false;
        for (unsigned attempt = 0;; attempt++) {
                if (host_read_u64(h, k->path, &got) >= 0 && got >= want)
                        return 0;
                if (attempt >= p->compact_tries || now_ms() > deadline) {
                        if (!p->drop_caches || dropped)
                                break;
                        (void) write_value(h, "/proc/sys/vm/drop_caches", "3");
                        dropped = true;
                } else
                        (void) write_value(h, "/proc/sys/vm/compact_memory", "1");
                (void) write_value(h, k->path, k->value);
        }
        unsigned node = 0;
        unsigned long long kb = 0;
        (void) sscanf(k->path, "/sys/devices/system/node/node%u/hugepages/hugepages-%llukB", &node,
                      &kb);
        char fsize[FORMAT_BYTES_MAX];
        return error_fail(
            err, -ENOMEM,
            "cannot reserve %llu x %s pages on node %u: got %llu after compaction%s; stop "
            "other VMs, free memory or use 1G pages reserved at boot",
            (unsigned long long) (want - before), format_bytes(fsize, sizeof(fsize), kb << 10),
            node, (unsigned long long) (got > before ? got - before : 0),
            dropped ? " and dropping caches" : "");
}

/* ---- kernel threads ---- */

/* Whether it is a kernel thread whose affinity can be set, and its start time (to tell a reused
 * PID from the thread vmslice moved). */
static bool kthread_info(Host *h, unsigned pid, unsigned long long *ret_start)
{
        ProcStat ps;
        if (host_read_proc_stat(h, pid, 0, &ps) < 0)
                return false;
        *ret_start = ps.starttime;
        return (ps.flags & PROC_PF_KTHREAD) && !(ps.flags & PROC_PF_NO_SETAFFINITY);
}

static int kthread_get(unsigned pid, hwloc_bitmap_t set)
{
        cpu_set_t mask;
        if (sched_getaffinity((pid_t) pid, sizeof(mask), &mask) < 0)
                return -errno;
        hwloc_bitmap_zero(set);
        for (unsigned c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &mask))
                        hwloc_bitmap_set(set, c);
        return 0;
}

static int kthread_set(unsigned pid, const char *list)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set || cpuset_parse_list(list, set) < 0)
                return -EINVAL;
        cpu_set_t mask;
        CPU_ZERO(&mask);
        int c;
        hwloc_bitmap_foreach_begin (c, set) {
                if (c < CPU_SETSIZE)
                        CPU_SET(c, &mask);
        }
        hwloc_bitmap_foreach_end();
        return sched_setaffinity((pid_t) pid, sizeof(mask), &mask) < 0 ? -errno : 0;
}

/* Kernel threads that may run on the VM CPUs and may be moved: their affinity minus the VM CPUs.
 * Only on the machine itself (a fixture has no threads); per-CPU kernel threads refuse and stay. */
static void add_kthreads(Targets *t, Host *h, State *st, hwloc_const_bitmap_t vm,
                         hwloc_const_bitmap_t host)
{
        if (!host_is_live(h))
                return;
        _cleanup_(strv_freep) char **pids = NULL;
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cur = hwloc_bitmap_alloc();
        if (!cur || host_list_dir(h, "/proc", &pids) < 0)
                return;
        for (char **i = pids; *i; i++) {
                unsigned pid;
                unsigned long long start;
                if (safe_atou(*i, &pid) < 0 || !kthread_info(h, pid, &start))
                        continue;
                char key[64];
                snprintf(key, sizeof(key), "kthread:%u:%llu", pid, start);
                const char *orig = state_original(st, key);
                if (orig ? cpuset_parse_list(orig, cur) < 0 : kthread_get(pid, cur) < 0)
                        continue;
                if (!orig && !hwloc_bitmap_intersects(cur, vm))
                        continue;
                hwloc_bitmap_andnot(cur, cur, vm);
                if (hwloc_bitmap_iszero(cur))
                        hwloc_bitmap_copy(cur, host);
                target_add(t, KNOB_KTHREAD, strdup(key), cpuset_format_list(cur));
        }
}

static int kthread_key(const char *key, unsigned *ret_pid, unsigned long long *ret_start)
{
        return sscanf(key, "kthread:%u:%llu", ret_pid, ret_start) == 2 ? 0 : -EINVAL;
}

/* the thread vmslice moved, not another that got its PID */
static bool kthread_same(Host *h, const char *key, unsigned *ret_pid)
{
        unsigned long long start, now;
        if (kthread_key(key, ret_pid, &start) < 0)
                return false;
        return kthread_info(h, *ret_pid, &now) && now == start;
}

static int apply_kthread(Host *h, State *st, const Knob *k, bool dry_run, SliceReport *rep,
                         Error *err)
{
        unsigned pid;
        if (!kthread_same(h, k->path, &pid))
                return 0; /* gone meanwhile */
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cur = hwloc_bitmap_alloc();
        if (!cur || kthread_get(pid, cur) < 0)
                return 0;
        _cleanup_(freep) char *from = cpuset_format_list(cur);
        if (!from)
                return error_fail(err, -ENOMEM, "out of memory");
        if (same_value(KNOB_LIST, from, k->value))
                return 0;
        if (dry_run) {
                report_change(rep, k->path, from, k->value, NULL);
                return 0;
        }
        bool journaled = state_original(st, k->path);
        int r = state_save_original(st, k->path, from, err);
        if (r < 0)
                return r;
        r = state_fault_point(false);
        if (r >= 0)
                r = kthread_set(pid, k->value);
        (void) state_fault_point(true);
        if (r < 0) {
                /* bound to its CPU after all: it stays, and is reported (an original an earlier
                 * change journaled stays journaled) */
                if (!journaled)
                        (void) state_forget_original(st, k->path, NULL);
                report_change(rep, k->path, from, NULL,
                              "refused: a per-CPU kernel thread stays where it is");
                return 0;
        }
        report_change(rep, k->path, from, k->value, NULL);
        return 0;
}

/* A restore that failed: the journal keeps the original either way. A plain knob fails the
 * operation; an IRQ or a kernel thread the kernel refuses now (the IRQ became kernel-managed, the
 * thread got bound) fails only an explicit restore ('strict'): a VM's start or stop never waits on
 * one IRQ, and the report says what stays where. */
static int restore_failed(SliceReport *rep, const char *path, const char *cur, const char *orig,
                          int r, bool soft, bool strict, Error *err)
{
        if (soft && !strict) {
                _cleanup_(freep) char *note = strdup_printf(
                    "not restored (%s); the journal keeps it for 'vmslice restore'", strerror(-r));
                report_change(rep, path, cur, cur, note);
                return 0;
        }
        return error_fail(err, r,
                          "cannot restore %s to '%s': %s; the journal keeps it, run 'vmslice "
                          "restore' again",
                          path, orig, strerror(-r));
}

static int restore_kthread(Host *h, State *st, const char *key, const char *orig, bool dry_run,
                           bool strict, SliceReport *rep, Error *err)
{
        unsigned pid;
        if (!kthread_same(h, key, &pid))
                return dry_run ? 0 : state_forget_original(st, key, err); /* gone */
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cur = hwloc_bitmap_alloc();
        _cleanup_(freep) char *now =
            cur && kthread_get(pid, cur) >= 0 ? cpuset_format_list(cur) : NULL;
        if (now && same_value(KNOB_LIST, now, orig)) /* never moved (see restore_path) */
                return dry_run ? 0 : state_forget_original(st, key, err);
        if (dry_run) {
                report_change(rep, key, now, orig, "restore");
                return 0;
        }
        int r = state_fault_point(false);
        if (r >= 0)
                r = kthread_set(pid, orig);
        (void) state_fault_point(true);
        if (r < 0 && kthread_same(h, key, &pid))
                return restore_failed(rep, key, now, orig, r, true, strict, err);
        report_change(rep, key, now, orig, r < 0 ? "gone meanwhile" : "restore");
        return state_forget_original(st, key, err);
}

/* Moves every task listed in from/FILE into to/FILE (FILE: "tasks" in cgroup v1, "cgroup.procs"
 * in v2) but kernel threads: those are add_kthreads()' (each one's affinity journaled and given
 * back as it was; a cpuset move would give it the cpuset's CPUs on the way back, and an IRQ
 * thread on one CPU would come back on all); the ones the kernel refuses stay. Returns how many
 * moved. */
static unsigned move_tasks(Host *h, const char *from, const char *to, const char *file)
{
        _cleanup_(freep) char *list = NULL;
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", from, file);
        if (host_read_file(h, path, HOST_READ_MAX, &list) < 0)
                return 0;
        snprintf(path, sizeof(path), "%s/%s", to, file);
        unsigned moved = 0;
        char *save = NULL;
        for (char *tok = strtok_r(list, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
                unsigned pid;
                ProcStat ps;
                if (safe_atou(strstrip(tok), &pid) < 0 || pid == 0 ||
                    (host_read_proc_stat(h, pid, 0, &ps) >= 0 && (ps.flags & PROC_PF_KTHREAD)))
                        continue;
                char num[16];
                snprintf(num, sizeof(num), "%u", pid);
                if (host_write_file(h, path, num) >= 0)
                        moved++;
        }
        return moved;
}

static int apply_shield(Host *h, State *st, const Knob *k, bool dry_run, SliceReport *rep,
                        Error *err)
{
        const Shield *sh = shield_of(k->path);
        char cpus[128], mems_path[128];
        snprintf(cpus, sizeof(cpus), "%s/cpuset.cpus", sh->dir);
        _cleanup_(freep) char *cur = NULL, *mems = NULL;
        bool exists = host_exists(h, sh->dir) && host_read_line(h, cpus, &cur) >= 0;
        if (exists && same_value(KNOB_LIST, cur, k->value)) {
                if (!dry_run)
                        (void) move_tasks(h, sh->parent, sh->dir, sh->procs); /* stragglers */
                return 0;
        }
        if (dry_run) {
                report_change(rep, k->path, exists ? cur : SHIELD_ABSENT, k->value,
                              "host tasks move into this cgroup");
                return 0;
        }
        int r = state_save_original(st, k->path, exists ? cur : SHIELD_ABSENT, err);
        if (r < 0)
                return r;
        r = state_fault_point(false);
        if (r >= 0 && !exists) {
                r = host_mkdir(h, sh->dir);
                if (r >= 0 && sh->v1) {
                        snprintf(mems_path, sizeof(mems_path), "%s/cpuset.mems", sh->parent);
                        r = host_read_line(h, mems_path, &mems);
                        snprintf(mems_path, sizeof(mems_path), "%s/cpuset.mems", sh->dir);
                        if (r >= 0)
                                r = write_value(h, mems_path, mems);
                }
        }
        if (r >= 0)
                r = write_value(h, cpus, k->value);
        (void) state_fault_point(true);
        if (r < 0)
                return error_fail(err, r, "cannot set up the host cgroup %s: %s", sh->dir,
                                  strerror(-r));
        unsigned moved = move_tasks(h, sh->parent, sh->dir, sh->procs);
        _cleanup_(freep) char *note = strdup_printf("%u host tasks moved in", moved);
        report_change(rep, k->path, exists ? cur : SHIELD_ABSENT, k->value, note);
        return 0;
}

static int restore_shield(Host *h, State *st, const Shield *sh, const char *orig, bool dry_run,
                          SliceReport *rep, Error *err)
{
        char cpus[128];
        snprintf(cpus, sizeof(cpus), "%s/cpuset.cpus", sh->dir);
        _cleanup_(freep) char *cur = NULL;
        bool exists = host_exists(h, sh->dir) && host_read_line(h, cpus, &cur) >= 0;
        if (dry_run) {
                if (exists)
                        report_change(rep, sh->dir, cur, orig, "restore");
                return 0;
        }
        int r = 0;
        if (exists) {
                r = state_fault_point(false);
                if (r < 0)
                        ;
                else if (streq(orig, SHIELD_ABSENT))
                        /* a task may fork between the move and the rmdir (its child is born in
                         * the cgroup): move again until it is empty, bounded */
                        for (unsigned attempt = 0; attempt < 200; attempt++) {
                                (void) move_tasks(h, sh->dir, sh->parent, sh->procs);
                                r = host_rmdir(h, sh->dir);
                                if (r != -EBUSY)
                                        break;
                                nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
                        }
                else
                        r = write_value(h, cpus, orig);
                (void) state_fault_point(true);
        }
        if (r < 0 && r != -ENOENT)
                return error_fail(err, r,
                                  "cannot %s %s (tasks still in it?): %s; the journal keeps it, "
                                  "run 'vmslice restore' again",
                                  streq(orig, SHIELD_ABSENT) ? "remove" : "restore", sh->dir,
                                  strerror(-r));
        if (exists)
                report_change(rep, sh->dir, cur, orig, "restore");
        return state_forget_original(st, sh->dir, err);
}

/* ---- systemd units and irqbalance ---- */

static int need_systemd(Host *h, Systemd **ret, Error *err)
{
        int r = host_systemd(h, ret, err);
        if (r >= 0 && !*ret)
                return error_fail(err, -ENOTCONN, "systemd is not PID 1 here any more");
        return r;
}

/* The current value of a knob that is not a file: a unit's AllowedCPUs= (UNSET when none), the
 * CPUs irqbalance bans, a unit's state. -ESRCH when its process is gone. */
static int knob_get(Host *h, const Knob *k, char **ret, Error *err)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        Systemd *sd;
        int r;
        if (!set)
                return error_fail(err, -ENOMEM, "out of memory");
        switch (k->kind) {
        case KNOB_SYSTEMD:
                r = need_systemd(h, &sd, err);
                if (r >= 0)
                        r = systemd_get_allowed_cpus(sd, k->path + strlen("systemd:"), set, err);
                if (r < 0)
                        return r;
                *ret = hwloc_bitmap_iszero(set) ? strdup(UNSET) : cpuset_format_list(set);
                break;
        case KNOB_IRQBALANCE: {
                unsigned pid;
                unsigned long long start;
                ProcStat ps;
                if (sscanf(k->path, "irqbalance:%u:%llu", &pid, &start) != 2 ||
                    host_read_proc_stat(h, pid, 0, &ps) < 0 || ps.starttime != start)
                        return -ESRCH;
                r = irqbalance_get_banned(h, pid, set, err);
                if (r < 0)
                        return r;
                *ret = cpuset_format_list(set);
                break;
        }
        case KNOB_UNIT:
                r = need_systemd(h, &sd, err);
                if (r >= 0)
                        r = systemd_active_state(sd, k->path + strlen("unit:"), ret, err);
                return r;
        default:
                return -EINVAL;
        }
        return *ret ? 0 : error_fail(err, -ENOMEM, "out of memory");
}

static int knob_set(Host *h, const Knob *k, const char *value, Error *err)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        Systemd *sd;
        int r;
        if (!set)
                return error_fail(err, -ENOMEM, "out of memory");
        if (k->kind != KNOB_UNIT && cpuset_parse_list(streq(value, UNSET) ? "" : value, set) < 0)
                return error_fail(err, -EINVAL, "bad CPU list '%s' for %s", value, k->path);
        switch (k->kind) {
        case KNOB_SYSTEMD:
                r = need_systemd(h, &sd, err);
                return r < 0 ? r
                             : systemd_set_allowed_cpus(sd, k->path + strlen("systemd:"), set, err);
        case KNOB_IRQBALANCE: {
                unsigned pid;
                if (sscanf(k->path, "irqbalance:%u:", &pid) != 1)
                        return -EINVAL;
                return irqbalance_set_banned(h, pid, hwloc_bitmap_iszero(set) ? NULL : set, err);
        }
        case KNOB_UNIT: {
                r = need_systemd(h, &sd, err);
                if (r < 0)
                        return r;
                const char *unit = k->path + strlen("unit:");
                bool stop = streq(value, "inactive");
                r = stop ? systemd_stop_unit(sd, unit, err) : systemd_start_unit(sd, unit, err);
                return r < 0
                           ? r
                           : systemd_wait_state(sd, unit, stop ? "inactive" : "active", 5000, err);
        }
        default:
                return -EINVAL;
        }
}

/* Knobs that are not files, journaled as files are: the original before the change. */
static int apply_special(Host *h, State *st, const Knob *k, bool dry_run, SliceReport *rep,
                         Error *err)
{
        _cleanup_(freep) char *cur = NULL;
        int r = knob_get(h, k, &cur, err);
        if (r == -ESRCH)
                return 0; /* irqbalance exited meanwhile */
        if (r < 0)
                return r;
        if (k->kind == KNOB_UNIT ? streq(cur, k->value) || !streq(cur, "active")
                                 : same_value(KNOB_LIST, streq(cur, UNSET) ? "" : cur, k->value))
                return 0; /* a unit that is not running is left alone */
        if (dry_run) {
                report_change(rep, k->path, cur, k->value, NULL);
                return 0;
        }
        r = state_save_original(st, k->path, cur, err);
        if (r < 0)
                return r;
        r = state_fault_point(false);
        if (r >= 0)
                r = knob_set(h, k, k->value, err);
        (void) state_fault_point(true);
        if (r < 0)
                return r;
        report_change(rep, k->path, cur, k->value, NULL);
        return 0;
}

static int restore_special(Host *h, State *st, KnobKind kind, const char *path, const char *orig,
                           bool dry_run, SliceReport *rep, Error *err)
{
        Knob k = {.path = (char *) path, .value = (char *) orig, .kind = kind};
        _cleanup_(freep) char *cur = NULL;
        Error e = {0};
        int r = knob_get(h, &k, &cur, &e);
        if (r == -ESRCH) /* that irqbalance is gone: its bans went with it */
                return dry_run ? 0 : state_forget_original(st, path, err);
        if (r >= 0 && dry_run) {
                report_change(rep, path, cur, orig, "restore");
                return 0;
        }
        if (r >= 0) {
                r = state_fault_point(false) < 0 ? error_fail(&e, -EIO, "injected fault")
                                                 : knob_set(h, &k, orig, &e);
                (void) state_fault_point(true);
        }
        if (r < 0)
                return error_fail(err, r,
                                  "cannot restore %s to '%s': %s; the journal keeps it, run "
                                  "'vmslice restore' again",
                                  path, orig, e.msg);
        report_change(rep, path, cur, orig, "restore");
        return state_forget_original(st, path, err);
}

static KnobKind special_kind(const char *path)
{
        return startswith(path, "systemd:")      ? KNOB_SYSTEMD
               : startswith(path, "irqbalance:") ? KNOB_IRQBALANCE
               : startswith(path, "unit:")       ? KNOB_UNIT
                                                 : KNOB_PLAIN;
}

static int apply_knob(Host *h, State *st, const Knob *k, const SlicePolicy *p, bool dry_run,
                      SliceReport *rep, Error *err)
{
        if (k->kind == KNOB_KTHREAD)
                return apply_kthread(h, st, k, dry_run, rep, err);
        if (k->kind == KNOB_SHIELD)
                return apply_shield(h, st, k, dry_run, rep, err);
        if (k->kind == KNOB_SYSTEMD || k->kind == KNOB_IRQBALANCE || k->kind == KNOB_UNIT)
                return apply_special(h, st, k, dry_run, rep, err);
        _cleanup_(freep) char *cur = NULL;
        int r = read_writable(h, k->path, k->kind, &cur);
        if (r < 0)
                return 0; /* gone meanwhile (an IRQ freed): nothing to do */
        if (same_value(k->kind, cur, k->value))
                return 0;
        if (dry_run) {
                report_change(rep, k->path, cur, k->value, NULL);
                return 0;
        }
        bool journaled = state_original(st, k->path);
        r = state_save_original(st, k->path, cur, err);
        if (r < 0)
                return r;
        r = state_fault_point(false);
        if (r >= 0)
                r = write_value(h, k->path, k->value);
        (void) state_fault_point(true);
        if (r < 0) {
                if (startswith(k->path, "/proc/irq/")) {
                        /* kernel-managed IRQs refuse: report them with where they stay (an
                         * original an earlier change journaled stays journaled) */
                        if (!journaled)
                                (void) state_forget_original(st, k->path, NULL);
                        report_change(rep, k->path, cur, NULL,
                                      "refused: a kernel-managed IRQ stays where it is");
                        return 0;
                }
                return error_fail(err, r, "cannot write %s: %s", k->path, strerror(-r));
        }
        if (k->kind == KNOB_PARTITION) {
                /* the kernel takes the word and may then call the partition invalid */
                _cleanup_(freep) char *now = NULL;
                if (host_read_line(h, k->path, &now) >= 0 && !streq(now, k->value)) {
                        report_change(rep, k->path, cur, now,
                                      "the kernel did not make it a partition");
                        return 0;
                }
        }
        if (k->kind == KNOB_HUGEPAGES) {
                r = grant_hugepages(
                    h, k, state_original(st, k->path) ? state_original(st, k->path) : cur, p, err);
                if (r < 0) {
                        (void) write_value(h, k->path, cur); /* give back what this step took */
                        return r;
                }
        }
        report_change(rep, k->path, cur, k->value, NULL);
        return 0;
}

static int restore_path(Host *h, State *st, const char *path, const char *orig, bool dry_run,
                        bool strict, SliceReport *rep, Error *err)
{
        if (startswith(path, "kthread:"))
                return restore_kthread(h, st, path, orig, dry_run, strict, rep, err);
        if (shield_of(path))
                return restore_shield(h, st, shield_of(path), orig, dry_run, rep, err);
        if (special_kind(path) != KNOB_PLAIN)
                return restore_special(h, st, special_kind(path), path, orig, dry_run, rep, err);
        _cleanup_(freep) char *cur = NULL;
        bool exists = host_read_line(h, path, &cur) >= 0;
        if (dry_run) {
                if (exists)
                        report_change(rep, path, cur, orig, "restore");
                return 0;
        }
        /* holding its original already (a crash came before the write, or the kernel refused
         * it): nothing to write, and a kernel-managed IRQ would refuse even that */
        if (exists && !streq(cur, orig)) {
                int r = state_fault_point(false);
                if (r >= 0)
                        r = write_value(h, path, orig);
                (void) state_fault_point(true);
                if (r < 0 && host_exists(h, path))
                        return restore_failed(rep, path, cur, orig, r,
                                              startswith(path, "/proc/irq/"), strict, err);
                report_change(rep, path, cur, orig, r < 0 ? "gone meanwhile" : "restore");
        }
        return state_forget_original(st, path, err);
}

static int load_specs(State *st, const SliceSpec *extra, const char *skip, SliceSpec ***ret,
                      size_t *ret_n, SliceReport *rep, Error *err)
{
        _cleanup_(strv_freep) char **names = NULL;
        int r = state_list_vms(st, &names, err);
        if (r < 0)
                return r;
        size_t n = strv_length(names) + 1;
        SliceSpec **v = calloc(n + 1, sizeof(SliceSpec *));
        if (!v)
                return error_fail(err, -ENOMEM, "out of memory");
        size_t k = 0;
        for (char **i = names; *i; i++) {
                if ((skip && streq(*i, skip)) || (extra && streq(*i, extra->name)))
                        continue;
                _cleanup_(freep) char *text = NULL;
                Error e = {0};
                if (state_read_vm(st, *i, &text, &e) < 0 || slice_spec_parse(text, &v[k], &e) < 0) {
                        /* an unreadable record cannot hold anything back; say so */
                        report_note(rep,
                                    "the slice record of '%s' is unreadable (%s); it is ignored",
                                    *i, e.msg);
                        continue;
                }
                k++;
        }
        if (extra) {
                _cleanup_(freep) char *text = NULL;
                if (slice_spec_format(extra, &text) < 0 || slice_spec_parse(text, &v[k], err) < 0) {
                        for (size_t i = 0; i < k; i++)
                                slice_spec_free(v[i]);
                        free(v);
                        return err && err->code ? err->code
                                                : error_fail(err, -ENOMEM, "out of memory");
                }
                k++;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

static void free_specs(SliceSpec **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                slice_spec_free(v[i]);
        free(v);
}

/* Makes the host match the VMs' specs: targets written, originals of everything else restored. */
static int reconcile(Host *h, const Topology *topo, State *st, const SliceSpec *extra,
                     const char *skip, const SlicePolicy *p, bool dry_run, SliceReport *rep,
                     Error *err)
{
        SliceSpec **vms = NULL;
        size_t n = 0;
        int r = load_specs(st, extra, skip, &vms, &n, rep, err);
        if (r < 0)
                return r;
        Targets t = {0};
        r = compute_targets(h, topo, st, vms, n, p, &t, rep);
        free_specs(vms, n);
        if (r == -ENOSPC) {
                targets_done(&t);
                return error_input(
                    err, "the VMs would take every online CPU; the host must keep at least one");
        }
        if (r < 0) {
                targets_done(&t);
                return error_fail(err, r, "out of memory");
        }
        /* first what no VM wants any more (in reverse journal order), then the targets */
        for (size_t i = state_n_originals(st); i-- > 0;) {
                const char *path = state_original_path(st, i);
                if (target_find(&t, path))
                        continue;
                _cleanup_(freep) char *pcopy = strdup(path),
                                      *ocopy = strdup(state_original_value(st, i));
                if (!pcopy || !ocopy) {
                        targets_done(&t);
                        return error_fail(err, -ENOMEM, "out of memory");
                }
                /* one knob that cannot be restored now does not keep the others changed: the
                 * journal keeps it, and the first failure is returned after the rest */
                int k = restore_path(h, st, pcopy, ocopy, dry_run, false, rep, err);
                if (k < 0 && r >= 0)
                        r = k;
        }
        if (r < 0) {
                targets_done(&t);
                return r;
        }
        for (size_t i = 0; i < t.n; i++) {
                r = apply_knob(h, st, &t.k[i], p, dry_run, rep, err);
                if (r < 0) {
                        targets_done(&t);
                        return r;
                }
        }
        targets_done(&t);
        return 0;
}

int slice_reconcile(Host *h, const Topology *t, State *st, const SlicePolicy *p, bool dry_run,
                    SliceReport *rep, Error *err)
{
        return reconcile(h, t, st, NULL, NULL, p, dry_run, rep, err);
}

int slice_prepare(Host *h, const Topology *t, State *st, const SliceSpec *vm, const SlicePolicy *p,
                  bool dry_run, SliceReport *rep, Error *err)
{
        if (state_has_vm(st, vm->name)) {
                _cleanup_(freep) char *old = NULL;
                _cleanup_(slice_spec_freep) SliceSpec *was = NULL;
                Error e = {0};
                if (state_read_vm(st, vm->name, &old, &e) >= 0 &&
                    slice_spec_parse(old, &was, &e) >= 0) {
                        /* prepared already (a second prepare, or libvirtd reconnecting):
                         * re-check only */
                        report_note(rep, "'%s' is prepared already; its slice was re-checked",
                                    vm->name);
                        return reconcile(h, t, st, NULL, NULL, p, dry_run, rep, err);
                }
                /* a record that cannot be read (planted, or damaged) holds nothing back: the VM
                 * starting now gets its slice, the record is replaced (never written through) */
                report_note(rep, "the slice record of '%s' was unreadable (%s); it is replaced",
                            vm->name, e.msg);
        }
        if (dry_run)
                return reconcile(h, t, st, vm, NULL, p, true, rep, err);
        _cleanup_(freep) char *text = NULL;
        if (slice_spec_format(vm, &text) < 0)
                return error_fail(err, -ENOMEM, "out of memory");
        int r = state_write_vm(st, vm->name, text, err);
        if (r < 0)
                return r;
        r = reconcile(h, t, st, NULL, NULL, p, false, rep, err);
        if (r >= 0)
                return 0;
        /* roll back this VM: forget it and give back what it took */
        Error rollback = {0};
        (void) state_remove_vm(st, vm->name, &rollback);
        (void) reconcile(h, t, st, NULL, NULL, p, false, NULL, &rollback);
        return r;
}

int slice_release(Host *h, const Topology *t, State *st, const char *name, const SlicePolicy *p,
                  bool dry_run, SliceReport *rep, Error *err)
{
        if (!state_has_vm(st, name))
                report_note(rep, "'%s' has no slice; checked the others", name);
        if (dry_run)
                return reconcile(h, t, st, NULL, name, p, true, rep, err);
        int r = state_remove_vm(st, name, err);
        if (r < 0)
                return r;
        return reconcile(h, t, st, NULL, NULL, p, false, rep, err);
}

int slice_restore(Host *h, State *st, bool dry_run, SliceReport *rep, Error *err)
{
        _cleanup_(strv_freep) char **names = NULL;
        int r = state_list_vms(st, &names, err);
        if (r < 0)
                return r;
        if (!dry_run)
                for (char **i = names; *i; i++) {
                        r = state_remove_vm(st, *i, err);
                        if (r < 0)
                                return r;
                }
        for (size_t i = state_n_originals(st); i-- > 0;) {
                _cleanup_(freep) char *path = strdup(state_original_path(st, i));
                _cleanup_(freep) char *orig = strdup(state_original_value(st, i));
                if (!path || !orig)
                        return error_fail(err, -ENOMEM, "out of memory");
                int k = restore_path(h, st, path, orig, dry_run, true, rep, err);
                if (k < 0 && r >= 0)
                        r = k; /* the rest is restored all the same */
        }
        return r;
}

int slice_current_value(Host *h, const char *path, char **ret)
{
        *ret = NULL;
        if (startswith(path, "kthread:")) {
                unsigned pid;
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
                if (!set)
                        return -ENOMEM;
                if (!kthread_same(h, path, &pid) || kthread_get(pid, set) < 0)
                        return -ESRCH;
                *ret = cpuset_format_list(set);
                return *ret ? 0 : -ENOMEM;
        }
        if (shield_of(path)) {
                _cleanup_(freep) char *cpus = strdup_printf("%s/cpuset.cpus", path);
                return cpus ? host_read_line(h, cpus, ret) : -ENOMEM;
        }
        KnobKind kind = special_kind(path);
        if (kind == KNOB_PLAIN)
                return host_read_line(h, path, ret);
        Knob k = {.path = (char *) path, .kind = kind};
        return knob_get(h, &k, ret, NULL);
}
