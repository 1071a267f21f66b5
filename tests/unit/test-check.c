/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-util.h"
#include "check.h"
#include "cpuset-util.h"
#include "domain.h"
#include "fileio.h"
#include "interrupts.h"
#include "qemu-proc.h"
#include "slice.h"
#include "string-util.h"

/* `vmslice check`: the /proc parsers of src/probe (threads, stat, status, smaps, numa_maps,
 * interrupts) on fixed, real and hostile input, and every finding on the fixture hosts with a
 * running QEMU (tests/data/hosts/qemu, made by tests/data/make-qemu-proc.py). */

#define RUNNING   "qemu/qemu-running-4vcpu"
#define UNPINNED  "qemu/qemu-vcpu-unpinned"
#define OFF_PIN   "qemu/qemu-vcpu-off-pin"
#define RAM_4K    "qemu/qemu-ram-4k"
#define RAM_NODE1 "qemu/qemu-ram-wrong-node"
#define QEMU_PID  4242U

/* ---- thread names ---- */

static void assert_kind(const char *comm, QemuThreadKind kind, unsigned index)
{
        unsigned i = 12345;
        QemuThreadKind k = qemu_thread_classify(comm, &i);
        if (k != kind || i != index)
                fail_msg("'%s': %s %u, want %s %u", comm ? comm : "(null)",
                         qemu_thread_kind_to_string(k), i, qemu_thread_kind_to_string(kind), index);
}

static void test_classify(void **state)
{
        assert_kind("CPU 0/KVM", QEMU_THREAD_VCPU, 0);
        assert_kind("CPU 3/TCG", QEMU_THREAD_VCPU, 3);
        assert_kind("CPU 127/KVM", QEMU_THREAD_VCPU, 127);
        assert_kind("CPU 4/HVF", QEMU_THREAD_VCPU, 4); /* any accelerator */
        assert_kind("ALL CPUs/TCG", QEMU_THREAD_VCPU, QEMU_VCPU_ALL);
        assert_kind("IO iothread1", QEMU_THREAD_IOTHREAD, 1);
        assert_kind("IO iothread12", QEMU_THREAD_IOTHREAD, 12);
        /* everything else is the emulator */
        assert_kind("qemu-system-x86", QEMU_THREAD_EMULATOR, 0);
        assert_kind("call_rcu", QEMU_THREAD_EMULATOR, 0);
        assert_kind("IO mon_iothread", QEMU_THREAD_EMULATOR, 0);
        assert_kind("worker", QEMU_THREAD_EMULATOR, 0);
        assert_kind("vhost-4242", QEMU_THREAD_EMULATOR, 0);
        assert_kind("kvm-nx-lpage-re", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU 3/", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU /KVM", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU x/KVM", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU -1/KVM", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU 1 /KVM", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU 99999999999/KVM", QEMU_THREAD_EMULATOR, 0);
        assert_kind("CPU 4294967295/KVM", QEMU_THREAD_EMULATOR, 0); /* QEMU_VCPU_ALL */
        assert_kind("cpu 1/KVM", QEMU_THREAD_EMULATOR, 0);
        assert_kind("IO iothread", QEMU_THREAD_EMULATOR, 0);
        assert_kind("IO iothread2x", QEMU_THREAD_EMULATOR, 0);
        assert_kind("IO iothread-1", QEMU_THREAD_EMULATOR, 0);
        assert_kind("ALL CPUs/", QEMU_THREAD_EMULATOR, 0);
        assert_kind("", QEMU_THREAD_EMULATOR, 0);
        assert_kind(NULL, QEMU_THREAD_EMULATOR, 0);
}

/* ---- stat and status ---- */

/* A stat line with fields 3-52, the comm given, processor (field 39) cpu. */
static char *stat_line_raw(const char *comm, const char *cpu)
{
        return strdup_printf("4246 (%s) R 1200 4242 4242 0 -1 4194560 5120 0 12 0 1200 340 0 0 20 "
                             "0 10 0 1925 5360189440 45585 18446744073709551615 94211538464768 "
                             "94211545378464 140722393845552 0 0 0 0 4096 17475 0 0 0 -1 %s 99 1 "
                             "0 0 0 0 0 0 0 0 0 0 0\n",
                             comm, cpu);
}

static char *stat_line(const char *comm, unsigned cpu)
{
        char num[16];
        snprintf(num, sizeof(num), "%u", cpu);
        return stat_line_raw(comm, num);
}

static void test_stat(void **state)
{
        ProcStat st;
        _cleanup_(freep) char *a = stat_line("CPU 0/KVM", 7);
        assert_int_equal(proc_stat_parse(a, &st), 0);
        assert_string_equal(st.comm, "CPU 0/KVM");
        assert_int_equal(st.state, 'R');
        assert_int_equal(st.ppid, 1200);
        assert_int_equal(st.flags, 4194560);
        assert_int_equal(st.utime, 1200);
        assert_int_equal(st.stime, 340);
        assert_int_equal(st.starttime, 1925);
        assert_int_equal(st.processor, 7);
        assert_int_equal(st.rt_priority, 99);
        assert_int_equal(st.policy, 1);

        /* the comm may hold spaces and parentheses: fields come after the last ')' */
        static const char *const hostile[] = {"evil) (x y", ") 1 2 3 (", "a)b) R 1 2",
                                              "(",          "))))",      " "};
        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                _cleanup_(freep) char *h = stat_line(hostile[i], 5);
                assert_int_equal(proc_stat_parse(h, &st), 0);
                assert_string_equal(st.comm, hostile[i]);
                assert_int_equal(st.processor, 5);
                assert_int_equal(st.ppid, 1200);
        }
        /* a comm longer than the buffer is cut, the fields still read */
        _cleanup_(freep) char *longc = stat_line("0123456789012345678901234567890123456789012345678"
                                                 "901234567890123456789",
                                                 3);
        assert_int_equal(proc_stat_parse(longc, &st), 0);
        assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
        assert_int_equal(st.processor, 3);

        /* this process's own stat, as the kernel writes it */
        _cleanup_(freep) char *self = NULL;
        FILE *f = fopen("/proc/self/stat", "re");
        assert_non_null(f);
        assert_int_equal(read_fd_full(fileno(f), 4096, &self, NULL), 0);
        fclose(f);
        assert_int_equal(proc_stat_parse(self, &st), 0);
        assert_int_equal(st.ppid, (unsigned) getppid());
        assert_false(st.flags & PROC_PF_KTHREAD);

        /* malformed: every cut of a good line before field 41, junk in fields */
        for (size_t n = 0; n < strlen(a); n++) {
                _cleanup_(freep) char *cut = strndup(a, n);
                int r = proc_stat_parse(cut, &st);
                unsigned spaces = 0;
                for (char *p = strrchr(cut, ')'); p && *p; p++)
                        spaces += *p == ' ';
                if (spaces < 39 && r != -EINVAL)
                        fail_msg("cut at %zu: %d, want -EINVAL", n, r);
        }
        assert_int_equal(proc_stat_parse("", &st), -EINVAL);
        assert_int_equal(proc_stat_parse("4246 CPU R 1 2", &st), -EINVAL);
        static const char *const bad_cpu[] = {"99999999999", "-", "7x", "-1"};
        for (size_t i = 0; i < ELEMENTSOF(bad_cpu); i++) {
                _cleanup_(freep) char *b = stat_line_raw("x", bad_cpu[i]);
                if (proc_stat_parse(b, &st) != -EINVAL)
                        fail_msg("processor '%s' parsed", bad_cpu[i]);
        }
        static const char *const bad_subs[][2] = {{" R 1200 ", " RR 1200 "},
                                                  {" R 1200 ", " 5 1200 "},
                                                  {" 1200 4242", " 12a0 4242"},
                                                  {" 1925 ", " 19.5 "}};
        for (size_t i = 0; i < ELEMENTSOF(bad_subs); i++) {
                char *b = test_replace(stat_line("x", 1), bad_subs[i][0], bad_subs[i][1]);
                if (proc_stat_parse(b, &st) != -EINVAL)
                        fail_msg("'%s' parsed", b);
                free(b);
        }
        assert_int_equal(proc_stat_parse(NULL, &st), -EINVAL);
}

