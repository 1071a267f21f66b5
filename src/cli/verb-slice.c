/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "check.h"
#include "cli.h"
#include "cpuset-util.h"
#include "fileio.h"
#include "json-writer.h"
#include "parse-util.h"
#include "qemu-proc.h"
#include "slice.h"
#include "string-util.h"

/* prepare, release, status, restore: the runtime slice by hand (the hook calls the same code). */

/* The state directory (cli_state_dir(): never the live one under --root), opened. */
static int open_state(const CliContext *ctx, State **ret)
{
        Error err = {0};
        _cleanup_(freep) char *dir = NULL;
        int r = cli_state_dir(ctx, true, &dir);
        if (r != 0)
                return r;
        return state_open(dir, ret, &err) < 0 ? cli_error(&err) : 0;
}

static void print_report(const SliceReport *rep, bool dry_run)
{
        for (size_t i = 0; i < rep->n; i++) {
                const SliceChange *c = &rep->changes[i];
                if (!c->to)
                        printf("%s: '%s' kept (%s)\n", c->path, c->from ? c->from : "",
                               c->note ? c->note : "refused");
                else
                        printf("%s%s: '%s' -> '%s'%s\n", dry_run ? "would change " : "", c->path,
                               c->from ? c->from : "", c->to,
                               c->note && streq(c->note, "restore") ? " (original)" : "");
        }
        char line[1024];
        for (char **n = rep->notes; n && *n; n++)
                fprintf(stderr, "vmslice: note: %s\n", escape_controls(*n, line, sizeof(line)));
}

#define CONFIG_PATH "/etc/vmslice/vmslice.conf"
#define HOOKS_DIR   "/etc/libvirt/hooks/qemu.d"

/* The settings file, read through the host (so a fixture root can carry one); none is fine. */
static int load_config(Host *h, SliceConfig **ret)
{
        Error err = {0};
        _cleanup_(freep) char *text = NULL;
        int r = host_read_file(h, CONFIG_PATH, 64 * 1024, &text);
        *ret = NULL;
        if (r == -ENOENT)
                return 0;
        if (r == -EFBIG)
                return cli_errorf(EXIT_USAGE,
                                  "%s is larger than 64 KiB; see vmslice.conf in docs/slice.md",
                                  CONFIG_PATH);
        if (r == -EBADFD || r == -EISDIR || r == -EBADMSG)
                return cli_errorf(EXIT_USAGE, "cannot read %s: %s; make it a text file",
                                  CONFIG_PATH,
                                  r == -EBADMSG ? "it is not text (it holds a NUL byte)"
                                                : regular_file_strerror(r));
        if (r < 0)
                return cli_errorf(EXIT_FAIL, "cannot read %s: %s", CONFIG_PATH, strerror(-r));
        if (slice_config_parse(text, CONFIG_PATH, ret, &err) < 0)
                return cli_error(&err);
        return 0;
}

static void shared_policy(const SliceConfig *c, SlicePolicy *p)
{
        SliceSettings s;
        (void) slice_config_settings_for(c, NULL, &s, NULL);
        slice_policy_from_settings(&s, p);
}

/* A VM's own settings decide what its slice holds. */
static void apply_vm_settings(const SliceConfig *c, SliceSpec *spec)
{
        SliceSettings s;
        (void) slice_config_settings_for(c, spec->name, &s, NULL);
        if (!s.hugepages)
                spec->n_hugepages = 0;
        if (!s.isolate) {
                hwloc_bitmap_zero(spec->cpus);
                hwloc_bitmap_zero(spec->vcpu_cpus);
        }
}

static int open_all(const CliContext *ctx, Host **ret_h, Topology **ret_t, State **ret_st)
{
        int r = ret_t ? cli_open_topology(ctx, ret_h, ret_t) : cli_open_host(ctx, ret_h);
        if (r != 0)
                return r;
        return open_state(ctx, ret_st);
}

void slice_env_done(SliceEnv *e)
{
        slice_config_free(e->conf);
        state_close(e->st);
        topology_free(e->t);
        host_free(e->h);
        *e = (SliceEnv){0};
}

