#!/usr/bin/env bash
# TIMEOUT: 300
# dd of 1 GiB onto an image-backed mount: the SHA-256 of the data written, of the file before
# unmounting and of the file after mounting the image again must be equal.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd sha256sum dd
trap 'nt_cleanup_registry "$NT_REGISTRY"' EXIT

image=$CASE_TMP/fs.img
mnt=$CASE_TMP/mnt
fs_mkfs "$image" 2G
fs_mount "$mnt" "$image" || nt_fail "mount of $image failed"

mkfifo "$CASE_TMP/tap"
sha256sum < "$CASE_TMP/tap" > "$CASE_TMP/sum.written" &
summer=$!
echo "+ head -c 1G /dev/urandom | tee tap | dd of=$mnt/big bs=1M conv=fsync"
head -c 1G /dev/urandom | tee "$CASE_TMP/tap" \
    | dd of="$mnt/big" bs=1M iflag=fullblock conv=fsync status=none || nt_fail "dd into the mount failed"
wait "$summer"
written=$(cut -d' ' -f1 "$CASE_TMP/sum.written")
size=$(stat -c %s "$mnt/big")
[ "$size" -eq 1073741824 ] || nt_fail "size of $mnt/big: expected 1073741824, got $size"
before=$(sha256sum < "$mnt/big" | cut -d' ' -f1)
echo "sha256 written: $written"
echo "sha256 before unmount: $before"
[ "$before" = "$written" ] || nt_fail "sha256 of the file before unmount: expected $written, got $before"

fs_umount "$mnt" || nt_fail "unmount of $mnt failed"
fs_mount "$mnt" "$image" || nt_fail "second mount of $image failed"
after=$(sha256sum < "$mnt/big" | cut -d' ' -f1)
echo "sha256 after remount:  $after"
[ "$after" = "$written" ] || nt_fail "sha256 of the file after remount: expected $written, got $after"
fs_umount "$mnt" || nt_fail "final unmount of $mnt failed"
echo "dd: 1 GiB identical before and after remount"
