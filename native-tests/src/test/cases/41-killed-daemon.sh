#!/usr/bin/env bash
# TIMEOUT: 240
# A daemon killed with SIGKILL loses nothing that fsync returned for, and nothing else leaks into
# the image: files and directories fsynced, then more files, a rename and a growing file that
# are not; kill -9; the dead mount answers ENOTCONN (or ECONNABORTED) to
# what needs the daemon; `fusefs umount` removes it; the image mounts
# again and shows exactly the fsynced state, readable and writable. (ext4 behaves the same way
# after a power cut; the ext4 and tmpfs backends have no daemon to kill.)
. "$NT_LIB"
set -euo pipefail
[ "$FS_BACKEND" = fusefs ] || nt_skip "the $FS_BACKEND backend has no daemon to kill"
nt_require_cmd sha256sum dd
trap 'nt_cleanup_registry "$NT_REGISTRY"' EXIT

image=$CASE_TMP/fs.img
mnt=$CASE_TMP/mnt
fs_mkfs "$image" 256M
fs_mount "$mnt" "$image" || nt_fail "mount of $image failed"
read -r _ pid _ <<< "$(grep " $mnt " "$NT_REGISTRY" | tail -n 1)"

mkdir -p "$mnt/durable/sub"
for i in $(seq 1 20); do head -c $((i * 37001)) /dev/urandom > "$mnt/durable/f$i"; done
head -c 5000 /dev/urandom > "$mnt/durable/sub/s"
dd if=/dev/urandom of="$mnt/durable/big" bs=1M count=32 conv=fsync status=none
nt_run sync "$mnt"/durable/f* "$mnt/durable/sub/s" "$mnt/durable/sub" "$mnt/durable"
(cd "$mnt" && find durable -type f | sort | xargs sha256sum) > "$CASE_TMP/durable.sum"
(cd "$mnt" && find . | sort) > "$CASE_TMP/names.durable"

# Not fsynced: must not appear after the kill, and must not damage what was fsynced.
mkdir "$mnt/churn"
for i in $(seq 1 50); do head -c 100000 /dev/urandom > "$mnt/churn/c$i"; done
mv "$mnt/durable/f1" "$mnt/durable/f1.renamed"
head -c 3M /dev/urandom >> "$mnt/durable/f2"

echo "+ kill -KILL $pid (the daemon)"
kill -KILL "$pid"
for _ in $(seq 1 100); do nt_pid_alive "$pid" || break; sleep 0.1; done
nt_pid_alive "$pid" && nt_fail "daemon $pid still alive after SIGKILL"
# Whatever needs the daemon fails (the kernel may still answer stat of names it holds).
err=$(ls "$mnt" 2>&1 >/dev/null) && nt_fail "listing the dead mount succeeded"
echo "ls of the dead mount: $err"
# ENOTCONN, or ECONNABORTED for a request the kernel had queued when the connection was aborted.
[[ "$err" == *"not connected"* || "$err" == *"connection abort"* ]] \
    || nt_fail "ls of the dead mount: expected ENOTCONN or ECONNABORTED, got: $err"

nt_run $FUSEFS_CLI umount "$mnt"
nt_is_mounted "$mnt" && nt_fail "$mnt is still mounted after fusefs umount"
nt_unregister "$mnt"

fs_mount "$mnt" "$image" || nt_fail "mount of $image after the kill failed"
(cd "$mnt" && find . | sort) > "$CASE_TMP/names.after"
diff "$CASE_TMP/names.durable" "$CASE_TMP/names.after" \
    || nt_fail "names after the kill differ from the fsynced state (< fsynced, > after)"
(cd "$mnt" && sha256sum --quiet -c "$CASE_TMP/durable.sum") \
    || nt_fail "contents after the kill differ from what fsync returned for"
# The filesystem is whole: it takes new data and keeps it across a clean unmount.
head -c 8M /dev/urandom > "$CASE_TMP/new"
nt_run cp "$CASE_TMP/new" "$mnt/durable/new"
fs_umount "$mnt" || nt_fail "unmount after the kill failed"
fs_mount "$mnt" "$image" || nt_fail "third mount of $image failed"
cmp "$CASE_TMP/new" "$mnt/durable/new" || nt_fail "a file written after the kill differs after remount"
(cd "$mnt" && sha256sum --quiet -c "$CASE_TMP/durable.sum") || nt_fail "fsynced contents differ after remount"
fs_umount "$mnt" || nt_fail "final unmount failed"
echo "killed daemon: $(wc -l < "$CASE_TMP/durable.sum") fsynced files intact, nothing unsynced leaked"
