#!/bin/bash
# vmslice check: on the fixture hosts with a running QEMU (tests/data/hosts/qemu), exit status,
# text and JSON, the slice, libvirt's test driver for domains by name, bad usage; and on this
# machine's live /proc: a stand-in QEMU with real named, pinned threads (fake-qemu.py) and a plain
# process.
. "$(dirname "$0")/lib.sh"
Q=$HOSTS/qemu
VM4=$Q/vm4.xml
NOSTATE=(--state-dir "$WORK/no-state")

json() { # json PYTHON-EXPRESSION: evaluates it on $out parsed as d; status 0 when true
        printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if ('"$1"') else 1)' 2>/dev/null
}

# ---- usage ----
expect_rc 0 "check --help" check --help
[[ "$out" == *"Usage: vmslice"*"check DOMAIN"* ]]; ok $? "... shows the usage"
expect_usage "check without DOMAIN" check
expect_usage "check with two domains" check a.xml b.xml
expect_usage "check --pid that is not a number" check "$VM4" --pid x
expect_usage "check --pid 0" check "$VM4" --pid 0
expect_usage "check --interval -1" check "$VM4" --interval -1
expect_usage "check --interval with four decimals" check "$VM4" --interval 0.1234
expect_usage "check --interval over an hour" check "$VM4" --interval 3601
expect_usage "check --interval that is not a number" check "$VM4" --interval 1s
expect_usage "check with an unknown option" check "$VM4" --frobnicate
expect_usage "check of stdin" check -
expect_usage "check of a missing file" check "$WORK/missing.xml"

# ---- the fixtures ----
R=(--root "$Q/qemu-running-4vcpu.tar.gz" "${NOSTATE[@]}")
expect_rc 0 "check of a running VM found by its pid file" "${R[@]}" check "$VM4" --interval 0.05
[[ "$out" == *"ok    vcpu-pin       4 vCPU threads may run only on their pins (CPUs 2,4,18,20)"* ]]
ok $? "... one line per finding: level, code, message"
[[ "$out" == *"ok    hugepages      guest RAM (4 GiB in 1 mapping) is backed by 2 MiB hugepages"* ]]
ok $? "... hugepages as asked"
[[ "$(printf '%s\n' "$out" | tail -1)" == "vm4 (pid 4242): 10 ok, 1 warn, 0 fail" ]]
ok $? "... and a summary line"
[[ "$out" == *"warn  slice          no slice: the domain opts into vmslice"* ]]
ok $? "... an opted-in domain without a slice warns"
[ ! -e "$WORK/no-state" ]; ok $? "... and the state directory is not created"

expect_rc 0 "check --json" "${R[@]}" check "$VM4" --json --interval 0
json 'd["version"] == 1 and d["domain"] == "vm4" and d["pid"] == 4242 and d["interval_ms"] == 0 and d["result"] == "warn"'
ok $? "... version, domain, pid, interval, result"
json 'd["counts"] == {"ok": 8, "warn": 1, "fail": 0} and all(set(f) == {"level", "code", "message"} for f in d["findings"])'
ok $? "... counts and findings with level, code, message"
json '[t["kind"] for t in d["threads"]] == ["vcpu"] * 4 + ["iothread"] + ["emulator"] * 5 and d["threads"][1] == {"tid": 4247, "comm": "CPU 1/KVM", "kind": "vcpu", "index": 1, "allowed": "18", "last_cpu": 18} and d["threads"][5]["index"] is None'
ok $? "... the threads with their kind, index, allowed and last CPU"
json 'd["ram"] == [{"start": "7f2b40000000", "size_bytes": 4294967296, "page_size_bytes": 2097152, "path": "/dev/hugepages/libvirt/qemu/1-vm4/qemu_back_mem._objects_pc.ram.Vw7hQb (deleted)", "nodes": [{"node": 0, "bytes": 4294967296}]}]'
ok $? "... the guest RAM with its page size and nodes"

