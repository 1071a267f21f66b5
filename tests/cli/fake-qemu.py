#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A stand-in for QEMU on the live host, for tests/cli/check.sh: real threads named as QEMU names
# them ("CPU N/KVM", "IO iothread1"), each pinned with sched_setaffinity(2) and then running for a
# moment (so /proc shows a last CPU inside its pin), and an anonymous guest RAM mapping touched page
# by page. It creates READY_FILE once every thread is in place, then sleeps until killed.
# Usage: fake-qemu.py READY_FILE RAM_MIB VCPU_CPUS EMULATOR_CPUS [-name guest=NAME,debug-threads=on]
#   VCPU_CPUS: one CPU list per vCPU, separated by '/' ("1/1"; an empty list leaves it unpinned)
import ctypes, mmap, os, sys, threading, time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
ready, ram_mib, vcpus, emulator = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def cpus(spec):
    out = set()
    for part in filter(None, spec.split(',')):
        a, _, b = part.partition('-')
        out.update(range(int(a), int(b or a) + 1))
    return out

def thread(name, pin, spin):
    def run():
        libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)
        if pin:
            os.sched_setaffinity(threading.get_native_id(), pin)
        end = time.time() + spin
        while time.time() < end:
            pass
        started.release()
        while True:
            time.sleep(3600)
    t = threading.Thread(target=run, daemon=True)
    t.start()

if emulator:
    os.sched_setaffinity(0, cpus(emulator))
ram = mmap.mmap(-1, ram_mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for off in range(0, ram_mib << 20, 4096):
    ram[off] = 1
started = threading.Semaphore(0)
specs = vcpus.split('/')
for i, s in enumerate(specs):
    thread("CPU %d/KVM" % i, cpus(s), 0.05)
thread("IO iothread1", cpus(emulator), 0.0)
for _ in range(len(specs) + 1):
    started.acquire()
open(ready, 'w').close()
while True:
    time.sleep(3600)
