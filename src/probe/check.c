/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "cpuset-util.h"
#include "parse-util.h"
#include "spec.h"
#include "string-util.h"

const char *check_level_to_string(CheckLevel l)
{
        switch (l) {
        case CHECK_FAIL:
                return "fail";
        case CHECK_WARN:
                return "warn";
        case CHECK_OK:
        default:
                return "ok";
        }
}

void check_result_done(CheckResult *r)
{
        for (size_t i = 0; i < r->n; i++)
                free(r->findings[i].message);
        free(r->findings);
        *r = (CheckResult){0};
}

CheckLevel check_worst(const CheckResult *r)
{
        CheckLevel w = CHECK_OK;
        for (size_t i = 0; i < r->n; i++)
                w = MAX(w, r->findings[i].level);
        return w;
}

size_t check_count(const CheckResult *r, CheckLevel level)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
                n += r->findings[i].level == level;
        return n;
}

const CheckFinding *check_find(const CheckResult *r, const char *code)
{
        for (size_t i = 0; i < r->n; i++)
                if (streq(r->findings[i].code, code))
                        return &r->findings[i];
        return NULL;
}

/* Adds a finding; -ENOMEM when it cannot (the result is then incomplete). */
static int add(CheckResult *r, CheckLevel level, const char *code, const char *fmt, ...)
    _printf_(4, 5);
static int add(CheckResult *r, CheckLevel level, const char *code, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        CheckFinding *f = msg ? realloc(r->findings, (r->n + 1) * sizeof(CheckFinding)) : NULL;
        if (!f) {
                free(msg);
                return -ENOMEM;
        }
        for (char *p = msg; *p; p++) /* one line, whatever a comm or a file held */
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        r->findings = f;
        f[r->n++] = (CheckFinding){level, code, msg};
        return 0;
}

int check_guest_memory(const Domain *d, uint64_t *ret)
{
        xmlNodePtr m = dom_child(d->root, "memory");
        *ret = 0;
        if (!m)
                return 0;
        return dom_parse_memory(m, NULL, ret);
}

int check_load_qemu(Host *h, const Domain *d, unsigned pid, QemuProc **ret, Error *err)
{
        uint64_t memory = 0;
        if (pid == 0) {
                int r = qemu_pid_from_libvirt(h, d->name, &pid, err);
                if (r < 0)
                        return r;
        }
        if (check_guest_memory(d, &memory) < 0)
                return error_input(err, "%s: <memory> is not a size", d->source);
        return qemu_proc_load(h, pid, memory, ret, err);
}

/* ---- helpers ---- */

typedef struct Ctx {
        const CheckInput *in;
        CheckResult *r;
        int oom; /* -ENOMEM once a finding could not be added */
        DomainPins pins;
        SliceSpec *spec;
        hwloc_bitmap_t vm_cpus; /* the union of the vCPU pins */
        char vm_str[CPUSET_LIST_MAX];
} Ctx;

#define ADD(c, level, code, ...)                                                                   \
        do {                                                                                       \
                if (add((c)->r, level, code, __VA_ARGS__) < 0)                                     \
                        (c)->oom = -ENOMEM;                                                        \
        } while (0)

static const char *set_str(char buf[static CPUSET_LIST_MAX], hwloc_const_bitmap_t set)
{
        return hwloc_bitmap_iszero(set) ? "none" : cpuset_to_list(buf, CPUSET_LIST_MAX, set);
}

static const char *plural(size_t n)
{
        return n == 1 ? "" : "s";
}

/* A few distinct names, for messages: "a, b, c and 4 more". */
typedef struct Names {
        char **v;
        size_t distinct;
        bool oom;
} Names;

#define NAMES_SHOWN 4

static void names_add(Names *l, const char *name)
{
        if (strv_contains(l->v, name))
                return;
        l->distinct++;
        if (strv_length(l->v) < NAMES_SHOWN && strv_extend(&l->v, name) < 0)
                l->oom = true;
}

static void names_done(Names *l)
{
        strv_free(l->v);
        *l = (Names){0};
}

static const char *names_str(const Names *l, char *buf, size_t size)
{
        size_t off = 0;
        buf[0] = 0;
        for (char **n = l->v; n && *n && off < size; n++)
                off += (size_t) snprintf(buf + off, size - off, "%s%s", n == l->v ? "" : ", ", *n);
        if (l->distinct > strv_length(l->v) && off < size)
                snprintf(buf + off, size - off, " and %zu more", l->distinct - strv_length(l->v));
        return buf;
}

/* The os index of the node the memory of a CPU comes from: its node, or for a memoryless node
 * the nearest one with memory; -1 when unknown. */
