#!/bin/bash
# Hostile input on the hook path (`vmslice hook run NAME OPERATION SUBOPERATION -`, what libvirt
# runs as root on every VM start and stop): the domain XML on stdin, the name in argv, and what may
# be planted in the state directory and the settings file. Each is refused with one line naming
# the problem (exit 2; 1 for a state directory that cannot be trusted), or, when it is none of
# vmslice's business, left alone (exit 0); and in every case the host and the state directory are
# exactly as before: no byte written, nothing followed, nothing read from outside the document.
# All on a fixture tree; nothing here touches the real host.
. "$(dirname "$0")/lib.sh"
D=$DATA/domains/hostile
HK=$D/hook
NS=https://vmslice.org/xmlns/domain/1

T=$WORK/t P=$WORK/p ST=$WORK/s
mkdir -p "$T" "$P" && tar -C "$T" -xzf "$HOSTS/i7-6800k.tar.gz" && tar -C "$P" -xzf "$HOSTS/i7-6800k.tar.gz"
# the hook slices only domains that opted in: every test document is named 'hostile' and
# enabled here, so that a refusal comes from what is hostile in it, not from being ignored
mkdir -p "$T/etc/vmslice" "$P/etc/vmslice"
printf '[vm hostile]\nenabled = yes\n' | tee "$T/etc/vmslice/vmslice.conf" >"$P/etc/vmslice/vmslice.conf"
mkdir -m 700 "$ST"
S=(--root "$T" --state-dir "$ST")
RUN_TIMEOUT=60 # a hook that waits on a planted FIFO fails the test instead of hanging it
"$VMSLICE" "${S[@]}" status >/dev/null # the state directory as any run leaves it (lock, vms/)

# what the state directory holds: names, types, modes, link targets, contents (an empty journal
# is no change: a released VM leaves one)
snap() {
        (cd "$1" && find . ! \( -name journal -empty \) -printf '%p %y %m %l\n' | sort &&
                find . -type f ! \( -name journal -empty \) -exec md5sum {} + | sort)
}
STATE0=$(snap "$ST")

# unchanged DESCRIPTION: the fixture host and the state directory are as they were
unchanged() {
        local bad=0
        same_tree "$T" "$P" || bad=1
        [ "$(snap "$ST")" = "$STATE0" ] || {
                echo "# the state directory changed:"
                diff <(echo "$STATE0") <(snap "$ST") | diag
                bad=1
        }
        ok $bad "$1"
}

# one_line: the last run printed exactly one line on stderr, "vmslice: ...", nothing on stdout,
# and no byte of /etc/passwd
one_line() {
        local lines
        lines=$(printf '%s\n' "$err" | grep -c .)
        [ "$lines" -eq 1 ] && [[ "$err" == vmslice:* ]] && [ -z "$out" ] && [[ "$err" != *root:x:* ]]
}

# hook_refuses FILE ARGV-NAME NEEDLE [WHAT]: prepare begin with FILE on stdin is refused (exit 2)
# with one line holding NEEDLE, and nothing changes
hook_refuses() {
        local f=$1 name=$2 needle=$3 what=${4:-$(basename "$1")}
        run "${S[@]}" hook run "$name" prepare begin - <"$f"
        local good=1
        if [ "$rc" -eq 2 ] && one_line && [[ "$err" == *"$needle"* ]]; then
                good=0
        else
                echo "# $what: exit $rc, wanted 2 and one line with '$needle'; stdout: $out"
                printf '%s\n' "$err" | head -5 | diag
        fi
        ok $good "$what refused: $needle"
        unchanged "... nothing changed"
}