int cli_slice_settings(Host *h, SliceConfig **ret_conf, SlicePolicy *ret_policy)
{
        int r = load_config(h, ret_conf);
        if (r == 0)
                shared_policy(*ret_conf, ret_policy);
        return r;
}

int slice_env_open(const CliContext *ctx, SliceEnv *e)
{
        int r = open_all(ctx, &e->h, &e->t, &e->st);
        return r == 0 ? cli_slice_settings(e->h, &e->conf, &e->policy) : r;
}

/* The options of prepare, release and restore, and of status. */
static const CliOption dry_run_options[] = {
    {"dry-run", no_argument, 'n', 0, NULL,
     "print every change (path, old -> new) and change nothing"},
    CLI_OPTION_HELP,
    {},
};
static const CliOptionGroup dry_run_groups[] = {
    {NULL, dry_run_options},
    {},
};
static const CliOption json_options[] = {
    {"json", no_argument, 'j', 0, NULL, "machine-readable output (documented in docs/json.md)"},
    CLI_OPTION_HELP,
    {},
};
static const CliOptionGroup json_groups[] = {
    {NULL, json_options},
    {},
};

/* Parses the one flag of groups (--dry-run or --json) into *flag; -1 after printing the help. */
static int simple_options(const char *verb, const CliOptionGroup *groups, int argc, char **argv,
                          bool *flag, void (*help)(void))
{
        CliGetopt g;
        int c;
        cli_getopt_init(&g, groups);
        while ((c = cli_getopt(&g, argc, argv)) >= 0)
                switch (c) {
                case 'n':
                case 'j':
                        *flag = true;
                        break;
                case 'h':
                        help();
                        cli_options_help(stdout, groups);
                        return -1;
                default:
                        return cli_bad_option(verb, argv);
                }
        return 0;
}

static void help_prepare(void)
{
        printf(
            "Usage: vmslice [--root DIR] [--state-dir DIR] prepare DOMAIN.xml|- [--dry-run]\n\n"
            "Gives a VM its slice of the host, as the libvirt hook does at 'prepare begin':\n"
            "reserves its hugepages per NUMA node, keeps host tasks, workqueues and IRQs off its\n"
            "CPUs, and sets the noise knobs; every original value is journaled first.\n\n");
}

int verb_prepare(const CliContext *ctx, int argc, char **argv)
{
        bool dry_run = false;
        int r = simple_options("prepare", dry_run_groups, argc, argv, &dry_run, help_prepare);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        if (optind + 1 != argc)
                return cli_errorf(EXIT_USAGE, "prepare takes one DOMAIN.xml (or - for stdin)");
        Error err = {0};
        _cleanup_(domain_freep) Domain *d = NULL;
        if (domain_load_file(argv[optind], &d, &err) < 0)
                return cli_error(&err);
        _cleanup_(slice_env_done) SliceEnv e = {0};
        r = slice_env_open(ctx, &e);
        if (r != 0)
                return r;
        _cleanup_(slice_spec_freep) SliceSpec *spec = NULL;
        if (slice_spec_from_domain(d, e.t, &spec, &err) < 0)
                return cli_error(&err);
        apply_vm_settings(e.conf, spec);
        _cleanup_(slice_report_done) SliceReport rep = {0};
        r = slice_prepare(e.h, e.t, e.st, spec, &e.policy, dry_run, &rep, &err);
        print_report(&rep, dry_run);
        if (r < 0)
                return cli_error(&err);
        return EXIT_OK;
}

static void help_release(void)
{
        printf(
            "Usage: vmslice [--root DIR] [--state-dir DIR] release NAME [--dry-run]\n\n"
            "Gives a VM's slice back, as the hook does at 'release end'. Knobs other prepared VMs\n"
            "still want stay; the last VM out restores them.\n\n");
}

