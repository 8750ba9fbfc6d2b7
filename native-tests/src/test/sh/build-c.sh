#!/usr/bin/env bash
# Builds every C test program under src/test/c into the directory given as $1 (target/bin).
# Called by Maven at the integration-test phase, before run-cases.sh.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
src="$here/../c"
out=${1:?usage: build-c.sh OUTPUT_DIR}
mkdir -p "$out"

if ! command -v gcc >/dev/null 2>&1; then
    echo "build-c: gcc not found; the native cases that need it will skip (fail when CI=true)" >&2
    exit 0
fi

for c in "$src"/*.c; do
    name=$(basename "$c" .c)
    echo "build-c: gcc $name.c -> $out/$name"
    gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-function -D_FILE_OFFSET_BITS=64 \
        -o "$out/$name" "$c"
done
