# Functions shared by run-cases.sh and the case scripts (sourced, not run).
#
# The filesystem under test is chosen by FS_BACKEND:
#   fusefs  (default) the project's mount: $FUSEFS_MOUNT_CMD [--image IMAGE] $FUSEFS_MOUNT_OPTS MNT,
#           a command that stays in the foreground while mounted (or exits after a --background
#           mount); default: java -cp fuse/target/fusefs.jar:fuse/target/lib/* org.fusefs.cli.Main mount
#   ext4    an ext4 image on a loop device: the reference for errnos and tool behaviour
#   tmpfs   a tmpfs: the reference for a filesystem without images or collapse/insert
# Every mount made here is written to a registry file ($NT_REGISTRY) so that whoever owns the
# registry can remove what is left, also after a timeout or a kill.

: "${FS_BACKEND:=fusefs}"
: "${FUSEFS_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)}"
: "${FUSEFS_CLI:=java ${FUSEFS_JAVA_OPTS:-} -cp $FUSEFS_ROOT/fuse/target/fusefs.jar:$FUSEFS_ROOT/fuse/target/lib/* org.fusefs.cli.Main}"
: "${FUSEFS_MOUNT_CMD:=$FUSEFS_CLI mount}"
: "${FUSEFS_MOUNT_OPTS:=}"
: "${FUSEFS_PRELOAD:=$FUSEFS_ROOT/fuse/target/native/libfusefs-preload.so}"
: "${NT_READY_TIMEOUT:=60}"

nt_log() { echo "$(date +%H:%M:%S) $*" >&2; }

# Fails the case: the message says what was compared, expected and actual.
nt_fail() { echo "FAIL: $*" >&2; exit 1; }

# Skips the case for a missing capability (exit 77). With CI=true the runner counts it as failed.
nt_skip() { echo "SKIP: $*" >&2; exit 77; }

nt_require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || nt_skip "command $c is not installed"
    done
}

nt_require_loop() {
    [ "$(id -u)" -eq 0 ] || nt_skip "loop devices need root"
    losetup -f >/dev/null 2>&1 || nt_skip "no free loop device (losetup -f failed)"
}

# Runs a command, printing it first; on failure names the command and its status.
nt_run() {
    echo "+ $*" >&2
    "$@" || nt_fail "command failed with status $?: $*"
}

nt_pid_alive() {
    local state
    [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

nt_is_mounted() { grep -q " $(realpath -m "$1") " /proc/mounts; }

# Appends "KIND PID MOUNTPOINT IMAGE" to the registry; "-" for unknown fields.
nt_register() { echo "$1 ${2:--} $3 ${4:--}" >> "${NT_REGISTRY:?NT_REGISTRY is not set}"; }
nt_unregister() {
    [ -f "${NT_REGISTRY:-}" ] || return 0
    local mnt=$1
    grep -v " $mnt " "$NT_REGISTRY" > "$NT_REGISTRY.tmp" || true
    mv "$NT_REGISTRY.tmp" "$NT_REGISTRY"
}

# Waits until the probe getattr of MNT reaches the mounted filesystem (its st_dev differs from
# the parent's) or the daemon dies. Polls the probe; never sleeps a fixed time for readiness.
nt_wait_ready() {
    local mnt=$1 pid=$2 log=$3 parent_dev deadline
    parent_dev=$(stat -c %d "$(dirname "$mnt")")
    deadline=$(( $(date +%s) + NT_READY_TIMEOUT ))
    while :; do
        if nt_is_mounted "$mnt" && [ "$(stat -c %d "$mnt" 2>/dev/null)" != "$parent_dev" ] \
            && stat "$mnt/." >/dev/null 2>&1; then
            return 0
        fi
        if [ "$pid" != - ] && ! nt_pid_alive "$pid"; then
            # A --background mount command exits once the daemon runs on its own.
            wait "$pid" 2>/dev/null; local rc=$?
            if [ "$rc" -ne 0 ]; then
                echo "mount of $mnt: mount command exited with status $rc; its log:" >&2
                tail -n 40 "$log" >&2
                return 1
            fi
            pid=-
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "mount of $mnt: not ready after ${NT_READY_TIMEOUT}s; daemon log:" >&2
            tail -n 40 "$log" >&2
            return 1
        fi
        sleep 0.05
    done
}

# Creates an image file for fs_mount MNT IMAGE.
fs_mkfs() {
    local image=$1 size=$2
    case "$FS_BACKEND" in
        fusefs) nt_run $FUSEFS_CLI mkfs "$image" --size "$size" ;;
        # -m 0: no blocks reserved for root (who runs the cases), as fusefs reserves none.
        ext4) nt_run truncate -s "$size" "$image"; nt_run mkfs.ext4 -q -F -m 0 "$image" ;;
        *) nt_skip "the $FS_BACKEND backend has no image files" ;;
    esac
}

