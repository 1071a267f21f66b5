/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host_capture() and archive_unpack_tmp(): round trip, reproducibility, corrupt and malicious
 * tarballs. Everything happens under a private directory; $TMPDIR points into it so that the
 * tests can see whether an unpack left anything behind. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "archive-util.h"
#include "capture.h"
#include "host.h"
#include "string-util.h"

static char base[64];         /* private directory of this test run */
static char tmpdir[PATH_MAX]; /* $TMPDIR, inside base */

static char *pathf(const char *fmt, ...) _printf_(1, 2);
static char *pathf(const char *fmt, ...)
{
        char *s;
        va_list ap;
        va_start(ap, fmt);
        assert_true(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        return s;
}

static void mkdir_p(const char *path)
{
        char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        (void) mkdir(buf, 0755);
                        *p = '/';
                }
        (void) mkdir(buf, 0755);
}

static void mkdir_parent(const char *path)
{
        char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s", path);
        char *s = strrchr(buf, '/');
        assert_non_null(s);
        *s = 0;
        mkdir_p(buf);
}

static void put_file(const char *root, const char *rel, const char *content)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        mkdir_parent(p);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        assert_int_equal(fputs(content, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void put_symlink(const char *root, const char *rel, const char *target)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        mkdir_parent(p);
        assert_int_equal(symlink(target, p), 0);
}

static void put_dir(const char *root, const char *rel)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        mkdir_p(p);
}

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        assert_non_null(m);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

static bool exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

static unsigned count_dir(const char *dir)
{
        DIR *d = opendir(dir);
        unsigned n = 0;
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static bool files_equal(const char *a, const char *b)
{
        _cleanup_(freep) char *x = read_all(a), *y = read_all(b);
        return x && y && streq(x, y);
}

static void assert_file_content(const char *root, const char *rel, const char *content)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        _cleanup_(freep) char *s = read_all(p);
        if (!s)
                fail_msg("%s is missing", rel);
        assert_string_equal(s, content);
}

static void assert_absent(const char *root, const char *rel)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        if (exists(p))
                fail_msg("%s should not be there", rel);
}

static void assert_link(const char *root, const char *rel, const char *target)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        if (n < 0)
                fail_msg("%s is not a symlink", rel);
        buf[n] = 0;
        assert_string_equal(buf, target);
}

