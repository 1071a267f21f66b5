#!/bin/bash
# With --root other than /, no verb reads or writes a live path: every verb runs under strace on a
# fixture root without --state-dir or --hooks-dir, and none of its file calls or socket connects
# may reach the paths vmslice works on for the live host (its state, libvirt's hooks and sockets,
# the settings file, the backups, sysfs/procfs/cgroupfs knobs, the systemd and D-Bus sockets).
# The live trees are also compared before and after. Each verb's state, hook and results land in
# the root's own tree instead.
. "$(dirname "$0")/lib.sh"
D=$DATA/domains
Q=$HOSTS/qemu

if ! command -v strace >/dev/null || ! strace -qq -o /dev/null true 2>/dev/null; then
        if [ "${VMSLICE_REQUIRE_LIBVIRT:-0}" = 1 ]; then
                ok 1 "strace runs here (required in CI)"
        else
                skip "strace is missing or cannot trace here"
        fi
        done_testing
fi

# What vmslice touches on the live host. Libraries' own start-up reads (the loader, gnutls,
# selinux, libnuma's /sys/devices/system/node) happen before main and are not vmslice's.
LIVE='^(/run/vmslice|/etc/libvirt|/etc/vmslice|/var/lib/vmslice|/run/libvirt|/var/run/libvirt|/run/systemd|/run/dbus|/var/run/dbus|/run/irqbalance|/var/run/irqbalance|/sys/fs/cgroup|/sys/kernel|/sys/devices/virtual|/sys/devices/system/cpu/cpu[0-9]|/sys/devices/system/cpu/isolated|/sys/devices/system/cpu/online|/sys/devices/system/node/node[0-9]+/hugepages|/sys/bus|/proc/irq|/proc/interrupts|/proc/sys/kernel/(nmi_watchdog|timer_migration|sched|watchdog)|/proc/sys/vm|/proc/[0-9]|/proc/cmdline|/proc/meminfo|/dev/cpu_dma_latency)'

snapshot() { # the live trees vmslice could write, listed with their contents' sums
        for d in /run/vmslice /etc/libvirt/hooks /var/lib/vmslice /etc/vmslice; do
                if [ -e "$d" ]; then
                        find "$d" -printf '%p %y %m\n' 2>/dev/null | sort
                        find "$d" -type f -exec md5sum {} + 2>/dev/null | sort
                else
                        echo "$d absent"
                fi
        done
}

# traced DESCRIPTION RC ARGS...: runs vmslice under strace (stdin from $IN, else /dev/null),
# wants exit RC and no live path
traced() {
        local desc=$1 want=$2
        shift 2
        strace -f -qq -e trace=%file,connect -s 512 -o "$WORK/trace" "$VMSLICE" "$@" \
                >"$WORK/out" 2>"$WORK/err" <"${IN:-/dev/null}"
        local rc=$?
        if [ "$rc" -ne "$want" ]; then
                echo "# vmslice $*: exit $rc, wanted $want" && diag <"$WORK/err"
        fi
        ok $([ "$rc" -eq "$want" ] && echo 0 || echo 1) "$desc: exit $want"
        # the paths named by the calls that did not fail with ENOENT or succeed on the root
        local hits
        hits=$(grep -oE '"/[^"]*"|sun_path="[^"]*"' "$WORK/trace" | tr -d '"' |
                sed 's/^sun_path=//' | grep -E "$LIVE" | sort -u)
        if [ -n "$hits" ]; then
                echo "# vmslice $* reached live paths:" && printf '%s\n' "$hits" | diag
        fi
        [ -z "$hits" ]; ok $? "$desc: no live path"
}

before=$(snapshot)
T=$WORK/t
mkdir -p "$T" && tar -C "$T" -xzf "$HOSTS/i7-6800k.tar.gz"
R=(--root "$T")

# ---- reading verbs ----
traced "topo" 0 "${R[@]}" topo
traced "topo --json" 0 "${R[@]}" topo --json
traced "plan" 0 "${R[@]}" plan --vcpus 4
traced "capture" 0 "${R[@]}" capture "$WORK/cap.tar.gz"
traced "lint of a file" 0 "${R[@]}" lint "$D/problem-no-hugepages.xml"
traced "lint --fix of a file" 0 "${R[@]}" lint "$D/problem-no-hugepages.xml" --fix --output "$WORK/fixed.xml"
traced "apply of a file, no options" 0 "${R[@]}" apply "$D/good-tuned.xml" --output "$WORK/applied.xml"
traced "apply --dry-run" 0 "${R[@]}" apply "$D/good-tuned.xml" --vcpus 4 --dry-run
traced "bench is refused" 2 "${R[@]}" bench

