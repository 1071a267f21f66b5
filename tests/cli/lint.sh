#!/bin/bash
# `vmslice lint`: exit status, compiler-style output, --json, --rules, --fix to stdout, --output
# and --dry-run, the fixed domains (lint again, virt-xml-validate), hostile input, golden outputs
# (tests/golden/lint-cases; VMSLICE_REGEN_GOLDEN=1 rewrites them), and against a real libvirtd
# when one answers at qemu:///system.
. "$(dirname "$0")/lib.sh"
D=$DATA/domains
H6=$(unpack i7-6800k)
HR=$(unpack ryzen-5900x)
G=$SRC/tests/golden
FINDING='^[^:]+:[0-9]+: (error|warning|note)\[[a-z0-9-]+\]: .+$'
SUMMARY='^[0-9]+ errors?, [0-9]+ warnings?, [0-9]+ notes? \([0-9]+ (fixable with --fix|fixed)\)$'

# --rules
expect_rc 0 "lint --rules" lint --rules
n=$(printf '%s\n' "$out" | grep -c '^[a-z]')
[ "$n" -ge 40 ]; ok $? "--rules lists at least 40 rules ($n)"
[ "$(printf '%s\n' "$out" | grep '^[a-z]' | awk '{print $1}' | sort -u | wc -l)" -eq "$n" ]; ok $? "rule ids are unique"
[ "$(printf '%s\n' "$out" | grep -c '^    why: ')" -eq "$n" ]; ok $? "every rule says why"
expect_rc 0 "lint --rules --json" lint --rules --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["version"] == 1 and len(d["rules"]) >= 40
for r in d["rules"]:
    assert set(r) == {"rule", "severity", "fixable", "summary", "why"}, r
    assert r["severity"] in ("error", "warning", "note")
'; ok $? "--rules --json parses and has every field"
expect_rc 0 "lint --help" lint --help
[[ "$out" == Usage:* ]]; ok $? "--help prints the usage"

# exit status and format
expect_rc 0 "a well-tuned domain: exit 0" --root "$H6" lint "$D/good-tuned.xml"
[ "$out" == "0 errors, 0 warnings, 0 notes (0 fixable with --fix)" ]; ok $? "... and only the summary"
expect_rc 0 "warnings only: exit 0" --root "$H6" lint "$D/virt-install-win11.xml"
[ -z "$err" ]; ok $? "... nothing on stderr"
bad=0
while IFS= read -r line; do
        [[ "$line" =~ $FINDING ]] || { echo "# bad line: $line"; bad=1; }
done < <(printf '%s\n' "$out" | sed '$d')
ok $bad "every finding is FILE:LINE: SEVERITY[RULE]: message"
[[ "$(printf '%s\n' "$out" | tail -1)" =~ $SUMMARY ]]; ok $? "the last line is the summary"
[[ "$out" == *"$D/virt-install-win11.xml:49: warning[disk-bus]: disk sda"* ]]; ok $? "findings name the file, the line and the device"
expect_rc 1 "an error finding: exit 1" --root "$H6" lint "$D/problem-emulator-on-vcpu.xml"
[[ "$out" == "$D/problem-emulator-on-vcpu.xml:29: error[emulator-on-vcpu]: "* ]]; ok $? "... reported at the <emulatorpin> line"
[[ "$out" == *"1 error, 0 warnings, 0 notes (1 fixable with --fix)" ]]; ok $? "... summary counts it as fixable"
expect_rc 1 "lint reads stdin" --root "$H6" lint - <"$D/problem-emulator-on-vcpu.xml"
[[ "$out" == "<stdin>:29: error[emulator-on-vcpu]: "* ]]; ok $? "... and names it <stdin>"
run --root "$H6" lint "$D/amd-threads2-no-topoext.xml"
[ "$rc" -le 1 ] && [[ "$out" != *"amd-topoext"* ]]; ok $? "the host matters: no amd-topoext on an Intel host"
expect_rc 0 "an AMD host" --root "$HR" lint "$D/amd-threads2-no-topoext.xml"
[[ "$out" == *"warning[amd-topoext]"* ]]; ok $? "... reports amd-topoext"

# --json
for f in good-tuned virt-install-linux problem-emulator-on-vcpu; do
        run --root "$H6" lint "$D/$f.xml" --json
        text=$("$VMSLICE" --root "$H6" lint "$D/$f.xml" | grep -c ': \(error\|warning\|note\)\[')
        printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["version"] == 1 and d["source"].endswith(sys.argv[2] + ".xml")
assert d["fixed"] == [] and isinstance(d["notes"], list)
assert len(d["findings"]) == int(sys.argv[1]), (len(d["findings"]), sys.argv[1])
for f in d["findings"]:
    assert set(f) == {"rule", "severity", "line", "message", "fixable"}, f
    assert isinstance(f["line"], int) and f["line"] > 0 and isinstance(f["fixable"], bool)
