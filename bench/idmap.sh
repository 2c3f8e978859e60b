#!/bin/bash
# Id-map lookup benchmark: lookups per second at 1..340 extents, libuserns beside the
# kernel's own strategy (linear scan up to 5 extents, bsearch() above), and the ratio
# of the cost per lookup to the 1-extent cost.
#   bench/idmap.sh [BUILDDIR] [LOOKUPS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/bench/bench-idmap" ] || scripts/build
exec "$build/bench/bench-idmap" "${2:-20000000}"
