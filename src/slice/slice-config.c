/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "slice-config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "parse-util.h"
#include "spec.h"
#include "string-util.h"

_Static_assert(sizeof(SliceThp) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(SliceIrqbalance) == sizeof(int), "enums are stored as int");

typedef enum KeyType {
        T_BOOL,   /* yes/no */
        T_SWITCH, /* choices[0] -> false, choices[1] -> true */
        T_ENUM,   /* choices[i] -> i */
        T_UINT,   /* min..max */
} KeyType;

typedef struct Key {
        const char *name;
        KeyType type;
        size_t offset, size;
        const char *const *choices; /* NULL-terminated */
        unsigned min, max;
} Key;

static const char *const thp_names[] = {"never", "madvise", "always", "leave", NULL};
static const char *const irqbalance_names[] = {"ban", "stop", "leave", NULL};
static const char *const off_leave[] = {"leave", "off", NULL};
static const char *const governor_names[] = {"leave", "performance", NULL};
static const char *const cstates_names[] = {"leave", "shallow", NULL};

#define FIELD(f) offsetof(SliceSettings, f), sizeof(((SliceSettings *) 0)->f)

static const Key keys[] = {
    {"hugepages", T_BOOL, FIELD(hugepages), NULL, 0, 0},
    {"isolate", T_BOOL, FIELD(isolate), NULL, 0, 0},
    {"workqueues", T_BOOL, FIELD(workqueues), NULL, 0, 0},
    {"irqs", T_BOOL, FIELD(irqs), NULL, 0, 0},
    {"stat-interval", T_UINT, FIELD(stat_interval), NULL, 0, 86400},
    {"watchdog", T_SWITCH, FIELD(watchdog_off), off_leave, 0, 0},
    {"timer-migration", T_SWITCH, FIELD(timer_migration_off), off_leave, 0, 0},
    {"thp", T_ENUM, FIELD(thp), thp_names, 0, 0},
    {"ksm", T_SWITCH, FIELD(ksm_off), off_leave, 0, 0},
    {"governor", T_SWITCH, FIELD(governor_performance), governor_names, 0, 0},
    {"cstates", T_SWITCH, FIELD(cstates_shallow), cstates_names, 0, 0},
    {"cstate-max-latency-us", T_UINT, FIELD(cstate_max_latency_us), NULL, 0, 1000000},
    {"irqbalance", T_ENUM, FIELD(irqbalance), irqbalance_names, 0, 0},
    {"compact-tries", T_UINT, FIELD(compact_tries), NULL, 0, 100},
    {"compact-timeout-ms", T_UINT, FIELD(compact_timeout_ms), NULL, 0, 600000},
    {"drop-caches", T_BOOL, FIELD(drop_caches), NULL, 0, 0},
    {"partition", T_BOOL, FIELD(partition), NULL, 0, 0},
};

#define N_KEYS ELEMENTSOF(keys)
_Static_assert(N_KEYS < 32, "the set mask is 32 bits");

const char *slice_thp_to_string(SliceThp t)
{
        return (unsigned) t < ELEMENTSOF(thp_names) - 1 ? thp_names[t] : NULL;
}

const char *slice_irqbalance_to_string(SliceIrqbalance i)
{
        return (unsigned) i < ELEMENTSOF(irqbalance_names) - 1 ? irqbalance_names[i] : NULL;
}

void slice_settings_default(SliceSettings *s)
{
        *s = (SliceSettings){
            .hugepages = true,
            .isolate = true,
            .workqueues = true,
            .irqs = true,
            .stat_interval = 120,
            .watchdog_off = true,
            .timer_migration_off = true,
            .thp = SLICE_THP_NEVER,
            .ksm_off = true,
            .governor_performance = true,
            .cstates_shallow = true,
            .cstate_max_latency_us = 10,
            .irqbalance = SLICE_IRQBALANCE_BAN,
            .compact_tries = 3,
            .compact_timeout_ms = 2000,
            .drop_caches = true,
            .partition = false,
        };
}