static int memory_node_of_cpu(const Topology *t, unsigned cpu)
{
        int core = topology_core_of_cpu(t, cpu);
        int node = core >= 0 ? t->cores[core].node : -1;
        if (node < 0)
                return -1;
        const TopoNode *n = &t->nodes[node];
        int best = n->mem_total > 0 ? node : -1;
        for (unsigned i = 0; best != node && i < t->n_nodes; i++) {
                unsigned d = n->distances ? n->distances[i] : 0, bd = 0;
                if (best >= 0 && n->distances)
                        bd = n->distances[best];
                if (t->nodes[i].mem_total > 0 && (best < 0 || d < bd))
                        best = (int) i;
        }
        return best < 0 ? -1 : (int) t->nodes[best].os_index;
}

/* ---- the process and its threads ---- */

static void check_qemu(Ctx *c)
{
        const QemuProc *q = c->in->qemu;
        const char *name = c->in->domain->name;
        const DomainPins *p = &c->pins;
        size_t nv = qemu_proc_count(q, QEMU_THREAD_VCPU),
               ni = qemu_proc_count(q, QEMU_THREAD_IOTHREAD),
               ne = qemu_proc_count(q, QEMU_THREAD_EMULATOR);
        bool bad = false;
        char a[CPUSET_LIST_MAX];

        if (q->guest_name && !streq(q->guest_name, name)) {
                ADD(c, CHECK_FAIL, "qemu",
                    "pid %u runs the guest '%s', not '%s'; give the pid of its QEMU (libvirt "
                    "writes it to " QEMU_PIDFILE_DIR "/%s.pid)",
                    q->pid, q->guest_name, name, name);
                bad = true;
        }
        if (nv == 0) {
                ADD(c, CHECK_FAIL, "qemu",
                    "pid %u (%s) has no vCPU threads (named 'CPU N/KVM'): %s", q->pid, q->comm,
                    q->debug_threads ? "it runs no vCPU; is the VM still starting?"
                                     : "it is not a QEMU libvirt started (libvirt names QEMU's "
                                       "threads with -name debug-threads=on); give the VM's pid");
                return;
        }
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t missing = hwloc_bitmap_alloc(),
                                                     extra = hwloc_bitmap_alloc();
        if (!missing || !extra) {
                c->oom = -ENOMEM;
                return;
        }
        bool all = qemu_proc_vcpu(q, QEMU_VCPU_ALL) != NULL;
        for (unsigned v = 0; !all && v < p->vcpus_current; v++)
                if (!qemu_proc_vcpu(q, v))
                        hwloc_bitmap_set(missing, v);
        for (size_t i = 0; i < q->n_threads; i++) {
                const QemuThread *t = &q->threads[i];
                if (t->kind == QEMU_THREAD_VCPU && t->index != QEMU_VCPU_ALL &&
                    t->index >= p->vcpus)
                        hwloc_bitmap_set(extra, t->index);
        }
        if (!hwloc_bitmap_iszero(missing)) {
                ADD(c, CHECK_FAIL, "qemu",
                    "vCPU%s %s of the domain's %u ha%s no thread in pid %u; is it this domain's "
                    "QEMU, started from this definition?",
                    plural((size_t) hwloc_bitmap_weight(missing)), set_str(a, missing),
                    p->vcpus_current, hwloc_bitmap_weight(missing) == 1 ? "s" : "ve", q->pid);
                bad = true;
        }
        if (!hwloc_bitmap_iszero(extra)) {
                ADD(c, CHECK_FAIL, "qemu",
                    "pid %u has threads of vCPU%s %s, which the domain (%u vCPUs) does not have; "
                    "is it this domain's QEMU?",
                    q->pid, plural((size_t) hwloc_bitmap_weight(extra)), set_str(a, extra),
                    p->vcpus);
                bad = true;
        }
        if (!bad)
                ADD(c, CHECK_OK, "qemu",
                    "pid %u (%s) runs '%s': %zu vCPU thread%s, %zu I/O thread%s, %zu emulator "
                    "thread%s",
                    q->pid, q->comm, name, nv, plural(nv), ni, plural(ni), ne, plural(ne));
}

