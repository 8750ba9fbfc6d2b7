#!/usr/bin/env bash
# TIMEOUT: 180
# A full filesystem: dd and a later write fail with ENOSPC at write time (not later, at
# writeback), df shows no space, what was there before is unchanged, deleting the filler gives
# the space back, new data fits again and everything survives a remount.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd sha256sum dd df
trap 'nt_cleanup_registry "$NT_REGISTRY"' EXIT

image=$CASE_TMP/fs.img
mnt=$CASE_TMP/mnt
fs_mkfs "$image" 64M
fs_mount "$mnt" "$image" || nt_fail "mount of $image failed"
avail() { df -k --output=avail "$mnt" | tail -n 1 | tr -d ' '; }
empty=$(avail)
echo "available when empty: $empty KiB"

head -c 1M /dev/urandom > "$mnt/keep"
keep=$(sha256sum < "$mnt/keep" | cut -d' ' -f1)

err=$(dd if=/dev/zero of="$mnt/fill" bs=1M 2>&1) && nt_fail "dd of an endless stream into 64 MiB succeeded"
echo "dd: ${err##*$'\n'}"
[[ "$err" == *"No space left on device"* ]] || nt_fail "dd into a full filesystem: expected ENOSPC, got: $err"
left=$(avail)
echo "available when full: $left KiB"
[ "$left" -lt 1024 ] || nt_fail "df shows $left KiB available on a full filesystem"
# More than df says is left must fail too, at write time (ext4 may still take a few hundred KiB
# after dd's ENOSPC: it keeps clusters back for metadata).
err=$(head -c 2M /dev/urandom 2>&1 > "$mnt/small") && nt_fail "a 2 MiB write into a full filesystem succeeded"
[[ "$err" == *"No space left on device"* ]] || nt_fail "2 MiB write into a full filesystem: expected ENOSPC, got: $err"
[ "$(sha256sum < "$mnt/keep" | cut -d' ' -f1)" = "$keep" ] || nt_fail "keep changed while the filesystem was full"

nt_run rm "$mnt/fill" "$mnt/small"
sync "$mnt/keep"
back=$(avail)
echo "available after rm: $back KiB"
[ "$back" -ge $((empty - 2048)) ] || nt_fail "after rm of the filler only $back of $empty KiB are available"

head -c 16M /dev/urandom > "$CASE_TMP/again"
nt_run cp "$CASE_TMP/again" "$mnt/again"
fs_umount "$mnt" || nt_fail "unmount failed"
fs_mount "$mnt" "$image" || nt_fail "second mount of $image failed"
[ "$(sha256sum < "$mnt/keep" | cut -d' ' -f1)" = "$keep" ] || nt_fail "keep differs after remount"
cmp "$CASE_TMP/again" "$mnt/again" || nt_fail "again differs after remount"
fs_umount "$mnt" || nt_fail "final unmount failed"
echo "enospc: write-time ENOSPC, space returned by rm, data intact across remount"
