#!/bin/sh
# test.sh: installs what is missing, builds, and runs every test: the unit tests under
# AddressSanitizer and UBSan (QUAI_SKIP_ASAN=1 skips them), then all unit and integration
# tests of the release build. Integration tests need root. Extra arguments go to ctest.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh release
if [ "${QUAI_SKIP_ASAN:-0}" != 1 ]; then
  ./scripts/build.sh asan
  ctest --test-dir build/asan -L unit --output-on-failure
fi
# Last, so that its summary closes the output.
ctest --preset release -j1 "$@"
