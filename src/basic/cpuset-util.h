/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <hwloc.h>
#include <stddef.h>
#include <stdint.h>

#include "json-writer.h"
#include "macro.h"

/* CPU sets are hwloc bitmaps everywhere in vmslice. */

/* The highest CPU number vmslice accepts in a list (the kernel's own NR_CPUS limit is 8192). */
#define CPU_NUMBER_MAX 8191U

DEFINE_TRIVIAL_CLEANUP_FUNC(hwloc_bitmap_t, hwloc_bitmap_free)

/* Parses a kernel CPU list ("0-3,8-11", "" for none) into ret, strictly: only digits, '-' and
 * ',', ranges ascending, numbers up to CPU_NUMBER_MAX; surrounding whitespace is ignored. The
 * kernel's stride form "0-15:2/4" (cmdline lists) is accepted too. Returns 0 or -EINVAL/-ERANGE,
 * leaving ret empty on failure. The set is built with hwloc's own list parser. */
int cpuset_parse_list(const char *s, hwloc_bitmap_t ret);

/* Formats a set as a kernel CPU list ("0-3,8-11"; "" for an empty set). Returns NULL on OOM. */
char *cpuset_format_list(hwloc_const_bitmap_t set);

/* Formats into a caller buffer, truncating with "..." if it does not fit; for messages. */
const char *cpuset_to_list(char *buf, size_t size, hwloc_const_bitmap_t set);
#define CPUSET_LIST_MAX 256

/* Writes a set as a JSON string member in kernel list form ("0-3,8-11", "" when empty). */
void json_cpuset(JsonWriter *w, const char *key, hwloc_const_bitmap_t set);

/* The kernel's cpumask format ("ffffffff,0000000f", 32-bit words, most significant first) with
 * words words (at least enough for the set). Returns NULL on OOM. */
char *cpuset_format_mask(hwloc_const_bitmap_t set, unsigned words);
/* Parses the kernel's cpumask format: comma-separated words of 1 to 8 hex digits. Returns 0,
 * -EINVAL or -ERANGE, leaving ret empty on failure. */
int cpuset_parse_mask(const char *s, hwloc_bitmap_t ret);

/* systemd's D-Bus form of a CPU set (AllowedCPUs=): a byte array, CPU n in bit n%8 of byte n/8;
 * an empty array means no restriction. cpuset_to_bytes returns a malloc'd array (NULL and size 0
 * for an empty set; -ENOMEM). cpuset_from_bytes ignores bits above CPU_NUMBER_MAX. */
int cpuset_to_bytes(hwloc_const_bitmap_t set, uint8_t **ret, size_t *ret_size);
void cpuset_from_bytes(const uint8_t *bytes, size_t size, hwloc_bitmap_t ret);
