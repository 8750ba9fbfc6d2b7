#!/usr/bin/env bash
# Benchmark (run by hand, not a test): the same fio jobs and a metadata job on fusefs, tmpfs,
# jnr-fuse's example MemoryFS and a jnr-fuse filesystem that does nothing (NoopFs), then one
# table with fusefs as a share of each, the daemons' CPU time per I/O and the project's aims.
#
# usage: native-tests/bench/run-bench.sh [JOB...]      (as root; needs fio, gcc, java, fuse)
#   jobs: seq-write seq-read rand-read rand-write rand-read-2j meta (default: all)
# environment:
#   BENCH_SIZE=1g         file size for fusefs, NoopFs and tmpfs
#   BENCH_SMALL=16m       file size for MemoryFS (it copies the whole file on every append) and
#                         for a second fusefs run that the MemoryFS ratio is taken against
#   BENCH_RUNTIME=10      seconds of each random job (time based)
#   BENCH_META_FILES=10000
#   BENCH_WARMUPS=2       untimed rounds of every job before the timed ones (JIT)
#   BENCH_ROUNDS=3        timed rounds; each round runs every job on every target in turn, and
#                         the table shows the median of the rounds
#   BENCH_TARGETS="fusefs noop tmpfs memfs fusefs-small"
#   FUSEFS_MOUNT_CMD / FUSEFS_MOUNT_OPTS   as for the native tests (see src/test/sh/lib.sh);
#                         FUSEFS_MOUNT_OPTS defaults to "--size 3G" here
#
# Method: all targets mounted at once; after an untimed warm-up per mount (every job twice,
# shortened; JIT), BENCH_ROUNDS rounds that run each job on every target in turn (medians are
# reported, and the spread of fusefs/no-op over the rounds); fio with ioengine psync,
# fallocate=none; sequential jobs buffered with 1 MiB blocks
# (the write ends with fsync); random jobs with 4 KiB blocks and O_DIRECT, so every fio I/O is
# one FUSE request and the page cache cannot answer for the filesystem; kernel caches dropped
# before every read job. Daemon CPU: utime + stime from /proc/PID/stat before and after each job,
# divided by fio's I/O count (for the random jobs that is the CPU per FUSE request).
set -uo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
export FUSEFS_ROOT=$(cd "$here/../.." && pwd)
# The fusefs RAM disk must hold the 1 GiB file (default RAM disk: 1G).
export FUSEFS_MOUNT_OPTS=${FUSEFS_MOUNT_OPTS:---size 3G}
. "$here/../src/test/sh/lib.sh"

size=${BENCH_SIZE:-1g}
small=${BENCH_SMALL:-16m}
runtime=${BENCH_RUNTIME:-10}
meta_files=${BENCH_META_FILES:-10000}
warmups=${BENCH_WARMUPS:-2}
rounds=${BENCH_ROUNDS:-3}
targets=(${BENCH_TARGETS:-fusefs noop tmpfs memfs fusefs-small})
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(seq-write seq-read rand-read rand-write rand-read-2j meta)
lib=${BENCH_LIB:-$FUSEFS_ROOT/native-tests/target/lib}   # jnr-fuse and its dependencies (the baselines)
clk_tck=$(getconf CLK_TCK)

[ "$(id -u)" -eq 0 ] || { echo "run-bench: run as root (mounts, drop_caches)" >&2; exit 1; }
for c in fio gcc javac fusermount; do
    command -v "$c" >/dev/null || { echo "run-bench: $c is not installed" >&2; exit 1; }
done
if ! ls "$lib"/jnr-fuse-*.jar >/dev/null 2>&1 && [ -z "${BENCH_LIB:-}" ]; then
    echo "run-bench: building the baselines' jars (mvn package -pl native-tests -am)..." >&2
    (cd "$FUSEFS_ROOT" && mvn -q -B -DskipTests package -pl native-tests -am >&2)
fi
ls "$lib"/jnr-fuse-*.jar >/dev/null 2>&1 || {
    echo "run-bench: $lib has no jnr-fuse jar; build first: mvn -q -pl native-tests -am package -DskipTests" >&2
    exit 1
}

