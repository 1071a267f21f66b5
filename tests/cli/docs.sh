#!/bin/bash
# The JSON examples of docs/*.md are what vmslice prints (tests/cli/doc-examples.py says how).
. "$(dirname "$0")/lib.sh"
python3 "$SRC/tests/cli/doc-examples.py" "$SRC" "$VMSLICE"