expect_rc 1 "check of unpinned threads fails" --root "$Q/qemu-vcpu-unpinned.tar.gz" "${NOSTATE[@]}" check "$VM4" --interval 0 --json
json 'd["result"] == "fail" and {(f["code"], f["level"]) for f in d["findings"]} >= {("vcpu-pin", "fail"), ("emulator-pin", "fail"), ("other-tasks", "warn")}'
ok $? "... vcpu-pin and emulator-pin fail, other tasks warn"
expect_rc 0 "check of a vCPU that last ran off its pin" --root "$Q/qemu-vcpu-off-pin.tar.gz" "${NOSTATE[@]}" check "$VM4" --interval 0
[[ "$out" == *"warn  vcpu-last-cpu  vCPU 2 (tid 4248) last ran on CPU 7, outside its pin 4"* ]]; ok $? "... warns"
expect_rc 1 "check of 4 KiB-backed RAM when hugepages were asked" --root "$Q/qemu-ram-4k.tar.gz" "${NOSTATE[@]}" check "$VM4" --interval 0
[[ "$out" == *"fail  hugepages      guest RAM at 7f2b40000000 (4 GiB) is backed by 4 KiB pages"* ]]; ok $? "... fails"
expect_rc 0 "check of RAM on the wrong node" --root "$Q/qemu-ram-wrong-node.tar.gz" "${NOSTATE[@]}" check "$VM4" --interval 0
[[ "$out" == *"warn  numa           2 GiB (50%) of the guest RAM lies on node 1"* ]]; ok $? "... warns"

expect_usage "check of a pid that does not exist" "${R[@]}" check "$VM4" --pid 9999
[[ "$err" == *"no process 9999 under "* ]]; ok $? "... names it"
sed 's|<name>vm4</name>|<name>vm5</name>|' "$VM4" >"$WORK/vm5.xml"
expect_usage "check of a domain without a pid file" "${R[@]}" check "$WORK/vm5.xml"
[[ "$err" == *"domain 'vm5' is not running (no /run/libvirt/qemu/vm5.pid)"* ]]; ok $? "... says it is not running"
expect_rc 1 "check of another domain's QEMU" "${R[@]}" check "$WORK/vm5.xml" --pid 4242 --interval 0
[[ "$out" == *"fail  qemu           pid 4242 runs the guest 'vm4', not 'vm5'"* ]]; ok $? "... fails on the guest name"
sed 's|<vcpupin vcpu=.1. cpuset=.18./>|<vcpupin vcpu="1" cpuset="1x"/>|' "$VM4" >"$WORK/bad.xml"
expect_usage "check of a domain with a malformed pin" "${R[@]}" check "$WORK/bad.xml"

# the slice: prepared on a copy of the fixture, then a knob changed behind its back
mkdir -p "$WORK/t" "$WORK/s" && chmod 700 "$WORK/s" && tar -C "$WORK/t" -xzf "$Q/qemu-running-4vcpu.tar.gz"
S=(--root "$WORK/t" --state-dir "$WORK/s")
"$VMSLICE" "${S[@]}" prepare "$VM4" >/dev/null
expect_rc 0 "check of a prepared VM" "${S[@]}" check "$VM4" --interval 0
[[ "$out" == *"ok    slice          the slice is in place"* && "$out" == *": 9 ok, 0 warn, 0 fail" ]]; ok $? "... every finding ok"
echo ffffffff >"$WORK/t/sys/devices/virtual/workqueue/cpumask"
expect_rc 1 "check after the workqueue mask was reset" "${S[@]}" check "$VM4" --interval 0
[[ "$out" == *"fail  slice          /sys/devices/virtual/workqueue/cpumask is 'ffffffff', which does not keep host work off the VM CPUs"* ]]
ok $? "... fails on it"
"$VMSLICE" "${S[@]}" restore >/dev/null

# ---- a domain by name: libvirt's in-process test driver (a running domain 'test') ----
expect_usage "check of a domain libvirt does not have" check nosuch --connect test:///default
[[ "$err" == *"no domain 'nosuch' at test:///default"* ]]; ok $? "... names it"
expect_usage "check of a running libvirt domain without a pid file" "${R[@]}" check test --connect test:///default
expect_rc 1 "check of a libvirt domain with --pid of another VM" "${R[@]}" check test --connect test:///default --pid 4242 --interval 0
[[ "$out" == *"pid 4242 runs the guest 'vm4', not 'test'"* ]]; ok $? "... reads the live definition and compares"

