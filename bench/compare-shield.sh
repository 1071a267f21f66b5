#!/bin/bash
# What a vCPU on this machine feels under a host load, in one go: the idle machine (the ceiling),
# the same stress-ng load without any isolation, with `cset shield` (the seeds' method: a cgroup v1
# cpuset for the measured CPU, host tasks and kernel threads moved to the others), and with
# vmslice's slice (`vmslice bench --compare`, whose first half is a second run without isolation).
# Each row is `vmslice bench` on the same CPU, the same probes and the same load command.
#
#   bench/compare-shield.sh [--duration SECONDS] [--cpu N] [--out FILE]
#
# Needs root, stress-ng, cset (Debian: apt-get install stress-ng cpuset) and a cgroup v1 cpuset
# hierarchy (cset does not do cgroup v2), build/vmslice (or $VMSLICE). It changes the host while it
# runs (cset shield, a slice) and puts everything back, also on Ctrl-C. The table goes to
# bench/results/YYYY-MM-DD.txt (or --out), the raw JSON next to it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VMSLICE=${VMSLICE:-$ROOT/build/vmslice}
DURATION=20
CPU=$(($(nproc) - 1))
OUT=$ROOT/bench/results/$(date +%F).txt
while [ $# -gt 0 ]; do
        case $1 in
        --duration) DURATION=$2; shift 2 ;;
        --cpu) CPU=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: $0 [--duration SECONDS] [--cpu N] [--out FILE]" >&2; exit 2 ;;
        esac
