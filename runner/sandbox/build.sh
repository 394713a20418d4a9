#!/usr/bin/env bash
# Builds the sandbox helper from source with the machine's own gcc, so its syscall numbers and seccomp
# architecture check match the kernel it runs on (x86_64 locally, aarch64 on Fargate).
# Usage: runner/sandbox/build.sh [output]   (default: runner/sandbox/build/sandbox-helper)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/build/sandbox-helper}"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
# Static when the C library allows it, so the binary does not depend on the image's shared libs.
flags=(-O2 -Wall -Wextra -Werror -std=gnu11 -D_FORTIFY_SOURCE=2 -fstack-protector-strong)
if ! gcc "${flags[@]}" -static -o "$tmp" "$here"/src/*.c 2>/dev/null; then
  gcc "${flags[@]}" -o "$tmp" "$here"/src/*.c
fi
chmod 0755 "$tmp"
# Atomic replace: concurrent builds (two test processes) never see a half-written binary.
mv -f "$tmp" "$out"
echo "built $out"
