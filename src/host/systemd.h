/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stdbool.h>

#include "error.h"
#include "macro.h"

/* systemd as the host's init, through its D-Bus API (org.freedesktop.systemd1). When systemd is
 * PID 1 it owns the cgroup tree: a cpuset written behind its back is undone at the next
 * daemon-reload, so vmslice asks systemd (runtime AllowedCPUs=, as `systemctl set-property
 * --runtime` does; gone at reboot). The calls go through SystemdOps so tests can put an observing
 * fake in their place (host_set_systemd()); the real one talks to the system bus, or to the bus
 * at an address (a test's private dbus-daemon with a fake manager on it). */

typedef struct SystemdOps {
        /* The unit's AllowedCPUs= (empty: no restriction). */
        int (*get_allowed_cpus)(void *userdata, const char *unit, hwloc_bitmap_t ret, Error *err);
        /* Sets AllowedCPUs= for this boot only (an empty set lifts the restriction). */
        int (*set_allowed_cpus)(void *userdata, const char *unit, hwloc_const_bitmap_t cpus,
                                Error *err);
        /* The unit's ActiveState ("active", "inactive", "failed", ...). */
        int (*active_state)(void *userdata, const char *unit, char **ret, Error *err);
        /* StartUnit/StopUnit with mode "replace"; return when the job is queued. */
        int (*start_unit)(void *userdata, const char *unit, Error *err);
        int (*stop_unit)(void *userdata, const char *unit, Error *err);
        void (*free)(void *userdata);
} SystemdOps;

typedef struct Systemd Systemd;

/* A Systemd calling ops with userdata (freed with ops->free). NULL on OOM. */
Systemd *systemd_new(const SystemdOps *ops, void *userdata);
/* Connects to systemd's manager on the system bus (address NULL) or on the bus at address
 * ("unix:path=/run/..."). Fails (-ENOTCONN, -ENOTSUP when built without libsystemd) with the
 * reason in err. */
int systemd_connect(const char *address, Systemd **ret, Error *err);
Systemd *systemd_free(Systemd *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Systemd *, systemd_free)

int systemd_get_allowed_cpus(Systemd *s, const char *unit, hwloc_bitmap_t ret, Error *err);
int systemd_set_allowed_cpus(Systemd *s, const char *unit, hwloc_const_bitmap_t cpus, Error *err);
int systemd_active_state(Systemd *s, const char *unit, char **ret, Error *err);
int systemd_start_unit(Systemd *s, const char *unit, Error *err);
int systemd_stop_unit(Systemd *s, const char *unit, Error *err);
/* Waits up to timeout_ms for the unit to reach ActiveState state ("active"/"inactive"). Returns
 * 0, or -ETIMEDOUT with the state it is in named in err. */
int systemd_wait_state(Systemd *s, const char *unit, const char *state, unsigned timeout_ms,
                       Error *err);
