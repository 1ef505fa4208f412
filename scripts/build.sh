#!/bin/sh
# build.sh [PRESET]: configure (once) and build; default preset "release".
set -eu
cd "$(dirname "$0")/.."
# Object files do not depend on where the checkout is (paths are relative to the build
# dir), so ccache may reuse what another checkout compiled: a clean clone builds in minutes.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
preset=${1:-release}
[ -f "build/$preset/build.ninja" ] || cmake --preset "$preset"
cmake --build --preset "$preset"
