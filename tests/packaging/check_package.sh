#!/usr/bin/env bash
# The packaging test (stage "release" of scripts/test.sh), on the Debian packages that
# scripts/package.sh builds:
#   1. lintian finds no error in them;
#   2. the install tree puts headers only under include/bee/, and every installed header
#      compiles on its own against it;
#   3. the packages install (dpkg -i); /usr/bin/bee, its man page and bash completion work;
#   4. the README's first C++ program builds against the installed package with CMake
#      (static and shared libraries) and with pkg-config, and runs;
#   5. the packages purge and leave none of their files behind.
# It installs into /usr (through sudo when not root) and always purges on the way out.
set -Eeuo pipefail
# A check that fails without a word still names itself.
trap 'echo "check_package.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/../.."
root=$PWD
sudo=""
[ "$(id -u)" != 0 ] && sudo="sudo"
work=$(mktemp -d)
packages=(bee libbee0.1 libbee-dev)
# dpkg refuses at once while another dpkg or apt holds its lock (a CI run here met one:
# "dpkg frontend lock was locked by another process"; a Debian machine's daily apt run does
# it too): wait for the lock, up to 5 minutes, instead of failing. Output only on failure.
dpkg_waiting() {
  local out="" status
  for _ in $(seq 1 150); do
    status=0
    out=$($sudo dpkg "$@" 2>&1) || status=$?
    if [ "$status" = 0 ]; then return 0; fi
    grep -q "lock" <<<"$out" || break
    sleep 2
  done
  printf '%s\n' "$out" >&2
  return 1
}
cleanup() {
  dpkg_waiting --purge "${packages[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "--- package: $*"; }

mapfile -t debs < <(scripts/package.sh | grep '\.deb$')
[ "${#debs[@]}" = 3 ] || { echo "expected 3 packages, got: ${debs[*]}" >&2; exit 1; }

step "lintian"
# Tags that are about this being a first, unofficial upload, not about the packages:
# no bug closes, and one shared-library package for several SONAMEs (one per module).
lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs,package-name-doesnt-match-sonames \
  "${debs[@]}"

step "install tree"
DESTDIR="$work/stage" cmake --install build/package >/dev/null
include_top=$(ls "$work/stage/usr/include")
[ "$include_top" = bee ] || { echo "headers outside include/bee/: $include_top" >&2; exit 1; }
find "$work/stage/usr" \( -type f -o -type l \) | sed "s|$work/stage||" | sort > "$work/tree.txt"
echo "$(wc -l < "$work/tree.txt") files; libraries: $(grep -c '\.so\.' "$work/tree.txt") shared, $(grep -c '\.a$' "$work/tree.txt") static"

step "every installed header compiles on its own"
includes="$work/stage/usr/include/bee"
find "$includes" -name '*.hpp' | sed "s|$includes/||" | sort > "$work/headers.txt"
compile_header() {
  printf '#include "%s"\n' "$1" | g++ -std=c++23 -fsyntax-only -Wall -Wextra -Werror -I"$2" -x c++ - 2>"$3/$(echo "$1" | tr / _).err" ||
    { echo "FAIL $1"; cat "$3/$(echo "$1" | tr / _).err"; return 1; }
}
export -f compile_header
xargs -P "$(nproc)" -I{} bash -c 'compile_header "$@"' _ {} "$includes" "$work" < "$work/headers.txt"
echo "$(wc -l < "$work/headers.txt") headers"

step "install the packages"
dpkg_waiting -i "${debs[@]}"
[ "$(command -v bee)" = /usr/bin/bee ]
/usr/bin/bee --help > "$work/help.txt"
grep -q "Usage: bee COMMAND" "$work/help.txt"
/usr/bin/bee --version | grep -Eq '^bee [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+(-dirty)?\)$'
man -w bee | grep -q '/usr/share/man/man1/bee.1.gz'
completion=/usr/share/bash-completion/completions/bee
bash -n "$completion"
# The completion offers the `core` group for "bee co" and `append` for "bee core ap".
words=$(bash -c 'source "$1"; COMP_WORDS=(bee co); COMP_CWORD=1; _bee; echo "${COMPREPLY[*]}"' _ "$completion")
[[ " $words " == *" core "* ]] || { echo "completion of 'bee co' gave: $words" >&2; exit 1; }
words=$(bash -c 'source "$1"; COMP_WORDS=(bee core ap); COMP_CWORD=2; _bee; echo "${COMPREPLY[*]}"' _ "$completion")
[ "$words" = append ] || { echo "completion of 'bee core ap' gave: $words" >&2; exit 1; }

step "the README's first C++ program against the installed package"
awk '/^## Using the library/ { in_section = 1 } in_section && /^```cpp/ { grab = 1; next } grab && /^```/ { exit } grab { print }' \
  README.md > "$work/readme_program.cpp"
grep -q "int main" "$work/readme_program.cpp" || { echo "README's first C++ block is not a whole program" >&2; exit 1; }
run_program() {  # run_program BINARY: the program writes a database in a fresh folder
  local dir status=0
  dir=$(mktemp -d)
  (cd "$dir" && "$1") > "$work/run.txt" 2>&1 || status=$?
  if [ "$status" != 0 ] || ! grep -qx "hello = world" "$work/run.txt"; then
    echo "$1 exited with $status and printed:" >&2
    cat "$work/run.txt" >&2
    return 1
  fi
  rm -rf "$dir"
}
quiet() {  # quiet COMMAND...: runs it with its output kept aside, shown only when it fails
  "$@" > "$work/step.log" 2>&1 || { local status=$?; cat "$work/step.log" >&2; echo "failed ($status): $*" >&2; return "$status"; }
}
quiet cmake -S tests/packaging/consumer -B "$work/consumer" -G Ninja -DPROGRAM="$work/readme_program.cpp" \
  -DLIBRARIES=bee::bee
quiet cmake --build "$work/consumer"
run_program "$work/consumer/consumer_static"
run_program "$work/consumer/consumer_shared"
linked=$(ldd "$work/consumer/consumer_shared")
grep -Eq 'libbee_bee.so.0.1 => (/usr)?/lib/' <<< "$linked" ||  # /lib is /usr/lib on Debian 12
  { echo "consumer_shared does not load the installed libbee_bee.so.0.1:" >&2; echo "$linked" >&2; exit 1; }
# shellcheck disable=SC2046
g++ -std=c++23 -Wall -Wextra -Werror "$work/readme_program.cpp" -o "$work/consumer_pkgconfig" $(pkg-config --cflags --libs bee)
run_program "$work/consumer_pkgconfig"
# A remote-query program (bee::remote_client and its Asio-free header) links as well.
quiet cmake -S tests/packaging/consumer -B "$work/consumer_remote" -G Ninja -DPROGRAM="$root/examples/remote_query.cpp" \
  -DLIBRARIES=bee::remote_client
quiet cmake --build "$work/consumer_remote"
usage=$("$work/consumer_remote/consumer_shared" 2>&1 || true)  # no arguments: its usage line
grep -q "usage: remote_query" <<< "$usage" || { echo "remote_query printed: $usage" >&2; exit 1; }
echo "built and ran with CMake (static, shared) and pkg-config; examples/remote_query.cpp builds too"

step "purge"
listed=$(dpkg -L "${packages[@]}" | sort -u)
dpkg_waiting --purge "${packages[@]}"
left=()
while IFS= read -r path; do
  [ -z "$path" ] && continue
  # Folders the system owns (/usr, /usr/share/doc, ...) stay; our own must go.
  if [ -d "$path" ]; then
    case "$path" in */bee|*/bee/*|*/libbee*) left+=("$path") ;; esac
  elif [ -e "$path" ] || [ -L "$path" ]; then
    left+=("$path")
  fi
done <<< "$listed"
[ "${#left[@]}" = 0 ] || { printf 'left behind: %s\n' "${left[@]}" >&2; exit 1; }
! command -v bee >/dev/null || { echo "bee is still on PATH after purge: $(command -v bee)" >&2; exit 1; }
echo "--- package: all checks passed"
