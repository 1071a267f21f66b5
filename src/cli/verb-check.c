/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "apply.h"
#include "check.h"
#include "cli.h"
#include "cpuset-util.h"
#include "json-writer.h"
#include "parse-util.h"
#include "qemu-proc.h"
#include "string-util.h"

/* `vmslice check`: a running VM's threads, IRQs, memory and slice against its domain. */

#define INTERVAL_MAX_MS (3600U * 1000)

enum {
        ARG_PID = 0x100,
        ARG_INTERVAL,
        ARG_CONNECT,
        ARG_JSON,
};

static const CliOption options[] = {
    {"pid", required_argument, ARG_PID, 0, "PID", "the VM's QEMU process"},
    {"interval", required_argument, ARG_INTERVAL, 0, "SECONDS",
     "how long to count IRQs on the VM's CPUs (default 1, up to\n"
     "3600, fractions like 0.5; 0: do not count)"},
    {"connect", required_argument, ARG_CONNECT, 0, "URI", "libvirt URI (default qemu:///system)"},
    {"json", no_argument, ARG_JSON, 0, NULL, "machine-readable findings, threads and guest RAM"},
    CLI_OPTION_HELP,
    {},
};

static const CliOptionGroup groups[] = {
    {NULL, options},
    {},
};

static void help(void)
{
        printf("Usage: vmslice [--root DIR] [--state-dir DIR] check DOMAIN [OPTIONS]\n\n"
               "Checks a running VM: its vCPU, emulator and I/O threads against the domain's pins\n"
               "(where each may run and where it last ran), other tasks that may run on the VM's\n"
               "CPUs, IRQs that fire there, whether the guest RAM is backed by the hugepages the\n"
               "domain asks for and on which NUMA nodes it lies, and the slice's knobs. One line\n"
               "per finding: ok, warn or fail.\n\n"
               "DOMAIN is the name of a running libvirt domain (its live definition is read, its\n"
               "QEMU found by " QEMU_PIDFILE_DIR "/NAME.pid), or a domain XML file; a file's\n"
               "QEMU is found by the pid file of the domain's name unless --pid gives it.\n\n");
        cli_options_help(stdout, groups);
        printf(
            "\nExit status: 0 no finding failed, 1 some did (or the host failed), 2 bad usage or\n"
            "input (no such domain or process, a domain that is not running).\n");
}

/* Seconds with up to three decimals ("1", "0.5", "2.250") into milliseconds. */
static int parse_interval(const char *s, unsigned *ret_ms)
{
        char whole[16], frac[4] = "000";
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t) (dot - s) : strlen(s);
        if (n == 0 || n >= sizeof(whole))
                return -EINVAL;
        memcpy(whole, s, n);
        whole[n] = 0;
        if (dot) {
                size_t f = strlen(dot + 1);
                if (f == 0 || f > 3)
                        return -EINVAL;
                for (size_t i = 0; i < f; i++) {
                        if (!isdigit((unsigned char) dot[1 + i]))
                                return -EINVAL;
                        frac[i] = dot[1 + i];
                }
        }
        unsigned sec, ms;
        if (safe_atou(whole, &sec) < 0 || safe_atou(frac, &ms) < 0 || sec > INTERVAL_MAX_MS / 1000)
                return -EINVAL;
        *ret_ms = sec * 1000 + ms;
        return *ret_ms <= INTERVAL_MAX_MS ? 0 : -EINVAL;
}

/* The slice's state directory, when there is one: a check never creates it. */
static int open_state(const CliContext *ctx, State **ret)
{
        _cleanup_(freep) char *dir = NULL;
        struct stat st;
        *ret = NULL;
        int r = cli_state_dir(ctx, false, &dir);
        if (r != 0 || !dir)
                return r;
        if (lstat(dir, &st) < 0 && errno == ENOENT)
                return 0;
        Error err = {0};
        return state_open(dir, ret, &err) < 0 ? cli_error(&err) : 0;
}

static void print_text(const Domain *d, const QemuProc *q, const CheckResult *res)
{
        for (size_t i = 0; i < res->n; i++)
                printf("%-4s  %-13s  %s\n", check_level_to_string(res->findings[i].level),
                       res->findings[i].code, res->findings[i].message);
        printf("%s (pid %u): %zu ok, %zu warn, %zu fail\n", d->name, q->pid,
               check_count(res, CHECK_OK), check_count(res, CHECK_WARN),
               check_count(res, CHECK_FAIL));
}

static void json_index(JsonWriter *w, const QemuThread *t)
{
        if (t->kind == QEMU_THREAD_EMULATOR || t->index == QEMU_VCPU_ALL)
                json_null(w, "index");
        else
                json_uint(w, "index", t->index);
}

