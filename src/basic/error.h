/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "macro.h"

/* Library code never prints. When it fails it returns a negative errno and, if the caller
 * passed an Error, fills it with one line saying what failed, why, and what to do. The CLI
 * prints that line and maps input errors to exit status 2 and all others to 1. */
typedef struct Error {
        int code;   /* negative errno, 0 when unset */
        bool input; /* the request or input was bad (exit 2), not the host (exit 1) */
        char msg[1024];
} Error;

/* Both return -abs(code) so they can be used as `return error_fail(err, r, ...);` */
int error_fail(Error *err, int code, const char *fmt, ...) _printf_(3, 4);
int error_input(Error *err, const char *fmt, ...) _printf_(2, 3);
