/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "capture.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "archive-util.h"
#include "fileio.h"
#include "string-util.h"

/* What a capture holds: every file vmslice (and hwloc's linux backend, through host_load_hwloc())
 * reads. Patterns are absolute paths as on the live machine, one component per '/':
 *
 *   literal      "online"           that name
 *   glob         "cpu[0-9]*", "*"   fnmatch() against the directory listing, dotfiles excluded
 *   alternatives "{name,desc}"      each of these names (no listing)
 *
 * Intermediate components are followed when they are symlinks, so a directory the kernel reaches
 * through a link (cpuN/cpufreq -> ../cpufreq/policyN, /sys/bus/pci/devices/X ->
 * ../../../devices/pci0000:00/X, /sys/bus/workqueue/devices/writeback) is stored as a real
 * directory at the path vmslice reads. What the last component names:
 *
 *   CAPTURE_FILES      regular files (a link to a file is read through; directories are skipped)
 *   CAPTURE_SYMLINK    a symlink, stored verbatim when it is relative and resolves to a path in
 *                      the capture (nodeN/cpuM -> ../../cpu/cpuM), dropped otherwise
 *   CAPTURE_LINK_NAME  a symlink whose target's name is what matters (the bound driver, the IOMMU
 *                      group): stored as link_prefix + name, with an empty directory at
 *                      target_dir/name so the link resolves inside the capture
 *
 * Pattern                                                        What for
 * /proc/{cpuinfo,meminfo,cmdline,interrupts,mounts}                CPU model, memory, isolcpus=,
 *                                                                  IRQs, cgroup mounts
 * /proc/irq/default_smp_affinity, /proc/irq/N/{affinity files}     IRQ affinity (not the handler
 *                                                                  subdirectories)
 * /proc/sys/vm/..., /proc/sys/kernel/...                           hugepages, watchdogs, RT
 *                                                                  throttling, NUMA balancing
 * /sys/devices/system/cpu/{online,...}, smt/, cpuN/...             CPU topology, caches, cpufreq
 *                                                                  governors, idle states
 * /sys/devices/{cpu_core,cpu_atom}/cpus                            hybrid Intel P/E cores
 * /sys/devices/system/node/...                                     NUMA nodes, per-node memory
 *                                                                  and hugepages, nodeN/cpuM
 * /sys/kernel/mm/{hugepages,transparent_hugepage,ksm}/...          memory tuning
 * /sys/devices/virtual/workqueue/cpumask, writeback workqueue      unbound workqueue affinity
 * /sys/bus/pci/devices/X/{ids,locality}, driver, iommu_group       PCI devices for passthrough
 * /sys/class/dmi/id/{vendor and product names}                     what the machine is (hwloc)
 * /sys/fs/cgroup/... (v2 root and first-level children, v1
 * cpuset root and children, v1 "unified")                          cgroup CPU partitioning
 *
 * Besides these, the capture holds two files the host does not have: MACHINE (where and when it
 * was captured) and /proc/hwloc-nofile-info, the file by which hwloc learns the OS and the
 * architecture of a tree that is not the running system (as hwloc-gather-topology writes it).
 * Without it hwloc does not know the tree is x86 and leaves out CPUVendor, CPUFamilyNumber,
 * CPUModelNumber and CPUStepping. Not captured although hwloc's linux backend looks at them:
 * /proc/self/{cgroup,cpuset} (the capturing process's own cgroup), PCI config space and link
 * speeds and /sys/class/{block,net,...} (I/O objects, which vmslice does not load), HMAT memory
 * attributes, DAX/CXL memory tiers, and DMI memory-module records (binary, with serial numbers).
 */
typedef enum CaptureKind {
        CAPTURE_FILES = 0,
        CAPTURE_SYMLINK,
        CAPTURE_LINK_NAME,
} CaptureKind;

typedef struct CaptureSpec {
        const char *pattern;
        CaptureKind kind;
        const char *link_prefix; /* CAPTURE_LINK_NAME: relative to the link's directory */
        const char *target_dir;  /* CAPTURE_LINK_NAME: absolute, with a trailing slash */
} CaptureSpec;

