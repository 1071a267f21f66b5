/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "systemd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "cpuset-util.h"
#include "string-util.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-bus.h>
#endif

struct Systemd {
        const SystemdOps *ops;
        void *userdata;
};

Systemd *systemd_new(const SystemdOps *ops, void *userdata)
{
        Systemd *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->ops = ops;
        s->userdata = userdata;
        return s;
}

Systemd *systemd_free(Systemd *s)
{
        if (!s)
                return NULL;
        if (s->ops->free)
                s->ops->free(s->userdata);
        free(s);
        return NULL;
}

int systemd_get_allowed_cpus(Systemd *s, const char *unit, hwloc_bitmap_t ret, Error *err)
{
        return s->ops->get_allowed_cpus(s->userdata, unit, ret, err);
}

int systemd_set_allowed_cpus(Systemd *s, const char *unit, hwloc_const_bitmap_t cpus, Error *err)
{
        return s->ops->set_allowed_cpus(s->userdata, unit, cpus, err);
}

int systemd_active_state(Systemd *s, const char *unit, char **ret, Error *err)
{
        return s->ops->active_state(s->userdata, unit, ret, err);
}

int systemd_start_unit(Systemd *s, const char *unit, Error *err)
{
        return s->ops->start_unit(s->userdata, unit, err);
}

int systemd_stop_unit(Systemd *s, const char *unit, Error *err)
{
        return s->ops->stop_unit(s->userdata, unit, err);
}

int systemd_wait_state(Systemd *s, const char *unit, const char *state, unsigned timeout_ms,
                       Error *err)
{
        _cleanup_(freep) char *now = NULL;
        for (unsigned waited = 0;; waited += 50) {
                free(now);
                now = NULL;
                int r = systemd_active_state(s, unit, &now, err);
                if (r < 0)
                        return r;
                if (streq(now, state))
                        return 0;
                if (waited >= timeout_ms)
                        break;
                nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        }
        return error_fail(err, -ETIMEDOUT, "%s is still %s after %u ms (wanted %s)", unit, now,
                          timeout_ms, state);
}

#if HAVE_LIBSYSTEMD

#define SD_DEST    "org.freedesktop.systemd1"
#define SD_PATH    "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

static void bus_error_freep(sd_bus_error *e)
{
        sd_bus_error_free(e);
}

static int bus_fail(Error *err, int r, const sd_bus_error *e, const char *what, const char *unit)
{
        const char *why = e && sd_bus_error_is_set(e) ? e->message : strerror(r < 0 ? -r : r);
        if (e && sd_bus_error_is_set(e))
                r = -sd_bus_error_get_errno(e);
        if (r >= 0)
                r = -EIO;
        return error_fail(err, r, "systemd: %s %s: %s", what, unit, why);
}

/* The unit's object path, loading the unit when systemd has not (an idle user.slice). */
static int unit_path(sd_bus *bus, const char *unit, char **ret, Error *err)
{
        _cleanup_(bus_error_freep) sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &e, &reply, "s",
                                   unit);
        if (r < 0)
                return bus_fail(err, r, &e, "cannot load", unit);
        const char *path;
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                *ret = strdup(path);
                r = *ret ? 0 : -ENOMEM;
        }
        sd_bus_message_unref(reply);
        return r < 0 ? bus_fail(err, r, NULL, "bad reply to LoadUnit of", unit) : 0;
}

/* The interface that carries a unit's cgroup properties: org.freedesktop.systemd1.Slice for
 * system.slice, .Scope for init.scope, .Service for a service. */
static int unit_interface(const char *unit, char *buf, size_t size)
{
        const char *dot = strrchr(unit, '.');
        if (!dot || !dot[1] || strlen(dot + 1) > 16)
                return -EINVAL;
        snprintf(buf, size, "org.freedesktop.systemd1.%c%s", (char) (dot[1] - 'a' + 'A'), dot + 2);
        return 0;
}