static void check_vcpus(Ctx *c)
{
        const QemuProc *q = c->in->qemu;
        const DomainPins *p = &c->pins;
        char a[CPUSET_LIST_MAX], b[CPUSET_LIST_MAX];
        const QemuThread *all = qemu_proc_vcpu(q, QEMU_VCPU_ALL);
        if (all) {
                ADD(c, CHECK_WARN, "vcpu-pin",
                    "single-threaded TCG: one thread (tid %u '%s') runs every vCPU, so they cannot "
                    "be pinned one by one; use KVM, or TCG with thread=multi",
                    all->task.tid, all->task.comm);
                return;
        }
        if (qemu_proc_count(q, QEMU_THREAD_VCPU) == 0)
                return;
        if (hwloc_bitmap_iszero(c->vm_cpus)) {
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t any = hwloc_bitmap_alloc();
                if (!any) {
                        c->oom = -ENOMEM;
                        return;
                }
                for (size_t i = 0; i < q->n_threads; i++)
                        if (q->threads[i].kind == QEMU_THREAD_VCPU)
                                hwloc_bitmap_or(any, any, q->threads[i].task.allowed);
                ADD(c, CHECK_WARN, "vcpu-pin",
                    "no pins: the scheduler places vCPUs (their threads may run on %s); 'vmslice "
                    "apply' pins them",
                    set_str(a, any));
                return;
        }
        unsigned n = 0, bad = 0;
        for (size_t i = 0; i < q->n_threads; i++) {
                const QemuThread *t = &q->threads[i];
                if (t->kind != QEMU_THREAD_VCPU || t->index >= p->vcpus)
                        continue;
                hwloc_const_bitmap_t pin = p->vcpu[t->index];
                n++;
                if (!pin) {
                        ADD(c, CHECK_WARN, "vcpu-pin",
                            "vCPU %u (tid %u) has no <vcpupin> and may run on %s, the other "
                            "vCPUs' CPUs included",
                            t->index, t->task.tid, set_str(a, t->task.allowed));
                        bad++;
                } else if (!hwloc_bitmap_isequal(pin, t->task.allowed)) {
                        ADD(c, CHECK_FAIL, "vcpu-pin",
                            "vCPU %u (tid %u) may run on %s, but its pin is %s: libvirt did not "
                            "apply it, or something changed it since (taskset, a cgroup); 'virsh "
                            "vcpupin %s %u %s' sets it again",
                            t->index, t->task.tid, set_str(a, t->task.allowed), set_str(b, pin),
                            c->in->domain->name, t->index, set_str(b, pin));
                        bad++;
                }
        }
        if (bad == 0)
                ADD(c, CHECK_OK, "vcpu-pin", "%u vCPU thread%s may run only on %s pin%s (CPUs %s)",
                    n, plural(n), n == 1 ? "its" : "their", plural(n), c->vm_str);

        bad = 0;
        for (size_t i = 0; i < q->n_threads; i++) {
                const QemuThread *t = &q->threads[i];
                if (t->kind != QEMU_THREAD_VCPU || t->index >= p->vcpus || !p->vcpu[t->index])
                        continue;
                if (hwloc_bitmap_isset(p->vcpu[t->index], t->task.stat.processor))
                        continue;
                ADD(c, CHECK_WARN, "vcpu-last-cpu",
                    "vCPU %u (tid %u) last ran on CPU %u, outside its pin %s (a thread that has "
                    "not run since its pin changed still shows its old CPU; if this stays, "
                    "something moves it)",
                    t->index, t->task.tid, t->task.stat.processor, set_str(a, p->vcpu[t->index]));
                bad++;
        }
        if (bad == 0 && n > 0)
                ADD(c, CHECK_OK, "vcpu-last-cpu",
                    "every pinned vCPU thread last ran inside its pin");
}

/* The threads of a kind (and I/O thread id) against their pin, or without one against the vCPUs'
 * CPUs. what names their owner ("the emulator", "I/O thread 1"), element the pin. Returns how
 * many threads there are. */
static unsigned check_pinned(Ctx *c, const char *code, QemuThreadKind kind, unsigned id,
                             hwloc_const_bitmap_t pin, const char *what, const char *element)
{
        const QemuProc *q = c->in->qemu;
        char a[CPUSET_LIST_MAX], names[256];
        _cleanup_(names_done) Names bad = {0};
        unsigned n = 0, nbad = 0;
        for (size_t i = 0; i < q->n_threads; i++) {
                const QemuThread *t = &q->threads[i];
                if (t->kind != kind || (kind == QEMU_THREAD_IOTHREAD && t->index != id))
                        continue;
                n++;
                bool off = pin ? !hwloc_bitmap_isincluded(t->task.allowed, pin)
                               : hwloc_bitmap_intersects(t->task.allowed, c->vm_cpus);
                if (!off)
                        continue;
                nbad++;
                char one[96];
                snprintf(one, sizeof(one), "tid %u '%.24s' on %s", t->task.tid, t->task.comm,
                         set_str(a, t->task.allowed));
                names_add(&bad, one);
        }
        if (bad.oom)
                c->oom = -ENOMEM;
        if (n == 0)
                return 0;
        if (pin && nbad)
                ADD(c, CHECK_FAIL, code,
                    "%u of the %u thread%s of %s may run outside %s %s (%s): libvirt did not "
                    "apply it, or something changed it since",
                    nbad, n, plural(n), what, element, set_str(a, pin),
                    names_str(&bad, names, sizeof(names)));
        else if (pin)
                ADD(c, CHECK_OK, code, "the %u thread%s of %s stay%s inside %s %s", n, plural(n),
                    what, n == 1 ? "s" : "", element, set_str(a, pin));
        else if (hwloc_bitmap_iszero(c->vm_cpus))
                return n; /* nothing pinned at all: vcpu-pin said so */
        else if (nbad)
                ADD(c, CHECK_WARN, code,
                    "no %s: %u of the %u thread%s of %s may run on the vCPUs' CPUs %s (%s); pin "
                    "%s off them",
                    element, nbad, n, plural(n), what, c->vm_str,
                    names_str(&bad, names, sizeof(names)), n == 1 ? "it" : "them");
        else
                ADD(c, CHECK_OK, code,
                    "no %s, but the %u thread%s of %s stay%s off the vCPUs' "
                    "CPUs %s",
                    element, n, plural(n), what, n == 1 ? "s" : "", c->vm_str);
        return n;
}