int verb_release(const CliContext *ctx, int argc, char **argv)
{
        bool dry_run = false;
        int r = simple_options("release", dry_run_groups, argc, argv, &dry_run, help_release);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        if (optind + 1 != argc)
                return cli_errorf(EXIT_USAGE, "release takes one VM NAME");
        _cleanup_(slice_env_done) SliceEnv e = {0};
        r = slice_env_open(ctx, &e);
        if (r != 0)
                return r;
        Error err = {0};
        _cleanup_(slice_report_done) SliceReport rep = {0};
        r = slice_release(e.h, e.t, e.st, argv[optind], &e.policy, dry_run, &rep, &err);
        print_report(&rep, dry_run);
        return r < 0 ? cli_error(&err) : EXIT_OK;
}

static void help_restore(void)
{
        printf(
            "Usage: vmslice [--root DIR] [--state-dir DIR] restore [--dry-run]\n\n"
            "Undoes everything vmslice changed, whatever state it was left in (a crash, a VM that\n"
            "never released): every journaled original is written back, newest first.\n\n");
}

int verb_restore(const CliContext *ctx, int argc, char **argv)
{
        bool dry_run = false;
        int r = simple_options("restore", dry_run_groups, argc, argv, &dry_run, help_restore);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        if (optind != argc)
                return cli_errorf(EXIT_USAGE, "restore takes no arguments");
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(state_closep) State *st = NULL;
        r = open_all(ctx, &h, NULL, &st);
        if (r != 0)
                return r;
        Error err = {0};
        _cleanup_(slice_report_done) SliceReport rep = {0};
        r = slice_restore(h, st, dry_run, &rep, &err);
        print_report(&rep, dry_run);
        if (r < 0)
                return cli_error(&err);
        if (rep.n == 0 && !rep.notes)
                printf("nothing to restore: no journaled changes in %s\n", state_dir(st));
        return EXIT_OK;
}

static void help_status(void)
{
        printf("Usage: vmslice [--root DIR] [--state-dir DIR] status [--json]\n\n"
               "Which slices are active, for which VMs, and every knob vmslice changed with its\n"
               "original and current value.\n\n");
}

/* Whether the VM's QEMU runs now, and what the hook found of its threads at 'started begin'
 * ("LEVEL CODE: message" lines) with the time it was recorded. The findings of a VM whose QEMU
 * is gone are history: JSON keeps them with "running": false, the text leaves them out. */
static void print_vm_run(Host *h, State *st, const char *name, JsonWriter *w)
{
        unsigned pid = 0;
        int running = qemu_domain_running(h, name, &pid);
        _cleanup_(freep) char *text = NULL;
        time_t when = 0;
        bool have = state_read_placement(st, name, &text, &when) >= 0;
        char stamp[64] = "";
        struct tm tm;
        if (have && localtime_r(&when, &tm))
                strftime(stamp, sizeof(stamp), w ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M:%S %Z",
                         &tm);
        if (w) {
                json_bool(w, "running", running > 0);
                if (running > 0)
                        json_uint(w, "pid", pid);
                else
                        json_null(w, "pid");
                json_string(w, "placement_time", have ? stamp : NULL);
                json_begin_array(w, "placement");
        } else if (running > 0)
                printf("    qemu: pid %u runs it\n", pid);
        else {
                if (running == 0)
                        printf("    qemu: not running (no " QEMU_PIDFILE_DIR "/%s.pid)", name);
                else if (running == -ESRCH && pid)
                        printf("    qemu: not running (pid %u of " QEMU_PIDFILE_DIR
                               "/%s.pid is gone)",
                               pid, name);
                else
                        printf("    qemu: unknown (%s)", strerror(-running));
                printf("; the slice is still held: 'vmslice release %s' gives it back\n", name);
                if (have)
                        printf("    (the findings of its start at %s are not shown: they are no "
                               "longer current)\n",
                               stamp);
                have = false;
        }
        if (have && !w)
                printf("    at 'started begin', %s:\n", stamp);
        char *save = NULL;
        for (char *line = have ? strtok_r(text, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save)) {
                char *code = strchr(line, ' '), *msg = code ? strstr(code, ": ") : NULL;
                if (!msg)
                        continue;
                *code++ = 0;
                *msg = 0;
                msg += 2;
                if (!w) {
                        printf("      %-4s %s: %s\n", line, code, msg);
                        continue;
                }
                json_begin_object(w, NULL);
                json_string(w, "level", line);
                json_string(w, "code", code);
                json_string(w, "message", msg);
                json_end_object(w);
        }
        if (w)
                json_end_array(w);
}