# a libvirt domain name under --root means this machine's libvirt: refused unless --connect says so
expect_usage "apply of a libvirt name under --root" "${R[@]}" apply some-vm
[[ "$err" == *"--connect"* ]]; ok $? "... says to give --connect"
expect_usage "lint of a libvirt name under --root" "${R[@]}" lint some-vm
expect_usage "check of a libvirt name under --root" "${R[@]}" check some-vm
traced "check of a libvirt name is refused before libvirt is asked" 2 "${R[@]}" check some-vm

# ---- the slice: its state goes to ROOT/run/vmslice ----
traced "prepare --dry-run" 0 "${R[@]}" prepare "$D/good-tuned.xml" --dry-run
traced "prepare" 0 "${R[@]}" prepare "$D/good-tuned.xml"
ls "$T/run/vmslice/vms/" | grep -q good-tuned; ok $? "... the VM's record is in the root's /run/vmslice"
[ -s "$T/run/vmslice/journal" ]; ok $? "... and the journal"
traced "status" 0 "${R[@]}" status
grep -q "good-tuned" "$WORK/out"; ok $? "... shows the VM prepared under the root"
traced "status --json" 0 "${R[@]}" status --json
traced "release" 0 "${R[@]}" release good-tuned
! ls "$T/run/vmslice/vms/" | grep -q good-tuned; ok $? "... its record is gone from the root"
traced "restore" 0 "${R[@]}" restore

# ---- the hook: installed into ROOT/etc/libvirt/hooks/qemu.d, run with the root's state ----
traced "hook install" 0 "${R[@]}" hook install --binary /usr/sbin/vmslice
[ -x "$T/etc/libvirt/hooks/qemu.d/vmslice" ]; ok $? "... the script is in the root's tree"
# the domain opts in through the root's own settings file
mkdir -p "$T/etc/vmslice" && printf '[vm good-tuned]\nenabled = yes\n' >"$T/etc/vmslice/vmslice.conf"
IN=$D/good-tuned.xml traced "hook run prepare begin" 0 "${R[@]}" hook run good-tuned prepare begin -
ls "$T/run/vmslice/vms/" | grep -q good-tuned; ok $? "... prepared under the root"
IN=$D/good-tuned.xml traced "hook run started begin" 0 "${R[@]}" hook run good-tuned started begin -
IN=$D/good-tuned.xml traced "hook run reconnect begin" 0 "${R[@]}" hook run good-tuned reconnect begin -
traced "hook run release end" 0 "${R[@]}" hook run good-tuned release end -
! ls "$T/run/vmslice/vms/" | grep -q good-tuned; ok $? "... released under the root"
traced "hook uninstall" 0 "${R[@]}" hook uninstall
[ ! -e "$T/etc/libvirt/hooks/qemu.d/vmslice" ]; ok $? "... removed from the root's tree"

# ---- check on a fixture with a running QEMU, unpacked as a directory ----
QT=$WORK/q
mkdir -p "$QT" && tar -C "$QT" -xzf "$Q/qemu-running-4vcpu.tar.gz"
traced "check of a file" 0 --root "$QT" check "$Q/vm4.xml" --interval 0

# ---- a tarball root: nowhere to keep state, so the verbs that write it refuse ----
TB=$HOSTS/i7-6800k.tar.gz
expect_usage "prepare under a tarball root without --state-dir" --root "$TB" prepare "$D/good-tuned.xml"
[[ "$err" == *"--state-dir"* ]]; ok $? "... says to give --state-dir"
expect_usage "status under a tarball root without --state-dir" --root "$TB" status
expect_usage "hook install under a tarball root without --hooks-dir" --root "$TB" hook install --binary /usr/sbin/vmslice
[[ "$err" == *"--hooks-dir"* ]]; ok $? "... says to give --hooks-dir"
traced "check under a tarball root reads no state" 0 --root "$Q/qemu-running-4vcpu.tar.gz" check "$Q/vm4.xml" --interval 0

after=$(snapshot)
[ "$before" == "$after" ]; ok $? "the live state, hooks, backups and settings are as before"
[ "$before" == "$after" ] || diff <(echo "$before") <(echo "$after") | diag
done_testing
