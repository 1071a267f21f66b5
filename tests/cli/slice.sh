#!/bin/bash
# The runtime slice from the command line: prepare, status, release, restore, --dry-run, the hook,
# the settings file, a crash and restore; on fixture trees, and on this machine's real kernel when
# VMSLICE_REAL_KERNEL=1 (CI sets it; a user's `meson test` never reconfigures their host).
. "$(dirname "$0")/lib.sh"
D=$DATA/domains

fresh() { # NAME -> a private copy of a fixture, and a pristine one, and an empty state dir
        rm -rf "$WORK/t" "$WORK/p" "$WORK/s"
        mkdir -p "$WORK/t" "$WORK/p" "$WORK/s" && chmod 700 "$WORK/s"
        tar -C "$WORK/t" -xzf "$HOSTS/$1.tar.gz" && tar -C "$WORK/p" -xzf "$HOSTS/$1.tar.gz"
}
S=(--root "$WORK/t" --state-dir "$WORK/s")

fresh i7-6800k
expect_rc 0 "prepare --dry-run" "${S[@]}" prepare "$D/good-tuned.xml" --dry-run
[[ "$out" == *"would change /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages: '0' -> '4096'"* ]]
ok $? "... names the hugepages it would reserve"
same_tree "$WORK/t" "$WORK/p"; ok $? "... and changes nothing"
expect_rc 0 "prepare" "${S[@]}" prepare "$D/good-tuned.xml"
[ "$(cat "$WORK/t/sys/devices/virtual/workqueue/cpumask")" = 000000c3 ]; ok $? "workqueues kept off the VM CPUs"
[ "$(cat "$WORK/t/proc/sys/vm/stat_interval")" = 120 ]; ok $? "vm.stat_interval raised"
expect_rc 0 "status" "${S[@]}" status
[[ "$out" == *"good-tuned: cpus 2-5,8-11; 4096 x 2 MiB pages on node 0"* ]]; ok $? "status names the VM, its CPUs and pages"
expect_rc 0 "status --json" "${S[@]}" status --json
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["vms"][0]["name"]=="good-tuned" and len(d["knobs"])>5' 2>/dev/null
ok $? "status --json lists the VM and the knobs"
expect_rc 0 "a second prepare" "${S[@]}" prepare "$D/good-tuned.xml"
[ -z "$out" ] && [[ "$err" == *"prepared already"* ]]; ok $? "... changes nothing"
expect_rc 0 "release" "${S[@]}" release good-tuned
same_tree "$WORK/t" "$WORK/p"; ok $? "the host is back as it was"
expect_rc 0 "release of a VM that is not prepared" "${S[@]}" release good-tuned

fresh i7-6800k
"$VMSLICE" "${S[@]}" prepare "$D/good-tuned.xml" >/dev/null
expect_rc 0 "restore" "${S[@]}" restore
same_tree "$WORK/t" "$WORK/p"; ok $? "restore brings everything back"
expect_rc 0 "restore again, with nothing journaled" "${S[@]}" restore
[ "$out" = "nothing to restore: no journaled changes in $WORK/s" ]; ok $? "... says there is nothing to restore, and where it looked"

# cgroup v1 (this machine's layout): a host cpuset, as cset shield makes, created and removed
fresh small-2c
cat >"$WORK/one.xml" <<'XML'
<domain type='kvm'><name>one</name><memory unit='MiB'>256</memory>
<vcpu placement='static'>1</vcpu><cputune><vcpupin vcpu='0' cpuset='1'/></cputune>
<os><type arch='x86_64'>hvm</type></os></domain>
XML
expect_rc 0 "prepare on a cgroup v1 host" "${S[@]}" prepare "$WORK/one.xml"
[ "$(cat "$WORK/t/sys/fs/cgroup/cpuset/vmslice.host/cpuset.cpus")" = 0 ]; ok $? "... the host cpuset holds CPU 0"
[ "$(cat "$WORK/t/sys/fs/cgroup/cpuset/vmslice.host/cpuset.mems")" = 0 ]; ok $? "... and the root's memory nodes"
expect_rc 0 "release on a cgroup v1 host" "${S[@]}" release one
[ ! -e "$WORK/t/sys/fs/cgroup/cpuset/vmslice.host" ]; ok $? "... the host cpuset is gone"
same_tree "$WORK/t" "$WORK/p"; ok $? "... and the host is as it was"

