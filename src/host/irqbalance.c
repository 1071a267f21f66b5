/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "irqbalance.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpuset-util.h"
#include "proc.h"
#include "string-util.h"

#define IRQBALANCE_TIMEOUT_MS 2000

int irqbalance_find(Host *h, unsigned *ret_pid, unsigned long long *ret_start)
{
        unsigned pid = host_find_process(h, "irqbalance");
        ProcStat ps;
        if (pid == 0 || host_read_proc_stat(h, pid, 0, &ps) < 0)
                return 0;
        *ret_pid = pid;
        *ret_start = ps.starttime;
        return 1;
}

/* Connects to the socket through the root: an O_PATH fd of the socket file (resolved inside the
 * root) is connected to through /proc/self/fd, which also keeps long fixture paths within
 * sun_path. */
static int irqbalance_connect(Host *h, unsigned pid, Error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/run/irqbalance/irqbalance%u.sock", pid);
        int pfd = host_open(h, path, O_PATH | O_CLOEXEC, 0);
        if (pfd < 0)
                return error_fail(err, pfd,
                                  "irqbalance (pid %u) has no control socket %s: %s; stop it "
                                  "while VMs run or set irqbalance = stop",
                                  pid, path, strerror(-pfd));
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", pfd);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int r = fd < 0 ? -errno : 0;
        if (r == 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                r = -errno;
        close(pfd);
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                return error_fail(err, r, "cannot connect to irqbalance's socket %s: %s", path,
                                  strerror(-r));
        }
        return fd;
}

/* irqbalance accepts a command only with the sender's credentials (uid 0) attached. */
static int irqbalance_send(int fd, const char *cmd)
{
        struct iovec iov = {.iov_base = (void *) cmd, .iov_len = strlen(cmd)};
        union {
                char buf[CMSG_SPACE(sizeof(struct ucred))];
                struct cmsghdr align;
        } control = {0};
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
        struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
        memcpy(CMSG_DATA(c), &cred, sizeof(cred));
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0)
                return -errno;
        return (size_t) n == iov.iov_len ? 0 : -EIO;
}

/* The answer to "setup" lists every banned IRQ before "BANNED": read it whole. */
#define IRQBALANCE_ANSWER_MAX (4U * 1024 * 1024)

int irqbalance_get_banned(Host *h, unsigned pid, hwloc_bitmap_t ret, Error *err)
{
        int fd = irqbalance_connect(h, pid, err);
        if (fd < 0)
                return fd;
        SBuf b = {0};
        char chunk[4096];
        int r = irqbalance_send(fd, "setup");
        while (r >= 0) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int k = poll(&p, 1, IRQBALANCE_TIMEOUT_MS);
                if (k <= 0) {
                        r = k < 0 ? -errno : -ETIMEDOUT;
                        break;
                }
                ssize_t n = read(fd, chunk, sizeof(chunk) - 1);
                if (n < 0)
                        r = -errno;
                if (n <= 0)
                        break;
                chunk[n] = 0;
                sbuf_append(&b, chunk);
                if (b.len > IRQBALANCE_ANSWER_MAX)
                        r = -EFBIG;
        }
        close(fd);
        _cleanup_(freep) char *answer = sbuf_steal(&b);
        if (r >= 0 && !answer)
                r = -ENOMEM;
        if (r < 0)
                return error_fail(err, r, "irqbalance (pid %u) did not answer 'setup': %s", pid,
                                  strerror(-r));
        /* "SLEEP 10 IRQ 41 LOAD 0 DIFF 0 CLASS 7 ... BANNED 00000000,00000002" */
        const char *banned = strstr(answer, "BANNED ");
        if (!banned || cpuset_parse_mask(banned + strlen("BANNED "), ret) < 0)
                return error_fail(err, -EPROTO, "irqbalance (pid %u) answered 'setup' with '%.80s'",
                                  pid, answer);
        return 0;
}

int irqbalance_set_banned(Host *h, unsigned pid, hwloc_const_bitmap_t set, Error *err)
{
        /* an empty list would mean the same as NULL to irqbalance; say it plainly */
        bool own = !set || hwloc_bitmap_iszero(set);
        _cleanup_(freep) char *list = own ? strdup("NULL") : cpuset_format_list(set);
        _cleanup_(freep) char *cmd = list ? strdup_printf("settings cpus %s", list) : NULL;
        if (!cmd)
                return error_fail(err, -ENOMEM, "out of memory");
        int fd = irqbalance_connect(h, pid, err);
        if (fd < 0)
                return fd;
        int r = irqbalance_send(fd, cmd);
        close(fd);
        if (r < 0)
                return error_fail(err, r, "cannot send '%s' to irqbalance (pid %u): %s", cmd, pid,
                                  strerror(-r));
        return 0;
}
