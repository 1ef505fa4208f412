#!/bin/sh
# check-format.sh: fails when a tracked C/C++ file differs from .clang-format's layout.
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format not installed" >&2; exit 1; }
git ls-files '*.cc' '*.h' '*.c' | xargs clang-format --dry-run --Werror
echo "check-format: all files formatted"