static int bus_get_allowed_cpus(void *userdata, const char *unit, hwloc_bitmap_t ret, Error *err)
{
        sd_bus *bus = userdata;
        char iface[64];
        if (unit_interface(unit, iface, sizeof(iface)) < 0)
                return error_input(err, "systemd: '%s' is not a unit name", unit);
        _cleanup_(freep) char *path = NULL;
        int r = unit_path(bus, unit, &path, err);
        if (r < 0)
                return r;
        _cleanup_(bus_error_freep) sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        r = sd_bus_get_property(bus, SD_DEST, path, iface, "AllowedCPUs", &e, &reply, "ay");
        if (r < 0)
                return bus_fail(err, r, &e, "cannot read AllowedCPUs of", unit);
        const void *bytes = NULL;
        size_t size = 0;
        r = sd_bus_message_read_array(reply, 'y', &bytes, &size);
        if (r >= 0)
                cpuset_from_bytes(bytes, size, ret);
        sd_bus_message_unref(reply);
        return r < 0 ? bus_fail(err, r, NULL, "bad AllowedCPUs of", unit) : 0;
}

static int bus_set_allowed_cpus(void *userdata, const char *unit, hwloc_const_bitmap_t cpus,
                                Error *err)
{
        sd_bus *bus = userdata;
        _cleanup_(freep) uint8_t *bytes = NULL;
        size_t size = 0;
        if (cpuset_to_bytes(cpus, &bytes, &size) < 0)
                return error_fail(err, -ENOMEM, "out of memory");
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                               "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", unit, 1); /* runtime: gone at reboot */
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "AllowedCPUs");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', bytes, size);
        for (int i = 0; i < 3 && r >= 0; i++)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                sd_bus_message_unref(m);
                return bus_fail(err, r, NULL, "cannot build SetUnitProperties for", unit);
        }
        _cleanup_(bus_error_freep) sd_bus_error e = SD_BUS_ERROR_NULL;
        r = sd_bus_call(bus, m, 0, &e, NULL);
        sd_bus_message_unref(m);
        return r < 0 ? bus_fail(err, r, &e, "cannot set AllowedCPUs of", unit) : 0;
}

static int bus_active_state(void *userdata, const char *unit, char **ret, Error *err)
{
        sd_bus *bus = userdata;
        _cleanup_(freep) char *path = NULL;
        int r = unit_path(bus, unit, &path, err);
        if (r < 0)
                return r;
        _cleanup_(bus_error_freep) sd_bus_error e = SD_BUS_ERROR_NULL;
        r = sd_bus_get_property_string(bus, SD_DEST, path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &e, ret);
        return r < 0 ? bus_fail(err, r, &e, "cannot read ActiveState of", unit) : 0;
}

static int bus_job(sd_bus *bus, const char *method, const char *unit, Error *err)
{
        _cleanup_(bus_error_freep) sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, method, &e, &reply, "ss",
                                   unit, "replace");
        sd_bus_message_unref(reply);
        if (r < 0)
                return bus_fail(err, r, &e,
                                streq(method, "StartUnit") ? "cannot start" : "cannot stop", unit);
        return 0;
}

static int bus_start_unit(void *userdata, const char *unit, Error *err)
{
        return bus_job(userdata, "StartUnit", unit, err);
}

static int bus_stop_unit(void *userdata, const char *unit, Error *err)
{
        return bus_job(userdata, "StopUnit", unit, err);
}

static void bus_free(void *userdata)
{
        sd_bus_flush_close_unref(userdata);
}

static const SystemdOps bus_ops = {
    .get_allowed_cpus = bus_get_allowed_cpus,
    .set_allowed_cpus = bus_set_allowed_cpus,
    .active_state = bus_active_state,
    .start_unit = bus_start_unit,
    .stop_unit = bus_stop_unit,
    .free = bus_free,
};

int systemd_connect(const char *address, Systemd **ret, Error *err)
{
        sd_bus *bus = NULL;
        int r;
        if (address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return error_fail(err, -ENOTCONN, "cannot connect to systemd on %s: %s",
                                  address ? address : "the system bus", strerror(-r));
        }
        Systemd *s = systemd_new(&bus_ops, bus);
        if (!s) {
                sd_bus_unref(bus);
                return error_fail(err, -ENOMEM, "out of memory");
        }
        *ret = s;
        return 0;
}

#else

int systemd_connect(const char *address, Systemd **ret, Error *err)
{
        *ret = NULL;
        return error_fail(err, -ENOTSUP,
                          "vmslice was built without libsystemd and cannot talk to systemd");
}

#endif