typedef struct Section {
        char *name; /* NULL for [defaults] */
        unsigned line;
        SliceSettings settings;
        uint32_t set;              /* bit i: keys[i] given */
        unsigned key_line[N_KEYS]; /* where */
        int enabled;               /* -1: not given */
        unsigned enabled_line;
} Section;

struct SliceConfig {
        Section defaults;
        bool has_defaults;
        Section *vms;
        unsigned n_vms;
};

SliceConfig *slice_config_free(SliceConfig *c)
{
        if (!c)
                return NULL;
        for (unsigned i = 0; i < c->n_vms; i++)
                free(c->vms[i].name);
        free(c->vms);
        free(c);
        return NULL;
}

static SliceConfig *config_new(void)
{
        SliceConfig *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        slice_settings_default(&c->defaults.settings);
        c->defaults.enabled = -1;
        return c;
}

static const Section *find_vm(const SliceConfig *c, const char *name)
{
        for (unsigned i = 0; c && name && i < c->n_vms; i++)
                if (streq(c->vms[i].name, name))
                        return &c->vms[i];
        return NULL;
}

/* "yes or no", "never, madvise, always or leave" */
static const char *choices_str(const Key *k, char *buf, size_t size)
{
        if (k->type == T_BOOL)
                return "yes or no";
        if (k->type == T_UINT) {
                snprintf(buf, size, "a number from %u to %u", k->min, k->max);
                return buf;
        }
        size_t n = 0;
        while (k->choices[n])
                n++;
        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(buf);
                snprintf(buf + l, size - l, "%s%s",
                         i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ",
                         k->choices[i]);
        }
        return buf;
}

