/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "diff.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "string-util.h"

/* The edit script is found in the steps GNU diff takes, so that the output is the same as
 * "diff -u" (the same hunks, not merely an equally short script):
 *
 * 1. The identical leading and trailing bytes of the two texts are skipped, except for `context`
 *    whole lines on each side (the horizon) into which changes may still be shifted. What is
 *    left of each text is its compared region.
 * 2. Every compared line gets an equivalence class: equal bytes, and the same newline or lack of
 *    one at the end.
 * 3. A line of one region that occurs nowhere in the other region is certainly a change and is
 *    left out of the search ("discarded"); so is a line that occurs very often in the other region
 *    when it sits inside a run of such certain changes.
 * 4. Myers' bidirectional O((N+M)D) search finds the middle of a shortest edit script of the
 *    remaining lines, and the two halves are solved the same way (linear space). When a search
 *    has spent too_expensive edits without meeting, the furthest-reaching diagonal is taken as
 *    the middle instead. When the total work exceeds DIFF_WORK_MAX, everything between the
 *    common prefix and suffix is shown as replaced.
 * 5. Runs of changes are slid over equal lines to merge them with neighbouring runs and to line
 *    them up with the changes of the other text.
 * 6. Changes fewer than 2 * context + 1 unchanged lines apart share a hunk. */

/* Steps (diagonals visited plus lines matched) the search may take before it gives up and shows
 * the whole middle as replaced: about half a second. Two unrelated texts of 10,000 random lines
 * take about 1e8; an edited 10,000-line document far less. */
#define DIFF_WORK_MAX (UINT64_C(1) << 28)

typedef struct DiffText {
        char *text;  /* the input, with '\n' appended when its last line lacks one */
        size_t size; /* bytes of text, that newline included */
        bool missing_newline;
        size_t *starts; /* starts[i]: offset of line i; starts[n_lines] == size */
        long n_lines;
        long first;      /* first compared line; the lines before it are the same in both texts */
        long n;          /* number of compared lines: [first, first + n) */
        long *classes;   /* equivalence class of each compared line */
        char *flags;     /* n + 2 bytes, see changed */
        char *changed;   /* flags + 1: changed[i] when compared line i is deleted (text 0) or
                            inserted (text 1); changed[-1] and changed[n] stay 0 */
        long *kept;      /* classes of the compared lines the search looks at */
        long *kept_line; /* the compared line of each kept entry */
        long n_kept;
} DiffText;

typedef struct Change {
        long line0, line1; /* first line deleted / inserted (0-based, whole text) */
        long deleted, inserted;
} Change;

typedef struct Diff {
        DiffText t[2];
        long n_classes;
        long *diagonals; /* forward and backward search vectors */
        Change *changes;
        long n_changes;
} Diff;

static void diff_done(Diff *d)
{
        for (int f = 0; f < 2; f++) {
                free(d->t[f].text);
                free(d->t[f].starts);
                free(d->t[f].classes);
                free(d->t[f].flags);
                free(d->t[f].kept);
                free(d->t[f].kept_line);
        }
        free(d->diagonals);
        free(d->changes);
}

static long count_lines(const char *s, size_t len)
{
        long n = 0;
        for (const char *p = s, *end = s + len; (p = memchr(p, '\n', (size_t) (end - p))); p++)
                n++;
        return n + (len > 0 && s[len - 1] != '\n');
}

/* Copies a text, completes its last line and indexes its lines. */
static int text_init(DiffText *t, const char *s, size_t len, long n_lines)
{
        t->missing_newline = len > 0 && s[len - 1] != '\n';
        t->size = len + t->missing_newline;
        t->text = malloc(t->size + 1);
        t->starts = malloc(sizeof(size_t) * ((size_t) n_lines + 1));
        if (!t->text || !t->starts)
                return -ENOMEM;
        memcpy(t->text, s, len);
        if (t->missing_newline)
                t->text[len] = '\n';
        t->text[t->size] = 0;

        t->n_lines = n_lines;
        size_t off = 0;
        for (long i = 0; i < n_lines; i++) {
                t->starts[i] = off;
                off =
                    (size_t) ((const char *) memchr(t->text + off, '\n', t->size - off) - t->text) +
                    1;
        }
        t->starts[n_lines] = t->size;
        return 0;
}

