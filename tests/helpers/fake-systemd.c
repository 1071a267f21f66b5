/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for systemd's manager on a private bus, for the CLI tests of vmslice's sd-bus code:
 *
 *   fake-systemd BUS-ADDRESS ROOT LOG
 *
 * owns org.freedesktop.systemd1 and answers what vmslice asks: Manager.LoadUnit, GetUnit,
 * SetUnitProperties (AllowedCPUs only; runtime must be true), StartUnit, StopUnit; a unit's
 * AllowedCPUs (Slice/Scope/Service interfaces) and ActiveState (Unit). Like systemd, AllowedCPUs
 * lands in ROOT/sys/fs/cgroup/UNIT/cpuset.cpus when that file exists. Every call is appended to
 * LOG as one line. Prints "ready" when its name is owned. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cpuset-util.h"

#define UNITS_MAX 16

typedef struct Unit {
        char name[64];
        uint8_t cpus[64];
        size_t n_cpus;
        const char *state;
} Unit;

static Unit units[UNITS_MAX];
static size_t n_units;
static const char *root, *log_path;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
        FILE *f = fopen(log_path, "ae");
        if (!f)
                return;
        va_list ap;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
        fclose(f);
}

static Unit *unit_get(const char *name)
{
        for (size_t i = 0; i < n_units; i++)
                if (strcmp(units[i].name, name) == 0)
                        return &units[i];
        const char *dot = strrchr(name, '.');
        if (n_units == UNITS_MAX || strlen(name) >= sizeof(units[0].name) || !dot ||
            (strcmp(dot, ".slice") && strcmp(dot, ".scope") && strcmp(dot, ".service")))
                return NULL;
        Unit *u = &units[n_units++];
        snprintf(u->name, sizeof(u->name), "%s", name);
        u->state = "active";
        return u;
}

/* Reads the unit name (and a second string, when ret_mode) of a call; NULL with e set when
 * there is no such unit. */
static Unit *call_unit(sd_bus_message *m, const char **ret_name, const char **ret_mode,
                       sd_bus_error *e)
{
        int r = ret_mode ? sd_bus_message_read(m, "ss", ret_name, ret_mode)
                         : sd_bus_message_read(m, "s", ret_name);
        Unit *u = r >= 0 ? unit_get(*ret_name) : NULL;
        if (!u)
                sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.",
                                  r >= 0 ? *ret_name : "?");
        return u;
}

static int unit_object(sd_bus_message *m, const char *name, sd_bus_error *e)
{
        char *path = NULL;
        int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, &path);
        if (r < 0)
                return r;
        r = sd_bus_reply_method_return(m, "o", path);
        free(path);
        return r;
}

static int method_load_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
        const char *name;
        if (!call_unit(m, &name, NULL, e))
                return -ENOENT;
        logf_("%s %s", sd_bus_message_get_member(m), name);
        return unit_object(m, name, e);
}

static void cgroup_write(const Unit *u)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s/cpuset.cpus", root, u->name);
        FILE *f = access(path, F_OK) == 0 ? fopen(path, "we") : NULL;
        if (!f)
                return;
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        cpuset_from_bytes(u->cpus, u->n_cpus, set);
        char *list = cpuset_format_list(set);
        fprintf(f, "%s\n", list ? list : "");
        free(list);
        hwloc_bitmap_free(set);
        fclose(f);
}

static int method_set_properties(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
        const char *name, *prop;
        int runtime;
        int r = sd_bus_message_read(m, "sb", &name, &runtime);
        if (r < 0)
                return r;
        Unit *u = unit_get(name);
        if (!u)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit",
                                         "Unit %s not found.", name);
        if (!runtime)
                return sd_bus_error_setf(e, SD_BUS_ERROR_INVALID_ARGS,
                                         "the fake only takes runtime properties");
        r = sd_bus_message_enter_container(m, 'a', "(sv)");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &prop);
                if (r < 0)
                        return r;
                if (strcmp(prop, "AllowedCPUs") != 0)
                        return sd_bus_error_setf(e, SD_BUS_ERROR_PROPERTY_READ_ONLY,
                                                 "Cannot set property %s", prop);
                r = sd_bus_message_enter_container(m, 'v', "ay");
                const void *bytes;
                size_t size;
                if (r >= 0)
                        r = sd_bus_message_read_array(m, 'y', &bytes, &size);
                if (r < 0)
                        return r;
                if (size > sizeof(u->cpus))
                        return sd_bus_error_setf(e, SD_BUS_ERROR_INVALID_ARGS, "too many CPUs");
                memcpy(u->cpus, bytes, size);
                u->n_cpus = size;
                hwloc_bitmap_t set = hwloc_bitmap_alloc();
                cpuset_from_bytes(bytes, size, set);
                char *list = cpuset_format_list(set);
                logf_("SetUnitProperties %s runtime AllowedCPUs=%s", name, list ? list : "?");
                free(list);
                hwloc_bitmap_free(set);
                cgroup_write(u);
                r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_job(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
        const char *name, *mode;
        Unit *u = call_unit(m, &name, &mode, e);
        if (!u)
                return -ENOENT;
        bool start = strcmp(sd_bus_message_get_member(m), "StartUnit") == 0;
        u->state = start ? "active" : "inactive";
        logf_("%s %s %s", sd_bus_message_get_member(m), name, mode);
        return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/1");
}

static Unit *unit_of_path(const char *path)
{
        char *name = NULL;
        if (sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &name) <= 0)
                return NULL;
        Unit *u = unit_get(name);
        free(name);
        return u;
}

static int prop_allowed_cpus(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *e)
{
        Unit *u = unit_of_path(path);
        if (!u)
                return sd_bus_error_setf(e, SD_BUS_ERROR_UNKNOWN_OBJECT, "no unit at %s", path);
        return sd_bus_message_append_array(reply, 'y', u->cpus, u->n_cpus);
}

static int prop_active_state(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *e)
{
        Unit *u = unit_of_path(path);
        if (!u)
                return sd_bus_error_setf(e, SD_BUS_ERROR_UNKNOWN_OBJECT, "no unit at %s", path);
        return sd_bus_message_append(reply, "s", u->state);
}

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("LoadUnit", "s", "o", method_load_unit, 0),
    SD_BUS_METHOD("GetUnit", "s", "o", method_load_unit, 0),
    SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", method_set_properties, 0),
    SD_BUS_METHOD("StartUnit", "ss", "o", method_job, 0),
    SD_BUS_METHOD("StopUnit", "ss", "o", method_job, 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable cgroup_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("AllowedCPUs", "ay", prop_allowed_cpus, 0, 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable unit_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("ActiveState", "s", prop_active_state, 0, 0),
    SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: fake-systemd BUS-ADDRESS ROOT LOG\n");
                return 2;
        }
        root = argv[2];
        log_path = argv[3];
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager", manager_vtable,
                                             NULL);
        static const char *const cgroup_ifaces[] = {"org.freedesktop.systemd1.Slice",
                                                    "org.freedesktop.systemd1.Scope",
                                                    "org.freedesktop.systemd1.Service"};
        for (size_t i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_add_fallback_vtable(bus, NULL, "/org/freedesktop/systemd1/unit",
                                               cgroup_ifaces[i], cgroup_vtable, NULL, NULL);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, NULL, "/org/freedesktop/systemd1/unit",
                                               "org.freedesktop.systemd1.Unit", unit_vtable, NULL,
                                               NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
        if (r < 0) {
                fprintf(stderr, "fake-systemd: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        break;
        }
        sd_bus_unref(bus);
        return 0;
}