done
die() { echo "compare-shield: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root: cset shield and the slice change the host"
command -v stress-ng >/dev/null || die "stress-ng is not installed (apt-get install stress-ng)"
command -v cset >/dev/null || die "cset is not installed (apt-get install cpuset)"
[ -x "$VMSLICE" ] || die "$VMSLICE is missing; build it (meson compile -C build) or set VMSLICE"
[ -e /sys/fs/cgroup/cpuset/cpuset.cpus ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ] ||
        die "cset needs the cgroup v1 cpuset hierarchy at /sys/fs/cgroup/cpuset"
for s in vmslice.host user system; do
        [ ! -e "/sys/fs/cgroup/cpuset/$s" ] || die "/sys/fs/cgroup/cpuset/$s exists: a slice or shield is active; undo it first"
done
[ "$(nproc)" -gt 1 ] && [ "$CPU" -ge 1 ] || die "needs a CPU for the host besides the measured CPU $CPU"

N=$(nproc)
WORK=$(mktemp -d /tmp/compare-shield.XXXXXX)
mkdir -m 700 "$WORK/state" "$WORK/load"
# the load: the same command every time, one worker of each kind per CPU, as `bench --load` runs it
LOAD=(stress-ng --cpu "$N" --vm "$N" --vm-bytes 64M --hdd "$N" --hdd-bytes 16M --hdd-write-size 1M
        --hdd-opts fsync --temp-path "$WORK/load" --timeout 3600s)
LOADPID=
SHIELD=0
cleanup() {
        if [ -n "$LOADPID" ]; then
                kill -TERM "$LOADPID" 2>/dev/null || true
                wait "$LOADPID" 2>/dev/null || true
        fi
        LOADPID=
        if [ $SHIELD != 0 ]; then shield_off >/dev/null 2>&1 || true; fi
        if [ -n "$GUARD" ]; then kill "$GUARD" 2>/dev/null || true; fi
        SHIELD=0
        "$VMSLICE" --state-dir "$WORK/state" restore >/dev/null 2>&1 || true
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
# another slice appearing while a row is measured would make it meaningless (a shared machine)
GUARD=
guard_on() {
        (while sleep 0.2; do [ -e /sys/fs/cgroup/cpuset/vmslice.host ] && touch "$WORK/foreign"; done) &
        GUARD=$!
}
guard_off() {
        kill "$GUARD" 2>/dev/null || true
        wait "$GUARD" 2>/dev/null || true
        GUARD=
        [ ! -e "$WORK/foreign" ] || die "another slice (/sys/fs/cgroup/cpuset/vmslice.host) appeared during the run; run again when the machine is quiet"
}
# cset shield makes its two sets CPU-exclusive, which the kernel refuses (EINVAL) while a sibling
# cpuset spans the same CPUs, as libvirt's "machine" cpuset does; then the same two sets are made
# with cset set/proc, without cpu_exclusive
HOSTCPUS=$(python3 -c 'import os, sys; print(",".join(str(c) for c in sorted(os.sched_getaffinity(1)) if c != int(sys.argv[1])))' "$CPU")
METHOD=
shield_on() {
        if cset shield --cpu "$CPU" --kthread on >&2; then
                SHIELD=shield
                METHOD="cset shield --cpu $CPU --kthread on"
                return
        fi
        cset shield --reset >&2 || true
        local mems
        mems=$(cat /sys/fs/cgroup/cpuset/cpuset.mems)
        SHIELD=sets
        cset set --cpu="$CPU" --mem="$mems" --set=user >&2
        cset set --cpu="$HOSTCPUS" --mem="$mems" --set=system >&2
        cset proc --move --fromset=root --toset=system --kthread --force >&2
        METHOD="cset set/proc: the sets of cset shield --cpu $CPU --kthread on, without cpu_exclusive (cset shield itself got EINVAL: libvirt's machine cpuset spans CPU $CPU)"
}
shield_off() {
        if [ $SHIELD = shield ]; then
                cset shield --reset >&2
        elif [ $SHIELD = sets ]; then
                cset proc --move --fromset=system --toset=root --kthread --force >&2 || true
                cset proc --move --fromset=user --toset=root --force >&2 || true
                cset set --destroy --set=user >&2
                cset set --destroy --set=system >&2
        fi
        SHIELD=0
}
load_on() { "${LOAD[@]}" >/dev/null 2>&1 & LOADPID=$!; sleep 2; }
load_off() { kill -TERM "$LOADPID"; wait "$LOADPID" 2>/dev/null || true; LOADPID=; }
BENCH=(bench --cpus "$CPU" --duration "$DURATION" --json)

guard_on
echo "idle machine..." >&2
"$VMSLICE" "${BENCH[@]}" >"$WORK/idle.json"
echo "stress-ng, no isolation..." >&2
load_on
"$VMSLICE" "${BENCH[@]}" >"$WORK/none.json"
load_off
echo "stress-ng, cset shield --cpu $CPU --kthread on..." >&2
load_on
shield_on
# cset prints its own messages on stdout: the report goes to its file from inside the shield
OUTFILE=$WORK/cset.json cset proc --set=user --exec -- /bin/sh -c 'exec "$@" >"$OUTFILE"' sh "$VMSLICE" "${BENCH[@]}" >&2
shield_off
load_off
guard_off
echo "stress-ng, vmslice bench --compare..." >&2
load_on
"$VMSLICE" --state-dir "$WORK/state" "${BENCH[@]}" --compare >"$WORK/vmslice.json"
load_off

mkdir -p "$(dirname "$OUT")"
python3 - "$WORK" "$DURATION" "$CPU" "${LOAD[*]}" "$("$VMSLICE" --version | head -1)" \
        "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" "$METHOD" >"$OUT" <<'PY'
import json, os, platform, sys
work, duration, cpu, load, version, rev, method = sys.argv[1:]
def rd(name):
    return json.load(open(os.path.join(work, name)))
vm = rd("vmslice.json")
rows = [
    ("idle machine (the ceiling)", rd("idle.json")),
    ("stress-ng, no isolation", rd("none.json")),
    ("stress-ng, cset shield", rd("cset.json")),
    ("stress-ng, no isolation (again)", vm["without"]),
    ("stress-ng, vmslice slice", vm["with"]),
]
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
virt = "a virtual machine" if "hypervisor" in open("/proc/cpuinfo").read() else "bare metal"
print(f"# vmslice bench on CPU {cpu}: no isolation, cset shield and vmslice under the same load")
print(f"# {version} ({rev}), kernel {platform.release()}, {os.cpu_count()} CPUs, {model}, {virt}")
print(f"# {duration} s per probe; stall threshold 5 us; timer every 1000 us, SCHED_OTHER")
print(f"# load: {load.replace(work, '$WORK')}")
print(f"# shield: {method}")
print()
head = ("", "availability", "max gap", "p99.9 gap", "p99 gap", "timer p99", "timer p99.9", "timer max")
print(f"{head[0]:34} {head[1]:>12} {head[2]:>11} {head[3]:>11} {head[4]:>9} {head[5]:>10} {head[6]:>11} {head[7]:>10}")
for name, r in rows:
    s, t = r["stall"], r["timer"]
    print(f"{name:34} {100 * s['availability']:11.3f}% {s['max_gap_us']:8.0f} us {s['p999_us']:8.0f} us"
          f" {s['p99_us']:6.0f} us {t['p99_us']:7.0f} us {t['p999_us']:8.0f} us {t['max_us']:7.0f} us")
print()
print(f"interrupts on CPU {cpu} during the stall probe ({duration} s):")
for name, r in rows:
    irqs = r["stall"]["interrupts"]
    print(f"  {name:34} " + ", ".join(f"{i['irq']}{' ' + i['name'] if i['device'] else ''} {i['count']}" for i in irqs[:6]))
PY
for f in idle none cset vmslice; do cp "$WORK/$f.json" "${OUT%.txt}-$f.json"; done
cat "$OUT"