static void check_emulator(Ctx *c)
{
        const DomainPins *p = &c->pins;
        hwloc_const_bitmap_t pin = p->emulator ? p->emulator : p->vcpu_default;
        (void) check_pinned(c, "emulator-pin", QEMU_THREAD_EMULATOR, 0, pin, "the emulator",
                            p->emulator ? "its <emulatorpin>"
                            : pin       ? "<vcpu cpuset>"
                                        : "<emulatorpin>");
}

static void check_iothreads(Ctx *c)
{
        const QemuProc *q = c->in->qemu;
        const DomainPins *p = &c->pins;
        for (unsigned i = 0; i < p->n_iothreads; i++) {
                const DomainIothreadPin *io = &p->iothreads[i];
                hwloc_const_bitmap_t pin = io->cpus ? io->cpus : p->vcpu_default;
                char what[48];
                snprintf(what, sizeof(what), "I/O thread %u", io->id);
                unsigned n =
                    check_pinned(c, "iothread-pin", QEMU_THREAD_IOTHREAD, io->id, pin, what,
                                 io->cpus ? "its <iothreadpin>"
                                 : pin    ? "<vcpu cpuset>"
                                          : "<iothreadpin>");
                if (n == 0)
                        ADD(c, CHECK_WARN, "iothread-pin",
                            "I/O thread %u has no thread 'IO iothread%u' in pid %u; is it this "
                            "domain's QEMU, started from this definition?",
                            io->id, io->id, q->pid);
        }
        for (size_t i = 0; i < q->n_threads; i++) {
                const QemuThread *t = &q->threads[i];
                bool known = false;
                if (t->kind != QEMU_THREAD_IOTHREAD)
                        continue;
                for (unsigned k = 0; k < p->n_iothreads; k++)
                        known |= p->iothreads[k].id == t->index;
                if (!known)
                        ADD(c, CHECK_WARN, "iothread-pin",
                            "pid %u has an I/O thread %u (tid %u) the domain does not define",
                            q->pid, t->index, t->task.tid);
        }
}

/* Tasks of other processes that may run on the vCPUs' CPUs. */
static void check_other_tasks(Ctx *c)
{
        Host *h = c->in->host;
        const QemuProc *q = c->in->qemu;
        if (hwloc_bitmap_iszero(c->vm_cpus))
                return;
        _cleanup_(strv_freep) char **pids = NULL;
        int r = host_list_dir(h, "/proc", &pids);
        if (r < 0) {
                ADD(c, CHECK_WARN, "other-tasks", "cannot list /proc: %s", strerror(-r));
                return;
        }
        unsigned self = host_is_live(h) ? (unsigned) getpid() : 0;
        unsigned n = 0, percpu = 0;
        _cleanup_(names_done) Names names = {0};
        for (char **i = pids; *i; i++) {
                unsigned pid;
                if (safe_atou(*i, &pid) < 0 || pid == q->pid || pid == self)
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/%u/task", pid);
                _cleanup_(strv_freep) char **tids = NULL;
                if (host_list_dir(h, path, &tids) < 0)
                        continue; /* ended meanwhile */
                for (char **k = tids; *k; k++) {
                        unsigned tid;
                        _cleanup_(proc_task_done) ProcTask t = {0};
                        if (safe_atou(*k, &tid) < 0 || proc_task_read(h, pid, tid, &t) < 0)
                                continue;
                        if (!hwloc_bitmap_intersects(t.allowed, c->vm_cpus))
                                continue;
                        if (proc_task_is_percpu_kthread(&t)) {
                                percpu++;
                                continue;
                        }
                        n++;
                        names_add(&names, t.comm);
                }
        }
        if (names.oom)
                c->oom = -ENOMEM;
        char list[256], note[96] = "";
        if (percpu)
                snprintf(note, sizeof(note), "; %u per-CPU kernel thread%s there not counted",
                         percpu, plural(percpu));
        if (n)
                ADD(c, CHECK_WARN, "other-tasks",
                    "%u other task%s may run on the VM CPUs %s (%s); 'vmslice prepare' keeps host "
                    "tasks off them%s",
                    n, plural(n), c->vm_str, names_str(&names, list, sizeof(list)), note);
        else
                ADD(c, CHECK_OK, "other-tasks", "no other task may run on the VM CPUs %s%s",
                    c->vm_str, note);
}