#define CGROUP_V1_CPUSET_FILES                                                                     \
        "{cpuset.cpus,cpuset.mems,cpuset.effective_cpus,cpuset.effective_mems,"                    \
        "cpuset.cpu_exclusive}"

static const CaptureSpec capture_table[] = {
    /* procfs; hwloc-nofile-info only exists in captures (see capture_hwloc_info()) */
    {.pattern = "/proc/{cpuinfo,meminfo,cmdline,interrupts,mounts,hwloc-nofile-info}"},
    {.pattern = "/proc/irq/default_smp_affinity"},
    {.pattern = "/proc/irq/[0-9]*/"
                "{smp_affinity,smp_affinity_list,effective_affinity,effective_affinity_list,node}"},
    {.pattern = "/proc/sys/vm/{nr_hugepages,nr_overcommit_hugepages,stat_interval,"
                "zone_reclaim_mode,swappiness,compaction_proactiveness}"},
    {.pattern = "/proc/sys/kernel/{watchdog,nmi_watchdog,soft_watchdog,watchdog_cpumask,"
                "timer_migration,numa_balancing,sched_rt_runtime_us,sched_rt_period_us}"},

    /* CPUs */
    {.pattern = "/sys/devices/system/cpu/"
                "{online,offline,possible,present,kernel_max,isolated,nohz_full}"},
    {.pattern = "/sys/devices/system/cpu/smt/{active,control}"},
    {.pattern = "/sys/devices/system/cpu/cpu[0-9]*/{online,cpu_capacity}"},
    {.pattern = "/sys/devices/system/cpu/cpu[0-9]*/topology/*"},
    {.pattern = "/sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*/*"},
    {.pattern = "/sys/devices/system/cpu/cpu[0-9]*/cpufreq/{scaling_governor,"
                "scaling_available_governors,scaling_driver,energy_performance_preference,"
                "cpuinfo_max_freq,cpuinfo_min_freq,base_frequency}"},
    {.pattern = "/sys/devices/system/cpu/cpu[0-9]*/cpuidle/state[0-9]*/"
                "{name,desc,disable,latency}"},
    {.pattern = "/sys/devices/{cpu_core,cpu_atom}/cpus"},

    /* NUMA */
    {.pattern = "/sys/devices/system/node/"
                "{online,possible,has_cpu,has_memory,has_normal_memory}"},
    {.pattern = "/sys/devices/system/node/node[0-9]*/{cpulist,cpumap,distance,meminfo}"},
    {.pattern = "/sys/devices/system/node/node[0-9]*/hugepages/hugepages-*/"
                "{nr_hugepages,free_hugepages,surplus_hugepages}"},
    {.pattern = "/sys/devices/system/node/node[0-9]*/cpu[0-9]*", .kind = CAPTURE_SYMLINK},

    /* memory */
    {.pattern = "/sys/kernel/mm/hugepages/hugepages-*/{nr_hugepages,free_hugepages,"
                "nr_overcommit_hugepages,resv_hugepages,surplus_hugepages}"},
    {.pattern = "/sys/kernel/mm/transparent_hugepage/{enabled,defrag}"},
    {.pattern = "/sys/kernel/mm/ksm/{run,merge_across_nodes}"},

    /* workqueues */
    {.pattern = "/sys/devices/virtual/workqueue/cpumask"},
    {.pattern = "/sys/bus/workqueue/devices/writeback/{cpumask,numa}"},

    /* PCI */
    {.pattern = "/sys/bus/pci/devices/*/{class,vendor,device,subsystem_vendor,"
                "subsystem_device,numa_node,local_cpulist,local_cpus}"},
    {.pattern = "/sys/bus/pci/devices/*/driver",
     .kind = CAPTURE_LINK_NAME,
     .link_prefix = "../../drivers/",
     .target_dir = "/sys/bus/pci/drivers/"},
    {.pattern = "/sys/bus/pci/devices/*/iommu_group",
     .kind = CAPTURE_LINK_NAME,
     .link_prefix = "../../../../kernel/iommu_groups/",
     .target_dir = "/sys/kernel/iommu_groups/"},

    /* the machine's make and model, as hwloc reports them (no serial numbers or UUIDs) */
    {.pattern = "/sys/class/dmi/id/{sys_vendor,product_name,product_version,product_family,"
                "board_vendor,board_name,board_version,bios_vendor,bios_version,bios_date,"
                "chassis_vendor,chassis_type,chassis_version}"},

    /* cgroup v2: the root and its first-level children */
    {.pattern = "/sys/fs/cgroup/{cgroup.controllers,cgroup.subtree_control,"
                "cpuset.cpus.effective,cpuset.mems.effective,cpuset.cpus.isolated}"},
    {.pattern = "/sys/fs/cgroup/*/{cgroup.controllers,cgroup.subtree_control,cpuset.cpus,"
                "cpuset.cpus.effective,cpuset.cpus.partition,cpuset.mems,"
                "cpuset.mems.effective}"},
    /* cgroup v1: the cpuset hierarchy and its first-level children; the hybrid v2 mount */
    {.pattern = "/sys/fs/cgroup/cpuset/" CGROUP_V1_CPUSET_FILES},
    {.pattern = "/sys/fs/cgroup/cpuset/*/" CGROUP_V1_CPUSET_FILES},
    {.pattern = "/sys/fs/cgroup/unified/{cgroup.controllers,cgroup.subtree_control}"},
};

