#!/bin/sh
# test.sh: installs what is missing, builds, and runs every test (unit and integration).
# Integration tests need root. Extra arguments go to ctest (e.g. -L unit).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh release
ctest --preset release -j1 "$@"
# The unit tests again under AddressSanitizer and UBSan (QUAI_SKIP_ASAN=1 skips this).
if [ "${QUAI_SKIP_ASAN:-0}" != 1 ]; then
  ./scripts/build.sh asan
  ctest --test-dir build/asan -L unit --output-on-failure "$@"
fi