# --- documents that are not a domain vmslice reads (the domain reader's refusals) ---
hook_refuses "$D/xxe-file.xml" hostile "has a DOCTYPE"
hook_refuses "$D/xxe-network.xml" hostile "has a DOCTYPE"
hook_refuses "$D/dtd-external.xml" hostile "has a DOCTYPE"
hook_refuses "$D/quadratic-blowup.xml" hostile "has a DOCTYPE"
hook_refuses "$D/billion-laughs.xml" hostile "not a valid XML document"
hook_refuses "$D/deep-nesting.xml" hostile "Excessive depth in document: 256"
[[ "$err" != *XML_PARSE_HUGE* ]]; ok $? "... without libxml2's advice to programmers"
hook_refuses "$D/truncated.xml" hostile "not a valid XML document"
hook_refuses "$D/not-xml.txt" hostile "not a valid XML document"
hook_refuses "$D/not-a-domain.xml" hostile "root element <network>, want <domain>"
hook_refuses "$D/encoding-bogus.xml" hostile "Unsupported encoding X-VMSLICE-BOGUS"
hook_refuses "$D/name-nul.xml" hostile "xmlParseCharRef: invalid xmlChar value 0"
hook_refuses "$D/memory-overflow.xml" hostile "<memory> is absurd (more than 64 TiB)"
hook_refuses "$D/memory-absurd.xml" hostile "<memory> is absurd (more than 64 TiB)"
hook_refuses "$D/vcpus-absurd.xml" hostile "<vcpu> 1000000 is absurd (at most 4096)"
hook_refuses "$D/vcpus-negative.xml" hostile "<vcpu> '-4' is not a vCPU count"

# oversized documents: refused from their size, also from a pipe (no size to stat)
out=$(head -c 104857600 /dev/zero | tr '\0' ' ' | sed '1s/^/<domain>/' |
        "$VMSLICE" "${S[@]}" hook run hostile prepare begin - 2>"$WORK/stderr")
rc=$?
err=$(cat "$WORK/stderr")
[ "$rc" -eq 2 ] && one_line && [[ "$err" == *"larger than 8 MiB, too large for a domain"* ]]
ok $? "100 MiB on a pipe refused: larger than 8 MiB"
unchanged "... nothing changed"
{
        printf "<domain type='kvm'>\n  <name>hostile</name>\n  <description>"
        head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'A'
        printf "</description>\n</domain>\n"
} >"$WORK/big.xml"
hook_refuses "$WORK/big.xml" hostile "too large for a domain" "a well-formed 9 MiB domain"
rm -f "$WORK/big.xml"

