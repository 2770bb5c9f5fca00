#!/usr/bin/env bash
# Does the real job run at the benchmark's speed? Runs ganpp-bench --data (one D and one G step per iteration, the
# recipe of the reference DCGAN and MLP) and ganpp-mnist on the same model, batch and threads, alternately for
# several rounds, both from a plain Release build (build-default, GANPP_NATIVE on). ganpp-mnist's rate comes from its
# losses.csv (cumulative training seconds per step; the first 10 steps are left out, as ganpp-bench's warm-up),
# so it counts the whole training loop: data loading, the progress line and the CSV, not the start and the outputs.
# Prints the load before each round, each side's steps per second and ganpp-mnist's share of ganpp-bench's rate.
# Extra ganpp-mnist options (e.g. the recipe that matches the benchmark) go after --.
# Usage: bash scripts/mnist-vs-bench.sh [--rounds 3] [--steps 300] [--threads 2] [--models "mlp dcgan"] [--data DIR] [-- MNIST OPTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 steps=300 threads=2 models="mlp dcgan" data=data/mnist extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "mnist-vs-bench.sh: unknown option '$1' (options: --rounds N --steps N --threads N --models \"mlp dcgan\" --data DIR -- MNIST OPTIONS)" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
cmake -DMNIST_DIR="$data" -P cmake/FetchMNIST.cmake
cmake -S . -B build-default -DCMAKE_BUILD_TYPE=Release -DGANPP_BUILD_TESTS=OFF -DGANPP_BUILD_DOCS=OFF >/dev/null
cmake --build build-default --target ganpp-bench ganpp-mnist -j2 >/dev/null

mkdir -p out
table="| round | load before (1, 5, 15 min) | model | threads | ganpp-bench steps/s | ganpp-mnist steps/s | mnist / bench |
|---|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  for m in $models; do
    load=$(sed -E 's/^([^ ]+) ([^ ]+) ([^ ]+).*/\1, \2, \3/' /proc/loadavg)
    echo "round $r/$rounds: $m, $threads thread(s), load $load" >&2
    bench=$(build-default/examples/ganpp-bench --model "$m" --threads "$threads" --iters "$steps" --warmup 10 --data "$data" --json |
      /usr/bin/python3 -c 'import json, sys; print("%.2f" % (1000 / json.loads(sys.stdin.readline())["ms_per_iter_median"]))')
    build-default/examples/ganpp-mnist --model "$m" --threads "$threads" --steps $((steps + 10)) --samples 0 --data "$data" \
      --out out/mnist-vs-bench ${extra[@]+"${extra[@]}"} >/dev/null
    mnist=$(/usr/bin/python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
a, b = rows[9], rows[-1]
print("%.2f" % ((int(b["step"]) - int(a["step"])) / (float(b["seconds"]) - float(a["seconds"]))))' out/mnist-vs-bench/losses.csv)
    share=$(/usr/bin/python3 -c "print('%.2f' % ($mnist / $bench))")
    table="$table
| $r | $load | $m | $threads | $bench | $mnist | $share |"
  done
done
echo "$table"
