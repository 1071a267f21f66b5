/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive-util.h"
#include "cpuset-util.h"
#include "domain.h"
#include "fileio.h"
#include "slice.h"
#include "string-util.h"

/* The runtime slice on fixture trees: prepare and release change exactly what they should, the
 * last VM out restores everything, a crash at any journaled step is undone by restore, a failure
 * rolls the VM back. "Everything restored" is checked by comparing the whole tree with a pristine
 * copy of the same fixture. */

typedef struct Env {
        Host *h, *pristine;
        Topology *t;
        char state[256];
} Env;

/* systemd as the tests see it: AllowedCPUs= lands in the unit's cgroup cpuset.cpus, as systemd
 * writes it (so a forked child's calls survive it), and every call is counted in a log file in
 * the tree (not in the pristine copy, so the tree comparison ignores it). */
typedef struct FakeSystemd {
        Host *h;
} FakeSystemd;

static void fake_log(FakeSystemd *f, const char *unit, const char *value)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/systemd-calls.log", host_root(f->h));
        FILE *l = fopen(path, "ae");
        if (l) {
                fprintf(l, "set %s AllowedCPUs=%s\n", unit, value);
                fclose(l);
        }
}

static int fake_get(void *u, const char *unit, hwloc_bitmap_t ret, Error *err)
{
        FakeSystemd *f = u;
        _cleanup_(freep) char *s = NULL;
        if (host_read_linef(f->h, &s, "/sys/fs/cgroup/%s/cpuset.cpus", unit) < 0)
                return error_fail(err, -ENOENT, "no unit %s", unit);
        return cpuset_parse_list(s, ret);
}

static int fake_set(void *u, const char *unit, hwloc_const_bitmap_t cpus, Error *err)
{
        FakeSystemd *f = u;
        char path[256];
        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cpuset.cpus", unit);
        _cleanup_(freep) char *list = cpuset_format_list(cpus);
        fake_log(f, unit, list);
        return host_write_file(f->h, path, list);
}

static int fake_state(void *u, const char *unit, char **ret, Error *err)
{
        *ret = strdup("active");
        return 0;
}

static int fake_job(void *u, const char *unit, Error *err)
{
        return 0;
}

static const SystemdOps fake_ops = {
    .get_allowed_cpus = fake_get,
    .set_allowed_cpus = fake_set,
    .active_state = fake_state,
    .start_unit = fake_job,
    .stop_unit = fake_job,
    .free = free,
};

static unsigned fake_calls(Env *e)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/systemd-calls.log", host_root(e->h));
        FILE *l = fopen(path, "re");
        unsigned n = 0;
        for (int c; l && (c = fgetc(l)) != EOF;)
                n += c == '\n';
        if (l)
                fclose(l);
        return n;
}

static void touch_dir(Host *h, const char *rel)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", host_root(h), rel);
        for (char *p = path + strlen(host_root(h)) + 1; (p = strchr(p, '/')); p++) {
                *p = 0;
                (void) mkdir(path, 0755);
                *p = '/';
        }
        assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void write_at(Host *h, const char *rel, const char *text)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", host_root(h), rel);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* Host layouts on top of a fixture ("i7-6800k+systemd"): +systemd, systemd as PID 1 (run/systemd/
 * system, and the fake above on the host); +plain, cgroup v2 without systemd: no slices, two
 * top-level cgroups of an OpenRC host and libvirt's /machine, processes in the root cgroup. */
