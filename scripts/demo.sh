#!/usr/bin/env bash
# The README's first command: installs what descent needs (apt-get), builds the
# `descent` tool and runs `descent demo` (the book's example); the pictures land
# in descent-out/. Extra arguments go to `descent demo` (e.g. --dataset moons).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target descent_cli
build/release/descent demo "$@"
