#!/usr/bin/env bash
# Installs everything the project needs on Debian 12, and nothing it already has.
# Idempotent: a second run installs nothing and only prints what it checked.
#   scripts/setup.sh            build and test dependencies, and the Node reference (oracle)
#   scripts/setup.sh --no-oracle    skip the Node reference
set -euo pipefail
cd "$(dirname "$0")/.."

with_oracle=1
[ "${1:-}" = "--no-oracle" ] && with_oracle=0

# Build (lld links the tests), the rival engines of bench/db_bench and its plots, the fuzzers' clang, the
# mDNS namespace tests (ip netns, an Avahi daemon and avahi-browse), the NAT lab (iptables), and packaging (the
# man page's go-md2man, dpkg-shlibdeps, lintian, man for the installed page's check).
packages=(
  g++ cmake ninja-build pkg-config git
  go-md2man dpkg-dev lintian man-db file
  libsodium-dev libzstd-dev libsimdjson-dev libboost-dev libboost-system-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libleveldb-dev librocksdb-dev liblmdb-dev libsqlite3-dev gnuplot-nox
  clang-16 libclang-rt-16-dev lld
  iproute2 iptables avahi-daemon avahi-utils dbus
)
[ "$with_oracle" = 1 ] && ! command -v node >/dev/null 2>&1 && packages+=(nodejs)
[ "$with_oracle" = 1 ] && ! command -v npm >/dev/null 2>&1 && packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" != 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
else
  echo "==> Debian packages: all present"
fi

if [ "$with_oracle" = 1 ]; then
  # The Node reference the tests compare with lives in tests/oracle (pinned package.json and
  # lockfile); it is installed into a copy under .cache/ so the source tree stays clean.
  src="tests/oracle"
  dst=".cache/oracle"
  mkdir -p "$dst"
  if ! cmp -s "$src/package-lock.json" "$dst/package-lock.json" || [ ! -d "$dst/node_modules" ]; then
    echo "==> installing the Node reference (npm ci) into $dst"
    cp "$src"/*.js "$src"/package.json "$src"/package-lock.json "$dst"/
    (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error)
  else
    cp "$src"/*.js "$dst"/
    echo "==> Node reference: installed in $dst"
  fi
  # hypercore 11 / corestore 7 (tests/oracle11), for the interop tests with today's Node
  # peers; installed the same way into .cache/oracle11.
  src="tests/oracle11"
  dst=".cache/oracle11"
  mkdir -p "$dst"
  if ! cmp -s "$src/package-lock.json" "$dst/package-lock.json" || [ ! -d "$dst/node_modules" ]; then
    echo "==> installing the Node hypercore 11 reference (npm ci) into $dst"
    cp "$src"/package.json "$src"/package-lock.json "$dst"/
    (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "==> Node hypercore 11 reference: installed in $dst"
  fi
fi
