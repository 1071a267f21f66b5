#!/bin/bash
# `meson install` into a DESTDIR: every file at its standard path under the prefix (and nothing
# else), the installed program runs, the man pages render without a warning, the bash completion
# completes, the hook script is the one 'vmslice hook install' writes, and the example settings
# file holds the defaults.
. "$(dirname "$0")/lib.sh"
BUILD=${VMSLICE_BUILD_ROOT:?VMSLICE_BUILD_ROOT must name the build directory}
MESON=${VMSLICE_MESON:-meson}
DEST=$WORK/dest

# the configured paths, as meson resolves them
"$MESON" introspect --buildoptions "$BUILD" >"$WORK/buildoptions" &&
        "$MESON" introspect --projectinfo "$BUILD" >"$WORK/projectinfo"
ok $? "meson introspect names the build's options"
eval "$(python3 - "$WORK/buildoptions" "$WORK/projectinfo" <<'PY'
import json, os, shlex, sys
o = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))}
p = lambda d: os.path.join(o["prefix"], d)  # an absolute d stays as it is
comp = o.get("bashcompletiondir") or os.path.join(p(o["datadir"]), "bash-completion", "completions")
for k, v in {
    "PREFIX": o["prefix"], "SBIN": p(o["sbindir"]), "MAN": p(o["mandir"]),
    "SHARE": p(o["datadir"]), "COMPDIR": comp, "VERSION": json.load(open(sys.argv[2]))["version"],
}.items():
    print(f"{k}={shlex.quote(v)}")
PY
)"
[ -n "${VERSION:-}" ] && [ -n "${SBIN:-}" ]; ok $? "prefix $PREFIX, version $VERSION"

DESTDIR='' "$MESON" install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$WORK/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] || diag <"$WORK/install.log"
ok $rc "meson install --destdir"

