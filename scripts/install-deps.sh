#!/usr/bin/env bash
# Installs the Debian packages descent needs to build, test and run its demo.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail
packages=(
  cmake g++ make pkg-config      # build
  ccache                         # caches compiled objects, so rebuilds of unchanged files are instant
  libgtest-dev                   # tests (GoogleTest)
  libbenchmark-dev               # microbenchmarks (Google Benchmark)
  libcairo2-dev                  # plots (PNG, SVG)
  libcli11-dev                   # the descent command line
  nlohmann-json3-dev             # JSON configs, safetensors headers, logs
  zlib1g-dev                     # gzipped IDX files
  libsleef-dev                   # vectorized exp / log (SLEEF) for the float32 kernels
  dataset-fashion-mnist          # the real data set of `descent train`
)
# bench/run.sh passes --bench: the peers it measures against (PyTorch, and LibTorch, its C++
# API, for W1). OpenBLAS replaces Debian's reference BLAS under torch (through the libblas.so.3
# alternative), so PyTorch's matrix products run at their best, as ../shared/BENCHMARKS.md asks.
if [ "${1-}" = "--bench" ]; then
  packages+=(python3-torch python3-numpy libopenblas0-pthread libtorch-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