# --- names: what libvirt allows but vmslice cannot use, and what libvirt would never write ---
# the name as the XML has it (what libvirt passes in argv); NUL-free, read without entities
xml_name() {
        python3 -c 'import sys, xml.etree.ElementTree as E; sys.stdout.write(E.parse(sys.argv[1]).getroot().findtext("name"))' "$1"
}
# with vmslice's metadata: the domain opted in
opted_in() {
        sed "0,/<\/name>/s||</name>\n  <metadata>\n    <vmslice:slice xmlns:vmslice='$NS'/>\n  </metadata>|" "$1"
}
for c in "name-slash.xml|contains '/'" "name-escape.xml|contains '/'" \
        "name-dotdot.xml|'..' is a path component" "name-cdata-dotdot.xml|'..' is a path component" \
        "name-dot.xml|'.' is a path component" "name-shell.xml|contains '\$'" \
        "name-backtick.xml|contains '\`'" "name-quotes.xml|contains '''" \
        "name-semicolon.xml|contains ';'" "name-cr.xml|control character (0x0d)" \
        "name-tab.xml|control character (0x09)" "name-long.xml|is longer than 200 bytes"; do
        f=${c%%|*} needle=${c#*|}
        n=$(xml_name "$D/$f")
        # a domain that did not opt in starts whatever its name: not vmslice's business
        expect_rc 0 "$f: left alone when the domain did not opt in" "${S[@]}" hook run "$n" prepare begin - <"$D/$f"
        unchanged "... nothing changed"
        opted_in "$D/$f" >"$WORK/in.xml"
        hook_refuses "$WORK/in.xml" "$n" "$needle" "$f with vmslice's metadata"
        [[ "$err" == *"rename the domain"* ]]; ok $? "... says what to do"
done
# what libvirt itself never writes is refused even when the domain did not opt in
hook_refuses "$D/name-newline.xml" "$(xml_name "$D/name-newline.xml")" "control character (0x0a)"
[[ "$err" == *'\n'* ]]; ok $? "... the newline shown escaped, not forging a second line"
hook_refuses "$D/name-empty.xml" "" "the domain name '' is empty"
opted_in "$HK/control.xml" >"$WORK/in.xml"
hook_refuses "$WORK/in.xml" '../../etc/passwd' "libvirt named '../../etc/passwd' but the XML on stdin is 'hostile'" \
        "a name in argv that is not the XML's"
hook_refuses "$WORK/in.xml" "$(printf 'hostile\nvmslice: forged')" "libvirt named 'hostile\\nvmslice: forged'" \
        "a name in argv with a newline"

# --- valid XML, hostile content, in a domain that opted in (the slice's own reading) ---
hook_refuses "$HK/vcpupin-beyond-host.xml" hostile "<vcpupin vcpu='0'> names CPU 64, which is not online on this host (online: 0-11)"
hook_refuses "$HK/vcpupin-negative.xml" hostile "<vcpupin vcpu='0' cpuset='-1'> is not a CPU list"
hook_refuses "$HK/vcpupin-empty.xml" hostile "<vcpupin vcpu='0' cpuset=''> is not a CPU list"
hook_refuses "$HK/vcpupin-huge-range.xml" hostile "cpuset='0-4294967295'> is not a CPU list (up to CPU 8191)"
hook_refuses "$HK/vcpupin-overflow.xml" hostile "cpuset='99999999999999999999999'> is not a CPU list"
hook_refuses "$HK/vcpupin-newline.xml" hostile "cpuset='2\\npinned 1'> is not a CPU list"
hook_refuses "$HK/vcpupin-vcpu-beyond.xml" hostile "<vcpupin vcpu='7'> names a vCPU the domain does not have (<vcpu> 2: vCPUs 0 to 1)"
hook_refuses "$HK/vcpupin-vcpu-negative.xml" hostile "<vcpupin> has no valid vcpu attribute"
hook_refuses "$HK/emulatorpin-beyond-host.xml" hostile "<emulatorpin> names CPU 12, which is not online on this host"
hook_refuses "$HK/numatune-beyond-host.xml" hostile "nodeset='5'> names host node 5, which this host does not have (nodes: 0)"
hook_refuses "$HK/numatune-huge.xml" hostile "nodeset='0-99999999'> is not a list of host NUMA nodes"
hook_refuses "$HK/numatune-bogus.xml" hostile "nodeset='0;reboot'> is not a list of host NUMA nodes"
hook_refuses "$HK/hugepage-size-zero.xml" hostile "<page size='0'> is a hugepage size of 0"
hook_refuses "$HK/hugepage-size-not-pow2.xml" hostile "hugepage size 3000 KiB (3072000 bytes) is not a power of two"
hook_refuses "$HK/hugepage-size-absurd.xml" hostile "<page size='1' unit='EiB'> overflows"
hook_refuses "$HK/hugepage-size-overflow.xml" hostile "<page size='18014398509481984' unit='KiB'> overflows"
hook_refuses "$HK/hugepage-size-unit-bogus.xml" hostile "<page size='2' unit='parsecs'> is not a size"
hook_refuses "$HK/hugepage-nodeset-bogus.xml" hostile "<page nodeset='x'> names guest NUMA cells, but the domain has none"
hook_refuses "$HK/hugepage-nodeset-huge.xml" hostile "<page nodeset='0-4294967295'> names guest NUMA cells, but the domain has none"
hook_refuses "$HK/memory-2pow64.xml" hostile "<memory> is absurd (more than 64 TiB)"
hook_refuses "$HK/memory-eib.xml" hostile "<memory> is absurd (more than 64 TiB)"
hook_refuses "$HK/memory-negative.xml" hostile "<memory> is not a size with a libvirt unit"
hook_refuses "$HK/memory-unit-bogus.xml" hostile "<memory> is not a size with a libvirt unit"
hook_refuses "$HK/memory-zero.xml" hostile "<memory> is 0 and the domain has no guest NUMA cells"
hook_refuses "$HK/cell-memory-overflow.xml" hostile "the memory of guest NUMA cell 0 is absurd (more than 64 TiB)"
hook_refuses "$HK/memnode-cell-beyond.xml" hostile "<memnode cellid='99'> names a guest NUMA cell the domain does not have (cells: 0)"

# every file here has a case above (a new one must get its expected message)
missing=0
for f in "$D"/*.xml "$HK"/*.xml; do
        case $(basename "$f") in utf16.xml | control.xml | xinclude.xml) continue ;; esac
        grep -qF "$(basename "$f")" "$0" || { echo "# $f has no case"; missing=1; }
done
ok $missing "every hostile document has a case here"


# --- the control, and what is valid but must stay inert ---
expect_rc 0 "the unchanged template is sliced" "${S[@]}" hook run hostile prepare begin - <"$HK/control.xml"
[ "$(cat "$T/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages")" = 512 ]; ok $? "... its 512 pages reserved"
# names in argv that are no VM of the state directory: release and the others do nothing
for n in '../../etc/passwd' 'a/b' '..' '.' '' "$(printf 'x\ny')" '$(reboot)' "$(head -c 300 /dev/zero | tr '\0' v)" '../vms/hostile' 'hostile.spec'; do
        shown=${n:0:40}
        expect_rc 0 "release end of '${shown//$'\n'/\\n}' does nothing" "${S[@]}" hook run "$n" release end - </dev/null
done
[ -f "$ST/vms/hostile.spec" ] && [ "$(cat "$T/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages")" = 512 ]
ok $? "... the prepared VM keeps its slice"
expect_rc 0 "release end of the VM itself" "${S[@]}" hook run hostile release end - </dev/null
unchanged "... gives everything back"

expect_rc 0 "an XInclude of /etc/passwd is inert: the domain is sliced" "${S[@]}" hook run hostile prepare begin - <"$HK/xinclude.xml"
! grep -rq 'root:' "$ST"; ok $? "... no byte of /etc/passwd in the state directory"
expect_rc 0 "... and released" "${S[@]}" hook run hostile release end - </dev/null
unchanged "... nothing left"

# a leading '.' is a name libvirt allows: not a hidden file vmslice loses track of
sed "s|<name>hostile</name>|<name>.hostile</name>|" "$HK/control.xml" | opted_in /dev/stdin >"$WORK/dot.xml"
expect_rc 0 "a domain named '.hostile' is sliced" "${S[@]}" hook run .hostile prepare begin - <"$WORK/dot.xml"
expect_rc 0 "... status lists it" "${S[@]}" status
[[ "$out" == *"1 VM prepared"*".hostile: cpus 2,8"* ]]; ok $? "... with its CPUs"
expect_rc 0 "... and releases it" "${S[@]}" hook run .hostile release end - </dev/null
unchanged "... nothing left"

# --- the state directory: symlinks, FIFOs and loose permissions planted in it ---
echo 'victim: not for vmslice' >"$WORK/victim"
mkdir -m 700 "$WORK/elsewhere"
victim_intact() {
        [ "$(cat "$WORK/victim")" = 'victim: not for vmslice' ] && [ -z "$(ls -A "$WORK/elsewhere")" ]
}
# state_refuses SETUP-DESCRIPTION NEEDLE: prepare with the state directory $SD is refused, exit 1
state_refuses() {
        local what=$1 needle=$2
        run --root "$T" --state-dir "$SD" hook run hostile prepare begin - <"$HK/control.xml"
        local good=1
        [ "$rc" -eq 1 ] && one_line && [[ "$err" == *"$needle"* ]] && good=0
        [ $good -eq 0 ] || { echo "# $what: exit $rc, wanted 1 and '$needle'" && printf '%s\n' "$err" | diag; }
        ok $good "$what: refused ($needle)"
        victim_intact && same_tree "$T" "$P"; ok $? "... nothing written, nothing followed"
}
SD=$WORK/link
ln -s "$WORK/elsewhere" "$SD"
state_refuses "the state directory is a symlink" "a symlink is refused"
rm "$SD"
SD=$WORK/sd
mkdir -m 700 "$SD" && ln -s "$WORK/elsewhere" "$SD/vms"
state_refuses "vms/ is a symlink" "cannot open the state directory $SD/vms"
rm -rf "$SD" && mkdir -m 700 "$SD" && ln -s "$WORK/victim" "$SD/lock"
state_refuses "the lock is a symlink" "cannot open $SD/lock"
rm -rf "$SD" && mkdir -m 700 "$SD" && ln -s "$WORK/victim" "$SD/journal"
state_refuses "the journal is a symlink" "journal: it is a symlink, which vmslice never follows"
rm -rf "$SD" && mkdir -m 700 "$SD" && mkfifo "$SD/journal"
state_refuses "the journal is a FIFO (would block the VM start)" "journal: it is not a regular file"
rm -rf "$SD" && mkdir -m 777 "$SD"
state_refuses "a world-writable state directory" "writable by others"
rm -rf "$SD" && mkdir -m 700 "$SD" && chown 65534 "$SD"
state_refuses "a state directory of another user" "not owned by this user"
rm -rf "$SD"

# a record planted under the VM's name: never read through, replaced by the VM starting now
mkdir -m 700 "$SD" && "$VMSLICE" --root "$T" --state-dir "$SD" status >/dev/null
ln -s "$WORK/victim" "$SD/vms/hostile.spec"
ln -s "$WORK/victim" "$SD/vms/.hostile.spec.tmp"
mkfifo "$SD/vms/other.spec"
expect_rc 0 "a symlink planted as the VM's record: the VM is sliced" --root "$T" --state-dir "$SD" hook run hostile prepare begin - <"$HK/control.xml"
[ -f "$SD/vms/hostile.spec" ] && [ ! -L "$SD/vms/hostile.spec" ] && grep -q '^name	hostile$' "$SD/vms/hostile.spec"
ok $? "... its record replaces the link"
victim_intact; ok $? "... the link's target untouched"
[ "$(cat "$T/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages")" = 512 ]; ok $? "... its pages reserved"
ln -s "$WORK/victim" "$SD/vms/hostile.placement"
expect_rc 0 "a symlink planted as its placement: started begin" --root "$T" --state-dir "$SD" hook run hostile started begin - <"$HK/control.xml"
victim_intact; ok $? "... the link's target untouched"
expect_rc 0 "status with a FIFO planted as a record does not block" --root "$T" --state-dir "$SD" status
[[ "$out" == *"other: unreadable slice record"*"not a regular file"* ]]; ok $? "... and names it"
expect_rc 0 "release end" --root "$T" --state-dir "$SD" hook run hostile release end - </dev/null
victim_intact && same_tree "$T" "$P"; ok $? "... gives everything back, the target untouched"
rm -rf "$SD"

# --- a user who is not root, on root's state directory (0700 as the hook leaves /run/vmslice, or
# 0755): told to run as root, not "Permission denied (a symlink is refused)" ---
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
        skip "the state directory as an unprivileged user: needs root and setpriv"
elif ! chmod 711 "$WORK" || ! as_nobody "$VMSLICE" --version >/dev/null 2>&1; then
        skip "the state directory as an unprivileged user: user nobody cannot run $VMSLICE"
else
        for mode in 700 755; do
                SD=$WORK/root-$mode
                mkdir -m "$mode" "$SD" && "$VMSLICE" --root "$T" --state-dir "$SD" status >/dev/null
                for verb in status restore "release hostile" "prepare $HK/control.xml"; do
                        # shellcheck disable=SC2086
                        out=$(as_nobody "$VMSLICE" --root "$T" --state-dir "$SD" $verb 2>"$WORK/stderr")
                        rc=$?
                        err=$(cat "$WORK/stderr")
                        [ "$rc" -eq 1 ] && one_line && [[ "$err" == *"; run vmslice as root" ]] &&
                                [[ "$err" != *symlink* ]]
                        ok $? "${verb%% *} as user nobody on root's state directory ($mode): says to run as root" ||
                                printf '%s\n' "$err" | diag
                done
                rm -rf "$SD"
        done
        chmod 700 "$WORK"
fi

# --- the settings file ---
conf=etc/vmslice/vmslice.conf
mv "$T/$conf" "$WORK/conf"
mkfifo "$T/$conf"
run "${S[@]}" hook run hostile prepare begin - <"$HK/control.xml"
[ "$rc" -eq 2 ] && one_line && [[ "$err" == *"vmslice.conf: it is not a regular file (a FIFO or a device?)"* ]]
ok $? "a FIFO as the settings file is refused, not waited on"
rm "$T/$conf"
printf '[vm hostile]\nenabled = yes\n\0\n' | tee "$T/$conf" >"$P/$conf"
hook_refuses "$HK/control.xml" hostile "vmslice.conf: it is not text (it holds a NUL byte)" "a settings file with a NUL byte"
head -c 100000 /dev/zero | tr '\0' '#' | tee "$T/$conf" >"$P/$conf"
hook_refuses "$HK/control.xml" hostile "vmslice.conf is larger than 64 KiB" "a 100 KB settings file"
cp "$WORK/conf" "$P/$conf"
mv "$WORK/conf" "$T/$conf"
unchanged "the host and the state directory, at the end"

done_testing
