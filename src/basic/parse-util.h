/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Strict decimal parsers: no sign (except safe_atoi), no leading/trailing junk, no overflow.
 * Return 0, -EINVAL (not a number) or -ERANGE (does not fit). */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atou(const char *s, unsigned *ret);
int safe_atoi(const char *s, int *ret);

/* Parses a size with an optional unit into bytes. Binary units: K, KiB, M, MiB, G, GiB, T, TiB
 * (also k, m, g, t); decimal units as libvirt spells them: KB, MB, GB, TB; b and bytes. A bare
 * number is multiplied by default_unit. Returns -EINVAL or -ERANGE on bad input or overflow. */
int parse_size(const char *s, uint64_t default_unit, uint64_t *ret_bytes);

/* "16 GiB", "512 MiB", "1.5 GiB", "4 KiB", "0 B" into buf. Returns buf. */
const char *format_bytes(char *buf, size_t size, uint64_t bytes);
#define FORMAT_BYTES_MAX 32
