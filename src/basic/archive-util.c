/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "archive-util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "string-util.h"

/* Limits on a single entry; a capture's deepest path is ~10 components and ~100 bytes. */
#define ENTRY_DEPTH_MAX 64
#define ENTRY_PATH_MAX  1024

#define UNPACK_HINT "give a tarball made by 'vmslice capture' or a directory"

static void archive_read_freep(struct archive **a)
{
        if (*a)
                (void) archive_read_free(*a);
}

static void archive_write_freep(struct archive **a)
{
        if (*a)
                (void) archive_write_free(*a);
}

/* Normalizes an entry path into out: drops "." and empty components and a leading "./". Returns
 * the number of components, or -EINVAL for absolute paths and ".." components, -ENAMETOOLONG
 * beyond the limits above. */
static int normalize_entry_path(const char *in, char *out, size_t out_size)
{
        size_t len = 0;
        int depth = 0;

        if (in[0] == '/')
                return -EINVAL;
        for (const char *p = in; *p;) {
                const char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);

                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return -EINVAL;
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (++depth > ENTRY_DEPTH_MAX || len + n + 2 > out_size)
                                return -ENAMETOOLONG;
                        if (len > 0)
                                out[len++] = '/';
                        memcpy(out + len, p, n);
                        len += n;
                }
                p = *e ? e + 1 : e;
        }
        out[len] = 0;
        return depth;
}

/* A symlink at an entry whose directory is dir_depth components deep may point upwards only with
 * leading ".." components, no more of them than dir_depth, and then downwards: "../../cpu/cpu3".
 * Because links are created only at paths without symlinks in them (SECURE_SYMLINKS) and every
 * link obeys this rule, no chain of links resolves outside the tree. Absolute targets are refused.
 */
static bool symlink_target_ok(const char *target, int dir_depth)
{
        int up = 0;
        bool down = false;

        if (!target || !*target || target[0] == '/' || strlen(target) > ENTRY_PATH_MAX)
                return false;
        for (const char *p = target; *p;) {
                const char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);

                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (down || ++up > dir_depth)
                                return false;
                } else if (n > 0 && !(n == 1 && p[0] == '.'))
                        down = true;
                p = *e ? e + 1 : e;
        }
        return true;
}

static const char *read_error(struct archive *a)
{
        const char *s = archive_error_string(a);
        return s ? s : "not a tarball";
}

/* ARCHIVE_WARN is success with a remark; ARCHIVE_RETRY, FAILED and FATAL are not. */
static bool la_ok(la_ssize_t r)
{
        return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

static bool errno_is_host_error(int e)
{
        return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS || e == ENOMEM || e == EMFILE ||
               e == ENFILE;
}

static const char *type_name(mode_t type)
{
        switch (type) {
        case AE_IFCHR:
                return "a character device";
        case AE_IFBLK:
                return "a block device";
        case AE_IFIFO:
                return "a FIFO";
        case AE_IFSOCK:
                return "a socket";
        default:
                return "of an unsupported type";
        }
}

/* Copies the data of the current entry from in to out, counting into *bytes. */
static int copy_data(const char *tarball, struct archive *in, struct archive *out, uint64_t *bytes,
                     Error *err)
{
        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t offset;
                int r = archive_read_data_block(in, &buf, &size, &offset);

                if (r == ARCHIVE_EOF)
                        return 0;
                if (!la_ok(r))
                        return error_input(err, "cannot unpack %s: %s; %s", tarball,
                                           archive_error_string(in), UNPACK_HINT);
                if (offset < 0 || (uint64_t) offset + size > ARCHIVE_BYTES_MAX ||
                    *bytes + size > ARCHIVE_BYTES_MAX)
                        return error_input(
                            err, "cannot unpack %s: more than %llu MiB of content; %s", tarball,
                            (unsigned long long) (ARCHIVE_BYTES_MAX >> 20), UNPACK_HINT);
                *bytes += size;
                if (!la_ok(archive_write_data_block(out, buf, size, offset))) {
                        int e = archive_errno(out);
                        return error_fail(err, e > 0 ? -e : -EIO, "cannot unpack %s: %s", tarball,
                                          archive_error_string(out));
                }
        }
}