' "$text" "$f"
        ok $? "--json of $f parses and matches the text output"
done

# --fix
expect_rc 0 "--fix on a file writes the domain to stdout" --root "$H6" lint "$D/problem-emulator-on-vcpu.xml" --fix
[[ "$out" == "<domain"* && "$out" == *"<emulatorpin cpuset='0-1,6-7'/>"* ]]; ok $? "... the fixed XML"
[[ "$err" == *"error[emulator-on-vcpu]"*"[fixed]"* && "$err" == *"(1 fixed)" ]]; ok $? "... and the report on stderr"
expect_rc 1 "--fix cannot fix memory-page-multiple: exit 1" --root "$H6" lint "$D/problem-memory-not-page-multiple.xml" --fix
[[ "$out" == "<domain"* ]]; ok $? "... still writes the domain"
expect_rc 0 "--fix --output FILE" --root "$H6" lint "$D/virt-install-linux.xml" --fix --output "$WORK/linux.xml"
[ -s "$WORK/linux.xml" ] && [[ "$out" == *"[fixed]"* ]] && ! grep -qv '^vmslice: note: ' <<<"$err"; ok $? "... writes the file, the report on stdout"
[[ "$err" == *"the other fixes made balloon-hugepages true; fixed it too"* ]]; ok $? "... a balloon made useless by the new hugepages goes too"
expect_rc 0 "the fixed domain lints clean" --root "$H6" lint "$WORK/linux.xml"
[ "$out" == "0 errors, 0 warnings, 0 notes (0 fixable with --fix)" ]; ok $? "... nothing left"
expect_rc 0 "--fix --output - writes to stdout" --root "$H6" lint "$D/virt-install-linux.xml" --fix --output -
[ "$out" == "$(cat "$WORK/linux.xml")" ]; ok $? "... the same document"
expect_rc 0 "--fix --json" --root "$H6" lint "$D/virt-install-linux.xml" --fix --json
printf '%s' "$err" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert "disk-cache" in d["fixed"] and "vcpu-unpinned" in d["fixed"], d["fixed"]
'; ok $? "... the JSON report (on stderr) lists the fixed rules"
cp "$D/virt-install-linux.xml" "$WORK/orig.xml"
expect_rc 0 "--fix --dry-run" --root "$H6" lint "$WORK/orig.xml" --fix --dry-run
[[ "$out" == "--- $WORK/orig.xml (before)"* && "$out" == *"+    <vcpupin vcpu="* ]]; ok $? "... prints a unified diff"
cmp -s "$WORK/orig.xml" "$D/virt-install-linux.xml"; ok $? "... and changes nothing"
expect_rc 0 "--fix on a clean domain" --root "$H6" lint "$D/good-tuned.xml" --fix --dry-run
[ -z "$out" ]; ok $? "... nothing to change"
expect_rc 0 "--fix when the host is too small" --root "$H6" lint - --fix <<<"$(sed 's|<vcpu>4</vcpu>|<vcpu>24</vcpu>|' "$D/virt-install-linux.xml")"
[[ "$err" == *"vmslice: note: the vCPU, NUMA and memory placement cannot be fixed on this host: need "*"24 vCPUs"* ]]; ok $? "... says why the placement was not fixed"
grep -q 'warning\[disk-cache\].*\[fixed\]$' <<<"$err" && grep -q 'warning\[vcpu-unpinned\].*host CPUs$' <<<"$err"; ok $? "... fixes the rest only"

