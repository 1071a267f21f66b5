/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /etc/vmslice/vmslice.conf parser (slice/slice-config.c). */
#include <string.h>

#include "fuzz.h"
#include "slice-config.h"
#include "spec.h"
#include "string-util.h"

static void check_settings(const SliceSettings *s)
{
        FUZZ_CHECK(s->stat_interval <= 86400);
        FUZZ_CHECK(s->cstate_max_latency_us <= 1000000);
        FUZZ_CHECK(s->compact_tries <= 100);
        FUZZ_CHECK(s->compact_timeout_ms <= 600000);
        FUZZ_CHECK(slice_thp_to_string(s->thp));
        FUZZ_CHECK(slice_irqbalance_to_string(s->irqbalance));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(freep) char *text = fuzz_text(data, size);
        _cleanup_(slice_config_freep) SliceConfig *c = NULL;
        Error err = {0};
        int r = slice_config_parse(text, "fuzz.conf", &c, &err);
        if (r < 0) {
                fuzz_check_error(r, &err);
                FUZZ_CHECK(startswith(err.msg, "fuzz.conf"));
                return 0;
        }

        SliceSettings s;
        bool enabled;
        FUZZ_CHECK(slice_config_settings_for(c, NULL, &s, &enabled) == 0 && !enabled);
        check_settings(&s);
        unsigned n = slice_config_n_vms(c);
        FUZZ_CHECK(n <= SLICE_CONFIG_VMS_MAX);
        FUZZ_CHECK(!slice_config_vm_name(c, n));
        for (unsigned i = 0; i < n; i++) {
                const char *name = slice_config_vm_name(c, i);
                char why[128];
                FUZZ_CHECK(name && domain_name_check(name, why, sizeof(why)) == 0);
                for (unsigned k = 0; k < i; k++)
                        FUZZ_CHECK(!streq(name, slice_config_vm_name(c, k)));
                r = slice_config_settings_for(c, name, &s, &enabled);
                FUZZ_CHECK(r == 0 || r == 1);
                check_settings(&s);
                /* 'enabled' decides when given, else the domain's metadata */
                FUZZ_CHECK(slice_config_vm_enabled(c, name, true) == (r == 0 || enabled));
                FUZZ_CHECK(slice_config_vm_enabled(c, name, false) == (r == 1 && enabled));
        }
        return 0;
}
