#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reproduces docs/superres.md's figures on an idle machine: the MNIST and emoji tables (ganpp-sr), the --upscale
# picture, and ganpp against libtorch per SRGAN iteration at 2 threads.
#   bash scripts/superres.sh [mnist] [emoji] [upscale] [bench]     (no argument: all four)
# Outputs: out/sr-mnist/, out/sr-emoji/, out/sr-upscale/, and the bench's JSON lines on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(mnist emoji upscale bench)
threads=${THREADS:-2}

cmake --preset release >/dev/null
cmake --build build --target ganpp-sr ganpp-classifier ganpp-bench -j "$threads"

for step in "${steps[@]}"; do
  case "$step" in
    mnist)
      cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
      [ -f out/mnist-classifier.ganpp ] || build/examples/ganpp-classifier --threads "$threads"
      time build/examples/ganpp-sr --task mnist --threads "$threads" --out out/sr-mnist
      ;;
    emoji)
      cmake -DEMOJI_DIR=data/emoji -P cmake/FetchEmoji.cmake
      time build/examples/ganpp-sr --task emoji --threads "$threads" --out out/sr-emoji
      ;;
    upscale)
      # An image of neither data set: the README's grid of DCGAN digits (242x242), upscaled by the MNIST SRGAN.
      mkdir -p out/sr-upscale
      build/examples/ganpp-sr --upscale docs/mnist-dcgan-grid.png --out out/sr-upscale/dcgan-grid-4x.png --checkpoint out/sr-mnist/checkpoint.ganpp
      ;;
    bench)
      source scripts/openblas-core.sh  # PyTorch at its best: OPENBLAS_CORETYPE when OpenBLAS does not recognise this CPU
      cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
      build/examples/ganpp-bench --model srgan --threads "$threads" --data data/mnist --json --iters 30
      cmake -S examples/bench/torch -B build-torch -DCMAKE_BUILD_TYPE=Release >/dev/null
      cmake --build build-torch --target torch-bench -j "$threads"
      build-torch/torch-bench --model srgan --threads "$threads" --data data/mnist --iters 30
      ;;
    *)
      echo "superres.sh: unknown step '$step' (mnist, emoji, upscale, bench)" >&2
      exit 2
      ;;
  esac
done
