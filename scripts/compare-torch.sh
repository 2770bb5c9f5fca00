#!/usr/bin/env bash
# ganpp against PyTorch on the same CPU: ganpp-bench from two builds and the libtorch C++ peer (examples/bench/torch),
# with --python also the Python peer, on the same models, batch and thread counts, run alternately for several
# rounds, each training on batches of MNIST's training images (fetched into data/mnist as for ganpp-mnist, or
# --data DIR). The two ganpp builds:
#   default   a plain `cmake -DCMAKE_BUILD_TYPE=Release` build (GANPP_NATIVE is on: -march=native), in build-default
#   baseline  the same with -DGANPP_NATIVE=OFF: the compiler's baseline instruction set (x86-64: SSE2), in build-baseline
# Prints the median over rounds of each one's median ms per training iteration and the ratios to libtorch, then
# ganpp's GEMM ceilings (ganpp-bench --peak, default build). Raw JSON lines go to out/compare-torch.jsonl.
# Python is Debian's /usr/bin/python3 (the one python3-torch installs into), whatever python3 is first on PATH.
# --models "pix2pix cyclegan" times the translation iterations instead (batch 16, one random batch: see ganpp-bench;
# srgan works too; the Python peer has only mlp and dcgan).
# Usage: bash scripts/compare-torch.sh [--rounds 3] [--iters 50] [--threads "1 2"] [--models "mlp dcgan"] [--python] [--data DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 iters=50 threads="1 2" models="mlp dcgan" python=0 data=data/mnist
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --python) python=1; shift ;;
    --data) data=$2; shift 2 ;;
    *) echo "compare-torch.sh: unknown option '$1' (options: --rounds N --iters N --threads \"1 2\" --models \"mlp dcgan\" --python --data DIR)" >&2; exit 2 ;;
  esac
done

# libopenblas0-openmp matters: without it Debian's libtorch uses the reference BLAS and is several times slower.
bash scripts/install-deps.sh python3-torch libtorch-dev libopenblas0-openmp
cmake -DMNIST_DIR="$data" -P cmake/FetchMNIST.cmake
for b in default baseline; do
  native=ON
  [ "$b" = baseline ] && native=OFF
  cmake -S . -B "build-$b" -DCMAKE_BUILD_TYPE=Release -DGANPP_NATIVE=$native -DGANPP_BUILD_TESTS=OFF -DGANPP_BUILD_DOCS=OFF >/dev/null
  cmake --build "build-$b" --target ganpp-bench -j2 >/dev/null
done
cmake -S examples/bench/torch -B build-torch -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-torch >/dev/null

# PyTorch at its best: OPENBLAS_CORETYPE when OpenBLAS does not recognise this CPU (scripts/openblas-core.sh).
source scripts/openblas-core.sh

mkdir -p out
results=out/compare-torch.jsonl
: >"$results"
for r in $(seq "$rounds"); do
  for t in $threads; do
    for m in $models; do
      echo "round $r/$rounds: $m, $t thread(s)" >&2
      build-default/examples/ganpp-bench --model "$m" --threads "$t" --iters "$iters" --data "$data" --json >>"$results"
      build-baseline/examples/ganpp-bench --model "$m" --threads "$t" --iters "$iters" --data "$data" --json |
        sed -E 's/"impl": ?"ganpp"/"impl": "ganpp-baseline"/' >>"$results"
      build-torch/torch-bench --model "$m" --threads "$t" --iters "$iters" --data "$data" >>"$results"
      if [ "$python" = 1 ] && { [ "$m" = mlp ] || [ "$m" = dcgan ]; }; then
        /usr/bin/python3 examples/bench/torch/torch_bench.py --model "$m" --threads "$t" --iters "$iters" --data "$data" >>"$results"
      fi
    done
  done
done
for t in $threads; do
  [ "$models" = "mlp dcgan" ] || break  # the ceilings are listed for the reference models and srgan only
  build-default/examples/ganpp-bench --threads "$t" --iters "$iters" --peak --json | sed -E 's/"impl": ?"ganpp"/"impl": "ganpp-peak"/' >>"$results"
done

/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
med = {}
for r in rows:
    med.setdefault((r["impl"], r["model"], r["threads"]), []).append(r["ms_per_iter_median"])
impls = [i for i in ("ganpp", "ganpp-baseline", "libtorch", "pytorch") if any(k[0] == i for k in med)]
names = {"ganpp": "ganpp default", "ganpp-baseline": "ganpp baseline", "libtorch": "libtorch", "pytorch": "PyTorch"}
# The machine's speed drifts between rounds (a shared host), so each ratio is taken within each round, where the
# programs ran back to back, and the median of those per-round ratios is reported with their range.
def ratios(impl, model, threads):
    r = [g / t for g, t in zip(med[(impl, model, threads)], med[("libtorch", model, threads)])]
    return "%.2f | %.2f-%.2f" % (statistics.median(r), min(r), max(r))
print("\nms per training iteration (median over rounds of each run's median), batch %d" % rows[0]["batch"])
print("| model | threads | " + " | ".join(names[i] for i in impls) + " | default / libtorch | range | baseline / libtorch | range |")
print("|---" * (len(impls) + 6) + "|")
for (impl, model, threads) in sorted(k for k in med if k[0] == "ganpp"):
    cells = ["%.2f" % statistics.median(med[(i, model, threads)]) if (i, model, threads) in med else "-" for i in impls]
    print("| %s | %d | %s | %s | %s |" % (model, threads, " | ".join(cells), ratios("ganpp", model, threads), ratios("ganpp-baseline", model, threads)))
print("\nganpp GEMM ceilings (ganpp-bench --peak)")
print("| model | threads | iteration GFLOP/s | peak 1024^3 | peak of the model's shapes | share |")
print("|---|---|---|---|---|---|")
for r in rows:
    if r["impl"] == "ganpp-peak":
        print("| %s | %d | %.1f | %.1f | %.1f | %.0f%% |" % (r["model"], r["threads"], r["gflops"], r["gemm_peak_gflops"],
                                                           r["shapes_peak_gflops"], 100 * r["share_of_shapes_peak"]))
PY