/* Extracts every entry of the opened reader into the current working directory. */
static int extract_all(const char *tarball, struct archive *in, Error *err)
{
        _cleanup_(archive_write_freep) struct archive *out = NULL;
        char path[ENTRY_PATH_MAX + 1], link[ENTRY_PATH_MAX + 1];
        uint64_t n_entries = 0, bytes = 0;
        int r;

        out = archive_write_disk_new();
        if (!out)
                return error_fail(err, -ENOMEM, "out of memory");
        /* No owners, permissions, times, ACLs, xattrs or file flags: only names, types, content. */
        r = archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        if (r != ARCHIVE_OK)
                return error_fail(err, -EIO, "cannot unpack %s: %s", tarball,
                                  archive_error_string(out));

        for (;;) {
                struct archive_entry *e;

                r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (!la_ok(r))
                        return error_input(err, "cannot unpack %s: %s; %s", tarball, read_error(in),
                                           UNPACK_HINT);
                if (++n_entries > ARCHIVE_ENTRIES_MAX)
                        return error_input(err, "cannot unpack %s: more than %u entries; %s",
                                           tarball, (unsigned) ARCHIVE_ENTRIES_MAX, UNPACK_HINT);

                const char *name = archive_entry_pathname(e);
                if (!name)
                        return error_input(err, "cannot unpack %s: an entry has no usable name; %s",
                                           tarball, UNPACK_HINT);
                int depth = normalize_entry_path(name, path, sizeof(path));
                if (depth == -EINVAL)
                        return error_input(err,
                                           "cannot unpack %s: entry '%s' points outside the "
                                           "tarball (absolute or '..'); %s",
                                           tarball, name, UNPACK_HINT);
                if (depth < 0)
                        return error_input(err,
                                           "cannot unpack %s: entry '%.64s...' is too deep; %s",
                                           tarball, name, UNPACK_HINT);

                mode_t type = archive_entry_filetype(e);
                const char *hardlink = archive_entry_hardlink(e);
                if (depth == 0) {
                        /* "./": the directory itself, which exists. */
                        if (type == AE_IFDIR && !hardlink)
                                continue;
                        return error_input(err, "cannot unpack %s: entry '%s' has no name; %s",
                                           tarball, name, UNPACK_HINT);
                }
                archive_entry_set_pathname(e, path);

                if (hardlink) {
                        if (normalize_entry_path(hardlink, link, sizeof(link)) <= 0)
                                return error_input(err,
                                                   "cannot unpack %s: hard link '%s' points to "
                                                   "'%s' outside the tarball; %s",
                                                   tarball, name, hardlink, UNPACK_HINT);
                        /* Only to a file unpacked before: a hard link to a symlink would be a
                         * copy of the link at another depth, resolving elsewhere. */
                        struct stat st;
                        if (lstat(link, &st) < 0 || !S_ISREG(st.st_mode))
                                return error_input(err,
                                                   "cannot unpack %s: hard link '%s' points to "
                                                   "'%s', which is not a file unpacked before it; "
                                                   "%s",
                                                   tarball, name, hardlink, UNPACK_HINT);
                        archive_entry_set_hardlink(e, link);
                } else if (type == AE_IFLNK) {
                        const char *target = archive_entry_symlink(e);
                        if (!symlink_target_ok(target, depth - 1))
                                return error_input(err,
                                                   "cannot unpack %s: symlink '%s' points to "
                                                   "'%s' outside the tarball; %s",
                                                   tarball, name, target ? target : "",
                                                   UNPACK_HINT);
                } else if (type == AE_IFDIR)
                        archive_entry_set_perm(e, 0755);
                else if (type == AE_IFREG) {
                        archive_entry_set_perm(e, 0644);
                        if (archive_entry_size_is_set(e) &&
                            (archive_entry_size(e) < 0 ||
                             (uint64_t) archive_entry_size(e) > ARCHIVE_BYTES_MAX - bytes))
                                return error_input(
                                    err, "cannot unpack %s: more than %llu MiB of content; %s",
                                    tarball, (unsigned long long) (ARCHIVE_BYTES_MAX >> 20),
                                    UNPACK_HINT);
                } else
                        return error_input(err, "cannot unpack %s: entry '%s' is %s; %s", tarball,
                                           name, type_name(type), UNPACK_HINT);

                r = archive_write_header(out, e);
                if (!la_ok(r)) {
                        int en = archive_errno(out);
                        if (errno_is_host_error(en))
                                return error_fail(err, -en, "cannot unpack %s: %s", tarball,
                                                  archive_error_string(out));
                        return error_input(err, "cannot unpack %s: entry '%s': %s; %s", tarball,
                                           name, archive_error_string(out), UNPACK_HINT);
                }
                if (type == AE_IFREG && archive_entry_size(e) > 0) {
                        r = copy_data(tarball, in, out, &bytes, err);
                        if (r < 0)
                                return r;
                }
                r = archive_write_finish_entry(out);
                if (!la_ok(r)) {
                        int en = archive_errno(out);
                        return error_fail(err, en > 0 ? -en : -EIO, "cannot unpack %s: %s", tarball,
                                          archive_error_string(out));
                }
        }

        r = archive_write_close(out);
        if (!la_ok(r)) {
                int en = archive_errno(out);
                return error_fail(err, en > 0 ? -en : -EIO, "cannot unpack %s: %s", tarball,
                                  archive_error_string(out));
        }
        return 0;
}