/* ---- memory ---- */

static void check_hugepages(Ctx *c)
{
        const QemuProc *q = c->in->qemu;
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX], d[FORMAT_BYTES_MAX];
        uint64_t memory = 0, total = 0;
        (void) check_guest_memory(c->in->domain, &memory);
        if (q->smaps_error) {
                ADD(c, CHECK_WARN, "ram",
                    "cannot read the memory maps of pid %u (/proc/%u/smaps): %s", q->pid, q->pid,
                    q->smaps_error == -EINVAL ? "malformed" : strerror(-q->smaps_error));
                return;
        }
        if (q->n_ram == 0) {
                ADD(c, CHECK_WARN, "ram",
                    "no mapping of pid %u looks like the guest RAM (%s); is it the VM's QEMU?",
                    q->pid, format_bytes(a, sizeof(a), memory));
                return;
        }
        for (size_t i = 0; i < q->n_ram; i++)
                total += q->ram[i].size;
        if (memory && total < memory - memory / 16)
                ADD(c, CHECK_WARN, "ram",
                    "the guest RAM mappings of pid %u hold %s, less than the domain's %s; is it "
                    "this domain's QEMU?",
                    q->pid, format_bytes(a, sizeof(a), total), format_bytes(b, sizeof(b), memory));

        const SliceSpec *s = c->spec;
        if (s->n_hugepages == 0) {
                ADD(c, CHECK_OK, "hugepages",
                    "guest RAM (%s in %zu mapping%s) is backed by %s pages; the domain asks for "
                    "no hugepages",
                    format_bytes(a, sizeof(a), total), q->n_ram, plural(q->n_ram),
                    format_bytes(b, sizeof(b), q->ram[0].page_size));
                return;
        }
        unsigned bad = 0;
        for (size_t i = 0; i < q->n_ram; i++) {
                const QemuRam *m = &q->ram[i];
                bool want = false;
                for (unsigned k = 0; k < s->n_hugepages; k++)
                        want |= s->hugepages[k].page_size == m->page_size;
                if (want)
                        continue;
                bad++;
                ADD(c, CHECK_FAIL, "hugepages",
                    "guest RAM at %" PRIx64 " (%s) is backed by %s pages, but the domain asks for "
                    "%s hugepages: the VM was started without them (from another definition?); "
                    "restart it",
                    m->start, format_bytes(a, sizeof(a), m->size),
                    format_bytes(b, sizeof(b), m->page_size),
                    format_bytes(d, sizeof(d), s->hugepages[0].page_size));
        }
        if (bad == 0)
                ADD(c, CHECK_OK, "hugepages",
                    "guest RAM (%s in %zu mapping%s) is backed by %s hugepages, as the domain asks",
                    format_bytes(a, sizeof(a), total), q->n_ram, plural(q->n_ram),
                    format_bytes(b, sizeof(b), q->ram[0].page_size));
}

/* Where the guest RAM should lie: <numatune>'s nodes, else the nodes of the vCPUs' CPUs. */
static const char *expected_nodes(Ctx *c, hwloc_bitmap_t ret)
{
        hwloc_bitmap_zero(ret);
        if (c->pins.mem_nodes) {
                hwloc_bitmap_copy(ret, c->pins.mem_nodes);
                return "<numatune> asks for";
        }
        int cpu;
        hwloc_bitmap_foreach_begin (cpu, c->vm_cpus) {
                int node = memory_node_of_cpu(c->in->topology, (unsigned) cpu);
                if (node >= 0)
                        hwloc_bitmap_set(ret, (unsigned) node);
        }
        hwloc_bitmap_foreach_end();
        return "the vCPUs' CPUs are on";
}

