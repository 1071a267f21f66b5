/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/smaps (probe/qemu-proc.c) and the guest RAM found among its mappings. */
#include <string.h>

#include "fuzz.h"
#include "qemu-proc.h"

static void check_ram(const Smaps *s, uint64_t memory)
{
        QemuRam *ram = NULL;
        size_t n = 0;
        FUZZ_CHECK(qemu_guest_ram(s, NULL, memory, &ram, &n) == 0);
        FUZZ_CHECK(n <= s->n);
        for (size_t i = 0; i < n; i++) {
                FUZZ_CHECK(i == 0 || ram[i - 1].start <= ram[i].start);
                FUZZ_CHECK(ram[i].size >= (1ULL << 20));
                FUZZ_CHECK(!ram[i].numa_known && !ram[i].nodes);
                bool found = false;
                for (size_t k = 0; k < s->n && !found; k++)
                        found = s->e[k].start == ram[i].start && s->e[k].size == ram[i].size;
                FUZZ_CHECK(found);
        }
        qemu_ram_free_array(ram, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(smaps_done) Smaps s = {0};
        int r = smaps_parse(text, &s);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r < 0)
                return 0;
        FUZZ_CHECK(s.n <= PROC_MAPS_MAX);
        for (size_t i = 0; i < s.n; i++) {
                FUZZ_CHECK(s.e[i].start <= s.e[i].end);
                FUZZ_CHECK(strlen(s.e[i].perms) == 4);
                FUZZ_CHECK(!s.e[i].path || *s.e[i].path);
        }
        check_ram(&s, 0);
        check_ram(&s, 4ULL << 30);
        return 0;
}