static void layout(Host *h, const char *name, bool install)
{
        if (streq(name, "systemd")) {
                touch_dir(h, "run/systemd/system");
                if (install) {
                        FakeSystemd *f = calloc(1, sizeof(*f));
                        f->h = h;
                        host_set_systemd(h, systemd_new(&fake_ops, f));
                }
        } else if (streq(name, "plain")) {
                char a[1024], b[1024];
                static const char *const renames[][2] = {{"init.scope", "openrc.sshd"},
                                                         {"system.slice", "docker"},
                                                         {"machine.slice", "machine"}};
                for (size_t i = 0; i < ELEMENTSOF(renames); i++) {
                        snprintf(a, sizeof(a), "%s/sys/fs/cgroup/%s", host_root(h), renames[i][0]);
                        snprintf(b, sizeof(b), "%s/sys/fs/cgroup/%s", host_root(h), renames[i][1]);
                        assert_int_equal(rename(a, b), 0);
                }
                snprintf(a, sizeof(a), "%s/sys/fs/cgroup/user.slice", host_root(h));
                assert_int_equal(archive_remove_tree(a), 0);
                write_at(h, "sys/fs/cgroup/cgroup.procs", "1\n2\n300\n");
                static const char *const procs[][2] = {
                    {"1", "1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 9"
                          " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"},
                    {"2", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 9"
                          " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"},
                    {"300", "300 (sshd) S 1 300 300 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99"
                            " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"},
                };
                for (size_t i = 0; i < ELEMENTSOF(procs); i++) {
                        snprintf(a, sizeof(a), "proc/%s", procs[i][0]);
                        touch_dir(h, a);
                        snprintf(a, sizeof(a), "proc/%s/stat", procs[i][0]);
                        write_at(h, a, procs[i][1]);
                }
        } else if (streq(name, "running")) {
                /* the VM vm-a runs (QEMU pid 5000) in libvirt's cgroup v2 layout, its vCPU
                 * cgroups holding good-tuned.xml's pins */
                static const char scope[] = "sys/fs/cgroup/machine.slice/"
                                            "machine-qemu\\x2d1\\x2dvm\\x2da.scope";
                static const char *const pins[] = {"2", "8", "3", "9", "4", "10", "5", "11"};
                char a[1024];
                write_at(h, "sys/fs/cgroup/machine.slice/cpuset.cpus.exclusive", "\n");
                snprintf(a, sizeof(a), "%s/libvirt/emulator", scope);
                touch_dir(h, a);
                for (const char *d = scope; d; d = NULL)
                        for (int level = 0; level < 2; level++) {
                                snprintf(a, sizeof(a), "%s%s/cpuset.cpus.exclusive", d,
                                         level ? "/libvirt" : "");
                                write_at(h, a, "\n");
                        }
                for (size_t i = 0; i < ELEMENTSOF(pins); i++) {
                        snprintf(a, sizeof(a), "%s/libvirt/vcpu%zu", scope, i);
                        touch_dir(h, a);
                        snprintf(a, sizeof(a), "%s/libvirt/vcpu%zu/cpuset.cpus", scope, i);
                        write_at(h, a, pins[i]);
                        snprintf(a, sizeof(a), "%s/libvirt/vcpu%zu/cpuset.cpus.exclusive", scope,
                                 i);
                        write_at(h, a, "\n");
                        snprintf(a, sizeof(a), "%s/libvirt/vcpu%zu/cpuset.cpus.partition", scope,
                                 i);
                        write_at(h, a, "member\n");
                }
                touch_dir(h, "run/libvirt/qemu");
                write_at(h, "run/libvirt/qemu/vm-a.pid", "5000");
                touch_dir(h, "proc/5000");
                write_at(h, "proc/5000/cgroup",
                         "0::/machine.slice/machine-qemu\\x2d1\\x2dvm\\x2da.scope/libvirt/"
                         "emulator\n");
        } else
                fail_msg("unknown layout %s", name);
}

/* The pristine copy of a layout is only read: one per layout for the whole run (the walks below
 * open hundreds of environments). */
static struct {
        char name[64];
        Host *h;
} pristines[8];

static Host *pristine_of(const char *host_layout)
{
        size_t i = 0;
        for (; i < ELEMENTSOF(pristines) && pristines[i].h; i++)
                if (streq(pristines[i].name, host_layout))
                        return pristines[i].h;
        assert_true(i < ELEMENTSOF(pristines));
        char host[64];
        snprintf(host, sizeof(host), "%s", host_layout);
        char *plus = strchr(host, '+');
        if (plus)
                *plus++ = 0;
        snprintf(pristines[i].name, sizeof(pristines[i].name), "%s", host_layout);
        pristines[i].h = fixture_host_private(host);
        if (plus)
                layout(pristines[i].h, plus, false);
        return pristines[i].h;
}