# irqbalance would undo the IRQ masks: the VM CPUs are banned through its control socket (on top
# of what it bans itself) and its own bans come back at release
fresh i7-6800k
coproc IRQB { exec python3 "$SRC/tests/helpers/fake-irqbalance.py" "$WORK/t" 4242 1; }
read -r -t 10 line <&"${IRQB[0]}"; [ "$line" = ready ]; ok $? "a fake irqbalance listens in the fixture"
cp -r "$WORK/t/proc/4242" "$WORK/p/proc/"
expect_rc 0 "prepare --dry-run with irqbalance running" "${S[@]}" prepare "$D/good-tuned.xml" --dry-run
[[ "$out" == *"would change irqbalance:4242:4242: '1' -> '1-5,8-11'"* ]]; ok $? "... names the CPUs it would ban"
expect_rc 0 "prepare with irqbalance running" "${S[@]}" prepare "$D/good-tuned.xml"
grep -qx "settings cpus 1-5,8-11" "$WORK/t/irqbalance.log"; ok $? "... bans the VM CPUs in irqbalance"
expect_rc 0 "release with irqbalance running" "${S[@]}" release good-tuned
[ "$(tail -1 "$WORK/t/irqbalance.log")" = "settings cpus 1" ]; ok $? "... gives irqbalance its own bans back"
kill "$IRQB_PID" 2>/dev/null; wait "$IRQB_PID" 2>/dev/null
rm -f "$WORK/t/irqbalance.log" "$WORK/t/run/irqbalance/irqbalance4242.sock"
same_tree "$WORK/t" "$WORK/p"; ok $? "... and the host is as it was"
mkdir -p "$WORK/t/etc/vmslice" && printf '[defaults]\nirqbalance = stop\n' >"$WORK/t/etc/vmslice/vmslice.conf"
expect_rc 0 "irqbalance = stop without systemd" "${S[@]}" prepare "$D/good-tuned.xml" --dry-run
[[ "$err" == *"irqbalance = stop needs systemd"*"banning cpus 2-5,8-11 in it instead"* ]]; ok $? "... bans instead, and says so"
rm -rf "$WORK/t/etc/vmslice"

