# TAP helpers for the CLI tests. Source it; call ok/check/expect_*; end with done_testing.
set -u
VMSLICE=${VMSLICE_BIN:?VMSLICE_BIN must point at the vmslice binary}
DATA=${VMSLICE_TEST_DATA:?}
SRC=${VMSLICE_SOURCE_ROOT:?}
HOSTS=$DATA/hosts
_n=0
_failed=0
WORK=$(mktemp -d /tmp/vmslice-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ok() { # ok STATUS DESCRIPTION
        _n=$((_n + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $_n - $2"
        else
                echo "not ok $_n - $2"
                _failed=$((_failed + 1))
        fi
}

diag() { sed 's/^/# /'; }

skip() { # skip DESCRIPTION: a check this host cannot run, said why
        _n=$((_n + 1))
        echo "ok $_n # SKIP $1"
}

# run ARGS...: runs vmslice, sets $out, $err, $rc; with RUN_TIMEOUT=SECONDS set, a vmslice that
# hangs is killed (exit 124) instead of hanging the test
run() {
        out=$(timeout "${RUN_TIMEOUT:-0}" "$VMSLICE" "$@" 2>"$WORK/stderr")
        rc=$?
        err=$(cat "$WORK/stderr")
}

# expect_rc RC DESCRIPTION ARGS...
expect_rc() {
        local want=$1 desc=$2
        shift 2
        run "$@"
        if [ "$rc" -ne "$want" ]; then
                echo "# vmslice $*: exit $rc, wanted $want" >&2
                printf '%s\n' "$err" | diag
        fi
        ok $([ "$rc" -eq "$want" ] && echo 0 || echo 1) "$desc"
}

# expect_usage DESCRIPTION ARGS...: exit 2, one line on stderr starting "vmslice:", nothing on stdout
expect_usage() {
        local desc=$1
        shift
        run "$@"
        local lines
        lines=$(printf '%s\n' "$err" | grep -c .)
        local good=1
        if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$lines" -eq 1 ] && [[ "$err" == vmslice:* ]]; then
                good=0
        else
                echo "# vmslice $*: exit $rc, stderr:" && printf '%s\n' "$err" | diag
        fi
        ok $good "$desc"
}

unpack() { # unpack NAME -> prints dir
        local d="$WORK/hosts/$1"
        if [ ! -d "$d" ]; then
                mkdir -p "$d" && tar -C "$d" -xzf "$HOSTS/$1.tar.gz"
        fi
        echo "$d"
}

# compares two trees, files normalized: trailing whitespace, "[chosen]" words (a fixture tree
# is not a kernel: it reads back what was written)
same_tree() {
        python3 - "$1" "$2" <<'PY'
import os, re, sys
a, b = sys.argv[1], sys.argv[2]
def norm(p):
    try:
        s = open(p, 'rb').read().decode(errors='replace').strip()
    except (IsADirectoryError, FileNotFoundError):
        return None
    m = re.search(r'\[([^\]]*)\]', s)
    return m.group(1) if m else s
bad = 0
for root, dirs, files in os.walk(b):
    for f in files:
        pb = os.path.join(root, f)
        if os.path.islink(pb):
            continue
        pa = os.path.join(a, os.path.relpath(pb, b))
        if norm(pa) != norm(pb):
            print("# differs:", os.path.relpath(pb, b), repr(norm(pa)), "pristine", repr(norm(pb)))
            bad += 1
sys.exit(1 if bad else 0)
PY
}

done_testing() {
        echo "1..$_n"
        [ "$_failed" -eq 0 ]
        exit $?
}
