/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "string-util.h"

/* With --root other than /, nothing vmslice reads or writes may be a live path: the host's files
 * go through the Host, and the paths below (state, hooks, libvirt) default to the root's tree or
 * need to be named explicitly. */

bool cli_root_is_live(const CliContext *ctx)
{
        if (!ctx->root)
                return true;
        char real[PATH_MAX];
        return realpath(ctx->root, real) && streq(real, "/");
}

/* path in the root's tree; NULL on failure (errno) */
static char *root_path(const CliContext *ctx, const char *path)
{
        if (cli_root_is_live(ctx))
                return strdup(path);
        char real[PATH_MAX];
        if (!realpath(ctx->root, real))
                return NULL;
        return strdup_printf("%s%s", real, path);
}

static int mkdir_parents_below(const char *root, const char *path);

int cli_root_dir_path(const CliContext *ctx, const char *what, const char *option, const char *path,
                      char **ret)
{
        struct stat st;
        *ret = NULL;
        if (!cli_root_is_live(ctx) && (stat(ctx->root, &st) < 0 || !S_ISDIR(st.st_mode)))
                return cli_errorf(EXIT_USAGE,
                                  "%s: --root %s is not a directory (a tarball is unpacked into a "
                                  "temporary tree); give %s, or --root DIR",
                                  what, ctx->root, option);
        *ret = root_path(ctx, path);
        if (!*ret)
                return cli_errorf(EXIT_FAIL, "cannot resolve --root %s: %s", ctx->root,
                                  strerror(errno));
        if (cli_root_is_live(ctx))
                return 0;
        /* a fixture root may lack the directories above it (its /run, its /etc/libvirt) */
        char real[PATH_MAX];
        if (!realpath(ctx->root, real) || mkdir_parents_below(real, *ret) < 0) {
                int e = errno;
                free(TAKE_PTR(*ret));
                return cli_errorf(EXIT_FAIL, "cannot create the directories of %s under %s: %s",
                                  path, ctx->root, strerror(e));
        }
        return 0;
}

/* mkdir -p of the directories above path's last component that lie below root; mode 0755. */
static int mkdir_parents_below(const char *root, const char *path)
{
        _cleanup_(freep) char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        size_t skip = streq(root, "/") ? 1 : strlen(root);
        for (char *s = p + skip; (s = strchr(s + 1, '/'));) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

int cli_state_dir(const CliContext *ctx, bool create, char **ret)
{
        *ret = NULL;
        if (ctx->state_dir) {
                *ret = strdup(ctx->state_dir);
                return *ret ? 0 : cli_errorf(EXIT_FAIL, "out of memory");
        }
        struct stat st;
        if (!create && !cli_root_is_live(ctx) && (stat(ctx->root, &st) < 0 || !S_ISDIR(st.st_mode)))
                return 0; /* a tarball's tree holds no slice to look at */
        return cli_root_dir_path(ctx, "the state directory", "--state-dir DIR", STATE_DIR_DEFAULT,
                                 ret);
}

int cli_refuse_live_libvirt(const CliContext *ctx, const char *verb, const char *arg,
                            const char *uri)
{
        if (cli_root_is_live(ctx) || uri || (arg && cli_domain_is_file(arg)))
                return 0;
        if (arg)
                return cli_errorf(EXIT_USAGE,
                                  "%s: with --root, '%s' would be a domain of this machine's "
                                  "libvirt; give the domain as a file, or --connect URI to mean it",
                                  verb, arg);
        return cli_errorf(EXIT_USAGE,
                          "%s: with --root, this machine's libvirt is not asked; give --connect "
                          "URI to mean it",
                          verb);
}
