/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset-util.h"
#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"

/* ---- one task ---- */

void proc_task_done(ProcTask *t)
{
        free(t->comm);
        hwloc_bitmap_free(t->allowed);
        *t = (ProcTask){0};
}

/* /proc/PID/task/TID/NAME, or /proc/PID/NAME for tid 0. */
static void task_path(char *buf, size_t size, unsigned pid, unsigned tid, const char *name)
{
        if (tid)
                snprintf(buf, size, "/proc/%u/task/%u/%s", pid, tid, name);
        else
                snprintf(buf, size, "/proc/%u/%s", pid, name);
}

int proc_task_read(Host *h, unsigned pid, unsigned tid, ProcTask *ret)
{
        char path[96];
        _cleanup_(freep) char *stat = NULL, *status = NULL;
        _cleanup_(proc_task_done) ProcTask t = {.pid = pid, .tid = tid};

        task_path(path, sizeof(path), pid, tid, "stat");
        int r = host_read_file(h, path, 4096, &stat);
        if (r < 0)
                return r;
        r = proc_stat_parse(stat, &t.stat);
        if (r < 0)
                return r;
        task_path(path, sizeof(path), pid, tid, "status");
        r = host_read_file(h, path, 64 * 1024, &status);
        if (r < 0)
                return r;
        t.allowed = hwloc_bitmap_alloc();
        if (!t.allowed)
                return -ENOMEM;
        r = proc_status_cpus_allowed(status, t.allowed);
        if (r < 0)
                return r == -ENOENT ? -EINVAL : r;
        task_path(path, sizeof(path), pid, tid, "comm");
        r = host_read_file(h, path, 4096, &t.comm);
        if (r == -ENOENT)
                t.comm = strdup(t.stat.comm);
        else if (r < 0)
                return r;
        if (!t.comm)
                return -ENOMEM;
        char *nl = strchr(t.comm, '\n');
        if (nl)
                *nl = 0;
        *ret = t;
        t = (ProcTask){0};
        return 0;
}

bool proc_task_is_percpu_kthread(const ProcTask *t)
{
        return (t->stat.flags & PROC_PF_KTHREAD) && t->allowed &&
               hwloc_bitmap_weight(t->allowed) == 1;
}

/* ---- QEMU's threads ---- */

const char *qemu_thread_kind_to_string(QemuThreadKind k)
{
        switch (k) {
        case QEMU_THREAD_VCPU:
                return "vcpu";
        case QEMU_THREAD_IOTHREAD:
                return "iothread";
        case QEMU_THREAD_EMULATOR:
        default:
                return "emulator";
        }
}

/* The digits at s up to the first character of stop, as a number; NULL when there are none. */
static const char *number_until(const char *s, char stop, unsigned *ret)
{
        char buf[16];
        size_t n = 0;
        while (s[n] && s[n] != stop && n < sizeof(buf) - 1) {
                buf[n] = s[n];
                n++;
        }
        if (s[n] != stop)
                return NULL;
        buf[n] = 0;
        return safe_atou(buf, ret) >= 0 ? s + n : NULL;
}

QemuThreadKind qemu_thread_classify(const char *comm, unsigned *ret_index)
{
        const char *p;
        unsigned n;
        *ret_index = 0;
        if (!comm)
                return QEMU_THREAD_EMULATOR;
        /* "CPU %d/%s" with the accelerator's name (qemu: cpus-common, accel/ *) */
        if ((p = startswith(comm, "CPU ")) && (p = number_until(p, '/', &n)) && p[1] &&
            n != QEMU_VCPU_ALL) {
                *ret_index = n;
                return QEMU_THREAD_VCPU;
        }
        if ((p = startswith(comm, "ALL CPUs/")) && *p) {
                *ret_index = QEMU_VCPU_ALL;
                return QEMU_THREAD_VCPU;
        }
        /* "IO %s" with the iothread object's id, "iothread%u" as libvirt names them */
        if ((p = startswith(comm, "IO iothread")) && number_until(p, 0, &n)) {
                *ret_index = n;
                return QEMU_THREAD_IOTHREAD;
        }
        return QEMU_THREAD_EMULATOR;
}

/* ---- memory maps ---- */

