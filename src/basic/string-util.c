/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "string-util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const char *startswith(const char *s, const char *prefix)
{
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

bool endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *strstrip(char *s)
{
        char *p = s;
        while (isspace((unsigned char) *p))
                p++;
        size_t l = strlen(p);
        while (l > 0 && isspace((unsigned char) p[l - 1]))
                l--;
        memmove(s, p, l);
        s[l] = 0;
        return s;
}

char *escape_controls(const char *s, char *buf, size_t size)
{
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                char esc[5];
                if (*p == '\n')
                        memcpy(esc, "\\n", 3);
                else if (*p == '\t')
                        memcpy(esc, "\\t", 3);
                else if (*p == '\r')
                        memcpy(esc, "\\r", 3);
                else if (*p < 0x20 || *p == 0x7f)
                        snprintf(esc, sizeof(esc), "\\x%02x", *p);
                else {
                        esc[0] = (char) *p;
                        esc[1] = 0;
                }
                size_t l = strlen(esc);
                if (o + l >= size)
                        break;
                memcpy(buf + o, esc, l);
                o += l;
        }
        buf[o] = 0;
        return buf;
}

char *strdup_printf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

void sbuf_vappendf(SBuf *b, const char *fmt, va_list ap)
{
        if (b->oom)
                return;
        va_list aq;
        va_copy(aq, ap);
        int n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0) {
                b->oom = true;
                return;
        }
        if (b->len + (size_t) n + 1 > b->cap) {
                size_t cap = MAX(b->cap * 2, b->len + (size_t) n + 64);
                char *s = realloc(b->s, cap);
                if (!s) {
                        b->oom = true;
                        return;
                }
                b->s = s;
                b->cap = cap;
        }
        vsnprintf(b->s + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
}

void sbuf_appendf(SBuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sbuf_vappendf(b, fmt, ap);
        va_end(ap);
}

void sbuf_append(SBuf *b, const char *s)
{
        sbuf_appendf(b, "%s", s);
}

char *sbuf_steal(SBuf *b)
{
        char *s = NULL;
        if (!b->oom)
                s = b->s ? b->s : strdup("");
        else
                free(b->s);
        *b = (SBuf){0};
        return s;
}

void sbuf_done(SBuf *b)
{
        free(b->s);
        *b = (SBuf){0};
}

char **strv_free(char **l)
{
        if (l)
                for (char **i = l; *i; i++)
                        free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l)
{
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_push(char ***l, char *s)
{
        if (!s)
                return -ENOMEM;
        size_t n = strv_length(*l);
        char **m = realloc(*l, sizeof(char *) * (n + 2));
        if (!m) {
                free(s);
                return -ENOMEM;
        }
        m[n] = s;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}

int strv_extend(char ***l, const char *s)
{
        return strv_push(l, strdup(s));
}

bool strv_contains(char *const *l, const char *s)
{
        if (l)
                for (char *const *i = l; *i; i++)
                        if (streq(*i, s))
                                return true;
        return false;
}
