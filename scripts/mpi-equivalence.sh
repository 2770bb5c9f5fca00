#!/usr/bin/env bash
# The equivalence figures of docs/distributed.md on the real reference models (ctest runs them 8 times narrower):
# mlp and dcgan with SyncBatchNorm, 100 steps of global batch 64, on 2 ranks and on 4 (oversubscribed) against one
# process with batch 64, in double; every rank's parameters are compared by hash after every step. Then a 2-rank mlp
# run checkpointed at step 50 and resumed on 1 rank. Each check prints its relative differences and "passed";
# then one process against itself after a one-ulp nudge, which shows how far rounding alone carries each model.
# Usage: bash scripts/mpi-equivalence.sh [BUILD_DIR] [STEPS]    (BUILD_DIR default build, configured with GANPP_WITH_MPI=ON)
# Takes about 5 minutes for mlp and 30 for dcgan (in double) on an idle 2-core machine; STEPS shortens it.
set -euo pipefail
build=${1:-build}
steps=${2:-100}
tests=$build/tests/mpi/ganpp_mpi_tests
[ -x "$tests" ] || { echo "error: $tests not built (cmake --build $build --target ganpp_mpi_tests)" >&2; exit 1; }
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
load() { echo "(load $(cut -d' ' -f1-3 /proc/loadavg))"; }
status=0
run() {
  echo "== $* $(load)"
  mpiexec "$@" || status=1
}
for model in mlp dcgan; do
  bn=local
  [ "$model" = dcgan ] && bn=sync
  for ranks in 2 4; do run -n $ranks "$tests" equivalence $model $bn "$steps"; done
done
# The yardstick for those figures: one process against itself with every seventh D weight nudged by one double
# ulp after step 1. W ranks cannot be closer to one process than this (their sums round differently).
for model in mlp dcgan; do
  echo "== one process against itself nudged by 2.2e-16, $model, $steps steps $(load)"
  NUDGE=2.2e-16 "$tests" chaos $model "$steps"
done
dir=$(mktemp -d)
run -n 2 "$tests" resume "$dir" mlp
rm -rf "$dir"
echo "== end $(load)"
exit $status