/* The line starting at byte off (or n_lines for the end of the text). */
static long line_at(const DiffText *t, size_t off)
{
        long lo = 0, hi = t->n_lines;
        while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                if (t->starts[mid] < off)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Step 1: sets first and n of both texts. The prefix and suffix are found byte by byte, as diff
 * does, which decides how many lines of them count as compared lines. */
static void find_compared_region(DiffText t[2], long horizon)
{
        const char *s0 = t[0].text, *s1 = t[1].text;
        size_t n0 = t[0].size, n1 = t[1].size;

        size_t k = 0;
        while (k < MIN(n0, n1) && s0[k] == s1[k])
                k++;
        /* The newline appended to an incomplete last line must not match a real one. */
        if ((k > n0 - t[0].missing_newline) != (k > n1 - t[1].missing_newline))
                k--;
        /* Back to the start of the line, then horizon more lines. */
        for (long h = horizon; k > 0; k--)
                if (s0[k - 1] == '\n' && h-- == 0)
                        break;
        size_t prefix_end = k;

        size_t end0 = n0, end1 = n1;
        if (t[0].missing_newline == t[1].missing_newline) {
                /* Stop where either text reaches the end of the prefix. */
                size_t stop = prefix_end + (n0 < n1 ? 0 : n0 - n1);
                while (end0 > stop && s0[end0 - 1] == s1[end1 - 1])
                        end0--, end1--;

                /* Give back the rest of a partly matching line, then horizon more lines. */
                bool at_line_start =
                    (end0 == 0 || s0[end0 - 1] == '\n') && (end1 == 0 || s1[end1 - 1] == '\n');
                size_t e = end0;
                for (long h = horizon + !at_line_start; h > 0 && e < n0; h--)
                        e = (size_t) ((const char *) memchr(s0 + e, '\n', n0 - e) - s0) + 1;
                end1 += e - end0;
                end0 = e;
        }

        t[0].first = t[1].first = line_at(&t[0], prefix_end);
        t[0].n = line_at(&t[0], end0) - t[0].first;
        t[1].n = line_at(&t[1], end1) - t[1].first;
}

static void line_bytes(const DiffText *t, long i, const char **ret_p, size_t *ret_len)
{
        *ret_p = t->text + t->starts[i];
        *ret_len = t->starts[i + 1] - t->starts[i];
        /* An incomplete last line is not equal to the same text with a newline. */
        if (t->missing_newline && i == t->n_lines - 1)
                (*ret_len)--;
}

static uint64_t hash_bytes(const char *p, size_t len)
{
        uint64_t h = UINT64_C(14695981039346656037);
        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) p[i];
                h *= UINT64_C(1099511628211);
        }
        return h ^ len;
}

/* Step 2: the equivalence class of every compared line. */
static int classify_lines(Diff *d)
{
        size_t total = (size_t) (d->t[0].n + d->t[1].n), n_slots = 16;
        while (n_slots < 2 * total)
                n_slots *= 2;

        _cleanup_(freep) long *slots = malloc(sizeof(long) * n_slots);
        _cleanup_(freep) long *rep = malloc(sizeof(long) * (total + 1)); /* a line of the class */
        _cleanup_(freep) int *rep_text = malloc(sizeof(int) * (total + 1)); /* and its text */
        if (!slots || !rep || !rep_text)
                return -ENOMEM;
        for (size_t i = 0; i < n_slots; i++)
                slots[i] = -1;

        long n_classes = 0;
        for (int f = 0; f < 2; f++) {
                DiffText *t = &d->t[f];
                t->classes = malloc(sizeof(long) * ((size_t) t->n + 1));
                if (!t->classes)
                        return -ENOMEM;
                for (long i = 0; i < t->n; i++) {
                        const char *p;
                        size_t len;
                        line_bytes(t, t->first + i, &p, &len);
                        size_t slot = (size_t) hash_bytes(p, len) & (n_slots - 1);
                        for (;; slot = (slot + 1) & (n_slots - 1)) {
                                long c = slots[slot];
                                if (c < 0) {
                                        c = slots[slot] = n_classes++;
                                        rep[c] = t->first + i;
                                        rep_text[c] = f;
                                        t->classes[i] = c;
                                        break;
                                }
                                const char *q;
                                size_t qlen;
                                line_bytes(&d->t[rep_text[c]], rep[c], &q, &qlen);
                                if (qlen == len && memcmp(p, q, len) == 0) {
                                        t->classes[i] = c;
                                        break;
                                }
                        }
                }
        }
        d->n_classes = n_classes;
        return 0;
}