static int print_json(const Domain *d, const QemuProc *q, unsigned interval_ms,
                      const CheckResult *res)
{
        JsonWriter w = {0};
        json_begin_object(&w, NULL);
        json_uint(&w, "version", 1);
        json_string(&w, "domain", d->name);
        json_uint(&w, "pid", q->pid);
        json_uint(&w, "interval_ms", interval_ms);
        json_string(&w, "result", check_level_to_string(check_worst(res)));
        json_begin_object(&w, "counts");
        for (CheckLevel l = CHECK_OK; l <= CHECK_FAIL; l++)
                json_uint(&w, check_level_to_string(l), check_count(res, l));
        json_end_object(&w);
        json_begin_array(&w, "findings");
        for (size_t i = 0; i < res->n; i++) {
                json_begin_object(&w, NULL);
                json_string(&w, "level", check_level_to_string(res->findings[i].level));
                json_string(&w, "code", res->findings[i].code);
                json_string(&w, "message", res->findings[i].message);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_begin_array(&w, "threads");
        for (size_t i = 0; i < q->n_threads; i++) {
                const QemuThread *t = &q->threads[i];
                json_begin_object(&w, NULL);
                json_uint(&w, "tid", t->task.tid);
                json_string(&w, "comm", t->task.comm);
                json_string(&w, "kind", qemu_thread_kind_to_string(t->kind));
                json_index(&w, t);
                json_cpuset(&w, "allowed", t->task.allowed);
                json_uint(&w, "last_cpu", t->task.stat.processor);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_begin_array(&w, "ram");
        for (size_t i = 0; i < q->n_ram; i++) {
                const QemuRam *m = &q->ram[i];
                char start[20];
                snprintf(start, sizeof(start), "%" PRIx64, m->start);
                json_begin_object(&w, NULL);
                json_string(&w, "start", start);
                json_uint(&w, "size_bytes", m->size);
                json_uint(&w, "page_size_bytes", m->page_size);
                json_string(&w, "path", m->path);
                if (m->numa_known) {
                        json_begin_array(&w, "nodes");
                        for (unsigned k = 0; k < m->n_nodes; k++) {
                                json_begin_object(&w, NULL);
                                json_uint(&w, "node", m->nodes[k].node);
                                json_uint(&w, "bytes", m->nodes[k].bytes);
                                json_end_object(&w);
                        }
                        json_end_array(&w);
                } else
                        json_null(&w, "nodes");
                json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        return cli_print_json(&w);
}

int verb_check(const CliContext *ctx, int argc, char **argv)
{
        CliGetopt g;
        cli_getopt_init(&g, groups);
        const char *uri = NULL;
        unsigned pid = 0, interval_ms = 1000;
        bool json = false;
        int c, r;
        while ((c = cli_getopt(&g, argc, argv)) >= 0)
                switch (c) {
                case ARG_PID:
                        if (safe_atou(optarg, &pid) < 0 || pid == 0)
                                return cli_errorf(EXIT_USAGE,
                                                  "check: --pid '%s' is not a process id", optarg);
                        break;
                case ARG_INTERVAL:
                        if (parse_interval(optarg, &interval_ms) < 0)
                                return cli_errorf(EXIT_USAGE,
                                                  "check: --interval '%s' is not a number of "
                                                  "seconds from 0 to 3600 (like 1 or 0.5)",
                                                  optarg);
                        break;
                case ARG_CONNECT:
                        uri = optarg;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return cli_bad_option("check", argv);
                }
        if (optind + 1 != argc)
                return cli_errorf(EXIT_USAGE, "check takes one DOMAIN (a running libvirt domain or "
                                              "an XML file); see 'vmslice check --help'");
        const char *arg = argv[optind];
        if (streq(arg, "-"))
                return cli_errorf(EXIT_USAGE, "check: give the domain as a file or a name, not "
                                              "on stdin");

        r = cli_refuse_live_libvirt(ctx, "check", arg, uri);
        if (r != 0)
                return r;
        Error err = {0};
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(topology_freep) Topology *t = NULL;
        r = cli_open_topology(ctx, &h, &t);
        if (r != 0)
                return r;
        _cleanup_(domain_freep) Domain *d = NULL;
        if (cli_domain_is_file(arg)) {
                if (domain_load_file(arg, &d, &err) < 0)
                        return cli_error(&err);
        } else {
                _cleanup_(virt_closep) Virt *v = NULL;
                if (virt_open(uri, &v, &err) < 0 || virt_load_live_domain(v, arg, &d, &err) < 0)
                        return cli_error(&err);
        }
        _cleanup_(qemu_proc_freep) QemuProc *q = NULL;
        if (check_load_qemu(h, d, pid, &q, &err) < 0)
                return cli_error(&err);

        _cleanup_(state_closep) State *st = NULL;
        r = open_state(ctx, &st);
        if (r != 0)
                return r;
        _cleanup_(slice_config_freep) SliceConfig *conf = NULL;
        SlicePolicy policy;
        r = cli_slice_settings(h, &conf, &policy);
        if (r != 0)
                return r;
        ManagedInfo m = {0};
        if (domain_managed_info(d, &m) < 0)
                return cli_errorf(EXIT_FAIL, "out of memory");
        bool wanted = slice_config_vm_enabled(conf, d->name, m.managed);
        managed_info_done(&m);

        CheckInput in = {
            .host = h,
            .topology = t,
            .domain = d,
            .qemu = q,
            .state = st,
            .policy = &policy,
            .slice_wanted = wanted,
            .interval_ms = interval_ms,
        };
        _cleanup_(check_result_done) CheckResult res = {0};
        if (check_run(&in, &res, &err) < 0)
                return cli_error(&err);
        if (json) {
                r = print_json(d, q, interval_ms, &res);
                if (r != EXIT_OK)
                        return r;
        } else
                print_text(d, q, &res);
        return check_worst(&res) == CHECK_FAIL ? EXIT_FAIL : EXIT_OK;
}