work=$(mktemp -d /tmp/fusefs-bench.XXXXXX)
export NT_REGISTRY=$work/mounts NT_LOGS=$work
: > "$NT_REGISTRY"
cleanup() {
    local rc=$?
    trap '' INT TERM HUP
    nt_cleanup_registry "$NT_REGISTRY"
    if grep -q " $work" /proc/mounts; then
        echo "run-bench: still mounted under $work; left in place" >&2
    else
        rm -rf --one-file-system "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

gcc -O2 -Wall -o "$work/bench_meta" "$here/bench_meta.c" || exit 1
mkdir -p "$work/classes"
javac -nowarn -d "$work/classes" -cp "$lib/*" \
    "$FUSEFS_ROOT"/native-tests/src/main/java/org/fusefs/bench/*.java || exit 1

# Mounts target $1 on $2 and prints the daemon's pid ("-" for tmpfs).
mount_target() {
    local target=$1 mnt=$2 main pid
    mkdir -p "$mnt"
    case "$target" in
        fusefs|fusefs-small)
            FS_BACKEND=fusefs fs_mount "$mnt" >&2 || return 1
            pid=$(awk -v m="$mnt" '$3 == m { p = $2 } END { print p }' "$NT_REGISTRY")
            ;;
        noop|memfs)
            [ "$target" = noop ] && main=org.fusefs.bench.NoopFs || main=org.fusefs.bench.MemoryFsMain
            java -cp "$work/classes:$lib/*" "$main" "$mnt" > "$work/$target.log" 2>&1 &
            pid=$!
            nt_register fuse "$pid" "$mnt" -
            nt_wait_ready "$mnt" "$pid" "$work/$target.log" >&2 || return 1
            ;;
        tmpfs)
            nt_register mount - "$mnt" -
            mount -t tmpfs -o size=3g fusefs-bench-tmpfs "$mnt" || return 1
            pid=-
            ;;
    esac
    echo "$pid"
}

cpu_ticks() {
    [ "$1" = - ] && { echo 0; return; }
    # Fields after the command name: state is 3, utime 14, stime 15 (counted from the pid).
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# FUSE requests served so far, from the daemon's own counter (./fusefs stat); empty if unknown.
fusefs_requests() {
    $FUSEFS_CLI stat "$1" 2>/dev/null | awk '$1 == "requests" { print $2; exit }'
}

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# Runs one job on a mounted target; prints "VALUE IOS" (VALUE in the job's unit).
run_job() {
    local job=$1 mnt=$2 fsize=$3 out common rt=$runtime nfiles=$meta_files
    [ -n "${WARMUP:-}" ] && { rt=3; nfiles=2000; }
    common=(--directory="$mnt" --filename=bench.dat --size="$fsize" --ioengine=psync
            --fallocate=none --invalidate=1 --output-format=terse --terse-version=3)
    case "$job" in
        seq-write) out=$(fio --name=$job "${common[@]}" --rw=write --bs=1M --end_fsync=1) ;;
        seq-read) drop_caches; out=$(fio --name=$job "${common[@]}" --rw=read --bs=1M) ;;
        rand-read) drop_caches
            out=$(fio --name=$job "${common[@]}" --rw=randread --bs=4k --direct=1 \
                --time_based --runtime="$rt") ;;
        rand-write)
            out=$(fio --name=$job "${common[@]}" --rw=randwrite --bs=4k --direct=1 \
                --time_based --runtime="$rt") ;;
        rand-read-2j) drop_caches
            out=$(fio --name=$job "${common[@]}" --rw=randread --bs=4k --direct=1 \
                --time_based --runtime="$rt" --numjobs=2 --group_reporting) ;;
        meta)
            # create/s stat/s unlink/s ops seconds -> ops per second over the three phases
            "$work/bench_meta" "$mnt" "$nfiles" | awk '{ printf "%.0f %d\n", $4 / $5, $4 }'
            return
            ;;
    esac
    [ -n "$out" ] || { echo "fio failed" >&2; return 1; }
    # terse v3: read bw KiB/s 7, read iops 8; write bw 48, write iops 49; runtime ms 9 / 50.
    echo "$out" | awk -F';' -v job="$job" '{
        if (job ~ /write/) { bw = $48; iops = $49; ms = $50 } else { bw = $7; iops = $8; ms = $9 }
        ios = iops * ms / 1000
        if (job ~ /^seq/) printf "%.0f %.0f\n", bw / 1024, ios; else printf "%.0f %.0f\n", iops, ios
    }'
}

# Every target is mounted and warmed up first; then the timed runs go round by round, each job
# on every target one after another, so that the ratios compare runs minutes apart at most
# rather than a whole target's runs apart (this shared 2-CPU VM's figures drift 2-5x within an
# hour). The table gives each figure's median over the rounds.
declare -A value cpu reqcpu runs cpus reqcpus pids mnts sizes
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
live=()
for target in "${targets[@]}"; do
    fsize=$size
    [ "$target" = memfs ] || [ "$target" = fusefs-small ] && fsize=$small
    if [[ "$target" == fusefs* ]] && [ "$FUSEFS_MOUNT_CMD" = "$FUSEFS_CLI mount" ] \
        && [ ! -f "$FUSEFS_ROOT/fuse/target/fusefs.jar" ]; then
        echo "run-bench: skipping $target: fuse/target/fusefs.jar is not built" >&2
        continue
    fi
    mnt=$work/mnt-$target
    echo "run-bench: mounting $target ($fsize files)" >&2
    pid=$(mount_target "$target" "$mnt") || { echo "run-bench: mount of $target failed" >&2; continue; }
    pids[$target]=$pid; mnts[$target]=$mnt; sizes[$target]=$fsize
    live+=("$target")
    # Untimed warm-up: every job $warmups times (random jobs for 3 s, meta on 2,000 files), so
    # that the Java daemons are measured after JIT compilation of the very paths each job uses
    # (buffered write, writeback, readahead, O_DIRECT, metadata) and not while the compiler
    # competes for the CPUs. One round is not enough: C2 recompiles the write path during the
    # second GiB (fusefs daemon CPU per MiB written, 1 GiB passes: 4.8, 2.0, 1.2, 1.0 ms).
    for ((round = 0; round < warmups; round++)); do
        for job in "${jobs[@]}"; do
            WARMUP=1 run_job "$job" "$mnt" "$fsize" > /dev/null \
                || echo "run-bench: warm-up $job on $target failed" >&2
        done
        rm -f "$mnt/bench.dat"
    done
done

for ((round = 1; round <= rounds; round++)); do
    for job in "${jobs[@]}"; do
        for target in "${live[@]}"; do
            pid=${pids[$target]}; mnt=${mnts[$target]}; fsize=${sizes[$target]}
            [ "$job" = seq-write ] && rm -f "$mnt/bench.dat"
            req_before=
            [[ "$target" == fusefs* ]] && req_before=$(fusefs_requests "$mnt")
            before=$(cpu_ticks "$pid")
            result=$(run_job "$job" "$mnt" "$fsize") || { echo "run-bench: $target $job failed" >&2; continue; }
            after=$(cpu_ticks "$pid")
            read -r v ios <<< "$result"
            runs[$target:$job]+="$v "
            c= rc= reqs=
            if [ "$pid" != - ] && [ "${ios:-0}" -gt 0 ]; then
                c=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$ios" \
                    'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
                cpus[$target:$job]+="$c "
            fi
            if [ -n "$req_before" ]; then
                req_after=$(fusefs_requests "$mnt")
                reqs=$(( ${req_after:-0} - req_before ))
                if [ "$reqs" -gt 0 ]; then
                    rc=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$reqs" \
                        'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
                    reqcpus[$target:$job]+="$rc "
                fi
            fi
            echo "run-bench: round $round: $target $job: $v (${c:-n/a} µs CPU per I/O, $ios I/Os;" \
                "${reqs:-?} FUSE requests, ${rc:-n/a} µs CPU per request)" >&2
        done
    done
done
for target in "${live[@]}"; do
    rm -f "${mnts[$target]}/bench.dat"
    fs_umount "${mnts[$target]}" >&2 || echo "run-bench: unmount of $target failed" >&2
done

median() {  # the median of the numbers given (the mean of the middle two for an even count)
    [ $# -gt 0 ] || return 0
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
        if (m >= 100 || m == int(m)) printf "%.0f\n", m; else printf "%.1f\n", m }'
}
for key in "${!runs[@]}"; do
    # shellcheck disable=SC2086 # space-separated lists of numbers
    value[$key]=$(median ${runs[$key]})
    [ -n "${cpus[$key]:-}" ] && cpu[$key]=$(median ${cpus[$key]})
    [ -n "${reqcpus[$key]:-}" ] && reqcpu[$key]=$(median ${reqcpus[$key]})
done

ratio() {  # a / b as a percentage or factor, n/a when either is missing
    local a=${1:-} b=${2:-} kind=$3
    if [ -z "$a" ] || [ -z "$b" ] || [ "$b" = 0 ]; then echo n/a; return; fi
    if [ "$kind" = pct ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f%%", 100 * a / b }'
    else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }'; fi
}

spread() {  # lowest-highest of the per-round percentages of two lists of figures, one per round
    local a=$1 b=$2
    [ -n "$a" ] && [ -n "$b" ] || { echo n/a; return; }
    awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x, " "); m = split(b, y, " ")
        if (n != m) { print "n/a"; exit }
        for (i = 1; i <= n; i++) { if (y[i] == 0) { print "n/a"; exit }
            r = 100 * x[i] / y[i]; if (i == 1 || r < lo) lo = r; if (i == 1 || r > hi) hi = r }
        printf "%.0f-%.0f%%\n", lo, hi }'
}

unit() { case "$1" in seq-*) echo MiB/s ;; meta) echo ops/s ;; *) echo IOPS ;; esac; }

echo
echo "fusefs benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r); files $size (MemoryFS and fusefs-small: $small); random jobs ${runtime}s, 4 KiB O_DIRECT; meta: $meta_files files x create+stat+unlink; medians of $rounds rounds"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes the figures noisy)"
printf '%-13s %-6s %9s %9s %9s %12s %9s | %8s %12s %8s %10s | %10s %10s %10s %10s | %10s\n' \
    job unit fusefs noop tmpfs fusefs-small memfs "fs/noop" "(rounds)" "fs/tmpfs" "fs-s/memfs" \
    "cpu fusefs" "cpu noop" "cpu fs-s" "cpu memfs" "fusefs/req"
for job in "${jobs[@]}"; do
    printf '%-13s %-6s %9s %9s %9s %12s %9s | %8s %12s %8s %10s | %10s %10s %10s %10s | %10s\n' \
        "$job" "$(unit "$job")" "${value[fusefs:$job]:-n/a}" "${value[noop:$job]:-n/a}" \
        "${value[tmpfs:$job]:-n/a}" "${value[fusefs-small:$job]:-n/a}" "${value[memfs:$job]:-n/a}" \
        "$(ratio "${value[fusefs:$job]:-}" "${value[noop:$job]:-}" pct)" \
        "$(spread "${runs[fusefs:$job]:-}" "${runs[noop:$job]:-}")" \
        "$(ratio "${value[fusefs:$job]:-}" "${value[tmpfs:$job]:-}" pct)" \
        "$(ratio "${value[fusefs-small:$job]:-}" "${value[memfs:$job]:-}" x)" \
        "${cpu[fusefs:$job]:-n/a}" "${cpu[noop:$job]:-n/a}" "${cpu[fusefs-small:$job]:-n/a}" \
        "${cpu[memfs:$job]:-n/a}" "${reqcpu[fusefs:$job]:-n/a}"
done
echo "((rounds) = the lowest and highest fusefs/no-op of the single rounds; cpu = daemon user+system CPU in µs"
echo " per fio I/O: per 1 MiB for seq-*, per request for rand-*, per syscall"
echo " for meta; fusefs/req = the same CPU divided by the requests the fusefs daemon counted, ./fusefs stat)"

echo
echo "aims (issue 5):"
aim() { printf '  %-58s %-10s %s\n' "$1" "$2" "$3"; }
for job in "${jobs[@]}"; do
    f=${value[fusefs:$job]:-}; n=${value[noop:$job]:-}; fs=${value[fusefs-small:$job]:-}; m=${value[memfs:$job]:-}
    if [ -n "$f" ] && [ -n "$n" ]; then
        ok=$(awk -v a="$f" -v b="$n" 'BEGIN { print (a >= 0.7 * b) ? "MET" : "MISSED" }')
        aim "$job: fusefs >= 70% of no-op" "$ok" "($(ratio "$f" "$n" pct))"
    fi
    if [ -n "$fs" ] && [ -n "$m" ]; then
        ok=$(awk -v a="$fs" -v b="$m" 'BEGIN { print (a >= 3 * b) ? "MET" : "MISSED" }')
        aim "$job: fusefs >= 3 x MemoryFS (both $small)" "$ok" "($(ratio "$fs" "$m" x))"
    fi
done
r1=${value[fusefs:rand-read]:-}; r2=${value[fusefs:rand-read-2j]:-}
if [ -n "$r1" ] && [ -n "$r2" ]; then
    ok=$(awk -v a="$r2" -v b="$r1" 'BEGIN { print (a >= 2.5 * b) ? "MET" : "MISSED" }')
    aim "rand-read with 2 jobs >= 2.5 x 1 job" "$ok" "($(ratio "$r2" "$r1" x))"
fi
c=${cpu[fusefs:rand-read]:-}
if [ -n "$c" ]; then
    ok=$(awk -v c="$c" 'BEGIN { print (c <= 20) ? "MET" : "MISSED" }')
    aim "daemon CPU per 4 KiB read <= 20 µs" "$ok" "($c µs)"
fi
