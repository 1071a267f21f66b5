/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "cpuset-util.h"
#include "json-writer.h"
#include "parse-util.h"
#include "string-util.h"

static void test_safe_atou(void **state)
{
        unsigned u;
        int i;
        uint64_t v;
        assert_int_equal(safe_atou("42", &u), 0);
        assert_int_equal(u, 42);
        assert_int_equal(safe_atou("0", &u), 0);
        assert_int_equal(safe_atou("", &u), -EINVAL);
        assert_int_equal(safe_atou("-1", &u), -EINVAL);
        assert_int_equal(safe_atou("+1", &u), -EINVAL);
        assert_int_equal(safe_atou(" 1", &u), -EINVAL);
        assert_int_equal(safe_atou("1 ", &u), -EINVAL);
        assert_int_equal(safe_atou("12a", &u), -EINVAL);
        assert_int_equal(safe_atou("4294967295", &u), 0);
        assert_int_equal(safe_atou("4294967296", &u), -ERANGE);
        assert_int_equal(safe_atou64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(safe_atou64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(safe_atoi("-1", &i), 0);
        assert_int_equal(i, -1);
        assert_int_equal(safe_atoi("-2147483648", &i), 0);
        assert_int_equal(i, INT_MIN);
        assert_int_equal(safe_atoi("2147483648", &i), -ERANGE);
        assert_int_equal(safe_atoi("-", &i), -EINVAL);
}

static void test_parse_size(void **state)
{
        uint64_t b;
        assert_int_equal(parse_size("16G", 1, &b), 0);
        assert_true(b == 16ULL << 30);
        assert_int_equal(parse_size("16GiB", 1, &b), 0);
        assert_true(b == 16ULL << 30);
        assert_int_equal(parse_size("16384M", 1, &b), 0);
        assert_true(b == 16ULL << 30);
        assert_int_equal(parse_size("2048", 1ULL << 20, &b), 0);
        assert_true(b == 2ULL << 30);
        assert_int_equal(parse_size("1GB", 1, &b), 0);
        assert_true(b == 1000000000ULL);
        assert_int_equal(parse_size("8k", 1, &b), 0);
        assert_true(b == 8192);
        assert_int_equal(parse_size("7bytes", 1, &b), 0);
        assert_true(b == 7);
        assert_int_equal(parse_size("", 1, &b), -EINVAL);
        assert_int_equal(parse_size("G", 1, &b), -EINVAL);
        assert_int_equal(parse_size("-1G", 1, &b), -EINVAL);
        assert_int_equal(parse_size("1.5G", 1, &b), -EINVAL);
        assert_int_equal(parse_size("16 G", 1, &b), -EINVAL);
        assert_int_equal(parse_size("16X", 1, &b), -EINVAL);
        assert_int_equal(parse_size("99999999999999T", 1, &b), -ERANGE);
        assert_int_equal(parse_size("184467440737095516160", 1, &b), -ERANGE);
        assert_int_equal(parse_size("18446744073709551615", 2, &b), -ERANGE);
}

static void test_format_bytes(void **state)
{
        char buf[FORMAT_BYTES_MAX];
        assert_string_equal(format_bytes(buf, sizeof(buf), 0), "0 B");
        assert_string_equal(format_bytes(buf, sizeof(buf), 2ULL << 20), "2 MiB");
        assert_string_equal(format_bytes(buf, sizeof(buf), 1ULL << 30), "1 GiB");
        assert_string_equal(format_bytes(buf, sizeof(buf), 3ULL << 29), "1536 MiB");
        assert_string_equal(format_bytes(buf, sizeof(buf), 1026ULL << 20), "1026 MiB");
        assert_string_equal(format_bytes(buf, sizeof(buf), 9771050598ULL), "9.1 GiB");
        assert_string_equal(format_bytes(buf, sizeof(buf), 16ULL << 40), "16 TiB");
        assert_string_equal(format_bytes(buf, sizeof(buf), 1023), "1023 B");
}

static void test_cpuset_parse(void **state)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t s = hwloc_bitmap_alloc();
        assert_int_equal(cpuset_parse_list("0-3,8-11", s), 0);
        assert_string_equal(setstr(s), "0-3,8-11");
        assert_int_equal(cpuset_parse_list("", s), 0);
        assert_true(hwloc_bitmap_iszero(s));
        assert_int_equal(cpuset_parse_list(" 5\n", s), 0);
        assert_string_equal(setstr(s), "5");
        assert_int_equal(cpuset_parse_list("2,0,1", s), 0);
        assert_string_equal(setstr(s), "0-2");
        assert_int_equal(cpuset_parse_list("0-15:2/4", s), 0); /* kernel stride form */
        assert_string_equal(setstr(s), "0-1,4-5,8-9,12-13");
        assert_int_equal(cpuset_parse_list("8191", s), 0);

        static const char *const bad[] = {
            "abc",  "3-1",    "0-3x", "1,,2", "5-",    "-5",      "1,",      ",1",    "99999999999",
            "8192", "0-8192", "1 2",  "0x3",  "1-2-3", "0-3:0/4", "0-3:5/4", "0-3:2", "0-3:2/"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_true(cpuset_parse_list(bad[i], s) < 0);
                assert_true(hwloc_bitmap_iszero(s));
        }
}

static void test_cpuset_mask(void **state)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t s = hwloc_bitmap_alloc();
        assert_int_equal(cpuset_parse_mask("0000000f,ffffffff\n", s), 0);
        assert_string_equal(setstr(s), "0-35");
        assert_int_equal(cpuset_parse_mask("F,0", s), 0);
        assert_string_equal(setstr(s), "32-35");
        assert_int_equal(cpuset_parse_mask("00000000", s), 0);
        assert_true(hwloc_bitmap_iszero(s));

        /* an empty word is malformed, not skipped (found by tests/fuzz/fuzz-cpuset: "f,,f" was
         * CPUs 0-3 and 32-35) */
        static const char *const bad[] = {"",   ",f",        "f,",          "f,,f", "0,2,,1",
                                          "zz", "123456789", "0000000f,zz", "0x1",  "f f"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(cpuset_parse_mask(bad[i], s), -EINVAL);
                assert_true(hwloc_bitmap_iszero(s));
        }
}