# Mounts the filesystem under test on MNT (created if missing), on IMAGE when given.
fs_mount() {
    local mnt=$1 image=${2:-} log pid
    mkdir -p "$mnt"
    log=${NT_LOGS:-/tmp}/daemon-$(basename "$mnt")-$$-$RANDOM.log
    case "$FS_BACKEND" in
        fusefs)
            local args=()
            [ -n "$image" ] && args+=(--image "$image")
            echo "+ $FUSEFS_MOUNT_CMD ${args[*]} $FUSEFS_MOUNT_OPTS $mnt  (log: $log)" >&2
            # shellcheck disable=SC2086 # the command and options are word lists
            $FUSEFS_MOUNT_CMD "${args[@]}" $FUSEFS_MOUNT_OPTS "$mnt" > "$log" 2>&1 &
            pid=$!
            nt_register fuse "$pid" "$mnt" "${image:--}"
            nt_wait_ready "$mnt" "$pid" "$log" || return 1
            ;;
        ext4)
            if [ -z "$image" ]; then
                image=$(dirname "$mnt")/$(basename "$mnt").ext4.img
                truncate -s 4G "$image" && mkfs.ext4 -q -F -m 0 "$image" || return 1
            fi
            nt_register mount - "$mnt" "$image"
            mount -o loop "$image" "$mnt" || return 1
            ;;
        tmpfs)
            [ -z "$image" ] || nt_skip "the tmpfs backend has no image files"
            nt_register mount - "$mnt" -
            mount -t tmpfs -o size=4g fusefs-native-tmpfs "$mnt" || return 1
            ;;
        *) echo "unknown FS_BACKEND=$FS_BACKEND" >&2; return 1 ;;
    esac
    echo "mounted $FS_BACKEND on $mnt${image:+ (image $image)}" >&2
}

# Unmounts MNT and, for fusefs, waits until the daemon has exited (its image is then complete).
fs_umount() {
    local mnt=$1 kind pid image line i
    line=$(grep " $mnt " "${NT_REGISTRY:-/dev/null}" 2>/dev/null | tail -n 1)
    read -r kind pid _ image <<< "${line:-mount - $mnt -}"
    if nt_is_mounted "$mnt"; then
        for i in 1 2 3 4 5; do
            if [ "$kind" = fuse ]; then
                fusermount -u "$mnt" 2>/dev/null && break
            else
                umount "$mnt" 2>/dev/null && break
            fi
            sleep 0.2  # busy: a process of the case may still be closing files
        done
        if nt_is_mounted "$mnt"; then
            echo "umount $mnt: still busy, detaching lazily" >&2
            if [ "$kind" = fuse ]; then fusermount -u -z "$mnt"; else umount -l "$mnt"; fi
        fi
    fi
    if [ "$kind" = fuse ] && [ "$pid" != - ]; then
        for i in $(seq 1 600); do nt_pid_alive "$pid" || break; sleep 0.1; done
        if nt_pid_alive "$pid"; then
            echo "umount $mnt: daemon $pid still running 60 s after unmount; sending TERM" >&2
            kill -TERM "$pid" 2>/dev/null
            for i in $(seq 1 100); do nt_pid_alive "$pid" || break; sleep 0.1; done
            nt_pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null || true
    elif [ "$kind" = fuse ] && [ "$image" != - ]; then
        # Daemon pid unknown (a --background mount): wait until nobody holds the image open.
        for i in $(seq 1 600); do
            ls -l /proc/[0-9]*/fd 2>/dev/null | grep -qF -- "-> $image" || break
            sleep 0.1
        done
    fi
    nt_unregister "$mnt"
    ! nt_is_mounted "$mnt"
}