static int parse_bool(const char *v, bool *ret)
{
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(v, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (streq(v, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static int parse_value(const Key *k, const char *v, SliceSettings *s)
{
        char *field = (char *) s + k->offset;
        switch (k->type) {
        case T_BOOL: {
                bool b;
                if (parse_bool(v, &b) < 0)
                        return -EINVAL;
                *(bool *) field = b;
                return 0;
        }
        case T_SWITCH:
        case T_ENUM:
                for (int i = 0; k->choices[i]; i++)
                        if (streq(v, k->choices[i])) {
                                if (k->type == T_SWITCH)
                                        *(bool *) field = i == 1;
                                else
                                        *(int *) field = i;
                                return 0;
                        }
                return -EINVAL;
        case T_UINT: {
                unsigned u;
                if (safe_atou(v, &u) < 0 || u < k->min || u > k->max)
                        return -EINVAL;
                *(unsigned *) field = u;
                return 0;
        }
        }
        return -EINVAL;
}

typedef struct Parser {
        const char *src;
        unsigned line;
        Error *err;
        SliceConfig *c;
        Section *cur;
        char label[DOMAIN_NAME_MAX + 8]; /* "[defaults]", "[vm NAME]" */
} Parser;

static int parse_header(Parser *p, char *l)
{
        size_t len = strlen(l);
        if (len < 2 || l[len - 1] != ']')
                return error_input(p->err,
                                   "%s:%u: a section header is [defaults] or [vm NAME], not "
                                   "'%.64s'; see vmslice.conf(5)",
                                   p->src, p->line, l);
        l[len - 1] = 0;
        char *inner = strstrip(l + 1);
        SliceConfig *c = p->c;

        if (streq(inner, "defaults")) {
                if (c->has_defaults)
                        return error_input(p->err,
                                           "%s:%u: a second [defaults] section (the first is at "
                                           "line %u); merge them",
                                           p->src, p->line, c->defaults.line);
                c->has_defaults = true;
                c->defaults.line = p->line;
                p->cur = &c->defaults;
                snprintf(p->label, sizeof(p->label), "[defaults]");
                return 0;
        }
        const char *rest = startswith(inner, "vm");
        if (!rest || (*rest && !isspace((unsigned char) *rest)))
                return error_input(p->err,
                                   "%s:%u: unknown section [%.64s]; the sections are [defaults] "
                                   "and [vm NAME]; see vmslice.conf(5)",
                                   p->src, p->line, inner);
        char *name = strstrip((char *) rest);
        char why[128];
        if (!*name)
                return error_input(p->err,
                                   "%s:%u: [vm] needs the name of the VM, [vm NAME]; see "
                                   "vmslice.conf(5)",
                                   p->src, p->line);
        if (domain_name_check(name, why, sizeof(why)) < 0)
                return error_input(p->err,
                                   "%s:%u: the VM name in [vm %.64s] %s; use the libvirt domain "
                                   "name",
                                   p->src, p->line, name, why);
        const Section *dup = find_vm(c, name);
        if (dup)
                return error_input(p->err,
                                   "%s:%u: a second [vm %s] section (the first is at line %u); "
                                   "merge them",
                                   p->src, p->line, name, dup->line);
        if (c->n_vms >= SLICE_CONFIG_VMS_MAX)
                return error_input(p->err,
                                   "%s:%u: more than %u [vm NAME] sections; vmslice reads at most "
                                   "%u",
                                   p->src, p->line, SLICE_CONFIG_VMS_MAX, SLICE_CONFIG_VMS_MAX);
        Section *n = realloc(c->vms, (c->n_vms + 1) * sizeof(Section));
        if (!n)
                return error_fail(p->err, -ENOMEM, "out of memory");
        c->vms = n;
        Section *s = &c->vms[c->n_vms];
        *s = (Section){.line = p->line, .enabled = -1};
        s->name = strdup(name);
        if (!s->name)
                return error_fail(p->err, -ENOMEM, "out of memory");
        c->n_vms++;
        p->cur = s;
        snprintf(p->label, sizeof(p->label), "[vm %s]", name);
        return 0;
}

static int parse_assignment(Parser *p, char *l)
{
        char *eq = strchr(l, '=');
        if (!eq)
                return error_input(p->err,
                                   "%s:%u: expected 'key = value' or a [section], not '%.64s'; "
                                   "see vmslice.conf(5)",
                                   p->src, p->line, l);
        *eq = 0;
        char *key = strstrip(l), *value = strstrip(eq + 1);
        if (!*key)
                return error_input(p->err, "%s:%u: '= %.64s' has no key; see vmslice.conf(5)",
                                   p->src, p->line, value);
        if (!p->cur)
                return error_input(p->err,
                                   "%s:%u: '%.64s' comes before any section; put it under "
                                   "[defaults] or [vm NAME]",
                                   p->src, p->line, key);
        Section *s = p->cur;

        if (streq(key, "enabled")) {
                if (!s->name)
                        return error_input(p->err,
                                           "%s:%u: 'enabled' belongs in a [vm NAME] section (it "
                                           "opts one VM in or out), not in [defaults]",
                                           p->src, p->line);
                if (s->enabled >= 0)
                        return error_input(p->err,
                                           "%s:%u: 'enabled' is set twice in %s (first at line "
                                           "%u)",
                                           p->src, p->line, p->label, s->enabled_line);
                bool b;
                if (parse_bool(value, &b) < 0)
                        return error_input(p->err,
                                           "%s:%u: bad value '%.64s' for 'enabled' in %s; use yes "
                                           "or no",
                                           p->src, p->line, value, p->label);
                s->enabled = b;
                s->enabled_line = p->line;
                return 0;
        }

        size_t i = 0;
        while (i < N_KEYS && !streq(keys[i].name, key))
                i++;
        if (i == N_KEYS)
                return error_input(p->err, "%s:%u: unknown key '%.64s' in %s; see vmslice.conf(5)",
                                   p->src, p->line, key, p->label);
        const Key *k = &keys[i];
        if (s->set & (UINT32_C(1) << i))
                return error_input(p->err, "%s:%u: '%s' is set twice in %s (first at line %u)",
                                   p->src, p->line, k->name, p->label, s->key_line[i]);
        char buf[128];
        if (!*value)
                return error_input(p->err, "%s:%u: '%s' in %s has no value; use %s", p->src,
                                   p->line, k->name, p->label, choices_str(k, buf, sizeof(buf)));
        if (parse_value(k, value, &s->settings) < 0)
                return error_input(p->err, "%s:%u: bad value '%.64s' for '%s' in %s; use %s",
                                   p->src, p->line, value, k->name, p->label,
                                   choices_str(k, buf, sizeof(buf)));
        s->set |= UINT32_C(1) << i;
        s->key_line[i] = p->line;
        return 0;
}

int slice_config_parse(const char *text, const char *source, SliceConfig **ret, Error *err)
{
        if (!text || !ret)
                return -EINVAL;
        Parser p = {.src = source ? source : "vmslice.conf", .err = err};
        size_t total = strlen(text);
        if (total > SLICE_CONFIG_SIZE_MAX)
                return error_input(err, "%s: larger than %u KiB; vmslice reads at most that much",
                                   p.src, SLICE_CONFIG_SIZE_MAX / 1024);
        _cleanup_(slice_config_freep) SliceConfig *c = config_new();
        if (!c)
                return error_fail(err, -ENOMEM, "out of memory");
        p.c = c;

        char l[SLICE_CONFIG_LINE_MAX + 1];
        for (const char *s = text; *s;) {
                p.line++;
                size_t len = strcspn(s, "\n");
                if (len > SLICE_CONFIG_LINE_MAX)
                        return error_input(err,
                                           "%s:%u: line longer than %u bytes; vmslice reads lines "
                                           "up to that length",
                                           p.src, p.line, SLICE_CONFIG_LINE_MAX);
                memcpy(l, s, len);
                l[len] = 0;
                s += len;
                if (*s == '\n')
                        s++;

                l[strcspn(l, "#;")] = 0; /* comments (no name or value has '#' or ';') */
                strstrip(l);
                if (!*l)
                        continue;
                int r = l[0] == '[' ? parse_header(&p, l) : parse_assignment(&p, l);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(c);
        return 0;
}

int slice_config_load(const char *path, SliceConfig **ret, Error *err)
{
        if (!ret)
                return -EINVAL;
        if (!path)
                path = SLICE_CONFIG_PATH;
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT) {
                        SliceConfig *c = config_new();
                        if (!c)
                                return error_fail(err, -ENOMEM, "out of memory");
                        *ret = c;
                        return 0;
                }
                return error_fail(err, -errno, "cannot open %s: %s; check its permissions", path,
                                  strerror(errno));
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return error_fail(err, -errno, "cannot stat %s: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return error_input(err, "%s is not a regular file; make it the configuration file",
                                   path);
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        int r = read_fd_full(fd, SLICE_CONFIG_SIZE_MAX, &buf, &size);
        if (r == -EFBIG)
                return error_input(err, "%s: larger than %u KiB; vmslice reads at most that much",
                                   path, SLICE_CONFIG_SIZE_MAX / 1024);
        if (r < 0)
                return error_fail(err, r, "cannot read %s: %s", path, strerror(-r));
        if (memchr(buf, 0, size))
                return error_input(err, "%s: contains a NUL byte; it is not a text file", path);
        r = slice_config_parse(buf, path, ret, err);
        return r < 0 ? r : 1;
}

int slice_config_settings_for(const SliceConfig *c, const char *vm, SliceSettings *ret,
                              bool *ret_enabled)
{
        if (!ret)
                return -EINVAL;
        SliceSettings s;
        if (c)
                s = c->defaults.settings;
        else
                slice_settings_default(&s);
        const Section *v = find_vm(c, vm);
        if (v)
                for (size_t i = 0; i < N_KEYS; i++)
                        if (v->set & (UINT32_C(1) << i))
                                memcpy((char *) &s + keys[i].offset,
                                       (const char *) &v->settings + keys[i].offset, keys[i].size);
        *ret = s;
        bool said = v && v->enabled >= 0;
        if (ret_enabled)
                *ret_enabled = said && v->enabled == 1;
        return said ? 1 : 0;
}

bool slice_config_vm_enabled(const SliceConfig *c, const char *vm, bool managed)
{
        const Section *v = find_vm(c, vm);
        if (v && v->enabled >= 0)
                return v->enabled == 1;
        return managed;
}

unsigned slice_config_n_vms(const SliceConfig *c)
{
        return c ? c->n_vms : 0;
}

const char *slice_config_vm_name(const SliceConfig *c, unsigned i)
{
        return c && i < c->n_vms ? c->vms[i].name : NULL;
}