/* Step 3, the second pass: a line that occurs often in the other text is discarded only inside a
 * run of discarded lines, away from its ends. discard[i] is 1 for a line that does not occur in
 * the other text, 2 for one that occurs often, 0 otherwise. */
static void settle_discards(char *discard, long n)
{
        for (long i = 0; i < n; i++) {
                if (discard[i] == 2) {
                        /* Not preceded by a run that starts with a certain discard. */
                        discard[i] = 0;
                        continue;
                }
                if (discard[i] == 0)
                        continue;

                /* A run of discardable lines starts at i; it ends with its last certain one. */
                long end = i, provisional = 0;
                for (; end < n && discard[end] != 0; end++)
                        provisional += discard[end] == 2;
                for (; end > i && discard[end - 1] == 2; end--) {
                        discard[end - 1] = 0;
                        provisional--;
                }
                long length = end - i;

                if (provisional * 4 > length) {
                        /* Too many frequent lines in the run: keep them all. */
                        for (long j = i; j < end; j++)
                                if (discard[j] == 2)
                                        discard[j] = 0;
                        continue;
                }

                /* Keep every block of `minimum` or more consecutive frequent lines, minimum
                 * being about the square root of length / 4, plus one. */
                long minimum = 1;
                for (long tem = length >> 2; (tem >>= 2) > 0;)
                        minimum <<= 1;
                minimum++;
                for (long j = i; j < end;) {
                        if (discard[j] != 2) {
                                j++;
                                continue;
                        }
                        long k = j;
                        while (k < end && discard[k] == 2)
                                k++;
                        if (k - j >= minimum)
                                memset(discard + j, 0, (size_t) (k - j));
                        j = k;
                }

                /* Keep the frequent lines near the ends of the run: up to three certain
                 * discards in a row, or the first certain one at least eight lines in. */
                long consec = 0;
                for (long j = 0; j < length; j++) {
                        char *x = &discard[i + j];
                        if (j >= 8 && *x == 1)
                                break;
                        if (*x == 2) {
                                consec = 0;
                                *x = 0;
                        } else if (*x == 0)
                                consec = 0;
                        else
                                consec++;
                        if (consec == 3)
                                break;
                }
                i += length - 1;
                consec = 0;
                for (long j = 0; j < length; j++) {
                        char *x = &discard[i - j];
                        if (j >= 8 && *x == 1)
                                break;
                        if (*x == 2) {
                                consec = 0;
                                *x = 0;
                        } else if (*x == 0)
                                consec = 0;
                        else
                                consec++;
                        if (consec == 3)
                                break;
                }
        }
}

