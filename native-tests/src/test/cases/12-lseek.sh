#!/usr/bin/env bash
# TIMEOUT: 60
# lseek SEEK_DATA / SEEK_HOLE: without the preload library FUSE (libfuse 2, no FUSE_LSEEK) may
# give the generic answer (all data, hole at EOF); with it, holes must be reported as on ext4.
. "$NT_LIB"
set -euo pipefail

holes=
[ "$FS_BACKEND" = fusefs ] || holes=-H
echo "test_lseek $holes (without the preload library)"
"$NATIVE_BIN/test_lseek" $holes "$CASE_DIR"

if [ ! -f "$FUSEFS_PRELOAD" ]; then
    [ "$FS_BACKEND" = fusefs ] && nt_fail "preload library $FUSEFS_PRELOAD is missing (fuse/ build)"
    echo "preload library not built: the run with LD_PRELOAD is left out on $FS_BACKEND"
    exit 0
fi
echo "LD_PRELOAD=$FUSEFS_PRELOAD test_lseek -H"
LD_PRELOAD=$FUSEFS_PRELOAD "$NATIVE_BIN/test_lseek" -H "$CASE_DIR"
