#!/usr/bin/env bash
# Installs the Debian packages ganpp's build, tests, examples and API reference need, skipping those already present.
# Usage: bash scripts/install-deps.sh [extra-package ...]
set -euo pipefail

packages=(cmake g++ make libeigen3-dev catch2 libstb-dev libcli11-dev nlohmann-json3-dev doxygen openmpi-bin libopenmpi-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