static void assert_real_dir(const char *root, const char *rel)
{
        _cleanup_(freep) char *p = pathf("%s/%s", root, rel);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

/* Files the capture must hold, with the content the fixture has at that path. */
static const struct {
        const char *path, *content;
} captured[] = {
    {"proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU 9000\n"
                     "\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n"
                     "model name\t: Test CPU 9000\n"},
    {"proc/meminfo", "MemTotal:       16384000 kB\n"},
    {"proc/irq/24/smp_affinity", "3\n"},
    {"sys/devices/system/cpu/online", "0-1\n"},
    {"sys/devices/system/cpu/cpu0/topology/core_id", "0\n"},
    {"sys/devices/system/cpu/cpu1/topology/core_id", "1\n"},
    {"sys/devices/system/cpu/cpu1/online", "1\n"},
    {"sys/devices/system/cpu/cpu0/cache/index0/size", "32K\n"},
    {"sys/devices/system/cpu/cpu0/cache/index0/level", "1\n"},
    {"sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n"},
    {"sys/devices/system/node/node0/cpulist", "0-1\n"},
    {"sys/bus/pci/devices/0000:01:00.0/class", "0x030000\n"},
    {"sys/bus/pci/devices/0000:01:00.0/vendor", "0x10de\n"},
    {"sys/bus/pci/devices/0000:01:00.0/numa_node", "-1\n"},
    {"sys/fs/cgroup/cgroup.controllers", "cpuset cpu\n"},
    {"sys/fs/cgroup/machine.slice/cpuset.cpus", "1\n"},
    {"sys/fs/cgroup/machine.slice/cpuset.cpus.partition", "\n"}, /* empty-ish file */
};

/* Present in the fixture, not to be captured. */
static const char *const not_captured[] = {
    "proc/irq/24/spurious",
    "proc/sys/vm/drop_caches",
    "proc/sys/kernel/hostname",
    "sys/devices/system/cpu/cpu0/uevent",
    "sys/devices/system/cpu/nohz_full",   /* a FIFO: must be skipped, not block */
    "sys/devices/system/cpu/offline",     /* a directory where a file is expected */
    "sys/devices/system/cpu/present",     /* absolute symlink out of the tree */
    "sys/devices/system/node/node0/cpu7", /* link to a CPU that is not captured */
    "sys/bus/pci/drivers/vfio-pci/bind",
    "sys/fs/cgroup/machine.slice/cgroup.procs",
    "sys/fs/cgroup/machine.slice/sub",
    "sys/devices/pci0000:00",
    "sys/devices/system/cpu/cpufreq",
};

static void build_fixture(const char *root)
{
        for (size_t i = 0; i < ELEMENTSOF(captured); i++)
                if (!startswith(captured[i].path, "sys/devices/system/cpu/cpu0/cpufreq/") &&
                    !startswith(captured[i].path, "sys/bus/pci/devices/"))
                        put_file(root, captured[i].path, captured[i].content);

        put_file(root, "proc/irq/24/spurious", "count 0\n");
        put_file(root, "proc/sys/vm/drop_caches", "0\n");
        put_file(root, "proc/sys/kernel/hostname", "testhost\n");
        put_file(root, "proc/sys/kernel/ostype", "Linux\n");
        put_file(root, "proc/sys/kernel/osrelease", "6.1.0-test\n");
        put_file(root, "proc/sys/kernel/version", "#1 SMP\n");
        put_file(root, "proc/sys/kernel/arch", "x86_64\n");
        put_file(root, "sys/devices/system/cpu/cpu0/uevent", "DRIVER=processor\n");

        /* cpufreq is reached through a symlink, as on the kernel */
        put_file(root, "sys/devices/system/cpu/cpufreq/policy0/scaling_governor", "performance\n");
        put_symlink(root, "sys/devices/system/cpu/cpu0/cpufreq", "../cpufreq/policy0");

        /* oddities that must be skipped */
        _cleanup_(freep) char *fifo = pathf("%s/sys/devices/system/cpu/nohz_full", root);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        put_dir(root, "sys/devices/system/cpu/offline");
        put_symlink(root, "sys/devices/system/cpu/present", "/etc/hostname");

        /* node links: kept when they resolve inside the capture */
        put_symlink(root, "sys/devices/system/node/node0/cpu0", "../../cpu/cpu0");
        put_symlink(root, "sys/devices/system/node/node0/cpu1", "../../cpu/cpu1");
        put_symlink(root, "sys/devices/system/node/node0/cpu7", "../../cpu/cpu7");

        /* a PCI device as the kernel lays it out */
        const char *dev = "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0";
        _cleanup_(freep) char *cls = pathf("%s/class", dev), *ven = pathf("%s/vendor", dev),
                              *nn = pathf("%s/numa_node", dev), *drv = pathf("%s/driver", dev);
        put_file(root, cls, "0x030000\n");
        put_file(root, ven, "0x10de\n");
        put_file(root, nn, "-1\n");
        put_symlink(root, drv, "../../../../bus/pci/drivers/vfio-pci");
        put_file(root, "sys/bus/pci/drivers/vfio-pci/bind", "");
        put_symlink(root, "sys/bus/pci/devices/0000:01:00.0",
                    "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0");

        put_file(root, "sys/fs/cgroup/machine.slice/cgroup.procs", "1234\n");
        put_file(root, "sys/fs/cgroup/machine.slice/sub/cpuset.cpus", "1\n");
}

static int setup(void **state)
{
        snprintf(base, sizeof(base), "/tmp/test-archive-XXXXXX");
        if (!mkdtemp(base))
                return -1;
        snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", base);
        if (mkdir(tmpdir, 0700) < 0)
                return -1;
        setenv("TMPDIR", tmpdir, 1);
        setenv("SOURCE_DATE_EPOCH", "0", 1);
        return 0;
}

static int teardown(void **state)
{
        return archive_remove_tree(base) < 0 ? -1 : 0;
}

static void capture_dir(const char *root, const char *tarball, unsigned *ret_n)
{
        _cleanup_(host_freep) Host *h = NULL;
        Error err = {0};

        if (host_new(root, &h, &err) < 0)
                fail_msg("host_new: %s", err.msg);
        if (host_capture(h, tarball, ret_n, &err) < 0)
                fail_msg("host_capture: %s", err.msg);
}

static void test_round_trip(void **state)
{
        _cleanup_(freep) char *root = pathf("%s/fixture", base);
        _cleanup_(freep) char *tarball = pathf("%s/capture.tar.gz", base);
        _cleanup_(freep) char *dir = NULL;
        Error err = {0};
        unsigned n = 0;

        build_fixture(root);
        capture_dir(root, tarball, &n);
        assert_int_equal(n, ELEMENTSOF(captured));
        /* the temporary file was renamed into place */
        assert_int_equal(count_dir(base), 3); /* tmp, fixture, capture.tar.gz */

        assert_int_equal(archive_unpack_tmp(tarball, &dir, &err), 0);
        assert_non_null(startswith(dir, tmpdir));

        for (size_t i = 0; i < ELEMENTSOF(captured); i++)
                assert_file_content(dir, captured[i].path, captured[i].content);
        for (size_t i = 0; i < ELEMENTSOF(not_captured); i++)
                assert_absent(dir, not_captured[i]);
        /* the fixture's FIFO did not block and the absolute link did not leak /etc/hostname */
        assert_absent(dir, "etc");

        /* directories reached through links are real directories */
        assert_real_dir(dir, "sys/devices/system/cpu/cpu0/cpufreq");
        assert_real_dir(dir, "sys/bus/pci/devices/0000:01:00.0");
        /* links that matter stay links, resolving inside the tree */
        assert_link(dir, "sys/devices/system/node/node0/cpu0", "../../cpu/cpu0");
        assert_link(dir, "sys/devices/system/node/node0/cpu1", "../../cpu/cpu1");
        assert_link(dir, "sys/bus/pci/devices/0000:01:00.0/driver", "../../drivers/vfio-pci");
        assert_real_dir(dir, "sys/bus/pci/drivers/vfio-pci");
        assert_int_equal(count_dir(dir), 3); /* MACHINE, proc, sys */
        _cleanup_(freep) char *drv = pathf("%s/sys/bus/pci/drivers/vfio-pci", dir);
        assert_int_equal(count_dir(drv), 0);

        assert_file_content(dir, "MACHINE", "capture of testhost (Test CPU 9000)\n");
        assert_file_content(dir, "proc/hwloc-nofile-info",
                            "OSName: Linux\nOSRelease: 6.1.0-test\nOSVersion: #1 SMP\n"
                            "HostName: testhost\nArchitecture: x86_64\n");

        /* the tarball works as a root, links included */
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(freep) char *link = NULL, *gov = NULL;
        assert_int_equal(host_new(tarball, &h, &err), 0);
        assert_int_equal(host_readlink(h, "/sys/bus/pci/devices/0000:01:00.0/driver", &link), 0);
        assert_string_equal(link, "../../drivers/vfio-pci");
        assert_true(host_exists(h, "/sys/bus/pci/devices/0000:01:00.0/driver"));
        assert_true(host_exists(h, "/sys/devices/system/node/node0/cpu1/online"));
        assert_int_equal(
            host_read_line(h, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", &gov), 0);
        assert_string_equal(gov, "performance");
        h = host_free(h);

        assert_int_equal(archive_remove_tree(dir), 0);
        assert_false(exists(dir));
        assert_int_equal(count_dir(tmpdir), 0);
}

static void test_reproducible(void **state)
{
        _cleanup_(freep) char *root = pathf("%s/fixture", base);
        _cleanup_(freep) char *t1 = pathf("%s/capture.tar.gz", base);
        _cleanup_(freep) char *t2 = pathf("%s/again.tar.gz", base);
        _cleanup_(freep) char *t3 = pathf("%s/recapture.tar.gz", base);
        _cleanup_(freep) char *dir = NULL;
        Error err = {0};

        /* the fixture from test_round_trip */
        assert_true(exists(root));
        capture_dir(root, t2, NULL);
        assert_true(files_equal(t1, t2));
        /* overwriting an existing tarball works, and gives the same bytes */
        capture_dir(root, t2, NULL);
        assert_true(files_equal(t1, t2));

        /* a capture of the unpacked capture is the same capture */
        assert_int_equal(archive_unpack_tmp(t1, &dir, &err), 0);
        capture_dir(dir, t3, NULL);
        assert_true(files_equal(t1, t3));
        assert_int_equal(archive_remove_tree(dir), 0);

        /* ... and so is capturing the tarball itself */
        capture_dir(t1, t3, NULL);
        assert_true(files_equal(t1, t3));
        assert_int_equal(count_dir(tmpdir), 0);
}

static void write_bytes(const char *path, const void *data, size_t size)
{
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
}

static void assert_unpack_refused(const char *tarball, const char *why)
{
        _cleanup_(freep) char *dir = NULL;
        Error err = {0};
        int r = archive_unpack_tmp(tarball, &dir, &err);
        if (r >= 0)
                fail_msg("%s: unpacked into %s", why, dir);
        assert_null(dir);
        assert_true(err.input);
        assert_non_null(startswith(err.msg, "cannot unpack "));
        assert_non_null(strstr(err.msg, "; give a tarball made by 'vmslice capture'"));
        assert_null(strchr(err.msg, '\n'));
        if (count_dir(tmpdir) != 0)
                fail_msg("%s: the partial directory was left in %s", why, tmpdir);
}

static void test_corrupt(void **state)
{
        _cleanup_(freep) char *t1 = pathf("%s/capture.tar.gz", base);
        _cleanup_(freep) char *bad = pathf("%s/bad.tar.gz", base);
        _cleanup_(freep) char *data = NULL;
        struct stat st;

        write_bytes(bad, "this is not a tarball\n", 22);
        assert_unpack_refused(bad, "garbage");

        /* a truncated capture: unpacking starts, then fails half way */
        assert_int_equal(stat(t1, &st), 0);
        assert_true(st.st_size > 1024);
        FILE *f = fopen(t1, "re");
        assert_non_null(f);
        data = malloc((size_t) st.st_size);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t) st.st_size, f), (size_t) st.st_size);
        fclose(f);
        write_bytes(bad, data, (size_t) st.st_size / 2);
        assert_unpack_refused(bad, "truncated");

        /* flipped bytes in the middle of the deflate stream */
        for (off_t i = st.st_size / 3; i < st.st_size / 3 + 64; i++)
                data[i] ^= 0x5a;
        write_bytes(bad, data, (size_t) st.st_size);
        assert_unpack_refused(bad, "corrupt");

        _cleanup_(freep) char *missing = pathf("%s/missing.tar.gz", base);
        _cleanup_(freep) char *dir = NULL;
        Error err = {0};
        assert_true(archive_unpack_tmp(missing, &dir, &err) < 0);
        assert_non_null(strstr(err.msg, "missing.tar.gz"));
        assert_int_equal(count_dir(tmpdir), 0);
        unlink(bad);
}