/* Step 3: fills kept and marks the discarded lines as changed. */
static int discard_lines(Diff *d)
{
        _cleanup_(freep) long *count = calloc((size_t) d->n_classes * 2 + 2, sizeof(long));
        if (!count)
                return -ENOMEM;
        long *counts[2] = {count, count + d->n_classes + 1};
        for (int f = 0; f < 2; f++)
                for (long i = 0; i < d->t[f].n; i++)
                        counts[f][d->t[f].classes[i]]++;

        for (int f = 0; f < 2; f++) {
                DiffText *t = &d->t[f];
                const long *other = counts[1 - f];

                _cleanup_(freep) char *discard = calloc((size_t) t->n + 1, 1);
                t->flags = calloc((size_t) t->n + 2, 1);
                t->kept = malloc(sizeof(long) * ((size_t) t->n + 1));
                t->kept_line = malloc(sizeof(long) * ((size_t) t->n + 1));
                if (!discard || !t->flags || !t->kept || !t->kept_line)
                        return -ENOMEM;
                t->changed = t->flags + 1;

                /* "Often" is about 5 * sqrt(n / 64). */
                long many = 5;
                for (long tem = t->n / 64; (tem >>= 2) > 0;)
                        many *= 2;
                for (long i = 0; i < t->n; i++) {
                        long matches = other[t->classes[i]];
                        discard[i] = matches == 0 ? 1 : matches > many ? 2 : 0;
                }
                settle_discards(discard, t->n);

                t->n_kept = 0;
                for (long i = 0; i < t->n; i++)
                        if (discard[i])
                                t->changed[i] = 1;
                        else {
                                t->kept[t->n_kept] = t->classes[i];
                                t->kept_line[t->n_kept++] = i;
                        }
        }
        return 0;
}

typedef struct Search {
        const long *xv, *yv;
        long *fd; /* forward search: furthest x reached on each diagonal x - y */
        long *bd; /* backward search: smallest x reached on each diagonal */
        long too_expensive;
        uint64_t work;
        DiffText *t;
} Search;

typedef struct Split {
        long x, y;
        bool lo_minimal, hi_minimal; /* whether each half must still be solved minimally */
} Split;

/* Finds where a shortest edit script of xv[xoff, xlim) into yv[yoff, ylim) crosses its middle
 * edit, searching from both corners at once. The first and last lines of the two ranges differ.
 * Returns false when the work budget ran out. */
static bool find_split(Search *s, long xoff, long xlim, long yoff, long ylim, bool minimal,
                       Split *ret)
{
        const long *xv = s->xv, *yv = s->yv;
        long *fd = s->fd, *bd = s->bd;
        const long dmin = xoff - ylim, dmax = xlim - yoff;
        const long fmid = xoff - yoff, bmid = xlim - ylim;
        long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
        const bool odd = (fmid - bmid) & 1;

        fd[fmid] = xoff;
        bd[bmid] = xlim;

        for (long c = 1;; c++) {
                /* One more edit forward: widen the band of diagonals, then advance each. */
                if (fmin > dmin)
                        fd[--fmin - 1] = -1;
                else
                        fmin++;
                if (fmax < dmax)
                        fd[++fmax + 1] = -1;
                else
                        fmax--;
                for (long d = fmax; d >= fmin; d -= 2) {
                        long x = fd[d - 1] < fd[d + 1] ? fd[d + 1] : fd[d - 1] + 1, x0 = x;
                        while (x < xlim && x - d < ylim && xv[x] == yv[x - d])
                                x++;
                        s->work += 1 + (uint64_t) (x - x0);
                        fd[d] = x;
                        if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
                                *ret = (Split){x, x - d, true, true};
                                return true;
                        }
                }

                /* One more edit backward. */
                if (bmin > dmin)
                        bd[--bmin - 1] = LONG_MAX;
                else
                        bmin++;
                if (bmax < dmax)
                        bd[++bmax + 1] = LONG_MAX;
                else
                        bmax--;
                for (long d = bmax; d >= bmin; d -= 2) {
                        long x = bd[d - 1] < bd[d + 1] ? bd[d - 1] : bd[d + 1] - 1, x0 = x;
                        while (x > xoff && x - d > yoff && xv[x - 1] == yv[x - d - 1])
                                x--;
                        s->work += 1 + (uint64_t) (x0 - x);
                        bd[d] = x;
                        if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
                                *ret = (Split){x, x - d, true, true};
                                return true;
                        }
                }

                if (s->work > DIFF_WORK_MAX)
                        return false;
                if (minimal || c < s->too_expensive)
                        continue;

                /* Too expensive: split at the diagonal that got furthest, forward or backward. */
                long fxy = -1, fx = xoff;
                for (long d = fmax; d >= fmin; d -= 2) {
                        long x = MIN(fd[d], xlim), y = x - d;
                        if (y > ylim) {
                                x = ylim + d;
                                y = ylim;
                        }
                        if (x + y > fxy) {
                                fxy = x + y;
                                fx = x;
                        }
                }
                long bxy = LONG_MAX, bx = xlim;
                for (long d = bmax; d >= bmin; d -= 2) {
                        long x = MAX(xoff, bd[d]), y = x - d;
                        if (y < yoff) {
                                x = yoff + d;
                                y = yoff;
                        }
                        if (x + y < bxy) {
                                bxy = x + y;
                                bx = x;
                        }
                }
                if ((xlim + ylim) - bxy < fxy - (xoff + yoff))
                        *ret = (Split){fx, fxy - fx, true, false};
                else
                        *ret = (Split){bx, bxy - bx, false, true};
                return true;
        }
}

