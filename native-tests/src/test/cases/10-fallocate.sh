#!/usr/bin/env bash
# TIMEOUT: 120
# fallocate(2) through the mount without the preload library: every mode and error case, punch
# and zero seen by pread and mmap. Through FUSE the kernel itself refuses COLLAPSE / INSERT with
# EOPNOTSUPP (spec fuse-kernel.md §1.1); test_fallocate checks that and skips their effects.
. "$NT_LIB"
set -euo pipefail

required=
case "$FS_BACKEND" in
    fusefs) required="-r zero,blocks" ;;       # ZERO_RANGE reaches the daemon, which implements it
    ext4) required="-r zero,collapse,blocks" ;;
esac
echo "comparing fallocate results with Linux's errno sets and zero-filled reads ($required)"
# shellcheck disable=SC2086
"$NATIVE_BIN/test_fallocate" $required "$CASE_DIR"
