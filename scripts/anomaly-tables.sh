#!/usr/bin/env bash
# The anomaly-detection figures of docs/anomaly.md, for an idle machine: the one-class-out tables on MNIST and
# Fashion-MNIST (f-AnoGAN encoder and the autoencoder-style variant, each beside the kNN baseline, every class with
# the default 2 + 2 epochs), then the scoring time of 10,000 test images with the encoder and the latent search.
# Four table runs share the cores, one thread each; results land in out/anomaly-tables/*.log and OUT/*/result.json.
# Needs Debian's dataset-fashion-mnist package for Fashion-MNIST (cmake/FetchFashionMNIST.cmake says how).
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --preset release >/dev/null
cmake --build --preset release --target ganpp-anomaly
cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
cmake -DFASHION_DIR=data/fashion -P cmake/FetchFashionMNIST.cmake
bin=build/examples/ganpp-anomaly
out=out/anomaly-tables
mkdir -p "$out"
for dataset in mnist fashion; do
  "$bin" --dataset "$dataset" --holdout all --threads 1 --out "$out/izi_f" > "$out/$dataset-izi_f.log" 2>&1 &
  "$bin" --dataset "$dataset" --holdout all --threads 1 --tune-generator --out "$out/tuned" > "$out/$dataset-tuned.log" 2>&1 &
done
wait
tail -n 12 "$out"/*.log
# Scoring time: one class, the encoder and a 50-step latent search from the best of 16 starts on the same 10,000 images.
"$bin" --dataset mnist --holdout 9 --threads 1 --search 50 --time 10000 --out "$out/timing" | grep -E "timing|AUROC"
