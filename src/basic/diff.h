/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Line-based unified diff, the output of GNU "diff -u --label A --label B", for showing what a
 * change to a document (a libvirt domain XML) would do. */

/* Most lines diff_unified() accepts in each text. */
#define DIFF_LINES_MAX 200000

/* Unified diff of two texts, split at '\n' (a missing final newline is marked
 * "\ No newline at end of file" as diff does). Labels go in the ---/+++ lines, without
 * timestamps. context = lines of context (3 like diff -u). On success *ret is the diff text (""
 * when the texts are equal), to be freed by the caller.
 *
 * The edit script is the one GNU diff finds (Myers' O((N+M)D) algorithm with diff's line
 * discarding, cost limit and boundary shifting), so the output is byte for byte what
 * "diff -U<context> --label label_a --label label_b" prints. When the texts are so different that
 * the search would take too long, the lines between the common prefix and suffix are shown as
 * replaced instead (a correct diff, not a minimal one, and not what diff prints); this does not
 * happen below about 20,000 lines.
 *
 * Returns 0, -ENOMEM, -E2BIG when a text has more than DIFF_LINES_MAX lines, or -EINVAL when an
 * argument is NULL. */
int diff_unified(const char *a, const char *b, const char *label_a, const char *label_b,
                 unsigned context, char **ret);
