#!/usr/bin/env bash
# Quick start, command one: installs what is missing, builds the release preset and runs
# the main demo:
#   1. a Hypercore log on disk: created, appended, reopened, verified (examples/log_demo);
#   2. a database on that log: a batch, a get, an ordered range, a diff (examples/bee_quickstart);
#   3. two processes: `bee serve` shares the database on 127.0.0.1; `bee query` reads it
#      remotely, fetching only the blocks each lookup walks; `bee clone` replicates it into
#      another folder, verifying every block, and the clone answers the same queries;
#   4. peers finding each other: a DHT bootstrap node on 127.0.0.1, `bee serve --swarm`
#      announcing the database, `bee query --swarm` finding it by its key alone;
#   5. two writers, one database: a group (docs/multiwriter.md) on two devices, both
#      writing while apart (the same key included), then meeting and converging.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-oracle
echo "==> building (release)"
cmake --preset release >/dev/null
cmake --build --preset release
bin=build/release
bee="$bin/bin/bee"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${dht_pid:-}" ] && kill "$dht_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo
echo "==> 1. a log on disk ($work/demo-log)"
"$bin/examples/log_demo" "$work/demo-log"
"$bee" core info "$work/demo-log"
"$bee" core verify "$work/demo-log"

echo
echo "==> 2. a database ($work/demo-db)"
"$bin/examples/bee_quickstart" "$work/demo-db"

echo
echo "==> 3. two processes: serve the database, query it remotely, clone it, query the clone"
"$bee" serve "$work/demo-db" --port 0 --seconds 60 > "$work/serve.json" 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do  # wait (at most 10 s) for the server's one line
  [ -s "$work/serve.json" ] && break
  sleep 0.1
done
[ -s "$work/serve.json" ] || { echo "bee serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
cat "$work/serve.json"
key=$(sed -E 's/.*"key":"([0-9a-f]+)".*/\1/' "$work/serve.json")
port=$(sed -E 's/.*"port":([0-9]+).*/\1/' "$work/serve.json")
set -x
# Sparse remote reads: only the blocks each lookup walks are fetched and verified.
"$bee" query "$key" --peer "127.0.0.1:$port" get motd --stats
"$bee" query "$key" --peer "127.0.0.1:$port" range --sub users --value-encoding json --limit 2 --stats
"$bee" clone "$key" "$work/clone" --peer "127.0.0.1:$port" --timeout 20000
"$bee" core verify "$work/clone"
"$bee" range "$work/clone" --sub users --value-encoding json
"$bee" get "$work/clone" motd
set +x
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
cat "$work/serve.log"

echo
echo "==> 4. peers finding each other by the key alone, through a DHT on 127.0.0.1"
# wait_line FILE: the first line a background command prints (at most 10 s)
wait_line() {
  for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "no output in $1" >&2; return 1
}
"$bee" dht bootstrap --host 127.0.0.1 --port 0 --seconds 60 > "$work/dht.json" 2> "$work/dht.log" &
dht_pid=$!
wait_line "$work/dht.json"
bootstrap=$(sed -E 's/.*"bootstrap":"([^"]+)".*/\1/' "$work/dht.json")
"$bee" serve "$work/demo-db" --host 127.0.0.1 --swarm --bootstrap "$bootstrap" --seconds 60 \
  > "$work/swarm.json" 2> "$work/swarm.log" &
server_pid=$!
wait_line "$work/swarm.json"
topic=$(sed -E 's/.*"discoveryKey":"([0-9a-f]+)".*/\1/' "$work/swarm.json")
# The server prints its line before its announcement lands: wait for it (at most 10 s).
for _ in $(seq 1 20); do
  "$bee" dht lookup "$topic" --bootstrap "$bootstrap" --json 2>/dev/null | grep -q '"peers":\[{' && break
  sleep 0.5
done
set -x
"$bee" dht lookup "$topic" --bootstrap "$bootstrap"
"$bee" query "$key" --swarm --bootstrap "$bootstrap" get motd --stats
set +x
kill "$server_pid" "$dht_pid" && wait "$server_pid" "$dht_pid" 2>/dev/null || true
server_pid=""

echo
echo "==> 5. two writers, one database: a group on two devices that write apart, then converge"
set -x
group=$("$bee" group create "$work/laptop")
writer=$("$bee" group join "$group" "$work/phone")
"$bee" group invite "$work/laptop" "$writer"
set +x
# sync_phone: the laptop serves for a moment; the phone syncs with it and the laptop stops.
sync_phone() {
  rm -f "$work/group.json"
  "$bee" group serve "$work/laptop" --seconds 60 > "$work/group.json" 2> "$work/group.log" &
  server_pid=$!
  wait_line "$work/group.json"
  local gport
  gport=$(sed -E 's/.*"port":([0-9]+).*/\1/' "$work/group.json")
  (set -x; "$bee" group sync "$work/phone" --peer "127.0.0.1:$gport" --timeout 20000)
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
sync_phone   # the phone learns it may write
set -x
# Apart (offline): both write, the same key included; the later write will win.
"$bee" group put "$work/laptop" milk "buy 2"
"$bee" group put "$work/laptop" eggs 12
"$bee" group put "$work/phone" milk "buy 1 (bought one)"
"$bee" group put "$work/phone" bread rye
set +x
sync_phone   # they meet
set -x
"$bee" group range "$work/laptop"
"$bee" group range "$work/phone"
"$bee" group status "$work/phone"
set +x
[ "$("$bee" group range "$work/laptop")" = "$("$bee" group range "$work/phone")" ] || { echo "the two writers differ" >&2; exit 1; }
echo "==> done: remote queries answered, the clone holds the same signed database as the original,"
echo "    a reader found the server by the database key alone, and two writers converged"
