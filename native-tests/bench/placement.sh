#!/usr/bin/env bash
# How much of a FUSE request's cost is the scheduler's (run by hand, not a test): one job of 4 KiB
# O_DIRECT random reads on a fusefs mount, with fio and the daemon pinned to the same CPU, to
# different CPUs, and left to the scheduler. On a VM whose idle vCPUs halt, every wake-up across
# CPUs is an exit to the host; the first two rows bound what placement alone does to IOPS and to
# the daemon's CPU per request.
#
# usage: native-tests/bench/placement.sh [SECONDS]     (as root; needs fio, taskset, 2+ CPUs)
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-8}
[ "$(id -u)" -eq 0 ] || { echo "placement: run as root" >&2; exit 1; }
for c in fio taskset; do command -v "$c" >/dev/null || { echo "placement: $c is not installed" >&2; exit 1; }; done
[ "$(nproc)" -ge 2 ] || { echo "placement: needs two CPUs" >&2; exit 1; }

mnt=$(mktemp -d /tmp/fusefs-placement.XXXXXX)
cleanup() { "$root/fusefs" umount "$mnt" >/dev/null 2>&1; rmdir "$mnt" 2>/dev/null; }
trap cleanup EXIT
"$root/fusefs" mount --background --size 1G "$mnt" >/dev/null || exit 1
pid=$(pgrep -f "java.*fusefs.*$mnt" | head -n 1)
[ -n "$pid" ] || { echo "placement: daemon pid not found" >&2; exit 1; }
fio --name=lay --directory="$mnt" --filename=f --size=64m --rw=write --bs=1M >/dev/null || exit 1

ticks() { sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'; }
# run LABEL FIO_CPU DAEMON_CPUS: prints IOPS and daemon CPU per request
run() {
    local label=$1 fcpu=$2 dcpus=$3 pre=() out t0 t1
    taskset -a -p -c "$dcpus" "$pid" >/dev/null
    [ "$fcpu" != any ] && pre=(taskset -c "$fcpu")
    common=(--name=r --directory="$mnt" --filename=f --size=64m --rw=randread --bs=4k --direct=1
            --ioengine=psync --time_based)
    "${pre[@]}" fio "${common[@]}" --runtime=2 >/dev/null   # warm-up in this placement
    t0=$(ticks)
    out=$("${pre[@]}" fio "${common[@]}" --runtime="$secs" --output-format=terse --terse-version=3)
    t1=$(ticks)
    echo "$out" | awk -F';' -v l="$label" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '{
        ios = $8 * $9 / 1000; printf "%-34s %9.0f IOPS %8.1f µs daemon CPU per request\n", l, $8, t / hz * 1e6 / ios }'
}
last=$(( $(nproc) - 1 ))
echo "fusefs placement: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r), ${secs}s per row"
run "fio and daemon on CPU 0" 0 0
run "fio on CPU 0, daemon on CPU $last" 0 "$last"
run "scheduler's choice" any "0-$last"