static void check_numa(Ctx *c)
{
        const QemuProc *q = c->in->qemu;
        char a[CPUSET_LIST_MAX], b[CPUSET_LIST_MAX], s1[FORMAT_BYTES_MAX], s2[FORMAT_BYTES_MAX];
        if (q->smaps_error || q->n_ram == 0)
                return; /* ram said why */
        if (q->numa_maps_error) {
                ADD(c, CHECK_WARN, "numa", "cannot read /proc/%u/numa_maps: %s", q->pid,
                    q->numa_maps_error == -EINVAL ? "malformed" : strerror(-q->numa_maps_error));
                return;
        }
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t want = hwloc_bitmap_alloc(),
                                                     on = hwloc_bitmap_alloc(),
                                                     off = hwloc_bitmap_alloc();
        if (!want || !on || !off) {
                c->oom = -ENOMEM;
                return;
        }
        const char *why = expected_nodes(c, want);
        uint64_t total = 0, outside = 0;
        for (size_t i = 0; i < q->n_ram; i++)
                for (unsigned k = 0; k < q->ram[i].n_nodes; k++) {
                        const QemuRamNode *n = &q->ram[i].nodes[k];
                        if (n->bytes == 0)
                                continue;
                        total += n->bytes;
                        hwloc_bitmap_set(on, n->node);
                        if (!hwloc_bitmap_iszero(want) && !hwloc_bitmap_isset(want, n->node)) {
                                outside += n->bytes;
                                hwloc_bitmap_set(off, n->node);
                        }
                }
        if (total == 0)
                ADD(c, CHECK_OK, "numa", "no guest RAM is resident yet (numa_maps counts none)");
        else if (hwloc_bitmap_iszero(want))
                ADD(c, CHECK_OK, "numa",
                    "guest RAM (%s resident) lies on node%s %s; the domain "
                    "does not say where",
                    format_bytes(s1, sizeof(s1), total), plural((size_t) hwloc_bitmap_weight(on)),
                    set_str(a, on));
        else if (outside)
                ADD(c, CHECK_WARN, "numa",
                    "%s (%.0f%%) of the guest RAM lies on node%s %s, outside node%s %s that %s; "
                    "it was allocated before the pins applied or those nodes were full: free "
                    "memory there and restart the VM",
                    format_bytes(s1, sizeof(s1), outside),
                    100.0 * (double) outside / (double) total,
                    plural((size_t) hwloc_bitmap_weight(off)), set_str(a, off),
                    plural((size_t) hwloc_bitmap_weight(want)), set_str(b, want), why);
        else
                ADD(c, CHECK_OK, "numa", "guest RAM (%s resident) lies on node%s %s, which %s",
                    format_bytes(s2, sizeof(s2), total), plural((size_t) hwloc_bitmap_weight(on)),
                    set_str(a, on), why);
}

/* ---- the slice ---- */

/* Knobs that keep host work off the VM CPUs: a value that does not exclude them fails. */
static bool isolation_knob(const char *path, bool *ret_mask)
{
        *ret_mask = endswith(path, "cpumask") || streq(path, "/proc/irq/default_smp_affinity");
        return *ret_mask || startswith(path, "/sys/fs/cgroup/");
}

static bool is_irq_affinity(const char *path)
{
        const char *p = startswith(path, "/proc/irq/");
        return p && endswith(p, "/smp_affinity_list");
}

static void slice_change(Ctx *c, const SliceChange *ch, hwloc_const_bitmap_t cpus, Names *irqs)
{
        char a[CPUSET_LIST_MAX];
        bool mask;
        if (startswith(ch->path, "kthread:"))
                return; /* per-CPU kernel threads refuse; other-tasks counts the rest */
        if (ch->note && streq(ch->note, "restore")) {
                ADD(c, CHECK_WARN, "slice",
                    "%s is '%s', but no prepared VM wants it changed (its original '%s' is "
                    "journaled); 'vmslice restore' or a release puts it back",
                    ch->path, ch->from ? ch->from : "", ch->to ? ch->to : "");
                return;
        }
        if (is_irq_affinity(ch->path)) {
                char irq[16];
                snprintf(irq, sizeof(irq), "%.15s", ch->path + strlen("/proc/irq/"));
                char *slash = strchr(irq, '/');
                if (slash)
                        *slash = 0;
                names_add(irqs, irq);
                return;
        }
        if (!isolation_knob(ch->path, &mask)) {
                ADD(c, CHECK_WARN, "slice", "%s is '%s', the slice wants '%s'", ch->path,
                    ch->from ? ch->from : "", ch->to ? ch->to : "");
                return;
        }
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cur = hwloc_bitmap_alloc();
        if (!cur) {
                c->oom = -ENOMEM;
                return;
        }
        int r = !ch->from ? -EINVAL
                : mask    ? cpuset_parse_mask(ch->from, cur)
                          : cpuset_parse_list(ch->from, cur);
        if (r < 0 || hwloc_bitmap_intersects(cur, cpus))
                ADD(c, CHECK_FAIL, "slice",
                    "%s is '%s', which does not keep host work off the VM CPUs %s (the slice "
                    "wants '%s'); 'vmslice prepare' of the domain sets it again",
                    ch->path, ch->from ? ch->from : "", set_str(a, cpus), ch->to ? ch->to : "");
        else
                ADD(c, CHECK_WARN, "slice", "%s is '%s', the slice wants '%s'", ch->path,
                    ch->from ? ch->from : "", ch->to ? ch->to : "");
}