/* Strict hexadecimal, as the kernel prints addresses (lower case, no 0x). */
static int parse_hex64(const char *s, size_t n, uint64_t *ret)
{
        uint64_t v = 0;
        if (n == 0 || n > 16)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                unsigned d;
                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else
                        return -EINVAL;
                v = (v << 4) | d;
        }
        *ret = v;
        return 0;
}

/* Calls parse(line, data) for each line of text (a copy, each line NUL-terminated without its
 * '\n'), stopping at the first error. */
static int for_each_line(const char *text, int (*parse)(char *line, void *data), void *data)
{
        _cleanup_(freep) char *copy = strdup(text ? text : "");
        if (!copy)
                return -ENOMEM;
        for (char *line = copy; *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                int r = parse(line, data);
                if (r < 0)
                        return r;
                line = nl ? nl + 1 : line + strlen(line);
        }
        return 0;
}

void smaps_done(Smaps *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->e[i].path);
        free(s->e);
        *s = (Smaps){0};
}

/* Grows an array of items of size bytes to hold n + 1; -ENOMEM or -EINVAL past PROC_MAPS_MAX. */
static int grow(void **array, size_t n, size_t size)
{
        if (n >= PROC_MAPS_MAX)
                return -EINVAL;
        if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: double */
                void *a = realloc(*array, (n ? n * 2 : 1) * size);
                if (!a)
                        return -ENOMEM;
                *array = a;
        }
        return 0;
}

/* The next space-separated word of *p, NUL-terminated in place; NULL when there is none. */
static char *next_word(char **p)
{
        char *s = *p;
        while (*s == ' ')
                s++;
        if (!*s)
                return NULL;
        char *e = strchr(s, ' ');
        if (e) {
                *e = 0;
                *p = e + 1;
        } else
                *p = s + strlen(s);
        return s;
}

/* "START-END PERMS OFFSET DEV INODE [PATH]" (the path may hold spaces) */
static int smaps_header(char *line, SmapsEntry *e)
{
        char *p = line, *range = next_word(&p), *dash = range ? strchr(range, '-') : NULL;
        if (!dash || parse_hex64(range, (size_t) (dash - range), &e->start) < 0 ||
            parse_hex64(dash + 1, strlen(dash + 1), &e->end) < 0 || e->end < e->start)
                return -EINVAL;
        char *perms = next_word(&p), *offset = next_word(&p), *dev = next_word(&p),
             *inode = next_word(&p);
        uint64_t x;
        if (!perms || strlen(perms) != 4 || !offset ||
            parse_hex64(offset, strlen(offset), &x) < 0 || !dev || !strchr(dev, ':') || !inode ||
            safe_atou64(inode, &x) < 0)
                return -EINVAL;
        memcpy(e->perms, perms, 5);
        while (*p == ' ')
                p++;
        if (*p && !(e->path = strdup(p)))
                return -ENOMEM;
        return 0;
}

/* "Key:   1234 kB" for the keys read; the others are skipped. */
static int smaps_field(char *line, SmapsEntry *e)
{
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
            {"Size:", offsetof(SmapsEntry, size)},
            {"KernelPageSize:", offsetof(SmapsEntry, kernel_page_size)},
            {"Rss:", offsetof(SmapsEntry, rss)},
            {"AnonHugePages:", offsetof(SmapsEntry, anon_huge)},
            {"Shared_Hugetlb:", offsetof(SmapsEntry, hugetlb)},
            {"Private_Hugetlb:", offsetof(SmapsEntry, hugetlb)},
        };
        char *colon = strchr(line, ':');
        if (!colon || colon == line)
                return -EINVAL;
        for (char *p = line; p < colon; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = startswith(line, keys[i].key);
                if (!v)
                        continue;
                _cleanup_(freep) char *copy = strdup(v);
                if (!copy)
                        return -ENOMEM;
                char *num = strstrip(copy), *unit = strchr(num, ' ');
                if (!unit || !streq(strstrip(unit), "kB"))
                        return -EINVAL;
                *unit = 0;
                uint64_t kb;
                if (safe_atou64(num, &kb) < 0 || kb > UINT64_MAX / 1024)
                        return -EINVAL;
                uint64_t *field = (uint64_t *) ((char *) e + keys[i].offset);
                if (*field > UINT64_MAX - kb * 1024)
                        return -EINVAL;
                *field += kb * 1024;
                return 0;
        }
        return 0;
}