static void note_delete(Search *s, long x)
{
        s->t[0].changed[s->t[0].kept_line[x]] = 1;
}

static void note_insert(Search *s, long y)
{
        s->t[1].changed[s->t[1].kept_line[y]] = 1;
}

/* Step 4: marks the changes turning xv[xoff, xlim) into yv[yoff, ylim). Returns false when the
 * work budget ran out. */
static bool compare_ranges(Search *s, long xoff, long xlim, long yoff, long ylim, bool minimal)
{
        const long *xv = s->xv, *yv = s->yv;

        for (;;) {
                while (xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff])
                        xoff++, yoff++;
                while (xoff < xlim && yoff < ylim && xv[xlim - 1] == yv[ylim - 1])
                        xlim--, ylim--;

                if (xoff == xlim) {
                        for (; yoff < ylim; yoff++)
                                note_insert(s, yoff);
                        return true;
                }
                if (yoff == ylim) {
                        for (; xoff < xlim; xoff++)
                                note_delete(s, xoff);
                        return true;
                }

                Split sp;
                if (!find_split(s, xoff, xlim, yoff, ylim, minimal, &sp))
                        return false;

                /* Recurse into the smaller half and loop on the other one; the order in which
                 * changes are marked does not matter. */
                if ((xlim + ylim) - (sp.x + sp.y) < (sp.x + sp.y) - (xoff + yoff)) {
                        if (!compare_ranges(s, sp.x, xlim, sp.y, ylim, sp.hi_minimal))
                                return false;
                        xlim = sp.x;
                        ylim = sp.y;
                        minimal = sp.lo_minimal;
                } else {
                        if (!compare_ranges(s, xoff, sp.x, yoff, sp.y, sp.lo_minimal))
                                return false;
                        xoff = sp.x;
                        yoff = sp.y;
                        minimal = sp.hi_minimal;
                }
        }
}

static int compare_kept(Diff *d)
{
        long nx = d->t[0].n_kept, ny = d->t[1].n_kept;
        size_t n_diags = (size_t) (nx + ny + 3);

        d->diagonals = malloc(sizeof(long) * 2 * n_diags);
        if (!d->diagonals)
                return -ENOMEM;

        Search s = {
            .xv = d->t[0].kept,
            .yv = d->t[1].kept,
            .fd = d->diagonals + ny + 1,
            .bd = d->diagonals + n_diags + ny + 1,
            .t = d->t,
        };
        /* About the square root of the input size, at least 4096. */
        long too_expensive = 1;
        for (size_t x = n_diags; x != 0; x >>= 2)
                too_expensive <<= 1;
        s.too_expensive = MAX(4096, too_expensive);

        if (compare_ranges(&s, 0, nx, 0, ny, false))
                return 0;

        /* Out of budget: every kept line between the common ends is a change (the marks made
         * so far are a subset of these). */
        long xoff = 0, yoff = 0, xlim = nx, ylim = ny;
        while (xoff < xlim && yoff < ylim && s.xv[xoff] == s.yv[yoff])
                xoff++, yoff++;
        while (xoff < xlim && yoff < ylim && s.xv[xlim - 1] == s.yv[ylim - 1])
                xlim--, ylim--;
        for (; xoff < xlim; xoff++)
                note_delete(&s, xoff);
        for (; yoff < ylim; yoff++)
                note_insert(&s, yoff);
        return 0;
}

