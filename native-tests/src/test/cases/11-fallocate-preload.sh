#!/usr/bin/env bash
# TIMEOUT: 120
# fallocate(2) with the preload library, which carries COLLAPSE / INSERT to the daemon as ioctls:
# every mode must now work with ext4's errnos, including collapse and insert while another
# process has the file mapped MAP_SHARED.
. "$NT_LIB"
set -euo pipefail

if [ ! -f "$FUSEFS_PRELOAD" ]; then
    [ "$FS_BACKEND" = fusefs ] && nt_fail "preload library $FUSEFS_PRELOAD is missing (fuse/ build)"
    nt_skip "preload library $FUSEFS_PRELOAD is not built"
fi
required=
case "$FS_BACKEND" in
    fusefs) required="-r zero,collapse,blocks" ;;
    ext4) required="-r zero,collapse,blocks" ;;   # the library must pass calls through untouched
esac
echo "LD_PRELOAD=$FUSEFS_PRELOAD test_fallocate $required"
# shellcheck disable=SC2086
LD_PRELOAD=$FUSEFS_PRELOAD "$NATIVE_BIN/test_fallocate" $required "$CASE_DIR"