static bool is_smaps_header(const char *line)
{
        const char *p = line;
        while (isxdigit((unsigned char) *p))
                p++;
        return p > line && *p == '-';
}

static int smaps_line(char *line, void *data)
{
        Smaps *s = data;
        if (!*line)
                return 0;
        if (!is_smaps_header(line))
                return s->n ? smaps_field(line, &s->e[s->n - 1]) : -EINVAL;
        int r = grow((void **) &s->e, s->n, sizeof(SmapsEntry));
        if (r < 0)
                return r;
        s->e[s->n] = (SmapsEntry){0};
        return smaps_header(line, &s->e[s->n++]);
}

int smaps_parse(const char *text, Smaps *ret)
{
        _cleanup_(smaps_done) Smaps s = {0};
        int r = for_each_line(text, smaps_line, &s);
        if (r < 0)
                return r;
        *ret = s;
        s = (Smaps){0};
        return 0;
}

void numa_maps_done(NumaMaps *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->e[i].policy);
                free(m->e[i].nodes);
        }
        free(m->e);
        *m = (NumaMaps){0};
}

static int numa_token(char *tok, NumaMapsEntry *e)
{
        if (streq(tok, "huge")) {
                e->huge = true;
                return 0;
        }
        const char *v = startswith(tok, "kernelpagesize_kB=");
        if (v) {
                uint64_t kb;
                if (safe_atou64(v, &kb) < 0 || kb > UINT64_MAX / 1024)
                        return -EINVAL;
                e->kernel_page_size = kb * 1024;
                return 0;
        }
        char *eq = strchr(tok, '=');
        if (tok[0] != 'N' || !eq || !isdigit((unsigned char) tok[1]))
                return 0; /* file=, anon=, dirty=, mapped=, heap, stack, ... */
        *eq = 0;
        unsigned node;
        uint64_t pages;
        if (safe_atou(tok + 1, &node) < 0 || node > NUMA_MAPS_NODE_MAX ||
            safe_atou64(eq + 1, &pages) < 0)
                return -EINVAL;
        for (unsigned i = 0; i < e->n_nodes; i++)
                if (e->nodes[i].node == node)
                        return -EINVAL;
        NumaMapsNode *n = realloc(e->nodes, (e->n_nodes + 1) * sizeof(NumaMapsNode));
        if (!n)
                return -ENOMEM;
        e->nodes = n;
        n[e->n_nodes++] = (NumaMapsNode){node, pages};
        return 0;
}