int verb_status(const CliContext *ctx, int argc, char **argv)
{
        bool json = false;
        int r = simple_options("status", json_groups, argc, argv, &json, help_status);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        if (optind != argc)
                return cli_errorf(EXIT_USAGE, "status takes no arguments");
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(state_closep) State *st = NULL;
        r = open_all(ctx, &h, NULL, &st);
        if (r != 0)
                return r;
        Error err = {0};
        _cleanup_(strv_freep) char **names = NULL;
        if (state_list_vms(st, &names, &err) < 0)
                return cli_error(&err);
        JsonWriter w = {0};
        if (json) {
                json_begin_object(&w, NULL);
                json_uint(&w, "version", 1);
                json_string(&w, "state_dir", state_dir(st));
                json_begin_array(&w, "vms");
        } else
                printf("state directory %s: %zu VM%s prepared\n", state_dir(st), strv_length(names),
                       strv_length(names) == 1 ? "" : "s");
        for (char **n = names; *n; n++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(slice_spec_freep) SliceSpec *s = NULL;
                Error e = {0};
                if (state_read_vm(st, *n, &text, &e) < 0 || slice_spec_parse(text, &s, &e) < 0) {
                        if (!json)
                                printf("  %s: unreadable slice record (%s)\n", *n, e.msg);
                        continue;
                }
                _cleanup_(freep) char *cpus = cpuset_format_list(s->cpus);
                if (json) {
                        json_begin_object(&w, NULL);
                        json_string(&w, "name", s->name);
                        json_string(&w, "cpus", cpus);
                        json_bool(&w, "pinned", s->pinned);
                        json_begin_array(&w, "hugepages");
                        for (unsigned i = 0; i < s->n_hugepages; i++) {
                                json_begin_object(&w, NULL);
                                json_uint(&w, "node", s->hugepages[i].node);
                                json_uint(&w, "page_size_bytes", s->hugepages[i].page_size);
                                json_uint(&w, "count", s->hugepages[i].count);
                                json_end_object(&w);
                        }
                        json_end_array(&w);
                        print_vm_run(h, st, s->name, &w);
                        json_end_object(&w);
                } else {
                        printf("  %s: cpus %s%s", s->name, cpus && *cpus ? cpus : "none",
                               s->pinned ? ""
                                         : " (the domain has no vCPU pins: nothing is forced)");
                        for (unsigned i = 0; i < s->n_hugepages; i++) {
                                char sz[FORMAT_BYTES_MAX];
                                printf("; %llu x %s pages on node %u",
                                       (unsigned long long) s->hugepages[i].count,
                                       format_bytes(sz, sizeof(sz), s->hugepages[i].page_size),
                                       s->hugepages[i].node);
                        }
                        printf("\n");
                        print_vm_run(h, st, s->name, NULL);
                }
        }
        if (json) {
                json_end_array(&w);
                json_begin_array(&w, "knobs");
        } else if (state_n_originals(st) > 0)
                printf("changed knobs (original -> current):\n");
        for (size_t i = 0; i < state_n_originals(st); i++) {
                const char *path = state_original_path(st, i);
                _cleanup_(freep) char *cur = NULL;
                bool ok = slice_current_value(h, path, &cur) >= 0;
                if (json) {
                        json_begin_object(&w, NULL);
                        json_string(&w, "path", path);
                        json_string(&w, "original", state_original_value(st, i));
                        json_string(&w, "current", ok ? cur : NULL);
                        json_end_object(&w);
                } else
                        printf("  %s: '%s' -> '%s'\n", path, state_original_value(st, i),
                               ok ? cur : "(gone)");
        }
        if (json) {
                json_end_array(&w);
                json_end_object(&w);
                return cli_print_json(&w);
        }
        return EXIT_OK;
}

/* ---- the libvirt hook ---- */