static void test_status(void **state)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        assert_int_equal(proc_status_cpus_allowed("Name:\tx\nCpus_allowed:\tff\n"
                                                  "Cpus_allowed_list:\t0-3,8\nMems_allowed:\t1\n",
                                                  set),
                         0);
        assert_string_equal(setstr(set), "0-3,8");
        assert_int_equal(proc_status_cpus_allowed("Cpus_allowed_list:\t5", set), 0);
        assert_string_equal(setstr(set), "5");
        assert_int_equal(proc_status_cpus_allowed("Name:\tx\nCpus_allowed:\tff\n", set), -ENOENT);
        assert_int_equal(proc_status_cpus_allowed("", set), -ENOENT);
        assert_true(proc_status_cpus_allowed("Cpus_allowed_list:\t0-x\n", set) < 0);
        assert_true(proc_status_cpus_allowed("Cpus_allowed_list:\t3-1\n", set) < 0);
        assert_true(proc_status_cpus_allowed("Cpus_allowed_list:\t99999\n", set) < 0);
        /* a name that looks like the key is not the key */
        assert_int_equal(proc_status_cpus_allowed("Name:\tCpus_allowed_list:\t7\n", set), -ENOENT);

        _cleanup_(freep) char *self = NULL;
        FILE *f = fopen("/proc/self/status", "re");
        assert_non_null(f);
        assert_int_equal(read_fd_full(fileno(f), 65536, &self, NULL), 0);
        fclose(f);
        assert_int_equal(proc_status_cpus_allowed(self, set), 0);
        cpu_set_t mask;
        assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
        for (unsigned c = 0; c < 64; c++)
                assert_int_equal(hwloc_bitmap_isset(set, c), CPU_ISSET(c, &mask) ? 1 : 0);
}

/* ---- smaps and numa_maps ---- */

static char *fixture_file(const char *host, const char *path)
{
        Host *h = fixture_host(host);
        char *text = NULL;
        if (host_read_file(h, path, PROC_SMAPS_MAX, &text) < 0)
                fail_msg("%s: cannot read %s", host, path);
        host_free(h);
        return text;
}

