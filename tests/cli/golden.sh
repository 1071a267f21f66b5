#!/bin/bash
# Golden outputs of plan and topo on fixture hosts (tests/golden/cases). With
# VMSLICE_REGEN_GOLDEN=1 the files are rewritten instead of compared.
. "$(dirname "$0")/lib.sh"
G=$SRC/tests/golden
while IFS='|' read -r name host args; do
        name=$(echo "$name" | xargs)
        host=$(echo "$host" | xargs)
        [ -z "$name" ] || [[ "$name" == \#* ]] && continue
        args=${args//@DATA@/$DATA}
        # shellcheck disable=SC2086
        "$VMSLICE" --root "$(unpack "$host")" $args >"$WORK/raw" 2>"$WORK/err"
        rc=$?
        sed "s|$DATA|@DATA@|g" "$WORK/raw" >"$WORK/out" # outputs may name their input
        if [ "$rc" -ne 0 ]; then
                cat "$WORK/err" | diag
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
                ok 1 "golden $name differs (VMSLICE_REGEN_GOLDEN=1 to accept)"
        fi
done <"$G/cases"
done_testing
