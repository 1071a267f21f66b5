#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The JSON examples of docs/*.md are what vmslice prints (TAP on stdout).

    doc-examples.py SRC VMSLICE [--show]

Every ```json block of a document is an example. Its commands are the "$ " lines of the plain ```
block just before it (only prose between); they run with bash in a scratch directory holding a
`tests` link to SRC/tests, with vmslice on PATH, and the path /tmp/vmslice-example in them (and
in what they print) standing for the scratch directory. A block preceded by
<!-- not run: WHY --> after the previous code block is only parsed.

An example may leave things out, and what it shows must be what the program prints:
- a line "..." in an object: other members; without it, the object has exactly these members;
- a line "..." in an array: other elements there (before it: the first ones, after it: the last);
  without it, exactly these elements;
- a string ending in "...": a longer string starting with what is shown before the dots;
- everything else is equal, members in the program's order.
With --show, prints each example's live output instead of comparing it.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PLACEHOLDER = "/tmp/vmslice-example"
ELIDED = "__vmslice_doc_elided__"


def examples(path):
    """(line, commands or None, not-run reason or None, json text) of each ```json block"""
    lines = open(path).read().split("\n")
    out = []
    i = 0
    last_plain, between = None, []
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            between.append(lines[i])
            i += 1
            continue
        lang, start = m.group(1), i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if lang == "json":
            prose = "\n".join(between)
            why = re.search(r"<!-- not run: (.*?) -->", prose, re.S)
            cmds = [l[2:] for l in last_plain or [] if l.startswith("$ ")]
            out.append((start + 1, cmds or None, why.group(1) if why else None, "\n".join(body)))
            last_plain = None
        else:
            last_plain = body if lang == "" else None
        between = []
    return out


def parse_example(text):
    """The JSON of an example, its "..." lines as ELIDED members or elements."""
    lines = text.split("\n")
    fixed = []
    for n, line in enumerate(lines):
        if re.match(r"^\s*\.\.\.,?\s*$", line):
            # what encloses it: count the brackets outside strings so far
            stack = []
            for c in re.sub(r'"(?:[^"\\]|\\.)*"', '""', "\n".join(fixed)):
                if c in "[{":
                    stack.append(c)
                elif c in "]}":
                    stack.pop()
            prev = next((k for k in range(len(fixed) - 1, -1, -1) if fixed[k].strip()), None)
            if prev is not None and not fixed[prev].rstrip().endswith((",", "[", "{")):
                fixed[prev] += ","
            nxt = next((l for l in lines[n + 1 :] if l.strip()), "")
            comma = "" if nxt.strip()[:1] in ("]", "}") else ","
            item = f'"{ELIDED}": null' if stack and stack[-1] == "{" else f'"{ELIDED}"'
            fixed.append(item + comma)
        else:
            fixed.append(line)
    return json.loads("\n".join(fixed))