# systemd as PID 1: AllowedCPUs= through its D-Bus API (a fake manager on a private bus, which
# writes cpuset.cpus as systemd does and logs every call), nothing written behind its back
if [ -n "${VMSLICE_FAKE_SYSTEMD:-}" ] && command -v dbus-daemon >/dev/null; then
        fresh i7-6800k
        mkdir -p "$WORK/t/run/systemd/system" "$WORK/p/run/systemd/system"
        dbus-daemon --session --address="unix:path=$WORK/bus" --nofork --nopidfile --print-address=3 3>"$WORK/bus.addr" &
        DBUS_PID=$!
        for _ in $(seq 50); do [ -s "$WORK/bus.addr" ] && break; sleep 0.1; done
        coproc FAKESD { exec "$VMSLICE_FAKE_SYSTEMD" "unix:path=$WORK/bus" "$WORK/t" "$WORK/sd.log"; }
        read -r -t 10 line <&"${FAKESD[0]}"; [ "$line" = ready ]; ok $? "a fake systemd answers on a private bus"
        export VMSLICE_SYSTEMD_BUS="unix:path=$WORK/bus"
        expect_rc 0 "prepare with systemd as PID 1 --dry-run" "${S[@]}" prepare "$D/good-tuned.xml" --dry-run
        [[ "$out" == *"would change systemd:system.slice: '(unset)' -> '0-1,6-7'"* ]]; ok $? "... names the units' AllowedCPUs"
        expect_rc 0 "prepare with systemd as PID 1" "${S[@]}" prepare "$D/good-tuned.xml"
        grep -qx "SetUnitProperties user.slice runtime AllowedCPUs=0-1,6-7" "$WORK/sd.log"; ok $? "... asks systemd for AllowedCPUs at runtime"
        [ "$(grep -c '^SetUnitProperties' "$WORK/sd.log")" = 3 ]; ok $? "... of init.scope, system.slice and user.slice, not machine.slice"
        [ "$(cat "$WORK/t/sys/fs/cgroup/system.slice/cpuset.cpus")" = 0-1,6-7 ]; ok $? "... which systemd puts into the cgroups"
        expect_rc 0 "status with systemd" "${S[@]}" status
        [[ "$out" == *"systemd:init.scope"* ]]; ok $? "... lists the units"
        expect_rc 0 "release with systemd" "${S[@]}" release good-tuned
        grep -qx "SetUnitProperties init.scope runtime AllowedCPUs=" "$WORK/sd.log"; ok $? "... lifts the restriction again"
        same_tree "$WORK/t" "$WORK/p"; ok $? "... and the host is as it was"
        # irqbalance = stop: systemd stops irqbalance.service while VMs run
        coproc IRQB { exec python3 "$SRC/tests/helpers/fake-irqbalance.py" "$WORK/t" 4243; }
        read -r -t 10 line <&"${IRQB[0]}"
        mkdir -p "$WORK/t/etc/vmslice" && printf '[defaults]\nirqbalance = stop\n' >"$WORK/t/etc/vmslice/vmslice.conf"
        expect_rc 0 "prepare with irqbalance = stop under systemd" "${S[@]}" prepare "$D/good-tuned.xml"
        grep -qx "StopUnit irqbalance.service replace" "$WORK/sd.log"; ok $? "... stops irqbalance.service"
        expect_rc 0 "release with irqbalance = stop" "${S[@]}" release good-tuned
        grep -qx "StartUnit irqbalance.service replace" "$WORK/sd.log"; ok $? "... starts it again"
        # a systemd that stops answering: the journal keeps the originals, restore finishes later
        expect_rc 0 "prepare again" "${S[@]}" prepare "$D/good-tuned.xml"
        kill "$FAKESD_PID"; wait "$FAKESD_PID" 2>/dev/null
        expect_rc 1 "restore while systemd does not answer" "${S[@]}" restore
        [[ "$err" == *"cannot restore "*"the journal keeps it, run 'vmslice restore' again"* ]] || { printf '%s\n' "$err" | diag; false; }; ok $? "... fails with what to do"
        coproc FAKESD { exec "$VMSLICE_FAKE_SYSTEMD" "unix:path=$WORK/bus" "$WORK/t" "$WORK/sd.log"; }
        read -r -t 10 line <&"${FAKESD[0]}"
        expect_rc 0 "restore once systemd answers" "${S[@]}" restore
        [ "$(cat "$WORK/t/sys/fs/cgroup/user.slice/cpuset.cpus")" = "" ]; ok $? "... lifts the restriction"
        kill "$FAKESD_PID" "$IRQB_PID" "$DBUS_PID" 2>/dev/null; wait 2>/dev/null
        unset VMSLICE_SYSTEMD_BUS
elif [ -n "${VMSLICE_REQUIRE_DBUS:-}" ]; then
        ok 1 "the systemd D-Bus tests need libsystemd (fake-systemd) and dbus-daemon"
else
        echo "ok $((_n += 1)) # SKIP no libsystemd or dbus-daemon: systemd D-Bus tests"
fi