/* Bounds of the walk: components of a pattern, entries and bytes of the result (so the capture
 * can be unpacked again by archive_unpack_tmp()). */
#define CAPTURE_DEPTH_MAX   16
#define CAPTURE_ENTRIES_MAX ARCHIVE_ENTRIES_MAX
#define CAPTURE_BYTES_MAX   ARCHIVE_BYTES_MAX

typedef enum EntryType {
        ENTRY_DIR = 0, /* sorts first among entries of the same path */
        ENTRY_FILE,
        ENTRY_SYMLINK,
} EntryType;

typedef struct CaptureEntry {
        char *path; /* relative: "sys/devices/system/cpu/online" */
        EntryType type;
        char *data;     /* file content, or symlink target */
        size_t size;    /* of the file content */
        size_t seq;     /* insertion order, to sort deterministically */
        bool from_host; /* a file read from the host (counted) */
} CaptureEntry;

typedef struct Capture {
        Host *host;
        CaptureEntry *entries;
        size_t n_entries, n_allocated;
        uint64_t bytes;
        Error *err;
} Capture;

static void capture_done(Capture *c)
{
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].path);
                free(c->entries[i].data);
        }
        free(c->entries);
        c->entries = NULL;
        c->n_entries = c->n_allocated = 0;
}

/* Adds an entry; takes data. path is absolute or relative. */
static int capture_add(Capture *c, const char *path, EntryType type, char *data, size_t size,
                       bool from_host)
{
        _cleanup_(freep) char *d = data;

        while (*path == '/')
                path++;
        if (!*path)
                return 0;
        if (c->n_entries >= CAPTURE_ENTRIES_MAX)
                return error_fail(c->err, -E2BIG,
                                  "cannot capture %s: more than %u entries; the host tree is not "
                                  "what vmslice expects, capture a smaller tree",
                                  host_root(c->host), (unsigned) CAPTURE_ENTRIES_MAX);
        if (size > CAPTURE_BYTES_MAX - c->bytes)
                return error_fail(c->err, -E2BIG,
                                  "cannot capture %s: more than %llu MiB; the host tree is not "
                                  "what vmslice expects, capture a smaller tree",
                                  host_root(c->host),
                                  (unsigned long long) (CAPTURE_BYTES_MAX >> 20));
        if (c->n_entries == c->n_allocated) {
                size_t n = c->n_allocated ? c->n_allocated * 2 : 1024;
                CaptureEntry *e = reallocarray(c->entries, n, sizeof(*e));
                if (!e)
                        return error_fail(c->err, -ENOMEM, "out of memory");
                c->entries = e;
                c->n_allocated = n;
        }
        char *p = strdup(path);
        if (!p)
                return error_fail(c->err, -ENOMEM, "out of memory");
        c->entries[c->n_entries] = (CaptureEntry){
            .path = p,
            .type = type,
            .data = TAKE_PTR(d),
            .size = size,
            .seq = c->n_entries,
            .from_host = from_host,
        };
        c->n_entries++;
        c->bytes += size;
        return 0;
}

/* Reads a regular file through the host. Returns 0 and the content, -ENOMEM, or another negative
 * errno when the file is to be skipped (missing, not a regular file, unreadable, too large). */
