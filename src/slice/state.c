/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "string-util.h"

typedef struct Original {
        char *path, *value;
} Original;

struct State {
        char *dir;
        int dirfd, lockfd, vmsfd;
        Original *orig;
        size_t n_orig;
};

#define JOURNAL_MAX (64U * 1024 * 1024)

const char *state_dir(const State *s)
{
        return s->dir;
}

State *state_close(State *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_orig; i++) {
                free(s->orig[i].path);
                free(s->orig[i].value);
        }
        free(s->orig);
        if (s->vmsfd >= 0)
                close(s->vmsfd);
        if (s->lockfd >= 0)
                close(s->lockfd); /* releases the flock */
        if (s->dirfd >= 0)
                close(s->dirfd);
        free(s->dir);
        free(s);
        return NULL;
}

static void escape(SBuf *b, const char *s)
{
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        sbuf_append(b, "\\\\");
                        break;
                case '\t':
                        sbuf_append(b, "\\t");
                        break;
                case '\n':
                        sbuf_append(b, "\\n");
                        break;
                default:
                        sbuf_appendf(b, "%c", *s);
                }
}

static char *unescape(const char *s, size_t n)
{
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n) {
                        i++;
                        *o++ = s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

static int check_dir(int fd, const char *dir, Error *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return error_fail(err, -errno, "cannot use the state directory %s: %s", dir,
                                  strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return error_input(err, "the state directory %s is not a directory", dir);
        if (st.st_uid == 0 && geteuid() != 0)
                return error_fail(err, -EPERM,
                                  "the state directory %s is root's; run vmslice as root", dir);
        if (st.st_uid != geteuid() || (st.st_mode & 0022))
                return error_fail(
                    err, -EPERM,
                    "the state directory %s is not owned by this user or is writable by "
                    "others; remove it or give --state-dir",
                    dir);
        return 0;
}

/* Why the state directory cannot be created or opened (what: "create", "open"), errno e. */
static int dir_error(int e, const char *what, const char *shown, Error *err)
{
        if ((e == EACCES || e == EPERM) && geteuid() != 0)
                return error_fail(err, -e,
                                  "cannot %s the state directory %s: %s; run vmslice as root", what,
                                  shown, strerror(e));
        if (e == ELOOP || e == ENOTDIR)
                return error_fail(err, -e,
                                  "cannot %s the state directory %s: %s (a symlink is refused)",
                                  what, shown, strerror(e));
        return error_fail(err, -e, "cannot %s the state directory %s: %s", what, shown,
                          strerror(e));
}

static int open_dir_nofollow(int atfd, const char *name, const char *shown, Error *err)
{
        if (mkdirat(atfd, name, 0700) < 0 && errno != EEXIST)
                return dir_error(errno, "create", shown, err);
        int fd = openat(atfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return dir_error(errno, "open", shown, err);
        int r = check_dir(fd, shown, err);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static int load_journal(State *s, Error *err)
{
        _cleanup_(freep) char *text = NULL;
        size_t size = 0;
        int r = read_regular_at(s->dirfd, "journal", JOURNAL_MAX, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_fail(err, r,
                                  "cannot read %s/journal: %s; move it away (what it held is "
                                  "lost: check the host's knobs) and find what put it there",
                                  s->dir, regular_file_strerror(r));
        for (char *line = text; line < text + size;) {
                char *nl = memchr(line, '\n', (size_t) (text + size - line));
                if (!nl)
                        break; /* a torn last line (crash while appending): its write never happened
                                */
                char *t1 = memchr(line, '\t', (size_t) (nl - line));
                char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t) (nl - t1 - 1)) : NULL;
                if (t1 && t2 && (size_t) (t1 - line) == 4 && memcmp(line, "orig", 4) == 0) {
                        char *p = unescape(t1 + 1, (size_t) (t2 - t1 - 1));
                        char *v = unescape(t2 + 1, (size_t) (nl - t2 - 1));
                        Original *n = realloc(s->orig, sizeof(Original) * (s->n_orig + 1));
                        if (!p || !v || !n) {
                                free(p);
                                free(v);
                                if (n)
                                        s->orig = n;
                                return error_fail(err, -ENOMEM, "out of memory");
                        }
                        s->orig = n;
                        if (state_original(s, p)) { /* first one wins */
                                free(p);
                                free(v);
                        } else
                                s->orig[s->n_orig++] = (Original){p, v};
                }
                line = nl + 1;
        }
        return 0;
}

int state_open(const char *dir, State **ret, Error *err)
{
        _cleanup_(state_closep) State *s = calloc(1, sizeof(State));
        int r;
        if (!s || !(s->dir = strdup(dir)))
                return error_fail(err, -ENOMEM, "out of memory");
        s->dirfd = s->lockfd = s->vmsfd = -1;
        if (dir[0] != '/')
                return error_input(err, "the state directory %s is not an absolute path", dir);
        r = open_dir_nofollow(AT_FDCWD, dir, dir, err);
        if (r < 0)
                return r;
        s->dirfd = r;
        s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->lockfd < 0) {
                r = -errno;
                return error_fail(err, r, "cannot open %s/lock: %s", dir, regular_file_strerror(r));
        }
        if (flock(s->lockfd, LOCK_EX) < 0)
                return error_fail(err, -errno, "cannot lock %s/lock: %s", dir, strerror(errno));
        _cleanup_(freep) char *vms = strdup_printf("%s/vms", dir);
        if (!vms)
                return error_fail(err, -ENOMEM, "out of memory");
        r = open_dir_nofollow(s->dirfd, "vms", vms, err);
        if (r < 0)
                return r;
        s->vmsfd = r;
        r = load_journal(s, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

size_t state_n_originals(const State *s)
{
        return s->n_orig;
}

const char *state_original_path(const State *s, size_t i)
{
        return i < s->n_orig ? s->orig[i].path : NULL;
}

const char *state_original_value(const State *s, size_t i)
{
        return i < s->n_orig ? s->orig[i].value : NULL;
}

const char *state_original(const State *s, const char *path)
{
        for (size_t i = 0; i < s->n_orig; i++)
                if (streq(s->orig[i].path, path))
                        return s->orig[i].value;
        return NULL;
}

static int write_all_sync(int fd, const char *text)
{
        size_t len = strlen(text), off = 0;
        while (off < len) {
                ssize_t k = write(fd, text + off, len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t) k;
        }
        return fsync(fd) < 0 ? -errno : 0;
}

int state_save_original(State *s, const char *path, const char *value, Error *err)
{
        if (state_original(s, path))
                return 0;
        SBuf b = {0};
        sbuf_append(&b, "orig\t");
        escape(&b, path);
        sbuf_append(&b, "\t");
        escape(&b, value);
        sbuf_append(&b, "\n");
        _cleanup_(freep) char *line = sbuf_steal(&b);
        char *p = strdup(path), *v = strdup(value);
        Original *n = realloc(s->orig, sizeof(Original) * (s->n_orig + 1));
        if (!line || !p || !v || !n) {
                free(p);
                free(v);
                if (n)
                        s->orig = n;
                return error_fail(err, -ENOMEM, "out of memory");
        }
        s->orig = n;
        int fd = openat(s->dirfd, "journal", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                        0600);
        int r = fd < 0 ? -errno : write_all_sync(fd, line);
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                free(p);
                free(v);
                return error_fail(err, r,
                                  "cannot write the journal %s/journal: %s; nothing was changed",
                                  s->dir, strerror(-r));
        }
        s->orig[s->n_orig++] = (Original){p, v};
        return 0;
}

/* Writes a file in the state directory atomically: temp file, fsync, rename, fsync dir. */
static int write_atomic(int dirfd, const char *name, const char *text)
{
        char tmp[300];
        snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        (void) unlinkat(dirfd, tmp, 0);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int r = write_all_sync(fd, text);
        close(fd);
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dirfd, tmp, 0);
                return r;
        }
        return fsync(dirfd) < 0 ? -errno : 0;
}

int state_forget_original(State *s, const char *path, Error *err)
{
        size_t i;
        for (i = 0; i < s->n_orig; i++)
                if (streq(s->orig[i].path, path))
                        break;
        if (i == s->n_orig)
                return 0;
        SBuf b = {0};
        for (size_t k = 0; k < s->n_orig; k++) {
                if (k == i)
                        continue;
                sbuf_append(&b, "orig\t");
                escape(&b, s->orig[k].path);
                sbuf_append(&b, "\t");
                escape(&b, s->orig[k].value);
                sbuf_append(&b, "\n");
        }
        _cleanup_(freep) char *text = sbuf_steal(&b);
        if (!text)
                return error_fail(err, -ENOMEM, "out of memory");
        int r = write_atomic(s->dirfd, "journal", text);
        if (r < 0)
                return error_fail(err, r, "cannot rewrite %s/journal: %s", s->dir, strerror(-r));
        free(s->orig[i].path);
        free(s->orig[i].value);
        memmove(&s->orig[i], &s->orig[i + 1], sizeof(Original) * (s->n_orig - i - 1));
        s->n_orig--;
        return 0;
}

static int vm_file_ext(const char *name, const char *ext, char *buf, size_t size)
{
        /* a leading '.' is fine (libvirt allows it): every VM file ends in .spec or .placement,
         * the temporary files of state_write_*() in .tmp */
        if (!*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        for (const char *p = name; *p; p++)
                if ((unsigned char) *p < 0x20)
                        return -EINVAL;
        int n = snprintf(buf, size, "%s.%s", name, ext);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

static int vm_file(const char *name, char *buf, size_t size)
{
        return vm_file_ext(name, "spec", buf, size);
}

int state_list_vms(State *s, char ***ret, Error *err)
{
        int fd = dup(s->vmsfd);
        if (fd < 0)
                return error_fail(err, -errno, "cannot list %s/vms: %s", s->dir, strerror(errno));
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return error_fail(err, -errno, "cannot list %s/vms: %s", s->dir, strerror(errno));
        }
        rewinddir(d);
        char **l = NULL;
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (n <= 5 || !streq(de->d_name + n - 5, ".spec"))
                        continue;
                char *name = strndup(de->d_name, n - 5);
                r = strv_push(&l, name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0) {
                strv_free(l);
                return error_fail(err, r, "out of memory");
        }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return error_fail(err, -ENOMEM, "out of memory");
        for (size_t a = 0; l[a]; a++) /* sorted, for stable output */
                for (size_t b = a + 1; l[b]; b++)
                        if (strcmp(l[b], l[a]) < 0) {
                                char *x = l[a];
                                l[a] = l[b];
                                l[b] = x;
                        }
        *ret = l;
        return 0;
}

bool state_has_vm(State *s, const char *name)
{
        char file[512];
        struct stat st;
        return vm_file(name, file, sizeof(file)) >= 0 &&
               fstatat(s->vmsfd, file, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}

int state_read_vm(State *s, const char *name, char **ret_text, Error *err)
{
        char file[512];
        if (vm_file(name, file, sizeof(file)) < 0)
                return error_input(err, "'%s' cannot be a VM name", name);
        int r = read_regular_at(s->vmsfd, file, 1024 * 1024, ret_text, NULL);
        if (r == -ENOENT)
                return error_input(err, "no slice is prepared for '%s'", name);
        if (r < 0)
                return error_fail(err, r, "cannot read the slice of '%s' (%s/vms/%s): %s", name,
                                  s->dir, file, regular_file_strerror(r));
        return 0;
}

int state_write_vm(State *s, const char *name, const char *text, Error *err)
{
        char file[512];
        if (vm_file(name, file, sizeof(file)) < 0)
                return error_input(err, "'%s' cannot be a VM name", name);
        int r = write_atomic(s->vmsfd, file, text);
        if (r < 0)
                return error_fail(err, r, "cannot record the slice of '%s' in %s/vms: %s", name,
                                  s->dir, strerror(-r));
        return 0;
}

int state_remove_vm(State *s, const char *name, Error *err)
{
        char file[512];
        if (vm_file(name, file, sizeof(file)) < 0)
                return error_input(err, "'%s' cannot be a VM name", name);
        if (unlinkat(s->vmsfd, file, 0) < 0 && errno != ENOENT)
                return error_fail(err, -errno, "cannot remove the slice record of '%s': %s", name,
                                  strerror(errno));
        if (vm_file_ext(name, "placement", file, sizeof(file)) >= 0)
                (void) unlinkat(s->vmsfd, file, 0);
        (void) fsync(s->vmsfd);
        return 0;
}

int state_write_placement(State *s, const char *name, const char *text, Error *err)
{
        char file[512];
        if (vm_file_ext(name, "placement", file, sizeof(file)) < 0)
                return error_input(err, "'%s' cannot be a VM name", name);
        int r = write_atomic(s->vmsfd, file, text);
        if (r < 0)
                return error_fail(err, r, "cannot record the placement of '%s' in %s/vms: %s", name,
                                  s->dir, strerror(-r));
        return 0;
}

int state_read_placement(State *s, const char *name, char **ret, time_t *ret_time)
{
        char file[512];
        *ret = NULL;
        if (vm_file_ext(name, "placement", file, sizeof(file)) < 0)
                return -EINVAL;
        int fd = open_regular_at(s->vmsfd, file);
        if (fd < 0)
                return fd;
        struct stat st;
        int r = fstat(fd, &st) < 0 ? -errno : read_fd_full(fd, 64 * 1024, ret, NULL);
        close(fd);
        if (r >= 0 && ret_time)
                *ret_time = st.st_mtime;
        return r;
}

static bool fault_fired;

bool state_fault_fired(void)
{
        return fault_fired;
}

int state_fault_point(bool after_write)
{
        static long count;
        const char *n = getenv("VMSLICE_FAULT");
        if (!n)
                return 0;
        const char *at = getenv("VMSLICE_FAULT_AT");
        bool fail = at && streq(at, "fail");
        bool want_after = at && streq(at, "after");
        if (fail ? after_write : want_after != after_write)
                return 0;
        if (++count != atol(n))
                return 0;
        fault_fired = true;
        if (fail)
                return -EIO;
        _exit(137); /* as if killed: no cleanup; the kernel drops the flock */
}
