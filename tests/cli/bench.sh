#!/bin/bash
# vmslice bench: options, short real probes on this machine (structure and ranges only, never
# timing thresholds: the machine is shared and noisy), the load and its cleanup, Ctrl-C; and
# --compare on this machine's real kernel when VMSLICE_REAL_KERNEL=1 (CI sets it), with every
# knob back afterwards.
. "$(dirname "$0")/lib.sh"

# bad options: exit 2, one line, nothing on stdout, before anything runs
expect_usage "--duration 0" bench --duration 0
expect_usage "--duration not a number" bench --duration 1s
expect_usage "--duration too long" bench --duration 86401
expect_usage "--probe unknown" bench --probe osnoise
expect_usage "--threshold 0" bench --threshold 0
expect_usage "--interval below 10 µs" bench --interval 9
expect_usage "--fifo 100" bench --fifo 100
expect_usage "--fifo without a value" bench --fifo
expect_usage "--histogram=0" bench --histogram=0
expect_usage "--histogram above 4096" bench --histogram=4097
expect_usage "--histogram without the timer probe" bench --probe stall --histogram
expect_usage "--cpus not a list" bench --cpus 1-x
expect_usage "--cpus empty" bench --cpus ''
expect_usage "--cpus not online" bench --cpus 8000
[[ "$err" == *"CPU 8000 of --cpus is not online"* ]]; ok $? "... names the CPU"
expect_usage "--load with an unknown item" bench --load=disk=1
expect_usage "--load without workers" bench --load=cpu=0,vm=0,io=0
expect_usage "--load with a bad size" bench --load=vm-bytes=lots
expect_usage "an unknown option" bench --frobnicate
expect_usage "an extra argument" bench extra
expect_usage "--root" --root "$HOSTS/small-2c.tar.gz" bench
expect_rc 0 "bench --help" bench --help
[[ "$out" == *"--compare"* && "$out" == *"--histogram"* ]]; ok $? "... names the options"

# a CPU this process may run on (the last one allowed: under a slice or shield, a host CPU)
CPU=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')

# check_report FILE [compare]: the JSON's structure and ranges
check_report() {
        python3 - "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
compare = len(sys.argv) > 2
errors = []
def need(cond, what):
    if not cond:
        errors.append(what)
def check_hist(o, where):
    need(o["max_%s" % ("gap_us" if "gaps" in o else "us")] >= o["p999_us"] >= o["p99_us"] >= o["p50_us"] >= 0,
         where + ": max >= p99.9 >= p99 >= p50 >= 0")
def check_stall(s, where):
    need(0 <= s["availability"] <= 1, where + ": availability in 0..1")
    need(s["loops"] > 0 and s["elapsed_us"] > 0, where + ": the loop ran")
    need(0 <= s["stolen_us"] <= s["elapsed_us"], where + ": stolen within elapsed")
    need(s["gaps"] >= 0, where + ": gaps")
    if s["gaps"] == 0:
        need(s["max_gap_us"] == 0 and s["availability"] == 1, where + ": no gap, nothing stolen")
    else:
        need(s["max_gap_us"] > s["threshold_us"] if "threshold_us" in s else s["max_gap_us"] > 0,
             where + ": gaps are above the threshold")
    check_hist(s, where)
def check_timer(t, where):
    need(t["cycles"] > 0, where + ": cycles")
    need(t["min_us"] <= t["avg_us"] <= t["max_us"], where + ": min <= avg <= max")
    need(t["p50_us"] >= t["min_us"], where + ": p50 >= min")
    need(t["overruns"] >= 0, where + ": overruns")
    check_hist(t, where)
def check_irqs(p, where, cpus):
    for i in p["interrupts"]:
        need(i["count"] > 0 and i["count"] == sum(c["count"] for c in i["per_cpu"]),
             where + ": interrupt %s counts add up" % i["irq"])
        need(all(c["cpu"] in cpus for c in i["per_cpu"]), where + ": interrupts on measured CPUs")
        need(isinstance(i["name"], str) and isinstance(i["device"], bool), where + ": interrupt keys")
def check(r, where):
    need(r["version"] == 1, where + ": version")
    cpus = [int(x) for x in r["cpus"].split(",")]
    for key in ("duration_s", "slice", "dma_latency", "load", "stall", "timer"):
        need(key in r, where + ": " + key)
    for name, check_probe in (("stall", check_stall), ("timer", check_timer)):
        p = r.get(name)
        if not p:
            continue
        check_probe(p, where + "." + name)
        need([c["cpu"] for c in p["per_cpu"]] == cpus, where + "." + name + ": one entry per CPU")
        for c in p["per_cpu"]:
            check_probe(c, where + "." + name + ".per_cpu")
        check_irqs(p, where + "." + name, cpus)
    if r.get("stall"):
        need(r["stall"]["gaps"] == sum(c["gaps"] for c in r["stall"]["per_cpu"]), where + ".stall: gaps add up")
if compare:
    need(doc["version"] == 1 and set(doc) == {"version", "without", "with"}, "compare: keys")
    need(doc["without"]["slice"] is False and doc["with"]["slice"] is True, "compare: slice flags")
    check(doc["without"], "without")
    check(doc["with"], "with")
else:
    check(doc, "report")
for e in errors:
    print("# " + e)
sys.exit(1 if errors else 0)
PY
}