# started begin: the VM's threads are checked against its pins and recorded for status (a fake
# QEMU in the fixture); the VM starts either way
rm -rf "$WORK/t" "$WORK/s" && mkdir -p "$WORK/t" "$WORK/s" && chmod 700 "$WORK/s"
tar -C "$WORK/t" -xzf "$HOSTS/qemu/qemu-running-4vcpu.tar.gz"
Q=$HOSTS/qemu/vm4.xml
expect_rc 0 "hook: started begin without a slice does nothing" "${S[@]}" hook run vm4 started begin - <"$Q"
[ ! -e "$WORK/s/vms/vm4.placement" ]; ok $? "... and records nothing"
"$VMSLICE" "${S[@]}" prepare "$Q" >/dev/null 2>&1
expect_rc 0 "hook: started begin" "${S[@]}" hook run vm4 started begin - <"$Q"
expect_rc 0 "status after started begin" "${S[@]}" status
[[ "$out" == *"ok   vcpu-pin:"* ]]; ok $? "... shows the vCPU threads checked against the pins"
expect_rc 0 "status --json after started begin" "${S[@]}" status --json
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["vms"][0]["placement"]; assert any(f["code"]=="vcpu-pin" and f["level"]=="ok" for f in p)' 2>/dev/null
ok $? "... and in JSON"
[[ "$out" == *'"running": true'* && "$out" == *'"pid": 4242'* && "$out" == *'"placement_time": "20'* ]]
ok $? "... with the QEMU that runs it and when the findings were recorded"
expect_rc 0 "status" "${S[@]}" status
[[ "$out" == *"qemu: pid 4242 runs it"* && "$out" == *"at 'started begin', 20"* ]]; ok $? "... says QEMU runs and when the findings were recorded"
# the VM's QEMU gone (its pid file left behind, as after a crash), then the pid file too: the
# findings of its start are history, never shown as current
rm -rf "$WORK/t/proc/4242"
expect_rc 0 "status after QEMU is gone" "${S[@]}" status
[[ "$out" == *"qemu: not running (pid 4242 of /run/libvirt/qemu/vm4.pid is gone); the slice is still held: 'vmslice release vm4' gives it back"* ]]
ok $? "... says so"
[[ "$out" != *"ok   "* && "$out" != *"qemu: pid 4242 runs"* ]]; ok $? "... and shows no finding as current"
rm -f "$WORK/t/run/libvirt/qemu/vm4.pid"
expect_rc 0 "status without the pid file" "${S[@]}" status
[[ "$out" == *"qemu: not running (no /run/libvirt/qemu/vm4.pid)"* && "$out" != *"ok   "* ]]; ok $? "... says it is not running"
expect_rc 0 "status --json of a VM that is not running" "${S[@]}" status --json
[[ "$out" == *'"running": false'* && "$out" == *'"pid": null'* ]]; ok $? "... running false, no pid"
rm -rf "$WORK/t" && mkdir -p "$WORK/t" && tar -C "$WORK/t" -xzf "$HOSTS/qemu/qemu-vcpu-unpinned.tar.gz"
expect_rc 0 "hook: started begin, a vCPU off its pin" "${S[@]}" hook run vm4 started begin - <"$Q"
expect_rc 0 "status" "${S[@]}" status
[[ "$out" == *"fail vcpu-pin:"* ]]; ok $? "... reports the vCPU whose thread is not pinned"
"$VMSLICE" "${S[@]}" restore >/dev/null 2>&1
[ ! -e "$WORK/s/vms/vm4.placement" ]; ok $? "... and the record goes with the VM"

# kill -9 in the middle of prepare, then restore
fresh xeon-2s-interleaved
VMSLICE_FAULT=7 "$VMSLICE" "${S[@]}" prepare "$D/good-tuned.xml" >/dev/null 2>&1
[ $? -eq 137 ]; ok $? "prepare killed at its 7th change"
expect_rc 0 "restore after the crash" "${S[@]}" restore
same_tree "$WORK/t" "$WORK/p"; ok $? "... leaves the host as it was"

# the settings file: a VM section turns hugepages off; a bad file is bad input
fresh i7-6800k
mkdir -p "$WORK/t/etc/vmslice"
printf '[defaults]\nthp = leave\n[vm good-tuned]\nhugepages = no\n' >"$WORK/t/etc/vmslice/vmslice.conf"
expect_rc 0 "prepare with a settings file" "${S[@]}" prepare "$D/good-tuned.xml"
[[ "$out" != *"nr_hugepages"* && "$out" != *"transparent_hugepage"* ]]; ok $? "... follows it (no hugepages, THP left alone)"
"$VMSLICE" "${S[@]}" restore >/dev/null
printf '[defaults]\nthp-mode = never\n' >"$WORK/t/etc/vmslice/vmslice.conf"
expect_usage "a bad settings file" "${S[@]}" prepare "$D/good-tuned.xml"
[[ "$err" == *"vmslice.conf:2: unknown key 'thp-mode'"* ]]; ok $? "... names the line"
rm -f "$WORK/t/etc/vmslice/vmslice.conf"

