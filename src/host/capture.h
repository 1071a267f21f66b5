/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "error.h"
#include "host.h"

/* Writes a gzip-compressed tarball of every file vmslice reads from the host (the table in
 * capture.c), read through the Host API, so a live machine and a fixture or capture directory are
 * captured alike. The tarball works as --root, as does its extracted directory.
 *
 * Entries are relative paths ("sys/devices/system/cpu/online") in sorted order, files 0644,
 * directories 0755, owner 0:0, mtime 0, with no gzip timestamp: the same tree gives a
 * byte-identical tarball (set SOURCE_DATE_EPOCH to leave the date out of the MACHINE file too).
 * Directories the kernel reaches through symlinks (cpuN/cpufreq, /sys/bus/pci/devices/X) are
 * stored as real directories at the path vmslice reads; nodeN/cpuM links and PCI driver and IOMMU
 * group links stay symlinks. Files that cannot be read (write-only, EACCES, EIO) and missing
 * optional files are skipped.
 *
 * The tarball is written to a temporary file next to it and renamed into place, so on failure no
 * partial file is left. *ret_n_files (may be NULL) is the number of files read from the host.
 *
 * Two files are added that the host does not have (and not counted): MACHINE, "capture of
 * <hostname> (<CPU model>), <date>", and /proc/hwloc-nofile-info, which tells hwloc the OS and
 * architecture of the tree. A fixture or capture that already has them keeps its own, so capturing
 * an unpacked capture gives the same tarball again. */
int host_capture(Host *h, const char *tarball, unsigned *ret_n_files, Error *err);