expect_rc 0 "bench on CPU $CPU, both probes, 1 s each" bench --cpus "$CPU" --duration 1 --json
printf '%s' "$out" >"$WORK/r.json"
check_report "$WORK/r.json"; ok $? "... the report's structure and ranges"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["stall"] and d["timer"] and d["load"] is None and d["timer"]["policy"] == "other" else 1)' "$WORK/r.json"
ok $? "... both probes, no load, SCHED_OTHER"

expect_rc 0 "bench as a table" bench --cpus "$CPU" --duration 1 --probe stall --threshold 2
[[ "$out" == *"availability"*"p99.9 gap"*"max gap"* && "$out" == *"gaps above 2 µs"* && "$out" == *"interrupts on CPU $CPU during the stall probe"* ]]
ok $? "... availability, gaps and the interrupts, without the timer"
[[ "$out" != *"timer:"* ]]; ok $? "... and no timer section"

# cyclictest's histogram: its lines add up to the cycles the JSON counts
expect_rc 0 "--histogram=50 with --json" bench --cpus "$CPU" --duration 1 --probe timer --histogram=50 --interval 500 --json
printf '%s' "$out" >"$WORK/h.json"
python3 - "$WORK/h.json" <<'PY'
import json, re, sys
t = json.load(open(sys.argv[1]))["timer"]
lines = t["histogram"].split("\n")
assert lines[0] == "# Histogram"
rows = [l for l in lines if re.fullmatch(r"\d{6} \d{6}", l)]
assert [int(r.split()[0]) for r in rows] == list(range(50)), "one line per µs"
inside = sum(int(r.split()[1]) for r in rows)
total = int(re.search(r"^# Total: (\d{9})$", t["histogram"], re.M).group(1))
over = int(re.search(r"^# Histogram Overflows: (\d{5,})$", t["histogram"], re.M).group(1))
mx = int(re.search(r"^# Max Latencies: (\d{5,})$", t["histogram"], re.M).group(1))
assert total == inside and inside + over == t["cycles"], (inside, over, t["cycles"])
assert mx == int(t["max_us"]), (mx, t["max_us"])
assert re.search(r"^# Thread 0:", t["histogram"], re.M)
assert t["interval_us"] == 500
PY
ok $? "... lines, total and overflows add up to the cycles; max matches"
expect_rc 0 "--histogram as text" bench --cpus "$CPU" --duration 1 --probe timer --histogram=20
[[ "$out" == *$'\n# Histogram\n000000 '*"# Histogram Overflow at cycle number:"* ]]; ok $? "... after the table"

if [ "$(id -u)" = 0 ]; then
        expect_rc 0 "--fifo 10 --dma-latency (root)" bench --cpus "$CPU" --duration 1 --probe timer --fifo 10 --dma-latency --json
        python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["timer"]["policy"] == "fifo" and d["timer"]["priority"] == 10 and d["dma_latency"] else 1)' <<<"$out"
        ok $? "... SCHED_FIFO 10 and the DMA latency hold are reported"
fi