typedef struct TarEntry {
        const char *name;
        char type;        /* f file, d dir, l symlink, h hard link, c char device, p FIFO */
        const char *data; /* content, or link target */
} TarEntry;

static void write_tar(const char *path, const TarEntry *entries, size_t n)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                archive_entry_clear(e);
                archive_entry_set_pathname(e, entries[i].name);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, 0);
                switch (entries[i].type) {
                case 'f':
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_size(e, (la_int64_t) strlen(entries[i].data));
                        break;
                case 'd':
                        archive_entry_set_filetype(e, AE_IFDIR);
                        break;
                case 'l':
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, entries[i].data);
                        break;
                case 'h':
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, entries[i].data);
                        break;
                case 'c':
                        archive_entry_set_filetype(e, AE_IFCHR);
                        archive_entry_set_rdevmajor(e, 1);
                        archive_entry_set_rdevminor(e, 3);
                        break;
                case 'p':
                        archive_entry_set_filetype(e, AE_IFIFO);
                        break;
                }
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (entries[i].type == 'f')
                        assert_int_equal(
                            archive_write_data(a, entries[i].data, strlen(entries[i].data)),
                            (la_ssize_t) strlen(entries[i].data));
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_entry_free(e);
        archive_write_free(a);
}

static void test_malicious(void **state)
{
        _cleanup_(freep) char *bad = pathf("%s/evil.tar.gz", base);
        _cleanup_(freep) char *abs_target = pathf("%s/abs-evil", base);
        _cleanup_(freep) char *abs_dir = pathf("%s/outside", base);
        const char *outside[] = {"evil", "evil2", "evil3", "evil4", "evil5"};

        mkdir_p(abs_dir);

        const TarEntry dotdot[] = {{"ok", 'f', "fine\n"}, {"../evil", 'f', "evil\n"}};
        write_tar(bad, dotdot, ELEMENTSOF(dotdot));
        assert_unpack_refused(bad, "../evil");

        const TarEntry dotdot_deep[] = {{"a/b/../../../evil", 'f', "evil\n"}};
        write_tar(bad, dotdot_deep, ELEMENTSOF(dotdot_deep));
        assert_unpack_refused(bad, "a/b/../../../evil");

        const TarEntry absolute[] = {{abs_target, 'f', "evil\n"}};
        write_tar(bad, absolute, ELEMENTSOF(absolute));
        assert_unpack_refused(bad, "absolute path");
        assert_false(exists(abs_target));

        /* a symlink out of the tree, then a file written through it */
        const TarEntry escape[] = {{"esc", 'l', "../.."}, {"esc/evil2", 'f', "evil\n"}};
        write_tar(bad, escape, ELEMENTSOF(escape));
        assert_unpack_refused(bad, "symlink ../..");

        const TarEntry escape_abs[] = {{"esc", 'l', abs_dir}, {"esc/evil3", 'f', "evil\n"}};
        write_tar(bad, escape_abs, ELEMENTSOF(escape_abs));
        assert_unpack_refused(bad, "absolute symlink");
        assert_int_equal(count_dir(abs_dir), 0);

        /* each link stays inside on its own, but the chain leaves: "q" -> "a/up/.." = ".." */
        const TarEntry chain[] = {
            {"a/up", 'l', ".."}, {"q", 'l', "a/up/.."}, {"q/evil4", 'f', "evil\n"}};
        write_tar(bad, chain, ELEMENTSOF(chain));
        assert_unpack_refused(bad, "symlink chain");

        /* even an inside link is never written through */
        const TarEntry through[] = {{"d", 'd', NULL}, {"l", 'l', "d"}, {"l/evil5", 'f', "x\n"}};
        write_tar(bad, through, ELEMENTSOF(through));
        assert_unpack_refused(bad, "file through a symlink");

        const TarEntry hard_abs[] = {{"h", 'h', "/etc/passwd"}};
        write_tar(bad, hard_abs, ELEMENTSOF(hard_abs));
        assert_unpack_refused(bad, "absolute hard link");

        const TarEntry hard_up[] = {{"h", 'h', "../../../../etc/passwd"}};
        write_tar(bad, hard_up, ELEMENTSOF(hard_up));
        assert_unpack_refused(bad, "hard link with ..");

        /* a hard link to a symlink would move "../../x" from depth 3 to depth 1 */
        const TarEntry hard_sym[] = {
            {"a/b/x", 'f', "x\n"}, {"a/b/l", 'l', "../../evil"}, {"h", 'h', "a/b/l"}};
        write_tar(bad, hard_sym, ELEMENTSOF(hard_sym));
        assert_unpack_refused(bad, "hard link to a symlink");

        const TarEntry chr[] = {{"null", 'c', NULL}};
        write_tar(bad, chr, ELEMENTSOF(chr));
        assert_unpack_refused(bad, "character device");

        const TarEntry fifo[] = {{"fifo", 'p', NULL}};
        write_tar(bad, fifo, ELEMENTSOF(fifo));
        assert_unpack_refused(bad, "FIFO");

        for (size_t i = 0; i < ELEMENTSOF(outside); i++) {
                _cleanup_(freep) char *p1 = pathf("%s/%s", base, outside[i]);
                _cleanup_(freep) char *p2 = pathf("%s/%s", tmpdir, outside[i]);
                _cleanup_(freep) char *p3 = pathf("%s/%s", abs_dir, outside[i]);
                assert_false(exists(p1));
                assert_false(exists(p2));
                assert_false(exists(p3));
        }

        /* what captures and fixtures legitimately hold is accepted */
        const TarEntry good[] = {
            {"./", 'd', NULL},
            {"./a/b/f", 'f', "content\n"},
            {"a/b/l", 'l', "../../c/target"},
            {"a/b/same", 'l', "./f"},
            {"c/target", 'f', "t\n"},
            {"h", 'h', "a/b/f"},
        };
        write_tar(bad, good, ELEMENTSOF(good));
        Error err = {0};
        _cleanup_(freep) char *dir = NULL;
        if (archive_unpack_tmp(bad, &dir, &err) < 0)
                fail_msg("good tarball refused: %s", err.msg);
        assert_file_content(dir, "a/b/f", "content\n");
        assert_file_content(dir, "a/b/l", "t\n");
        assert_file_content(dir, "a/b/same", "content\n");
        assert_file_content(dir, "h", "content\n");
        assert_link(dir, "a/b/l", "../../c/target");
        assert_int_equal(archive_remove_tree(dir), 0);
        assert_int_equal(count_dir(tmpdir), 0);
        unlink(bad);
}

