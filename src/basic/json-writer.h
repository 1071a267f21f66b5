/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "string-util.h"

/* A small streaming JSON writer (pretty-printed, two-space indent). Every call takes the key of
 * the member it writes when inside an object, and NULL inside an array or at the top. */
#define JSON_DEPTH_MAX 32

typedef struct JsonWriter {
        SBuf buf;
        unsigned depth;
        bool nonempty[JSON_DEPTH_MAX];
        bool overflow;
} JsonWriter;

void json_begin_object(JsonWriter *w, const char *key);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w, const char *key);
void json_end_array(JsonWriter *w);
void json_string(JsonWriter *w, const char *key, const char *value); /* NULL writes null */
void json_int(JsonWriter *w, const char *key, int64_t value);
void json_uint(JsonWriter *w, const char *key, uint64_t value);
void json_double(JsonWriter *w, const char *key, double value);
/* A number with a fixed number of decimals, trailing zeros dropped (12.5, 1000000.125, 3). */
void json_fixed(JsonWriter *w, const char *key, double value, unsigned decimals);
void json_bool(JsonWriter *w, const char *key, bool value);
void json_null(JsonWriter *w, const char *key);
/* Returns the document with a trailing newline (caller frees), NULL on OOM or misuse. */
char *json_steal(JsonWriter *w);
void json_done(JsonWriter *w);