int archive_unpack_tmp(const char *tarball, char **ret_dir, Error *err)
{
        _cleanup_(archive_read_freep) struct archive *in = NULL;
        _cleanup_(freep) char *dir = NULL;
        _cleanup_(closep) int saved_cwd = -1, dir_fd = -1;
        const char *tmp;
        int r;

        tmp = getenv("TMPDIR");
        if (!tmp || tmp[0] != '/')
                tmp = "/tmp";
        dir = strdup_printf("%s/vmslice-XXXXXX", tmp);
        if (!dir)
                return error_fail(err, -ENOMEM, "out of memory");

        in = archive_read_new();
        if (!in)
                return error_fail(err, -ENOMEM, "out of memory");
        (void) archive_read_support_filter_all(in);
        (void) archive_read_support_format_tar(in);
        if (archive_read_open_filename(in, tarball, 64 * 1024) != ARCHIVE_OK) {
                int e = archive_errno(in);
                if (e > 0 && e != ENOENT && e != ENOTDIR && e != EISDIR &&
                    e != EILSEQ /* libarchive: bad format */)
                        return error_fail(err, -e, "cannot unpack %s: %s", tarball, strerror(e));
                return error_input(err, "cannot unpack %s: %s; %s", tarball, read_error(in),
                                   UNPACK_HINT);
        }

        if (!mkdtemp(dir))
                return error_fail(err, -errno,
                                  "cannot unpack %s: cannot create a directory in %s: "
                                  "%s; set TMPDIR to a writable directory",
                                  tarball, tmp, strerror(errno));

        /* libarchive extracts relative to the working directory; its SECURE_* checks need relative
         * entry paths, so work inside the new directory and return afterwards. */
        saved_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (saved_cwd < 0 || dir_fd < 0 || fchdir(dir_fd) < 0) {
                r = error_fail(err, -errno, "cannot unpack %s: cannot enter %s: %s", tarball, dir,
                               strerror(errno));
                (void) archive_remove_tree(dir);
                return r;
        }

        r = extract_all(tarball, in, err);

        if (fchdir(saved_cwd) < 0 && r >= 0)
                r = error_fail(err, -errno, "cannot return to the working directory: %s",
                               strerror(errno));
        if (r < 0) {
                (void) archive_remove_tree(dir);
                return r;
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

/* nftw() has no user pointer; removal is not reentrant across threads otherwise. */
static _Thread_local int remove_error;
static _Thread_local bool remove_chmodded;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        int r;

        switch (flag) {
        case FTW_DNR:
                /* Unreadable directory: make it ours and go again in a second pass. */
                if (chmod(path, 0700) >= 0)
                        remove_chmodded = true;
                else if (remove_error == 0)
                        remove_error = -errno;
                return 0;
        case FTW_DP:
        case FTW_D:
                r = rmdir(path);
                break;
        case FTW_NS:
                r = unlink(path);
                if (r < 0 && errno == EISDIR)
                        r = rmdir(path);
                break;
        default:
                r = unlink(path);
                break;
        }
        if (r < 0 && errno != ENOENT && remove_error == 0)
                remove_error = -errno;
        return 0;
}

int archive_remove_tree(const char *dir)
{
        struct stat st;

        if (!dir || !*dir)
                return -EINVAL;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(dir) < 0 ? -errno : 0;

        for (int pass = 0; pass < 2; pass++) {
                remove_error = 0;
                remove_chmodded = false;
                /* FTW_PHYS: never follow symlinks; FTW_MOUNT: never cross into another mount. */
                if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                        return -errno;
                if (!remove_chmodded)
                        break;
        }
        return remove_error;
}
