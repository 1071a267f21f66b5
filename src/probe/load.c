/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive-util.h"
#include "parse-util.h"
#include "string-util.h"

#define MIB (1ULL << 20)

struct Load {
        bool stress_ng;
        pid_t pgid;
        pid_t *pids; /* the processes vmslice forked (stress-ng, or the built-in workers) */
        size_t n_pids;
        char *dir; /* the load's files */
        unsigned timeout_s;
};

void load_spec_default(LoadSpec *s, unsigned n_cpus)
{
        unsigned n = n_cpus > 0 ? MIN(n_cpus, LOAD_WORKERS_MAX) : 1;
        *s = (LoadSpec){.cpu = n, .vm = n, .io = n, .vm_bytes = 64 * MIB, .engine = LOAD_AUTO};
}

int load_spec_parse(const char *text, LoadSpec *s, Error *err)
{
        _cleanup_(freep) char *copy = strdup(text);
        if (!copy)
                return error_fail(err, -ENOMEM, "out of memory");
        char *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                const char *v;
                unsigned *count = NULL;
                if (streq(item, "builtin"))
                        s->engine = LOAD_BUILTIN;
                else if (streq(item, "stress-ng"))
                        s->engine = LOAD_STRESS_NG;
                else if ((v = startswith(item, "vm-bytes="))) {
                        uint64_t b;
                        if (parse_size(v, 1, &b) < 0 || b < MIB || b > LOAD_VM_BYTES_MAX)
                                return error_input(err,
                                                   "--load: vm-bytes '%s' is not a size from 1M "
                                                   "to 1T",
                                                   v);
                        s->vm_bytes = b;
                } else if ((v = startswith(item, "cpu=")))
                        count = &s->cpu;
                else if ((v = startswith(item, "vm=")))
                        count = &s->vm;
                else if ((v = startswith(item, "io=")))
                        count = &s->io;
                else
                        return error_input(err,
                                           "--load: unknown item '%s'; use cpu=N, vm=N, io=N, "
                                           "vm-bytes=SIZE, builtin or stress-ng",
                                           item);
                if (count && (safe_atou(v, count) < 0 || *count > LOAD_WORKERS_MAX))
                        return error_input(err,
                                           "--load: '%s' needs a number of workers from 0 to %u",
                                           item, LOAD_WORKERS_MAX);
        }
        if (s->cpu + s->vm + s->io == 0)
                return error_input(err, "--load: the load has no workers; give cpu=, vm= or io= a "
                                        "number above 0");
        return 0;
}

int load_find_stress_ng(char *buf, size_t size)
{
        const char *path = getenv("PATH");
        _cleanup_(freep) char *copy = strdup(path && *path ? path : "/usr/bin:/bin");
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                if (d[0] != '/')
                        continue;
                int n = snprintf(buf, size, "%s/stress-ng", d);
                if (n > 0 && (size_t) n < size && access(buf, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

const char *load_engine_name(const Load *l)
{
        return l->stress_ng ? "stress-ng" : "builtin";
}

/* In a child: its own signal dispositions, and death with vmslice. */
static void child_setup(pid_t pgid, int deathsig)
{
        sigset_t none;
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGTERM, SIG_DFL);
        (void) setpgid(0, pgid);
        (void) prctl(PR_SET_PDEATHSIG, deathsig);
}

static _Noreturn void work_cpu(void)
{
        volatile uint64_t x = 1;
        volatile double f = 1.0;
        for (;;) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                f = f * 1.0000001 + 0.5;
                if (f > 1e12)
                        f = 1.0;
        }
}

static _Noreturn void work_vm(uint64_t bytes)
{
        long page = sysconf(_SC_PAGESIZE);
        char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                _exit(1);
        for (unsigned round = 0;; round++) {
                for (uint64_t o = 0; o < bytes; o += (uint64_t) page)
                        p[o] = (char) (round + o);
                (void) madvise(p, bytes, MADV_DONTNEED); /* free it: the next round faults again */
        }
}

static _Noreturn void work_io(const char *dir, unsigned i)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/io-%u", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        char *block = malloc(LOAD_IO_BLOCK);
        if (fd < 0 || !block)
                _exit(1);
        memset(block, 0x5a, LOAD_IO_BLOCK);
        for (uint64_t off = 0;; off += LOAD_IO_BLOCK) {
                if (off >= LOAD_IO_FILE_SIZE) {
                        off = 0;
                        (void) ftruncate(fd, 0);
                }
                block[0] = (char) off;
                if (pwrite(fd, block, LOAD_IO_BLOCK, (off_t) off) < 0)
                        _exit(1);
                (void) fsync(fd);
        }
}

static int add_pid(Load *l, pid_t pid)
{
        pid_t *n = realloc(l->pids, sizeof(pid_t) * (l->n_pids + 1));
        if (!n)
                return -ENOMEM;
        l->pids = n;
        l->pids[l->n_pids++] = pid;
        return 0;
}

/* Forks one process of the load into its group (the first one leads it). */
static int spawn(Load *l, int deathsig, void (*body)(const LoadSpec *, const Load *, unsigned),
                 const LoadSpec *s, unsigned i)
{
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                child_setup(l->pgid, deathsig);
                body(s, l, i);
                _exit(1);
        }
        if (l->pgid == 0)
                l->pgid = pid;
        (void) setpgid(pid, l->pgid); /* also from here, so the group exists before we return */
        return add_pid(l, pid);
}

