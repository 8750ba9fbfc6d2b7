#!/usr/bin/env bash
# TIMEOUT: 120
# cp -a of a tree of more than 1,000 files into the mount and back out, compared with diff -r
# and with a manifest of types, modes, sizes, mtimes and link targets.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd cp diff find

src=$CASE_TMP/src
nt_make_tree "$src" 1100
count=$(find "$src" -type f | wc -l)
echo "source tree: $count regular files"
[ "$count" -ge 1000 ] || nt_fail "tree generator made $count files, expected >= 1000"

nt_run cp -a "$src" "$CASE_DIR/copy"
echo "comparing: diff -r $src $CASE_DIR/copy"
diff -r "$src" "$CASE_DIR/copy" || nt_fail "diff -r source vs copy in the mount differs"
nt_manifest "$src" > "$CASE_TMP/manifest.src"
nt_manifest "$CASE_DIR/copy" > "$CASE_TMP/manifest.copy"
echo "comparing manifests (type, mode, size, mtime, link target) of $(wc -l < "$CASE_TMP/manifest.src") entries"
diff "$CASE_TMP/manifest.src" "$CASE_TMP/manifest.copy" \
    || nt_fail "cp -a did not preserve metadata (diff of manifests above: < source, > mount)"

nt_run cp -a "$CASE_DIR/copy" "$CASE_TMP/back"
diff -r "$src" "$CASE_TMP/back" || nt_fail "diff -r source vs copy read back out of the mount differs"
nt_manifest "$CASE_TMP/back" > "$CASE_TMP/manifest.back"
diff "$CASE_TMP/manifest.src" "$CASE_TMP/manifest.back" \
    || nt_fail "metadata changed on the way back out (< source, > copied back)"

# A copy inside the mount, then removal of the whole tree.
nt_run cp -a "$CASE_DIR/copy" "$CASE_DIR/copy2"
diff -r "$CASE_DIR/copy" "$CASE_DIR/copy2" || nt_fail "copy within the mount differs"
nt_run rm -rf "$CASE_DIR/copy2"
[ ! -e "$CASE_DIR/copy2" ] || nt_fail "rm -rf left $CASE_DIR/copy2 behind"
echo "cp -a: $count files in, out and within the mount are identical"
