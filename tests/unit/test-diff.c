/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* diff_unified(): every output is checked twice, against GNU diff run on the same texts
 * ("LC_ALL=C /usr/bin/diff -U<n> --label A --label B", byte for byte) and by applying it to the
 * first text, which must give the second. A few expected outputs are embedded so that the format
 * is tested without diff too. Without GNU diff the comparisons are left out, which the test says
 * once; it does not use skip(), because cmocka 1.1.5 prints a skipped test as "not ok # SKIP",
 * which meson counts as a failure. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff.h"
#include "string-util.h"

#ifndef GNU_DIFF
#define GNU_DIFF "/usr/bin/diff"
#endif

static char workdir[PATH_MAX]; /* private directory for the texts handed to GNU diff */
static bool have_gnu_diff;

/* A growable text, for building inputs. */
typedef struct Text {
        char *s;
        size_t len, cap;
} Text;

static void text_add(Text *t, const char *p, size_t n)
{
        if (t->len + n + 1 > t->cap) {
                t->cap = (t->len + n + 1) * 2;
                t->s = realloc(t->s, t->cap);
                assert_non_null(t->s);
        }
        memcpy(t->s + t->len, p, n);
        t->len += n;
        t->s[t->len] = 0;
}

static void text_addf(Text *t, const char *fmt, ...) _printf_(2, 3);
static void text_addf(Text *t, const char *fmt, ...)
{
        char *s;
        va_list ap;
        va_start(ap, fmt);
        assert_true(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        text_add(t, s, strlen(s));
        free(s);
}

static char *text_steal(Text *t)
{
        if (!t->s)
                text_add(t, "", 0);
        char *s = t->s;
        *t = (Text){0};
        return s;
}

/* Lines of a text: each with its '\n', except a last line without one. */
typedef struct Lines {
        const char **p;
        size_t *len;
        size_t n;
} Lines;

static Lines split_lines(const char *s)
{
        Lines l = {0};
        size_t cap = 16;
        l.p = malloc(sizeof(char *) * cap);
        l.len = malloc(sizeof(size_t) * cap);
        assert_true(l.p && l.len);
        while (*s) {
                const char *nl = strchr(s, '\n');
                size_t len = nl ? (size_t) (nl - s) + 1 : strlen(s);
                if (l.n == cap) {
                        cap *= 2;
                        l.p = realloc(l.p, sizeof(char *) * cap);
                        l.len = realloc(l.len, sizeof(size_t) * cap);
                        assert_true(l.p && l.len);
                }
                l.p[l.n] = s;
                l.len[l.n++] = len;
                s += len;
        }
        return l;
}

static void lines_free(Lines *l)
{
        free(l->p);
        free(l->len);
}

static size_t count_newlines(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* Parses "l" or "l,n" of a hunk header; returns the index of the range's first line (0-based). */
static long parse_range(const char **p, long *ret_count)
{
        char *end;
        long start = strtol(*p, &end, 10), count = 1;
        assert_true(end != *p && start >= 0);
        if (*end == ',') {
                const char *q = end + 1;
                count = strtol(q, &end, 10);
                assert_true(end != q && count >= 0);
        }
        *p = end;
        *ret_count = count;
        /* An empty range names the line before it. */
        return count == 0 ? start : start - 1;
}

/* Applies diff, made with labels A and B, to a; the result must be b. Returns the number of
 * hunks. */
static unsigned check_patch(const char *a, const char *b, const char *diff)
{
        if (*diff == 0) {
                assert_string_equal(a, b);
                return 0;
        }

        const char *p = startswith(diff, "--- A\n+++ B\n");
        assert_non_null(p);
        Lines old = split_lines(a);
        Text out = {0};
        size_t pos = 0;
        unsigned hunks = 0;
        long prev_end = -1;

        while (*p) {
                long old_count, new_count;
                p = startswith(p, "@@ -");
                assert_non_null(p);
                long old_first = parse_range(&p, &old_count);
                p = startswith(p, " +");
                assert_non_null(p);
                long new_first = parse_range(&p, &new_count);
                p = startswith(p, " @@\n");
                assert_non_null(p);
                hunks++;

                /* Hunks are in order and do not touch (they would have been one). */
                assert_true(old_first > prev_end);
                assert_true((size_t) old_first >= pos && (size_t) old_first <= old.n);
                for (; pos < (size_t) old_first; pos++)
                        text_add(&out, old.p[pos], old.len[pos]);
                /* The new text's numbering agrees with what was produced so far. */
                assert_int_equal(new_first, (long) (out.s ? count_newlines(out.s) : 0));

                long n_old = 0, n_new = 0;
                while (*p == ' ' || *p == '-' || *p == '+') {
                        char mark = *p++;
                        const char *nl = strchr(p, '\n');
                        assert_non_null(nl);
                        size_t len = (size_t) (nl - p) + 1;
                        const char *next = nl + 1;
                        const char *after = startswith(next, "\\ No newline at end of file\n");
                        if (after) {
                                len--;
                                next = after;
                        }
                        if (mark != '+') {
                                assert_true(pos < old.n);
                                assert_int_equal(len, old.len[pos]);
                                assert_memory_equal(p, old.p[pos], len);
                                pos++;
                                n_old++;
                        }
                        if (mark != '-') {
                                text_add(&out, p, len);
                                n_new++;
                        }
                        p = next;
                }
                assert_int_equal(n_old, old_count);
                assert_int_equal(n_new, new_count);
                prev_end = (long) pos;
        }
        for (; pos < old.n; pos++)
                text_add(&out, old.p[pos], old.len[pos]);

        char *result = text_steal(&out);
        assert_string_equal(result, b);
        free(result);
        lines_free(&old);
        return hunks;
}

static char *diff_or_fail(const char *a, const char *b, unsigned context)
{
        char *d = NULL;
        assert_int_equal(diff_unified(a, b, "A", "B", context, &d), 0);
        assert_non_null(d);
        return d;
}

static void write_file(const char *name, const char *content)
{
        char path[PATH_MAX + 8];
        snprintf(path, sizeof(path), "%s/%s", workdir, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        size_t len = strlen(content);
        assert_int_equal(fwrite(content, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

/* Output of a command (status 0 or 1 required). */
static char *run_command(const char *cmd)
{
        FILE *f = popen(cmd, "re");
        assert_non_null(f);
        Text out = {0};
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                text_add(&out, buf, n);
        int status = pclose(f);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) <= 1);
        return text_steal(&out);
}

static char *gnu_diff(const char *a, const char *b, unsigned context)
{
        char cmd[2 * PATH_MAX + 128];
        write_file("a", a);
        write_file("b", b);
        snprintf(cmd, sizeof(cmd),
                 "LC_ALL=C " GNU_DIFF " -U%u --label A --label B -- '%s/a' '%s/b'", context,
                 workdir, workdir);
        return run_command(cmd);
}

/* Compares with GNU diff (when present) and checks that the diff applies; returns the hunks. */
static unsigned check_diff(const char *a, const char *b, unsigned context)
{
        char *d = diff_or_fail(a, b, context);
        unsigned hunks = check_patch(a, b, d);
        if (have_gnu_diff) {
                char *expected = gnu_diff(a, b, context);
                if (!streq(d, expected))
                        print_error("context %u\n--- a:\n%s\n--- b:\n%s\n--- expected:\n%s\n"
                                    "--- got:\n%s\n",
                                    context, a, b, expected, d);
                assert_string_equal(d, expected);
                free(expected);
        }
        free(d);
        return hunks;
}

/* xorshift64*: the same sequence everywhere. */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (uint32_t) ((rng_state * UINT64_C(2685821657736338717)) >> 32) % n;
}

static void test_equal(void **state)
{
        static const char *const texts[] = {"", "\n", "a", "a\n", "a\nb\nc\n", "a\n\n\nb"};
        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                for (unsigned context = 0; context <= 3; context += 3) {
                        char *d = diff_or_fail(texts[i], texts[i], context);
                        assert_string_equal(d, "");
                        free(d);
                }
}

static void test_errors(void **state)
{
        char *d = NULL;
        assert_int_equal(diff_unified(NULL, "", "A", "B", 3, &d), -EINVAL);
        assert_int_equal(diff_unified("", NULL, "A", "B", 3, &d), -EINVAL);
        assert_int_equal(diff_unified("", "", NULL, "B", 3, &d), -EINVAL);
        assert_int_equal(diff_unified("", "", "A", NULL, 3, &d), -EINVAL);
        assert_int_equal(diff_unified("", "", "A", "B", 3, NULL), -EINVAL);
        assert_null(d);
}

/* Outputs of GNU diff 3.8, embedded. */
static void test_embedded(void **state)
{
        static const struct {
                const char *a, *b;
                unsigned context;
                const char *expected;
        } cases[] = {
            {"", "one\ntwo\n", 3, "--- A\n+++ B\n@@ -0,0 +1,2 @@\n+one\n+two\n"},
            {"one\ntwo\n", "", 3, "--- A\n+++ B\n@@ -1,2 +0,0 @@\n-one\n-two\n"},
            {"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n", 3,
             "--- A\n+++ B\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"},
            {"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n", 0,
             "--- A\n+++ B\n@@ -5 +5 @@\n-e\n+E\n"},
            {"a\nb\nc\n", "new\na\nb\nc\n", 0, "--- A\n+++ B\n@@ -0,0 +1 @@\n+new\n"},
            {"a\nb\nc\n", "a\nb\n", 0, "--- A\n+++ B\n@@ -3 +2,0 @@\n-c\n"},
            {"a\nb", "a\nb\n", 3,
             "--- A\n+++ B\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
            {"a\nb\nc", "a\nb\nC", 3,
             "--- A\n+++ B\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+C\n"
             "\\ No newline at end of file\n"},
            {"", "\n", 3, "--- A\n+++ B\n@@ -0,0 +1 @@\n+\n"},
            /* Two changes 6 lines apart share a hunk with context 3, 7 apart do not. */
            {"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n",
             "1\n2\nX\n4\n5\n6\n7\n8\n9\nY\n11\n12\n13\n14\n", 3,
             "--- A\n+++ B\n@@ -1,13 +1,13 @@\n 1\n 2\n-3\n+X\n 4\n 5\n 6\n 7\n 8\n 9\n-10\n"
             "+Y\n 11\n 12\n 13\n"},
            {"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n",
             "1\n2\nX\n4\n5\n6\n7\n8\n9\n10\nY\n12\n13\n14\n", 3,
             "--- A\n+++ B\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+X\n 4\n 5\n 6\n@@ -8,7 +8,7 @@\n 8\n"
             " 9\n 10\n-11\n+Y\n 12\n 13\n 14\n"},
            /* Blank lines keep their one-character prefix. */
            {"x\n\ny\n", "x\n\nz\n", 3, "--- A\n+++ B\n@@ -1,3 +1,3 @@\n x\n \n-y\n+z\n"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *d = diff_or_fail(cases[i].a, cases[i].b, cases[i].context);
                assert_string_equal(d, cases[i].expected);
                check_patch(cases[i].a, cases[i].b, d);
                free(d);
                /* And the same from GNU diff, when it is here. */
                check_diff(cases[i].a, cases[i].b, cases[i].context);
        }

        char *d = NULL;
        assert_int_equal(diff_unified("a\n", "b\n", "old/domain.xml", "new/domain.xml", 3, &d), 0);
        assert_string_equal(d, "--- old/domain.xml\n+++ new/domain.xml\n@@ -1 +1 @@\n-a\n+b\n");
        free(d);
}

typedef struct Edit {
        int pos;         /* first line of a replaced (0-based) */
        int del;         /* lines of a removed there */
        const char *ins; /* lines inserted there, each ending in '\n' */
} Edit;

typedef struct Case {
        const char *name;
        const char *a; /* NULL: "line 1\n" .. "line <n>\n" */
        int n;
        Edit edits[4]; /* ascending, not overlapping; del == 0 && !ins ends the list */
        bool a_incomplete, b_incomplete; /* drop the final newline */
} Case;

static char *case_text(const Case *c, bool second)
{
        Text t = {0};
        if (c->a)
                text_add(&t, c->a, strlen(c->a));
        else
                for (int i = 1; i <= c->n; i++)
                        text_addf(&t, "line %d\n", i);
        char *a = text_steal(&t);
        if (second) {
                Lines l = split_lines(a);
                size_t pos = 0;
                for (size_t e = 0; e < ELEMENTSOF(c->edits); e++) {
                        const Edit *ed = &c->edits[e];
                        if (ed->del == 0 && !ed->ins)
                                break;
                        for (; pos < (size_t) ed->pos; pos++)
                                text_add(&t, l.p[pos], l.len[pos]);
                        if (ed->ins)
                                text_add(&t, ed->ins, strlen(ed->ins));
                        pos += (size_t) ed->del;
                }
                for (; pos < l.n; pos++)
                        text_add(&t, l.p[pos], l.len[pos]);
                lines_free(&l);
                free(a);
                a = text_steal(&t);
        }
        size_t len = strlen(a);
        if ((second ? c->b_incomplete : c->a_incomplete) && len > 0 && a[len - 1] == '\n')
                a[len - 1] = 0;
        return a;
}

static void test_cases(void **state)
{
        static const Case cases[] = {
            {"equal", NULL, 30, {{0}}, false, false},
            {"empty-to-text", "", 0, {{0, 0, "a\nb\nc\n"}}, false, false},
            {"text-to-empty", NULL, 5, {{0, 5, NULL}}, false, false},
            {"empty-to-newline", "", 0, {{0, 0, "\n"}}, false, false},
            {"empty-to-incomplete", "", 0, {{0, 0, "x\n"}}, false, true},
            {"insert-start", NULL, 30, {{0, 0, "new 1\n"}}, false, false},
            {"insert-start-3", NULL, 30, {{0, 0, "new 1\nnew 2\nnew 3\n"}}, false, false},
            {"insert-middle", NULL, 30, {{15, 0, "new 1\n"}}, false, false},
            {"insert-middle-3", NULL, 30, {{15, 0, "new 1\nnew 2\nnew 3\n"}}, false, false},
            {"insert-end", NULL, 30, {{30, 0, "new 1\n"}}, false, false},
            {"insert-end-3", NULL, 30, {{30, 0, "new 1\nnew 2\nnew 3\n"}}, false, false},
            {"delete-start", NULL, 30, {{0, 1, NULL}}, false, false},
            {"delete-start-3", NULL, 30, {{0, 3, NULL}}, false, false},
            {"delete-middle", NULL, 30, {{14, 1, NULL}}, false, false},
            {"delete-middle-3", NULL, 30, {{14, 3, NULL}}, false, false},
            {"delete-end", NULL, 30, {{29, 1, NULL}}, false, false},
            {"delete-end-3", NULL, 30, {{27, 3, NULL}}, false, false},
            {"change-start", NULL, 30, {{0, 1, "changed\n"}}, false, false},
            {"change-middle", NULL, 30, {{14, 2, "changed\n"}}, false, false},
            {"change-end", NULL, 30, {{29, 1, "changed\n"}}, false, false},
            {"close-1", NULL, 30, {{10, 1, "x\n"}, {12, 1, "y\n"}}, false, false},
            {"close-4", NULL, 30, {{10, 1, "x\n"}, {15, 1, "y\n"}}, false, false},
            {"close-6", NULL, 30, {{10, 1, "x\n"}, {17, 1, "y\n"}}, false, false},
            {"close-7", NULL, 30, {{10, 1, "x\n"}, {18, 1, "y\n"}}, false, false},
            {"close-8", NULL, 30, {{10, 1, "x\n"}, {19, 0, "y\n"}}, false, false},
            {"three-apart", NULL, 60, {{2, 1, "x\n"}, {30, 2, NULL}, {58, 0, "z\n"}}, false, false},
            {"chain",
             NULL,
             40,
             {{5, 1, "a\n"}, {11, 1, "b\n"}, {17, 1, "c\n"}, {23, 1, "d\n"}},
             false,
             false},
            {"a-incomplete", NULL, 10, {{0}}, true, false},
            {"b-incomplete", NULL, 10, {{0}}, false, true},
            {"both-incomplete-same", NULL, 10, {{3, 1, "x\n"}}, true, true},
            {"both-incomplete-last", NULL, 10, {{9, 1, "last\n"}}, true, true},
            {"a-incomplete-changed", NULL, 10, {{9, 1, "last\n"}}, true, false},
            {"incomplete-far", NULL, 20, {{1, 1, "x\n"}}, true, false},
            {"one-line-incomplete", "x", 0, {{0, 1, "y\n"}}, true, true},
            {"blank-lines", "a\n\n\nb\n\nc\n", 0, {{2, 0, "\n\n"}}, false, false},
            {"repeated-block",
             "<disk>\n  <a/>\n</disk>\n<disk>\n  <b/>\n</disk>\n",
             0,
             {{3, 0, "<disk>\n  <c/>\n</disk>\n"}},
             false,
             false},
            {"repeated-lines",
             "x\nx\nx\nx\ny\nx\nx\n",
             0,
             {{2, 1, NULL}, {5, 0, "x\n"}},
             false,
             false},
            {"braces",
             "f {\n  a;\n}\n\ng {\n  b;\n}\n",
             0,
             {{3, 0, "\nh {\n  c;\n}\n"}},
             false,
             false},
            {"reorder", "1\n2\n3\n4\n5\n6\n", 0, {{0, 2, NULL}, {6, 0, "1\n2\n"}}, false, false},
        };
        static const unsigned contexts[] = {0, 1, 2, 3, 5, 100};

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *a = case_text(&cases[i], false), *b = case_text(&cases[i], true);
                for (size_t j = 0; j < ELEMENTSOF(contexts); j++) {
                        unsigned hunks = check_diff(a, b, contexts[j]);
                        assert_true((hunks == 0) == streq(a, b));
                }
                free(a);
                free(b);
        }
}

/* Replaces, deletes or inserts at about `changes` random places. */
static char *mutate(const Lines *l, unsigned changes, const char *const *pool, size_t pool_size)
{
        Text t = {0};
        for (size_t i = 0; i < l->n;) {
                if (rnd(l->n) >= changes) {
                        text_add(&t, l->p[i], l->len[i]);
                        i++;
                        continue;
                }
                unsigned op = rnd(3), k = 1 + rnd(3);
                if (op != 0) {
                        for (unsigned j = 0; j < k; j++) {
                                if (pool && rnd(2))
                                        text_addf(&t, "%s\n", pool[rnd((uint32_t) pool_size)]);
                                else
                                        text_addf(&t, "new %u\n", rnd(1000));
                        }
                }
                if (op == 2) {
                        text_add(&t, l->p[i], l->len[i]);
                        i++;
                } else
                        i += MIN(k, l->n - i);
        }
        return text_steal(&t);
}

static void test_random_large(void **state)
{
        static const char *const pool[] = {"  </disk>", "", "  <devices>", "    </source>", "}"};
        rng_state = 20240611;

        Text t = {0};
        for (int i = 0; i < 2000; i++)
                if (rnd(4) == 0)
                        text_addf(&t, "%s\n", pool[rnd(ELEMENTSOF(pool))]);
                else
                        text_addf(&t, "row %u: %u\n", (unsigned) i, rnd(100000));
        char *a = text_steal(&t);
        Lines l = split_lines(a);
        char *b = mutate(&l, 100, pool, ELEMENTSOF(pool)); /* ~5% */

        assert_true(check_diff(a, b, 3) > 10);
        check_diff(a, b, 0);
        check_diff(a, b, 1);
        check_diff(b, a, 3);

        lines_free(&l);
        free(a);
        free(b);
}

/* Short texts over a few distinct lines: ambiguous alignments, discarded lines, shifted runs. */
static void test_random_small(void **state)
{
        rng_state = 42;
        for (int iter = 0; iter < 600; iter++) {
                uint32_t alphabet = 1 + rnd(7), n = rnd(iter % 3 == 0 ? 80 : 25);
                Text t = {0};
                for (uint32_t i = 0; i < n; i++)
                        text_addf(&t, "w%u\n", rnd(alphabet));
                char *a = text_steal(&t);
                char *b;
                if (rnd(2)) {
                        Lines l = split_lines(a);
                        b = mutate(&l, 1 + rnd(4), NULL, 0);
                        lines_free(&l);
                } else {
                        uint32_t m = rnd(n + 5);
                        for (uint32_t i = 0; i < m; i++)
                                text_addf(&t, "w%u\n", rnd(alphabet + 2));
                        b = text_steal(&t);
                }
                if (rnd(5) == 0 && *a)
                        a[strlen(a) - 1] = 0;
                if (rnd(5) == 0 && *b)
                        b[strlen(b) - 1] = 0;
                check_diff(a, b, rnd(6));
                free(a);
                free(b);
        }
}

/* A libvirt domain with `disks` disks and `vcpus` pinned vCPUs. */
static char *domain_xml(unsigned vcpus, unsigned disks, unsigned cpu_offset, bool numa)
{
        Text t = {0};
        text_addf(&t, "<domain type='kvm'>\n  <name>guest</name>\n");
        text_addf(&t, "  <memory unit='KiB'>16777216</memory>\n");
        text_addf(&t, "  <vcpu placement='static'>%u</vcpu>\n", vcpus);
        text_addf(&t, "  <cputune>\n");
        for (unsigned v = 0; v < vcpus; v++)
                text_addf(&t, "    <vcpupin vcpu='%u' cpuset='%u'/>\n", v, v + cpu_offset);
        text_addf(&t, "    <emulatorpin cpuset='0-1'/>\n  </cputune>\n");
        if (numa)
                text_addf(&t, "  <numatune>\n    <memory mode='strict' nodeset='0'/>\n"
                              "  </numatune>\n");
        text_addf(&t, "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n");
        text_addf(&t, "  <devices>\n");
        for (unsigned d = 0; d < disks; d++)
                text_addf(&t,
                          "    <disk type='file' device='disk'>\n"
                          "      <driver name='qemu' type='qcow2'/>\n"
                          "      <source file='/var/lib/libvirt/images/disk%u.qcow2'/>\n"
                          "      <target dev='vd%c' bus='virtio'/>\n"
                          "    </disk>\n",
                          d, 'a' + (char) (d % 26));
        text_addf(&t, "  </devices>\n</domain>\n");
        return text_steal(&t);
}

static void test_domain_xml(void **state)
{
        static const struct {
                unsigned vcpus, disks, offset;
                bool numa;
        } variants[] = {
            {4, 2, 2, false}, {8, 2, 2, true},  {8, 2, 4, true},   {8, 3, 2, false},
            {16, 1, 8, true}, {2, 0, 0, false}, {64, 40, 2, true},
        };

        for (size_t i = 0; i < ELEMENTSOF(variants); i++)
                for (size_t j = 0; j < ELEMENTSOF(variants); j++) {
                        char *a = domain_xml(variants[i].vcpus, variants[i].disks,
                                             variants[i].offset, variants[i].numa);
                        char *b = domain_xml(variants[j].vcpus, variants[j].disks,
                                             variants[j].offset, variants[j].numa);
                        check_diff(a, b, 3);
                        if (i == 0)
                                check_diff(a, b, 0);
                        free(a);
                        free(b);
                }
}

/* A 10,000-line document with ~1% of it edited: matches diff, and quickly. */
static void test_large_document(void **state)
{
        rng_state = 7;
        char *a = domain_xml(1000, 1800, 0, true);
        Lines l = split_lines(a);
        assert_true(l.n > 10000);
        char *b = mutate(&l, (unsigned) l.n / 100, NULL, 0);

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char *d = diff_or_fail(a, b, 3);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double seconds =
            (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        assert_true(seconds < 5); /* ~10 ms unsanitized */
        free(d);

        check_diff(a, b, 3);
        lines_free(&l);
        free(a);
        free(b);
}

/* Two unrelated texts of 12,000 lines over 20 distinct ones: past 4096 edits on either side, a
 * search stops at its furthest diagonal (diff's cost limit), as diff's does. */
static void test_cost_limit(void **state)
{
        rng_state = 12000;
        Text ta = {0}, tb = {0};
        for (unsigned i = 0; i < 12000; i++) {
                text_addf(&ta, "%u\n", rnd(20));
                text_addf(&tb, "%u\n", rnd(20));
        }
        char *a = text_steal(&ta), *b = text_steal(&tb);
        check_diff(a, b, 3);
        free(a);
        free(b);
}

/* Two unrelated long texts over a few distinct lines: the search gives up and everything is
 * shown as replaced, still a correct diff. */
static void test_too_expensive(void **state)
{
        rng_state = 99;
        Text ta = {0}, tb = {0};
        const unsigned n = 60000;
        for (unsigned i = 0; i < n; i++) {
                text_addf(&ta, "%u\n", i == 0 ? 0 : i == n - 1 ? 2 : rnd(8));
                text_addf(&tb, "%u\n", i == 0 ? 1 : i == n - 1 ? 3 : rnd(8));
        }
        char *a = text_steal(&ta), *b = text_steal(&tb);

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char *d = diff_or_fail(a, b, 3);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double seconds =
            (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        assert_true(seconds < 30);

        assert_int_equal(check_patch(a, b, d), 1);
        assert_non_null(startswith(d, "--- A\n+++ B\n@@ -1,60000 +1,60000 @@\n"));
        free(d);
        free(a);
        free(b);
}

static void test_too_many_lines(void **state)
{
        size_t n = DIFF_LINES_MAX;
        char *big = malloc(2 * n + 3);
        assert_non_null(big);
        for (size_t i = 0; i < n; i++)
                memcpy(big + 2 * i, "x\n", 2);
        big[2 * n] = 0;

        /* DIFF_LINES_MAX lines are fine. */
        char *other = strdup(big);
        assert_non_null(other);
        other[2 * (n / 2)] = 'y';
        char *d = diff_or_fail(big, other, 3);
        assert_string_equal(d, "--- A\n+++ B\n@@ -99998,7 +99998,7 @@\n x\n x\n x\n-x\n+y\n x\n"
                               " x\n x\n");
        free(d);

        /* One more, complete or not, is too many, on either side. */
        d = NULL;
        strcpy(big + 2 * n, "z");
        assert_int_equal(diff_unified(big, other, "A", "B", 3, &d), -E2BIG);
        assert_int_equal(diff_unified(other, big, "A", "B", 3, &d), -E2BIG);
        strcpy(big + 2 * n, "z\n");
        assert_int_equal(diff_unified(big, "", "A", "B", 3, &d), -E2BIG);
        assert_null(d);
        free(big);
        free(other);
}

static int setup(void **state)
{
        const char *tmp = getenv("TMPDIR");
        if (!tmp || tmp[0] != '/' || strchr(tmp, '\''))
                tmp = "/tmp";
        snprintf(workdir, sizeof(workdir), "%s/test-diff-XXXXXX", tmp);
        if (!mkdtemp(workdir))
                return -1;

        if (access(GNU_DIFF, X_OK) == 0) {
                FILE *f = popen("LC_ALL=C " GNU_DIFF " --version", "re");
                char line[256] = "";
                if (f) {
                        if (!fgets(line, sizeof(line), f))
                                line[0] = 0;
                        pclose(f);
                }
                have_gnu_diff = strstr(line, "GNU diffutils") != NULL;
        }
        if (!have_gnu_diff)
                print_message("# GNU diff not found at " GNU_DIFF
                              ", so outputs are only checked by applying them\n");
        return 0;
}

static int teardown(void **state)
{
        char path[PATH_MAX + 8];
        snprintf(path, sizeof(path), "%s/a", workdir);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/b", workdir);
        (void) unlink(path);
        return rmdir(workdir) < 0 ? -1 : 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_equal),          cmocka_unit_test(test_errors),
            cmocka_unit_test(test_embedded),       cmocka_unit_test(test_cases),
            cmocka_unit_test(test_random_large),   cmocka_unit_test(test_random_small),
            cmocka_unit_test(test_domain_xml),     cmocka_unit_test(test_large_document),
            cmocka_unit_test(test_cost_limit),     cmocka_unit_test(test_too_expensive),
            cmocka_unit_test(test_too_many_lines),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