# the hook
expect_rc 0 "hook install" hook install --hooks-dir "$WORK/hooks/qemu.d"
[ -x "$WORK/hooks/qemu.d/vmslice" ] && grep -q "hook run" "$WORK/hooks/qemu.d/vmslice"; ok $? "... an executable script in qemu.d"
expect_rc 0 "hook on a domain that did not opt in" "${S[@]}" hook run debian12 prepare begin - <"$D/virt-install-linux.xml"
same_tree "$WORK/t" "$WORK/p"; ok $? "... does nothing"
"$VMSLICE" --root "$WORK/t" apply "$D/virt-install-linux.xml" --vcpus 4 --memory 4G >"$WORK/managed.xml" 2>/dev/null
expect_rc 0 "hook prepare begin on a managed domain" "${S[@]}" hook run debian12 prepare begin - <"$WORK/managed.xml"
[ "$(cat "$WORK/t/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages")" = 2048 ]; ok $? "... reserved its pages"
expect_rc 0 "hook reconnect begin" "${S[@]}" hook run debian12 reconnect begin - <"$WORK/managed.xml"
expect_rc 0 "hook release end" "${S[@]}" hook run debian12 release end - </dev/null
same_tree "$WORK/t" "$WORK/p"; ok $? "... gave everything back"
expect_usage "hook with a name that is not the XML's" "${S[@]}" hook run other prepare begin - <"$WORK/managed.xml"
expect_rc 0 "other hook operations are ignored" "${S[@]}" hook run debian12 started begin - <"$WORK/managed.xml"
expect_rc 0 "hook uninstall" hook uninstall --hooks-dir "$WORK/hooks/qemu.d"
[ ! -e "$WORK/hooks/qemu.d/vmslice" ]; ok $? "... removed it"

# four VMs prepared and released concurrently, in random order, 20 rounds: the lock serializes
# them, pages add up, and the last one out leaves the host as it was
fresh i7-6800k
i=0
for c in "2 8" "3 9" "4 10" "5 11"; do
        set -- $c
        cat >"$WORK/vm$i.xml" <<XML
<domain type='kvm'><name>vm$i</name><memory unit='GiB'>1</memory>
<memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>
<vcpu placement='static'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='$1'/><vcpupin vcpu='1' cpuset='$2'/></cputune>
<os><type arch='x86_64'>hvm</type></os></domain>
XML
        i=$((i + 1))
done
bad=0
for round in $(seq 1 20); do
        for v in $(shuf -e 0 1 2 3); do "$VMSLICE" "${S[@]}" prepare "$WORK/vm$v.xml" >/dev/null 2>&1 || bad=1 & done
        wait
        [ "$(cat "$WORK/t/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages")" = 2048 ] || bad=1
        [ "$(cat "$WORK/t/sys/devices/virtual/workqueue/cpumask")" = 000000c3 ] || bad=1
        for v in $(shuf -e 0 1 2 3); do "$VMSLICE" "${S[@]}" release vm$v >/dev/null 2>&1 || bad=1 & done
        wait
        same_tree "$WORK/t" "$WORK/p" >/dev/null || bad=1
done
[ $bad = 0 ]; ok $? "4 VMs prepared and released concurrently, 20 rounds: 2048 pages with all four, nothing left after"

# hostile state directories
ln -s "$WORK/s" "$WORK/s-link"
expect_rc 1 "a symlinked state directory is refused" --root "$WORK/t" --state-dir "$WORK/s-link" status
mkdir -p "$WORK/open" && chmod 777 "$WORK/open"
expect_rc 1 "a world-writable state directory is refused" --root "$WORK/t" --state-dir "$WORK/open" status
expect_usage "prepare of a hostile document" "${S[@]}" prepare "$D/hostile/name-dotdot.xml"

# the real kernel of this machine
if [ "${VMSLICE_REAL_KERNEL:-0}" != 1 ]; then
        echo "ok $((_n + 1)) # SKIP real-kernel tests (VMSLICE_REAL_KERNEL=1 runs them; they change and restore host knobs)"
        _n=$((_n + 1))
        done_testing
fi
[ "$(id -u)" = 0 ]; ok $? "real-kernel tests run as root"
cat >"$WORK/rk.xml" <<'XML'
<domain type='qemu'>
  <name>vmslice-realkernel</name>
  <memory unit='MiB'>256</memory>
  <memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>
  <vcpu placement='static'>1</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='1'/><emulatorpin cpuset='0'/></cputune>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
