/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "host.h"
#include "macro.h"
#include "proc.h"

/* A running QEMU as /proc shows it, read through the Host (so a fixture tree can carry a fake
 * one): its threads, what each one is, where it may run and where it last ran, and where its guest
 * RAM lies (/proc/PID/smaps, /proc/PID/numa_maps). Nothing here judges; see check.h. */

/* ---- one task (a thread) ---- */

typedef struct ProcTask {
        unsigned pid, tid;
        char *comm;             /* /proc/PID/task/TID/comm (else the stat's), no newline */
        hwloc_bitmap_t allowed; /* Cpus_allowed_list of its status */
        ProcStat stat;
} ProcTask;

/* Reads /proc/PID/task/TID/{comm,status,stat}. Returns 0, -ENOENT when the task is gone (or
 * never was), -EINVAL when a file is malformed, -ENOMEM, or the read's errno. */
int proc_task_read(Host *h, unsigned pid, unsigned tid, ProcTask *ret);
void proc_task_done(ProcTask *t);
/* A kernel thread bound to one CPU (ksoftirqd/N, cpuhp/N, kworker/N:M, ...). */
bool proc_task_is_percpu_kthread(const ProcTask *t);

/* ---- QEMU's threads ---- */

typedef enum QemuThreadKind {
        QEMU_THREAD_EMULATOR = 0, /* the main thread and every other helper */
        QEMU_THREAD_VCPU,
        QEMU_THREAD_IOTHREAD,
} QemuThreadKind;

const char *qemu_thread_kind_to_string(QemuThreadKind k);

/* The index of the one thread of single-threaded TCG ("ALL CPUs/TCG"), which runs every vCPU. */
#define QEMU_VCPU_ALL UINT_MAX

/* What a QEMU thread is, from its name (QEMU names its threads when libvirt passes -name
 * ...,debug-threads=on): "CPU 3/KVM", "CPU 3/TCG" (any accelerator after the '/') is vCPU 3, with
 * *ret_index 3; "ALL CPUs/TCG" is the vCPU thread of single-threaded TCG (QEMU_VCPU_ALL);
 * "IO iothread2" is the I/O thread libvirt calls 2; anything else ("qemu-system-x86", "call_rcu",
 * "worker", "IO mon_iothread", "vhost-1234", ...) is an emulator thread (*ret_index 0). */
QemuThreadKind qemu_thread_classify(const char *comm, unsigned *ret_index);

typedef struct QemuThread {
        ProcTask task;
        QemuThreadKind kind;
        unsigned index; /* vCPU number (or QEMU_VCPU_ALL), I/O thread id; 0 for the emulator */
} QemuThread;

/* ---- memory maps ---- */

/* The most mappings smaps_parse() and numa_maps_parse() accept (vm.max_map_count is 65530 by
 * default) and the largest smaps text qemu_proc_load() reads. */
#define PROC_MAPS_MAX  (1U << 20)
#define PROC_SMAPS_MAX (256U * 1024 * 1024)

typedef struct SmapsEntry {
        uint64_t start, end; /* addresses */
        char perms[5];       /* "rw-p" */
        char *path;          /* what is mapped ("/dev/hugepages/...", "[heap]"), NULL: anonymous */
        uint64_t size;       /* bytes: Size */
        uint64_t kernel_page_size; /* bytes: KernelPageSize, 0 when the entry does not say */
        uint64_t rss;              /* bytes: Rss */
        uint64_t anon_huge;        /* bytes: AnonHugePages (transparent hugepages) */
        uint64_t hugetlb;          /* bytes: Shared_Hugetlb + Private_Hugetlb */
} SmapsEntry;

typedef struct Smaps {
        SmapsEntry *e;
        size_t n;
} Smaps;

/* Parses /proc/PID/smaps: a header line per mapping ("START-END PERMS OFFSET DEV INODE [PATH]")
 * followed by "Key: value [kB]" lines; unknown keys are skipped. Strict: a line that is neither,
 * an address range that ends before it starts, a number that does not parse or overflows, a key
 * before the first header or more than PROC_MAPS_MAX mappings is -EINVAL (a mapping whose lines
 * are cut off keeps what it has). -ENOMEM. */
int smaps_parse(const char *text, Smaps *ret);
void smaps_done(Smaps *s);

/* The pages of one mapping on one NUMA node. */
typedef struct NumaMapsNode {
        unsigned node;
        uint64_t pages;
} NumaMapsNode;

typedef struct NumaMapsEntry {
        uint64_t start;
        char *policy;              /* "default", "bind:0", "interleave:0-1", ... */
        bool huge;                 /* a hugetlbfs mapping */
        uint64_t kernel_page_size; /* bytes: kernelpagesize_kB, 0 when not given */
        NumaMapsNode *nodes;       /* N<node>=<pages>, in the order given */
        unsigned n_nodes;
} NumaMapsEntry;

typedef struct NumaMaps {
        NumaMapsEntry *e;
        size_t n;
} NumaMaps;

/* The largest node number numa_maps_parse() accepts (the kernel's MAX_NUMNODES is at most 1024). */
#define NUMA_MAPS_NODE_MAX 1023U

