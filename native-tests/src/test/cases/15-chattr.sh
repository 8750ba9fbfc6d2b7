#!/usr/bin/env bash
# TIMEOUT: 60
# Inode flags (chattr +a / +i): what append-only and immutable files and directories refuse,
# through every way of changing them; also chattr and lsattr themselves.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd chattr lsattr

echo "test_chattr: append-only and immutable files and directories, ext4's answers"
"$NATIVE_BIN/test_chattr" "$CASE_DIR"

f=$CASE_DIR/chattr-tool
echo data > "$f"
nt_run chattr +a "$f"
attrs=$(lsattr -d "$f" | cut -d' ' -f1)
echo "lsattr after chattr +a: $attrs"
[[ "$attrs" == *a* ]] || nt_fail "lsattr does not show the append-only flag: $attrs"
err=$(rm -f "$f" 2>&1) && nt_fail "rm of an append-only file succeeded"
[[ "$err" == *"Operation not permitted"* ]] || nt_fail "rm of an append-only file: expected EPERM, got: $err"
echo more >> "$f"
nt_run chattr -a "$f"
[ "$(cat "$f")" = "$(printf 'data\nmore')" ] || nt_fail "contents after an append to an append-only file: $(cat "$f")"
rm "$f"