static void check_slice(Ctx *c, Error *err)
{
        const CheckInput *in = c->in;
        const char *name = in->domain->name;
        char a[CPUSET_LIST_MAX], b[CPUSET_LIST_MAX];
        if (!in->state || !state_has_vm(in->state, name)) {
                if (in->slice_wanted)
                        ADD(c, CHECK_WARN, "slice",
                            "no slice: the domain opts into vmslice, but %s has no record of it; "
                            "install the hook ('vmslice hook install') before starting it, or "
                            "run 'vmslice prepare'",
                            in->state ? state_dir(in->state) : "the state directory");
                else
                        ADD(c, CHECK_OK, "slice", "no slice: the domain does not opt into vmslice");
                return;
        }
        _cleanup_(freep) char *text = NULL;
        _cleanup_(slice_spec_freep) SliceSpec *rec = NULL;
        Error e = {0};
        if (state_read_vm(in->state, name, &text, &e) < 0 || slice_spec_parse(text, &rec, &e) < 0) {
                ADD(c, CHECK_WARN, "slice", "the slice record of '%s' is unreadable: %s", name,
                    e.msg);
                return;
        }
        hwloc_const_bitmap_t cpus = hwloc_bitmap_iszero(rec->cpus) ? c->vm_cpus : rec->cpus;
        bool bad = false;
        if (!hwloc_bitmap_iszero(rec->cpus) && !hwloc_bitmap_isincluded(c->vm_cpus, rec->cpus)) {
                ADD(c, CHECK_FAIL, "slice",
                    "the slice keeps CPUs %s for the VM, but its vCPUs are pinned to %s: the "
                    "domain changed after its slice was prepared; restart the VM",
                    set_str(a, rec->cpus), set_str(b, c->vm_cpus));
                bad = true;
        }
        SlicePolicy defaults;
        slice_policy_default(&defaults);
        _cleanup_(slice_report_done) SliceReport rep = {0};
        Error re = {0};
        if (slice_reconcile(in->host, in->topology, in->state, in->policy ? in->policy : &defaults,
                            true, &rep, &re) < 0) {
                if (re.code == -ENOMEM)
                        c->oom = error_fail(err, -ENOMEM, "out of memory");
                ADD(c, CHECK_WARN, "slice", "cannot check the slice's knobs: %s", re.msg);
                return;
        }
        size_t before = c->r->n;
        _cleanup_(names_done) Names irqs = {0};
        for (size_t i = 0; i < rep.n; i++)
                slice_change(c, &rep.changes[i], cpus, &irqs);
        if (irqs.oom)
                c->oom = -ENOMEM;
        if (irqs.distinct) {
                char list[256];
                ADD(c, CHECK_WARN, "slice",
                    "%zu IRQ%s may still fire on the VM CPUs %s (IRQ %s): the kernel manages some "
                    "(they cannot move), irqbalance may have moved others back",
                    irqs.distinct, plural(irqs.distinct), set_str(a, cpus),
                    names_str(&irqs, list, sizeof(list)));
        }
        for (char **n = rep.notes; n && *n; n++)
                ADD(c, CHECK_WARN, "slice", "%s", *n);
        if (!bad && c->r->n == before)
                ADD(c, CHECK_OK, "slice",
                    "the slice is in place: host tasks, workqueues and IRQs are kept off CPUs %s, "
                    "every knob as the prepared VMs want it",
                    set_str(a, cpus));
}

/* ---- IRQs ---- */

static const char *interval_str(char *buf, size_t size, unsigned ms)
{
        if (ms % 1000 == 0)
                snprintf(buf, size, "%u s", ms / 1000);
        else
                snprintf(buf, size, "%u ms", ms);
        return buf;
}

