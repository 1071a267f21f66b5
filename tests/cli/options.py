#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The command line vmslice's source accepts, for the tests that hold the help texts, the man page
and the bash completion to it.

    options.py SRC verbs      one line per verb of main.c's verb table, in its order
    options.py SRC options    "VERB --option" per long option a verb's parser takes
    options.py SRC global     the global options main() takes out ("--root", "-h", ...)
    options.py SRC settings   the keys of vmslice.conf (slice-config.c's key table, and "enabled")

A verb's options are those of the `CliOption` tables (cli-options.h) its function (named in the
verb table) defines or names, directly, through a `CliOptionGroup` table that names them (in any
file of src/cli: the planner's options are cli-plan-args.c's) or through the static functions of
its file it calls; CLI_OPTION_HELP stands for --help.
"""
import os
import re
import sys

STRING = r'"(?:[^"\\]|\\.)*"'


TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|/\*.*?\*/|//[^\n]*|[^"\'/]+|/', re.S
)


def blank(t):
    return re.sub(r"[^\n]", " ", t)


def strip_comments(text):
    """text with its comments blanked (offsets kept)"""
    return "".join(
        blank(m.group(0)) if m.group(0)[:2] in ("/*", "//") else m.group(0)
        for m in TOKEN.finditer(text)
    )


def mask_literals(text):
    """text (comments stripped) with the insides of its string and character literals blanked"""
    return "".join(
        t[0] + blank(t[1:-1]) + t[-1] if t[0] in "\"'" else t
        for t in (m.group(0) for m in TOKEN.finditer(text))
    )


def matching_brace(masked, start):
    """Index just after the brace that closes the one at start."""
    depth = 0
    for i in range(start, len(masked)):
        if masked[i] == "{":
            depth += 1
        elif masked[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise SystemExit(f"options.py: unbalanced braces from offset {start}")


TABLE = r"(?:struct option|CliOption)\s+(\w+)\s*\[\s*\]\s*=\s*\{"
GROUPS = r"CliOptionGroup\s+(\w+)\s*\[\s*\]\s*=\s*\{"


class Source:
    def __init__(self, src):
        self.dir = os.path.join(src, "src", "cli")
        # file -> (functions {name: body}, tables {name: [options]}, groups {name: [table names]})
        self.files = {}
        self.tables = {}  # the file-scope option tables of src/cli by name, for other files
        for f in sorted(os.listdir(self.dir)):
            if f.endswith(".c"):
                self.files[f] = self.parse(strip_comments(open(os.path.join(self.dir, f)).read()))
                self.tables.update(self.files[f][1])
        if "plan_options" not in self.tables:
            raise SystemExit("options.py: no plan_options table in src/cli")

    def long_names(self, text):
        names = re.findall(r'\{\s*"([a-z0-9-]+)"\s*,\s*(?:no|required|optional)_argument', text)
        if re.search(r"\bCLI_OPTION_HELP\b", text):
            names.append("help")
        return names

    def parse(self, text):
        """{function: (masked body, options of the tables it defines)}, {file-scope table: options}"""
        masked = mask_literals(text)
        tables = []  # (start, end, name, options)
        for m in re.finditer(TABLE, masked):
            end = matching_brace(masked, m.end() - 1)
            tables.append((m.start(), end, m.group(1), self.long_names(text[m.end() : end])))
        groups = {}
        for m in re.finditer(GROUPS, masked):
            end = matching_brace(masked, m.end() - 1)
            groups[m.group(1)] = re.findall(r"\b(\w+)\s*\}", masked[m.end() : end])
        functions, spans = {}, []
        for m in re.finditer(r"^[a-zA-Z][\w \t*]*?\b(\w+)\s*\([^;{]*\)\s*\{", masked, re.M):
            end = matching_brace(masked, m.end() - 1)
            local = [o for s, _, _, opts in tables if m.end() <= s < end for o in opts]
            functions[m.group(1)] = (masked[m.end() : end], local)
            spans.append((m.end(), end))
        file_scope = {
            name: opts for s, _, name, opts in tables if not any(a <= s < b for a, b in spans)
        }
        # a group names tables of its file (the file-scope ones; a function's own tables are its
        # options already) or the file-scope tables of another file
        local = {name for _, _, name, _ in tables} - set(file_scope)
        groups = {g: [n for n in names if n not in local] for g, names in groups.items()}
        return functions, file_scope, groups

    def function_options(self, name):
        for functions, tables, groups in self.files.values():
            if name in functions:
                return list(dict.fromkeys(self._collect(functions, tables, groups, name, set())))
        raise SystemExit(f"options.py: no function {name} in {self.dir}")

    def _collect(self, functions, tables, groups, name, seen):
        seen.add(name)
        body, found = functions[name]
        found = list(found)
        for t, opts in tables.items():
            if re.search(r"\b%s\b" % re.escape(t), body):
                found += opts
        for g, names in groups.items():
            if re.search(r"\b%s\b" % re.escape(g), body):
                for n in names:
                    found += tables[n] if n in tables else self.tables.get(n, [])
        for callee in re.findall(r"\b(\w+)\s*\(", body):
            if callee in functions and callee not in seen:
                found += self._collect(functions, tables, groups, callee, seen)
        return found

    def verbs(self):
        main = strip_comments(open(os.path.join(self.dir, "main.c")).read())
        m = re.search(r"Verb verbs\[\]\s*=\s*\{", main)
        table = main[m.end() : matching_brace(mask_literals(main), m.end() - 1)]
        entry = r'\{\s*"([a-z-]+)"\s*,\s*%s\s*,\s*(?:%s\s*)+,\s*(\w+)\s*\}' % (STRING, STRING)
        verbs = re.findall(entry, table)
        if not verbs:
            raise SystemExit("options.py: no verbs in main.c")
        return verbs

    def global_options(self):
        main = strip_comments(open(os.path.join(self.dir, "main.c")).read())
        return list(dict.fromkeys(re.findall(r'streq\(a, "(-[a-z-]*[a-z])"\)', main)))


def settings(src):
    text = strip_comments(open(os.path.join(src, "src", "slice", "slice-config.c")).read())
    keys = re.findall(r'\{\s*"([a-z-]+)"\s*,\s*T_[A-Z]+\s*,', text)
    if not keys:
        raise SystemExit("options.py: no keys in slice-config.c")
    if re.search(r'streq\(key, "enabled"\)', text):
        keys.append("enabled")
    return keys


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, what = sys.argv[1], sys.argv[2]
    if what == "settings":
        print("\n".join(settings(src)))
        return
    s = Source(src)
    if what == "verbs":
        print("\n".join(v for v, _ in s.verbs()))
    elif what == "options":
        for verb, fn in s.verbs():
            for o in s.function_options(fn):
                print(f"{verb} --{o}")
    elif what == "global":
        print("\n".join(s.global_options()))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
