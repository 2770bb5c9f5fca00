#!/bin/sh
# SPDX-License-Identifier: MIT
# The table of docs/translation.md: identity, the U-Net on L1 alone, pix2pix and CycleGAN on Fashion-MNIST
# edges -> item, each trained for the same wall-clock budget, then scored by ganpp-translation-eval.
#   scripts/translation-table.sh [BUILD_DIR] [MINUTES] [EPOCHS] [THREADS]
# Run it on an idle machine: 3 trainings of MINUTES each (default 25) one after the other, plus the classifier.
set -eu
build=${1:-build}
minutes=${2:-25}
epochs=${3:-10}
threads=${4:-2}
data=${DATA:-data/fashion}
out=${OUT:-out/translation}
cmake -DFASHION_DIR="$data" -P cmake/FetchFashionMNIST.cmake
ex="$build/examples"
common="--data $data --epochs $epochs --minutes $minutes --threads $threads"
"$ex/ganpp-pix2pix" $common --l1-only --out "$out/unet-l1"
"$ex/ganpp-pix2pix" $common --out "$out/pix2pix"
"$ex/ganpp-cyclegan" $common --out "$out/cyclegan"
cls="$out/fashion-classifier.ganpp"
[ -f "$cls" ] || "$ex/ganpp-translation-eval" "$out/pix2pix/inputs.idx3-ubyte" --data "$data" --train-classifier --classifier "$cls" --threads "$threads"
for row in pix2pix/inputs unet-l1/outputs pix2pix/outputs cyclegan/outputs; do
  "$ex/ganpp-translation-eval" "$out/$row.idx3-ubyte" --data "$data" --classifier "$cls" --threads "$threads"
done
