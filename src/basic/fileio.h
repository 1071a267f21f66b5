/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Reads fd to its end into a NUL-terminated buffer. Returns 0, -EFBIG when more than max bytes,
 * -ENOMEM, or the read(2) error. ret_size may be NULL. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);
