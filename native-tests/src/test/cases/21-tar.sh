#!/usr/bin/env bash
# TIMEOUT: 120
# tar into the mount (archive written there, then extracted there) and out of it, compared with
# diff -r, tar --compare and manifests.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd tar diff

src=$CASE_TMP/src
nt_make_tree "$src" 600
nt_run tar -C "$src" -cf "$CASE_DIR/tree.tar" .
nt_run mkdir "$CASE_DIR/x"
nt_run tar -C "$CASE_DIR/x" -xpf "$CASE_DIR/tree.tar"
echo "comparing: diff -r $src $CASE_DIR/x"
diff -r "$src" "$CASE_DIR/x" || nt_fail "tree extracted in the mount differs from the source"
diff <(nt_manifest "$src") <(nt_manifest "$CASE_DIR/x") \
    || nt_fail "tar -x in the mount did not restore metadata (< source, > mount)"
echo "comparing: tar --compare of the archive in the mount against the source tree"
tar -C "$src" --compare -f "$CASE_DIR/tree.tar" || nt_fail "tar --compare reported differences"

# Out: archive a tree that lives in the mount to a pipe and extract it outside.
mkdir "$CASE_TMP/out"
tar -C "$CASE_DIR/x" -cf - . | tar -C "$CASE_TMP/out" -xpf - || nt_fail "tar out of the mount failed"
diff -r "$src" "$CASE_TMP/out" || nt_fail "tree archived out of the mount differs"
diff <(nt_manifest "$src") <(nt_manifest "$CASE_TMP/out") \
    || nt_fail "metadata changed on the way out (< source, > out)"

# A compressed archive streamed into the mount and listed.
tar -C "$src" -czf - . > "$CASE_DIR/tree.tgz" || nt_fail "tar -cz into the mount failed"
want=$(tar -tzf "$CASE_DIR/tree.tgz" | wc -l)
have=$(cd "$src" && find . | wc -l)
echo "tar -tz lists $want entries, the tree has $have"
[ "$want" -eq "$have" ] || nt_fail "tar -tz of the archive in the mount: expected $have entries, got $want"
echo "tar: in, out and within the mount agree"
