#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of tests/e2e/run: host snapshots, CPU lists and masks, domain XML, status JSON, smaps,
probe lines. Every command prints its result on stdout; exit 1 means "no" or "failed"."""
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def parse_list(s):
    """a kernel CPU list ("0-3,8") -> set of ints"""
    cpus = set()
    for part in s.strip().split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            cpus.update(range(int(a), int(b) + 1))
        else:
            cpus.add(int(part))
    return cpus


def format_list(cpus):
    out, cpus = [], sorted(cpus)
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else "%d-%d" % (cpus[i], cpus[j]))
        i = j + 1
    return ",".join(out)


def parse_mask(s):
    """a kernel CPU mask ("ff,00000001") -> set of ints"""
    v = int(s.strip().replace(",", ""), 16)
    return {i for i in range(v.bit_length()) if v >> i & 1}


# Every file a slice may change (docs/slice.md), read directly.
KNOBS = [
    "/sys/fs/cgroup/cpuset/cpuset.cpus",
    "/sys/fs/cgroup/cpuset/cpuset.mems",
    "/sys/fs/cgroup/cpuset/vmslice.host/cpuset.cpus",
    "/sys/fs/cgroup/init.scope/cpuset.cpus",
    "/sys/fs/cgroup/system.slice/cpuset.cpus",
    "/sys/fs/cgroup/user.slice/cpuset.cpus",
    "/proc/irq/default_smp_affinity",
    "/proc/irq/*/smp_affinity_list",
    "/sys/devices/virtual/workqueue/cpumask",
    "/sys/bus/workqueue/devices/writeback/cpumask",
    "/sys/kernel/mm/hugepages/*/nr_hugepages",
    "/sys/devices/system/node/node*/hugepages/*/nr_hugepages",
    "/proc/sys/vm/stat_interval",
    "/proc/sys/kernel/watchdog",
    "/proc/sys/kernel/nmi_watchdog",
    "/proc/sys/kernel/timer_migration",
    "/sys/kernel/mm/transparent_hugepage/enabled",
    "/sys/kernel/mm/ksm/run",
    "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor",
    "/sys/devices/system/cpu/cpu*/cpuidle/state*/disable",
]


def cmd_snapshot():
    for pat in KNOBS:
        for f in sorted(glob.glob(pat)):
            try:
                v = open(f).read().strip()
            except OSError as e:
                v = "(unreadable: %s)" % e.strerror
            print("%s\t%s" % (f, v))
    d = "/sys/fs/cgroup/cpuset/vmslice.host"
    print("%s\t%s" % (d, "present" if os.path.isdir(d) else "absent"))


def cmd_kthreads():
    """PID COMM AFFINITY of every kernel thread"""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % p).read()
            if int(st[st.rindex(")") + 2:].split()[6]) & 0x00200000:  # PF_KTHREAD
                comm = open("/proc/%s/comm" % p).read().strip().replace(" ", "_")
                print(p, comm, format_list(os.sched_getaffinity(int(p))))
        except (OSError, ValueError):
            pass


def cmd_same_kthreads(a, b):
    """kernel threads present in both snapshots have the same affinity"""
    def load(f):
        return {" ".join(l.split()[:2]): l.split()[2] for l in open(f) if len(l.split()) == 3}
    x, y = load(a), load(b)
    bad = [k for k in x if k in y and x[k] != y[k]]
    for k in bad:
        print("# kernel thread %s was on %s, now on %s" % (k, x[k], y[k]))
    return 1 if bad else 0


def cmd_vcpupins(path):
    """vCPU:CPUS per <vcpupin>, and the union as "all:CPUS" """
    root = ET.parse(path).getroot()
    union = set()
    for pin in root.findall("./cputune/vcpupin"):
        cpus = parse_list(pin.get("cpuset"))
        union |= cpus
        print("%s:%s" % (pin.get("vcpu"), format_list(cpus)))
    print("all:%s" % format_list(union))
    return 0 if union else 1


def cmd_strip_slice(src, dst):
    """the domain without vmslice's metadata and hugepages: it does not opt in, and starts
    without reserved pages (the pins stay)"""
    text = open(src).read()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r"\s*<memoryBacking>.*?</memoryBacking>", "", text, flags=re.S)
    if "<vmslice:" in text or "<hugepages" in text:
        return 1
    open(dst, "w").write(text)
    return 0


def cmd_status_vms():
    """NAME CPUS PAGES of each VM in `vmslice status --json` on stdin"""
    d = json.load(sys.stdin)
    for vm in d.get("vms", []):
        pages = sum(h["count"] for h in vm.get("hugepages", []))
        print(vm["name"], vm.get("cpus") or "-", pages)
    return 0


def cmd_status_knobs():
    """PATH<TAB>ORIGINAL<TAB>CURRENT of each changed knob in `vmslice status --json` on stdin"""
    d = json.load(sys.stdin)
    for k in d.get("knobs", []):
        print("%s\t%s\t%s" % (k["path"], k["original"], k["current"]))
    return 0


def cmd_huge_mapping(pid, min_kib):
    """the largest mapping of PID backed by 2 MiB pages, if it is at least MIN_KIB: SIZE_KIB NAME"""
    best, cur = None, None
    for line in open("/proc/%s/smaps" % pid):
        f = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            cur = {"name": f[5] if len(f) > 5 else "[anon]", "size": 0}
        elif f[0] == "Size:" and cur is not None:
            cur["size"] = int(f[1])
        elif f[0] == "KernelPageSize:" and cur is not None and int(f[1]) == 2048:
            if best is None or cur["size"] > best["size"]:
                best = cur
    if best is None or best["size"] < int(min_kib):
        return 1
    print(best["size"], best["name"])
    return 0


def cmd_threads(pid):
    """TID AFFINITY COMM of each thread of PID"""
    for tid in sorted(os.listdir("/proc/%s/task" % pid), key=int):
        try:
            comm = open("/proc/%s/task/%s/comm" % (pid, tid)).read().strip()
            print(tid, format_list(os.sched_getaffinity(int(tid))), comm)
        except OSError:
            pass
    return 0


def cmd_mask_list(mask):
    print(format_list(parse_mask(mask)))
    return 0


def cmd_disjoint(a, b):
    """exit 0 when the CPU lists A and B share no CPU"""
    return 0 if not (parse_list(a) & parse_list(b)) else 1


def cmd_probe_line(path):
    """the VMSLICE-PROBE line of a serial log as KEY=VALUE words"""
    for line in open(path, errors="replace"):
        i = line.find("VMSLICE-PROBE ")
        if i >= 0:
            print(line[i + len("VMSLICE-PROBE "):].strip())
            return 0
    return 1


def cmd_table(*rows):
    """rows "LABEL|KEY=VALUE ..." -> a fixed-width table"""
    cols = [("availability", "availability"), ("gaps", "gaps"), ("stalled_us", "stalled µs"),
            ("max_gap_us", "max gap µs"), ("gap_p50_us", "gap p50 µs"),
            ("gap_p99_us", "gap p99 µs"), ("gap_p999_us", "gap p99.9 µs"), ("samples", "samples")]
    lines = [["run"] + [c[1] for c in cols]]
    for r in rows:
        label, _, kv = r.partition("|")
        d = dict(w.split("=", 1) for w in kv.split() if "=" in w)
        lines.append([label] + [d.get(c[0], "-") for c in cols])
    widths = [max(len(l[i]) for l in lines) for i in range(len(lines[0]))]
    for l in lines:
        print("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                        for i, v in enumerate(l)).rstrip())
    return 0


COMMANDS = {n[4:].replace("_", "-"): f for n, f in globals().items() if n.startswith("cmd_")}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: helper.py %s ..." % "|".join(sorted(COMMANDS)))
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]) or 0)
