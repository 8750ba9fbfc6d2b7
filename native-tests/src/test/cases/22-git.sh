#!/usr/bin/env bash
# TIMEOUT: 120
# git init, add, commit (twice), fsck, status, log and a clone out of the mount.
. "$NT_LIB"
set -euo pipefail
nt_require_cmd git

export GIT_AUTHOR_NAME=fusefs GIT_AUTHOR_EMAIL=fusefs@example.org
export GIT_COMMITTER_NAME=fusefs GIT_COMMITTER_EMAIL=fusefs@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$CASE_TMP
repo=$CASE_DIR/repo
nt_make_tree "$repo" 300
cd "$repo"
nt_run git init -q -b main .
nt_run git add -A
nt_run git commit -q -m "first"
nt_run git fsck --strict --no-progress
status=$(git status --porcelain)
[ -z "$status" ] || nt_fail "git status after commit: expected clean, got: $status"

echo changed >> d1/e1/f1
rm d2/e2/f2
mv d3/e3/f3 d3/e3/renamed
nt_run git add -A
nt_run git commit -q -m "second"
changes=$(git diff --name-status HEAD~1 HEAD | LC_ALL=C sort | tr '\n' ' ')
expected="D	d2/e2/f2 M	d1/e1/f1 R100	d3/e3/f3	d3/e3/renamed "
echo "comparing git diff --name-status HEAD~1: expected '$expected', got '$changes'"
[ "$changes" = "$expected" ] || nt_fail "git diff HEAD~1: expected '$expected', got '$changes'"
count=$(git rev-list --count HEAD)
[ "$count" -eq 2 ] || nt_fail "git rev-list --count HEAD: expected 2, got $count"
nt_run git gc -q
nt_run git fsck --strict --no-progress

cd "$CASE_TMP"
nt_run git clone -q "$repo" clone
diff -r --no-dereference -x .git -x empty "$repo" clone || nt_fail "clone out of the mount differs from the work tree"
echo "git: two commits, fsck clean, clone identical"
