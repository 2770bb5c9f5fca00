#!/usr/bin/env bash
# The figures of docs/tabular.md: builds ganpp-tabular and ganpp-timeseries tuned for this CPU, fetches the
# vega-datasets tables (cmake/FetchVegaDatasets.cmake) and runs CTGAN on penguins and birdstrikes and the series GAN
# on seattle-weather, each against its baselines; results in out/<name>/measures.json and report.html.
# Usage: bash scripts/tabular.sh [penguins|birdstrikes|seattle ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(penguins birdstrikes seattle)
bash scripts/install-deps.sh
cmake --preset native >/dev/null
cmake --build --preset native --target ganpp-tabular ganpp-timeseries
cmake -DVEGA_DIR=data/vega -P cmake/FetchVegaDatasets.cmake
echo "load before: $(uptime)"
for run in "${runs[@]}"; do
  start=$(date +%s)
  case "$run" in
    penguins) build-native/examples/ganpp-tabular --data data/vega/penguins.json --target Species --epochs 1000 --batch 100 --out out/penguins ;;
    birdstrikes) build-native/examples/ganpp-tabular --data data/vega/birdstrikes.csv --target "Wildlife Size" --epochs 300 --out out/birdstrikes ;;
    seattle) build-native/examples/ganpp-timeseries --data data/vega/seattle-weather.csv --epochs 1000 --out out/seattle ;;
    *) echo "unknown run '$run' (penguins, birdstrikes, seattle)" >&2; exit 2 ;;
  esac
  echo "$run: $(($(date +%s) - start)) s, load after: $(uptime)"
done
