/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void indent(JsonWriter *w)
{
        for (unsigned i = 0; i < w->depth; i++)
                sbuf_append(&w->buf, "  ");
}

static void put_escaped(JsonWriter *w, const char *s)
{
        sbuf_append(&w->buf, "\"");
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"':
                        sbuf_append(&w->buf, "\\\"");
                        break;
                case '\\':
                        sbuf_append(&w->buf, "\\\\");
                        break;
                case '\n':
                        sbuf_append(&w->buf, "\\n");
                        break;
                case '\t':
                        sbuf_append(&w->buf, "\\t");
                        break;
                case '\r':
                        sbuf_append(&w->buf, "\\r");
                        break;
                default:
                        if (*p < 0x20)
                                sbuf_appendf(&w->buf, "\\u%04x", *p);
                        else
                                sbuf_appendf(&w->buf, "%c", *p);
                }
        }
        sbuf_append(&w->buf, "\"");
}

static void member(JsonWriter *w, const char *key)
{
        if (w->depth > 0) {
                sbuf_append(&w->buf, w->nonempty[w->depth] ? ",\n" : "\n");
                w->nonempty[w->depth] = true;
                indent(w);
        }
        if (key) {
                put_escaped(w, key);
                sbuf_append(&w->buf, ": ");
        }
}

static void open_container(JsonWriter *w, const char *key, const char *open)
{
        member(w, key);
        sbuf_append(&w->buf, open);
        if (w->depth + 1 >= JSON_DEPTH_MAX) {
                w->overflow = true;
                return;
        }
        w->depth++;
        w->nonempty[w->depth] = false;
}

static void close_container(JsonWriter *w, const char *close)
{
        if (w->depth == 0) {
                w->overflow = true;
                return;
        }
        bool nonempty = w->nonempty[w->depth];
        w->depth--;
        if (nonempty) {
                sbuf_append(&w->buf, "\n");
                indent(w);
        }
        sbuf_append(&w->buf, close);
}

void json_begin_object(JsonWriter *w, const char *key)
{
        open_container(w, key, "{");
}

void json_end_object(JsonWriter *w)
{
        close_container(w, "}");
}

void json_begin_array(JsonWriter *w, const char *key)
{
        open_container(w, key, "[");
}

void json_end_array(JsonWriter *w)
{
        close_container(w, "]");
}

void json_string(JsonWriter *w, const char *key, const char *value)
{
        member(w, key);
        if (value)
                put_escaped(w, value);
        else
                sbuf_append(&w->buf, "null");
}

void json_int(JsonWriter *w, const char *key, int64_t value)
{
        member(w, key);
        sbuf_appendf(&w->buf, "%" PRId64, value);
}

void json_uint(JsonWriter *w, const char *key, uint64_t value)
{
        member(w, key);
        sbuf_appendf(&w->buf, "%" PRIu64, value);
}

void json_double(JsonWriter *w, const char *key, double value)
{
        member(w, key);
        if (isfinite(value))
                sbuf_appendf(&w->buf, "%.6g", value);
        else
                sbuf_append(&w->buf, "null");
}

void json_fixed(JsonWriter *w, const char *key, double value, unsigned decimals)
{
        char num[64];
        if (!isfinite(value) || fabs(value) >= 1e18) {
                json_double(w, key, value);
                return;
        }
        snprintf(num, sizeof(num), "%.*f", (int) MIN(decimals, 9U), value);
        char *dot = strchr(num, '.');
        if (dot) {
                char *end = num + strlen(num);
                while (end > dot + 1 && end[-1] == '0')
                        *--end = 0;
                if (end == dot + 1)
                        *dot = 0;
        }
        if (streq(num, "-0"))
                strcpy(num, "0");
        member(w, key);
        sbuf_append(&w->buf, num);
}

void json_bool(JsonWriter *w, const char *key, bool value)
{
        member(w, key);
        sbuf_append(&w->buf, value ? "true" : "false");
}

void json_null(JsonWriter *w, const char *key)
{
        member(w, key);
        sbuf_append(&w->buf, "null");
}

char *json_steal(JsonWriter *w)
{
        if (w->overflow || w->depth != 0) {
                json_done(w);
                return NULL;
        }
        sbuf_append(&w->buf, "\n");
        return sbuf_steal(&w->buf);
}

void json_done(JsonWriter *w)
{
        sbuf_done(&w->buf);
        *w = (JsonWriter){0};
}
