/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "archive-util.h"
#include "cpuset-util.h"
#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"

struct Host {
        char *root;   /* directory, "/" when live */
        int root_fd;  /* O_PATH fd of root */
        char *tmpdir; /* set when root was unpacked from a tarball; removed on free */
        bool live;
        Systemd *systemd;
        bool systemd_tried;
};

static int path_is_slash(const char *p)
{
        while (*p == '/')
                p++;
        return *p == 0;
}

int host_new(const char *root, Host **ret, Error *err)
{
        _cleanup_(host_freep) Host *h = NULL;
        struct stat st;
        int r;

        h = calloc(1, sizeof(*h));
        if (!h)
                return error_fail(err, -ENOMEM, "out of memory");
        h->root_fd = -1;
        if (!root || path_is_slash(root)) {
                h->live = true;
                root = "/";
        }

        if (stat(root, &st) < 0)
                return error_input(err,
                                   "cannot use root %s: %s; give a directory or a capture tarball",
                                   root, strerror(errno));
        if (S_ISREG(st.st_mode)) {
                r = archive_unpack_tmp(root, &h->tmpdir, err);
                if (r < 0)
                        return r;
                h->root = strdup(h->tmpdir);
        } else if (S_ISDIR(st.st_mode))
                h->root = realpath(root, NULL);
        else
                return error_input(err, "cannot use root %s: not a directory or a tarball", root);
        if (!h->root)
                return error_fail(err, -ENOMEM, "out of memory");

        h->root_fd = open(h->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (h->root_fd < 0)
                return error_fail(err, -errno, "cannot open root %s: %s", h->root, strerror(errno));
        *ret = TAKE_PTR(h);
        return 0;
}

Host *host_free(Host *h)
{
        if (!h)
                return NULL;
        if (h->root_fd >= 0)
                close(h->root_fd);
        if (h->tmpdir)
                (void) archive_remove_tree(h->tmpdir);
        free(h->tmpdir);
        free(h->root);
        systemd_free(h->systemd);
        free(h);
        return NULL;
}

void host_set_systemd(Host *h, Systemd *s)
{
        systemd_free(h->systemd);
        h->systemd = s;
        h->systemd_tried = true;
}

int host_systemd(Host *h, Systemd **ret, Error *err)
{
        *ret = NULL;
        if (h->systemd) {
                *ret = h->systemd;
                return 0;
        }
        if (!host_exists(h, "/run/systemd/system"))
                return 0; /* systemd is not PID 1 here */
        if (h->systemd_tried)
                return error_fail(err, -ENOTCONN, "systemd's bus is not reachable");
        h->systemd_tried = true;
        const char *address = getenv("VMSLICE_SYSTEMD_BUS");
        if (!h->live && !address)
                return error_fail(err, -ENOTCONN,
                                  "no systemd bus for the root %s (tests set VMSLICE_SYSTEMD_BUS)",
                                  h->root);
        int r = systemd_connect(address, &h->systemd, err);
        if (r < 0)
                return r;
        *ret = h->systemd;
        return 0;
}

const char *host_root(const Host *h)
{
        return h->root;
}

bool host_is_live(const Host *h)
{
        return h->live;
}

int host_open(Host *h, const char *path, int flags, int mode)
{
        int fd;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (h->live) {
                fd = open(path, flags | O_CLOEXEC, mode);
                return fd < 0 ? -errno : fd;
        }
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        struct open_how how = {
            .flags = (uint64_t) (flags | O_CLOEXEC),
            .mode = (flags & O_CREAT) ? (uint64_t) mode : 0,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        fd = (int) syscall(SYS_openat2, h->root_fd, path, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                fd = openat(h->root_fd, path, flags | O_CLOEXEC, mode);
        return fd < 0 ? -errno : fd;
}

int host_read_file(Host *h, const char *path, size_t max, char **ret)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *buf = NULL;
        size_t len;

        /* never blocks on a FIFO or device planted where a file should be */
        fd = host_open(h, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        int r = fd_check_regular(fd);
        if (r < 0)
                return r;
        r = read_fd_full(fd, max, &buf, &len);
        if (r < 0)
                return r;
        if (strlen(buf) != len)
                return -EBADMSG; /* embedded NUL: not a text attribute */
        *ret = TAKE_PTR(buf);
        return 0;
}

int host_read_line(Host *h, const char *path, char **ret)
{
        char *s;
        int r = host_read_file(h, path, 1024 * 1024, &s);
        if (r < 0)
                return r;
        *ret = strstrip(s);
        return 0;
}

int host_read_u64(Host *h, const char *path, uint64_t *ret)
{
        _cleanup_(freep) char *s = NULL;
        int r = host_read_line(h, path, &s);
        if (r < 0)
                return r;
        return safe_atou64(s, ret);
}

int host_read_int(Host *h, const char *path, int *ret)
{
        _cleanup_(freep) char *s = NULL;
        int r = host_read_line(h, path, &s);
        if (r < 0)
                return r;
        return safe_atoi(s, ret);
}

int host_read_cpuset(Host *h, const char *path, hwloc_bitmap_t ret)
{
        _cleanup_(freep) char *s = NULL;
        int r = host_read_line(h, path, &s);
        if (r < 0)
                return r;
        if (streq(s, "(null)")) /* nohz_full when the feature is off */
                s[0] = 0;
        return cpuset_parse_list(s, ret);
}

int host_readlink(Host *h, const char *path, char **ret)
{
        char buf[4096];
        ssize_t n;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (h->live)
                n = readlink(path, buf, sizeof(buf) - 1);
        else {
                const char *rel = path;
                while (*rel == '/')
                        rel++;
                n = readlinkat(h->root_fd, rel, buf, sizeof(buf) - 1);
        }
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int host_list_dir(Host *h, const char *path, char ***ret)
{
        _cleanup_(strv_freep) char **l = NULL;
        int fd = host_open(h, path, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = strv_extend(&l, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

bool host_exists(Host *h, const char *path)
{
        int fd = host_open(h, path, O_PATH, 0);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

/* A fixture tree is not cgroupfs: writing a PID to a cgroup's cgroup.procs (v2) or tasks (v1)
 * moves it there, out of its parent and siblings; the list files are rewritten as the kernel
 * would show them, in ascending order (as cgroup v1 sorts them; v2's order is unspecified), so
 * that tasks moved away and back read as before. */
static bool is_task_list(const char *path)
{
        const char *base = strrchr(path, '/');
        return startswith(path, "/sys/fs/cgroup/") && base &&
               (streq(base, "/cgroup.procs") || streq(base, "/tasks"));
}

static void list_edit(Host *h, const char *path, const char *pid, bool add)
{
        _cleanup_(freep) char *text = NULL;
        if (host_read_file(h, path, HOST_READ_MAX, &text) < 0)
                return;
        SBuf b = {0};
        bool present = false, placed = !add;
        unsigned want = 0;
        (void) safe_atou(pid, &want);
        char *save = NULL;
        for (char *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
                unsigned have;
                if (streq(tok, pid)) {
                        present = placed = true;
                        if (!add)
                                continue;
                } else if (!placed && safe_atou(tok, &have) >= 0 && have > want) {
                        sbuf_appendf(&b, "%s\n", pid);
                        placed = true;
                }
                sbuf_appendf(&b, "%s\n", tok);
        }
        if (add && !present && !placed)
                sbuf_appendf(&b, "%s\n", pid);
        if (b.oom) {
                sbuf_done(&b);
                return;
        }
        _cleanup_(closep) int fd = host_open(h, path, O_WRONLY | O_TRUNC | O_NOCTTY, 0);
        if (fd >= 0 && b.len > 0)
                (void) !write(fd, b.s, b.len);
        sbuf_done(&b);
}

/* Takes pid out of the task lists (named base) of dir and of its child cgroups, except keep. */
static void drop_task(Host *h, const char *dir, const char *base, const char *pid, const char *keep)
{
        _cleanup_(freep) char *own = strdup_printf("%s/%s", dir, base);
        if (own && !streq(own, keep) && host_exists(h, own))
                list_edit(h, own, pid, false);
        _cleanup_(strv_freep) char **kids = NULL;
        if (host_list_dir(h, dir, &kids) < 0)
                return;
        for (char **k = kids; *k; k++) {
                _cleanup_(freep) char *q = strdup_printf("%s/%s/%s", dir, *k, base);
                if (q && !streq(q, keep) && host_exists(h, q))
                        list_edit(h, q, pid, false);
        }
}

static int fixture_move_task(Host *h, const char *path, const char *value)
{
        _cleanup_(freep) char *pid = strdup(value), *dir = strdup(path);
        if (!pid || !dir)
                return -ENOMEM;
        strstrip(pid);
        if (!host_exists(h, path))
                return -ENOENT;
        char *base = strrchr(dir, '/');
        *base++ = 0;
        /* out of the parent, the siblings (and this cgroup) and the children */
        char *parent_end = strrchr(dir, '/');
        _cleanup_(freep) char *parent =
            parent_end && parent_end != dir ? strndup(dir, (size_t) (parent_end - dir)) : NULL;
        if (parent)
                drop_task(h, parent, base, pid, path);
        drop_task(h, dir, base, pid, path);
        list_edit(h, path, pid, true);
        return 0;
}

int host_write_file(Host *h, const char *path, const char *value)
{
        if (!h->live && is_task_list(path))
                return fixture_move_task(h, path, value);
        _cleanup_(closep) int fd = host_open(h, path, O_WRONLY | O_TRUNC | O_NOCTTY, 0);
        if (fd < 0)
                return fd;
        size_t len = strlen(value);
        ssize_t k = write(fd, value, len);
        if (k < 0)
                return -errno;
        if ((size_t) k != len)
                return -EIO;
        return 0;
}

static int split_parent(Host *h, const char *path, int *ret_dirfd, char **ret_name)
{
        _cleanup_(freep) char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        char *slash = strrchr(copy, '/');
        if (!slash || !slash[1] || streq(slash + 1, ".") || streq(slash + 1, ".."))
                return -EINVAL;
        *slash = 0;
        int fd = host_open(h, *copy ? copy : "/", O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        *ret_name = strdup(slash + 1);
        if (!*ret_name) {
                close(fd);
                return -ENOMEM;
        }
        *ret_dirfd = fd;
        return 0;
}

/* An empty file, unless one is there. */
static void create_empty(int dirfd, const char *name)
{
        int f = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f >= 0)
                close(f);
}

int host_mkdir(Host *h, const char *path)
{
        int dfd;
        _cleanup_(freep) char *name = NULL;
        int r = split_parent(h, path, &dfd, &name);
        if (r < 0)
                return r;
        r = mkdirat(dfd, name, 0755) < 0 && errno != EEXIST ? -errno : 0;
        if (r == 0 && !h->live) {
                /* a fixture tree is not cgroupfs: give the new directory the (empty) control
                 * files its parent has, as the kernel would */
                int nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int pfd = dup(dfd);
                DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
                struct dirent *de;
                while (nfd >= 0 && d && (de = readdir(d)))
                        if (de->d_type == DT_REG)
                                create_empty(nfd, de->d_name);
                /* and a cpuset cgroup has these, even where its parent (a v2 root) does not */
                if (nfd >= 0 && startswith(path, "/sys/fs/cgroup/")) {
                        create_empty(nfd, "cpuset.cpus");
                        create_empty(nfd, "cpuset.mems");
                }
                if (d)
                        closedir(d);
                else if (pfd >= 0)
                        close(pfd);
                if (nfd >= 0)
                        close(nfd);
        }
        close(dfd);
        return r;
}

int host_rmdir(Host *h, const char *path)
{
        int dfd;
        _cleanup_(freep) char *name = NULL;
        int r = split_parent(h, path, &dfd, &name);
        if (r < 0)
                return r;
        if (!h->live) {
                int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0) {
                        DIR *d = fdopendir(fd);
                        struct dirent *de;
                        while (d && (de = readdir(d)))
                                if (de->d_type == DT_REG)
                                        (void) unlinkat(fd, de->d_name, 0);
                        if (d)
                                closedir(d);
                        else
                                close(fd);
                }
        }
        r = unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
        close(dfd);
        return r;
}

#define FORMAT_PATH(buf, fmt)                                                                      \
        do {                                                                                       \
                va_list ap;                                                                        \
                va_start(ap, fmt);                                                                 \
                int n = vsnprintf(buf, sizeof(buf), fmt, ap);                                      \
                va_end(ap);                                                                        \
                if (n < 0 || (size_t) n >= sizeof(buf))                                            \
                        return -ENAMETOOLONG;                                                      \
        } while (0)

int host_read_linef(Host *h, char **ret, const char *fmt, ...)
{
        char path[4096];
        FORMAT_PATH(path, fmt);
        return host_read_line(h, path, ret);
}

int host_read_u64f(Host *h, uint64_t *ret, const char *fmt, ...)
{
        char path[4096];
        FORMAT_PATH(path, fmt);
        return host_read_u64(h, path, ret);
}

int host_read_cpusetf(Host *h, hwloc_bitmap_t ret, const char *fmt, ...)
{
        char path[4096];
        FORMAT_PATH(path, fmt);
        return host_read_cpuset(h, path, ret);
}

int host_load_hwloc(Host *h, hwloc_topology_t *ret, Error *err)
{
        hwloc_topology_t t = NULL;
        int r;

        if (hwloc_topology_init(&t) < 0)
                return error_fail(err, -errno, "cannot initialize hwloc: %s", strerror(errno));
        /* Only the linux component, and only this root: the topology must come from the tree,
         * never from the machine vmslice happens to run on (x86 CPUID, other backends). */
        (void) setenv("HWLOC_COMPONENTS", "linux,stop", 1);
        if (!h->live)
                (void) setenv("HWLOC_FSROOT", h->root, 1);
        else
                (void) unsetenv("HWLOC_FSROOT");
        (void) hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
        (void) hwloc_topology_set_all_types_filter(t, HWLOC_TYPE_FILTER_KEEP_STRUCTURE);
        (void) hwloc_topology_set_type_filter(t, HWLOC_OBJ_L3CACHE, HWLOC_TYPE_FILTER_KEEP_ALL);
        (void) hwloc_topology_set_type_filter(t, HWLOC_OBJ_CORE, HWLOC_TYPE_FILTER_KEEP_ALL);
        (void) hwloc_topology_set_type_filter(t, HWLOC_OBJ_PACKAGE, HWLOC_TYPE_FILTER_KEEP_ALL);
        (void) hwloc_topology_set_type_filter(t, HWLOC_OBJ_DIE, HWLOC_TYPE_FILTER_KEEP_ALL);
        (void) hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_NONE);
        r = hwloc_topology_load(t);
        int saved = errno;
        (void) unsetenv("HWLOC_FSROOT");
        (void) unsetenv("HWLOC_COMPONENTS");
        if (r < 0) {
                hwloc_topology_destroy(t);
                return error_fail(err, -saved, "cannot read the CPU topology under %s: %s", h->root,
                                  strerror(saved));
        }
        *ret = t;
        return 0;
}