/* Step 5: slides each run of changes over equal lines, first up then down, as long as that
 * merges it with other runs, and finally to the lowest place where it lines up with a run of
 * changes in the other text (if any). j follows the line of the other text that corresponds to
 * line i. */
static void shift_boundaries(Diff *d)
{
        for (int f = 0; f < 2; f++) {
                char *changed = d->t[f].changed;
                const char *other = d->t[1 - f].changed;
                const long *cls = d->t[f].classes;
                const long n = d->t[f].n;
                long i = 0, j = 0;

                for (;;) {
                        while (i < n && !changed[i]) {
                                while (other[j++])
                                        continue;
                                i++;
                        }
                        if (i == n)
                                break;

                        long start = i, length, corresponding;
                        while (changed[++i])
                                continue;
                        while (other[j])
                                j++;

                        do {
                                length = i - start;

                                /* Up, while the line above equals the last of the run. */
                                while (start > 0 && cls[start - 1] == cls[i - 1]) {
                                        changed[--start] = 1;
                                        changed[--i] = 0;
                                        while (changed[start - 1])
                                                start--;
                                        while (other[--j])
                                                continue;
                                }

                                /* i where the run last ended next to changes of the other text;
                                 * n for nowhere. */
                                corresponding = other[j - 1] ? i : n;

                                /* Down, while the line below equals the first of the run. */
                                while (i != n && cls[start] == cls[i]) {
                                        changed[start++] = 0;
                                        changed[i++] = 1;
                                        while (changed[i])
                                                i++;
                                        while (other[++j])
                                                corresponding = i;
                                }
                        } while (length != i - start);

                        while (corresponding < i) {
                                changed[--start] = 1;
                                changed[--i] = 0;
                                while (other[--j])
                                        continue;
                        }
                }
        }
}

static int build_changes(Diff *d)
{
        const DiffText *t0 = &d->t[0], *t1 = &d->t[1];
        long n0 = t0->n, n1 = t1->n, i0 = 0, i1 = 0;

        d->changes = malloc(sizeof(Change) * ((size_t) (n0 + n1) + 1));
        if (!d->changes)
                return -ENOMEM;
        d->n_changes = 0;

        while (i0 < n0 || i1 < n1) {
                if ((i0 < n0 && t0->changed[i0]) || (i1 < n1 && t1->changed[i1])) {
                        long l0 = i0, l1 = i1;
                        while (i0 < n0 && t0->changed[i0])
                                i0++;
                        while (i1 < n1 && t1->changed[i1])
                                i1++;
                        d->changes[d->n_changes++] = (Change){
                            .line0 = t0->first + l0,
                            .line1 = t1->first + l1,
                            .deleted = i0 - l0,
                            .inserted = i1 - l1,
                        };
                }
                /* A pair of equal lines. */
                i0++;
                i1++;
        }
        return 0;
}

/* Appends bytes to an SBuf (whose allocation failures are sticky). */
static void out_put(SBuf *b, const char *p, size_t n)
{
        if (b->oom)
                return;
        if (n >= SIZE_MAX / 2 - b->len) {
                b->oom = true;
                return;
        }
        if (b->len + n + 1 > b->cap) {
                size_t cap = MAX(b->cap * 2, b->len + n + 64);
                char *s = realloc(b->s, cap);
                if (!s) {
                        b->oom = true;
                        return;
                }
                b->s = s;
                b->cap = cap;
        }
        memcpy(b->s + b->len, p, n);
        b->len += n;
        b->s[b->len] = 0;
}