int check_add_irqs(CheckResult *r, const Interrupts *before, const Interrupts *after,
                   hwloc_const_bitmap_t cpus, unsigned interval_ms)
{
        _cleanup_(irq_deltas_done) IrqDeltas d = {0};
        char a[CPUSET_LIST_MAX], when[32];
        int rc = interrupts_delta(before, after, cpus, &d); /* the busiest first */
        if (rc < 0)
                return rc;
        interval_str(when, sizeof(when), interval_ms);
        SBuf dev = {0}, loc = {0};
        uint64_t ndev = 0, shown_dev = 0, shown_loc = 0;
        for (size_t i = 0; i < d.n; i++) {
                const IrqDelta *x = &d.d[i];
                if (x->device) {
                        ndev += x->total;
                        if (shown_dev++ < 5)
                                sbuf_appendf(&dev, "%s%s%s%.24s x%" PRIu64,
                                             shown_dev > 1 ? ", " : "", x->key, *x->name ? " " : "",
                                             x->name, x->total);
                } else if (shown_loc++ < 6)
                        sbuf_appendf(&loc, "%s%s %" PRIu64, shown_loc > 1 ? ", " : "", x->key,
                                     x->total);
        }
        if (shown_dev > 5)
                sbuf_appendf(&dev, " and %" PRIu64 " more", shown_dev - 5);
        if (shown_loc > 6)
                sbuf_appendf(&loc, " and %" PRIu64 " more", shown_loc - 6);
        _cleanup_(freep) char *ds = sbuf_steal(&dev), *ls = sbuf_steal(&loc);
        if ((shown_dev && !ds) || (shown_loc && !ls))
                return -ENOMEM;
        set_str(a, cpus);
        if (shown_dev)
                rc = add(r, CHECK_WARN, "irqs",
                         "device IRQs fired %" PRIu64 " time%s on the VM CPUs %s in %s: %s; their "
                         "affinity includes these CPUs ('vmslice prepare' moves them off; "
                         "kernel-managed ones cannot move)",
                         ndev, ndev == 1 ? "" : "s", a, when, ds);
        else
                rc = add(r, CHECK_OK, "irqs", "no device IRQ fired on the VM CPUs %s in %s", a,
                         when);
        if (rc >= 0 && shown_loc)
                rc = add(r, CHECK_WARN, "irqs-local",
                         "per-CPU interrupts on the VM CPUs %s in %s: %s (timer ticks and IPIs; "
                         "nohz_full= stops most ticks on a CPU that runs one task)",
                         a, when, ls);
        else if (rc >= 0)
                rc = add(r, CHECK_OK, "irqs-local", "no per-CPU interrupt on the VM CPUs %s in %s",
                         a, when);
        return rc;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
        struct timespec ts = {.tv_sec = (time_t) (ms / 1000),
                              .tv_nsec = (long) (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void irq_read_failed(Ctx *c, int r)
{
        ADD(c, CHECK_WARN, "irqs", "cannot read /proc/interrupts: %s",
            r == -EINVAL ? "malformed" : strerror(-r));
}

/* ---- all ---- */

int check_run(const CheckInput *in, CheckResult *ret, Error *err)
{
        CheckResult res = {0};
        Ctx c = {.in = in, .r = &res};
        int r = domain_pins(in->domain, &c.pins, err);
        if (r < 0)
                return r;
        r = slice_spec_from_domain(in->domain, in->topology, &c.spec, err);
        c.vm_cpus = hwloc_bitmap_alloc();
        if (r >= 0 && !c.vm_cpus)
                r = error_fail(err, -ENOMEM, "out of memory");
        _cleanup_(interrupts_freep) Interrupts *before = NULL, *after = NULL;
        if (r >= 0) {
                for (unsigned v = 0; v < c.pins.vcpus; v++)
                        if (c.pins.vcpu[v])
                                hwloc_bitmap_or(c.vm_cpus, c.vm_cpus, c.pins.vcpu[v]);
                set_str(c.vm_str, c.vm_cpus);

                bool irqs = in->interval_ms > 0 && !hwloc_bitmap_iszero(c.vm_cpus);
                uint64_t start = now_ms();
                int ir = irqs ? interrupts_read(in->host, &before, NULL) : 0;

                check_qemu(&c);
                check_vcpus(&c);
                check_emulator(&c);
                check_iothreads(&c);
                check_other_tasks(&c);
                if (irqs) {
                        uint64_t spent = now_ms() - start;
                        if (ir >= 0 && spent < in->interval_ms)
                                sleep_ms(in->interval_ms - spent);
                        if (ir >= 0)
                                ir = interrupts_read(in->host, &after, NULL);
                        if (ir == -ENOMEM)
                                c.oom = -ENOMEM;
                        else if (ir < 0)
                                irq_read_failed(&c, ir);
                        else if (check_add_irqs(&res, before, after, c.vm_cpus, in->interval_ms) <
                                 0)
                                c.oom = -ENOMEM;
                }
                check_hugepages(&c);
                check_numa(&c);
                check_slice(&c, err);
                if (c.oom)
                        r = error_fail(err, -ENOMEM, "out of memory");
        }
        domain_pins_done(&c.pins);
        slice_spec_free(c.spec);
        hwloc_bitmap_free(c.vm_cpus);
        if (r < 0) {
                check_result_done(&res);
                return r;
        }
        *ret = res;
        return 0;
}
