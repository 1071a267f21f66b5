/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

/* What every fuzz target (tests/fuzz/fuzz-NAME.c) defines: libFuzzer calls it with each input,
 * replay.c with each file of the seed corpus. It returns 0; a bug is a sanitizer report, a leak
 * or an abort() from FUZZ_CHECK. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (the parsers take C strings; an input with a NUL byte is
 * read up to it, as a file read with read_fd_full() would be). Aborts on OOM. */
char *fuzz_text(const uint8_t *data, size_t size);

/* An invariant of the code under test: a violation prints what failed and aborts. */
#define FUZZ_CHECK(cond)                                                                           \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        fuzz_fail(__FILE__, __LINE__, #cond);                                      \
        } while (0)
__attribute__((noreturn)) void fuzz_fail(const char *file, int line, const char *what);

/* The contract of a failing call that filled an Error: it returned err->code, negative, and the
 * message is one non-empty line. -EINVAL from a parser is an input error. */
void fuzz_check_error(int r, const Error *err);