static const CliOption hook_options[] = {
    {"hooks-dir", required_argument, 'd', 0, "DIR",
     "libvirt's qemu.d directory (default " HOOKS_DIR ")"},
    {"binary", required_argument, 'b', 0, "PATH",
     "the vmslice the script runs (default: this program)"},
    CLI_OPTION_HELP,
    {},
};
static const CliOptionGroup hook_groups[] = {
    {NULL, hook_options},
    {},
};

static void help_hook(void)
{
        printf(
            "Usage: vmslice hook install [--hooks-dir DIR] [--binary PATH]\n"
            "       vmslice hook uninstall [--hooks-dir DIR]\n"
            "       vmslice hook print [--binary PATH]\n"
            "       vmslice hook run NAME OPERATION SUBOPERATION [EXTRA]   (libvirt calls this)\n\n"
            "install puts a hook script 'vmslice' into libvirt's qemu.d directory "
            "(default\n" HOOKS_DIR
            "), which libvirt 6.5 and later run natively; it never touches a user's own\n"
            "/etc/libvirt/hooks/qemu. The hook acts on domains that opted in (vmslice metadata\n"
            "written by 'vmslice apply', or '[vm NAME] enabled = yes' in " CONFIG_PATH ")\n"
            "and exits 0 silently for the others: 'prepare begin' gives the VM its slice (a "
            "failure\n"
            "stops the VM from starting, with one line libvirt shows), 'release end' gives it "
            "back,\n"
            "'started begin' (the VM's threads and cgroups exist) and 'reconnect begin' (after a\n"
            "libvirtd restart) re-check the slices. It reads the domain\n"
            "XML libvirt passes on stdin and never calls the libvirt API. print writes the script\n"
            "install would write on stdout (the build installs it as\n"
            "DATADIR/vmslice/hooks/qemu.d/vmslice for packages to place).\n\n");
        cli_options_help(stdout, hook_groups);
}

/* At 'started begin': where the VM's threads may run, checked as 'vmslice check' does (without
 * waiting for IRQs), recorded for status. Nothing is forced: a domain without pins is reported,
 * and a check that cannot run is recorded as such; the VM starts either way. */
static void record_placement(Host *h, const Topology *t, State *st, const Domain *d,
                             const SlicePolicy *p)
{
        Error err = {0};
        _cleanup_(qemu_proc_freep) QemuProc *q = NULL;
        _cleanup_(check_result_done) CheckResult res = {0};
        SBuf b = {0};
        if (check_load_qemu(h, d, 0, &q, &err) >= 0) {
                CheckInput in = {
                    .host = h,
                    .topology = t,
                    .domain = d,
                    .qemu = q,
                    .state = st,
                    .policy = p,
                    .slice_wanted = true,
                };
                if (check_run(&in, &res, &err) >= 0)
                        for (size_t i = 0; i < res.n; i++)
                                sbuf_appendf(&b, "%s %s: %s\n",
                                             check_level_to_string(res.findings[i].level),
                                             res.findings[i].code, res.findings[i].message);
        }
        if (err.code)
                sbuf_appendf(&b, "warn placement: not checked: %s\n", err.msg);
        _cleanup_(freep) char *text = sbuf_steal(&b);
        if (text)
                (void) state_write_placement(st, d->name, text, NULL);
}