/* A ustar header announcing an 8 GiB file: refused before any data is written. */
static void test_too_large(void **state)
{
        _cleanup_(freep) char *bad = pathf("%s/big.tar", base);
        unsigned char h[1024] = {0};
        unsigned sum = 0;

        memcpy(h, "big", 3);
        memcpy(h + 100, "0000644", 7);
        memcpy(h + 108, "0000000", 7);
        memcpy(h + 116, "0000000", 7);
        memcpy(h + 124, "77777777777", 11);
        memcpy(h + 136, "00000000000", 11);
        memset(h + 148, ' ', 8);
        h[156] = '0';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        for (size_t i = 0; i < 512; i++)
                sum += h[i];
        snprintf((char *) h + 148, 8, "%06o", sum);
        write_bytes(bad, h, sizeof(h));

        assert_unpack_refused(bad, "8 GiB entry");
        unlink(bad);
}

static void test_remove_tree_no_follow(void **state)
{
        _cleanup_(freep) char *tree = pathf("%s/tree", base);
        _cleanup_(freep) char *keep = pathf("%s/keep", base);
        _cleanup_(freep) char *keep_file = pathf("%s/keep/file", base);

        put_file(base, "keep/file", "precious\n");
        put_file(tree, "a/b/c", "x\n");
        put_symlink(tree, "a/to-dir", keep);
        put_symlink(tree, "a/b/to-file", keep_file);
        put_symlink(tree, "dangling", "/nonexistent");
        _cleanup_(freep) char *locked = pathf("%s/locked", tree);
        put_file(tree, "locked/inner", "y\n");
        assert_int_equal(chmod(locked, 0), 0);

        assert_int_equal(archive_remove_tree(tree), 0);
        assert_false(exists(tree));
        assert_file_content(base, "keep/file", "precious\n");
        assert_true(archive_remove_tree(tree) < 0);
}

