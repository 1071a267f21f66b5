#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixture hosts with a running QEMU, for `vmslice check`.

Each variant is the xeon-2s-interleaved fixture (2 sockets, CPUs interleaved, siblings n and n+16,
nodes 0 and 1) plus, in the formats the kernel writes:

  proc/4242/{comm,cmdline,status,stat,smaps,numa_maps}  the QEMU of domain 'vm4' (vm4.xml here)
  proc/4242/task/TID/{comm,status,stat}                 its threads: main, call_rcu, IO mon_iothread,
                                                        IO iothread1, CPU 0-3/KVM, worker, vhost-4242
  proc/PID/... and proc/PID/task/PID/...                host processes: systemd, kthreadd, per-CPU
                                                        kernel threads on the VM CPUs, sshd, a comm
                                                        with spaces and parentheses, libvirtd with a
                                                        second thread
  run/libvirt/qemu/vm4.pid                              libvirt's pid file

vm4 pins vCPUs 0-3 to CPUs 2, 18, 4, 20 (two cores of package 0), the emulator and iothread 1 to
0,16, and asks for 4 GiB of 2 MiB hugepages on node 0. The variants:

  qemu-running-4vcpu    all as the domain asks; host tasks kept off the VM CPUs (a sliced host)
  qemu-vcpu-unpinned    vCPU 1 and the main thread may run on every CPU; host tasks too
  qemu-vcpu-off-pin     vCPU 2 last ran on CPU 7, outside its pin
  qemu-ram-4k           the guest RAM is anonymous memory in 4 KiB pages
  qemu-ram-wrong-node   half of the guest RAM's hugepages lie on node 1

