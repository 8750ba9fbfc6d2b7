#!/usr/bin/env bash
# Runs the native cases (src/test/cases/*.sh) against a live mount, after libfuse's test/cases
# runner: the filesystem is mounted once, every case gets a private directory under the mount
# ($CASE_DIR) and one outside it ($CASE_TMP), runs with the timeout from its "# TIMEOUT:" line,
# and exits 0 (pass), 77 (skip: a capability is missing) or anything else (fail). With CI=true a
# skip fails the run. Whatever happens, also on timeout or kill, every mount is removed on exit.
#
# usage: run-cases.sh [NAME-SUBSTRING...]     (no argument: every case)
# environment:
#   FS_BACKEND        fusefs (default) | ext4 | tmpfs   -- ext4 and tmpfs give Linux's own answers
#   FUSEFS_MOUNT_CMD  foreground mount command, see lib.sh; FUSEFS_MOUNT_OPTS extra options
#   FUSEFS_ROOT       repository root (default: three levels up from native-tests/src/test)
#   NATIVE_BIN        the built C programs (default native-tests/target/bin)
#   NATIVE_LOGS       where case and daemon logs are kept (default native-tests/target/native-logs)
set -uo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
cases_dir=$(cd "$here/../cases" && pwd)
export FUSEFS_ROOT=${FUSEFS_ROOT:-$(cd "$here/../../../.." && pwd)}
export FUSEFS_ROOT=$(cd "$FUSEFS_ROOT" && pwd)
export NATIVE_BIN=${NATIVE_BIN:-$FUSEFS_ROOT/native-tests/target/bin}
export NT_LOGS=${NATIVE_LOGS:-$FUSEFS_ROOT/native-tests/target/native-logs}
export NT_LIB=$here/lib.sh
export FS_BACKEND=${FS_BACKEND:-fusefs}
# shellcheck source=lib.sh
. "$NT_LIB"
export FUSEFS_CLI FUSEFS_MOUNT_CMD FUSEFS_MOUNT_OPTS FUSEFS_PRELOAD

mkdir -p "$NT_LOGS"
NT_WORK=$(mktemp -d /tmp/fusefs-native.XXXXXX)
export NT_WORK
export NT_REGISTRY=$NT_WORK/mounts
: > "$NT_REGISTRY"
MNT=$NT_WORK/mnt
case_pid=

runner_cleanup() {
    local rc=$?
    trap '' INT TERM HUP
    if [ -n "${case_pid:-}" ] && nt_pid_alive "$case_pid"; then
        echo "run-cases: stopping the running case (pid $case_pid)" >&2
        kill -TERM "$case_pid" 2>/dev/null
        for _ in $(seq 1 150); do nt_pid_alive "$case_pid" || break; sleep 0.1; done
    fi
    for reg in "$NT_WORK"/cases/*/mounts; do
        [ -f "$reg" ] && nt_cleanup_registry "$reg"
    done
    nt_cleanup_registry "$NT_REGISTRY"
    if grep -q " $NT_WORK" /proc/mounts; then
        echo "run-cases: something is still mounted under $NT_WORK; leaving it in place" >&2
        grep " $NT_WORK" /proc/mounts >&2
    else
        rm -rf --one-file-system "$NT_WORK"
    fi
    exit "$rc"
}
trap runner_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A missing capability of the runner itself skips everything, or fails under CI.
missing_capability() {
    if [ "${CI:-}" = true ]; then
        echo "run-cases: FAIL: $* (CI=true: a missing capability is a failure)" >&2
        exit 1
    fi
    echo "run-cases: SKIP all native cases: $*" >&2
    exit 0
}
[ "$(id -u)" -eq 0 ] || missing_capability "not root (mounting and loop devices need root)"
if [ "$FS_BACKEND" = fusefs ]; then
    [ -c /dev/fuse ] || missing_capability "/dev/fuse is missing"
    command -v fusermount >/dev/null || missing_capability "fusermount is not installed (package fuse)"
    if [ "${FUSEFS_MOUNT_CMD}" = "$FUSEFS_CLI mount" ] && [ ! -f "$FUSEFS_ROOT/fuse/target/fusefs.jar" ]; then
        echo "run-cases: FAIL: $FUSEFS_ROOT/fuse/target/fusefs.jar is missing (build fuse/ first)" >&2
        exit 1
    fi
fi
[ -x "$NATIVE_BIN/test_fallocate" ] || missing_capability "C programs not built in $NATIVE_BIN (gcc missing?)"

selected=()
for c in "$cases_dir"/*.sh; do
    name=$(basename "$c" .sh)
    if [ $# -eq 0 ]; then selected+=("$c"); continue; fi
    for want in "$@"; do [[ "$name" == *"$want"* ]] && { selected+=("$c"); break; }; done
done

echo "run-cases: backend $FS_BACKEND, ${#selected[@]} cases, work dir $NT_WORK, logs $NT_LOGS"
suite_start=$(date +%s.%N)
fs_mount "$MNT" || { echo "run-cases: FAIL: could not mount $FS_BACKEND on $MNT" >&2; exit 1; }

declare -a results=()
failed=0
for c in "${selected[@]}"; do
    name=$(basename "$c" .sh)
    timeout=$(sed -n 's/^# TIMEOUT: *\([0-9]*\).*/\1/p' "$c" | head -n 1)
    timeout=${timeout:-60}
    export CASE_NAME=$name CASE_DIR=$MNT/$name CASE_TMP=$NT_WORK/cases/$name
    mkdir -p "$CASE_TMP"
    if ! mkdir "$CASE_DIR"; then
        results+=("FAIL    $name (mkdir of the private directory failed)")
        failed=1
        continue
    fi
    log=$NT_LOGS/$name.log
    echo "START   $name (timeout ${timeout}s)"
    start=$(date +%s.%N)
    # timeout runs the case in its own process group and signals all of it. The case runs in
    # the background so that a signal to the runner is handled at once (wait is interruptible).
    NT_REGISTRY=$CASE_TMP/mounts timeout -k 10 "$timeout" bash "$c" \
        > >(tee "$log" | sed -u "s|^|  $name: |") 2>&1 &
    case_pid=$!
    wait "$case_pid"
    rc=$?
    case_pid=
    elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    nt_cleanup_registry "$CASE_TMP/mounts"
    case $rc in
        0) verdict=PASS ;;
        77) if [ "${CI:-}" = true ]; then verdict="FAIL"; failed=1; reason=" (skipped under CI=true)";
            else verdict=SKIP; fi ;;
        124|137) verdict=FAIL; failed=1; reason=" (timed out after ${timeout}s)" ;;
        *) verdict=FAIL; failed=1; reason=" (exit status $rc)" ;;
    esac
    line=$(printf '%-7s %-28s %7.1fs%s' "$verdict" "$name" "$elapsed" "${reason:-}")
    echo "$line"
    results+=("$line")
    reason=
    if ! stat "$MNT/." >/dev/null 2>&1 || ! nt_is_mounted "$MNT"; then
        results+=("FAIL    the mount on $MNT is gone after $name; remaining cases not run")
        failed=1
        break
    fi
    rm -rf "$CASE_DIR" || { results+=("FAIL    rm -rf of $name's private directory failed"); failed=1; }
    rm -rf --one-file-system "$CASE_TMP"
done

echo
echo "run-cases: results ($FS_BACKEND, $(awk -v a="$suite_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s; logs in $NT_LOGS)"
printf '  %s\n' "${results[@]}"
exit $failed