static int free_pristines(void **state_)
{
        for (size_t i = 0; i < ELEMENTSOF(pristines); i++)
                host_free(pristines[i].h);
        return 0;
}

static void env_open(Env *e, const char *host_layout)
{
        char host[64];
        snprintf(host, sizeof(host), "%s", host_layout);
        char *plus = strchr(host, '+');
        if (plus)
                *plus++ = 0;
        e->h = fixture_host_private(host);
        e->pristine = pristine_of(host_layout);
        if (plus)
                layout(e->h, plus, true);
        Error err = {0};
        assert_int_equal(topology_load(e->h, &e->t, &err), 0);
        snprintf(e->state, sizeof(e->state), "%s/vmslice-state-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        assert_non_null(mkdtemp(e->state));
        chmod(e->state, 0700);
}

static void env_close(Env *e)
{
        topology_free(e->t);
        host_free(e->h);
        (void) archive_remove_tree(e->state);
}

static State *state(Env *e)
{
        State *st = NULL;
        Error err = {0};
        if (state_open(e->state, &st, &err) < 0)
                fail_msg("state: %s", err.msg);
        return st;
}

/* A fixture tree is not a kernel: "always [madvise] never" reads back as what was written. Files
 * compare equal when their contents agree up to trailing whitespace, and a bracketed choice
 * compares as the chosen word. */
static const char *cmp_root_a, *cmp_root_b;
static int cmp_diffs;

static void normalize(char *s)
{
        strstrip(s);
        char *a = strchr(s, '['), *b = a ? strchr(a, ']') : NULL;
        if (a && b) {
                *b = 0;
                memmove(s, a + 1, strlen(a + 1) + 1);
        }
}

static int cmp_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        if (type != FTW_F)
                return 0;
        const char *rel = path + strlen(cmp_root_b);
        if (endswith(rel, "/systemd-calls.log"))
                return 0; /* the fake's call log: history, not state */
        char other[2048];
        snprintf(other, sizeof(other), "%s%s", cmp_root_a, rel);
        _cleanup_(freep) char *x = NULL, *y = NULL;
        FILE *f = fopen(path, "re"), *g = fopen(other, "re");
        if (!f || !g) {
                if (f)
                        fclose(f);
                if (g)
                        fclose(g);
                cmp_diffs++;
                print_message("# missing: %s\n", rel);
                return 0;
        }
        (void) read_fd_full(fileno(f), 1 << 24, &x, NULL);
        (void) read_fd_full(fileno(g), 1 << 24, &y, NULL);
        fclose(f);
        fclose(g);
        if (!x || !y)
                return 0;
        normalize(x);
        normalize(y);
        if (!streq(x, y)) {
                cmp_diffs++;
                print_message("# differs: %s: '%s' (pristine '%s')\n", rel, y, x);
        }
        return 0;
}

/* every file of 'want' is in 'got' with the same contents */
static bool trees_equal(Host *got, Host *want)
{
        cmp_root_a = host_root(got);
        cmp_root_b = host_root(want);
        cmp_diffs = 0;
        assert_int_equal(nftw(cmp_root_b, cmp_one, 16, FTW_PHYS), 0);
        return cmp_diffs == 0;
}

static bool same_tree(Env *e)
{
        return trees_equal(e->h, e->pristine);
}

static SliceSpec *spec_of(Env *e, const char *xml_file, const char *rename)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/domains/%s", getenv("VMSLICE_TEST_DATA"), xml_file);
        Domain *d = NULL;
        Error err = {0};
        if (domain_load_file(path, &d, &err) < 0)
                fail_msg("%s: %s", xml_file, err.msg);
        SliceSpec *s = NULL;
        if (slice_spec_from_domain(d, e->t, &s, &err) < 0)
                fail_msg("%s: %s", xml_file, err.msg);
        if (rename) {
                free(s->name);
                s->name = strdup(rename);
        }
        domain_free(d);
        return s;
}

