#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (AddressSanitizer + UndefinedBehaviorSanitizer) in
# build-fuzz/ and runs each for SECONDS (default 60), one after another, starting from valid seeds and the
# malformed files of tests/corpus/. Crashes are written to build-fuzz/crashes/<fuzzer>/ and stop the script.
# Usage: bash scripts/fuzz.sh [SECONDS] [FUZZER...]     e.g. bash scripts/fuzz.sh 600 fuzz_idx
# Environment: CXX_FUZZ (the clang++ to use), FUZZ_CXXFLAGS (added to the compile flags).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(fuzz_idx fuzz_checkpoint fuzz_rng_state fuzz_batch_loader_state fuzz_csv)
CXX_FUZZ=${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14 || true)}
if [ -z "$CXX_FUZZ" ]; then
  echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2
  exit 2
fi

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror ${FUZZ_CXXFLAGS:-}" -DGANPP_BUILD_FUZZERS=ON -DGANPP_BUILD_TESTS=OFF \
  -DGANPP_BUILD_EXAMPLES=OFF -DGANPP_INSTALL=OFF -DGANPP_USE_OPENMP=OFF >/dev/null
cmake --build build-fuzz -j 2 --target "${fuzzers[@]}" fuzz_make_seeds
rm -rf build-fuzz/seeds
build-fuzz/tests/fuzz/fuzz_make_seeds build-fuzz/seeds tests/corpus

for f in "${fuzzers[@]}"; do
  corpus=build-fuzz/corpus/$f crashes=build-fuzz/crashes/$f
  mkdir -p "$corpus" "$crashes"
  echo "== $f: ${seconds} s"
  # -rss_limit_mb: a reader that allocates what a hostile header claims is a finding, not an out-of-memory kill.
  build-fuzz/tests/fuzz/$f "$corpus" build-fuzz/seeds/$f -max_total_time="$seconds" \
    -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/"
done