# Loop-mounts an image file (a filesystem inside the filesystem under test).
nt_loop_mount() {
    local image=$1 mnt=$2
    mkdir -p "$mnt"
    nt_register mount - "$mnt" "$image"
    nt_run mount -o loop "$image" "$mnt"
}

# Attaches IMAGE to a free loop device with direct I/O on (the backing file is opened O_DIRECT,
# spec fuse-kernel.md §9) and prints the device; registered so that cleanup detaches it.
nt_losetup_dio() {
    local image=$1 dev
    dev=$(losetup --direct-io=on --show -f "$image") || nt_fail "losetup --direct-io=on -f $image failed"
    nt_register loopdev - "$dev" "$image"
    echo "$dev"
}

nt_losetup_detach() {
    local dev=$1
    losetup -d "$dev" || nt_fail "losetup -d $dev failed"
    nt_unregister "$dev"
}

# Unmounts everything listed in a registry, newest first. Used by the runner and case traps.
nt_cleanup_registry() {
    local reg=$1 lines kind pid mnt image i
    [ -s "$reg" ] || return 0
    mapfile -t lines < "$reg"
    for (( i=${#lines[@]}-1; i>=0; i-- )); do
        read -r kind pid mnt image <<< "${lines[i]}"
        if [ "$kind" = loopdev ]; then
            if losetup "$mnt" >/dev/null 2>&1; then
                echo "cleanup: detaching $mnt ($image)" >&2
                losetup -d "$mnt" || echo "cleanup: losetup -d $mnt failed" >&2
            fi
            continue
        fi
        if nt_is_mounted "$mnt" || { [ "$pid" != - ] && nt_pid_alive "$pid"; }; then
            echo "cleanup: unmounting $mnt ($kind)" >&2
            NT_REGISTRY=$reg fs_umount "$mnt" || echo "cleanup: $mnt is still mounted" >&2
        fi
    done
    : > "$reg"
}

# Makes a tree of at least N regular files under DIR: nested directories, empty, small and
# larger files, symlinks, a FIFO-free mix of modes and fixed mtimes. Content is random.
nt_make_tree() {
    local dir=$1 n=$2 i d size
    mkdir -p "$dir"
    for (( i=0; i<n; i++ )); do
        d="$dir/d$(( i % 10 ))/e$(( i % 7 ))"
        [ -d "$d" ] || mkdir -p "$d"
        case $(( i % 50 )) in
            0) size=0 ;;
            1) size=$(( 100000 + i * 37 )) ;;
            2) size=4096 ;;
            *) size=$(( (i * 7919) % 3000 + 1 )) ;;
        esac
        head -c "$size" /dev/urandom > "$d/f$i"
        case $(( i % 4 )) in
            1) chmod 600 "$d/f$i" ;;
            2) chmod 755 "$d/f$i" ;;
        esac
        if (( i % 100 == 3 )); then ln -s "f$i" "$d/link$i"; fi
    done
    mkdir -p "$dir/empty/dir"
    # One larger file spanning many extents, with a hole in the middle.
    head -c 3000000 /dev/urandom > "$dir/big"
    dd if=/dev/urandom of="$dir/big" bs=4096 seek=2000 count=100 conv=notrunc status=none
    find "$dir" -exec touch -h -d '2020-02-29 12:34:56' {} +
}

# Lists path, type, mode, size (not for directories: it differs between filesystems), mtime in
# whole seconds and link target of everything under DIR, sorted.
nt_manifest() {
    (cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' \
        | awk '{ if ($2 == "d") $4 = "-"; sub(/\..*/, "", $5); print }' | LC_ALL=C sort)
}