Run from the repository root: python3 tests/data/make-qemu-proc.py (rewrites
tests/data/hosts/qemu/*.tar.gz; the output is reproducible).
"""
import os
import shutil
import subprocess
import sys
import tempfile

BASE = "tests/data/hosts/xeon-2s-interleaved.tar.gz"
OUT = "tests/data/hosts/qemu"
NCPUS = 32
ALL = set(range(NCPUS))
VM = {2, 18, 4, 20}
HOST = ALL - VM
QEMU = 4242
GIB = 1 << 30

PF_KTHREAD = 0x00200000
PF_NO_SETAFFINITY = 0x04000000
KTHREAD_FLAGS = 0x00208040  # PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC
USER_FLAGS = 0x00400100  # PF_RANDOMIZE | PF_SUPERPRIV
PERCPU_FLAGS = KTHREAD_FLAGS | PF_NO_SETAFFINITY


def cpulist(cpus):
    cpus = sorted(cpus)
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else "%d-%d" % (cpus[i], cpus[j]))
        i = j + 1
    return ",".join(out)


def cpumask(cpus, bits=NCPUS):
    v = sum(1 << c for c in cpus)
    words = [(v >> (32 * w)) & 0xFFFFFFFF for w in range((bits + 31) // 32)]
    return ",".join("%08x" % w for w in reversed(words))


def status(name, tgid, pid, ppid, cpus, threads, kthread, state="S (sleeping)"):
    vm = "" if kthread else (
        "VmPeak:\t 5234560 kB\nVmSize:\t 5234560 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n"
        "VmHWM:\t  182340 kB\nVmRSS:\t  182340 kB\nRssAnon:\t  150012 kB\nRssFile:\t   32328 kB\n"
        "RssShmem:\t       0 kB\nVmData:\t  420800 kB\nVmStk:\t     132 kB\nVmExe:\t    6752 kB\n"
        "VmLib:\t   41236 kB\nVmPTE:\t     820 kB\nVmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\n")
    mems = ",".join(["00000000"] * 31 + ["00000003"])
    return (
        "Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
        "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \n"
        "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t%d\n%s"
        "CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t%d\n"
        "SigQ:\t0/771324\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
        "SigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000100004a03\n"
        "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
        "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
        "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\n"
        "SpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t%s\n"
        "Cpus_allowed_list:\t%s\nMems_allowed:\t%s\nMems_allowed_list:\t0-1\n"
        "voluntary_ctxt_switches:\t1520\nnonvoluntary_ctxt_switches:\t12\n"
        % (name, state, tgid, pid, ppid, tgid, pid, tgid, tgid, 1 if kthread else 0, vm, threads,
           cpumask(cpus), cpulist(cpus), mems))


def stat(pid, tgid, comm, ppid, flags, threads, cpu, kthread, state="S", utime=1200):
    # fields 1-52 as fs/proc/array.c prints them
    vsize, rss = (0, 0) if kthread else (5360189440, 45585)
    code = (0, 0, 0) if kthread else (94211538464768, 94211545378464, 140722393845552)
    leader = pid == tgid
    f = [pid, "(%s)" % comm, state, ppid, tgid, tgid, 0, -1,
         flags, 5120, 0, 12, 0, utime, 340, 0, 0, 20, 0, threads, 0, 1850 + pid % 97, vsize, rss,
         18446744073709551615, code[0], code[1], code[2], 0, 0, 0, 0, 4096, 17475, 0, 0, 0,
         17 if leader else -1, cpu, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert len(f) == 52
    return " ".join(str(x) for x in f) + "\n"


def write(root, path, text, mode="w"):
    p = os.path.join(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, mode) as fh:
        fh.write(text)


def task(root, tgid, tid, comm, cpus, cpu, ppid=1, threads=1, kthread=False, flags=None,
         state="S"):
    flags = flags if flags is not None else (KTHREAD_FLAGS if kthread else USER_FLAGS)
    leader = tid == tgid
    st = stat(tid, tgid, comm, ppid, flags, threads, cpu, kthread, state)
    sta = status(comm, tgid, tid, ppid, cpus, threads, kthread,
                 "R (running)" if state == "R" else "S (sleeping)")
    base = "proc/%d/task/%d" % (tgid, tid)
    write(root, base + "/comm", comm + "\n")
    write(root, base + "/stat", st)
    write(root, base + "/status", sta)
    if leader:
        write(root, "proc/%d/comm" % tgid, comm + "\n")
        write(root, "proc/%d/stat" % tgid, st)
        write(root, "proc/%d/status" % tgid, sta)


SMAPS_KEYS = ["Size", "KernelPageSize", "MMUPageSize", "Rss", "Pss", "Pss_Dirty", "Shared_Clean",
              "Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "KSM",
              "LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb",
              "Private_Hugetlb", "Swap", "SwapPss", "Locked"]


def smaps_entry(start, size, perms, path, page_kb=4, rss_kb=None, anon=True, hugetlb_kb=0,
                flags="rd wr mr mw me ac sd", offset=0, dev="00:00", inode=0):
    kb = size >> 10
    rss_kb = kb if rss_kb is None else rss_kb
    v = dict.fromkeys(SMAPS_KEYS, 0)
    v.update(Size=kb, KernelPageSize=page_kb, MMUPageSize=page_kb)
    if hugetlb_kb:
        v["Private_Hugetlb"] = hugetlb_kb
    else:
        v.update(Rss=rss_kb, Pss=rss_kb, Referenced=rss_kb)
        if anon:
            v.update(Pss_Dirty=rss_kb, Private_Dirty=rss_kb, Anonymous=rss_kb)
        else:
            v["Private_Clean"] = rss_kb
    head = "%08x-%08x %s %08x %s %d" % (start, start + size, perms, offset, dev, inode)
    if path:
        head = head.ljust(72) + " " + path
    # as fs/proc/task_mmu.c: the name padded to 16 columns, the value right-aligned in 8
    body = "".join("%s%8d kB\n" % ((k + ":").ljust(16), v[k]) for k in SMAPS_KEYS)
    return head + "\n" + body + "THPeligible:    %8d\nVmFlags: %s \n" % (
        1 if anon and not hugetlb_kb else 0, flags)


def numa_line(start, policy, what, nodes, page_kb, huge=False, dirty=None):
    toks = ["%08x" % start, policy]
    if what:
        toks.append(what)
    if huge:
        toks.append("huge")
    total = sum(nodes.values())
    if not huge and total and what.startswith("file="):
        toks.append("mapped=%d" % total)
    elif total and not huge:
        toks.append("anon=%d" % total)
    if total and not what.startswith("file=/usr"):
        toks.append("dirty=%d" % (dirty if dirty is not None else total))
    toks += ["N%d=%d" % (n, c) for n, c in sorted(nodes.items()) if c]
    toks.append("kernelpagesize_kB=%d" % page_kb)
    return " ".join(toks) + "\n"


def qemu_memory(variant):
    """smaps and numa_maps of the QEMU: binary, heap, a glibc arena, VGA RAM, vCPU stacks, the
    guest RAM (4 GiB), libraries and the stack."""
    S, N = [], []
    exe = "/usr/bin/qemu-system-x86_64"
    base = 0x55d6a1e00000
    for off, size, perms in [(0, 0x2d5000, "r--p"), (0x2d5000, 0x69a000, "r-xp"),
                             (0x96f000, 0x2ba000, "r--p"), (0xc29000, 0x10f000, "rw-p")]:
        S.append(smaps_entry(base + off, size, perms, exe, anon=False, offset=off, dev="fe:01",
                             inode=1311012, flags="rd mr mw me dw sd"))
        N.append(numa_line(base + off, "default", "file=" + exe, {0: size >> 12}, 4))
    heap = 0x55d6a3c00000
    S.append(smaps_entry(heap, 20 << 20, "rw-p", "[heap]"))
    N.append(numa_line(heap, "default", "heap", {0: 5120}, 4))
    arena = 0x7f2a04000000
    S.append(smaps_entry(arena, 132 << 20, "rw-p", None, rss_kb=8192))
    N.append(numa_line(arena, "default", "", {0: 2048}, 4))
    S.append(smaps_entry(arena + (132 << 20), 64 << 20, "---p", None, rss_kb=0,
                         flags="mr mw me nr sd"))
    N.append(numa_line(arena + (132 << 20), "default", "", {}, 4))
    vga = 0x7f2a10000000
    S.append(smaps_entry(vga, 16 << 20, "rw-p", None, flags="rd wr mr mw me ac sd dd hg mg"))
    N.append(numa_line(vga, "default", "", {0: 4096}, 4))
    for i in range(5):  # thread stacks with their guard pages
        st = 0x7f2a20000000 + i * (0x801000)
        S.append(smaps_entry(st, 0x1000, "---p", None, rss_kb=0, flags="mr mw me sd"))
        N.append(numa_line(st, "default", "", {}, 4))
        S.append(smaps_entry(st + 0x1000, 0x800000, "rw-p", None, rss_kb=64))
        N.append(numa_line(st + 0x1000, "default", "", {0: 16}, 4))
    ram = 0x7f2b40000000
    size = 4 * GIB
    if variant == "qemu-ram-4k":
        S.append(smaps_entry(ram, size, "rw-p", None, flags="rd wr mr mw me ac sd dd hg mg"))
        N.append(numa_line(ram, "bind:0", "", {0: size >> 12}, 4))
    else:
        path = "/dev/hugepages/libvirt/qemu/1-vm4/qemu_back_mem._objects_pc.ram.Vw7hQb (deleted)"
        pages = size >> 21
        nodes = {0: pages // 2, 1: pages // 2} if variant == "qemu-ram-wrong-node" else {0: pages}
        S.append(smaps_entry(ram, size, "rw-p", path, page_kb=2048, hugetlb_kb=size >> 10,
                             anon=False, dev="00:2f", inode=38721,
                             flags="rd wr mr mw me dc de ac sd ht"))
        N.append(numa_line(ram, "bind:0", "file=" + path.replace(" ", "\\040"), nodes, 2048,
                           huge=True))
    libc = 0x7f2c40000000
    for off, size, perms in [(0, 0x26000, "r--p"), (0x26000, 0x155000, "r-xp"),
                             (0x17b000, 0x53000, "r--p"), (0x1ce000, 0x4000, "r--p"),
                             (0x1d2000, 0x2000, "rw-p")]:
        S.append(smaps_entry(libc + off, size, perms, "/usr/lib/x86_64-linux-gnu/libc.so.6",
                             anon=perms == "rw-p", offset=off, dev="fe:01", inode=1316893,
                             flags="rd mr mw me sd"))
        N.append(numa_line(libc + off, "default", "file=/usr/lib/x86_64-linux-gnu/libc.so.6",
                           {0: size >> 12}, 4))
    stack = 0x7ffd2b3a0000
    S.append(smaps_entry(stack, 0x21000, "rw-p", "[stack]", rss_kb=48,
                         flags="rd wr mr mw me gd ac"))
    N.append(numa_line(stack, "default", "stack", {0: 12}, 4))
    S.append(smaps_entry(0xffffffffff600000, 0x1000, "--xp", "[vsyscall]", rss_kb=0,
                         flags="ex"))
    return "".join(S), "".join(N)


def make(variant, src, dst):
    shutil.copytree(src, dst, symlinks=True)
    pinned = variant != "qemu-vcpu-unpinned"
    host = HOST if pinned else ALL
    # the QEMU of vm4
    emu = {0, 16}
    threads = [
        (QEMU, "qemu-system-x86", emu if pinned else ALL, 0, "S"),
        (4243, "call_rcu", emu, 16, "S"),
        (4244, "IO mon_iothread", emu, 0, "S"),
        (4245, "IO iothread1", emu, 16, "S"),
        (4246, "CPU 0/KVM", {2}, 2, "R"),
        (4247, "CPU 1/KVM", {18} if pinned else ALL, 18 if pinned else 9, "R"),
        (4248, "CPU 2/KVM", {4}, 7 if variant == "qemu-vcpu-off-pin" else 4, "S"),
        (4249, "CPU 3/KVM", {20}, 20, "R"),
        (4250, "worker", emu, 0, "S"),
        (4251, "vhost-4242", emu, 16, "S"),
    ]
    for tid, comm, cpus, cpu, state in threads:
        task(dst, QEMU, tid, comm, cpus, cpu, ppid=1200, threads=len(threads), state=state)
    write(dst, "proc/%d/cmdline" % QEMU, "\0".join([
        "/usr/bin/qemu-system-x86_64", "-name", "guest=vm4,debug-threads=on", "-S", "-object",
        '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/'
        'domain-1-vm4/master-key.aes"}', "-machine", "pc-q35-7.2,usb=off,dump-guest-core=off,"
        "memory-backend=pc.ram", "-accel", "kvm", "-cpu", "host,migratable=on", "-m",
        "size=4194304k", "-object", '{"qom-type":"memory-backend-file","id":"pc.ram",'
        '"mem-path":"/dev/hugepages/libvirt/qemu/1-vm4","prealloc":true,"size":4294967296,'
        '"host-nodes":[0],"policy":"bind"}', "-smp", "4,sockets=1,dies=1,cores=2,threads=2",
        "-uuid", "5b2f6c0e-3a9d-4f57-9e1c-6a1f0b7d2c11", "-no-user-config", "-nodefaults"]) + "\0")
    smaps, numa = qemu_memory(variant)
    write(dst, "proc/%d/smaps" % QEMU, smaps)
    write(dst, "proc/%d/numa_maps" % QEMU, numa)
    write(dst, "run/libvirt/qemu/vm4.pid", "%d\n" % QEMU)
    # host processes
    task(dst, 1, 1, "systemd", host, 0, ppid=0)
    task(dst, 2, 2, "kthreadd", host, 1, ppid=0, kthread=True)
    pid = 20
    for c in sorted(VM):
        for name in ("cpuhp/%d", "ksoftirqd/%d", "kworker/%d:1H-kblockd"):
            task(dst, pid, pid, name % c, {c}, c, ppid=2, kthread=True, flags=PERCPU_FLAGS)
            pid += 1
    task(dst, 640, 640, "sshd", host, 3)
    task(dst, 900, 900, "evil) (x y", host, 5)  # a comm with spaces and parentheses
    task(dst, 1200, 1200, "libvirtd", host, 1, threads=2)
    task(dst, 1200, 1201, "gmain", host, 3, ppid=1, threads=2)


def main():
    os.umask(0o022)
    with tempfile.TemporaryDirectory() as w:
        src = os.path.join(w, "base")
        os.makedirs(src)
        subprocess.run(["tar", "-C", src, "-xzf", BASE], check=True)
        os.makedirs(OUT, exist_ok=True)
        for v in ("qemu-running-4vcpu", "qemu-vcpu-unpinned", "qemu-vcpu-off-pin", "qemu-ram-4k",
                  "qemu-ram-wrong-node"):
            dst = os.path.join(w, v)
            make(v, src, dst)
            with open(os.path.join(dst, "MACHINE"), "a") as fh:
                fh.write("; running QEMU of vm4 (pid %d), variant %s\n" % (QEMU, v))
            tar = subprocess.Popen(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0",
                                    "--numeric-owner", "-C", dst, "-cf", "-", "."],
                                   stdout=subprocess.PIPE)
            with open(os.path.join(OUT, v + ".tar.gz"), "wb") as out:
                subprocess.run(["gzip", "-n", "-9"], stdin=tar.stdout, stdout=out, check=True)
            if tar.wait() != 0:
                sys.exit("tar failed")


if __name__ == "__main__":
    main()
