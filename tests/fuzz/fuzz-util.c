/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *fuzz_text(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                abort();
        if (size > 0)
                memcpy(s, data, size);
        s[size] = 0;
        return s;
}

void fuzz_fail(const char *file, int line, const char *what)
{
        fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
        abort();
}

void fuzz_check_error(int r, const Error *err)
{
        FUZZ_CHECK(r < 0);
        FUZZ_CHECK(err->code == r);
        FUZZ_CHECK(err->msg[0] != 0);
        FUZZ_CHECK(!strchr(err->msg, '\n'));
        if (r == -EINVAL)
                FUZZ_CHECK(err->input);
}
