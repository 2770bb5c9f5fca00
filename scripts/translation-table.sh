#!/bin/sh
# SPDX-License-Identifier: MIT
# The table of docs/translation.md: identity, the U-Net on L1 alone, pix2pix and CycleGAN on Fashion-MNIST
# edges -> item, each trained for the same wall-clock budget, then scored by ganpp-translation-eval.
#   scripts/translation-table.sh [BUILD_DIR] [MINUTES] [EPOCHS] [THREADS]
# Run it on an idle machine: 3 trainings of MINUTES each (default 25) one after the other, plus the classifier.
# EPOCHS sets the learning-rate schedule's length (constant, then decaying to 0 over its second half); pick it so
# that each training ends its schedule inside MINUTES. The rows train at different speeds, so the environment can
# set each row's own: L1_EPOCHS, PIX2PIX_EPOCHS, CYCLEGAN_EPOCHS (default EPOCHS), and CYCLEGAN_ARGS (extra options
# of ganpp-cyclegan, e.g. "--ngf 16 --limit 24000").
set -eu
build=${1:-build}
minutes=${2:-25}
epochs=${3:-10}
threads=${4:-2}
data=${DATA:-data/fashion}
out=${OUT:-out/translation}
cmake -DFASHION_DIR="$data" -P cmake/FetchFashionMNIST.cmake
ex="$build/examples"
common="--data $data --minutes $minutes --threads $threads"
"$ex/ganpp-pix2pix" $common --epochs "${L1_EPOCHS:-$epochs}" --l1-only --out "$out/unet-l1"
"$ex/ganpp-pix2pix" $common --epochs "${PIX2PIX_EPOCHS:-$epochs}" --out "$out/pix2pix"
# shellcheck disable=SC2086 # CYCLEGAN_ARGS is a list of options
"$ex/ganpp-cyclegan" $common --epochs "${CYCLEGAN_EPOCHS:-$epochs}" ${CYCLEGAN_ARGS:-} --out "$out/cyclegan"
cls="$out/fashion-classifier.ganpp"
[ -f "$cls" ] || "$ex/ganpp-translation-eval" "$out/pix2pix/inputs.idx3-ubyte" --data "$data" --train-classifier --classifier "$cls" --threads "$threads"
for row in pix2pix/inputs unet-l1/outputs pix2pix/outputs cyclegan/outputs; do
  "$ex/ganpp-translation-eval" "$out/$row.idx3-ubyte" --data "$data" --classifier "$cls" --threads "$threads"
done