/* a second VM beside vm-a's pins (good-tuned.xml takes 2-5,8-11): CPUs 1 and 7 */
static SliceSpec *spec_b(Env *e, const char *domain)
{
        SliceSpec *b = spec_of(e, domain, "vm-b");
        hwloc_bitmap_zero(b->cpus);
        hwloc_bitmap_set(b->cpus, 1);
        hwloc_bitmap_set(b->cpus, 7);
        hwloc_bitmap_copy(b->vcpu_cpus, b->cpus);
        return b;
}

static char *rd(Env *e, const char *path)
{
        char *s = NULL;
        if (host_read_line(e->h, path, &s) < 0)
                return strdup("(missing)");
        return s;
}

#define HP0 "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"

static int prepare(Env *e, SliceSpec *s, bool dry, SliceReport *rep, Error *err)
{
        _cleanup_(state_closep) State *st = state(e);
        SlicePolicy p;
        slice_policy_default(&p);
        return slice_prepare(e->h, e->t, st, s, &p, dry, rep, err);
}

static int release(Env *e, const char *name)
{
        _cleanup_(state_closep) State *st = state(e);
        SlicePolicy p;
        slice_policy_default(&p);
        Error err = {0};
        int r = slice_release(e->h, e->t, st, name, &p, false, NULL, &err);
        if (r < 0)
                fail_msg("release %s: %s", name, err.msg);
        return r;
}

static void test_prepare_release(void **state_)
{
        Env e = {0};
        env_open(&e, "i7-6800k");
        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, "good-tuned.xml", "vm-a");
        Error err = {0};

        /* dry run: changes reported, nothing written */
        SliceReport dry = {0};
        assert_int_equal(prepare(&e, a, true, &dry, &err), 0);
        assert_true(dry.n > 5);
        assert_true(same_tree(&e));
        slice_report_done(&dry);

        SliceReport rep = {0};
        assert_int_equal(prepare(&e, a, false, &rep, &err), 0);
        slice_report_done(&rep);
        _cleanup_(freep) char *hp = rd(&e, HP0);
        assert_string_equal(hp, "4096"); /* 8 GiB in 2 MiB pages */
        _cleanup_(freep) char *wq = rd(&e, "/sys/devices/virtual/workqueue/cpumask");
        assert_string_equal(wq, "000000c3"); /* cpus 0-1,6-7 */
        _cleanup_(freep) char *thp = rd(&e, "/sys/kernel/mm/transparent_hugepage/enabled");
        assert_string_equal(thp, "never");
        _cleanup_(freep) char *gov =
            rd(&e, "/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor");
        assert_string_equal(gov, "performance");
        _cleanup_(freep) char *gov0 =
            rd(&e, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
        assert_string_equal(gov0, "powersave"); /* host CPUs untouched */
        _cleanup_(freep) char *si = rd(&e, "/proc/sys/vm/stat_interval");
        assert_string_equal(si, "120");

        /* a second prepare changes nothing */
        SliceReport again = {0};
        assert_int_equal(prepare(&e, a, false, &again, &err), 0);
        assert_int_equal(again.n, 0);
        slice_report_done(&again);

        /* a second VM: pages add up, the masks take the union */
        _cleanup_(slice_spec_freep) SliceSpec *b = spec_b(&e, "good-tuned.xml");
        SliceReport r2 = {0};
        assert_int_equal(prepare(&e, b, false, &r2, &err), 0);
        slice_report_done(&r2);
        _cleanup_(freep) char *hp2 = rd(&e, HP0);
        assert_string_equal(hp2, "8192");
        _cleanup_(freep) char *wq2 = rd(&e, "/sys/devices/virtual/workqueue/cpumask");
        assert_string_equal(wq2, "00000041"); /* 0,6 */

        /* the first out: its pages go, vm-b's stay */
        release(&e, "vm-a");
        _cleanup_(freep) char *hp3 = rd(&e, HP0);
        assert_string_equal(hp3, "4096");
        _cleanup_(freep) char *thp3 = rd(&e, "/sys/kernel/mm/transparent_hugepage/enabled");
        assert_string_equal(thp3, "never"); /* still wanted by vm-b */
        _cleanup_(freep) char *gov3 =
            rd(&e, "/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor");
        assert_string_equal(gov3, "powersave"); /* cpu 3 was vm-a's */

        /* the last out restores everything */
        release(&e, "vm-b");
        assert_true(same_tree(&e));
        _cleanup_(state_closep) State *st = state(&e);
        assert_int_equal(state_n_originals(st), 0);
        env_close(&e);
}