static void test_cpuset_format(void **state)
{
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t s = hwloc_bitmap_alloc();
        char buf[8];
        _cleanup_(freep) char *empty = cpuset_format_list(s);
        assert_string_equal(empty, "");
        assert_string_equal(cpuset_to_list(buf, sizeof(buf), s), "none");
        assert_int_equal(cpuset_parse_list("0,2,4,6,8,10,12", s), 0);
        cpuset_to_list(buf, sizeof(buf), s);
        assert_string_equal(buf, "0,2,...");
}

static void test_json(void **state)
{
        JsonWriter w = {0};
        json_begin_object(&w, NULL);
        json_string(&w, "a", "x\"y\\\n\x01");
        json_begin_array(&w, "l");
        json_uint(&w, NULL, 1);
        json_int(&w, NULL, -2);
        json_bool(&w, NULL, true);
        json_null(&w, NULL);
        json_end_array(&w);
        json_begin_array(&w, "e");
        json_end_array(&w);
        json_end_object(&w);
        _cleanup_(freep) char *s = json_steal(&w);
        assert_string_equal(s,
                            "{\n  \"a\": \"x\\\"y\\\\\\n\\u0001\",\n  \"l\": [\n    1,\n    -2,\n"
                            "    true,\n    null\n  ],\n  \"e\": []\n}\n");

        JsonWriter bad = {0};
        json_begin_object(&bad, NULL); /* unbalanced: refused */
        assert_null(json_steal(&bad));
}

static void test_strings(void **state)
{
        char s[] = "  \t hello \n";
        assert_string_equal(strstrip(s), "hello");
        assert_non_null(startswith("--root=x", "--root="));
        assert_null(startswith("--roo", "--root="));
        assert_true(endswith("a.tar.gz", ".tar.gz"));
        assert_false(endswith("gz", ".tar.gz"));
        _cleanup_(strv_freep) char **l = NULL;
        assert_int_equal(strv_extend(&l, "a"), 0);
        assert_int_equal(strv_extend(&l, "b"), 0);
        assert_int_equal(strv_length(l), 2);
        assert_true(strv_contains(l, "b"));
        assert_false(strv_contains(l, "c"));
}

static void test_error(void **state)
{
        Error e = {0};
        assert_int_equal(error_input(&e, "bad %d", 1), -EINVAL);
        assert_true(e.input);
        assert_string_equal(e.msg, "bad 1");
        /* the first (innermost) message wins */
        assert_int_equal(error_fail(&e, EIO, "outer"), -EIO);
        assert_string_equal(e.msg, "bad 1");
        assert_int_equal(e.code, -EINVAL);
        assert_int_equal(error_fail(NULL, -ENOENT, "x"), -ENOENT);
        /* whatever the input put into it, a message is one line */
        Error f = {0};
        error_input(&f, "name '%s' refused", "vm\nvmslice: forged\t\r\x1b[2J\x7f");
        assert_string_equal(f.msg, "name 'vm\\nvmslice: forged\\t\\r\\x1b[2J\\x7f' refused");
        /* escapes are never cut in half at the end of the buffer */
        char buf[6];
        assert_string_equal(escape_controls("ab\ncd", buf, sizeof(buf)), "ab\\nc");
        assert_string_equal(escape_controls("abc\x01", buf, sizeof(buf)), "abc");
        assert_string_equal(escape_controls("", buf, sizeof(buf)), "");
        /* non-ASCII (UTF-8) is kept */
        char u[32];
        assert_string_equal(escape_controls("\xc3\xa9t\xc3\xa9", u, sizeof(u)),
                            "\xc3\xa9t\xc3\xa9");
        /* a long message is cut, not overrun */
        Error g = {0};
        char big[3000];
        memset(big, '\n', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        error_input(&g, "%s", big);
        assert_true(strlen(g.msg) < sizeof(g.msg));
        assert_null(strchr(g.msg, '\n'));
}

static void test_pci_addr(void **state)
{
        char out[16];
        assert_int_equal(pci_addr_normalize("01:00.0", out), 0);
        assert_string_equal(out, "0000:01:00.0");
        assert_int_equal(pci_addr_normalize("0000:0B:00.1", out), 0);
        assert_string_equal(out, "0000:0b:00.1");
        assert_true(pci_addr_normalize("0000:01:00", out) < 0);
        assert_true(pci_addr_normalize("01:20.0", out) < 0);
        assert_true(pci_addr_normalize("01:00.8", out) < 0);
        assert_true(pci_addr_normalize("../../x", out) < 0);
        assert_true(pci_addr_normalize("", out) < 0);
        assert_true(pci_addr_normalize("1:2:3:4.0", out) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_safe_atou),    cmocka_unit_test(test_parse_size),
            cmocka_unit_test(test_format_bytes), cmocka_unit_test(test_cpuset_parse),
            cmocka_unit_test(test_cpuset_mask),  cmocka_unit_test(test_cpuset_format),
            cmocka_unit_test(test_json),         cmocka_unit_test(test_strings),
            cmocka_unit_test(test_error),        cmocka_unit_test(test_pci_addr),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
