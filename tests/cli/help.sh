#!/bin/bash
# The command line is described wherever it is shown: for every verb of main.c's verb table and
# every long option its parser takes (tests/cli/options.py reads them from src/cli), the verb's
# --help, vmslice(8) and the bash completion name it; 'vmslice help VERB' is 'vmslice VERB --help';
# vmslice.conf(5) and the example settings file name every key of slice-config.c.
. "$(dirname "$0")/lib.sh"
OPTIONS="$SRC/tests/cli/options.py"
COMPLETION="$SRC/shell-completion/bash/vmslice"

mapfile -t VERBS < <(python3 "$OPTIONS" "$SRC" verbs)
mapfile -t GLOBAL < <(python3 "$OPTIONS" "$SRC" global)
python3 "$OPTIONS" "$SRC" options >"$WORK/options" && python3 "$OPTIONS" "$SRC" settings >"$WORK/settings"
ok $? "options.py reads the verbs, options and settings from the source"
# the reader finds what is certainly there, so an empty list is never a pass
[[ " ${VERBS[*]} " == *" plan "* && " ${VERBS[*]} " == *" hook "* ]] &&
        grep -qx 'plan --exclude' "$WORK/options" && grep -qx 'status --json' "$WORK/options" &&
        grep -qx 'hook --hooks-dir' "$WORK/options" && ! grep -qx 'prepare --json' "$WORK/options" &&
        [[ " ${GLOBAL[*]} " == *" --root "* ]] && grep -qx 'partition' "$WORK/settings"
ok $? "... which holds known entries (plan --exclude, status --json but not prepare --json, hook --hooks-dir)"

FIXTURE=$(unpack small-2c)
opts_of() { awk -v v="$1" '$1 == v { print $2 }' "$WORK/options"; }

# the man page as text: one section per .SH/.SS, escapes and fonts removed
python3 - "$SRC/man/vmslice.8" "$WORK/man" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
os.makedirs(sys.argv[2])
norm = lambda t: re.sub(r'\\f[BIRP]|\\&|\\%|\\c|\\\(..|"', "", t).replace("\\-", "-").replace("\\~", " ")
name, parts = None, {}
for line in text.split("\n"):
    m = re.match(r'\.(SH|SS) (.*)', line)
    if m:
        name = norm(m.group(2)).strip()
    if name:
        parts.setdefault(name, []).append(norm(line))
synopsis = "\n".join(parts.pop("SYNOPSIS", [])).split(".SY vmslice")
for title, lines in parts.items():
    open(os.path.join(sys.argv[2], "section " + title.replace("/", "_")), "w").write("\n".join(lines) + "\n")
for i, s in enumerate(synopsis[1:]):
    open(os.path.join(sys.argv[2], "synopsis %02d" % i), "w").write(s)
PY

# word WORD FILE...: WORD stands alone (not the start of a longer option) in one of FILES
word() {
        local w=$1
        shift
        grep -qE -- "(^|[^a-z0-9-])${w}([^a-z0-9-]|\$)" "$@" 2>/dev/null
}