# the load: it runs, is reported, and nothing of it is left afterwards
leftovers() { # processes and files of bench loads
        { pgrep -x vmslice-cpu; pgrep -x vmslice-vm; pgrep -x vmslice-io; pgrep -f 'stress-ng.*/var/tmp/vmslice-bench-'; ls -d /var/tmp/vmslice-bench-* 2>/dev/null; } | wc -l
}
before=$(leftovers)
expect_rc 0 "--load=builtin" bench --cpus "$CPU" --duration 1 --probe stall --load=builtin,cpu=1,vm=1,io=1,vm-bytes=16M --json
python3 -c 'import json,sys; l=json.load(sys.stdin)["load"]; sys.exit(0 if l == {"engine": "builtin", "cpu": 1, "vm": 1, "vm_bytes": 16777216, "io": 1} else 1)' <<<"$out"
ok $? "... the built-in load is reported with its workers"
[ "$(leftovers)" = "$before" ]; ok $? "... and its workers and files are gone"
if command -v stress-ng >/dev/null; then
        expect_rc 0 "--load (stress-ng installed)" bench --cpus "$CPU" --duration 1 --probe timer --load=cpu=1,vm=1,io=1,vm-bytes=16M --json
        python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["load"]["engine"] == "stress-ng" else 1)' <<<"$out"
        ok $? "... runs stress-ng"
        [ "$(leftovers)" = "$before" ]; ok $? "... and stops it and removes its files"
else
        expect_usage "--load=stress-ng without stress-ng" bench --cpus "$CPU" --duration 1 --load=stress-ng
fi

# Ctrl-C: the probes stop early, the load is stopped, exit 1 with one line
interrupt() { # ARGS...: runs bench in the background, interrupts it when the marker exists
        local marker=$1
        shift
        "$VMSLICE" "$@" >"$WORK/int.out" 2>"$WORK/int.err" &
        local pid=$! i
        for i in $(seq 1 600); do [ -e "$marker" ] && break; sleep 0.1; done
        sleep 1
        kill -INT $pid
        for i in $(seq 1 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
        if kill -0 $pid 2>/dev/null; then
                echo "# bench did not stop within 60 s of SIGINT"
                kill -KILL $pid
        fi
        wait $pid
}
interrupt /proc/self bench --cpus "$CPU" --duration 600 --load=builtin,cpu=1,vm=1,io=1,vm-bytes=16M
rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$WORK/int.err")" = 1 ] && grep -q "interrupted by signal 2" "$WORK/int.err" && [ ! -s "$WORK/int.out" ]
ok $? "SIGINT stops a 600 s run: exit 1, one line, no report"
[ "$(leftovers)" = "$before" ]; ok $? "... and the load is gone"

# --compare refuses while other VMs are prepared in its state directory
if [ "$(id -u)" = 0 ] && [ "$(nproc)" -gt 1 ]; then
        mkdir -p "$WORK/other" "$WORK/t" && chmod 700 "$WORK/other"
        tar -C "$WORK/t" -xzf "$HOSTS/small-2c.tar.gz"
        cat >"$WORK/one.xml" <<'XML'
