#!/usr/bin/env bash
# The single-machine figures of docs/distributed.md: the allreduce time of each model's gradients over shared memory,
# and the throughput of 2 ranks x 1 thread against 1 rank x 2 threads (and 1 x 1), each with the load average beside
# it (the figures mean something only on an otherwise idle machine).
# Usage: bash scripts/mpi-scaling.sh [BUILD_DIR] [STEPS]     (BUILD_DIR default build, with GANPP_WITH_MPI=ON)
set -euo pipefail
build=${1:-build}
steps=${2:-30}
bench=$build/examples/ganpp-mpi-bench
[ -x "$bench" ] || { echo "error: $bench not built (configure with -DGANPP_WITH_MPI=ON)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
load() { echo "(load $(cut -d' ' -f1-3 /proc/loadavg))"; }

echo "== allreduce, 2 ranks $(load)"
OMP_NUM_THREADS=1 mpiexec -n 2 --bind-to core "$bench" allreduce 50
for model in mlp dcgan; do
  extra=""
  [ "$model" = dcgan ] && extra=sync
  n=$steps
  [ "$model" = mlp ] && n=$((steps * 10))
  echo "== $model, global batch 64, $n steps $(load)"
  OMP_NUM_THREADS=1 mpiexec -n 1 --bind-to none "$bench" train $model $n 64 $extra
  OMP_NUM_THREADS=2 mpiexec -n 1 --bind-to none "$bench" train $model $n 64 $extra
  OMP_NUM_THREADS=1 mpiexec -n 2 --bind-to core "$bench" train $model $n 64 $extra
  [ "$model" = dcgan ] && OMP_NUM_THREADS=1 mpiexec -n 2 --bind-to core "$bench" train $model $n 64
  echo "   $(load)"
done
