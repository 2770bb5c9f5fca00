#!/usr/bin/env bash
# Static checks of ganpp's public headers: clang-tidy with the checks of .clang-tidy on one translation unit that
# includes every header under include/ganpp (except detail/, which they include themselves); any finding fails.
# Usage: bash scripts/lint.sh            clang-tidy (installs clang-tidy and libomp-dev if missing)
#        bash scripts/lint.sh --format   also report what clang-format (.clang-format) would change; report only,
#                                        until the tree has had its formatting pass
set -euo pipefail
cd "$(dirname "$0")/.."

format=0
for arg in "$@"; do
  case "$arg" in
    --format) format=1 ;;
    *) echo "usage: bash scripts/lint.sh [--format]" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh clang-tidy libomp-dev
tidy=${CLANG_TIDY:-clang-tidy}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

headers=$(find include/ganpp -name '*.hpp' -not -path 'include/ganpp/detail/*' | LC_ALL=C sort)
for h in $headers; do echo "#include <${h#include/}>"; done > "$work/all_headers.cpp"
eigen=$(pkg-config --variable=includedir eigen3 2>/dev/null || true)
eigen=${eigen:-/usr/include}/eigen3
[ -d "$eigen" ] || eigen=/usr/include/eigen3
# ganpp/distributed.hpp includes <mpi.h> (Open MPI's headers: install-deps.sh installs libopenmpi-dev).
mpi_flags=()
for dir in $(mpicxx --showme:incdirs 2>/dev/null || true); do mpi_flags+=(-isystem "$dir"); done

start=$(date +%s)
# HeaderFilterRegex in .clang-tidy keeps the findings to include/ganpp; Eigen and stb are system headers.
"$tidy" --quiet --config-file=.clang-tidy "$work/all_headers.cpp" -- \
  -std=c++17 -x c++ -fopenmp -I"$PWD/include" -isystem "$eigen" -isystem /usr/include/stb "${mpi_flags[@]}" 2> "$work/stderr" ||
  { grep -v 'warnings generated\|^Suppressed\|^Use -header-filter\|NOLINT' "$work/stderr" >&2 || true; echo "clang-tidy: findings above" >&2; exit 1; }
echo "clang-tidy: $(echo "$headers" | wc -l) public headers clean, $(($(date +%s) - start)) s"

if [ "$format" -eq 1 ]; then
  command -v clang-format >/dev/null || bash scripts/install-deps.sh clang-format
  files=0 lines=0
  for f in $(find include -name '*.hpp' | LC_ALL=C sort); do
    n=$(clang-format --style=file "$f" | diff "$f" - | grep -c '^>' || true)
    if [ "$n" -gt 0 ]; then files=$((files + 1)); lines=$((lines + n)); fi
  done
  echo "clang-format: would change $lines lines in $files of $(find include -name '*.hpp' | wc -l) headers (not enforced yet)"
fi