static int hook_run(const CliContext *ctx, int argc, char **argv)
{
        if (argc < 3)
                return cli_errorf(EXIT_USAGE, "hook run needs NAME OPERATION SUBOPERATION");
        const char *name = argv[0], *op = argv[1], *sub = argv[2];
        bool prepare = streq(op, "prepare") && streq(sub, "begin");
        bool release = streq(op, "release") && streq(sub, "end");
        bool reconnect = streq(op, "reconnect") && streq(sub, "begin");
        /* the VM's threads and cgroups exist now: the partitions of partition = yes */
        bool started = streq(op, "started") && streq(sub, "begin");
        if (!prepare && !release && !reconnect && !started)
                return EXIT_OK;

        Error err = {0};
        _cleanup_(host_freep) Host *h = NULL;
        int r = cli_open_host(ctx, &h);
        if (r != 0)
                return r;
        _cleanup_(slice_config_freep) SliceConfig *conf = NULL;
        r = load_config(h, &conf);
        if (r != 0)
                return r;
        SlicePolicy p;
        shared_policy(conf, &p);

        if (release) {
                /* no XML needed; release only what a prepare recorded */
                _cleanup_(state_closep) State *st = NULL;
                r = open_state(ctx, &st);
                if (r != 0)
                        return r;
                if (!state_has_vm(st, name))
                        return EXIT_OK;
                _cleanup_(topology_freep) Topology *t = NULL;
                if (topology_load(h, &t, &err) < 0)
                        return cli_error(&err);
                _cleanup_(slice_report_done) SliceReport rep = {0};
                if (slice_release(h, t, st, name, &p, false, &rep, &err) < 0)
                        return cli_error(&err);
                return EXIT_OK;
        }

        /* a name vmslice would refuse must not keep a domain that did not opt in from starting:
         * read any name libvirt allows, check it once the domain turns out to be vmslice's */
        _cleanup_(domain_freep) Domain *d = NULL;
        if (domain_load_file_flags("-", DOMAIN_ANY_NAME, &d, &err) < 0)
                return cli_error(&err);
        if (!streq(d->name, name))
                return cli_errorf(EXIT_USAGE,
                                  "hook: libvirt named '%.64s' but the XML on stdin is '%.64s'",
                                  name, d->name);
        ManagedInfo m = {0};
        if (domain_managed_info(d, &m) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");
        bool managed = m.managed;
        managed_info_done(&m);
        if (!slice_config_vm_enabled(conf, d->name, managed))
                return EXIT_OK; /* not opted in: not vmslice's business */
        char why[128];
        if (domain_name_check(d->name, why, sizeof(why)) < 0)
                return cli_errorf(EXIT_USAGE,
                                  "hook: the domain name '%.64s' %s; rename the domain, or take "
                                  "vmslice's metadata out of it to start it without a slice",
                                  d->name, why);

        _cleanup_(topology_freep) Topology *t = NULL;
        if (topology_load(h, &t, &err) < 0)
                return cli_error(&err);
        _cleanup_(state_closep) State *st = NULL;
        r = open_state(ctx, &st);
        if (r != 0)
                return r;
        _cleanup_(slice_report_done) SliceReport rep = {0};
        if (started && !state_has_vm(st, name))
                return EXIT_OK;
        if (started) {
                if (slice_reconcile(h, t, st, &p, false, &rep, &err) < 0)
                        return cli_error(&err);
                record_placement(h, t, st, d, &p);
                return EXIT_OK;
        }
        if (reconnect) {
                if (slice_reconcile(h, t, st, &p, false, &rep, &err) < 0)
                        return cli_error(&err);
                return EXIT_OK;
        }
        _cleanup_(slice_spec_freep) SliceSpec *spec = NULL;
        if (slice_spec_from_domain(d, t, &spec, &err) < 0)
                return cli_error(&err);
        apply_vm_settings(conf, spec);
        if (slice_prepare(h, t, st, spec, &p, false, &rep, &err) < 0)
                return cli_error(&err);
        return EXIT_OK;
}

/* The hook script: one text for 'hook install' and 'hook print'. binary NULL: this program. */
static int hook_script(const char *binary, char **ret)
{
        char self[4096];
        if (!binary) {
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n <= 0)
                        return cli_errorf(EXIT_FAIL, "cannot find the vmslice binary: %s",
                                          strerror(errno));
                self[n] = 0;
                binary = self;
        } else if (binary[0] != '/')
                return cli_errorf(EXIT_USAGE, "hook: --binary must be an absolute path");
        if (strchr(binary, '\'') || strchr(binary, '\n'))
                return cli_errorf(EXIT_FAIL,
                                  "the vmslice binary's path %s cannot be put in a script", binary);
        *ret = strdup_printf("#!/bin/sh\n"
                             "# vmslice's libvirt hook: libvirt runs every program in " HOOKS_DIR
                             "\n# written by 'vmslice hook install' or 'vmslice hook print'; see "
                             "vmslice(8)\n"
                             "exec '%s' hook run \"$@\"\n",
                             binary);
        return *ret ? 0 : cli_errorf(EXIT_FAIL, "out of memory");
}