static void test_restore(void **state_)
{
        Env e = {0};
        env_open(&e, "xeon-2s-interleaved");
        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, "good-tuned.xml", "vm-a");
        Error err = {0};
        assert_int_equal(prepare(&e, a, false, NULL, &err), 0);
        assert_false(same_tree(&e));
        _cleanup_(state_closep) State *st = state(&e);
        SliceReport rep = {0};
        assert_int_equal(slice_restore(e.h, st, false, &rep, &err), 0);
        assert_true(rep.n > 0);
        slice_report_done(&rep);
        assert_true(same_tree(&e));
        env_close(&e);
}

/* ---- fault injection (VMSLICE_FAULT, see state.h) ---- */

typedef enum { AT_BEFORE, AT_AFTER, AT_FAIL } FaultAt;
static const char *const fault_at[] = {"before", "after", "fail"};
enum { RAN_FAILED = 1, RAN_FIRED = 2, RAN_KILLED = 4 };

/* Runs op in a child (the fault counter is per process) whose Nth journaled write faults; returns
 * RAN_* bits: the operation failed, the fault fired, the child was killed by it. */
static int run_faulted(Env *e, unsigned n, FaultAt at, int (*op)(Env *, void *), void *arg)
{
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char num[16];
                snprintf(num, sizeof(num), "%u", n);
                setenv("VMSLICE_FAULT", num, 1);
                setenv("VMSLICE_FAULT_AT", fault_at[at], 1);
                int r = op(e, arg);
                _exit((r < 0 ? RAN_FAILED : 0) | (state_fault_fired() ? RAN_FIRED : 0));
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 137)
                return RAN_KILLED | RAN_FIRED;
        assert_true(WEXITSTATUS(status) < RAN_KILLED);
        return WEXITSTATUS(status);
}

static int op_prepare(Env *e, void *spec)
{
        Error err = {0};
        return prepare(e, spec, false, NULL, &err);
}

static int op_release(Env *e, void *name)
{
        _cleanup_(state_closep) State *st = state(e);
        SlicePolicy p;
        slice_policy_default(&p);
        Error err = {0};
        return slice_release(e->h, e->t, st, name, &p, false, NULL, &err);
}

static void restore_all(Env *e)
{
        _cleanup_(state_closep) State *st = state(e);
        Error err = {0};
        if (slice_restore(e->h, st, false, NULL, &err) < 0)
                fail_msg("restore: %s", err.msg);
}

static void assert_no_originals(Env *e)
{
        _cleanup_(state_closep) State *st = state(e);
        assert_int_equal(state_n_originals(st), 0);
}

/* A failure at any write of prepare rolls the VM back: the tree is as it was and the VM is not
 * recorded as prepared. */
static void rollback_on(const char *host, const char *domain)
{
        unsigned covered = 0, refused = 0;
        for (unsigned n = 1; n < 400; n++) {
                Env e = {0};
                env_open(&e, host);
                _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, domain, "vm-a");
                int ran = run_faulted(&e, n, AT_FAIL, op_prepare, a);
                if (!(ran & RAN_FIRED)) { /* past the last write */
                        assert_false(ran & RAN_FAILED);
                        env_close(&e);
                        break;
                }
                if (!(ran & RAN_FAILED)) {
                        /* the failed write was an IRQ: refused IRQs are reported, not fatal */
                        release(&e, "vm-a");
                        refused++;
                } else {
                        covered++;
                        _cleanup_(state_closep) State *st = state(&e);
                        assert_false(state_has_vm(st, "vm-a"));
                }
                if (!same_tree(&e))
                        fail_msg("a failed write %u: prepare did not roll back", n);
                assert_no_originals(&e);
                env_close(&e);
        }
        print_message(
            "# %s: %u failing writes of prepare covered, each rolled back (%u IRQ writes refused "
            "and reported instead)\n",
            host, covered, refused);
        assert_true(covered > 5);
}

