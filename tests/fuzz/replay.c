/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays a fuzz target's corpus without libFuzzer: calls LLVMFuzzerTestOneInput() on every file
 * named on the command line and every file of every directory named there (sorted, not
 * recursive), and prints TAP, one "ok N - FILE" per file. A bug aborts the program (a sanitizer
 * report, a leak at exit, FUZZ_CHECK), which the TAP harness reports with the file last printed
 * as "# FILE" on stdout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "fuzz.h"
#include "macro.h"
#include "string-util.h"

/* Enough for any seed: libFuzzer's inputs are small, and the biggest seed is a domain XML. */
#define REPLAY_FILE_MAX (16U * 1024 * 1024)

static int replay_file(const char *path, unsigned *n)
{
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        if (fd < 0 || read_fd_full(fd, REPLAY_FILE_MAX, &buf, &size) < 0) {
                printf("not ok %u - %s: cannot read it: %m\n", ++*n, path);
                return -1;
        }
        printf("# %s\n", path);
        fflush(stdout);
        /* an exact-size copy, as libFuzzer passes it: reading past the end is an ASan report */
        _cleanup_(freep) uint8_t *data = malloc(size ? size : 1);
        if (!data)
                abort();
        memcpy(data, buf, size);
        (void) LLVMFuzzerTestOneInput(data, size);
        printf("ok %u - %s\n", ++*n, path);
        fflush(stdout);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int replay_dir(const char *dir, unsigned *n)
{
        DIR *d = opendir(dir);
        if (!d) {
                printf("not ok %u - %s: cannot open it: %m\n", ++*n, dir);
                return -1;
        }
        char **names = NULL;
        size_t count = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                char **t = realloc(names, (count + 1) * sizeof(char *));
                if (!t || !(t[count] = strdup_printf("%s/%s", dir, de->d_name)))
                        abort();
                names = t;
                count++;
        }
        closedir(d);
        qsort(names, count, sizeof(char *), cmp_str);
        int ret = 0;
        for (size_t i = 0; i < count; i++) {
                if (replay_file(names[i], n) < 0)
                        ret = -1;
                free(names[i]);
        }
        free(names);
        if (count == 0) {
                printf("not ok %u - %s: an empty corpus\n", ++*n, dir);
                ret = -1;
        }
        return ret;
}

int main(int argc, char *argv[])
{
        unsigned n = 0;
        int ret = 0;
        if (argc < 2) {
                fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        if (replay_dir(argv[i], &n) < 0)
                                ret = 1;
                } else if (replay_file(argv[i], &n) < 0)
                        ret = 1;
        }
        printf("1..%u\n", n);
        return ret;
}