static int hook_uninstall(const char *dir)
{
        _cleanup_(freep) char *path = strdup_printf("%s/vmslice", dir);
        if (!path)
                return cli_errorf(EXIT_FAIL, "out of memory");
        if (unlink(path) < 0 && errno != ENOENT)
                return cli_errorf(EXIT_FAIL, "cannot remove %s: %s", path, strerror(errno));
        printf("removed %s\n", path);
        return EXIT_OK;
}

static int hook_install(const char *dir, const char *binary)
{
        _cleanup_(freep) char *path = strdup_printf("%s/vmslice", dir), *script = NULL;
        if (!path)
                return cli_errorf(EXIT_FAIL, "out of memory");
        int r = hook_script(binary, &script);
        if (r != 0)
                return r;
        _cleanup_(freep) char *parent = strdup(dir);
        if (!parent)
                return cli_errorf(EXIT_FAIL, "out of memory");
        /* libvirt runs every executable in qemu.d; create it (and hooks/) when missing */
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = 0;
                (void) mkdir(parent, 0755);
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return cli_errorf(EXIT_FAIL, "cannot create %s: %s", dir, strerror(errno));
        r = cli_write_output(path, script);
        if (r != EXIT_OK)
                return r;
        if (chmod(path, 0755) < 0)
                return cli_errorf(EXIT_FAIL, "cannot make %s executable: %s", path,
                                  strerror(errno));
        printf("installed %s; libvirt runs it from the next VM start (restart libvirtd if it was "
               "started before %s existed)\n",
               path, dir);
        return EXIT_OK;
}

int verb_hook(const CliContext *ctx, int argc, char **argv)
{
        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                help_hook();
                return argc < 2 ? EXIT_USAGE : EXIT_OK;
        }
        /* libvirt's arguments are not options (EXTRA is often "-") */
        if (streq(argv[1], "run"))
                return hook_run(ctx, argc - 2, argv + 2);
        const char *cmd = argv[1], *dir = NULL, *binary = NULL;
        if (!streq(cmd, "install") && !streq(cmd, "uninstall") && !streq(cmd, "print"))
                return cli_errorf(
                    EXIT_USAGE, "hook: unknown command '%s'; use install, uninstall, print or run",
                    cmd);
        CliGetopt g;
        int c;
        cli_getopt_init(&g, hook_groups);
        while ((c = cli_getopt(&g, argc - 1, argv + 1)) >= 0)
                switch (c) {
                case 'd':
                        dir = optarg;
                        break;
                case 'b':
                        binary = optarg;
                        break;
                case 'h':
                        help_hook();
                        return EXIT_OK;
                default:
                        return cli_bad_option("hook", argv + 1);
                }
        if (optind + 1 < argc)
                return cli_errorf(EXIT_USAGE, "hook %s: unknown argument '%s'", cmd,
                                  argv[optind + 1]);
        if (dir && streq(cmd, "print"))
                return cli_errorf(EXIT_USAGE,
                                  "hook print: --hooks-dir is for install and uninstall");
        if (binary && streq(cmd, "uninstall"))
                return cli_errorf(EXIT_USAGE, "hook uninstall: --binary is for install and print");
        if (dir && dir[0] != '/')
                return cli_errorf(EXIT_USAGE, "--hooks-dir must be an absolute path");
        if (streq(cmd, "print")) {
                _cleanup_(freep) char *script = NULL;
                int r = hook_script(binary, &script);
                if (r == 0)
                        fputs(script, stdout);
                return r;
        }
        /* under --root DIR the hook goes into that tree, never the live /etc/libvirt */
        _cleanup_(freep) char *own = NULL;
        if (!dir) {
                int r = cli_root_dir_path(ctx, "hook", "--hooks-dir DIR", HOOKS_DIR, &own);
                if (r != 0)
                        return r;
                dir = own;
        }
        if (streq(cmd, "uninstall"))
                return hook_uninstall(dir);
        return hook_install(dir, binary);
}
