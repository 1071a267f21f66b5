/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cpus_allowed_list of /proc/PID/status (host/proc.c). */
#include <string.h>

#include "cpuset-util.h"
#include "fuzz.h"
#include "proc.h"
#include "string-util.h"

/* The first line that starts with key, or NULL. */
static const char *find_line(const char *text, const char *key)
{
        for (const char *l = text; l; l = strchr(l, '\n')) {
                if (*l == '\n')
                        l++;
                if (startswith(l, key))
                        return l;
        }
        return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
                abort();
        int r = proc_status_cpus_allowed(text, set);
        FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -ERANGE);
        /* a status without the line never names one */
        const char *line = find_line(text, "Cpus_allowed_list:");
        FUZZ_CHECK((r == -ENOENT) == !line);
        if (r == 0) {
                FUZZ_CHECK(hwloc_bitmap_last(set) <= (int) CPU_NUMBER_MAX);
                /* the same list parsed on its own gives the same set */
                const char *v = line + strlen("Cpus_allowed_list:");
                _cleanup_(freep) char *list = strndup(v, strcspn(v, "\n"));
                _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t again = hwloc_bitmap_alloc();
                if (!list || !again)
                        abort();
                FUZZ_CHECK(cpuset_parse_list(list, again) == 0 && hwloc_bitmap_isequal(set, again));
        }
        return 0;
}