XML
mkdir -p "$WORK/rks" && chmod 700 "$WORK/rks"
R=(--state-dir "$WORK/rks")
knobs() { # snapshot of every knob file a slice may touch, from a capture
        rm -rf "$WORK/cap" && mkdir -p "$WORK/cap"
        "$VMSLICE" capture "$WORK/cap.tar.gz" >/dev/null && tar -C "$WORK/cap" -xzf "$WORK/cap.tar.gz"
        (cd "$WORK/cap" && find . -type f ! -name MACHINE ! -name meminfo ! -name interrupts \
                ! -name free_hugepages ! -name 'effective_affinity*' ! -name hwloc-nofile-info -print0 |
                sort -z | xargs -0 md5sum) >"$1"
}
kthreads() { # PID COMM-PREFIX AFFINITY COMM of every kernel thread
        python3 - <<'PY'
import os, re
for p in os.listdir('/proc'):
    if not p.isdigit():
        continue
    try:
        st = open(f'/proc/{p}/stat').read()
        if int(st[st.rindex(')') + 2:].split()[6]) & 0x00200000:
            comm = open(f'/proc/{p}/comm').read().strip()
            print(p, re.split(r'[-/]', comm)[0], ','.join(map(str, sorted(os.sched_getaffinity(int(p))))), comm)
    except (OSError, ValueError):
        pass
PY
}
same_kthreads() { # kernel threads that exist in both snapshots have the same affinity
        python3 - "$1" "$2" <<'PY'
import sys
a = {l.split()[0] + ' ' + l.split()[1]: l.split()[2] for l in open(sys.argv[1])}
b = {l.split()[0] + ' ' + l.split()[1]: l.split()[2] for l in open(sys.argv[2])}
bad = [k for k in a if k in b and a[k] != b[k]]
for k in bad:
    print('# kernel thread', k, 'was', a[k], 'now', b[k])
sys.exit(1 if bad else 0)
PY
}
kthread_names() { # NAME AFFINITIES...: every kernel thread but the kworkers, by name
        kthreads | LC_ALL=C awk '$4 !~ /^kworker/ { print $4, $3 }' | LC_ALL=C sort -u |
                awk '{ a[$1] = a[$1] " " $2 } END { for (k in a) print k a[k] }' | LC_ALL=C sort
}
knobs "$WORK/before"
kthreads >"$WORK/kt-before"
kthread_names >"$WORK/ktn-before"
hp=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
hp0=$(cat $hp)
expect_rc 0 "real kernel: prepare" "${R[@]}" prepare "$WORK/rk.xml"
[ "$(cat $hp)" -eq $((hp0 + 128)) ]; ok $? "real kernel: 128 more 2 MiB pages on node 0"
[ "$(cat /sys/devices/virtual/workqueue/cpumask)" = 1 ]; ok $? "real kernel: workqueues off CPU 1"
[ "$(kthreads | awk '$2 == "kthreadd" { print $3 }')" = 0 ]; ok $? "real kernel: kthreadd moved off CPU 1"
if [ -e /sys/fs/cgroup/cpuset/cpuset.cpus ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
        [ "$(cat /proc/self/cpuset)" = /vmslice.host ] && [ "$(taskset -pc $$ | sed 's/.*: //')" = 0 ]
        ok $? "real kernel (cgroup v1): this shell moved into the host cpuset, on CPU 0 only"
fi
expect_rc 0 "real kernel: release" "${R[@]}" release vmslice-realkernel
knobs "$WORK/after"
diff "$WORK/before" "$WORK/after" | diag
cmp -s "$WORK/before" "$WORK/after"; ok $? "real kernel: every knob file is as before"
[ "$(cat /proc/self/cpuset)" = / ]; ok $? "real kernel: tasks are back in the root cpuset"
kthreads >"$WORK/kt-after"
same_kthreads "$WORK/kt-before" "$WORK/kt-after"; ok $? "real kernel: kernel threads have their affinity back"
# by name too: a thread that a restore starts (THP back on restarts khugepaged) is a new PID,
# and must come back as allowed as the one before (kworkers come and go with the load and carry
# their current work in their name: the PID comparison above covers those that stay)
kthread_names >"$WORK/ktn-after"
diff "$WORK/ktn-before" "$WORK/ktn-after" | diag
python3 - "$WORK/ktn-before" "$WORK/ktn-after" <<'PY'
import sys
a, b = (dict(l.rstrip('\n').split(' ', 1) for l in open(f)) for f in sys.argv[1:])
sys.exit(1 if any(k in b and a[k] != b[k] for k in a) else 0)
PY
ok $? "real kernel: every kernel thread name has the allowed CPUs it had before prepare"
# a task pinned by its user (taskset) to the VM CPU: off it while the VM runs, and, on kernels that
# keep a task's requested affinity across cpuset moves (6.2+, user_cpus_ptr), pinned there again
sleep 600 &
pinned=$!
taskset -pc 1 $pinned >/dev/null
"$VMSLICE" "${R[@]}" prepare "$WORK/rk.xml" >/dev/null 2>&1
[ "$(taskset -pc $pinned | sed 's/.*: //')" = 0 ]; ok $? "real kernel: a task pinned to the VM CPU leaves it while the slice holds"
"$VMSLICE" "${R[@]}" release vmslice-realkernel >/dev/null 2>&1
IFS=. read -r kmaj kmin _ < /proc/sys/kernel/osrelease
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "${kmin%%[!0-9]*}" -ge 2 ]; }; then
        [ "$(taskset -pc $pinned | sed 's/.*: //')" = 1 ]; ok $? "real kernel: ... and is pinned to it again after release"
