/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "string-util.h"

static int verb_help(const CliContext *ctx, int argc, char **argv);
static int verb_version(const CliContext *ctx, int argc, char **argv);

static const Verb verbs[] = {
    {"topo", "[--json]", "show the host's CPU, cache, NUMA and PCI topology", verb_topo},
    {"plan", "[--vcpus N] [options]", "compute a CPU/NUMA placement for a VM as libvirt XML",
     verb_plan},
    {"apply", "DOMAIN [options]", "write a plan into a libvirt domain (file or defined domain)",
     verb_apply},
    {"lint", "DOMAIN [--fix] [--json]", "review a domain against the seeds' practices", verb_lint},
    {"capture", "FILE.tar.gz", "snapshot the files vmslice reads into a tarball for --root",
     verb_capture},
    {"prepare", "DOMAIN.xml|- [--dry-run]",
     "give a VM its slice of the host (hugepages, CPUs, knobs)", verb_prepare},
    {"release", "NAME [--dry-run]", "give a VM's slice back", verb_release},
    {"status", "[--json]", "active slices and every knob vmslice changed", verb_status},
    {"restore", "[--dry-run]", "undo everything vmslice changed", verb_restore},
    {"check", "DOMAIN [--pid PID]", "check a running VM's threads, IRQs, memory and slice",
     verb_check},
    {"hook", "install|uninstall|print|run",
     "the libvirt qemu hook that prepares and releases slices", verb_hook},
    {"bench", "[--compare] [options]",
     "measure CPU stalls and timer latency, without and with a slice", verb_bench},
    {"help", "[VERB]", "show this help or a verb's help", verb_help},
    {"version", "", "print the version", verb_version},
};

int cli_error(const Error *err)
{
        fprintf(stderr, "vmslice: %s\n", err->msg[0] ? err->msg : strerror(-err->code));
        return err->input ? EXIT_USAGE : EXIT_FAIL;
}

int cli_errorf(int status, const char *fmt, ...)
{
        char raw[1024], line[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        /* one line, whatever an argument or input put into it */
        fprintf(stderr, "vmslice: %s\n", escape_controls(raw, line, sizeof(line)));
        return status;
}

int cli_open_host(const CliContext *ctx, Host **ret)
{
        Error err = {0};
        if (host_new(ctx->root, ret, &err) < 0)
                return cli_error(&err);
        return 0;
}

int cli_open_topology(const CliContext *ctx, Host **ret_host, Topology **ret_topology)
{
        Error err = {0};
        int r = cli_open_host(ctx, ret_host);
        if (r != 0)
                return r;
        if (topology_load(*ret_host, ret_topology, &err) < 0)
                return cli_error(&err);
        return 0;
}

int cli_print_json(JsonWriter *w)
{
        _cleanup_(freep) char *s = json_steal(w);
        if (!s)
                return cli_errorf(EXIT_FAIL, "out of memory");
        fputs(s, stdout);
        return EXIT_OK;
}

int cli_bad_option(const char *verb, char **argv)
{
        const char *arg = optind > 0 ? argv[optind - 1] : "?";
        if (optopt > 0 && optopt < 128 && isalnum(optopt))
                return cli_errorf(
                    EXIT_USAGE,
                    "%s: option '-%c' is unknown or needs a value; see 'vmslice %s --help'", verb,
                    optopt, verb);
        return cli_errorf(EXIT_USAGE,
                          "%s: option '%s' is unknown or needs a value; see 'vmslice %s --help'",
                          verb, arg, verb);
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: vmslice [--root DIR|TARBALL] VERB [OPTIONS]\n\n"
                   "Turns a Linux host and a libvirt/QEMU/KVM guest into a low-latency pair.\n\n"
                   "Verbs:\n");
        int name_width = 0, args_width = 0;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                name_width = MAX(name_width, (int) strlen(verbs[i].name));
                args_width = MAX(args_width, (int) strlen(verbs[i].args));
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-*s  %-*s  %s\n", name_width, verbs[i].name, args_width,
                        verbs[i].args, verbs[i].summary);
        fprintf(
            f,
            "\nGlobal options (before or after the verb):\n"
            "  --root DIR|TARBALL  read and write the host under DIR (a fixture or capture)\n"
            "  --state-dir DIR     the runtime slice's journal and records (default /run/vmslice;\n"
            "                      DIR/run/vmslice under --root DIR)\n"
            "  -h, --help          show help\n"
            "  --version           print the version\n\n"
            "Run 'vmslice VERB --help' for a verb's options. See vmslice(8).\n");
}

