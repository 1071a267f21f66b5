/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

/* Returns the rest of s after prefix, or NULL when s does not start with prefix. */
const char *startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* Removes leading and trailing whitespace in place; returns s. */
char *strstrip(char *s);

/* Copies s into buf (size > 0) with every control character written as an escape ("\\n", "\\t",
 * "\\r", "\\x1b"), so that text from input (a domain name, a cpuset, a file name) cannot split or
 * forge a line of a message or a log. Stops before an escape or character that would not fit;
 * always NUL-terminates. Returns buf. */
char *escape_controls(const char *s, char *buf, size_t size);

/* asprintf() that returns NULL on failure. */
char *strdup_printf(const char *fmt, ...) _printf_(1, 2);

/* A growable string buffer. Allocation failures are sticky: sbuf_steal() returns NULL. */
typedef struct SBuf {
        char *s;
        size_t len, cap;
        bool oom;
} SBuf;

void sbuf_append(SBuf *b, const char *s);
void sbuf_appendf(SBuf *b, const char *fmt, ...) _printf_(2, 3);
void sbuf_vappendf(SBuf *b, const char *fmt, va_list ap) _printf_(2, 0);
char *sbuf_steal(SBuf *b);
void sbuf_done(SBuf *b);

/* A NULL-terminated vector of strings. */
char **strv_free(char **l);
size_t strv_length(char *const *l);
int strv_push(char ***l, char *s); /* takes s; returns -ENOMEM and frees s on failure */
int strv_extend(char ***l, const char *s);
bool strv_contains(char *const *l, const char *s);
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
