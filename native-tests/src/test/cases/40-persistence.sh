#!/usr/bin/env bash
# TIMEOUT: 180
# Mount an image, write a tree (with renames, deletions, a sparse and a preallocated file),
# unmount, mount again and compare contents and metadata with what was written.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd diff find fallocate
trap 'nt_cleanup_registry "$NT_REGISTRY"' EXIT

image=$CASE_TMP/fs.img
mnt=$CASE_TMP/mnt
fs_mkfs "$image" 1G
fs_mount "$mnt" "$image" || nt_fail "mount of $image failed"

src=$CASE_TMP/src
nt_make_tree "$src" 1000
# tar rather than cp -a: this case is about persistence; 20-cp-a covers cp's ACL-based modes.
mkdir "$mnt/tree"
tar -C "$src" -cf - . | tar -C "$mnt/tree" -xpf - || nt_fail "tar copy of the tree into the mount failed"
# Changes after the copy: the image must hold the final state, not the first.
mv "$mnt/tree/d1/e1" "$mnt/tree/d1/moved" && mv "$src/d1/e1" "$src/d1/moved"
rm -r "$mnt/tree/d2" && rm -r "$src/d2"
for d in "$mnt/tree" "$src"; do
    truncate -s 10M "$d/sparse"
    printf 'middle' | dd of="$d/sparse" bs=1 seek=5000000 conv=notrunc status=none
    fallocate -l 3M "$d/prealloc"
    printf 'head' | dd of="$d/prealloc" conv=notrunc status=none
    touch -h -d '2021-03-04 05:06:07' "$d/sparse" "$d/prealloc" "$d/d1" "$d"
done
blocks_sparse=$(stat -c %b "$mnt/tree/sparse")
nt_manifest "$src" > "$CASE_TMP/manifest.src"
nt_manifest "$mnt/tree" > "$CASE_TMP/manifest.before"
diff "$CASE_TMP/manifest.src" "$CASE_TMP/manifest.before" \
    || nt_fail "tree in the mount differs from the source before unmounting (< source, > mount)"

fs_umount "$mnt" || nt_fail "unmount failed"
fs_mount "$mnt" "$image" || nt_fail "second mount of $image failed"
echo "comparing the tree after remount with the source: diff -r and manifests"
diff -r "$src" "$mnt/tree" || nt_fail "contents differ after remount"
nt_manifest "$mnt/tree" > "$CASE_TMP/manifest.after"
diff "$CASE_TMP/manifest.src" "$CASE_TMP/manifest.after" \
    || nt_fail "metadata differs after remount (< source, > remounted)"
after_sparse=$(stat -c %b "$mnt/tree/sparse")
echo "st_blocks of the 10 MiB sparse file: before $blocks_sparse, after remount $after_sparse"
[ "$after_sparse" = "$blocks_sparse" ] || nt_fail "st_blocks of sparse: expected $blocks_sparse, got $after_sparse"
[ "$after_sparse" -lt 2048 ] || nt_fail "sparse file holds $after_sparse blocks after remount: holes were filled"
fs_umount "$mnt" || nt_fail "final unmount failed"
echo "persistence: $(wc -l < "$CASE_TMP/manifest.src") entries identical after remount"