# every fixture fixed: lints without fixable findings and validates
validate=0
command -v virt-xml-validate >/dev/null && validate=1
for f in "$D"/*.xml; do
        n=$(basename "$f" .xml)
        h=$H6
        [[ "$n" == amd-* ]] && h=$HR
        "$VMSLICE" --root "$h" lint "$f" --fix --output "$WORK/fixed.xml" >/dev/null 2>&1
        rc=$?
        [ "$rc" -le 1 ] && [ -s "$WORK/fixed.xml" ]; ok $? "$n: --fix (exit $rc)"
        "$VMSLICE" --root "$h" lint "$WORK/fixed.xml" >"$WORK/relint" 2>&1
        [[ "$(tail -1 "$WORK/relint")" == *"(0 fixable with --fix)" ]] || diag <"$WORK/relint"
        [[ "$(tail -1 "$WORK/relint")" == *"(0 fixable with --fix)" ]]; ok $? "$n: nothing fixable left"
        if [ "$validate" = 1 ]; then
                virt-xml-validate "$WORK/fixed.xml" domain >"$WORK/val" 2>&1 || diag <"$WORK/val"
                virt-xml-validate "$WORK/fixed.xml" domain >/dev/null 2>&1; ok $? "$n: the fixed domain validates"
        fi
        mkdir -p "$WORK/fixed"
        mv "$WORK/fixed.xml" "$WORK/fixed/$n.xml"
done

# a managed domain keeps the choices apply recorded: --host-cores 2 on the 6800K
"$VMSLICE" --root "$H6" apply "$D/virt-install-linux.xml" --host-cores 2 --vcpus 8 --memory 4G >"$WORK/managed.xml" 2>/dev/null
sed -i "/<cache mode=/d" "$WORK/managed.xml"
expect_rc 0 "lint --fix of a managed domain" --root "$H6" lint "$WORK/managed.xml" --fix --output "$WORK/managed-fixed.xml"
grep -q "<vcpupin vcpu=\"0\" cpuset=\"2\"/>" "$WORK/managed-fixed.xml" && grep -q -- "--host-cores 2" "$WORK/managed-fixed.xml"
ok $? "... keeps --host-cores 2 from its metadata"

# bad usage and hostile input
expect_usage "lint without a domain" --root "$H6" lint
expect_usage "lint with two domains" --root "$H6" lint a.xml b.xml
expect_usage "lint a missing file" --root "$H6" lint "$WORK/missing.xml"
expect_usage "--output without --fix" --root "$H6" lint "$D/good-tuned.xml" --output "$WORK/x.xml"
expect_usage "--dry-run with --output" --root "$H6" lint "$D/good-tuned.xml" --fix --dry-run --output "$WORK/x.xml"
expect_usage "an unknown option" --root "$H6" lint "$D/good-tuned.xml" --bogus
expect_usage "--rules with a domain" lint --rules "$D/good-tuned.xml"
expect_usage "a directory" --root "$H6" lint "$D/"
for f in "$D"/hostile/*.xml "$D/hostile/not-xml.txt"; do
        n=$(basename "$f")
        [ "$n" == utf16.xml ] && continue
        expect_usage "hostile $n: exit 2, one line" --root "$H6" lint "$f"
        expect_usage "hostile $n with --fix" --root "$H6" lint "$f" --fix
done
run --root "$H6" lint "$D/hostile/xxe-file.xml"
[[ "$err$out" != *root:* ]]; ok $? "no byte of /etc/passwd in the message"
run --root "$H6" lint "$D/hostile/utf16.xml"
[ "$rc" -le 1 ] && [[ "$(printf '%s\n' "$out" | tail -1)" =~ $SUMMARY ]]; ok $? "a UTF-16 domain is linted"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' | sed '1s/^/<domain>/' >"$WORK/huge.xml"
expect_usage "a 9 MiB document: exit 2" --root "$H6" lint "$WORK/huge.xml"
[[ "$err" == *"too large"* ]]; ok $? "... saying it is too large"
expect_usage "a 9 MiB document on stdin" --root "$H6" lint - <"$WORK/huge.xml"

# golden outputs
while IFS='|' read -r name host args; do
        name=$(echo "$name" | xargs)
        host=$(echo "$host" | xargs)
        [ -z "$name" ] || [[ "$name" == \#* ]] && continue
        args=${args//@DATA@/$DATA}
        # shellcheck disable=SC2086
        "$VMSLICE" --root "$(unpack "$host")" $args >"$WORK/raw" 2>"$WORK/err"
        rc=$?
        sed "s|$DATA|@DATA@|g" "$WORK/raw" >"$WORK/out"
        if [ "$rc" -gt 1 ]; then
                diag <"$WORK/err"
                ok 1 "golden $name: vmslice exited $rc"
                continue
        fi
        if [ "${VMSLICE_REGEN_GOLDEN:-0}" = 1 ]; then
                cp "$WORK/out" "$G/$name"
                ok 0 "golden $name regenerated"
        elif diff -u "$G/$name" "$WORK/out" >"$WORK/diff"; then
                ok 0 "golden $name"
        else
                diag <"$WORK/diff"
                ok 1 "golden $name differs (VMSLICE_REGEN_GOLDEN=1 meson test -C build lint to accept)"
        fi
done <"$G/lint-cases"

# against libvirtd
VIRSH=(virsh -q -c qemu:///system)
if ! command -v virsh >/dev/null || ! "${VIRSH[@]}" version >/dev/null 2>&1; then
        if [ "${VMSLICE_REQUIRE_LIBVIRT:-0}" = 1 ]; then
                ok 1 "libvirtd answers at qemu:///system (required in CI)"
                done_testing
        fi
        echo "ok $((_n + 1)) # SKIP no libvirtd at qemu:///system (CI starts one)"
        _n=$((_n + 1))
        done_testing
fi
VM=vmslice-test-lint
cleanup_vm() {
        "${VIRSH[@]}" undefine "$VM" --nvram >/dev/null 2>&1 || "${VIRSH[@]}" undefine "$VM" >/dev/null 2>&1
}
cleanup_vm
trap 'cleanup_vm; rm -rf "$WORK"' EXIT
HL=$(unpack debian12-vm-2c)
sed -e "s|<name>[^<]*</name>|<name>$VM</name>|" -e '/<uuid>/d' \
        -e "s|<emulator>[^<]*</emulator>|<emulator>$(command -v qemu-system-x86_64)</emulator>|" \
        -e "s/type=\"kvm\"/type=\"qemu\"/" "$D/virt-install-linux.xml" >"$WORK/vm.xml"
"${VIRSH[@]}" define "$WORK/vm.xml" >/dev/null; ok $? "test domain defined in libvirtd"
before=$("${VIRSH[@]}" dumpxml --inactive --security-info "$VM")
expect_rc 0 "lint a libvirt domain" --root "$HL" lint --connect qemu:///system "$VM"
[[ "$out" == *"libvirt:$VM:"*"warning[disk-cache]"* ]]; ok $? "... findings name libvirt:NAME"
expect_rc 0 "lint --fix --dry-run on a libvirt domain" --root "$HL" lint --connect qemu:///system "$VM" --fix --dry-run
[[ "$out" == "--- libvirt:$VM (before)"* ]]; ok $? "... the diff names the domain"
[ "$before" == "$("${VIRSH[@]}" dumpxml --inactive --security-info "$VM")" ]; ok $? "... and changed nothing"
expect_rc 0 "lint --fix redefines a libvirt domain" --root "$HL" lint --connect qemu:///system "$VM" --fix --backup-dir "$WORK/backup"
[[ "$out" == *"[fixed]"* && "$out" == *"defined $VM"* ]]; ok $? "... the report and the redefinition on stdout"
diff <(echo "$before") "$WORK"/backup/$VM-*.xml >/dev/null; ok $? "... the backup is the previous definition"
[[ "$("${VIRSH[@]}" dumpxml --inactive "$VM")" == *"cache='none'"* ]]; ok $? "... libvirt holds the fixed disk"
expect_rc 0 "lint of the redefined domain" --root "$HL" lint --connect qemu:///system "$VM"
[[ "$out" != *"disk-cache"* ]]; ok $? "... no longer reports the fixed rules"

# --fix does not move a VM onto another managed VM's cores: vmslice-test-lint is managed on CPU 1
# now; a second domain's placement cannot be fixed on this 2-CPU host
VM2=vmslice-test-lint2
"${VIRSH[@]}" undefine "$VM2" >/dev/null 2>&1
sed -e "s|<name>$VM</name>|<name>$VM2</name>|" "$WORK/vm.xml" >"$WORK/vm2.xml"
"${VIRSH[@]}" define "$WORK/vm2.xml" >/dev/null
expect_rc 0 "lint --fix of a second domain" --root "$HL" lint --connect qemu:///system "$VM2" --fix --backup-dir "$WORK/backup"
[[ "$err$out" == *"note: the vCPU, NUMA and memory placement cannot be fixed on this host"* ]]; ok $? "... refuses to place it on the first VM's CPU"
[[ "$("${VIRSH[@]}" dumpxml --inactive "$VM2")" != *"<vcpupin vcpu='0' cpuset='1'/>"* ]]; ok $? "... and did not pin it there"
expect_rc 0 "lint --fix --json on a libvirt domain" --root "$HL" lint --connect qemu:///system "$VM2" --fix --json --backup-dir "$WORK/backup"
printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; ok $? "... stdout is only the JSON report"
"${VIRSH[@]}" undefine "$VM2" >/dev/null 2>&1

# every fixed fixture domain defines in a real libvirtd (TCG here, its own emulator path)
cleanup_vm
for f in "$WORK"/fixed/*.xml; do
        n=$(basename "$f" .xml)
        sed -e "s|<name>[^<]*</name>|<name>$VM</name>|" -e '/<uuid>/d' \
                -e "s|<emulator>[^<]*</emulator>|<emulator>$(command -v qemu-system-x86_64)</emulator>|" \
                -e "s/type='kvm'/type='qemu'/; s/type=\"kvm\"/type=\"qemu\"/" "$f" >"$WORK/def.xml"
        if "${VIRSH[@]}" define "$WORK/def.xml" >"$WORK/def.out" 2>&1; then
                ok 0 "$n: the fixed domain defines in libvirtd"
        else
                diag <"$WORK/def.out"
                ok 1 "$n: the fixed domain defines in libvirtd"
        fi
        cleanup_vm
done
done_testing
