#!/usr/bin/env bash
# The single-machine figures of docs/distributed.md, for an otherwise idle machine: the allreduce time of each
# model's gradients over shared memory, one thread's time for the per-update work that every rank repeats (copies,
# scaling, Adam, zero_grad), and the throughput of 2 ranks x 1 thread against 1 rank x 2 threads (the criterion:
# within 15%), interleaved over ROUNDS rounds so that a change of load hits every configuration alike. The 2-rank
# runs are made both with every gradient packed into one allreduce (the default) and with the tensors of 65,536
# elements or more allreduced in place. Ends with each configuration's median and the ratio to 1 rank x 2 threads.
# Usage: bash scripts/mpi-scaling.sh [BUILD_DIR] [STEPS] [ROUNDS]   (BUILD_DIR default build, with GANPP_WITH_MPI=ON)
# About 4 minutes on an idle 2-core machine with the defaults (STEPS 30 for dcgan, 10 x STEPS for mlp; ROUNDS 3).
set -euo pipefail
build=${1:-build}
steps=${2:-30}
rounds=${3:-3}
bench=$build/examples/ganpp-mpi-bench
[ -x "$bench" ] || { echo "error: $bench not built (configure with -DGANPP_WITH_MPI=ON)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
load() { echo "(load $(cut -d' ' -f1-3 /proc/loadavg))"; }
results=$(mktemp)
trap 'rm -f "$results"' EXIT
# run LABEL RANKS THREADS BINDING ARGS...: one timed run, its img/s kept under LABEL.
run() {
  local label=$1 ranks=$2 threads=$3 bind=$4
  shift 4
  local out
  out=$(OMP_NUM_THREADS=$threads mpiexec -n "$ranks" --bind-to "$bind" "$bench" train "$@")
  echo "   $out"
  echo "$label $(sed -n 's/.* \([0-9.]*\) img\/s.*/\1/p' <<<"$out")" >>"$results"
}

echo "== allreduce, 2 ranks $(load)"
OMP_NUM_THREADS=1 mpiexec -n 2 --bind-to core "$bench" allreduce 50
echo "== per-update work repeated on every rank, 1 thread $(load)"
for model in mlp dcgan; do OMP_NUM_THREADS=1 mpiexec -n 1 --bind-to core "$bench" parts $model 30; done
for model in mlp dcgan; do
  n=$steps extra=()
  [ "$model" = mlp ] && n=$((steps * 10))
  [ "$model" = dcgan ] && extra=(sync)
  for round in $(seq "$rounds"); do
    echo "== $model, global batch 64, $n steps, round $round $(load)"
    [ "$round" = 1 ] && run "$model-1x1" 1 1 none $model $n 64 "${extra[@]}"
    run "$model-1x2" 1 2 none $model $n 64 "${extra[@]}"
    run "$model-2x1-packed" 2 1 core $model $n 64 "${extra[@]}"
    run "$model-2x1-in-place" 2 1 core $model $n 64 "${extra[@]}" --in-place-threshold 65536
  done
  [ "$model" = dcgan ] && run "dcgan-local-2x1-packed" 2 1 core dcgan $n 64
done
echo "== medians over $rounds rounds (img/s; ratio to 1 rank x 2 threads) $(load)"
awk '{ v[$1] = v[$1] " " $2 }
     function median(s,   a, n, i, j, t) {
       n = split(s, a, " ")
       for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
     END { for (k in v) m[k] = median(v[k]);
           for (k in m) { split(k, p, "-"); ref = m[p[1] "-1x2"]; if (ref == "") ref = m["dcgan-1x2"]; printf "%-24s %8.1f img/s   ratio %.3f\n", k, m[k], m[k] / ref } }' "$results" | sort