static const Verb *find_verb(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static int verb_help(const CliContext *ctx, int argc, char **argv)
{
        if (argc > 1 && !streq(argv[1], "--help") && !streq(argv[1], "-h")) {
                const Verb *v = find_verb(argv[1]);
                if (!v)
                        return cli_errorf(EXIT_USAGE, "unknown verb '%s'; run 'vmslice help'",
                                          argv[1]);
                char *sub[] = {(char *) v->name, (char *) "--help", NULL};
                return v->run(ctx, 2, sub);
        }
        usage(stdout);
        return EXIT_OK;
}

/* What this build can do, as systemd --version says it: +NAME built in, -NAME left out. */
static const char *const features[] = {
    HAVE_LIBSYSTEMD ? "+systemd" : "-systemd",
};

static int verb_version(const CliContext *ctx, int argc, char **argv)
{
        static const CliOption options[] = {
            CLI_OPTION_HELP,
            {},
        };
        static const CliOptionGroup groups[] = {
            {NULL, options},
            {},
        };
        CliGetopt g;
        int c;
        cli_getopt_init(&g, groups);
        while (argc > 0 && (c = cli_getopt(&g, argc, argv)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: vmslice version\n\n"
                               "Prints \"vmslice VERSION\" and, on a second line, the features of "
                               "this build:\n"
                               "+systemd (or -systemd) talks to systemd over D-Bus when it is PID "
                               "1.\n\n");
                        cli_options_help(stdout, groups);
                        return EXIT_OK;
                default:
                        return cli_bad_option("version", argv);
                }
        if (argc > 0 && optind < argc)
                return cli_errorf(EXIT_USAGE, "version takes no arguments");
        printf("vmslice %s\n", VMSLICE_VERSION);
        for (size_t i = 0; i < ELEMENTSOF(features); i++)
                printf("%s%s", i ? " " : "", features[i]);
        printf("\n");
        return EXIT_OK;
}

int main(int argc, char **argv)
{
        CliContext ctx = {0};
        char **rest;
        int n = 0;
        bool want_help = false;

        /* Take the global options out wherever they are (before "--"), keep the rest in order. */
        rest = calloc((size_t) argc + 1, sizeof(char *));
        if (!rest)
                return cli_errorf(EXIT_FAIL, "out of memory");
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v;
                if (streq(a, "--")) {
                        for (; i < argc; i++)
                                rest[n++] = argv[i];
                        break;
                }
                if (streq(a, "--root")) {
                        if (i + 1 >= argc) {
                                free(rest);
                                return cli_errorf(EXIT_USAGE,
                                                  "--root needs a directory or tarball");
                        }
                        ctx.root = argv[++i];
                } else if ((v = startswith(a, "--root="))) {
                        ctx.root = v;
                } else if (streq(a, "--state-dir")) {
                        if (i + 1 >= argc || !*argv[i + 1]) {
                                free(rest);
                                return cli_errorf(EXIT_USAGE, "--state-dir needs a directory");
                        }
                        ctx.state_dir = argv[++i];
                } else if ((v = startswith(a, "--state-dir="))) {
                        ctx.state_dir = v;
                } else if (streq(a, "--version") && n == 0) {
                        free(rest);
                        return verb_version(&ctx, 0, NULL);
                } else if ((streq(a, "--help") || streq(a, "-h")) && n == 0) {
                        want_help = true;
                } else
                        rest[n++] = argv[i];
        }
        if (ctx.root && !*ctx.root) {
                free(rest);
                return cli_errorf(EXIT_USAGE, "--root needs a directory or tarball");
        }

        if (n == 0) {
                free(rest);
                usage(want_help ? stdout : stderr);
                return want_help ? EXIT_OK : EXIT_USAGE;
        }
        const Verb *v = find_verb(rest[0]);
        if (!v) {
                int r = cli_errorf(EXIT_USAGE, "unknown verb '%s'; run 'vmslice help'", rest[0]);
                free(rest);
                return r;
        }
        if (want_help) {
                char *sub[] = {rest[0], (char *) "--help", NULL};
                free(rest);
                return v->run(&ctx, 2, sub);
        }
        optind = 0; /* reset getopt for the verb; verbs report bad options themselves */
        opterr = 0;
        int r = v->run(&ctx, n, rest);
        free(rest);
        return r;
}