static int numa_maps_line(char *line, void *data)
{
        NumaMaps *m = data;
        char *save = NULL;
        char *addr = strtok_r(line, " ", &save);
        if (!addr)
                return 0; /* a blank line */
        int r = grow((void **) &m->e, m->n, sizeof(NumaMapsEntry));
        if (r < 0)
                return r;
        NumaMapsEntry *e = &m->e[m->n++];
        *e = (NumaMapsEntry){0};
        char *policy = strtok_r(NULL, " ", &save);
        if (parse_hex64(addr, strlen(addr), &e->start) < 0 || !policy)
                return -EINVAL;
        if (!(e->policy = strdup(policy)))
                return -ENOMEM;
        for (char *tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                r = numa_token(tok, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int numa_maps_parse(const char *text, NumaMaps *ret)
{
        _cleanup_(numa_maps_done) NumaMaps m = {0};
        int r = for_each_line(text, numa_maps_line, &m);
        if (r < 0)
                return r;
        *ret = m;
        m = (NumaMaps){0};
        return 0;
}

/* ---- guest RAM ---- */

void qemu_ram_free_array(QemuRam *ram, size_t n)
{
        for (size_t i = 0; ram && i < n; i++) {
                free(ram[i].path);
                free(ram[i].nodes);
        }
        free(ram);
}

static bool ram_candidate(const SmapsEntry *e, uint64_t memory)
{
        if (e->perms[0] != 'r' || e->perms[1] != 'w' || e->perms[2] == 'x')
                return false;
        if (e->size < (1ULL << 20) || (memory && e->size < memory / 16))
                return false;
        if (memory && e->size > memory + (1ULL << 30))
                return false;
        return !(e->path && strstr(e->path, "tcg-jit"));
}

static int cmp_size_desc(const void *a, const void *b)
{
        const SmapsEntry *x = *(const SmapsEntry *const *) a, *y = *(const SmapsEntry *const *) b;
        if (x->size != y->size)
                return x->size > y->size ? -1 : 1;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_ram_start(const void *a, const void *b)
{
        const QemuRam *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int ram_numa(QemuRam *ram, const NumaMaps *numa)
{
        for (size_t i = 0; numa && i < numa->n; i++) {
                const NumaMapsEntry *e = &numa->e[i];
                if (e->start != ram->start)
                        continue;
                uint64_t page = e->kernel_page_size ? e->kernel_page_size : ram->page_size;
                ram->numa_known = true;
                if (e->n_nodes == 0)
                        return 0;
                ram->nodes = calloc(e->n_nodes, sizeof(QemuRamNode));
                if (!ram->nodes)
                        return -ENOMEM;
                for (unsigned k = 0; k < e->n_nodes; k++) {
                        uint64_t pages = e->nodes[k].pages;
                        ram->nodes[k] = (QemuRamNode){
                            .node = e->nodes[k].node,
                            .bytes = page && pages > UINT64_MAX / page ? UINT64_MAX : pages * page,
                        };
                }
                ram->n_nodes = e->n_nodes;
                return 0;
        }
        return 0;
}

int qemu_guest_ram(const Smaps *s, const NumaMaps *numa, uint64_t memory, QemuRam **ret,
                   size_t *ret_n)
{
        _cleanup_(freep) const SmapsEntry **cand = calloc(s->n ? s->n : 1, sizeof(SmapsEntry *));
        if (!cand)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
                if (ram_candidate(&s->e[i], memory))
                        cand[n++] = &s->e[i];
        qsort(cand, n, sizeof(SmapsEntry *), cmp_size_desc);
        size_t take = 0;
        uint64_t sum = 0;
        while (take < n && (take == 0 || (memory && sum < memory))) {
                sum += cand[take]->size;
                take++;
        }
        QemuRam *ram = calloc(take ? take : 1, sizeof(QemuRam));
        if (!ram)
                return -ENOMEM;
        for (size_t i = 0; i < take; i++) {
                const SmapsEntry *e = cand[i];
                ram[i] = (QemuRam){
                    .start = e->start,
                    .size = e->size,
                    .page_size = e->kernel_page_size,
                    .rss = e->hugetlb ? e->hugetlb : e->rss,
                    .anon_huge = e->anon_huge,
                };
                if ((e->path && !(ram[i].path = strdup(e->path))) || ram_numa(&ram[i], numa) < 0) {
                        qemu_ram_free_array(ram, i + 1);
                        return -ENOMEM;
                }
        }
        qsort(ram, take, sizeof(QemuRam), cmp_ram_start);
        *ret = ram;
        *ret_n = take;
        return 0;
}

/* ---- the process ---- */

QemuProc *qemu_proc_free(QemuProc *q)
{
        if (!q)
                return NULL;
        for (size_t i = 0; i < q->n_threads; i++)
                proc_task_done(&q->threads[i].task);
        free(q->threads);
        qemu_ram_free_array(q->ram, q->n_ram);
        free(q->comm);
        free(q->guest_name);
        free(q);
        return NULL;
}

size_t qemu_proc_count(const QemuProc *q, QemuThreadKind kind)
{
        size_t n = 0;
        for (size_t i = 0; i < q->n_threads; i++)
                n += q->threads[i].kind == kind;
        return n;
}

const QemuThread *qemu_proc_vcpu(const QemuProc *q, unsigned index)
{
        for (size_t i = 0; i < q->n_threads; i++)
                if (q->threads[i].kind == QEMU_THREAD_VCPU && q->threads[i].index == index)
                        return &q->threads[i];
        return NULL;
}

static int cmp_thread(const void *a, const void *b)
{
        const QemuThread *x = a, *y = b;
        /* vCPUs, then I/O threads, then the emulator */
        static const int order[] = {
            [QEMU_THREAD_VCPU] = 0, [QEMU_THREAD_IOTHREAD] = 1, [QEMU_THREAD_EMULATOR] = 2};
        if (x->kind != y->kind)
                return order[x->kind] - order[y->kind];
        if (x->index != y->index)
                return x->index < y->index ? -1 : 1;
        return x->task.tid < y->task.tid ? -1 : x->task.tid > y->task.tid;
}

/* QEMU's -name option: "guest=NAME,debug-threads=on" (",," is a literal comma), or "NAME"; as in
 * QEMU, a later guest= replaces an earlier one (or the leading NAME). */
static int parse_name_option(const char *opt, char **ret_guest_name, bool *ret_debug_threads)
{
        _cleanup_(freep) char *name = NULL;
        bool first = true;
        for (const char *p = opt; *p;) {
                SBuf part = {0};
                for (; *p; p++) {
                        if (*p == ',' && p[1] == ',') {
                                sbuf_append(&part, ",");
                                p++;
                        } else if (*p == ',') {
                                p++;
                                break;
                        } else
                                sbuf_appendf(&part, "%c", *p);
                }
                _cleanup_(freep) char *s = sbuf_steal(&part);
                if (!s)
                        return -ENOMEM;
                const char *v;
                if ((v = startswith(s, "guest=")) || (first && !strchr(s, '='))) {
                        free(name);
                        name = strdup(v ? v : s);
                        if (!name)
                                return -ENOMEM;
                } else if ((v = startswith(s, "debug-threads=")))
                        *ret_debug_threads = streq(v, "on") || streq(v, "yes");
                first = false;
        }
        if (name && *name)
                *ret_guest_name = TAKE_PTR(name);
        return 0;
}

int qemu_cmdline_parse(const char *cmdline, size_t size, char **ret_guest_name,
                       bool *ret_debug_threads)
{
        *ret_guest_name = NULL;
        *ret_debug_threads = false;
        for (size_t i = 0; i < size;) {
                const char *arg = cmdline + i;
                size_t len = strnlen(arg, size - i);
                i += len + 1;
                /* i < size first: arg is NUL-terminated, and an argument follows */
                if (i < size && (streq(arg, "-name") || streq(arg, "--name"))) {
                        _cleanup_(freep) char *opt = strndup(cmdline + i, size - i);
                        return opt ? parse_name_option(opt, ret_guest_name, ret_debug_threads)
                                   : -ENOMEM;
                }
        }
        return 0;
}

/* The guest name of a process's QEMU command line (NULL when it has none). */
static int read_guest_name(Host *h, unsigned pid, char **ret_name, bool *ret_debug_threads)
{
        char path[64];
        *ret_name = NULL;
        task_path(path, sizeof(path), pid, 0, "cmdline");
        _cleanup_(closep) int fd = host_open(h, path, O_RDONLY | O_NOCTTY, 0);
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        int r = read_fd_full(fd, 1024 * 1024, &buf, &size);
        if (r < 0)
                return r;
        bool debug = false;
        r = qemu_cmdline_parse(buf, size, ret_name, &debug);
        if (ret_debug_threads)
                *ret_debug_threads = debug;
        return r;
}

/* The command line: NUL-separated arguments. */
static int read_cmdline(Host *h, QemuProc *q)
{
        return read_guest_name(h, q->pid, &q->guest_name, &q->debug_threads);
}

static int read_threads(Host *h, QemuProc *q, Error *err)
{
        char path[64];
        task_path(path, sizeof(path), q->pid, 0, "task");
        _cleanup_(strv_freep) char **tids = NULL;
        int r = host_list_dir(h, path, &tids);
        if (r < 0)
                return error_fail(err, r, "cannot list the threads of pid %u (%s): %s", q->pid,
                                  path, strerror(-r));
        q->threads = calloc(strv_length(tids) + 1, sizeof(QemuThread));
        if (!q->threads)
                return error_fail(err, -ENOMEM, "out of memory");
        for (char **t = tids; *t; t++) {
                unsigned tid;
                if (safe_atou(*t, &tid) < 0)
                        continue;
                QemuThread *th = &q->threads[q->n_threads];
                r = proc_task_read(h, q->pid, tid, &th->task);
                if (r == -ENOENT || r == -ESRCH)
                        continue; /* ended meanwhile */
                if (r == -ENOMEM)
                        return error_fail(err, r, "out of memory");
                if (r < 0)
                        return error_fail(err, r,
                                          "cannot read thread %u of pid %u (/proc/%u/task/%u): "
                                          "%s",
                                          tid, q->pid, q->pid, tid,
                                          r == -EINVAL ? "malformed stat or status" : strerror(-r));
                th->kind = qemu_thread_classify(th->task.comm, &th->index);
                q->n_threads++;
        }
        qsort(q->threads, q->n_threads, sizeof(QemuThread), cmp_thread);
        return 0;
}

static int read_ram(Host *h, QemuProc *q, uint64_t guest_memory)
{
        char path[64];
        _cleanup_(freep) char *smaps_text = NULL, *numa_text = NULL;
        _cleanup_(smaps_done) Smaps s = {0};
        _cleanup_(numa_maps_done) NumaMaps m = {0};

        task_path(path, sizeof(path), q->pid, 0, "smaps");
        int r = host_read_file(h, path, PROC_SMAPS_MAX, &smaps_text);
        if (r >= 0)
                r = smaps_parse(smaps_text, &s);
        if (r == -ENOMEM)
                return r;
        q->smaps_error = r < 0 ? r : 0;
        if (r < 0)
                return 0;

        task_path(path, sizeof(path), q->pid, 0, "numa_maps");
        r = host_read_file(h, path, PROC_SMAPS_MAX, &numa_text);
        if (r >= 0)
                r = numa_maps_parse(numa_text, &m);
        if (r == -ENOMEM)
                return r;
        q->numa_maps_error = r < 0 ? r : 0;
        return qemu_guest_ram(&s, r < 0 ? NULL : &m, guest_memory, &q->ram, &q->n_ram);
}

int qemu_proc_load(Host *h, unsigned pid, uint64_t guest_memory, QemuProc **ret, Error *err)
{
        _cleanup_(qemu_proc_freep) QemuProc *q = calloc(1, sizeof(QemuProc));
        if (!q)
                return error_fail(err, -ENOMEM, "out of memory");
        q->pid = pid;
        char path[64];
        task_path(path, sizeof(path), pid, 0, "comm");
        int r = pid == 0 ? -ENOENT : host_read_line(h, path, &q->comm);
        if (r == -ENOENT || r == -ESRCH)
                return error_input(err, "no process %u%s%s; is the VM running?", pid,
                                   host_is_live(h) ? "" : " under ",
                                   host_is_live(h) ? "" : host_root(h));
        if (r < 0)
                return error_fail(err, r, "cannot read %s: %s", path, strerror(-r));
        r = read_cmdline(h, q);
        if (r == -ENOMEM)
                return error_fail(err, r, "out of memory");
        r = read_threads(h, q, err);
        if (r < 0)
                return r;
        r = read_ram(h, q, guest_memory);
        if (r < 0)
                return error_fail(err, r, "out of memory");
        *ret = TAKE_PTR(q);
        return 0;
}

int qemu_domain_running(Host *h, const char *name, unsigned *ret_pid)
{
        _cleanup_(freep) char *path = strdup_printf(QEMU_PIDFILE_DIR "/%s.pid", name);
        _cleanup_(freep) char *text = NULL, *guest = NULL;
        *ret_pid = 0;
        if (!path)
                return -ENOMEM;
        if (strchr(name, '/'))
                return -EINVAL;
        int r = host_read_line(h, path, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (safe_atou(text, ret_pid) < 0 || *ret_pid == 0)
                return -ESRCH; /* libvirt writes the pid before anything reads it */
        r = read_guest_name(h, *ret_pid, &guest, NULL);
        if (r < 0)
                return r;
        return guest && streq(guest, name) ? 1 : -ESRCH;
}

int qemu_pid_from_libvirt(Host *h, const char *name, unsigned *ret, Error *err)
{
        _cleanup_(freep) char *path = strdup_printf(QEMU_PIDFILE_DIR "/%s.pid", name);
        _cleanup_(freep) char *text = NULL;
        if (!path)
                return error_fail(err, -ENOMEM, "out of memory");
        if (strchr(name, '/'))
                return error_input(err, "'%s' is not a domain name", name);
        int r = host_read_line(h, path, &text);
        if (r == -ENOENT)
                return error_input(
                    err, "domain '%s' is not running (no %s); start it, or give --pid", name, path);
        if (r < 0)
                return error_fail(err, r, "cannot read %s: %s", path, strerror(-r));
        if (safe_atou(text, ret) < 0 || *ret == 0)
                return error_input(err, "%s holds no pid ('%.20s'); give --pid", path, text);
        return 0;
}
