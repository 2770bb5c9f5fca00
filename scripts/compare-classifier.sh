#!/usr/bin/env bash
# ganpp-classifier beside its PyTorch peer (examples/bench/torch/classifier.py: the same network and recipe), run
# one after the other for each round on MNIST (fetched into data/mnist as for ganpp-mnist, or --data DIR), each on
# the same number of threads. ganpp-classifier comes from a plain Release build (build-default, GANPP_NATIVE on) and
# writes the classifier ganpp-score uses, out/mnist-classifier.ganpp. Prints, per round, the load average before
# it and each side's training time and MNIST test accuracy. Raw output goes to out/compare-classifier.log.
# Python is Debian's /usr/bin/python3 (the one python3-torch installs into), whatever python3 is first on PATH.
# Usage: bash scripts/compare-classifier.sh [--rounds 1] [--threads 2] [--epochs 4] [--data DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=1 threads=2 epochs=4 data=data/mnist
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "compare-classifier.sh: unknown option '$1' (options: --rounds N --threads N --epochs N --data DIR)" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh python3-torch
cmake -DMNIST_DIR="$data" -P cmake/FetchMNIST.cmake
cmake -S . -B build-default -DCMAKE_BUILD_TYPE=Release -DGANPP_BUILD_TESTS=OFF -DGANPP_BUILD_DOCS=OFF >/dev/null
cmake --build build-default --target ganpp-classifier -j2 >/dev/null

# PyTorch at its best: OPENBLAS_CORETYPE when OpenBLAS does not recognise this CPU (scripts/openblas-core.sh).
source scripts/openblas-core.sh

mkdir -p out
log=out/compare-classifier.log
: >"$log"
table="| round | load before (1, 5, 15 min) | ganpp s | ganpp accuracy | PyTorch s | PyTorch accuracy |
|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  load=$(sed -E 's/^([^ ]+) ([^ ]+) ([^ ]+).*/\1, \2, \3/' /proc/loadavg)
  echo "round $r/$rounds (load $load)" | tee -a "$log" >&2
  build-default/examples/ganpp-classifier --data "$data" --threads "$threads" --epochs "$epochs" --out out/mnist-classifier.ganpp | tee -a "$log" >&2
  # "saved FILE: MNIST test accuracy 99.12% after 3 epochs, 85 s of training on 2 threads"
  ganpp=$(tail -n 1 "$log" | sed -E 's/.*accuracy ([0-9.]+%).* ([0-9.]+) s of training.*/\2 | \1/')
  /usr/bin/python3 examples/bench/torch/classifier.py --data "$data" --threads "$threads" --epochs "$epochs" | tee -a "$log" >&2
  torch=$(tail -n 1 "$log" | /usr/bin/python3 -c 'import json, sys; r = json.load(sys.stdin); print("%.0f | %.2f%%" % (r["seconds"], 100 * r["accuracy"]))')
  table="$table
| $r | $load | $ganpp | $torch |"
done
echo "$table"