for v in "${VERBS[@]}"; do
        run "$v" --help
        h=$out
        [ "$rc" -eq 0 ] && [[ "$h" == Usage:* ]] && [ -z "$err" ]
        ok $? "$v --help: exit 0, starts with Usage:, nothing on stderr"
        run help "$v"
        [ "$rc" -eq 0 ] && [ "$out" == "$h" ]; ok $? "help $v is $v --help"
        run --help "$v"
        [ "$rc" -eq 0 ] && [ "$out" == "$h" ]; ok $? "--help $v is $v --help"
        printf '%s\n' "$h" >"$WORK/help-$v"
        missing=
        for o in $(opts_of "$v"); do
                word "$o" "$WORK/help-$v" || missing+=" $o"
        done
        [ -z "$missing" ]; ok $? "$v --help names every option of its parser${missing:+ (missing:$missing)}"
        # and the other way round: what the help offers, the parser takes (or it is global)
        if [ -n "$(opts_of "$v")" ]; then
                extra=
                for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$WORK/help-$v" | sort -u); do
                        opts_of "$v" | grep -qx -- "$o" || [[ " ${GLOBAL[*]} " == *" $o "* ]] || extra+=" $o"
                done
                [ -z "$extra" ]; ok $? "$v --help names no option its parser refuses${extra:+ (extra:$extra)}"
        fi
        # the option list (lines "  --opt ..." or "  -h, --opt"): each option once, exactly those
        # of the parser (help's is the main help, of the global options)
        if [ "$v" != help ]; then
                grep -oE -- '^  (-[a-zA-Z], )?--[a-z0-9-]+' "$WORK/help-$v" | sed 's/.*--/--/' >"$WORK/list-$v"
                twice=$(sort "$WORK/list-$v" | uniq -d | xargs)
                [ -s "$WORK/list-$v" ] && [ -z "$twice" ]
                ok $? "$v --help lists each option once${twice:+ (twice: $twice)}"
                sort -u "$WORK/list-$v" | diff -u <(opts_of "$v" | sort -u) - | diag
                ok "${PIPESTATUS[1]}" "$v --help lists exactly the options of its parser, each on a line of its own"
                # and the binary takes each of them: with one (a value "x" for those that take one),
                # getopt never says "unknown"; the extra arguments make every verb stop before acting,
                # under a fixture root and a state directory of the test's own
                refused=
                while read -r o has; do
                        words=("$v")
                        [ "$v" = hook ] && words+=(print)
                        if [ "$has" = value ]; then words+=("$o=x"); else words+=("$o"); fi
                        [ "$o" = --help ] && continue
                        RUN_TIMEOUT=20 run --root "$FIXTURE" --state-dir "$WORK/probe-state" "${words[@]}" \
                                extra1 extra2 extra3
                        [[ "$err" == *"is unknown or needs a value"* || "$rc" -eq 124 ]] && refused+=" $o"
                done < <(awk '/^  (-[a-zA-Z], )?--[a-z0-9-]/ {
                                sub(/^  (-[a-zA-Z], )?/, ""); o = $0; sub(/[^a-z0-9-].*/, "", o)
                                rest = substr($0, length(o) + 1)
                                print o, (rest ~ /^(\[?=| [^ ])/ ? "value" : "flag") }' "$WORK/help-$v")
                [ -z "$refused" ]; ok $? "$v takes every option its --help lists${refused:+ (refused:$refused)}"
        fi

        # vmslice(8): a section and a synopsis for the verb; each option in one of them, or for
        # the global ones (--help) under GLOBAL OPTIONS
        sections=()
        for f in "$WORK/man/section $v"*; do
                [ -e "$f" ] && [[ "$(basename "$f")" =~ ^section\ $v( |$) ]] && sections+=("$f")
        done
        synopses=()
        for f in "$WORK/man/synopsis "*; do
                grep -qE "^\.B $v( |$)" "$f" && synopses+=("$f")
        done
        [ ${#sections[@]} -gt 0 ] && [ ${#synopses[@]} -gt 0 ]
        ok $? "vmslice(8) has a section and a synopsis for $v"
        missing=
        for o in $(opts_of "$v"); do
                word "$o" "${sections[@]}" "${synopses[@]}" && continue
                [[ " ${GLOBAL[*]} " == *" $o "* ]] && word "$o" "$WORK/man/section GLOBAL OPTIONS" && continue
                missing+=" $o"
        done
        [ -z "$missing" ]; ok $? "vmslice(8) documents every option of $v${missing:+ (missing:$missing)}"
done
missing=
for o in "${GLOBAL[@]}"; do
        word "$o" "$WORK/man/section GLOBAL OPTIONS" || missing+=" $o"
        run --help
        word "$o" <(printf '%s\n' "$out") || missing+=" $o(--help)"
done
[ -z "$missing" ]; ok $? "vmslice(8) and --help name every global option${missing:+ (missing:$missing)}"
# the man page's NAME line (what whatis and apropos show) names every verb of --help
name_line=$(sed -n '/^\.SH NAME/{n;p;q}' "$SRC/man/vmslice.8")
run --help
missing=
for v in $(printf '%s\n' "$out" | sed -n '/^Verbs:/,/^$/p' | awk '/^  [a-z]/ {print $1}'); do
        case $v in help | version) continue ;; esac
        word "$v" <(printf '%s\n' "$name_line") || missing+=" $v"
done
[ -z "$missing" ]; ok $? "vmslice(8)'s NAME line names every verb${missing:+ (missing:$missing)}"
# the verb list's columns never run into each other (its widest arguments, hook's, once did)
run --help
bad=$(printf '%s\n' "$out" | sed -n '/^Verbs:/,/^$/p' | grep -E '^  [a-z]' | grep -vE '^  [a-z]+ +(|[^ ].*[^ ]) +[a-z]' || true)
bad+=$(printf '%s\n' "$out" | grep -E '\|run[a-z]' || true)
[ -z "$bad" ]; ok $? "vmslice --help: a space between every verb's arguments and its summary${bad:+ (not: $bad)}"
# the verb list is three columns (name, arguments, summary), two spaces or more between them: the
# summaries start in one column (once hook's arguments ran into its summary)
run --help
printf '%s\n' "$out" | python3 -c '
import re, sys
block = sys.stdin.read().split("Verbs:\n", 1)[1].split("\n\n", 1)[0].splitlines()
starts = {l: [m.end() for m in re.finditer(r"  +(?=\S)", l)][-1] for l in block}
bad = [l for l in block if starts[l] != max(starts.values()) or len(block) < 10]
print("\n".join(bad)); sys.exit(1 if bad else 0)' | diag
ok "${PIPESTATUS[1]}" "vmslice --help: the verbs' summaries start in one column, apart from their arguments"

# the completion offers exactly each verb's options, and every verb
bash -n "$COMPLETION"; ok $? "bash -n on the completion"
# Twice: as a bare bash runs it, and with the bash-completion package's helpers loaded (its
# _init_completion then splits the words), which is how most users' shells run it
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
PRELOAD=/dev/null
complete_line() { # WORDS... -> the candidates for the last word, one a line
        # COMP_LINE as typed: bash makes '=' a word of its own, but there is no space around it
        bash -c '. "$1"; . "$2"; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE=
                 p=; for w in "$@"; do
                         if [ -z "$COMP_LINE" ] || [ "$w" = = ] || [ "$p" = = ]; then COMP_LINE+=$w
                         else COMP_LINE+=" $w"; fi; p=$w
                 done
                 COMP_POINT=${#COMP_LINE}; fn=$(complete -p vmslice | sed -E "s/.*-F ([^ ]+).*/\1/")
                 "$fn" vmslice "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; printf "%s\n" "${COMPREPLY[@]}"' \
                _ "$PRELOAD" "$COMPLETION" "$@"
}
# after the verb: its options, --help (every verb takes it, as checked above) and the global options
# that are not --version (which only stands before a verb)
after_verb=$(printf '%s\n' "${GLOBAL[@]}" --help | grep -- '^--' | grep -vx -- --version)
completion_checks() { # HOW: the completion offers every verb, and each verb's options
        local how=$1 v words
        complete_line vmslice "" | sort >"$WORK/c-verbs"
        printf '%s\n' "${VERBS[@]}" | sort | diff -u - "$WORK/c-verbs" | diag
        ok "${PIPESTATUS[2]}" "$how: vmslice <TAB> offers every verb"
        complete_line vmslice -- | sort >"$WORK/c-global"
        printf '%s\n' "${GLOBAL[@]}" | grep -- '^--' | sort | diff -u - "$WORK/c-global" | diag
        ok "${PIPESTATUS[3]}" "$how: vmslice --<TAB> offers every global option"
        for v in "${VERBS[@]}"; do
                words=(vmslice "$v")
                [ "$v" = hook ] && words+=(install) # hook's options follow its command
                complete_line "${words[@]}" -- | sed 's/=$//' | sort -u >"$WORK/c-$v"
                { opts_of "$v"; echo "$after_verb"; } | sort -u | diff -u - "$WORK/c-$v" | diag
                ok "${PIPESTATUS[2]}" "$how: vmslice $v --<TAB> offers exactly its options, --help and the global ones"
        done
        # an option's values, also after '=' (which bash makes a word of its own)
        [ "$(complete_line vmslice plan --emulator "" | sort | xargs)" = "isolated shared" ]
        ok $? "$how: vmslice plan --emulator <TAB> offers shared and isolated"
        [ "$(complete_line vmslice plan --emulator = "" | sort | xargs)" = "isolated shared" ]
        ok $? "$how: vmslice plan --emulator=<TAB> too"
        [ "$(complete_line vmslice plan --threads = a | xargs)" = auto ]
        ok $? "$how: vmslice plan --threads=a<TAB> completes auto"
        # the VMs of --state-dir, a name with a leading '.' too, never a temporary file
        mkdir -p "$WORK/sd/vms" && touch "$WORK/sd/vms/win11.spec" "$WORK/sd/vms/.hidden.spec" \
                "$WORK/sd/vms/.debian.spec.tmp" "$WORK/sd/vms/win11.placement"
        [ "$(complete_line vmslice --state-dir "$WORK/sd" release "" | sort | xargs)" = ".hidden win11" ]
        ok $? "$how: vmslice --state-dir DIR release <TAB> offers the VMs prepared there"
}
completion_checks "bare bash"
if [ -r "$BASH_COMPLETION" ]; then
        PRELOAD=$BASH_COMPLETION
        bash -c '. "$1"; declare -F _init_completion >/dev/null' _ "$PRELOAD"
        ok $? "bash-completion's _init_completion is loaded"
        completion_checks "with bash-completion"
        PRELOAD=/dev/null
else
        skip "the completion with bash-completion's helpers: $BASH_COMPLETION is missing (package bash-completion)"
fi

# vmslice.conf(5) has an entry for every key; the example file names every key with its default
python3 - "$SRC/man/vmslice.conf.5" "$WORK/settings" <<'PY' 2>&1 | diag
import re, sys
man = open(sys.argv[1]).read().replace("\\-", "-")
man = man[man.index(".SH SECTIONS") : man.index(".SH EXAMPLE")]
# ".BR key " = default"" entries (several on a line), and ".B enabled = yes" in the sections
entries = set(re.findall(r'^\.BR? ([a-z-]+)\b', man, re.M))
for line in re.findall(r'^\.BR (.*)$', man, re.M):
    entries |= set(re.findall(r'\b([a-z][a-z-]+) " = ', line))
missing = [k for k in open(sys.argv[2]).read().split() if k not in entries]
if missing:
    print("vmslice.conf(5) has no entry for", " ".join(missing))
sys.exit(1 if missing else 0)
PY
ok "${PIPESTATUS[0]}" "vmslice.conf(5) documents every key of slice-config.c"
missing=
while read -r k; do
        grep -qE "^# *$k = " "$SRC/data/vmslice.conf.example" || missing+=" $k"
done <"$WORK/settings"
[ -z "$missing" ]; ok $? "data/vmslice.conf.example names every key${missing:+ (missing:$missing)}"

done_testing