# ---- this machine ----
# CPUs this test may use (another test may have shielded some): the vCPUs go on the last one
read -r -a MINE <<<"$(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0)))')"
VCPU=${MINE[-1]}
EMU=${MINE[0]}
start_fake() { # start_fake VCPUS_SPEC: sets $FAKE to its pid once ready
        rm -f "$WORK/ready"
        python3 "$SRC/tests/cli/fake-qemu.py" "$WORK/ready" 64 "$1" "$EMU" -name guest=fake,debug-threads=on &
        FAKE=$!
        for _ in $(seq 100); do
                [ -e "$WORK/ready" ] && return 0
                sleep 0.1
        done
        return 1
}
fake_xml() { # fake_xml VCPU0_CPU VCPU1_CPU > file
        cat <<XML
<domain type='qemu'><name>fake</name><memory unit='MiB'>64</memory>
<vcpu placement='static'>2</vcpu><iothreads>1</iothreads>
<cputune><vcpupin vcpu='0' cpuset='$1'/><vcpupin vcpu='1' cpuset='$2'/><emulatorpin cpuset='$EMU'/>
<iothreadpin iothread='1' cpuset='$EMU'/></cputune>
<os><type arch='x86_64'>hvm</type></os></domain>
XML
}
start_fake "$VCPU/$VCPU"; ok $? "a stand-in QEMU with named, pinned threads starts"
fake_xml "$VCPU" "$VCPU" >"$WORK/fake.xml"
expect_rc 0 "check of the stand-in on the live host" "${NOSTATE[@]}" check "$WORK/fake.xml" --pid "$FAKE" --interval 0.2 --json
json 'd["pid"] == '"$FAKE"' and [(t["comm"], t["kind"], t["allowed"]) for t in d["threads"]][:3] == [("CPU 0/KVM", "vcpu", "'"$VCPU"'"), ("CPU 1/KVM", "vcpu", "'"$VCPU"'"), ("IO iothread1", "iothread", "'"$EMU"'")]'
ok $? "... finds its threads with the CPUs they were pinned to"
json 'all(t["last_cpu"] == '"$VCPU"' for t in d["threads"][:2])'
ok $? "... and the CPU each vCPU thread last ran on"
json '{f["code"]: f["level"] for f in d["findings"]}.items() >= {"qemu": "ok", "vcpu-pin": "ok", "vcpu-last-cpu": "ok", "emulator-pin": "ok", "iothread-pin": "ok", "hugepages": "ok"}.items()'
ok $? "... the placement findings are ok"
json 'len(d["ram"]) == 1 and d["ram"][0]["size_bytes"] == 64 << 20 and d["ram"][0]["page_size_bytes"] == 4096 and d["ram"][0]["path"] is None'
ok $? "... its 64 MiB of anonymous RAM in 4 KiB pages"
json 'any(f["code"] == "irqs-local" for f in d["findings"])'
ok $? "... and counted the interrupts of its CPU"
OTHER=$(python3 -c 'import os; print(min(set(range(os.cpu_count())) - {'"$VCPU"'}, default=-1))')
if [ "$OTHER" -ge 0 ] && [ -e "/sys/devices/system/cpu/cpu$OTHER" ]; then
        fake_xml "$VCPU" "$OTHER" >"$WORK/fake-other.xml"
        expect_rc 1 "check of the stand-in against a pin it does not have" "${NOSTATE[@]}" check "$WORK/fake-other.xml" --pid "$FAKE" --interval 0
        [[ "$out" == *"fail  vcpu-pin       vCPU 1 (tid "*") may run on $VCPU, but its pin is $OTHER"* ]]; ok $? "... fails on that vCPU"
else
        ok 0 "# SKIP one CPU: no pin to get wrong"
        ok 0 "# SKIP one CPU"
fi
kill "$FAKE" 2>/dev/null
wait "$FAKE" 2>/dev/null

# a plain process is no QEMU: the check says so and still reads its thread
taskset -c "$EMU" sleep 60 &
SLEEP=$!
sleep 0.2
expect_rc 1 "check of a process that is not a QEMU" "${NOSTATE[@]}" check "$WORK/fake.xml" --pid "$SLEEP" --interval 0 --json
json 'd["findings"][0]["code"] == "qemu" and d["findings"][0]["level"] == "fail" and "has no vCPU threads" in d["findings"][0]["message"]'
ok $? "... fails with 'no vCPU threads'"
json 'd["threads"] == [{"tid": '"$SLEEP"', "comm": "sleep", "kind": "emulator", "index": None, "allowed": "'"$EMU"'", "last_cpu": '"$EMU"'}]'
ok $? "... and reads its one thread as the kernel shows it"
kill "$SLEEP" 2>/dev/null
wait "$SLEEP" 2>/dev/null

done_testing
