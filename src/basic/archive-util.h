/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "error.h"

/* Unpacks a tarball (.tar, .tar.gz, .tgz; any compression libarchive reads) into a new private
 * directory under $TMPDIR (or /tmp), refusing absolute paths, ".." components, symlinks that are
 * followed during extraction, devices and FIFOs, and more than ARCHIVE_ENTRIES_MAX entries or
 * ARCHIVE_BYTES_MAX bytes. On success *ret_dir is the new directory (caller removes it with
 * archive_remove_tree() and frees the string). On failure nothing is left behind. */
#define ARCHIVE_ENTRIES_MAX 1000000
#define ARCHIVE_BYTES_MAX   (1024ULL * 1024 * 1024)
int archive_unpack_tmp(const char *tarball, char **ret_dir, Error *err);

/* Removes a directory tree without following symlinks. */
int archive_remove_tree(const char *dir);