static void test_capture_failures(void **state)
{
        _cleanup_(freep) char *root = pathf("%s/fixture", base);
        _cleanup_(freep) char *empty = pathf("%s/empty", base);
        _cleanup_(freep) char *outdir = pathf("%s/out", base);
        _cleanup_(freep) char *nodir = pathf("%s/no/such/dir/x.tar.gz", base);
        _cleanup_(freep) char *target = pathf("%s/out/x.tar.gz", base);
        _cleanup_(host_freep) Host *h = NULL;
        Error err = {0};

        mkdir_p(empty);
        mkdir_p(outdir);

        assert_int_equal(host_new(root, &h, &err), 0);
        assert_true(host_capture(h, nodir, NULL, &err) < 0);
        assert_non_null(startswith(err.msg, "cannot write "));
        assert_false(exists(nodir));
        h = host_free(h);

        /* a root without any of the files: an input error, and nothing written */
        err = (Error){0};
        assert_int_equal(host_new(empty, &h, &err), 0);
        assert_true(host_capture(h, target, NULL, &err) < 0);
        assert_true(err.input);
        assert_non_null(strstr(err.msg, "nothing to capture"));
        assert_int_equal(count_dir(outdir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_reproducible),
            cmocka_unit_test(test_corrupt),          cmocka_unit_test(test_malicious),
            cmocka_unit_test(test_too_large),        cmocka_unit_test(test_remove_tree_no_follow),
            cmocka_unit_test(test_capture_failures),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