else
        skip "real kernel: a task's own affinity comes back (needs kernel 6.2+; this is $(uname -r))"
fi
kill $pinned; wait $pinned 2>/dev/null
# tasks forking while the last VM goes (their children are born in the host cpuset): release
# still empties and removes it (the e2e suite found this)
if [ -e /sys/fs/cgroup/cpuset/cpuset.cpus ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
        good=0
        for round in 1 2 3 4 5; do
                "$VMSLICE" "${R[@]}" prepare "$WORK/rk.xml" >/dev/null 2>&1
                forkers=()
                for _ in 1 2 3; do
                        (end=$((SECONDS + 2)); while [ $SECONDS -lt $end ]; do /bin/true; done) &
                        forkers+=($!)
                done
                sleep 0.3
                run "${R[@]}" release vmslice-realkernel
                rel=$rc
                wait "${forkers[@]}"
                [ $rel -eq 0 ] && [ ! -e /sys/fs/cgroup/cpuset/vmslice.host ] || { printf 'round %s: %s\n' "$round" "$err" | diag; good=1; break; }
        done
        ok $good "real kernel (cgroup v1): release while tasks fork, 5 rounds: the host cpuset is removed"
        "$VMSLICE" "${R[@]}" restore >/dev/null 2>&1
        knobs "$WORK/after"
        cmp -s "$WORK/before" "$WORK/after"; ok $? "real kernel: ... and every knob file is as before"
fi
# Fault injection on the real kernel: every write of prepare, and every write of release, killed
# right before it, killed right after it, and failing (VMSLICE_FAULT, see state.h). After a fault
# in prepare, restore gives every knob back; after one in release, the next release (what the user,
# or the next VM's hook call, runs) does, and restore then has nothing left to do.
fault_walk() { # prepare|release
        local op=$1 at n total=0 points=0 bad=0 rc
        for at in before after fail; do
                for n in $(seq 1 300); do
                        [ "$op" = release ] && "$VMSLICE" "${R[@]}" prepare "$WORK/rk.xml" >/dev/null 2>&1
                        if [ "$op" = prepare ]; then
                                VMSLICE_FAULT=$n VMSLICE_FAULT_AT=$at "$VMSLICE" "${R[@]}" prepare "$WORK/rk.xml" >/dev/null 2>&1
                        else
                                VMSLICE_FAULT=$n VMSLICE_FAULT_AT=$at "$VMSLICE" "${R[@]}" release vmslice-realkernel >/dev/null 2>&1
                        fi
                        rc=$?
                        # the kill walk finds how many writes there are; the fail walk covers as many
                        if [ "$at" != fail ] && [ $rc -ne 137 ]; then
                                [ "$at" = before ] && total=$((n - 1))
                                [ "$at" = after ] && [ $((n - 1)) -ne $total ] && { echo "$op: $((n - 1)) points after the write, $total before"; bad=1; }
                                "$VMSLICE" "${R[@]}" restore >/dev/null 2>&1
                                break
                        fi
                        if [ "$op" = release ]; then
                                "$VMSLICE" "${R[@]}" release vmslice-realkernel >/dev/null 2>&1 || { echo "$op $at $n: the next release failed"; bad=1; }
                                "$VMSLICE" "${R[@]}" status --json | grep -q '"path"' && { echo "$op $at $n: the journal kept changes after the next release"; bad=1; }
                        fi
                        "$VMSLICE" "${R[@]}" restore >/dev/null 2>&1 || { echo "$op $at $n: restore failed"; bad=1; }
                        knobs "$WORK/after"
                        cmp -s "$WORK/before" "$WORK/after" || { echo "$op $at $n:"; diff "$WORK/before" "$WORK/after"; bad=1; }
                        kthreads >"$WORK/kt-after"
                        same_kthreads "$WORK/kt-before" "$WORK/kt-after" || { echo "$op $at $n: kernel threads"; bad=1; }
                        points=$((points + 1))
                        [ "$at" = fail ] && [ $n -ge $total ] && break
                        [ $bad = 0 ] || break 2
                done
        done
        [ $total -gt 5 ] && [ $points -eq $((3 * total)) ] || { echo "$op: $points points for $total writes"; bad=1; }
        echo "real kernel: $op: $total writes, each killed before, killed after and failing: $points points"
        return $bad
}
fault_walk prepare 2>&1 | diag
ok "${PIPESTATUS[0]}" "real kernel: a fault at every write of prepare, then restore: every knob as before"
fault_walk release 2>&1 | diag
ok "${PIPESTATUS[0]}" "real kernel: a fault at every write of release, then release again: every knob as before"
# a real irqbalance (every IRQ banned from its balancing, so it moves none itself): the VM CPU
# is banned through its socket while the VM runs, and irqbalance gets its own choice back
if command -v irqbalance >/dev/null; then
        irqq() { # irqbalance's answer to "setup": its banned CPU mask
                python3 - "/run/irqbalance/irqbalance$IB.sock" <<'PY'
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendmsg([b"setup"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
                        struct.pack("iII", os.getpid(), os.getuid(), os.getgid()))])
data = b""
while (d := s.recv(65536)):
    data += d
print(data.decode().rsplit("BANNED ", 1)[-1].strip())
PY
        }
        wait_banned() { # MASK: irqbalance applies a ban at its next pass (every second here)
                for _ in $(seq 50); do [ "$(irqq 2>/dev/null)" = "$1" ] && return 0; sleep 0.2; done
                echo "# irqbalance bans $(irqq 2>&1), wanted $1"; return 1
        }
        bans=(); for i in /proc/irq/[0-9]*; do bans+=(--banirq="${i##*/}"); done
        mkdir -p /run/irqbalance
        irqbalance --foreground --interval=1 "${bans[@]}" >/dev/null 2>&1 &
        IB=$!
        for _ in $(seq 50); do [ -S /run/irqbalance/irqbalance$IB.sock ] && break; sleep 0.1; done
        wait_banned 00000000; ok $? "real kernel: irqbalance runs and bans no CPU"
        expect_rc 0 "real kernel: prepare with irqbalance running" "${R[@]}" prepare "$WORK/rk.xml"
        wait_banned 00000002; ok $? "real kernel: irqbalance bans the VM CPU"
        expect_rc 0 "real kernel: release with irqbalance running" "${R[@]}" release vmslice-realkernel
        wait_banned 00000000; ok $? "real kernel: irqbalance bans no CPU again"
        kill $IB; wait $IB 2>/dev/null
        knobs "$WORK/after"
        cmp -s "$WORK/before" "$WORK/after" || diff "$WORK/before" "$WORK/after" | diag
        cmp -s "$WORK/before" "$WORK/after"; ok $? "real kernel: every knob file is as before irqbalance ran"
elif [ -n "${VMSLICE_REQUIRE_DBUS:-}" ]; then
        ok 1 "real kernel: the irqbalance test needs irqbalance installed"
fi
"$VMSLICE" "${R[@]}" restore >/dev/null 2>&1
done_testing
