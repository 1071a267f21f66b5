/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                if (len + 4096 + 1 > cap) {
                        size_t ncap = cap ? cap * 2 : 8192;
                        char *n = realloc(buf, ncap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = len;
        return 0;
}

int fd_check_regular(int fd)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        return S_ISREG(st.st_mode) ? 0 : -EBADFD;
}

const char *regular_file_strerror(int r)
{
        switch (r) {
        case -ELOOP:
                return "it is a symlink, which vmslice never follows";
        case -EBADFD:
                return "it is not a regular file (a FIFO or a device?)";
        case -EISDIR:
                return "it is a directory";
        default:
                return strerror(-r);
        }
}

int open_regular_at(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = fd_check_regular(fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

int read_regular_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_size)
{
        int fd = open_regular_at(dirfd, name);
        if (fd < 0)
                return fd;
        int r = read_fd_full(fd, max, ret, ret_size);
        close(fd);
        return r;
}