static int read_regular(Host *h, const char *path, char **ret, size_t *ret_size)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;

        /* O_NONBLOCK: a FIFO in a fixture tree must not hang the capture (it is skipped below). */
        fd = host_open(h, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -ENODEV;
        int r = read_fd_full(fd, HOST_READ_MAX, ret, ret_size);
        return r == -ENOMEM ? r : r < 0 && r != -EFBIG ? -EIO : r; /* one file is never fatal */
}

/* Captures end up in bug reports: keep what vmslice reads, drop what it does not need.
 * /proc/cmdline loses the arguments after " -- " (they go to init, not the kernel);
 * /proc/mounts keeps only the proc, sysfs, cgroup and hugetlbfs mounts. Returns the new size. */
static size_t redact(const char *path, char *data, size_t size)
{
        if (streq(path, "/proc/cmdline")) {
                char *dashes = memmem(data, size, " -- ", 4);
                if (!dashes && size >= 3 && memcmp(data, "-- ", 3) == 0)
                        dashes = data;
                if (dashes) {
                        dashes[0] = '\n';
                        return (size_t) (dashes - data) + 1;
                }
        } else if (streq(path, "/proc/mounts")) {
                static const char *const keep[] = {" proc ", " sysfs ", " cgroup ", " cgroup2 ",
                                                   " hugetlbfs "};
                size_t out = 0, i = 0;
                while (i < size) {
                        char *nl = memchr(data + i, '\n', size - i);
                        size_t len = nl ? (size_t) (nl - (data + i)) + 1 : size - i;
                        bool wanted = false;
                        for (size_t k = 0; k < ELEMENTSOF(keep) && !wanted; k++)
                                wanted = memmem(data + i, len, keep[k], strlen(keep[k])) != NULL;
                        if (wanted) {
                                memmove(data + out, data + i, len);
                                out += len;
                        }
                        i += len;
                }
                return out;
        }
        return size;
}

static bool is_plain_name(const char *s)
{
        return *s && !strchr(s, '/') && !streq(s, ".") && !streq(s, "..");
}

static int capture_leaf(Capture *c, const CaptureSpec *spec, const char *path)
{
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        int r;

        switch (spec->kind) {
        case CAPTURE_FILES:
                r = read_regular(c->host, path, &data, &size);
                if (r == -ENOMEM)
                        return error_fail(c->err, r, "out of memory");
                if (r < 0)
                        return 0; /* write-only, unreadable, missing or not a file: skip */
                size = redact(path, data, size);
                return capture_add(c, path, ENTRY_FILE, TAKE_PTR(data), size, true);

        case CAPTURE_SYMLINK:
                r = host_readlink(c->host, path, &data);
                if (r == -ENOMEM)
                        return error_fail(c->err, r, "out of memory");
                if (r < 0)
                        return 0;
                return capture_add(c, path, ENTRY_SYMLINK, TAKE_PTR(data), 0, false);

        case CAPTURE_LINK_NAME: {
                r = host_readlink(c->host, path, &data);
                if (r == -ENOMEM)
                        return error_fail(c->err, r, "out of memory");
                if (r < 0)
                        return 0;
                const char *slash = strrchr(data, '/');
                const char *name = slash ? slash + 1 : data;
                if (!is_plain_name(name))
                        return 0;
                _cleanup_(freep) char *target = strdup_printf("%s%s", spec->link_prefix, name);
                _cleanup_(freep) char *dir = strdup_printf("%s%s", spec->target_dir, name);
                if (!target || !dir)
                        return error_fail(c->err, -ENOMEM, "out of memory");
                r = capture_add(c, path, ENTRY_SYMLINK, TAKE_PTR(target), 0, false);
                if (r < 0)
                        return r;
                return capture_add(c, dir, ENTRY_DIR, NULL, 0, false);
        }
        }
        return 0;
}

/* Appends "/" + name to path[0..len); returns the new length or -ENAMETOOLONG. */
static int path_push(char *path, size_t len, const char *name, size_t n)
{
        if (len + 1 + n + 1 > PATH_MAX)
                return -ENAMETOOLONG;
        path[len] = '/';
        memcpy(path + len + 1, name, n);
        path[len + 1 + n] = 0;
        return (int) (len + 1 + n);
}

