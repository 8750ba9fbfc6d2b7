#!/usr/bin/env bash
# TIMEOUT: 60
# Hard links: one st_ino and st_nlink for both names, and data written through one name seen
# through the other (descriptor and mapping opened before the write).
. "$NT_LIB"
set -euo pipefail

echo "test_link: comparing st_ino / st_nlink of both names and the bytes read through each"
"$NATIVE_BIN/test_link" "$CASE_DIR"
