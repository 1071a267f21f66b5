/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

/* A host load while the probes measure: what a user's compile job or file copy does to the CPUs,
 * memory and disks. It is an ordinary host process (a slice, while active, keeps it on the host
 * CPUs like any other). stress-ng when it is installed, else a built-in equivalent: forked
 * workers that spin on the CPU, touch and free memory, and write and fsync a file. */

typedef enum LoadEngine {
        LOAD_AUTO, /* stress-ng when found in PATH, else the built-in load */
        LOAD_STRESS_NG,
        LOAD_BUILTIN,
} LoadEngine;

typedef struct LoadSpec {
        unsigned cpu, vm, io; /* workers of each kind */
        uint64_t vm_bytes;    /* memory each vm worker touches */
        LoadEngine engine;
} LoadSpec;

#define LOAD_WORKERS_MAX  4096U
#define LOAD_VM_BYTES_MAX (1ULL << 40)
#define LOAD_IO_FILE_SIZE (16ULL << 20) /* each io worker rewrites a file of this size */
#define LOAD_IO_BLOCK     (1U << 20)    /* in blocks of this size, fsynced */

/* One cpu, vm and io worker per CPU, 64 MiB per vm worker, stress-ng when installed. */
void load_spec_default(LoadSpec *s, unsigned n_cpus);
/* Changes s by a comma-separated list: cpu=N, vm=N, io=N (0 to LOAD_WORKERS_MAX), vm-bytes=SIZE
 * (1 MiB to 1 TiB, binary units), "builtin" or "stress-ng". An unknown item or a bad value is an
 * input error naming it; a load without workers too. */
int load_spec_parse(const char *text, LoadSpec *s, Error *err);

/* The full path of stress-ng in PATH into buf, or -ENOENT. */
int load_find_stress_ng(char *buf, size_t size);

typedef struct Load Load;

/* Starts the load in a process group of its own, with its files in a new directory under
 * /var/tmp. Its processes die with vmslice: stress-ng gets timeout_s as its own --timeout and
 * SIGTERM when vmslice dies; the built-in workers get SIGKILL then. */
int load_start(const LoadSpec *s, unsigned timeout_s, Load **ret, Error *err);
/* "stress-ng" or "builtin". */
const char *load_engine_name(const Load *l);
/* Stops every process of the load (SIGTERM, SIGKILL after two seconds), reaps them and removes
 * the load's files; returns the load. NULL is fine. */
Load *load_stop(Load *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(Load *, load_stop)