<domain type='kvm'><name>one</name><memory unit='MiB'>256</memory>
<vcpu placement='static'>1</vcpu><cputune><vcpupin vcpu='0' cpuset='1'/></cputune>
<os><type arch='x86_64'>hvm</type></os></domain>
XML
        "$VMSLICE" --root "$WORK/t" --state-dir "$WORK/other" prepare "$WORK/one.xml" >/dev/null
        expect_rc 1 "--compare with another VM prepared" --state-dir "$WORK/other" bench --compare --duration 1
        [[ "$err" == *"VMs are prepared in $WORK/other (one)"* ]]; ok $? "... refuses, naming it"
        # a CPU of that VM's slice, to a bench kept off it (by taskset here, by the slice's host
        # cgroup on a real host, below): said before measuring, with what to do
        run_taskset() { # CPUS ARGS...: vmslice under taskset
                local cpus=$1
                shift
                out=$(taskset -c "$cpus" "$VMSLICE" "$@" 2>"$WORK/stderr")
                rc=$?
                err=$(cat "$WORK/stderr")
        }
        run_taskset 0 --state-dir "$WORK/other" bench --cpus 1 --duration 1
        [ "$rc" = 1 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
                [[ "$err" == "vmslice: bench: CPU 1 is in the slice of VM one, which keeps host tasks, bench included, off it (bench may run on CPU 0"* ]] &&
                [[ "$err" == *"measure it after the VM stops ('vmslice bench --compare --cpus 1'"* ]] &&
                [[ "$err" == *"as root from a shell moved out of the host's cgroup ('echo \$\$ > /sys/fs/cgroup"*"/cgroup.procs')"* ]]
        ok $? "a CPU of a prepared VM's slice that bench may not run on: one line naming the VM, and how to measure it" ||
                printf '%s\n' "$err" | diag
        mkdir -m 700 "$WORK/none"
        run_taskset 0 --state-dir "$WORK/none" bench --cpus 1 --duration 1
        [ "$rc" = 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
                [[ "$err" == "vmslice: bench: CPU 1 is online but this process may not run there (its CPU affinity is 0, as taskset or its parent set it); "* ]]
        ok $? "... without a slice on it: the process's affinity is said as such" || printf '%s\n' "$err" | diag
fi

if [ "${VMSLICE_REAL_KERNEL:-0}" != 1 ]; then
        echo "ok $((_n + 1)) # SKIP --compare on the real kernel (VMSLICE_REAL_KERNEL=1 runs it; it changes and restores host knobs)"
        _n=$((_n + 1))
        done_testing
fi

# --compare on this machine's real kernel: a slice for the measured CPU, released afterwards
[ "$(id -u)" = 0 ] && [ "$(nproc)" -gt 1 ]; ok $? "real kernel: root on a host of 2 or more CPUs"
knobs() { # the files a slice changes, and where this shell's cpuset and kthreadd are
        {
                cat /proc/self/cpuset
                taskset -pc 2 | sed 's/.*: //'
                ls /sys/fs/cgroup/cpuset 2>/dev/null
                for f in /sys/devices/virtual/workqueue/cpumask /sys/bus/workqueue/devices/writeback/cpumask \
                        /proc/irq/default_smp_affinity /proc/irq/*/smp_affinity_list /proc/sys/vm/stat_interval \
                        /proc/sys/kernel/watchdog /proc/sys/kernel/nmi_watchdog /proc/sys/kernel/timer_migration \
                        /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/ksm/run; do
                        [ -r "$f" ] && echo "$f $(cat "$f")"
                done
        } >"$1" 2>/dev/null
}
VCPU=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
mkdir -p "$WORK/bs" && chmod 700 "$WORK/bs"
knobs "$WORK/k-before"
expect_rc 0 "real kernel: bench --compare on CPU $VCPU under a load" --state-dir "$WORK/bs" \
        bench --compare --cpus "$VCPU" --duration 1 --load=builtin,cpu=2,vm=1,io=1,vm-bytes=16M --json
printf '%s' "$out" >"$WORK/c.json"
check_report "$WORK/c.json" compare; ok $? "real kernel: both reports' structure and ranges"
knobs "$WORK/k-after"
diff "$WORK/k-before" "$WORK/k-after" | diag
cmp -s "$WORK/k-before" "$WORK/k-after"; ok $? "real kernel: every knob is back, this shell in its cpuset"
expect_rc 0 "real kernel: status after --compare" --state-dir "$WORK/bs" status --json
python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["vms"] == [] and d["knobs"] == [] else 1)' <<<"$out"
ok $? "real kernel: no VM and no changed knob left in the state directory"
[ "$(leftovers)" = "$before" ]; ok $? "real kernel: the load is gone"
expect_rc 0 "real kernel: --compare as a table" --state-dir "$WORK/bs" bench --compare --cpus "$VCPU" --duration 1 --probe stall
[[ "$out" == *"without slice"*"with slice"*"without/with"*"availability"* ]]; ok $? "real kernel: side by side with the ratio"

# Ctrl-C while the slice is prepared: released, knobs back
interrupt "$WORK/bs/vms/vmslice-bench.spec" --state-dir "$WORK/bs" bench --compare --cpus "$VCPU" --duration 600 --load=builtin,cpu=1,vm=1,io=1,vm-bytes=16M
rc=$?
[ $rc = 1 ] && grep -q "interrupted by signal 2; the slice was released" "$WORK/int.err"; ok $? "real kernel: SIGINT during the sliced run: exit 1"
knobs "$WORK/k-after"
diff "$WORK/k-before" "$WORK/k-after" | diag
cmp -s "$WORK/k-before" "$WORK/k-after"; ok $? "real kernel: ... every knob is back"
[ ! -e "$WORK/bs/vms/vmslice-bench.spec" ]; ok $? "real kernel: ... the slice's record is gone"
[ "$(leftovers)" = "$before" ]; ok $? "real kernel: ... the load is gone"
"$VMSLICE" --state-dir "$WORK/bs" restore >/dev/null 2>&1

# a slice of another state directory is active: --compare must not journal its values as originals
if [ -e /sys/fs/cgroup/cpuset/cpuset.cpus ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
        mkdir -p "$WORK/os" && chmod 700 "$WORK/os"
        sed "s/cpuset='1'/cpuset='$VCPU'/" "$WORK/one.xml" >"$WORK/rk.xml"
        "$VMSLICE" --state-dir "$WORK/os" prepare "$WORK/rk.xml" >/dev/null
        expect_rc 1 "real kernel (cgroup v1): --compare while another state directory's slice is active" \
                --state-dir "$WORK/bs" bench --compare --cpus "$VCPU" --duration 1
        [[ "$err" == *"vmslice.host exists but is not in the journal of $WORK/bs"* ]]; ok $? "real kernel: ... refuses, saying why"
        # the first day's case: a VM's slice moved this shell into the host cpuset, and bench
        # (without --compare) is asked for the VM's CPU
        grep -qx /vmslice.host /proc/self/cpuset; ok $? "real kernel (cgroup v1): the slice moved this shell into vmslice.host"
        expect_rc 1 "real kernel (cgroup v1): bench on the VM's CPU from a shell in the host cpuset" \
                --state-dir "$WORK/os" bench --cpus "$VCPU" --duration 1 --probe stall
        [[ "$err" == "vmslice: bench: CPU $VCPU is in the slice of VM one, which keeps host tasks, bench included, off it (bench may run on CPU "*", in /sys/fs/cgroup/cpuset/vmslice.host); measure it after the VM stops"* ]] &&
                [[ "$err" == *"('echo \$\$ > /sys/fs/cgroup/cpuset/cgroup.procs')"* ]]
        ok $? "real kernel: ... names the VM, the host cpuset and what to do" || printf '%s\n' "$err" | diag
        # ... and what it says works: a shell moved to the root cpuset measures the VM's CPU
        out=$(bash -c 'echo $$ > /sys/fs/cgroup/cpuset/cgroup.procs && exec "$@"' _ "$VMSLICE" \
                --state-dir "$WORK/os" bench --cpus "$VCPU" --duration 1 --probe stall 2>&1)
        rc=$?
        [ "$rc" = 0 ] && [[ "$out" == *availability* ]]; ok $? "real kernel: ... from a shell moved to the root cpuset, bench measures it" ||
                printf '%s\n' "$out" | diag
        "$VMSLICE" --state-dir "$WORK/os" release one >/dev/null
        knobs "$WORK/k-after"
        cmp -s "$WORK/k-before" "$WORK/k-after"; ok $? "real kernel: ... and changed nothing"
        # a cpuset that is not the slice's (as cset or a container manager makes): the cgroup is named
        CG=/sys/fs/cgroup/cpuset/vmslice-test-$$
        if mkdir "$CG"; then
                cat /sys/fs/cgroup/cpuset/cpuset.mems >"$CG/cpuset.mems" && echo 0 >"$CG/cpuset.cpus" &&
                        out=$(bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$CG" "$VMSLICE" \
                                --state-dir "$WORK/none" bench --cpus "$VCPU" --duration 1 2>&1)
                [[ "$out" == "vmslice: bench: CPU $VCPU is online but not in this process's cpuset ($CG allows CPU 0); as root, run bench from a shell moved to the root cgroup ('echo \$\$ > /sys/fs/cgroup/cpuset/cgroup.procs')"* ]]
                ok $? "real kernel (cgroup v1): bench in a cpuset without the CPU names the cpuset" || printf '%s\n' "$out" | diag
                rmdir "$CG"
        fi
        [ ! -e "$CG" ]; ok $? "real kernel: ... which is removed"
fi
done_testing
