/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Reads fd to its end into a NUL-terminated buffer. Returns 0, -EFBIG when more than max bytes,
 * -ENOMEM, or the read(2) error. ret_size may be NULL. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);

/* Opens name below dirfd (AT_FDCWD for a plain path) to read it, as a regular file only: never
 * follows a symlink in its last component (-ELOOP), never blocks on a FIFO or device (opened
 * non-blocking, then refused: -EBADFD), -EISDIR for a directory. Returns the fd or -errno. */
int open_regular_at(int dirfd, const char *name);
/* open_regular_at() and read_fd_full(). */
int read_regular_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_size);
/* Whether fd is a regular file: 0, -EISDIR, -EBADFD for anything else, or the fstat(2) error. */
int fd_check_regular(int fd);
/* Why open_regular_at() or fd_check_regular() refused a file, for messages ("it is a symlink,
 * ..."); strerror() for any other error. */
const char *regular_file_strerror(int r);