/* Parses /proc/PID/numa_maps: "START POLICY [TOKEN]..." per mapping, where N<node>=<pages>,
 * "huge" and "kernelpagesize_kB=<n>" are read and other tokens (file=, anon=, dirty=, ...)
 * skipped. Strict: a line without an address and a policy, an N token whose node (up to
 * NUMA_MAPS_NODE_MAX) or count does not parse, a node twice on a line, or more than PROC_MAPS_MAX
 * lines is -EINVAL. -ENOMEM. */
int numa_maps_parse(const char *text, NumaMaps *ret);
void numa_maps_done(NumaMaps *m);

/* ---- guest RAM ---- */

/* Bytes of one RAM mapping on one node. */
typedef struct QemuRamNode {
        unsigned node;
        uint64_t bytes;
} QemuRamNode;

typedef struct QemuRam {
        uint64_t start, size;
        uint64_t page_size; /* KernelPageSize, bytes (0: smaps did not say) */
        uint64_t rss;       /* bytes resident (for hugetlbfs: the hugepages in use) */
        uint64_t anon_huge; /* bytes in transparent hugepages */
        char *path;         /* NULL for anonymous memory */
        QemuRamNode *nodes; /* where its pages are, from numa_maps; NULL when unknown */
        unsigned n_nodes;
        bool numa_known; /* numa_maps had this mapping */
} QemuRam;

/* Finds the guest RAM among a QEMU's mappings: readable and writable, not executable mappings
 * (TCG's code buffer is executable) of at least 1 MiB and at least memory/16, at most memory +
 * 1 GiB (a mapping rounded up to a 1 GiB page), not TCG's "tcg-jit" memfd, largest first, as many
 * as it takes to cover memory bytes (the guest's NUMA cells each have one); memory 0 (unknown)
 * takes the largest. numa maps may be NULL. The result is sorted by address; *ret_n may be 0.
 * Returns 0 or -ENOMEM. */
int qemu_guest_ram(const Smaps *s, const NumaMaps *numa, uint64_t memory, QemuRam **ret,
                   size_t *ret_n);
void qemu_ram_free_array(QemuRam *ram, size_t n);

/* ---- the process ---- */

typedef struct QemuProc {
        unsigned pid;
        char *comm;         /* /proc/PID/comm ("qemu-system-x86") */
        char *guest_name;   /* from -name guest=NAME on its command line, NULL when absent */
        bool debug_threads; /* -name ...,debug-threads=on: its threads carry names */
        QemuThread
            *threads; /* sorted: vCPUs by index, I/O threads by id, emulator threads by tid */
        size_t n_threads;
        QemuRam *ram; /* guest RAM (qemu_guest_ram()), sorted by address */
        size_t n_ram;
        int smaps_error;     /* 0, or why smaps could not be read or parsed (negative errno) */
        int numa_maps_error; /* 0, or why numa_maps could not be read or parsed */
} QemuProc;

/* Reads a QEMU process: its comm and command line, every thread of /proc/PID/task (threads that
 * end meanwhile are left out) and its guest RAM of guest_memory bytes (0: unknown). A process
 * that does not exist is an input error ("no process 4242; is the VM running?"); a task list that
 * cannot be read fails. smaps and numa_maps that cannot be read or parsed are not errors: they
 * leave n_ram 0 and say why in smaps_error and numa_maps_error. */
int qemu_proc_load(Host *h, unsigned pid, uint64_t guest_memory, QemuProc **ret, Error *err);
QemuProc *qemu_proc_free(QemuProc *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuProc *, qemu_proc_free)

/* How many threads of a kind q has. */
size_t qemu_proc_count(const QemuProc *q, QemuThreadKind kind);
/* The vCPU thread of vCPU index, or NULL. */
const QemuThread *qemu_proc_vcpu(const QemuProc *q, unsigned index);

/* QEMU's -name option in a command line (/proc/PID/cmdline: size bytes of NUL-separated arguments,
 * the last one possibly unterminated): "-name guest=NAME,debug-threads=on" (",," is a literal
 * comma) or "-name NAME". *ret_guest_name is NULL when there is no name (the caller frees it).
 * Returns 0 or -ENOMEM. */
int qemu_cmdline_parse(const char *cmdline, size_t size, char **ret_guest_name,
                       bool *ret_debug_threads);

/* Where libvirt records the pid of a running domain's QEMU: QEMU_PIDFILE_DIR/NAME.pid. */
#define QEMU_PIDFILE_DIR "/run/libvirt/qemu"

/* The pid of a running domain from libvirt's pid file (read through the Host). No pid file is an
 * input error ("domain NAME is not running ..."); a pid file without a pid is an input error. */
int qemu_pid_from_libvirt(Host *h, const char *name, unsigned *ret, Error *err);
/* Whether domain name's QEMU runs: 1 when libvirt's pid file names a process whose QEMU command
 * line is that guest's (*ret_pid its pid), 0 without a pid file (not running), -ESRCH when the
 * pid file names a process that is gone or runs another guest (*ret_pid that pid, or 0), another
 * negative errno when it cannot be read. */
int qemu_domain_running(Host *h, const char *name, unsigned *ret_pid);
