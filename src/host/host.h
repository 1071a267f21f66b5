/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"
#include "systemd.h"

/* The host: every sysfs, procfs and cgroupfs access of vmslice goes through one Host, which holds
 * the root directory those paths live under. The root is "/" on a real machine, a fixture or
 * capture directory in tests, or a capture tarball, which is unpacked into a private temporary
 * directory that host_free() removes. Paths given to the functions below are absolute paths as on
 * the real machine ("/sys/devices/system/cpu/online"); symlinks in the tree resolve inside the
 * root, never outside it. */
typedef struct Host Host;

/* root NULL means "/". */
int host_new(const char *root, Host **ret, Error *err);
Host *host_free(Host *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Host *, host_free)

/* The directory the host's paths live under ("/" on the live host). */
const char *host_root(const Host *h);
/* True when this is the machine vmslice runs on. */
bool host_is_live(const Host *h);

/* Largest file host_read_file() reads (/proc/interrupts of a 512-CPU machine is ~3 MiB). */
#define HOST_READ_MAX (32U * 1024 * 1024)

/* open(2) a path under the root. Returns an fd or a negative errno. */
int host_open(Host *h, const char *path, int flags, int mode);
/* The whole file, which must be a regular one (-EISDIR, -EBADFD for a FIFO, socket or device:
 * never blocks). Returns -EFBIG when larger than max, -EBADMSG when it holds a NUL. */
int host_read_file(Host *h, const char *path, size_t max, char **ret);
/* The file with surrounding whitespace removed (sysfs attributes). */
int host_read_line(Host *h, const char *path, char **ret);
int host_read_u64(Host *h, const char *path, uint64_t *ret);
int host_read_int(Host *h, const char *path, int *ret);
/* A kernel CPU or node list file ("0-3,8-11"). */
int host_read_cpuset(Host *h, const char *path, hwloc_bitmap_t ret);
int host_readlink(Host *h, const char *path, char **ret);
/* Sorted entry names of a directory, without "." and "..". */
int host_list_dir(Host *h, const char *path, char ***ret);
bool host_exists(Host *h, const char *path);
/* Writes value (no newline is added) to an existing file. */
int host_write_file(Host *h, const char *path, const char *value);

/* Creates a directory (a cgroup), mode 0755; an existing one is fine. */
int host_mkdir(Host *h, const char *path);
/* Removes a directory (a cgroup: on a live host rmdir(2) alone; in a fixture tree, the files
 * in it are removed first, as cgroupfs would drop its control files). */
int host_rmdir(Host *h, const char *path);

/* Formatted-path conveniences: the path is built with printf(). */
int host_read_linef(Host *h, char **ret, const char *fmt, ...) _printf_(3, 4);
int host_read_u64f(Host *h, uint64_t *ret, const char *fmt, ...) _printf_(3, 4);
int host_read_cpusetf(Host *h, hwloc_bitmap_t ret, const char *fmt, ...) _printf_(3, 4);

/* Loads the hwloc topology of this host: hwloc's linux component only, reading only this root
 * (HWLOC_FSROOT), including CPUs a cgroup hides from vmslice itself. */
int host_load_hwloc(Host *h, hwloc_topology_t *ret, Error *err);

/* systemd, when it is PID 1 on this host (/run/systemd/system exists under the root); *ret is
 * NULL when it is not. On the live host: the system bus. Under another root: the bus at
 * $VMSLICE_SYSTEMD_BUS (tests run a fake manager there), else -ENOTCONN. One set with
 * host_set_systemd() comes first. The connection is made once and kept by the host. */
int host_systemd(Host *h, Systemd **ret, Error *err);
/* Puts s (owned by the host from now on) in place of systemd; tests observe the calls. */
void host_set_systemd(Host *h, Systemd *s);
