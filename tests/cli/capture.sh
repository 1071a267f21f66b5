#!/bin/bash
# `vmslice capture`: a capture of this machine reads back, as a tarball or extracted, exactly as
# the live host does; captures of fixtures round-trip; bad targets fail cleanly.
. "$(dirname "$0")/lib.sh"

mask() { sed -E 's/[0-9.]+ [KMGTP]?i?B free/N free/g; s/"free_bytes": [0-9]+/"free_bytes": N/'; }

expect_rc 0 "capture this machine" capture "$WORK/live.tar.gz"
[[ "$out" == "captured "*" files from / into $WORK/live.tar.gz" ]]; ok $? "capture reports what it wrote"
tar -tzf "$WORK/live.tar.gz" >"$WORK/list" 2>/dev/null
for f in proc/cpuinfo proc/cmdline sys/devices/system/cpu/online sys/devices/system/cpu/cpu0/topology/thread_siblings_list \
        sys/devices/system/node/node0/meminfo; do
        grep -qx "$f" "$WORK/list"; ok $? "capture holds $f"
done
for fmt in "" --json; do
        run topo $fmt; live=$(printf '%s\n' "$out" | mask)
        run --root "$WORK/live.tar.gz" topo $fmt; tarball=$(printf '%s\n' "$out" | mask)
        mkdir -p "$WORK/live" && tar -C "$WORK/live" -xzf "$WORK/live.tar.gz"
        run --root "$WORK/live" topo $fmt; dir=$(printf '%s\n' "$out" | mask)
        [ -n "$live" ] && [ "$live" == "$tarball" ] && [ "$live" == "$dir" ]
        r=$?
        [ $r -ne 0 ] && diff <(echo "$live") <(echo "$tarball") | diag
        ok $r "topo $fmt --root <capture> prints what topo prints live (free memory masked)"
done
run plan; a=$out
run --root "$WORK/live.tar.gz" plan; b=$out
[ -n "$a" ] && [ "$a" == "$b" ]; ok $? "plan on the capture equals plan on the live host"

# fixtures round-trip through capture, byte-identically when captured twice
for n in xeon-4s-80t i9-12900k-hybrid tr-2990wx-memoryless; do
        d=$(unpack $n)
        SOURCE_DATE_EPOCH=0 "$VMSLICE" --root "$d" capture "$WORK/$n-1.tar.gz" >/dev/null &&
                SOURCE_DATE_EPOCH=0 "$VMSLICE" --root "$d" capture "$WORK/$n-2.tar.gz" >/dev/null
        ok $? "capture of fixture $n"
        cmp -s "$WORK/$n-1.tar.gz" "$WORK/$n-2.tar.gz"; ok $? "capture of $n is reproducible"
        run --root "$d" topo --json; x=$out
        run --root "$WORK/$n-1.tar.gz" topo --json; y=$out
        [ "$x" == "$y" ]; ok $? "topo of the capture of $n equals topo of $n"
        run --root "$d" plan --vcpus 8 --memory 8G; x=$out
        run --root "$WORK/$n-1.tar.gz" plan --vcpus 8 --memory 8G; y=$out
        [ -n "$x" ] && [ "$x" == "$y" ]; ok $? "plan on the capture of $n equals plan on $n"
done

# captures go into bug reports: init's arguments and unrelated mounts are left out
r=$WORK/redact
mkdir -p "$r" && tar -C "$r" -xzf "$HOSTS/i7-6800k.tar.gz"
echo "ro isolcpus=2-5 -- --token hunter2" >"$r/proc/cmdline"
echo "tmpfs /home/secret tmpfs rw 0 0" >>"$r/proc/mounts"
"$VMSLICE" --root "$r" capture "$WORK/redact.tar.gz" >/dev/null
[ "$(tar -xzOf "$WORK/redact.tar.gz" proc/cmdline)" == "ro isolcpus=2-5" ]; ok $? "capture keeps the kernel's arguments, not init's"
! tar -xzOf "$WORK/redact.tar.gz" proc/mounts | grep -q secret && tar -xzOf "$WORK/redact.tar.gz" proc/mounts | grep -q hugetlbfs
ok $? "capture keeps only proc/sysfs/cgroup/hugetlbfs mounts"

expect_usage "capture without a file" capture
expect_usage "capture with two files" capture a.tar.gz b.tar.gz
expect_rc 1 "capture into a missing directory fails" capture /nonexistent/dir/x.tar.gz
[[ "$err" == vmslice:* ]] && [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ]; ok $? "capture failure is one line"
ls /nonexistent/dir 2>/dev/null; ok $([ -e /nonexistent/dir ] && echo 1 || echo 0) "nothing left behind"
done_testing