static void test_smaps(void **state)
{
        _cleanup_(freep) char *text = fixture_file(RUNNING, "/proc/4242/smaps");
        _cleanup_(smaps_done) Smaps s = {0};
        assert_int_equal(smaps_parse(text, &s), 0);
        assert_int_equal(s.n, 26);
        const SmapsEntry *e = &s.e[0];
        assert_int_equal(e->start, 0x55d6a1e00000ULL);
        assert_int_equal(e->end, 0x55d6a20d5000ULL);
        assert_string_equal(e->perms, "r--p");
        assert_string_equal(e->path, "/usr/bin/qemu-system-x86_64");
        assert_int_equal(e->size, 2900 * 1024);
        assert_int_equal(e->kernel_page_size, 4096);
        const SmapsEntry *ram = NULL;
        for (size_t i = 0; i < s.n; i++)
                if (s.e[i].start == 0x7f2b40000000ULL)
                        ram = &s.e[i];
        assert_non_null(ram);
        assert_string_equal(ram->path, "/dev/hugepages/libvirt/qemu/1-vm4/"
                                       "qemu_back_mem._objects_pc.ram.Vw7hQb (deleted)");
        assert_int_equal(ram->size, 4ULL << 30);
        assert_int_equal(ram->kernel_page_size, 2ULL << 20);
        assert_int_equal(ram->hugetlb, 4ULL << 30);
        assert_int_equal(ram->rss, 0);
        assert_null(s.e[5].path); /* an anonymous mapping */

        /* this process's own smaps */
        _cleanup_(freep) char *self = NULL;
        FILE *f = fopen("/proc/self/smaps", "re");
        assert_non_null(f);
        assert_int_equal(read_fd_full(fileno(f), PROC_SMAPS_MAX, &self, NULL), 0);
        fclose(f);
        _cleanup_(smaps_done) Smaps me = {0};
        assert_int_equal(smaps_parse(self, &me), 0);
        assert_true(me.n > 5);
        for (size_t i = 0; i < me.n; i++) {
                assert_true(me.e[i].end > me.e[i].start);
                assert_int_equal(me.e[i].size, me.e[i].end - me.e[i].start);
        }

        /* every cut of the fixture parses or is refused, never crashes; a cut at a line end
         * keeps the mappings before it */
        for (size_t n = 0; n < strlen(text); n += 37) {
                _cleanup_(freep) char *cut = strndup(text, n);
                _cleanup_(smaps_done) Smaps c = {0};
                int r = smaps_parse(cut, &c);
                assert_true(r == 0 || r == -EINVAL);
                if (n > 0 && text[n - 1] == '\n')
                        assert_int_equal(r, 0);
        }
        /* a mapping cut after its header has no page size */
        _cleanup_(smaps_done) Smaps h = {0};
        assert_int_equal(smaps_parse("7f0000000000-7f0000200000 rw-p 00000000 00:00 0\n", &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.e[0].kernel_page_size, 0);
        assert_int_equal(h.e[0].size, 0);

        static const char *const bad[] = {
            "Size: 4 kB\n",                                                    /* no header */
            "7f0000200000-7f0000000000 rw-p 00000000 00:00 0\n",               /* backwards */
            "7f00000000000000000-7f00000000000000001 rw-p 00000000 00:00 0\n", /* too long */
            "7g0000000000-7f0000200000 rw-p 00000000 00:00 0\n",               /* not hex */
            "7f0000000000-7f0000200000 rw-px 00000000 00:00 0\n",              /* perms */
            "7f0000000000-7f0000200000 rw-p 00000000 00:00\n",                 /* no inode */
            "7f0000000000-7f0000200000 rw-p zz 00:00 0\n",                     /* offset */
            "7f0000000000-7f0000200000 rw-p 0 0000 0\n",                       /* device */
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nSize: 12x kB\n",        /* number */
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nSize: 12\n",            /* no unit */
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nSize: 12 MB\n",         /* unit */
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nSize: -12 kB\n",        /* sign */
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nRss: 99999999999999999999 kB\n",
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nRss: 18014398509481984 kB\n",
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nhello\n", /* junk */
            "7f0000000000-7f0000200000 rw-p 0 00:00 0\nSi ze: 4 kB\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(smaps_done) Smaps b = {0};
                if (smaps_parse(bad[i], &b) != -EINVAL)
                        fail_msg("smaps '%s' parsed", bad[i]);
        }
        /* two hugetlb fields add up; an unknown key is skipped */
        _cleanup_(smaps_done) Smaps two = {0};
        assert_int_equal(smaps_parse("7f0000000000-7f0000200000 rw-s 0 00:2f 7 /dev/hugepages/x y\n"
                                     "Shared_Hugetlb: 2048 kB\nPrivate_Hugetlb: 4096 kB\n"
                                     "NewKey2099: 5 kB\nVmFlags: rd wr\n",
                                     &two),
                         0);
        assert_int_equal(two.e[0].hugetlb, 6144 * 1024);
        assert_string_equal(two.e[0].path, "/dev/hugepages/x y");
}

static void test_numa_maps(void **state)
{
        _cleanup_(freep) char *text = fixture_file(RAM_NODE1, "/proc/4242/numa_maps");
        _cleanup_(numa_maps_done) NumaMaps m = {0};
        assert_int_equal(numa_maps_parse(text, &m), 0);
        assert_int_equal(m.n, 25);
        const NumaMapsEntry *ram = NULL;
        for (size_t i = 0; i < m.n; i++)
                if (m.e[i].start == 0x7f2b40000000ULL)
                        ram = &m.e[i];
        assert_non_null(ram);
        assert_string_equal(ram->policy, "bind:0");
        assert_true(ram->huge);
        assert_int_equal(ram->kernel_page_size, 2ULL << 20);
        assert_int_equal(ram->n_nodes, 2);
        assert_int_equal(ram->nodes[0].node, 0);
        assert_int_equal(ram->nodes[0].pages, 1024);
        assert_int_equal(ram->nodes[1].node, 1);
        assert_int_equal(ram->nodes[1].pages, 1024);
        assert_false(m.e[0].huge);
        assert_int_equal(m.e[6].n_nodes, 0); /* a reservation without pages */

        _cleanup_(freep) char *self = NULL;
        FILE *f = fopen("/proc/self/numa_maps", "re");
        if (f) { /* a kernel without NUMA has none */
                assert_int_equal(read_fd_full(fileno(f), PROC_SMAPS_MAX, &self, NULL), 0);
                fclose(f);
                _cleanup_(numa_maps_done) NumaMaps me = {0};
                assert_int_equal(numa_maps_parse(self, &me), 0);
                assert_true(me.n > 5);
        }
        for (size_t n = 0; n < strlen(text); n += 11) {
                _cleanup_(freep) char *cut = strndup(text, n);
                _cleanup_(numa_maps_done) NumaMaps c = {0};
                int r = numa_maps_parse(cut, &c);
                assert_true(r == 0 || r == -EINVAL);
        }
        static const char *const bad[] = {
            "7f2b40000000\n",                                 /* no policy */
            "7f2b4000zzzz default\n",                         /* address */
            "0x7f2b40000000 default\n",                       /* address */
            "7f2b40000000 default N0=x\n",                    /* count */
            "7f2b40000000 default N0=-1\n",                   /* count */
            "7f2b40000000 default N1024=1\n",                 /* node */
            "7f2b40000000 default N99999999999=1\n",          /* node */
            "7f2b40000000 default N0=1 N0=2\n",               /* a node twice */
            "7f2b40000000 default N0=99999999999999999999\n", /* overflow */
            "7f2b40000000 default kernelpagesize_kB=x\n",
            "7f2b40000000 default kernelpagesize_kB=99999999999999999999\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(numa_maps_done) NumaMaps b = {0};
                if (numa_maps_parse(bad[i], &b) != -EINVAL)
                        fail_msg("numa_maps '%s' parsed", bad[i]);
        }
        _cleanup_(numa_maps_done) NumaMaps ok = {0};
        assert_int_equal(numa_maps_parse("\n7f2b40000000 interleave:0-1 anon=3 Nx N2=3\n", &ok), 0);
        assert_int_equal(ok.n, 1);
        assert_int_equal(ok.e[0].n_nodes, 1);
        assert_int_equal(ok.e[0].nodes[0].node, 2);
}

/* smaps text of mappings: "start size perms [path] [pagekb]" per item */
static void ram_of(const char *smaps, const char *numa, uint64_t memory, QemuRam **ret,
                   size_t *ret_n)
{
        _cleanup_(smaps_done) Smaps s = {0};
        _cleanup_(numa_maps_done) NumaMaps m = {0};
        assert_int_equal(smaps_parse(smaps, &s), 0);
        assert_int_equal(numa_maps_parse(numa ? numa : "", &m), 0);
        assert_int_equal(qemu_guest_ram(&s, &m, memory, ret, ret_n), 0);
}

#define MAP(start, end, perms, path, kb, pagekb)                                                   \
        start "-" end " " perms " 00000000 00:00 0 " path "\nSize: " #kb                           \
              " kB\nKernelPageSize: " #pagekb " kB\n"

static void test_guest_ram(void **state)
{
        /* TCG's 1 GiB code buffer is executable: not RAM; two cells of 512 MiB each are */
        const char *tcg = MAP("7f0000000000", "7f0040000000", "rwxp", "", 1048576, 4)
            MAP("7f1000000000", "7f1020000000", "rw-p", "", 524288, 4)
                MAP("7f2000000000", "7f2020000000", "rw-p", "", 524288, 4)
                    MAP("7f3000000000", "7f3001000000", "rw-p", "", 16384, 4)
                        MAP("7f4000000000", "7f4040000000", "rw-s", "/memfd:tcg-jit (deleted)",
                            1048576, 4);
        QemuRam *ram = NULL;
        size_t n = 0;
        ram_of(tcg, "7f1000000000 default anon=5 N0=3 N1=2 kernelpagesize_kB=4\n", 1ULL << 30, &ram,
               &n);
        assert_int_equal(n, 2);
        assert_int_equal(ram[0].start, 0x7f1000000000ULL);
        assert_int_equal(ram[1].start, 0x7f2000000000ULL);
        assert_int_equal(ram[0].page_size, 4096);
        assert_true(ram[0].numa_known);
        assert_int_equal(ram[0].n_nodes, 2);
        assert_int_equal(ram[0].nodes[1].node, 1);
        assert_int_equal(ram[0].nodes[1].bytes, 2 * 4096);
        assert_false(ram[1].numa_known);
        qemu_ram_free_array(ram, n);

        /* unknown memory: the largest that is not executable */
        ram_of(tcg, NULL, 0, &ram, &n);
        assert_int_equal(n, 1);
        assert_int_equal(ram[0].size, 512ULL << 20);
        qemu_ram_free_array(ram, n);

        /* a mapping larger than memory + 1 GiB is not this guest's RAM; one smaller than memory/16
         * neither */
        ram_of(MAP("7f0000000000", "7f0100000000", "rw-p", "", 4194304, 4)
                   MAP("7f1000000000", "7f1000100000", "rw-p", "", 1024, 4),
               NULL, 256ULL << 20, &ram, &n);
        assert_int_equal(n, 0);
        qemu_ram_free_array(ram, n);
        ram_of("", NULL, 1ULL << 30, &ram, &n);
        assert_int_equal(n, 0);
        qemu_ram_free_array(ram, n);

        /* 1 GiB pages round 1.5 GiB up to 2 GiB */
        ram_of(MAP("7f0000000000", "7f0080000000", "rw-p", "/dev/hugepages1G/x", 2097152, 1048576),
               NULL, 3ULL << 29, &ram, &n);
        assert_int_equal(n, 1);
        assert_int_equal(ram[0].page_size, 1ULL << 30);
        assert_string_equal(ram[0].path, "/dev/hugepages1G/x");
        qemu_ram_free_array(ram, n);
}

/* ---- /proc/interrupts ---- */

static const char interrupts_a[] =
    "           CPU0       CPU1       CPU2       CPU4       \n"
    "  0:         10          0          0          0  IO-APIC   2-edge      timer\n"
    " 24:        100        200        300        400  PCI-MSIX-0000:00:01.0   0-edge      "
    "nvme0q0\n"
    " 25:          0          0          0          0  IO-APIC   9-fasteoi   acpi, i801_smbus\n"
    "NMI:          1          1          1          1   Non-maskable interrupts\n"
    "LOC:       1000       1000       1000       1000   Local timer interrupts\n"
    "RES:          5          5          5          5   Rescheduling interrupts\n"
    "ERR:          0\n"
    "MIS:          0\n";

static const char interrupts_b[] =
    "           CPU0       CPU1       CPU2       CPU4       \n"
    "  0:         10          0          0          0  IO-APIC   2-edge      timer\n"
    " 24:        150        200        310        400  PCI-MSIX-0000:00:01.0   0-edge      "
    "nvme0q0\n"
    " 25:          0          0          7          1  IO-APIC   9-fasteoi   acpi, i801_smbus\n"
    " 30:          0          0         40          0  PCI-MSIX-0000:00:02.0   1-edge      "
    "virtio0-input.0\n"
    "NMI:          1          1          1          1   Non-maskable interrupts\n"
    "LOC:       1100       1000       1250       1000   Local timer interrupts\n"
    "RES:          5          5          3          5   Rescheduling interrupts\n"
    "ERR:          9\n"
    "MIS:          9\n";

static void test_interrupts(void **state)
{
        /* the reader and the delta are bench's (tests/unit/test-probe.c); here: the findings */
        _cleanup_(interrupts_freep) Interrupts *a = NULL, *b = NULL;
        assert_int_equal(interrupts_parse(interrupts_a, &a, NULL), 0);
        assert_int_equal(interrupts_parse(interrupts_b, &b, NULL), 0);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
        assert_int_equal(cpuset_parse_list("2-4", cpus), 0);

        /* 24: +10 on CPU 2 (the +50 on CPU 0 is not the VM's); 25: +8; 30 is new: 40; LOC +250;
         * RES went down on CPU 2 (3 < 5, a reset): counted as 3; ERR and MIS are not per CPU */
        _cleanup_(check_result_done) CheckResult r = {0};
        assert_int_equal(check_add_irqs(&r, a, b, cpus, 1000), 0);
        const CheckFinding *d = check_find(&r, "irqs");
        assert_non_null(d);
        assert_int_equal(d->level, CHECK_WARN);
        /* the busiest first, named by their devices */
        if (!strstr(d->message, "58 times on the VM CPUs 2-4 in 1 s: 30 virtio0-input.0 x40, 24 "
                                "nvme0q0 x10, 25 acpi, i801_smbus x8;"))
                fail_msg("irqs: %s", d->message);
        const CheckFinding *l = check_find(&r, "irqs-local");
        assert_non_null(l);
        assert_int_equal(l->level, CHECK_WARN);
        if (!strstr(l->message, "in 1 s: LOC 250, RES 3 ("))
                fail_msg("irqs-local: %s", l->message);
        check_result_done(&r);
        assert_int_equal(check_add_irqs(&r, a, a, cpus, 500), 0);
        assert_int_equal(r.n, 2);
        assert_int_equal(check_worst(&r), CHECK_OK);
        assert_non_null(strstr(r.findings[0].message, "in 500 ms"));
        check_result_done(&r);
        /* a device IRQ the kernel gives no name */
        _cleanup_(interrupts_freep) Interrupts *c = NULL;
        assert_int_equal(interrupts_parse("  CPU0 CPU1 CPU2\n  7:  0  0  0\n", &c, NULL), 0);
        _cleanup_(interrupts_freep) Interrupts *e = NULL;
        assert_int_equal(interrupts_parse("  CPU0 CPU1 CPU2\n  7:  0  0  2\n", &e, NULL), 0);
        assert_int_equal(check_add_irqs(&r, c, e, cpus, 1000), 0);
        if (!strstr(check_find(&r, "irqs")->message, "in 1 s: 7 x2;"))
                fail_msg("irqs: %s", check_find(&r, "irqs")->message);

        /* this machine's own file parses */
        Host *live = NULL;
        Error err = {0};
        assert_int_equal(host_new(NULL, &live, &err), 0);
        _cleanup_(interrupts_freep) Interrupts *me = NULL;
        assert_int_equal(interrupts_read(live, &me, &err), 0);
        assert_true(me->n_cpus >= 1 && me->n_rows >= 1);
        host_free(live);
}

/* ---- QEMU's command line ---- */

static void expect_name(const char *cmdline, size_t size, const char *name, bool debug_threads)
{
        _cleanup_(freep) char *got = NULL;
        bool dbg = !debug_threads;
        assert_int_equal(qemu_cmdline_parse(cmdline, size, &got, &dbg), 0);
        if (name)
                assert_string_equal(got, name);
        else
                assert_null(got);
        assert_int_equal(dbg, debug_threads);
}

#define EXPECT_NAME(lit, name, dbg) expect_name(lit, sizeof(lit) - 1, name, dbg)

static void test_cmdline(void **state)
{
        EXPECT_NAME("qemu\0-name\0guest=vm4,debug-threads=on\0-S", "vm4", true);
        EXPECT_NAME("qemu\0--name\0vm,,x\0", "vm,x", false);
        EXPECT_NAME("qemu\0-name\0debug-threads=on,guest=a", "a", true); /* unterminated */
        /* a later guest= replaces the leading name, as in QEMU (they were concatenated) */
        EXPECT_NAME("qemu\0-name\0old,guest=new\0", "new", false);
        EXPECT_NAME("qemu\0-name\0guest=a,guest=b\0", "b", false);
        EXPECT_NAME("qemu\0-name\0guest=\0", NULL, false);
        EXPECT_NAME("qemu\0-name", NULL, false);
        EXPECT_NAME("qemu\0-name\0", NULL, false);
        EXPECT_NAME("", NULL, false);
}

/* ---- the QEMU process on the fixtures ---- */

static void test_qemu_proc(void **state)
{
        Host *h = fixture_host(RUNNING);
        _cleanup_(qemu_proc_freep) QemuProc *q = NULL;
        Error err = {0};
        assert_int_equal(qemu_proc_load(h, QEMU_PID, 4ULL << 30, &q, &err), 0);
        assert_string_equal(q->comm, "qemu-system-x86");
        assert_string_equal(q->guest_name, "vm4");
        assert_true(q->debug_threads);
        assert_int_equal(q->n_threads, 10);
        assert_int_equal(qemu_proc_count(q, QEMU_THREAD_VCPU), 4);
        assert_int_equal(qemu_proc_count(q, QEMU_THREAD_IOTHREAD), 1);
        assert_int_equal(qemu_proc_count(q, QEMU_THREAD_EMULATOR), 5);
        /* sorted: vCPUs by index, the I/O thread, the emulator by tid */
        static const unsigned tids[] = {4246, 4247, 4248, 4249, 4245, 4242, 4243, 4244, 4250, 4251};
        static const char *const allowed[] = {"2", "18", "4", "20", "0,16"};
        for (size_t i = 0; i < q->n_threads; i++) {
                assert_int_equal(q->threads[i].task.tid, tids[i]);
                assert_int_equal(q->threads[i].task.pid, QEMU_PID);
                assert_string_equal(setstr(q->threads[i].task.allowed), allowed[MIN(i, 4)]);
        }
        const QemuThread *v1 = qemu_proc_vcpu(q, 1);
        assert_non_null(v1);
        assert_string_equal(v1->task.comm, "CPU 1/KVM");
        assert_int_equal(v1->task.stat.processor, 18);
        assert_int_equal(v1->task.stat.state, 'R');
        assert_null(qemu_proc_vcpu(q, 4));
        assert_string_equal(q->threads[7].task.comm, "IO mon_iothread");
        assert_int_equal(q->n_ram, 1);
        assert_int_equal(q->ram[0].size, 4ULL << 30);
        assert_int_equal(q->ram[0].page_size, 2ULL << 20);
        assert_int_equal(q->ram[0].n_nodes, 1);
        assert_int_equal(q->ram[0].nodes[0].bytes, 4ULL << 30);
        assert_int_equal(q->smaps_error, 0);
        assert_int_equal(q->numa_maps_error, 0);

        unsigned pid = 0;
        assert_int_equal(qemu_pid_from_libvirt(h, "vm4", &pid, &err), 0);
        assert_int_equal(pid, QEMU_PID);
        err = (Error){0};
        assert_int_equal(qemu_pid_from_libvirt(h, "other", &pid, &err), -EINVAL);
        assert_true(err.input);
        assert_non_null(strstr(err.msg, "domain 'other' is not running"));

        /* a process that is not there; a kernel thread's tree (no smaps) */
        QemuProc *none = NULL;
        err = (Error){0};
        assert_int_equal(qemu_proc_load(h, 4243 + 10000, 0, &none, &err), -EINVAL);
        assert_true(err.input);
        assert_non_null(strstr(err.msg, "no process 14243 under "));
        _cleanup_(qemu_proc_freep) QemuProc *kt = NULL;
        assert_int_equal(qemu_proc_load(h, 2, 0, &kt, &err), 0);
        assert_int_equal(kt->n_threads, 1);
        assert_int_equal(kt->smaps_error, -ENOENT);
        assert_int_equal(kt->n_ram, 0);
        assert_null(kt->guest_name);
        host_free(h);
}

/* ---- the findings ---- */

static Domain *vm4(const char *const *subs)
{
        char *text = test_read_data("hosts/qemu", "vm4.xml");
        for (const char *const *s = subs; s && s[0]; s += 2)
                text = test_replace(text, s[0], s[1]);
        Domain *d = NULL;
        Error err = {0};
        if (domain_parse(text, strlen(text), "vm4.xml", &d, &err) < 0)
                fail_msg("vm4.xml: %s", err.msg);
        free(text);
        return d;
}

/* check_run() on a fixture with vm4.xml (after substitutions), no slice state. */
static void run(const char *host, const char *const *subs, State *st, bool wanted, CheckResult *ret)
{
        Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = fixture_topology(host, &h);
        _cleanup_(domain_freep) Domain *d = vm4(subs);
        uint64_t memory;
        assert_int_equal(check_guest_memory(d, &memory), 0);
        assert_int_equal(memory, 4ULL << 30);
        _cleanup_(qemu_proc_freep) QemuProc *q = NULL;
        Error err = {0};
        assert_int_equal(qemu_proc_load(h, QEMU_PID, memory, &q, &err), 0);
        CheckInput in = {
            .host = h,
            .topology = t,
            .domain = d,
            .qemu = q,
            .state = st,
            .slice_wanted = wanted,
            .interval_ms = 20,
        };
        if (check_run(&in, ret, &err) < 0)
                fail_msg("check on %s: %s", host, err.msg);
        for (size_t i = 0; i < ret->n; i++) {
                assert_null(strchr(ret->findings[i].message, '\n'));
                print_message("# %s: %s %s: %s\n", host,
                              check_level_to_string(ret->findings[i].level), ret->findings[i].code,
                              ret->findings[i].message);
        }
        host_free(h);
}

/* The finding of a code with a level whose message holds want (NULL: any); fails the test when
 * there is none. */
static void expect(const CheckResult *r, const char *code, CheckLevel level, const char *want)
{
        for (size_t i = 0; i < r->n; i++) {
                const CheckFinding *f = &r->findings[i];
                if (streq(f->code, code) && f->level == level &&
                    (!want || strstr(f->message, want)))
                        return;
        }
        fail_msg("no %s finding %s with '%s'", check_level_to_string(level), code,
                 want ? want : "");
}

static void expect_none(const CheckResult *r, const char *code, CheckLevel level)
{
        for (size_t i = 0; i < r->n; i++)
                if (streq(r->findings[i].code, code) && r->findings[i].level == level)
                        fail_msg("unexpected %s %s: %s", check_level_to_string(level), code,
                                 r->findings[i].message);
}

static void test_running(void **state)
{
        _cleanup_(check_result_done) CheckResult r = {0};
        run(RUNNING, NULL, NULL, false, &r);
        static const char *const codes[] = {
            "qemu", "vcpu-pin",   "vcpu-last-cpu", "emulator-pin", "iothread-pin", "other-tasks",
            "irqs", "irqs-local", "hugepages",     "numa",         "slice"};
        assert_int_equal(r.n, ELEMENTSOF(codes));
        for (size_t i = 0; i < r.n; i++) {
                assert_string_equal(r.findings[i].code, codes[i]);
                assert_int_equal(r.findings[i].level, CHECK_OK);
        }
        expect(&r, "qemu", CHECK_OK, "4 vCPU threads, 1 I/O thread, 5 emulator threads");
        expect(&r, "vcpu-pin", CHECK_OK, "CPUs 2,4,18,20");
        expect(&r, "emulator-pin", CHECK_OK,
               "the 5 threads of the emulator stay inside its "
               "<emulatorpin> 0,16");
        expect(&r, "other-tasks", CHECK_OK, "12 per-CPU kernel threads");
        expect(&r, "irqs", CHECK_OK, "in 20 ms");
        expect(&r, "hugepages", CHECK_OK, "2 MiB hugepages");
        expect(&r, "numa", CHECK_OK, "node 0, which <numatune> asks for");
        expect(&r, "slice", CHECK_OK, "does not opt into vmslice");
        check_result_done(&r);

        /* opted in, without a slice */
        run(RUNNING, NULL, NULL, true, &r);
        expect(&r, "slice", CHECK_WARN, "no slice: the domain opts into vmslice");
        assert_int_equal(check_worst(&r), CHECK_WARN);
}

static void test_unpinned(void **state)
{
        _cleanup_(check_result_done) CheckResult r = {0};
        run(UNPINNED, NULL, NULL, false, &r);
        expect(&r, "vcpu-pin", CHECK_FAIL, "vCPU 1 (tid 4247) may run on 0-31, but its pin is 18");
        expect_none(&r, "vcpu-pin", CHECK_OK);
        expect(&r, "emulator-pin", CHECK_FAIL,
               "1 of the 5 threads of the emulator may run outside its <emulatorpin> 0,16 (tid "
               "4242 'qemu-system-x86' on 0-31)");
        expect(&r, "iothread-pin", CHECK_OK, NULL);
        /* systemd, kthreadd, sshd, the comm with parentheses, libvirtd's two threads */
        expect(&r, "other-tasks", CHECK_WARN, "6 other tasks may run on the VM CPUs 2,4,18,20");
        expect(&r, "other-tasks", CHECK_WARN, "12 per-CPU kernel threads there not counted");
        assert_int_equal(check_worst(&r), CHECK_FAIL);
        assert_int_equal(check_count(&r, CHECK_FAIL), 2);
        check_result_done(&r);

        /* the same threads with a domain without pins: a warning, not a failure */
        static const char *const nopins[] = {"<vcpupin vcpu='0' cpuset='2'/>",
                                             "",
                                             "<vcpupin vcpu='1' cpuset='18'/>",
                                             "",
                                             "<vcpupin vcpu='2' cpuset='4'/>",
                                             "",
                                             "<vcpupin vcpu='3' cpuset='20'/>",
                                             "",
                                             "<emulatorpin cpuset='0,16'/>",
                                             "",
                                             "<iothreadpin iothread='1' cpuset='0,16'/>",
                                             "",
                                             NULL};
        run(UNPINNED, nopins, NULL, false, &r);
        expect(&r, "vcpu-pin", CHECK_WARN, "no pins: the scheduler places vCPUs");
        expect_none(&r, "vcpu-last-cpu", CHECK_OK);
        expect_none(&r, "other-tasks", CHECK_OK);
        expect_none(&r, "other-tasks", CHECK_WARN);
        expect_none(&r, "emulator-pin", CHECK_WARN);
        assert_true(check_worst(&r) <= CHECK_WARN);
        check_result_done(&r);

        /* one vCPU without a pin */
        static const char *const one[] = {"<vcpupin vcpu='1' cpuset='18'/>", "", NULL};
        run(UNPINNED, one, NULL, false, &r);
        expect(&r, "vcpu-pin", CHECK_WARN,
               "vCPU 1 (tid 4247) has no <vcpupin> and may run on 0-31");
}

static void test_off_pin(void **state)
{
        _cleanup_(check_result_done) CheckResult r = {0};
        run(OFF_PIN, NULL, NULL, false, &r);
        expect(&r, "vcpu-pin", CHECK_OK, NULL);
        expect(&r, "vcpu-last-cpu", CHECK_WARN,
               "vCPU 2 (tid 4248) last ran on CPU 7, outside its "
               "pin 4");
        assert_int_equal(check_count(&r, CHECK_WARN), 1);
        assert_int_equal(check_worst(&r), CHECK_WARN);
}

static void test_ram(void **state)
{
        _cleanup_(check_result_done) CheckResult r = {0};
        run(RAM_4K, NULL, NULL, false, &r);
        expect(&r, "hugepages", CHECK_FAIL,
               "guest RAM at 7f2b40000000 (4 GiB) is backed by 4 KiB "
               "pages, but the domain asks for 2 MiB hugepages");
        expect(&r, "numa", CHECK_OK, NULL);
        assert_int_equal(check_count(&r, CHECK_FAIL), 1);
        check_result_done(&r);

        /* the domain asks for no hugepages: 4 KiB pages are what it asks */
        static const char *const nohp[] = {
            "<memoryBacking>\n    <hugepages>\n      <page size='2048' unit='KiB'/>\n    "
            "</hugepages>\n  </memoryBacking>",
            "", NULL};
        run(RAM_4K, nohp, NULL, false, &r);
        expect(&r, "hugepages", CHECK_OK,
               "backed by 4 KiB pages; the domain asks for no hugepages");
        check_result_done(&r);

        /* 1 GiB pages asked, 2 MiB ones back it */
        static const char *const gib[] = {"<page size='2048' unit='KiB'/>",
                                          "<page size='1' unit='GiB'/>", NULL};
        run(RUNNING, gib, NULL, false, &r);
        expect(&r, "hugepages", CHECK_FAIL, "backed by 2 MiB pages, but the domain asks for 1 GiB");
        check_result_done(&r);

        /* half the pages on node 1 */
        run(RAM_NODE1, NULL, NULL, false, &r);
        expect(&r, "numa", CHECK_WARN,
               "2 GiB (50%) of the guest RAM lies on node 1, outside node 0 "
               "that <numatune> asks for");
        expect(&r, "hugepages", CHECK_OK, NULL);
        check_result_done(&r);
        /* ... which a numatune of both nodes allows */
        static const char *const both[] = {"nodeset='0'", "nodeset='0-1'", NULL};
        run(RAM_NODE1, both, NULL, false, &r);
        expect(&r, "numa", CHECK_OK, "nodes 0-1, which <numatune> asks for");
        check_result_done(&r);
        /* without numatune the vCPUs' node (package 0: node 0) is expected */
        static const char *const nont[] = {"<memory mode='strict' nodeset='0'/>", "", NULL};
        run(RAM_NODE1, nont, NULL, false, &r);
        expect(&r, "numa", CHECK_WARN, "outside node 0 that the vCPUs' CPUs are on");
        check_result_done(&r);
        /* numatune on node 1 while all of it is on node 0 */
        static const char *const one[] = {"nodeset='0'", "nodeset='1'", NULL};
        run(RUNNING, one, NULL, false, &r);
        expect(&r, "numa", CHECK_WARN, "4 GiB (100%) of the guest RAM lies on node 0");
}

static void test_domain_mismatch(void **state)
{
        _cleanup_(check_result_done) CheckResult r = {0};
        /* a wrong pin */
        static const char *const pin[] = {"<vcpupin vcpu='1' cpuset='18'/>",
                                          "<vcpupin vcpu='1' cpuset='19'/>", NULL};
        run(RUNNING, pin, NULL, false, &r);
        expect(&r, "vcpu-pin", CHECK_FAIL, "vCPU 1 (tid 4247) may run on 18, but its pin is 19");
        expect(&r, "vcpu-last-cpu", CHECK_WARN, "last ran on CPU 18, outside its pin 19");
        check_result_done(&r);
        /* more vCPUs than threads; fewer */
        static const char *const five[] = {"<vcpu placement='static'>4</vcpu>",
                                           "<vcpu placement='static'>5</vcpu>", NULL};
        run(RUNNING, five, NULL, false, &r);
        expect(&r, "qemu", CHECK_FAIL, "vCPU 4 of the domain's 5 has no thread in pid 4242");
        check_result_done(&r);
        static const char *const three[] = {"<vcpu placement='static'>4</vcpu>",
                                            "<vcpu placement='static'>3</vcpu>",
                                            "<vcpupin vcpu='3' cpuset='20'/>", "", NULL};
        run(RUNNING, three, NULL, false, &r);
        expect(&r, "qemu", CHECK_FAIL,
               "threads of vCPU 3, which the domain (3 vCPUs) does not have");
        check_result_done(&r);
        /* another guest's QEMU */
        static const char *const name[] = {"<name>vm4</name>", "<name>other</name>", NULL};
        run(RUNNING, name, NULL, false, &r);
        expect(&r, "qemu", CHECK_FAIL, "pid 4242 runs the guest 'vm4', not 'other'");
        check_result_done(&r);
        /* the emulator pinned to less than its threads may use */
        static const char *const emu[] = {"<emulatorpin cpuset='0,16'/>",
                                          "<emulatorpin cpuset='0'/>", NULL};
        run(RUNNING, emu, NULL, false, &r);
        expect(&r, "emulator-pin", CHECK_FAIL, "5 of the 5 threads of the emulator");
        check_result_done(&r);
        /* no emulatorpin: the emulator threads stay off the vCPUs' CPUs anyway */
        static const char *const noemu[] = {"<emulatorpin cpuset='0,16'/>", "", NULL};
        run(RUNNING, noemu, NULL, false, &r);
        expect(&r, "emulator-pin", CHECK_OK,
               "no <emulatorpin>, but the 5 threads of the emulator "
               "stay off");
        check_result_done(&r);
        /* a second I/O thread QEMU does not run; no iothreadpin but off the vCPUs */
        static const char *const io[] = {"<iothreads>1</iothreads>", "<iothreads>2</iothreads>",
                                         "<iothreadpin iothread='1' cpuset='0,16'/>", "", NULL};
        run(RUNNING, io, NULL, false, &r);
        expect(&r, "iothread-pin", CHECK_WARN, "I/O thread 2 has no thread 'IO iothread2'");
        expect(&r, "iothread-pin", CHECK_OK, "no <iothreadpin>, but the 1 thread of I/O thread 1");
        check_result_done(&r);
        /* an I/O thread the domain does not define */
        static const char *const noio[] = {"<iothreads>1</iothreads>", "",
                                           "<iothreadpin iothread='1' cpuset='0,16'/>", "", NULL};
        run(RUNNING, noio, NULL, false, &r);
        expect(&r, "iothread-pin", CHECK_WARN, "an I/O thread 1 (tid 4245) the domain does not");
        check_result_done(&r);
        /* <vcpu cpuset> is every vCPU's default and the emulator's */
        static const char *const set[] = {"<vcpu placement='static'>4</vcpu>",
                                          "<vcpu placement='static' cpuset='2,4,18,20'>4</vcpu>",
                                          "<vcpupin vcpu='0' cpuset='2'/>",
                                          "",
                                          "<emulatorpin cpuset='0,16'/>",
                                          "",
                                          NULL};
        run(RUNNING, set, NULL, false, &r);
        expect(&r, "vcpu-pin", CHECK_FAIL,
               "vCPU 0 (tid 4246) may run on 2, but its pin is 2,4,18,20");
        expect(&r, "emulator-pin", CHECK_FAIL, "outside <vcpu cpuset> 2,4,18,20");
}

static void test_bad_domain(void **state)
{
        static const char *const bad[][3] = {
            {"<vcpupin vcpu='1' cpuset='18'/>", "<vcpupin vcpu='1' cpuset='x'/>",
             "<vcpupin cpuset='x'> is not a list of host CPUs"},
            {"<vcpupin vcpu='1' cpuset='18'/>", "<vcpupin vcpu='9' cpuset='18'/>",
             "<vcpupin vcpu='9'> names no vCPU the domain has"},
            {"<vcpupin vcpu='1' cpuset='18'/>", "<vcpupin vcpu='0' cpuset='18'/>",
             "a second <vcpupin> for vCPU 0"},
            {"<iothreadpin iothread='1'", "<iothreadpin iothread='3'",
             "<iothreadpin iothread='3'> names no I/O thread"},
            {"<iothreads>1</iothreads>", "<iothreads>999999</iothreads>",
             "is not a count of I/O threads"},
            {"nodeset='0'", "nodeset='0-&#10;1'", "<memory nodeset='0-?1'> is not a list"},
            {"<vcpupin vcpu='1' cpuset='18'/>", "<vcpupin vcpu='1' cpuset='99'/>",
             "not online on this host"},
        };
        Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = fixture_topology(RUNNING, &h);
        _cleanup_(qemu_proc_freep) QemuProc *q = NULL;
        Error err = {0};
        assert_int_equal(qemu_proc_load(h, QEMU_PID, 0, &q, &err), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *subs[] = {bad[i][0], bad[i][1], NULL};
                _cleanup_(domain_freep) Domain *d = vm4(subs);
                CheckInput in = {.host = h, .topology = t, .domain = d, .qemu = q};
                CheckResult r = {0};
                err = (Error){0};
                assert_int_equal(check_run(&in, &r, &err), -EINVAL);
                assert_true(err.input);
                assert_null(strchr(err.msg, '\n'));
                if (!strstr(err.msg, bad[i][2]))
                        fail_msg("'%s': want '%s'", err.msg, bad[i][2]);
                assert_int_equal(r.n, 0);
        }
        host_free(h);
}

/* The slice: prepared on a private copy of the fixture, then its knobs changed behind its back. */
static void test_slice(void **state)
{
        Host *h = fixture_host_private(RUNNING);
        Error err = {0};
        _cleanup_(topology_freep) Topology *t = NULL;
        assert_int_equal(topology_load(h, &t, &err), 0);
        char dir[64] = "/tmp/vmslice-check-XXXXXX";
        assert_non_null(mkdtemp(dir));
        chmod(dir, 0700);
        _cleanup_(domain_freep) Domain *d = vm4(NULL);
        _cleanup_(qemu_proc_freep) QemuProc *q = NULL;
        assert_int_equal(qemu_proc_load(h, QEMU_PID, 4ULL << 30, &q, &err), 0);
        SlicePolicy p;
        slice_policy_default(&p);
        State *st = NULL;
        assert_int_equal(state_open(dir, &st, &err), 0);
        SliceSpec *spec = NULL;
        assert_int_equal(slice_spec_from_domain(d, t, &spec, &err), 0);
        SliceReport rep = {0};
        if (slice_prepare(h, t, st, spec, &p, false, &rep, &err) < 0)
                fail_msg("prepare: %s", err.msg);
        slice_report_done(&rep);
        slice_spec_free(spec);

        CheckInput in = {.host = h,
                         .topology = t,
                         .domain = d,
                         .qemu = q,
                         .state = st,
                         .policy = &p,
                         .slice_wanted = true};
        CheckResult r = {0};
        assert_int_equal(check_run(&in, &r, &err), 0);
        expect(&r, "slice", CHECK_OK,
               "the slice is in place: host tasks, workqueues and IRQs are "
               "kept off CPUs 0,2,4,16,18,20");
        assert_int_equal(check_worst(&r), CHECK_OK);
        check_result_done(&r);

        /* the workqueue mask and default_smp_affinity back on every CPU: fail; a noise knob and an
         * IRQ: warn */
        assert_int_equal(host_write_file(h, "/sys/devices/virtual/workqueue/cpumask", "ffffffff\n"),
                         0);
        assert_int_equal(host_write_file(h, "/proc/irq/default_smp_affinity", "00000004\n"), 0);
        assert_int_equal(host_write_file(h, "/proc/sys/vm/stat_interval", "1\n"), 0);
        assert_int_equal(host_write_file(h, "/proc/irq/25/smp_affinity_list", "0-31\n"), 0);
        assert_int_equal(host_write_file(h, "/sys/fs/cgroup/system.slice/cpuset.cpus", "1-3\n"), 0);
        assert_int_equal(check_run(&in, &r, &err), 0);
        expect(&r, "slice", CHECK_FAIL,
               "/sys/devices/virtual/workqueue/cpumask is 'ffffffff', "
               "which does not keep host work off the VM CPUs");
        expect(&r, "slice", CHECK_FAIL, "/proc/irq/default_smp_affinity is '00000004'");
        expect(&r, "slice", CHECK_FAIL, "/sys/fs/cgroup/system.slice/cpuset.cpus is '1-3'");
        expect(&r, "slice", CHECK_WARN, "/proc/sys/vm/stat_interval is '1', the slice wants '120'");
        expect(&r, "slice", CHECK_WARN,
               "1 IRQ may still fire on the VM CPUs 0,2,4,16,18,20 (IRQ 25)");
        expect_none(&r, "slice", CHECK_OK);
        assert_int_equal(check_count(&r, CHECK_FAIL), 3);
        check_result_done(&r);
        /* a mask that excludes the VM CPUs but is not the slice's: a warning */
        assert_int_equal(host_write_file(h, "/sys/devices/virtual/workqueue/cpumask", "00000002\n"),
                         0);
        assert_int_equal(check_run(&in, &r, &err), 0);
        expect(&r, "slice", CHECK_WARN,
               "/sys/devices/virtual/workqueue/cpumask is '00000002', the "
               "slice wants 'ffeaffea'");
        check_result_done(&r);

        /* the domain was changed after its slice was prepared */
        static const char *const moved[] = {"<vcpupin vcpu='3' cpuset='20'/>",
                                            "<vcpupin vcpu='3' cpuset='22'/>", NULL};
        _cleanup_(domain_freep) Domain *d2 = vm4(moved);
        in.domain = d2;
        assert_int_equal(check_run(&in, &r, &err), 0);
        expect(&r, "slice", CHECK_FAIL,
               "the slice keeps CPUs 0,2,4,16,18,20 for the VM, but its "
               "vCPUs are pinned to 2,4,18,22");
        check_result_done(&r);

        state_close(st);
        (void) archive_remove_tree(dir);
        host_free(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_classify),        cmocka_unit_test(test_stat),
            cmocka_unit_test(test_status),          cmocka_unit_test(test_smaps),
            cmocka_unit_test(test_numa_maps),       cmocka_unit_test(test_guest_ram),
            cmocka_unit_test(test_interrupts),      cmocka_unit_test(test_qemu_proc),
            cmocka_unit_test(test_running),         cmocka_unit_test(test_unpinned),
            cmocka_unit_test(test_off_pin),         cmocka_unit_test(test_ram),
            cmocka_unit_test(test_domain_mismatch), cmocka_unit_test(test_bad_domain),
            cmocka_unit_test(test_slice),           cmocka_unit_test(test_cmdline),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
