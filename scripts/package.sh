#!/usr/bin/env bash
# Builds the Debian packages of this tree with CPack: build/package/*.deb
#   bee          the tool, its man page and bash completion
#   libbee0.1    the shared libraries
#   libbee-dev   headers, static libraries, CMake package, pkg-config file
# Install them with `sudo apt install ./build/package/*.deb`; docs/packaging.md has more.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-oracle >/dev/null
cmake --preset package >/dev/null
cmake --build --preset package -j "$(nproc)"
rm -f build/package/*.deb
(cd build/package && cpack -G DEB >/dev/null)
ls -1 "$PWD"/build/package/*.deb
