#!/bin/sh
# build.sh [PRESET]: configure (once) and build; default preset "release".
set -eu
cd "$(dirname "$0")/.."
preset=${1:-release}
[ -f "build/$preset/build.ninja" ] || cmake --preset "$preset"
cmake --build --preset "$preset"
