#!/usr/bin/env bash
# TIMEOUT: 180
# mkfs.ext4 on an image file inside the mount, mount -o loop of it, files written and read back,
# umount, mount again and read again, umount, fsck.ext4 -fn clean; then the same image through
# losetup --direct-io=on (O_DIRECT on the mount), fsck clean again.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd mkfs.ext4 fsck.ext4 losetup sha256sum
nt_require_loop
trap 'nt_cleanup_registry "$NT_REGISTRY"' EXIT

image=$CASE_DIR/ext4.img
inner=$CASE_TMP/inner
nt_run truncate -s 256M "$image"
nt_run mkfs.ext4 -q -F "$image"
nt_loop_mount "$image" "$inner"
echo "loop device: $(losetup -j "$image")"

nt_make_tree "$inner/tree" 200
head -c 48M /dev/urandom > "$inner/blob"
want=$(sha256sum < "$inner/blob" | cut -d' ' -f1)
manifest=$(nt_manifest "$inner/tree")
sync
# Drop the loop device's cache so the reads below come through the mount again.
echo 3 > /proc/sys/vm/drop_caches
have=$(sha256sum < "$inner/blob" | cut -d' ' -f1)
[ "$have" = "$want" ] || nt_fail "sha256 of blob read back: expected $want, got $have"

fs_umount "$inner" || nt_fail "umount of the loop mount failed"
nt_loop_mount "$image" "$inner"
have=$(sha256sum < "$inner/blob" | cut -d' ' -f1)
echo "sha256 of the 48 MiB blob: written $want, after loop remount $have"
[ "$have" = "$want" ] || nt_fail "sha256 of blob after loop remount: expected $want, got $have"
[ "$(nt_manifest "$inner/tree")" = "$manifest" ] || nt_fail "tree manifest changed across the loop remount"
fs_umount "$inner" || nt_fail "final umount of the loop mount failed"
left=$(losetup -j "$image")
[ -z "$left" ] || nt_fail "loop device still attached after umount: $left"

echo "+ fsck.ext4 -fn $image"
fsck.ext4 -fn "$image" || nt_fail "fsck.ext4 -fn $image: expected status 0 (clean), got $?"

# The same image through a loop device with direct I/O: the loop driver reads and writes the
# file on the mount with O_DIRECT, 512-byte aligned requests that bypass its page cache.
dev=$(nt_losetup_dio "$image")
dio=$(cat "/sys/block/$(basename "$dev")/loop/dio")
echo "loop device $dev with --direct-io=on: /sys/block/.../loop/dio = $dio"
[ "$dio" = 1 ] || nt_fail "loop direct I/O on a file in the mount: expected dio 1, got $dio (the kernel dropped it)"
mkdir -p "$inner"
nt_register mount - "$inner" "$dev"
nt_run mount "$dev" "$inner"
have=$(sha256sum < "$inner/blob" | cut -d' ' -f1)
[ "$have" = "$want" ] || nt_fail "sha256 of blob through the direct-I/O loop: expected $want, got $have"
head -c 16M /dev/urandom > "$inner/blob2"
want2=$(sha256sum < "$inner/blob2" | cut -d' ' -f1)
fs_umount "$inner" || nt_fail "umount of the direct-I/O loop mount failed"
nt_losetup_detach "$dev"
echo "+ fsck.ext4 -fn $image (after the direct-I/O pass)"
fsck.ext4 -fn "$image" || nt_fail "fsck.ext4 -fn $image after the direct-I/O pass: expected status 0, got $?"
nt_loop_mount "$image" "$inner"
have=$(sha256sum < "$inner/blob2" | cut -d' ' -f1)
echo "sha256 of the 16 MiB blob written through the direct-I/O loop: $want2, read back: $have"
[ "$have" = "$want2" ] || nt_fail "blob2 written through the direct-I/O loop: expected $want2, got $have"
fs_umount "$inner" || nt_fail "last umount of the loop mount failed"
echo "ext4 in a file on the mount: written, read, remounted, direct-I/O loop, fsck clean"
