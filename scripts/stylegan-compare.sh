#!/usr/bin/env bash
# The two measurements of docs/stylegan.md, for an idle machine:
#  speed: ganpp-bench --model stylegan against its PyTorch peer (examples/bench/torch/stylegan_bench.py), the same
#         StyleGAN2-lite iteration, batch 32, 2 threads, alternately for --rounds rounds; prints the ratio
#         ganpp / PyTorch of the median ms per iteration (the issue asks for at most 0.7).
#  fid:   ganpp-stylegan and ganpp-mnist --model dcgan, each trained for --minutes of wall clock on 2 threads, for
#         seeds 0 and 1, then ganpp-score (FID, IS) of their 10000 samples. ganpp-mnist stops on SIGINT after
#         writing its samples, so timeout -s INT gives it the same budget. About 4 x --minutes plus a few minutes.
# Raw outputs: out/stylegan-compare.jsonl (speed), out/stylegan-s*/ and out/dcgan-s*/ (runs), out/stylegan-fid.txt.
# Usage: bash scripts/stylegan-compare.sh [speed|fid|all] [--minutes 30] [--rounds 3] [--data DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

what=all minutes=30 rounds=3 data=data/mnist
while [ $# -gt 0 ]; do
  case "$1" in
    speed|fid|all) what=$1; shift ;;
    --minutes) minutes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "stylegan-compare.sh: unknown option '$1' (usage: [speed|fid|all] --minutes N --rounds N --data DIR)" >&2; exit 2 ;;
  esac
done

cmake -DMNIST_DIR="$data" -P cmake/FetchMNIST.cmake
cmake --preset release >/dev/null
cmake --build build --target ganpp-stylegan ganpp-mnist ganpp-bench ganpp-classifier ganpp-score -j2 >/dev/null
mkdir -p out

if [ "$what" != fid ]; then
  source scripts/openblas-core.sh  # PyTorch at its best: OPENBLAS_CORETYPE when OpenBLAS does not recognise this CPU
  bash scripts/install-deps.sh python3-torch libopenblas0-openmp
  results=out/stylegan-compare.jsonl
  : >"$results"
  for r in $(seq "$rounds"); do
    echo "speed round $r/$rounds" >&2
    build/examples/ganpp-bench --model stylegan --batch 32 --threads 2 --iters 48 --warmup 16 --data "$data" --json >>"$results"
    (cd examples/bench/torch && /usr/bin/python3 stylegan_bench.py --batch 32 --threads 2 --iters 48 --warmup 16 --data "../../../$data") >>"$results"
  done
  /usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = {impl: statistics.median(r["ms_per_iter_median"] for r in rows if r["impl"] == impl) for impl in ("ganpp", "pytorch")}
print("stylegan, batch 32, 2 threads: ganpp %.1f ms, PyTorch %.1f ms per iteration; ganpp / PyTorch = %.2f"
      % (med["ganpp"], med["pytorch"], med["ganpp"] / med["pytorch"]))
PY
fi

if [ "$what" != speed ]; then
  [ -f out/mnist-classifier.ganpp ] || build/examples/ganpp-classifier --data "$data" --threads 2
  : >out/stylegan-fid.txt
  for s in 0 1; do
    build/examples/ganpp-stylegan --data "$data" --minutes "$minutes" --epochs 1000 --threads 2 --seed "$s" --out "out/stylegan-s$s"
    rc=0
    timeout -s INT "$((minutes * 60))" build/examples/ganpp-mnist --model dcgan --data "$data" --epochs 1000 --threads 2 --seed "$s" \
      --out "out/dcgan-s$s" || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || exit "$rc"  # 124: timeout's SIGINT ended it, after it wrote its outputs
    for m in stylegan dcgan; do
      echo "$m seed $s: $(build/examples/ganpp-score "out/$m-s$s/samples.idx3-ubyte" --data "$data" --json)" | tee -a out/stylegan-fid.txt
    done
  done
fi
