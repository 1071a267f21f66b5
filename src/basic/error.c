/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "string-util.h"

static int error_vset(Error *err, int code, bool input, const char *fmt, va_list ap) _printf_(4, 0);
static int error_vset(Error *err, int code, bool input, const char *fmt, va_list ap)
{
        code = -abs(code);
        if (code == 0)
                code = -EIO;
        if (err && err->code == 0) {
                err->code = code;
                err->input = input;
                /* one line, whatever the input put into it */
                char raw[sizeof(err->msg)];
                vsnprintf(raw, sizeof(raw), fmt, ap);
                escape_controls(raw, err->msg, sizeof(err->msg));
        }
        return code;
}

int error_fail(Error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(err, code, false, fmt, ap);
        va_end(ap);
        return r;
}

int error_input(Error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(err, -EINVAL, true, fmt, ap);
        va_end(ap);
        return r;
}