static void body_stress_ng(const LoadSpec *s, const Load *l, unsigned i)
{
        char exe[4096];
        if (load_find_stress_ng(exe, sizeof(exe)) < 0)
                _exit(127);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
                (void) dup2(null, STDIN_FILENO);
                (void) dup2(null, STDOUT_FILENO);
                (void) dup2(null, STDERR_FILENO);
        }
        char cpu[16], vm[16], vmb[32], io[16], iob[32], wr[32], to[16];
        snprintf(cpu, sizeof(cpu), "%u", s->cpu);
        snprintf(vm, sizeof(vm), "%u", s->vm);
        snprintf(vmb, sizeof(vmb), "%llu", (unsigned long long) s->vm_bytes);
        snprintf(io, sizeof(io), "%u", s->io);
        snprintf(iob, sizeof(iob), "%llu", (unsigned long long) LOAD_IO_FILE_SIZE);
        snprintf(wr, sizeof(wr), "%u", LOAD_IO_BLOCK);
        snprintf(to, sizeof(to), "%us", l->timeout_s);
        const char *argv[32];
        size_t n = 0;
        argv[n++] = "stress-ng";
        if (s->cpu > 0) {
                argv[n++] = "--cpu";
                argv[n++] = cpu;
        }
        if (s->vm > 0) {
                argv[n++] = "--vm";
                argv[n++] = vm;
                argv[n++] = "--vm-bytes";
                argv[n++] = vmb;
        }
        if (s->io > 0) {
                argv[n++] = "--hdd";
                argv[n++] = io;
                argv[n++] = "--hdd-bytes";
                argv[n++] = iob;
                argv[n++] = "--hdd-write-size";
                argv[n++] = wr;
                argv[n++] = "--hdd-opts";
                argv[n++] = "fsync";
        }
        argv[n++] = "--temp-path";
        argv[n++] = l->dir;
        argv[n++] = "--timeout";
        argv[n++] = to;
        argv[n] = NULL;
        execv(exe, (char *const *) argv);
        _exit(127);
}

static void body_cpu(const LoadSpec *s, const Load *l, unsigned i)
{
        (void) prctl(PR_SET_NAME, "vmslice-cpu");
        work_cpu();
}

static void body_vm(const LoadSpec *s, const Load *l, unsigned i)
{
        (void) prctl(PR_SET_NAME, "vmslice-vm");
        work_vm(s->vm_bytes);
}

static void body_io(const LoadSpec *s, const Load *l, unsigned i)
{
        (void) prctl(PR_SET_NAME, "vmslice-io");
        work_io(l->dir, i);
}

int load_start(const LoadSpec *s, unsigned timeout_s, Load **ret, Error *err)
{
        char exe[4096];
        bool have = load_find_stress_ng(exe, sizeof(exe)) == 0;
        if (s->engine == LOAD_STRESS_NG && !have)
                return error_input(err, "--load: stress-ng is not installed (not found in PATH); "
                                        "install it (Debian: apt-get install stress-ng) or use "
                                        "--load=builtin");
        _cleanup_(load_stopp) Load *l = calloc(1, sizeof(Load));
        if (!l)
                return error_fail(err, -ENOMEM, "out of memory");
        l->stress_ng = have && s->engine != LOAD_BUILTIN;
        l->timeout_s = timeout_s;
        char tmpl[] = "/var/tmp/vmslice-bench-XXXXXX";
        if (!mkdtemp(tmpl))
                return error_fail(err, -errno,
                                  "cannot create a directory for the load under "
                                  "/var/tmp: %s",
                                  strerror(errno));
        l->dir = strdup(tmpl);
        if (!l->dir) {
                (void) rmdir(tmpl);
                return error_fail(err, -ENOMEM, "out of memory");
        }
        int r = 0;
        if (l->stress_ng)
                r = spawn(l, SIGTERM, body_stress_ng, s, 0);
        for (unsigned i = 0; r >= 0 && !l->stress_ng && i < s->cpu; i++)
                r = spawn(l, SIGKILL, body_cpu, s, i);
        for (unsigned i = 0; r >= 0 && !l->stress_ng && i < s->vm; i++)
                r = spawn(l, SIGKILL, body_vm, s, i);
        for (unsigned i = 0; r >= 0 && !l->stress_ng && i < s->io; i++)
                r = spawn(l, SIGKILL, body_io, s, i);
        if (r < 0)
                return error_fail(err, r, "cannot start the load: %s", strerror(-r));
        *ret = TAKE_PTR(l);
        return 0;
}

/* Waits for every pid until deadline_ms passes; returns how many are still running. */
static size_t reap(Load *l, unsigned deadline_ms)
{
        size_t left = l->n_pids;
        for (unsigned waited = 0;; waited += 10) {
                left = 0;
                for (size_t i = 0; i < l->n_pids; i++) {
                        if (l->pids[i] <= 0)
                                continue;
                        pid_t r = waitpid(l->pids[i], NULL, WNOHANG);
                        if (r == l->pids[i] || (r < 0 && errno == ECHILD))
                                l->pids[i] = 0;
                        else
                                left++;
                }
                if (left == 0 || waited >= deadline_ms)
                        return left;
                struct timespec ts = {0, 10 * 1000 * 1000};
                (void) nanosleep(&ts, NULL);
        }
}

Load *load_stop(Load *l)
{
        if (!l)
                return NULL;
        if (l->pgid > 0) {
                (void) kill(-l->pgid, SIGTERM);
                if (reap(l, 2000) > 0) {
                        (void) kill(-l->pgid, SIGKILL);
                        (void) reap(l, 5000);
                }
                if (kill(-l->pgid, 0) == 0) /* stress-ng's own workers, if any outlived it */
                        (void) kill(-l->pgid, SIGKILL);
        }
        if (l->dir)
                (void) archive_remove_tree(l->dir);
        free(l->dir);
        free(l->pids);
        free(l);
        return NULL;
}