static bool is_glob(const char *comp, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (comp[i] == '*' || comp[i] == '?' || comp[i] == '[')
                        return true;
        return false;
}

/* Expands the pattern rest below path[0..len) (path is "" for "/"). */
static int capture_expand(Capture *c, const CaptureSpec *spec, char *path, size_t len,
                          const char *rest, unsigned depth)
{
        const char *end, *next;
        size_t n;
        int r;

        if (!*rest) {
                path[len] = 0;
                return capture_leaf(c, spec, path);
        }
        if (depth >= CAPTURE_DEPTH_MAX)
                return 0;
        end = strchrnul(rest, '/');
        next = *end ? end + 1 : end;
        n = (size_t) (end - rest);

        if (n >= 2 && rest[0] == '{' && rest[n - 1] == '}') {
                const char *alt = rest + 1, *alt_end = rest + n - 1;
                while (alt < alt_end) {
                        const char *comma = memchr(alt, ',', (size_t) (alt_end - alt));
                        const char *e = comma ? comma : alt_end;
                        r = path_push(path, len, alt, (size_t) (e - alt));
                        if (r >= 0) {
                                r = capture_expand(c, spec, path, (size_t) r, next, depth + 1);
                                if (r < 0)
                                        return r;
                        }
                        alt = e + 1;
                }
                return 0;
        }

        if (is_glob(rest, n)) {
                _cleanup_(strv_freep) char **names = NULL;
                char glob[NAME_MAX + 1];

                if (n > NAME_MAX)
                        return 0;
                memcpy(glob, rest, n);
                glob[n] = 0;
                path[len] = 0;
                r = host_list_dir(c->host, len ? path : "/", &names);
                if (r == -ENOMEM)
                        return error_fail(c->err, r, "out of memory");
                if (r < 0)
                        return 0; /* missing optional subtree */
                for (char **name = names; *name; name++) {
                        if (fnmatch(glob, *name, FNM_PERIOD) != 0)
                                continue;
                        r = path_push(path, len, *name, strlen(*name));
                        if (r < 0)
                                continue;
                        r = capture_expand(c, spec, path, (size_t) r, next, depth + 1);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        r = path_push(path, len, rest, n);
        if (r < 0)
                return 0;
        return capture_expand(c, spec, path, (size_t) r, next, depth + 1);
}

static int cmp_entry(const void *a, const void *b)
{
        const CaptureEntry *x = a, *y = b;
        int r = strcmp(x->path, y->path);
        if (r != 0)
                return r;
        if (x->type != y->type)
                return x->type < y->type ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void capture_sort_unique(Capture *c)
{
        size_t j = 0;

        qsort(c->entries, c->n_entries, sizeof(CaptureEntry), cmp_entry);
        /* Of entries with the same path keep the first: a directory wins over a file or link. */
        for (size_t i = 0; i < c->n_entries; i++) {
                if (j > 0 && streq(c->entries[j - 1].path, c->entries[i].path)) {
                        free(c->entries[i].path);
                        free(c->entries[i].data);
                        continue;
                }
                c->entries[j++] = c->entries[i];
        }
        c->n_entries = j;
}

/* Looks path up in the sorted entries [0, n). */
static const CaptureEntry *capture_find(const Capture *c, size_t n, const char *path)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int r = strcmp(c->entries[mid].path, path);
                if (r == 0)
                        return &c->entries[mid];
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static bool is_ancestor(const char *dir, size_t len, const char *path)
{
        return strncmp(path, dir, len) == 0 && path[len] == '/';
}

/* Adds a directory entry for every parent of every entry; the entries must be sorted. Walking up
 * from an entry stops at a parent that is an entry itself or that the previous entry has too:
 * its parents are done already. */
static int capture_add_parents(Capture *c)
{
        size_t n = c->n_entries;

        for (size_t i = 0; i < n; i++) {
                char buf[PATH_MAX];
                snprintf(buf, sizeof(buf), "%s", c->entries[i].path);
                for (char *s = strrchr(buf, '/'); s; s = strrchr(buf, '/')) {
                        *s = 0;
                        if (i > 0 && is_ancestor(buf, (size_t) (s - buf), c->entries[i - 1].path))
                                break;
                        if (capture_find(c, n, buf))
                                break;
                        int r = capture_add(c, buf, ENTRY_DIR, NULL, 0, false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* A kept symlink must resolve lexically, from the link's directory, to an entry of the capture,
 * and have the form archive_unpack_tmp() accepts: relative, ".." only as leading components. */
static bool symlink_inside(const Capture *c, const CaptureEntry *e)
{
        char buf[PATH_MAX];
        size_t len;
        bool down = false;

        if (!e->data || !*e->data || e->data[0] == '/' || strlen(e->data) > 1024)
                return false;
        snprintf(buf, sizeof(buf), "%s", e->path);
        char *s = strrchr(buf, '/');
        len = s ? (size_t) (s - buf) : 0;
        buf[len] = 0;

        for (const char *p = e->data; *p;) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (len == 0 || down)
                                return false;
                        s = memrchr(buf, '/', len);
                        len = s ? (size_t) (s - buf) : 0;
                        buf[len] = 0;
                } else if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (len + 1 + n + 1 > sizeof(buf))
                                return false;
                        if (len > 0)
                                buf[len++] = '/';
                        memcpy(buf + len, p, n);
                        len += n;
                        buf[len] = 0;
                        down = true;
                }
                p = *end ? end + 1 : end;
        }
        return len > 0 && capture_find(c, c->n_entries, buf);
}

/* Drops the symlinks that do not resolve inside the capture; the entries must be sorted. */
static int capture_drop_dangling_links(Capture *c)
{
        _cleanup_(freep) bool *drop = NULL;
        size_t j = 0;

        /* Decide first, then compact: capture_find() needs the array intact. */
        drop = calloc(c->n_entries ? c->n_entries : 1, sizeof(bool));
        if (!drop)
                return error_fail(c->err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < c->n_entries; i++)
                drop[i] = c->entries[i].type == ENTRY_SYMLINK && !symlink_inside(c, &c->entries[i]);
        for (size_t i = 0; i < c->n_entries; i++) {
                if (drop[i]) {
                        free(c->entries[i].path);
                        free(c->entries[i].data);
                        continue;
                }
                c->entries[j++] = c->entries[i];
        }
        c->n_entries = j;
        return 0;
}

static char *cpuinfo_model(const char *cpuinfo)
{
        /* x86 "model name", 32-bit ARM "Hardware", MIPS "cpu model", POWER "cpu". */
        static const char *const keys[] = {"model name", "Hardware", "cpu model", "cpu"};

        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                for (const char *l = cpuinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                        const char *v = startswith(l, keys[k]);
                        if (!v)
                                continue;
                        v += strspn(v, " \t");
                        if (*v != ':')
                                continue;
                        v++;
                        v += strspn(v, " \t");
                        size_t n = strcspn(v, "\n");
                        if (n == 0)
                                continue;
                        return strndup(v, n);
                }
        return NULL;
}

/* The MACHINE file: a fixture or capture keeps its own; otherwise where and when. */
static int capture_machine(Capture *c)
{
        _cleanup_(freep) char *data = NULL, *hostname = NULL, *cpuinfo = NULL, *model = NULL;
        size_t size;
        char date[64] = "";
        int r;

        if (!host_is_live(c->host) && read_regular(c->host, "/MACHINE", &data, &size) >= 0)
                return capture_add(c, "MACHINE", ENTRY_FILE, TAKE_PTR(data), size, false);

        r = host_read_line(c->host, "/proc/sys/kernel/hostname", &hostname);
        if (r == -ENOMEM)
                return error_fail(c->err, r, "out of memory");
        r = host_read_file(c->host, "/proc/cpuinfo", HOST_READ_MAX, &cpuinfo);
        if (r == -ENOMEM)
                return error_fail(c->err, r, "out of memory");
        if (r >= 0)
                model = cpuinfo_model(cpuinfo);

        if (!getenv("SOURCE_DATE_EPOCH")) {
                time_t now = time(NULL);
                struct tm tm;
                if (gmtime_r(&now, &tm))
                        strftime(date, sizeof(date), ", %Y-%m-%d %H:%M:%S UTC", &tm);
        }
        data = strdup_printf("capture of %s (%s)%s\n",
                             hostname && *hostname ? hostname : "an unknown host",
                             model ? model : "unknown CPU", date);
        if (!data)
                return error_fail(c->err, -ENOMEM, "out of memory");
        size = strlen(data);
        return capture_add(c, "MACHINE", ENTRY_FILE, TAKE_PTR(data), size, false);
}

static bool capture_has(const Capture *c, const char *path)
{
        for (size_t i = 0; i < c->n_entries; i++)
                if (streq(c->entries[i].path, path))
                        return true;
        return false;
}

/* Synthesizes /proc/hwloc-nofile-info unless the host tree has one (a capture or fixture). */
static int capture_hwloc_info(Capture *c)
{
        static const struct {
                const char *key, *path;
        } fields[] = {
            {"OSName", "/proc/sys/kernel/ostype"},     {"OSRelease", "/proc/sys/kernel/osrelease"},
            {"OSVersion", "/proc/sys/kernel/version"}, {"HostName", "/proc/sys/kernel/hostname"},
            {"Architecture", "/proc/sys/kernel/arch"},
        };
        _cleanup_(sbuf_done) SBuf b = {0};
        bool have_arch = false;

        if (capture_has(c, "proc/hwloc-nofile-info"))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                _cleanup_(freep) char *v = NULL;
                int r = host_read_line(c->host, fields[i].path, &v);
                if (r == -ENOMEM)
                        return error_fail(c->err, r, "out of memory");
                if (r < 0 && streq(fields[i].key, "Architecture") && host_is_live(c->host)) {
                        /* /proc/sys/kernel/arch is new in Linux 6.1. */
                        struct utsname u;
                        if (uname(&u) >= 0 && (v = strdup(u.machine)))
                                r = 0;
                }
                if (r < 0 || !*v || strchr(v, '\n'))
                        continue;
                sbuf_appendf(&b, "%s: %s\n", fields[i].key, v);
                if (streq(fields[i].key, "Architecture"))
                        have_arch = true;
        }
        if (!have_arch)
                return 0; /* hwloc gains nothing from the file without the architecture */
        size_t len = b.len;
        char *data = sbuf_steal(&b);
        if (!data)
                return error_fail(c->err, -ENOMEM, "out of memory");
        return capture_add(c, "proc/hwloc-nofile-info", ENTRY_FILE, data, len, false);
}

static void archive_write_freep(struct archive **a)
{
        if (*a)
                (void) archive_write_free(*a);
}

static void archive_entry_freep(struct archive_entry **e)
{
        if (*e)
                archive_entry_free(*e);
}

static int archive_failure(struct archive *a, const char *tarball, Error *err)
{
        int e = archive_errno(a);
        const char *msg = archive_error_string(a);
        return error_fail(err, e > 0 ? -e : -EIO, "cannot write %s: %s", tarball,
                          msg ? msg : "libarchive error");
}

static int capture_write(Capture *c, int fd, const char *tarball)
{
        _cleanup_(archive_write_freep) struct archive *a = NULL;
        _cleanup_(archive_entry_freep) struct archive_entry *e = NULL;

        a = archive_write_new();
        e = archive_entry_new();
        if (!a || !e)
                return error_fail(c->err, -ENOMEM, "out of memory");
        /* ustar, with pax headers only where ustar cannot say it; no gzip timestamp. */
        if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
            archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK ||
            archive_write_open_fd(a, fd) != ARCHIVE_OK)
                return archive_failure(a, tarball, c->err);

        for (size_t i = 0; i < c->n_entries; i++) {
                const CaptureEntry *ce = &c->entries[i];

                archive_entry_clear(e);
                archive_entry_set_pathname(e, ce->path);
                archive_entry_set_uid(e, 0);
                archive_entry_set_gid(e, 0);
                archive_entry_set_mtime(e, 0, 0);
                switch (ce->type) {
                case ENTRY_DIR:
                        archive_entry_set_filetype(e, AE_IFDIR);
                        archive_entry_set_perm(e, 0755);
                        archive_entry_set_size(e, 0);
                        break;
                case ENTRY_FILE:
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_perm(e, 0644);
                        archive_entry_set_size(e, (la_int64_t) ce->size);
                        break;
                case ENTRY_SYMLINK:
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_perm(e, 0777);
                        archive_entry_set_size(e, 0);
                        archive_entry_set_symlink(e, ce->data);
                        break;
                }
                if (archive_write_header(a, e) < ARCHIVE_WARN)
                        return archive_failure(a, tarball, c->err);
                if (ce->type == ENTRY_FILE && ce->size > 0 &&
                    archive_write_data(a, ce->data, ce->size) != (la_ssize_t) ce->size)
                        return archive_failure(a, tarball, c->err);
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                return archive_failure(a, tarball, c->err);
        return 0;
}

/* Creates "DIR/.NAME.XXXXXXXX" next to the tarball, mode 0644 minus the umask. */
static int open_temp_next_to(const char *tarball, char **ret_path, Error *err)
{
        _cleanup_(freep) char *d = strdup(tarball), *b = strdup(tarball);

        if (!d || !b)
                return error_fail(err, -ENOMEM, "out of memory");
        const char *dir = dirname(d), *base = basename(b);

        for (unsigned attempt = 0; attempt < 64; attempt++) {
                uint32_t rnd;
                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = (uint32_t) getpid() * 2654435761U + attempt;
                _cleanup_(freep) char *p = strdup_printf("%s/.%s.%08x", dir, base, rnd);
                if (!p)
                        return error_fail(err, -ENOMEM, "out of memory");
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd >= 0) {
                        *ret_path = TAKE_PTR(p);
                        return fd;
                }
                if (errno != EEXIST)
                        return error_fail(err, -errno,
                                          "cannot write %s: %s; give a path in a writable "
                                          "directory",
                                          tarball, strerror(errno));
        }
        return error_fail(err, -EEXIST, "cannot write %s: cannot create a temporary file in %s",
                          tarball, dir);
}

int host_capture(Host *h, const char *tarball, unsigned *ret_n_files, Error *err)
{
        Capture c = {.host = h, .err = err};
        _cleanup_(freep) char *tmp = NULL;
        char path[PATH_MAX];
        unsigned n_files = 0;
        int fd = -1, r;

        if (!tarball || !*tarball)
                return error_input(err, "no tarball to write to; give a file name");

        for (size_t i = 0; i < ELEMENTSOF(capture_table); i++) {
                path[0] = 0;
                r = capture_expand(&c, &capture_table[i], path, 0, capture_table[i].pattern + 1, 0);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < c.n_entries; i++)
                if (c.entries[i].from_host)
                        n_files++;
        if (n_files == 0) {
                r = error_input(err,
                                "nothing to capture under %s: none of the /proc and /sys files "
                                "vmslice reads is there; give the root of a Linux host",
                                host_root(h));
                goto fail;
        }
        r = capture_machine(&c);
        if (r < 0)
                goto fail;
        r = capture_hwloc_info(&c);
        if (r < 0)
                goto fail;
        capture_sort_unique(&c);
        r = capture_add_parents(&c);
        if (r < 0)
                goto fail;
        capture_sort_unique(&c);
        r = capture_drop_dangling_links(&c);
        if (r < 0)
                goto fail;
        /* A file dropped in favour of a directory of the same path is not in the tarball. */
        n_files = 0;
        for (size_t i = 0; i < c.n_entries; i++)
                if (c.entries[i].from_host && c.entries[i].type == ENTRY_FILE)
                        n_files++;

        fd = open_temp_next_to(tarball, &tmp, err);
        if (fd < 0) {
                r = fd;
                goto fail;
        }
        r = capture_write(&c, fd, tarball);
        if (r >= 0 && fsync(fd) < 0)
                r = error_fail(err, -errno, "cannot write %s: %s", tarball, strerror(errno));
        if (close(fd) < 0 && r >= 0)
                r = error_fail(err, -errno, "cannot write %s: %s", tarball, strerror(errno));
        if (r >= 0 && rename(tmp, tarball) < 0)
                r = error_fail(err, -errno, "cannot write %s: %s", tarball, strerror(errno));
        if (r < 0) {
                (void) unlink(tmp);
                goto fail;
        }

        capture_done(&c);
        if (ret_n_files)
                *ret_n_files = n_files;
        return 0;

fail:
        capture_done(&c);
        return r;
}