/* kill -9 at every journaled step of prepare (before and after each write), then restore: the
 * tree is as it was. */
static void crash_points_on(const char *host, const char *domain)
{
        unsigned covered = 0;
        for (FaultAt at = AT_BEFORE; at <= AT_AFTER; at++)
                for (unsigned n = 1; n < 400; n++) {
                        Env e = {0};
                        env_open(&e, host);
                        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, domain, "vm-a");
                        int ran = run_faulted(&e, n, at, op_prepare, a);
                        restore_all(&e);
                        if (!same_tree(&e))
                                fail_msg("crash at step %u (%s the write): restore left the tree "
                                         "changed",
                                         n, fault_at[at]);
                        env_close(&e);
                        if (!(ran & RAN_KILLED))
                                break; /* past the last step */
                        covered++;
                }
        print_message("# %s: %u crash points of prepare covered, each undone by restore\n", host,
                      covered);
        assert_true(covered > 10);
}

/* Every write of vm-a's release killed before it, killed after it, or failing. With a second VM
 * running (two): the next release of vm-a (the user's, or the next hook call's reconcile) leaves
 * the host exactly as vm-b alone would have it, and vm-b's release gives back everything. Alone:
 * restore gives back everything. */
static void release_faults_on(const char *host, const char *domain, bool two)
{
        Env ref = {0};
        env_open(&ref, host);
        if (two) {
                _cleanup_(slice_spec_freep) SliceSpec *b = spec_b(&ref, domain);
                assert_int_equal(op_prepare(&ref, b), 0);
        }
        unsigned points[3] = {0};
        for (FaultAt at = AT_BEFORE; at <= AT_FAIL; at++)
                for (unsigned n = 1; n < 400; n++) {
                        Env e = {0};
                        env_open(&e, host);
                        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, domain, "vm-a");
                        assert_int_equal(op_prepare(&e, a), 0);
                        if (two) {
                                _cleanup_(slice_spec_freep) SliceSpec *b = spec_b(&e, domain);
                                assert_int_equal(op_prepare(&e, b), 0);
                        }
                        int ran = run_faulted(&e, n, at, op_release, "vm-a");
                        if (!(ran & RAN_FIRED)) {
                                assert_false(ran & RAN_FAILED);
                                env_close(&e);
                                break;
                        }
                        points[at]++;
                        if (two) {
                                assert_int_equal(op_release(&e, "vm-a"), 0);
                                if (!trees_equal(e.h, ref.h))
                                        fail_msg("%s: write %u of release %s: the next release "
                                                 "did not leave vm-b's slice alone",
                                                 host, n, fault_at[at]);
                                release(&e, "vm-b");
                        } else
                                restore_all(&e);
                        if (!same_tree(&e))
                                fail_msg("%s: write %u of release %s: the host is not as it was",
                                         host, n, fault_at[at]);
                        assert_no_originals(&e);
                        env_close(&e);
                }
        print_message("# %s: release of vm-a%s: %u writes, each killed before, killed after and "
                      "failing, each undone\n",
                      host, two ? " beside vm-b" : "", points[AT_BEFORE]);
        env_close(&ref);
        assert_true(points[AT_BEFORE] > 5);
        assert_int_equal(points[AT_AFTER], points[AT_BEFORE]);
        assert_int_equal(points[AT_FAIL], points[AT_BEFORE]);
}

/* partition = yes: a running VM's vCPU cgroups become isolated partitions, the CPUs handed down
 * through cpuset.cpus.exclusive from machine.slice; release gives every file back. */
