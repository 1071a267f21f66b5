#!/bin/bash
# Command line behaviour: global options, verbs, exit codes, one-line errors for bad input.
. "$(dirname "$0")/lib.sh"

expect_rc 0 "--version" --version
[[ "$out" == "vmslice "* ]]; ok $? "--version prints the version"
expect_rc 0 "--help" --help
[[ "$out" == *"plan"* && "$out" == *"topo"* && "$out" == *"capture"* ]]; ok $? "--help lists the verbs"
expect_rc 2 "no verb is a usage error"
expect_usage "unknown verb" frobnicate
for v in topo plan capture help version; do
        expect_rc 0 "$v --help" $v --help
        expect_rc 0 "help $v" help $v
done
expect_usage "help of an unknown verb" help frobnicate

X=$(unpack i7-6800k)
run --root "$X" topo; a=$out
run topo --root "$X"; b=$out
run topo --root="$X"; c=$out
run --root "$HOSTS/i7-6800k.tar.gz" topo; d=$out
[ -n "$a" ] && [ "$a" == "$b" ] && [ "$a" == "$c" ] && [ "$a" == "$d" ]
ok $? "--root before or after the verb, --root=, and a tarball root give the same topology"
[[ "$a" == *"[2,8]"* ]]; ok $? "topo shows sibling pairs"
expect_usage "--root without a value" topo --root
expect_usage "--root to a missing path" --root /nonexistent/x topo
expect_usage "--root to an empty directory" --root "$WORK" topo
echo "not a tarball" > "$WORK/bad.tar.gz"
expect_usage "--root to a corrupt tarball" --root "$WORK/bad.tar.gz" topo
expect_usage "topo takes no arguments" --root "$X" topo extra
expect_usage "unknown topo option" --root "$X" topo --frob

for h in "$HOSTS"/*.tar.gz; do
        n=$(basename "$h" .tar.gz)
        expect_rc 0 "topo on $n" --root "$h" topo
        run --root "$h" topo --json
        printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]==1 and d["cores"]' 2>/dev/null
        ok $? "topo --json on $n is valid JSON with cores"
        expect_rc 0 "plan with defaults on $n" --root "$h" plan
done

# plan: bad input is exit 2 with one line, never a crash
P=(--root "$X" plan)
expect_usage "--vcpus abc" "${P[@]}" --vcpus abc
expect_usage "--vcpus -1" "${P[@]}" --vcpus -1
expect_usage "--vcpus 0" "${P[@]}" --vcpus 0
expect_usage "--vcpus huge" "${P[@]}" --vcpus 99999999999999999999
expect_usage "--vcpus 7 (odd with SMT)" "${P[@]}" --vcpus 7
[[ "$err" == *"use --vcpus 6 or 8"* ]]; ok $? "odd vCPU count names the nearest valid counts"
expect_usage "--vcpus 12 on a 6-core host" "${P[@]}" --vcpus 12
[[ "$err" == *"need 6 cores"*"5 free after keeping core 0 (cpus 0,6) for the host"* ]]; ok $? "impossible request names the numbers"
expect_usage "--threads 3" "${P[@]}" --threads 3
expect_usage "--threads x" "${P[@]}" --threads x
expect_usage "--host-cores 0" "${P[@]}" --host-cores 0
expect_usage "--host-cores 99" "${P[@]}" --host-cores 99
expect_usage "--emulator bogus" "${P[@]}" --emulator bogus
expect_usage "--iothreads -2" "${P[@]}" --iothreads -2
expect_usage "--iothreads 1000" "${P[@]}" --iothreads 1000
expect_usage "--memory -5G" "${P[@]}" --memory -5G
expect_usage "--memory 1.5G" "${P[@]}" --memory 1.5G
expect_usage "--memory 5Q" "${P[@]}" --memory 5Q
expect_usage "--memory overflow" "${P[@]}" --memory 99999999999999T
expect_usage "--memory absurd" "${P[@]}" --memory 100000T
expect_usage "--memory not a page multiple" "${P[@]}" --memory 1025M
expect_usage "--memory larger than the node" "${P[@]}" --memory 64G
expect_usage "--hugepages 3M" "${P[@]}" --hugepages 3M --memory 4G
expect_usage "--hugepages without --memory" "${P[@]}" --hugepages 1G
expect_usage "--exclude 1-" "${P[@]}" --exclude 1-
expect_usage "--exclude garbage" "${P[@]}" --exclude 'a,b'
expect_usage "--pci garbage" "${P[@]}" --pci 'zz:00'
expect_usage "--pci unknown device" "${P[@]}" --pci 0000:42:00.0
expect_usage "unknown plan option" "${P[@]}" --frob
expect_usage "missing option argument" "${P[@]}" --vcpus
[[ "$err" == *"'--vcpus'"* ]]; ok $? "a missing value names the option"
expect_usage "plan takes no arguments" "${P[@]}" extra
expect_usage "--threads 2 on a host without SMT" --root "$(unpack i5-6c-nosmt)" plan --threads 2

expect_rc 0 "plan --explain" "${P[@]}" --vcpus 8 --host-cores 2 --explain
[[ "$err" == *"# host keeps core 0 (cpus 0,6)"* ]]; ok $? "--explain says why on stderr"
[[ "$out" == "<domain>"* ]]; ok $? "--explain keeps stdout pure XML"
expect_rc 0 "plan --json" "${P[@]}" --vcpus 8 --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["vcpus"] == 8 and d["topology"]["threads"] == 2
assert [p["cpu"] for p in d["vcpupin"]] == [2, 8, 3, 9, 4, 10, 5, 11]
assert d["xml"].startswith("<domain>")
' 2>&1 | diag
ok ${PIPESTATUS[1]} "plan --json holds the pins and the XML"
expect_rc 0 "plan --realtime warns" "${P[@]}" --vcpus 4 --realtime
[[ "$err" == *"warning: --realtime"* && "$out" == *"vcpusched"* ]]; ok $? "--realtime adds vcpusched and the seed's warning"

# the live host works with defaults (the README's main job)
expect_rc 0 "topo on this host" topo
expect_rc 0 "plan on this host" plan

done_testing
