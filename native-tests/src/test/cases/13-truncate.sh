#!/usr/bin/env bash
# TIMEOUT: 60
# truncate / ftruncate / O_TRUNC and the stale-data rule: grown parts read as zeros, bytes stored
# through a mapping beyond EOF do not come back (tmpfs keeps them: accepted only on tmpfs).
. "$NT_LIB"
set -euo pipefail

quirk=
[ "$FS_BACKEND" = tmpfs ] && quirk=-k
echo "test_truncate $quirk: comparing file contents after each size change with zeros / written bytes"
"$NATIVE_BIN/test_truncate" $quirk "$CASE_DIR"
