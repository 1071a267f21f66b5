/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "cli.h"
#include "diff.h"
#include "string-util.h"

bool cli_domain_is_file(const char *arg)
{
        return streq(arg, "-") || strchr(arg, '/') || endswith(arg, ".xml") ||
               access(arg, F_OK) == 0;
}

int cli_load_domain(const char *arg, const char *uri, Domain **ret, Virt **ret_virt)
{
        Error err = {0};
        *ret_virt = NULL;
        if (cli_domain_is_file(arg)) {
                if (domain_load_file(arg, ret, &err) < 0)
                        return cli_error(&err);
                return 0;
        }
        Virt *v = NULL;
        if (virt_open(uri, &v, &err) < 0)
                return cli_error(&err);
        if (virt_load_domain(v, arg, ret, &err) < 0) {
                virt_close(v);
                return cli_error(&err);
        }
        *ret_virt = v;
        return 0;
}

int cli_write_output(const char *path, const char *text)
{
        if (streq(path, "-")) {
                fputs(text, stdout);
                return fflush(stdout) == 0 ? EXIT_OK
                                           : cli_errorf(EXIT_FAIL, "cannot write to stdout");
        }
        _cleanup_(freep) char *tmp = strdup_printf("%s.vmslice-XXXXXX", path);
        if (!tmp)
                return cli_errorf(EXIT_FAIL, "out of memory");
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return cli_errorf(EXIT_FAIL, "cannot write %s: %s", path, strerror(errno));
        size_t len = strlen(text);
        ssize_t k = write(fd, text, len);
        int r = (k < 0 || (size_t) k != len || fsync(fd) < 0) ? -errno : 0;
        (void) fchmod(fd, 0644);
        close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return cli_errorf(EXIT_FAIL, "cannot write %s: %s", path, strerror(r ? -r : EIO));
        }
        return EXIT_OK;
}

static int mkdir_parents(const char *dir, mode_t mode)
{
        _cleanup_(freep) char *p = strdup(dir);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int cli_backup_domain(const char *dir, const char *name, const char *xml, char **ret_path)
{
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&now, &tm));
        int r = mkdir_parents(dir, 0700);
        if (r < 0)
                return cli_errorf(EXIT_FAIL,
                                  "cannot create the backup directory %s: %s; give --backup-dir",
                                  dir, strerror(-r));
        /* the name was checked by the domain reader: no '/', no "..", no control characters;
         * O_EXCL|O_NOFOLLOW: never write through a planted file or link */
        _cleanup_(freep) char *path = NULL;
        int fd = -1;
        for (unsigned i = 0; i < 100 && fd < 0; i++) {
                free(path);
                path = i ? strdup_printf("%s/%s-%s-%u.xml", dir, name, stamp, i)
                         : strdup_printf("%s/%s-%s.xml", dir, name, stamp);
                if (!path)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0 && errno != EEXIST)
                        break;
        }
        if (fd < 0)
                return cli_errorf(EXIT_FAIL, "cannot write the backup %s: %s", path,
                                  strerror(errno));
        size_t len = strlen(xml);
        ssize_t k = write(fd, xml, len);
        int e = (k < 0 || (size_t) k != len || fsync(fd) < 0) ? (errno ? errno : EIO) : 0;
        close(fd);
        if (e)
                return cli_errorf(EXIT_FAIL, "cannot write the backup %s: %s", path, strerror(e));
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return EXIT_OK;
}

int cli_store_domain(const Domain *d, Virt *v, const char *before, const char *after,
                     const DomainSink *sink)
{
        Error err = {0};
        if (sink->dry_run) {
                _cleanup_(freep) char *diff = NULL;
                _cleanup_(freep) char *la = strdup_printf("%s (before)", d->source);
                _cleanup_(freep) char *lb =
                    strdup_printf("%s (after vmslice %s)", d->source, sink->what);
                if (!la || !lb || diff_unified(before, after, la, lb, 3, &diff) < 0)
                        return cli_errorf(EXIT_FAIL, "cannot compute the difference");
                fputs(diff, stdout);
                return EXIT_OK;
        }
        if (sink->output || !v)
                return cli_write_output(sink->output ? sink->output : "-", after);
        FILE *say = sink->messages_to_stderr ? stderr : stdout;
        if (streq(before, after)) {
                fprintf(say, "nothing to change in %s; its definition is unchanged\n", d->name);
                return EXIT_OK;
        }
        _cleanup_(freep) char *backup = NULL;
        int r = cli_backup_domain(sink->backup_dir ? sink->backup_dir : CLI_BACKUP_DIR_DEFAULT,
                                  d->name, d->text, &backup);
        if (r != 0)
                return r;
        if (virt_define(v, after, &err) < 0)
                return cli_error(&err);
        printf("defined %s after vmslice %s; previous definition saved as %s\n", d->name,
               sink->what, backup);
        return EXIT_OK;
}

/* CPUs of the other domains vmslice manages in libvirt: their VM cores and dedicated emulator
 * CPUs. */
int cli_other_managed_cpus(Virt *v, const char *uri, const char *self, hwloc_bitmap_t out,
                           char ***ret_names)
{
        _cleanup_(virt_closep) Virt *own = NULL;
        if (!v) {
                Error e = {0};
                if (virt_open(uri, &own, &e) < 0)
                        return cli_error(&e);
                v = own;
        }
        Error err = {0};
        _cleanup_(strv_freep) char **names = NULL;
        if (virt_list_domains(v, &names, &err) < 0)
                return cli_error(&err);
        for (char **n = names; *n; n++) {
                if (self && streq(*n, self))
                        continue;
                _cleanup_(domain_freep) Domain *d = NULL;
                Error e = {0};
                if (virt_load_domain(v, *n, &d, &e) < 0)
                        continue; /* a domain vmslice cannot read is not one it manages */
                ManagedInfo m = {0};
                if (domain_managed_info(d, &m) < 0)
                        return cli_errorf(EXIT_FAIL, "out of memory");
                if (m.managed && !hwloc_bitmap_iszero(m.cpus)) {
                        hwloc_bitmap_or(out, out, m.cpus);
                        hwloc_bitmap_or(out, out, m.emulator_cpus);
                        (void) strv_extend(ret_names, *n);
                }
                managed_info_done(&m);
        }
        return 0;
}