def compare(doc, live, where="$"):
    """The first difference, or None."""
    if isinstance(doc, dict):
        if not isinstance(live, dict):
            return f"{where}: an object in the example, {type(live).__name__} in the output"
        keys = [k for k in doc if k != ELIDED]
        for k in keys:
            if k not in live:
                return f"{where}: the output has no member '{k}'"
        order = [k for k in live if k in keys]
        if order != keys:
            return f"{where}: members in the order {order} in the output, {keys} in the example"
        if ELIDED not in doc and set(keys) != set(live):
            return f"{where}: the output also has {sorted(set(live) - set(keys))} (add them, or a ... line)"
        for k in keys:
            d = compare(doc[k], live[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(doc, list):
        if not isinstance(live, list):
            return f"{where}: an array in the example, {type(live).__name__} in the output"
        parts = [[]]
        for x in doc:
            if x == ELIDED:
                parts.append([])
            else:
                parts[-1].append(x)
        if len(parts) == 1:
            if len(doc) != len(live):
                return f"{where}: {len(doc)} elements in the example, {len(live)} in the output"
            for n, (d, l) in enumerate(zip(doc, live)):
                r = compare(d, l, f"{where}[{n}]")
                if r:
                    return r
            return None
        head, tail = parts[0], parts[-1]
        if len(head) + len(tail) > len(live):
            return f"{where}: more elements in the example than the {len(live)} of the output"
        for n, d in enumerate(head):
            r = compare(d, live[n], f"{where}[{n}]")
            if r:
                return r
        for n, d in enumerate(tail):
            k = len(live) - len(tail) + n
            r = compare(d, live[k], f"{where}[{k}]")
            if r:
                return r
        # the middle parts: in order, anywhere between
        pos = len(head)
        for part in parts[1:-1]:
            while pos + len(part) <= len(live) - len(tail):
                if all(compare(d, live[pos + j], "") is None for j, d in enumerate(part)):
                    break
                pos += 1
            else:
                return f"{where}: the elements {part} are not in the output in this order"
            pos += len(part)
        return None
    if isinstance(doc, str) and doc.endswith("...") and isinstance(live, str):
        if live.startswith(doc[:-3]):
            return None
        return f"{where}: {live!r} does not start with {doc[:-3]!r}"
    if type(doc) is not type(live) or doc != live:
        return f"{where}: {live!r} in the output, {doc!r} in the example"
    return None


def json_verbs_of(texts):
    """the verbs that "vmslice [global options] VERB ... --json" runs in texts"""
    verbs = set()
    for t in texts:
        for m in re.finditer(r"\bvmslice ((?:--?[\w-]+(?:[ =][^ -]\S*)? )*)(\w+)([^;&|]*)", t):
            if re.search(r"(^| )--json\b", m.group(3)):
                verbs.add(m.group(2))
    return verbs


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    src, vmslice = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    show = "--show" in sys.argv[3:]
    n = failed = 0

    def ok(good, desc, diag=""):
        nonlocal n, failed
        n += 1
        print(("ok" if good else "not ok") + f" {n} - {desc}")
        for line in diag.rstrip("\n").split("\n") if diag and not good else []:
            print("# " + line)
        failed += not good

    scratch_root = tempfile.mkdtemp(prefix="vmslice-docs.")
    try:
        bindir = os.path.join(scratch_root, "bin")
        os.mkdir(bindir)
        os.symlink(vmslice, os.path.join(bindir, "vmslice"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), LC_ALL="C")
        run_verbs = set()
        docs = sorted(f for f in os.listdir(os.path.join(src, "docs")) if f.endswith(".md"))
        for doc in docs:
            for k, (line, cmds, why, text) in enumerate(examples(os.path.join(src, "docs", doc))):
                name = f"docs/{doc}:{line}"
                try:
                    want = parse_example(text)
                except ValueError as e:
                    ok(False, f"{name}: the example is JSON (with ... lines)", str(e))
                    continue
                if why:
                    ok(True, f"{name}: parses (not run: {why.strip()})")
                    run_verbs.update(json_verbs_of([why]))
                    continue
                if not cmds:
                    ok(False, f"{name}: the example has its commands ('$ ' lines) in a ``` block before it")
                    continue
                scratch = os.path.join(scratch_root, f"{doc}-{k}")
                os.mkdir(scratch)
                os.symlink(os.path.join(src, "tests"), os.path.join(scratch, "tests"))
                script = "\n".join(cmds).replace(PLACEHOLDER, scratch)
                p = subprocess.run(["bash", "-c", "set -o pipefail\n" + script], cwd=scratch, env=env,
                                   capture_output=True, text=True)
                out = p.stdout.replace(scratch, PLACEHOLDER)
                if show:
                    print(f"# {name}: exit {p.returncode}\n{out}")
                    continue
                run_verbs.update(json_verbs_of(cmds))
                try:
                    live = json.loads(out)
                except ValueError as e:
                    ok(False, f"{name}: '{cmds[-1]}' prints JSON", f"exit {p.returncode}: {e}\n{p.stderr}")
                    continue
                diff = compare(want, live)
                ok(diff is None, f"{name}: {cmds[-1]}", diff or "")
        if not show:
            # every verb that prints JSON has an example
            opts = subprocess.run([sys.executable, os.path.join(src, "tests", "cli", "options.py"), src,
                                   "options"], capture_output=True, text=True, check=True).stdout
            json_verbs = sorted({l.split()[0] for l in opts.splitlines() if l.endswith(" --json")})
            missing = [v for v in json_verbs if v not in run_verbs]
            ok(json_verbs and not missing, f"every verb with --json ({' '.join(json_verbs)}) has an example",
               f"no example of: {' '.join(missing)}")
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    print(f"1..{n}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