# exactly these files
{
        echo "$SBIN/vmslice"
        echo "$MAN/man8/vmslice.8"
        echo "$MAN/man5/vmslice.conf.5"
        [ "$COMPDIR" != no ] && echo "$COMPDIR/vmslice"
        echo "$SHARE/vmslice/hooks/qemu.d/vmslice"
        echo "$SHARE/vmslice/vmslice.conf.example"
        echo "$SHARE/doc/vmslice/README.md"
        for f in "$SRC"/docs/*.md; do echo "$SHARE/doc/vmslice/${f##*/}"; done
} | sort >"$WORK/expected"
(cd "$DEST" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$WORK/installed"
diff -u "$WORK/expected" "$WORK/installed" | diag
ok "${PIPESTATUS[0]}" "the installed files are the program, two man pages, the completion, the hook, the example settings and the docs"
for f in "$SBIN/vmslice" "$SHARE/vmslice/hooks/qemu.d/vmslice"; do
        [ -x "$DEST$f" ]; ok $? "$f is executable"
done
for f in "$MAN/man5/vmslice.conf.5" "$SHARE/vmslice/vmslice.conf.example" "$SHARE/doc/vmslice/json.md"; do
        [ -r "$DEST$f" ] && [ ! -x "$DEST$f" ]; ok $? "$f is a plain file"
done

# the installed program
BIN=$DEST$SBIN/vmslice
out=$("$BIN" --version 2>&1)
[ "$(printf '%s\n' "$out" | sed -n 1p)" = "vmslice $VERSION" ]; ok $? "the installed vmslice --version says vmslice $VERSION"
printf '%s\n' "$out" | sed -n 2p | grep -qE '^[+-]systemd( [+-][a-z0-9-]+)*$'; ok $? "... and its features: $(printf '%s' "$out" | sed -n 2p)"
[ "$("$BIN" version)" = "$out" ]; ok $? "vmslice version is vmslice --version"
"$BIN" --root "$HOSTS/i7-6800k.tar.gz" plan --vcpus 4 >"$WORK/plan.xml" 2>&1 && grep -q '<vcpupin' "$WORK/plan.xml"
ok $? "the installed vmslice plans on a fixture"

# the man pages: the build's version, no groff warning, man renders them
for m in "$MAN/man8/vmslice.8" "$MAN/man5/vmslice.conf.5"; do
        grep -qE "^\.TH [^ ]+ [0-9] [0-9-]+ \"vmslice $VERSION\"" "$DEST$m"
        ok $? "${m##*/} is of vmslice $VERSION"
        LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$DEST$m" >"$WORK/groff" 2>&1
        [ $? -eq 0 ] && [ ! -s "$WORK/groff" ]
        r=$?
        diag <"$WORK/groff"
        ok $r "groff -ww renders ${m##*/} without a warning"
        if command -v mandoc >/dev/null; then
                mandoc -T lint -W warning "$DEST$m" >"$WORK/mandoc" 2>&1
                r=$?
                diag <"$WORK/mandoc"
                ok $r "mandoc -T lint: ${m##*/}"
        fi
        if command -v man >/dev/null; then
                MANWIDTH=80 man -l "$DEST$m" 2>"$WORK/man.err" | grep -q '^NAME'
                r=$?
                diag <"$WORK/man.err"
                ok $r "man -l ${m##*/} shows its NAME"
        fi
done

# the hook script: what 'hook print' and 'hook install' write for the installed program, and it
# runs that program with libvirt's arguments
HOOK=$DEST$SHARE/vmslice/hooks/qemu.d/vmslice
"$VMSLICE" hook print --binary "$SBIN/vmslice" | cmp -s - "$HOOK"
ok $? "the installed hook is 'vmslice hook print --binary $SBIN/vmslice'"
"$VMSLICE" hook install --hooks-dir "$WORK/hooks/qemu.d" --binary "$SBIN/vmslice" >/dev/null &&
        cmp -s "$WORK/hooks/qemu.d/vmslice" "$HOOK"
ok $? "... and what 'hook install --binary' writes"
grep -qxF "exec '$SBIN/vmslice' hook run \"\$@\"" "$HOOK" && sh -n "$HOOK"
ok $? "... a shell script that runs $SBIN/vmslice hook run"
cat >"$WORK/vmslice-spy" <<EOF
#!/bin/sh
printf '%s|' "\$@" >"$WORK/spy.args"
EOF
chmod +x "$WORK/vmslice-spy"
"$VMSLICE" hook print --binary "$WORK/vmslice-spy" >"$WORK/hook.sh" && chmod +x "$WORK/hook.sh" &&
        "$WORK/hook.sh" win11 prepare begin - </dev/null &&
        [ "$(cat "$WORK/spy.args")" = "hook|run|win11|prepare|begin|-|" ]
ok $? "the hook passes libvirt's arguments on as they are"

# the example settings file: every key commented out with its default, so with all of it
# uncommented a dry run changes what no file changes; a wrong value there is refused
EXAMPLE=$DEST$SHARE/vmslice/vmslice.conf.example
T=$WORK/t
mkdir -p "$T" "$WORK/s" && chmod 700 "$WORK/s" && tar -C "$T" -xzf "$HOSTS/i7-6800k.tar.gz" &&
        rm -f "$T/etc/vmslice/vmslice.conf"
S=(--root "$T" --state-dir "$WORK/s")
run "${S[@]}" prepare "$DATA/domains/good-tuned.xml" --dry-run
defaults=$out
[ "$rc" -eq 0 ] && [[ "$out" == *"would change"* ]]; ok $? "prepare --dry-run without a settings file"
mkdir -p "$T/etc/vmslice"
sed -E 's/^# ?(\[|[a-z-]+ = )/\1/' "$EXAMPLE" >"$T/etc/vmslice/vmslice.conf"
[ "$(grep -cE '^[a-z-]+ = ' "$T/etc/vmslice/vmslice.conf")" -gt 10 ]; ok $? "the example uncommented sets its keys"
run "${S[@]}" prepare "$DATA/domains/good-tuned.xml" --dry-run
[ "$rc" -eq 0 ] && [ "$out" = "$defaults" ]
r=$?
[ $r -eq 0 ] || { diff <(echo "$defaults") <(echo "$out") | diag; printf '%s\n' "$err" | diag; }
ok $r "... and changes what the defaults change"
sed -i 's/^thp = never/thp = sometimes/' "$T/etc/vmslice/vmslice.conf"
expect_usage "... which prepare reads (a bad value in it is refused)" "${S[@]}" prepare "$DATA/domains/good-tuned.xml" --dry-run

# the bash completion
COMP=$DEST$COMPDIR/vmslice
if [ "$COMPDIR" = no ]; then
        echo "ok $((_n + 1)) # SKIP bash completion not installed (-Dbashcompletiondir=no)"
        _n=$((_n + 1))
        done_testing
fi
cmp -s "$COMP" "$SRC/shell-completion/bash/vmslice"; ok $? "the completion is shell-completion/bash/vmslice"
bash -n "$COMP"; ok $? "bash -n on the completion"
# complete [DIR] WORDS...: the candidates for the last word in DIR, sorted, with a virsh on PATH that
# logs its arguments and knows two domains, one of them running
mkdir -p "$WORK/bin"
cat >"$WORK/bin/virsh" <<EOF
#!/bin/sh
echo "\$*" >>"$WORK/virsh.log"
case " \$* " in *" --all "*) printf 'win11\nlinux-dev\n\n' ;; *) printf 'win11\n\n' ;; esac
EOF
chmod +x "$WORK/bin/virsh"
complete_in() {
        local dir=$1
        shift
        (cd "$dir" && PATH="$WORK/bin:$PATH" ${AS_USER:-} bash -c '. "$1"; shift; COMP_WORDS=("$@")
                COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                fn=$(complete -p vmslice | sed -E "s/.*-F ([^ ]+).*/\1/")
                "$fn" vmslice "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; printf "%s\n" "${COMPREPLY[@]}"' \
                _ "$COMP" "$@") | sort | tr '\n' ' ' | sed 's/ $//'
}
c() { complete_in "$WORK" "$@"; }
[ "$(c vmslice pr)" = "prepare" ]; ok $? "vmslice pr<TAB>: prepare"
[ "$(c vmslice re)" = "release restore" ]; ok $? "vmslice re<TAB>: release restore"
[ "$(c vmslice --root "$HOSTS/i7-6800k.tar.gz" sta)" = "status" ]; ok $? "a verb after --root VALUE"
[ "$(c vmslice --st)" = "--state-dir" ]; ok $? "vmslice --st<TAB>: --state-dir"
got=" $(c vmslice plan --) "
missing=
while read -r v o; do
        [ "$v" = plan ] && [[ "$got" != *" $o "* ]] && missing+=" $o"
done < <(python3 "$SRC/tests/cli/options.py" "$SRC" options)
[ -z "$missing" ] && [[ "$got" == *" --vcpus "* ]]; ok $? "vmslice plan --<TAB>: every option of plan${missing:+ (missing:$missing)}"
[ "$(c vmslice plan --threads '')" = "1 2 auto" ]; ok $? "plan --threads <TAB>: 1 2 auto"
[ "$(c vmslice plan --emulator=i)" = "isolated" ] || [ "$(c vmslice plan --emulator = i)" = "isolated" ]
ok $? "plan --emulator=i<TAB>: isolated"
[ -z "$(c vmslice plan --vcpus '')" ]; ok $? "plan --vcpus <TAB>: nothing (a number)"
[ "$(c vmslice bench --probe t)" = "timer" ]; ok $? "bench --probe t<TAB>: timer"
[ "$(c vmslice hook '')" = "install print run uninstall" ]; ok $? "hook <TAB>: its commands"
[ "$(c vmslice hook run win11 prepare '')" = "- begin end" ]; ok $? "hook run NAME OP <TAB>: begin end -"
[ "$(c vmslice help ch)" = "check" ]; ok $? "help ch<TAB>: check"

mkdir -p "$WORK/here/sub" && touch "$WORK/here/a.xml" "$WORK/here/b.txt" "$WORK/here/host.tar.gz"
rm -f "$WORK/virsh.log"
[ "$(complete_in "$WORK/here" vmslice apply '')" = "- a.xml linux-dev sub win11" ]
ok $? "apply <TAB>: XML files, directories, - and every libvirt domain"
grep -qx -- "-q -r -c qemu:///system list --name --all" "$WORK/virsh.log"
ok $? "... read with 'virsh -r -c qemu:///system list --name --all'"
rm -f "$WORK/virsh.log"
[ "$(complete_in "$WORK/here" vmslice lint --connect qemu:///session '')" = "- a.xml linux-dev sub win11" ] &&
        grep -qx -- "-q -r -c qemu:///session list --name --all" "$WORK/virsh.log"
ok $? "lint --connect URI <TAB>: the domains of URI"
[ -z "$(complete_in "$WORK/here" vmslice lint --rules '')" ]; ok $? "lint --rules <TAB>: nothing"
[ "$(complete_in "$WORK/here" vmslice check '')" = "a.xml sub win11" ]; ok $? "check <TAB>: XML files and the running domains"
[ "$(complete_in "$WORK/here" vmslice prepare '')" = "- a.xml sub" ]; ok $? "prepare <TAB>: XML files and -"
[ "$(complete_in "$WORK/here" vmslice --root '')" = "host.tar.gz sub" ]; ok $? "--root <TAB>: tarballs and directories"
[ "$(complete_in "$WORK/here" vmslice apply a.xml --backup-dir '')" = "sub" ]; ok $? "--backup-dir <TAB>: directories"
mkdir -p "$WORK/state/vms" && touch "$WORK/state/vms/win11.spec" "$WORK/state/vms/linux-dev.spec" "$WORK/state/journal"
[ "$(c vmslice --state-dir "$WORK/state" release '')" = "linux-dev win11" ]; ok $? "release <TAB>: the VMs prepared in --state-dir"
[ "$(c vmslice release --state-dir="$WORK/state" w)" = "win11" ] || [ "$(c vmslice release --state-dir = "$WORK/state" w)" = "win11" ]
ok $? "... also after the verb, as --state-dir=DIR"
[ -z "$(c vmslice --state-dir "$WORK/nonexistent" release '')" ]; ok $? "... none without a state directory"
# without --state-dir: /run/vmslice of --root DIR (under a tarball none), as the verbs read it
mkdir -p "$WORK/rootfs/run/vmslice/vms" && touch "$WORK/rootfs/run/vmslice/vms/fixture-vm.spec"
[ "$(c vmslice --root "$WORK/rootfs" release '')" = fixture-vm ] &&
        { [ "$(c vmslice release --root="$WORK/rootfs" '')" = fixture-vm ] ||
                [ "$(c vmslice release --root = "$WORK/rootfs" '')" = fixture-vm ]; }
ok $? "release <TAB> under --root DIR: the VMs prepared in DIR/run/vmslice"
[ -z "$(c vmslice --root "$HOSTS/small-2c.tar.gz" release '')" ]; ok $? "... under a tarball --root: none"
# a user who cannot list root's state directory (0700, as the hook leaves /run/vmslice) types
# 'sudo vmslice release <TAB>': the completion runs as that user, and offers the running domains
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && chmod 711 "$WORK" && chmod -R go+rX "$DEST" "$WORK/bin"; then
        mkdir -m 700 "$WORK/rootstate" && mkdir -m 700 "$WORK/rootstate/vms" && touch "$WORK/rootstate/vms/linux-dev.spec"
        [ "$(AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups" c vmslice --state-dir "$WORK/rootstate" release '')" = win11 ]
        ok $? "release <TAB> as a user who cannot read the state directory: the running domains"
        [ "$(c vmslice --state-dir "$WORK/rootstate" release '')" = linux-dev ]; ok $? "... and as root the VMs prepared there"
        chmod 700 "$WORK"
else
        skip "the completion as a user who cannot read the state directory: needs root and setpriv"
fi

done_testing