static void out_line(SBuf *b, char mark, const DiffText *t, long i)
{
        static const char no_newline[] = "\\ No newline at end of file\n";

        out_put(b, &mark, 1);
        out_put(b, t->text + t->starts[i], t->starts[i + 1] - t->starts[i]);
        if (t->missing_newline && i == t->n_lines - 1)
                out_put(b, no_newline, sizeof(no_newline) - 1);
}

/* Lines [first, last] (0-based) as diff prints them: "l,count", "l" for one line, and the line
 * before the range with ",0" for none. */
static void out_range(SBuf *b, long first, long last)
{
        if (last < first)
                sbuf_appendf(b, "%ld,0", last + 1);
        else if (last == first)
                sbuf_appendf(b, "%ld", first + 1);
        else
                sbuf_appendf(b, "%ld,%ld", first + 1, last - first + 1);
}

/* Step 6. */
static void print_hunks(const Diff *d, long context, SBuf *out)
{
        const DiffText *t0 = &d->t[0], *t1 = &d->t[1];

        for (long h = 0; h < d->n_changes;) {
                /* The hunk is changes [h, e]. */
                long e = h;
                while (e + 1 < d->n_changes &&
                       d->changes[e + 1].line0 - (d->changes[e].line0 + d->changes[e].deleted) <
                           2 * context + 1)
                        e++;

                const Change *first = &d->changes[h], *last = &d->changes[e];
                long first0 = MAX(first->line0 - context, 0);
                long first1 = MAX(first->line1 - context, 0);
                long last0 = MIN(last->line0 + last->deleted - 1 + context, t0->n_lines - 1);
                long last1 = MIN(last->line1 + last->inserted - 1 + context, t1->n_lines - 1);

                sbuf_append(out, "@@ -");
                out_range(out, first0, last0);
                sbuf_append(out, " +");
                out_range(out, first1, last1);
                sbuf_append(out, " @@\n");

                long i = first0, j = first1, next = h;
                while (i <= last0 || j <= last1) {
                        if (next > e || i < d->changes[next].line0) {
                                out_line(out, ' ', t0, i++);
                                j++;
                                continue;
                        }
                        const Change *c = &d->changes[next++];
                        for (long k = 0; k < c->deleted; k++)
                                out_line(out, '-', t0, i++);
                        for (long k = 0; k < c->inserted; k++)
                                out_line(out, '+', t1, j++);
                }
                h = e + 1;
        }
}

int diff_unified(const char *a, const char *b, const char *label_a, const char *label_b,
                 unsigned context, char **ret)
{
        int r;

        if (!a || !b || !label_a || !label_b || !ret)
                return -EINVAL;

        size_t len_a = strlen(a), len_b = strlen(b);
        long lines_a = count_lines(a, len_a), lines_b = count_lines(b, len_b);
        if (lines_a > DIFF_LINES_MAX || lines_b > DIFF_LINES_MAX)
                return -E2BIG;

        if (len_a == len_b && memcmp(a, b, len_a) == 0) {
                char *empty = strdup("");
                if (!empty)
                        return -ENOMEM;
                *ret = empty;
                return 0;
        }

        /* More context than lines changes nothing, and keeps the arithmetic small. */
        long ctx = MIN((long) context, (long) DIFF_LINES_MAX + 1);

        _cleanup_(diff_done) Diff d = {0};
        r = text_init(&d.t[0], a, len_a, lines_a);
        if (r < 0)
                return r;
        r = text_init(&d.t[1], b, len_b, lines_b);
        if (r < 0)
                return r;

        find_compared_region(d.t, ctx);
        r = classify_lines(&d);
        if (r < 0)
                return r;
        r = discard_lines(&d);
        if (r < 0)
                return r;
        r = compare_kept(&d);
        if (r < 0)
                return r;
        shift_boundaries(&d);
        r = build_changes(&d);
        if (r < 0)
                return r;

        SBuf out = {0};
        sbuf_appendf(&out, "--- %s\n+++ %s\n", label_a, label_b);
        print_hunks(&d, ctx, &out);
        char *s = sbuf_steal(&out);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
