/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/stat (host/proc.c) and what vmslice makes of a thread's name (probe/qemu-proc.c). */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"
#include "proc.h"
#include "qemu-proc.h"
#include "string-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        ProcStat st;
        int r = proc_stat_parse(text, &st);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r == 0) {
                /* the comm is what stands between the first '(' and the last ')', cut to fit */
                const char *open = strchr(text, '('), *close = strrchr(text, ')');
                FUZZ_CHECK(open && close && open < close);
                size_t len = MIN((size_t) (close - open - 1), sizeof(st.comm) - 1);
                FUZZ_CHECK(strnlen(st.comm, sizeof(st.comm)) <= len);
                FUZZ_CHECK(strncmp(st.comm, open + 1, strlen(st.comm)) == 0);
                FUZZ_CHECK(isalpha((unsigned char) st.state));
        }

        /* the text as a thread name */
        unsigned index;
        QemuThreadKind k = qemu_thread_classify(text, &index);
        switch (k) {
        case QEMU_THREAD_VCPU:
                FUZZ_CHECK(startswith(text, "CPU ") || startswith(text, "ALL CPUs/"));
                FUZZ_CHECK((index == QEMU_VCPU_ALL) == !!startswith(text, "ALL CPUs/"));
                break;
        case QEMU_THREAD_IOTHREAD:
                FUZZ_CHECK(startswith(text, "IO iothread"));
                break;
        case QEMU_THREAD_EMULATOR:
                FUZZ_CHECK(index == 0);
                break;
        }
        FUZZ_CHECK(qemu_thread_kind_to_string(k) != NULL);
        return 0;
}
