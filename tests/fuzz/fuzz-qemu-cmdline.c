/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's -name option in /proc/PID/cmdline (probe/qemu-proc.c). The input is the raw file:
 * NUL-separated arguments, not NUL-terminated (an overread is an ASan report). */
#include <string.h>

#include "fuzz.h"
#include "qemu-proc.h"
#include "string-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *name = NULL;
        bool debug_threads = true;
        int r = qemu_cmdline_parse((const char *) data, size, &name, &debug_threads);
        FUZZ_CHECK(r == 0);
        /* no name (or debug-threads) without a -name argument followed by another */
        bool has_name_arg = false;
        for (size_t i = 0; i < size;) {
                size_t len = strnlen((const char *) data + i, size - i);
                if (i + len < size && (streq((const char *) data + i, "-name") ||
                                       streq((const char *) data + i, "--name")))
                        has_name_arg = i + len + 1 < size;
                if (has_name_arg)
                        break;
                i += len + 1;
        }
        if (!has_name_arg)
                FUZZ_CHECK(!name && !debug_threads);
        FUZZ_CHECK(!name || *name);
        return 0;
}