static void test_partition(void **state_)
{
        Env e = {0};
        env_open(&e, "i7-6800k+running");
        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, "good-tuned.xml", "vm-a");
        _cleanup_(state_closep) State *st = state(&e);
        SlicePolicy p;
        slice_policy_default(&p);
        p.partition = true;
        Error err = {0};
        SliceReport rep = {0};
        assert_int_equal(slice_prepare(e.h, e.t, st, a, &p, false, &rep, &err), 0);
        /* ancestors before the vCPUs, machine.slice first */
        ssize_t top = -1, scope = -1, vcpu = -1;
        for (size_t i = 0; i < rep.n; i++) {
                const char *path = rep.changes[i].path;
                if (streq(path, "/sys/fs/cgroup/machine.slice/cpuset.cpus.exclusive"))
                        top = (ssize_t) i;
                else if (endswith(path, ".scope/cpuset.cpus.exclusive"))
                        scope = (ssize_t) i;
                else if (endswith(path, "/vcpu0/cpuset.cpus.partition") && vcpu < 0)
                        vcpu = (ssize_t) i;
        }
        slice_report_done(&rep);
        assert_true(top >= 0 && top < scope && scope < vcpu);
#define SCOPE "/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dvm\\x2da.scope"
        _cleanup_(freep) char *m = rd(&e, "/sys/fs/cgroup/machine.slice/cpuset.cpus.exclusive");
        _cleanup_(freep) char *l = rd(&e, SCOPE "/libvirt/cpuset.cpus.exclusive");
        _cleanup_(freep) char *x = rd(&e, SCOPE "/libvirt/vcpu3/cpuset.cpus.exclusive");
        _cleanup_(freep) char *v = rd(&e, SCOPE "/libvirt/vcpu3/cpuset.cpus.partition");
        _cleanup_(freep) char *em = rd(&e, SCOPE "/libvirt/emulator/cpuset.cpus.partition");
        assert_string_equal(m, "2-5,8-11");
        assert_string_equal(l, "2-5,8-11");
        assert_string_equal(x, "9");
        assert_string_equal(v, "isolated");
        assert_string_equal(em, "(missing)"); /* the emulator is not a partition */
        /* a second VM's prepare or a release of another keeps them (they are targets) */
        assert_int_equal(slice_reconcile(e.h, e.t, st, &p, false, NULL, &err), 0);
        _cleanup_(freep) char *v2 = rd(&e, SCOPE "/libvirt/vcpu3/cpuset.cpus.partition");
        assert_string_equal(v2, "isolated");
        assert_int_equal(slice_release(e.h, e.t, st, "vm-a", &p, false, NULL, &err), 0);
        assert_true(same_tree(&e));
        env_close(&e);
}

static void test_rollback(void **state_)
{
        rollback_on("i7-6800k", "good-tuned.xml");
        rollback_on("small-2c", "slice-one-cpu.xml"); /* cgroup v1: the host cpuset */
        rollback_on("i7-6800k+systemd", "good-tuned.xml");
        rollback_on("i7-6800k+plain", "good-tuned.xml");
}

static void test_crash_points(void **state_)
{
        crash_points_on("i7-6800k", "good-tuned.xml");
        crash_points_on("small-2c", "slice-one-cpu.xml");
        crash_points_on("i7-6800k+systemd", "good-tuned.xml");
        crash_points_on("i7-6800k+plain", "good-tuned.xml");
}

static void test_release_faults(void **state_)
{
        release_faults_on("i7-6800k", "good-tuned.xml", true);
        release_faults_on("small-2c", "slice-one-cpu.xml", false);
        release_faults_on("i7-6800k+systemd", "good-tuned.xml", true);
        release_faults_on("i7-6800k+plain", "good-tuned.xml", false);
}

/* systemd as PID 1: the host's units get AllowedCPUs= through systemd, never a cgroup file
 * written behind its back; release lifts the restriction again. */
static void test_systemd(void **state_)
{
        Env e = {0};
        env_open(&e, "i7-6800k+systemd");
        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, "good-tuned.xml", "vm-a");
        Error err = {0};
        SliceReport rep = {0};
        assert_int_equal(prepare(&e, a, false, &rep, &err), 0);
        bool seen = false;
        for (size_t i = 0; i < rep.n; i++) {
                assert_false(startswith(rep.changes[i].path, "/sys/fs/cgroup/"));
                if (streq(rep.changes[i].path, "systemd:system.slice")) {
                        assert_string_equal(rep.changes[i].from, "(unset)");
                        assert_string_equal(rep.changes[i].to, "0-1,6-7");
                        seen = true;
                }
        }
        assert_true(seen);
        slice_report_done(&rep);
        assert_int_equal(fake_calls(&e), 3);
        _cleanup_(freep) char *cpus = rd(&e, "/sys/fs/cgroup/user.slice/cpuset.cpus");
        assert_string_equal(cpus, "0-1,6-7");
        /* machine.slice (the VMs) is not the host's */
        _cleanup_(freep) char *m = rd(&e, "/sys/fs/cgroup/machine.slice/cpuset.cpus");
        assert_string_equal(m, "");
        release(&e, "vm-a");
        assert_int_equal(fake_calls(&e), 6);
        assert_true(same_tree(&e));
        env_close(&e);
}

/* cgroup v2 without systemd: top-level cgroups but libvirt's /machine get the host CPUs, and the
 * root cgroup's processes move into vmslice.host, which goes away at release. */
static void test_v2_plain(void **state_)
{
        Env e = {0};
        env_open(&e, "i7-6800k+plain");
        _cleanup_(slice_spec_freep) SliceSpec *a = spec_of(&e, "good-tuned.xml", "vm-a");
        Error err = {0};
        assert_int_equal(prepare(&e, a, false, NULL, &err), 0);
        _cleanup_(freep) char *d = rd(&e, "/sys/fs/cgroup/docker/cpuset.cpus");
        _cleanup_(freep) char *o = rd(&e, "/sys/fs/cgroup/openrc.sshd/cpuset.cpus");
        _cleanup_(freep) char *m = rd(&e, "/sys/fs/cgroup/machine/cpuset.cpus");
        _cleanup_(freep) char *sh = rd(&e, "/sys/fs/cgroup/vmslice.host/cpuset.cpus");
        _cleanup_(freep) char *procs = NULL, *root_procs = NULL;
        assert_int_equal(
            host_read_file(e.h, "/sys/fs/cgroup/vmslice.host/cgroup.procs", 4096, &procs), 0);
        assert_int_equal(host_read_file(e.h, "/sys/fs/cgroup/cgroup.procs", 4096, &root_procs), 0);
        assert_string_equal(d, "0-1,6-7");
        assert_string_equal(o, "0-1,6-7");
        assert_string_equal(m, "");
        assert_string_equal(sh, "0-1,6-7");
        /* kernel threads (kthreadd, 2) stay: their affinity is add_kthreads()' */
        assert_string_equal(procs, "1\n300\n");
        assert_string_equal(root_procs, "2\n");
        release(&e, "vm-a");
        assert_false(host_exists(e.h, "/sys/fs/cgroup/vmslice.host"));
        assert_true(same_tree(&e));
        env_close(&e);
}

static void test_state_dir_safety(void **state_)
{
        State *st = NULL;
        Error err = {0};
        assert_true(state_open("relative/dir", &st, &err) < 0);
        char dir[] = "/tmp/vmslice-bad-XXXXXX";
        assert_non_null(mkdtemp(dir));
        chmod(dir, 0777);
        Error e2 = {0};
        assert_true(state_open(dir, &st, &e2) < 0);
        assert_non_null(strstr(e2.msg, "writable by others"));
        chmod(dir, 0700);
        char link[64];
        snprintf(link, sizeof(link), "%s.link", dir);
        assert_int_equal(symlink(dir, link), 0);
        Error e3 = {0};
        assert_true(state_open(link, &st, &e3) < 0);
        unlink(link);
        /* a planted symlink in place of the journal is not followed */
        char j[128];
        snprintf(j, sizeof(j), "%s/journal", dir);
        assert_int_equal(symlink("/etc/passwd", j), 0);
        Error e4 = {0};
        assert_true(state_open(dir, &st, &e4) < 0);
        (void) archive_remove_tree(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prepare_release),  cmocka_unit_test(test_restore),
            cmocka_unit_test(test_rollback),         cmocka_unit_test(test_crash_points),
            cmocka_unit_test(test_state_dir_safety), cmocka_unit_test(test_systemd),
            cmocka_unit_test(test_v2_plain),         cmocka_unit_test(test_partition),
            cmocka_unit_test(test_release_faults),
        };
        return cmocka_run_group_tests(tests, NULL, free_pristines);
}
