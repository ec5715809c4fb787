'use strict'
// Calibration of the DHT simulator (bench/dht_sim_bench.cpp, tests/net/dht_sim/) against the
// real Node dht-rpc (../shared/spec/dht.md §6 "calibration"): N dht-rpc nodes in this one
// process on 127.0.0.1, set up like LookupScenario (3 persistent bootstrap nodes, the rest
// persistent too and joining in waves of max(50, n/20) every 5 s, then 30 s to settle), then
// L FIND_NODE queries for random targets from random nodes, 20 at a time, measured as the
// simulator measures them against the true k = 20 closest node ids:
//   hops to closest  mean hop of the true closest node's reply (1 = a seed from the table or
//                    the bootstrap list, h+1 = first referred by a hop-h reply), when found
//   rounds           mean highest hop visited
//   messages         request datagrams of the query itself: its visits and DOWN_HINTs with
//                    their retries, sent until the query ended
//   node tx          all request datagrams the querying node sent while the query ran, at
//                    the IO layer: what dht_sim_bench counts (DhtNode::transmissions() delta),
//                    which also takes in other queries running from the same node at the time
//   visits           nodes the query asked
//   latency          wall time from start to end of the query
//   top-k recall     |closestReplies ∩ true 20 closest| / 20
//   first found      closestReplies[0] is the true closest
//   table            mean routing-table size (k·log2(n/k)+k in brackets)
// Hops are reconstructed by wrapping the query's _addPending/_visit (lib/query.js).
//
// usage: node bench/dht_calibration.js [N...] [--lookups L] [--latency MS] [--sigma S]
//          [--settle MS] [--seed S] [--concurrency A] [--timeout S] [--sorted-closest]
//          [--closest-first] [--known-address]
// --latency 0 (default): plain loopback. --latency 50: every datagram is held back by a
// fixed per-node-pair log-normal delay (median 50 ms, sigma 0.5), the simulator's LinkModel.
// Two what-if switches patch dht-rpc in this process only, to mirror options of our DhtNode:
// --sorted-closest makes the routing table's closest() return the true k closest sorted by
// XOR distance (net/dht/routing_table.cpp) instead of kademlia-routing-table's walk (row d in
// id order, then rows d-1..0, then rows above d); --closest-first makes every query (user,
// bootstrap, refresh) visit the closest pending node next instead of popping the newest one
// (DhtNodeOptions::closest_first). --known-address joins as the simulator's nodes do
// (DhtNodeOptions::known_address): id = H(127.0.0.1:port) and persistent from the first
// bootstrap query, instead of dht-rpc's ephemeral first query followed by a second one
// under the new id once the NAT sample says host:port is stable.
// Modules come from the installed oracle: $BEE_ORACLE_DIR (default <repo>/.cache/oracle).

const path = require('path')

const oracle = process.env.BEE_ORACLE_DIR || path.join(__dirname, '..', '.cache', 'oracle')
const dhtDir = path.join(oracle, 'node_modules', 'dht-rpc')
const DHT = require(dhtDir)
const peer = require(path.join(dhtDir, 'lib', 'peer.js'))
const Query = require(path.join(dhtDir, 'lib', 'query.js'))
const UDX = require(require.resolve('udx-native', { paths: [dhtDir] }))
const Table = require(require.resolve('kademlia-routing-table', { paths: [dhtDir] }))

const K = 20

function parseArgs (argv) {
  const o = { knownAddress: false, sortedClosest: false, closestFirst: false, sizes: [], lookups: 300, latency: 0, sigma: 0.5, settle: 30000, seed: 1, concurrency: 0, timeout: 900 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => Number(argv[++i])
    if (a === '--lookups') o.lookups = next()
    else if (a === '--latency') o.latency = next()
    else if (a === '--sigma') o.sigma = next()
    else if (a === '--settle') o.settle = next()
    else if (a === '--seed') o.seed = next()
    else if (a === '--concurrency' || a === '--alpha') o.concurrency = next()
    else if (a === '--timeout') o.timeout = next()
    else if (a === '--sorted-closest') o.sortedClosest = true
    else if (a === '--closest-first') o.closestFirst = true
    else if (a === '--known-address') o.knownAddress = true
    else o.sizes.push(Number(a))
  }
  if (o.sizes.length === 0) o.sizes = [200]
  return o
}

// Deterministic choices (targets, queriers); node ids come from the OS-assigned ports.
function xorshift (seed) {
  let s = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n)
  return () => {
    s ^= s << 13n; s = BigInt.asUintN(64, s)
    s ^= s >> 7n
    s ^= s << 17n; s = BigInt.asUintN(64, s)
    return Number(s >> 11n) / 9007199254740992
  }
}

function compareDistance (target, a, b) {
  for (let i = 0; i < target.length; i++) {
    if (a[i] === b[i]) continue
    return (target[i] ^ a[i]) - (target[i] ^ b[i])
  }
  return 0
}

// What-if patches (see the header); global to this process.
function applyPatches (opts) {
  if (opts.sortedClosest) {
    Table.prototype.closest = function (id, k) {
      if (!k) k = this.k
      const all = []
      for (const row of this.rows) if (row) for (const node of row.nodes) all.push(node)
      all.sort((a, b) => compareDistance(id, a.id, b.id))
      return all.length > k ? all.slice(0, k) : all
    }
  }
  if (opts.closestFirst) {
    const addPending = Query.prototype._addPending
    Query.prototype._addPending = function (node, ref) {
      const pending = this._pending
      if (!pending._closestFirst) {
        pending._closestFirst = true
        const target = this.target
        pending.pop = function () {
          if (this.length === 0) return undefined
          let best = 0
          for (let i = 1; i < this.length; i++) {
            if (compareDistance(target, this[i].id, this[best].id) < 0) best = i
          }
          return this.splice(best, 1)[0]
        }
      }
      return addPending.call(this, node, ref)
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function withTimeout (p, ms) {
  let t
  return Promise.race([p, new Promise((resolve) => { t = setTimeout(() => resolve('timeout'), ms) })])
    .finally(() => clearTimeout(t))
}

// Count request transmissions (first sends and retries) per IO, as DhtNode::transmissions().
let patchedRequest = false
function countTransmissions (dht) {
  dht.io.transmissions = 0
  const io = dht.io
  const create = io.createRequest
  io.createRequest = function (...args) {
    const req = create.apply(this, args)
    if (req && !patchedRequest) {
      patchedRequest = true
      const proto = Object.getPrototypeOf(req)
      const sendNow = proto._sendNow
      proto._sendNow = function () {
        if (!this.destroyed) this._io.transmissions = (this._io.transmissions || 0) + 1
        return sendNow.call(this)
      }
    }
    return req
  }
}

// One UDX for all nodes; with --latency each datagram is delayed by a per-pair delay.
function makeUdx (opts, nodeOfPort) {
  const udx = new UDX()
  if (!opts.latency) return udx
  const pairDelay = new Map()
  const delay = (a, b) => {
    const key = a < b ? a * 100000 + b : b * 100000 + a
    let d = pairDelay.get(key)
    if (d === undefined) {
      const r = xorshift(key + opts.seed * 7919)
      const z = Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r())
      d = Math.max(1, Math.round(opts.latency * Math.exp(opts.sigma * z)))
      pairDelay.set(key, d)
    }
    return d
  }
  const createSocket = udx.createSocket.bind(udx)
  udx.createSocket = (...args) => {
    const socket = createSocket(...args)
    const trySend = socket.trySend.bind(socket)
    socket.trySend = (buffer, port, host, ttl) => {
      const from = nodeOfPort.get(socket.address().port)
      const to = nodeOfPort.get(port)
      if (from === undefined || to === undefined) return trySend(buffer, port, host, ttl)
      setTimeout(() => { if (!socket.closing) trySend(buffer, port, host, ttl) }, delay(from, to))
    }
    return socket
  }
  return udx
}

async function runSize (n, opts) {
  const rand = xorshift(opts.seed)
  const nodeOfPort = new Map()
  const udx = makeUdx(opts, nodeOfPort)
  const nodes = []
  const common = { udx, host: '127.0.0.1', ephemeral: false, firewalled: false }
  if (opts.concurrency) common.concurrency = opts.concurrency

  const register = async (dht) => {
    countTransmissions(dht)
    if (opts.knownAddress) {
      // 'listening' is emitted synchronously right before the first bootstrap query.
      dht.once('listening', () => {
        const id = peer.id('127.0.0.1', dht.io.serverSocket.address().port)
        dht.table = dht.io.table = new Table(id)
        dht.table.on('row', dht._onrow)
        dht.ephemeral = dht.io.ephemeral = false
      })
    }
    nodes.push(dht)
    const i = nodes.length - 1
    await dht.bind()
    nodeOfPort.set(dht.io.serverSocket.address().port, i)
    nodeOfPort.set(dht.io.clientSocket.address().port, i)
  }

  // 3 bootstrap nodes on fixed ports, each bootstrapping from the other two (as the sim).
  const base = 20000 + Math.floor(Math.random() * 12000) // below the OS ephemeral range
  const bootPorts = [base, base + 7, base + 14]
  const bootstrap = bootPorts.map((port) => ({ host: '127.0.0.1', port }))
  const t0 = Date.now()
  for (let b = 0; b < 3 && b < n; b++) {
    const dht = DHT.bootstrapper(bootPorts[b], '127.0.0.1', { ...common, bootstrap: bootstrap.filter((_, j) => j !== b) })
    await register(dht)
  }
  // Waves, like LookupScenario: max(50, n/20) nodes at once (the bootstrap nodes are the
  // first wave's first three), then 5 s before the next wave.
  const wave = Math.max(50, Math.floor(n / 20))
  let timedOut = 0
  for (let start = 0; start < n; start += wave) {
    const waveStart = Date.now()
    const end = Math.min(n, start + wave)
    while (nodes.length < end) await register(new DHT({ ...common, bootstrap }))
    const ready = await Promise.all(nodes.slice(start, end).map((d) => withTimeout(d.fullyBootstrapped(), 60000)))
    timedOut += ready.filter((r) => r === 'timeout').length
    const left = 5000 - (Date.now() - waveStart)
    if (left > 0) await sleep(left)
  }
  const joinMs = Date.now() - t0
  await sleep(opts.settle)

  const ids = nodes.map((d) => peer.id('127.0.0.1', d.io.serverSocket.address().port))
  const persistent = nodes.filter((d, i) => !d.ephemeral && d.table.id.equals(ids[i])).length
  const tables = nodes.map((d) => d.table.size).sort((a, b) => a - b)
  const r = {
    n, lookups: 0, nodeTx: 0, hops: 0, hopSamples: 0, rounds: 0, messages: 0, visits: 0, latency: 0,
    recall: 0, firstFound: 0, table: tables.reduce((a, b) => a + b, 0) / n,
    tableMin: tables[0], tableMedian: tables[n >> 1], tableMax: tables[n - 1],
    expected: K * Math.log2(n / K) + K, persistent, timedOut, joinMs
  }

  const lookup = async (src, target) => {
    const dht = nodes[src]
    const truth = ids.filter((_, i) => i !== src)
      .sort((a, b) => compareDistance(target, a, b)).slice(0, K)
    const q = dht.findNode(target)
    const hopOf = new Map()
    let visits = 0
    let maxHop = 0
    const addPending = q._addPending
    q._addPending = function (node, ref) {
      const addr = node.host + ':' + node.port
      const known = this._seen.has(addr)
      const res = addPending.call(this, node, ref)
      if (!known && this._seen.has(addr)) {
        hopOf.set(addr, ref ? (hopOf.get(ref.host + ':' + ref.port) || 0) + 1 : 1)
      }
      return res
    }
    // The requests this query creates (visits and DOWN_HINTs): the new one is the last
    // entry of io.inflight right after the call (createRequest pushes it there).
    const reqs = []
    const track = (fn) => function (...args) {
      const before = dht.io.inflight.length
      const res = fn.apply(this, args)
      if (dht.io.inflight.length > before) reqs.push(dht.io.inflight[dht.io.inflight.length - 1])
      return res
    }
    const visit = track(q._visit)
    q._visit = function (to) {
      visits++
      maxHop = Math.max(maxHop, hopOf.get(to.host + ':' + to.port) || 0)
      return visit.call(this, to)
    }
    q._downHint = track(q._downHint)
    const sentBefore = dht.io.transmissions
    const started = Date.now()
    try {
      await q.finished()
    } catch {}
    const closest = q.closestReplies
    let hit = 0
    for (const m of closest) {
      if (truth.some((t) => t.equals(m.from.id))) hit++
      if (m.from.id.equals(truth[0])) {
        r.hops += hopOf.get(m.from.host + ':' + m.from.port) || 0
        r.hopSamples++
      }
    }
    r.recall += hit / truth.length
    if (closest.length && closest[0].from.id.equals(truth[0])) r.firstFound++
    r.rounds += maxHop
    r.visits += visits
    for (const req of reqs) r.messages += req.sent
    r.nodeTx += dht.io.transmissions - sentBefore
    r.latency += Date.now() - started
    r.lookups++
  }

  for (let started = 0; started < opts.lookups; started += 20) {
    const batch = []
    for (let j = 0; j < Math.min(20, opts.lookups - started); j++) {
      const src = Math.floor(rand() * n)
      const target = Buffer.alloc(32)
      for (let b = 0; b < 32; b++) target[b] = Math.floor(rand() * 256)
      batch.push(lookup(src, target))
    }
    await Promise.all(batch)
  }

  await Promise.all(nodes.map((d) => d.destroy()))
  const L = Math.max(r.lookups, 1)
  return {
    ...r,
    hops: r.hopSamples ? r.hops / r.hopSamples : 0,
    rounds: r.rounds / L,
    messages: r.messages / L,
    nodeTx: r.nodeTx / L,
    visits: r.visits / L,
    latency: r.latency / L,
    recall: r.recall / L,
    firstFound: r.firstFound / L
  }
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const guard = setTimeout(() => {
    console.error('dht_calibration: global timeout after ' + opts.timeout + ' s')
    process.exit(2)
  }, opts.timeout * 1000)
  const alpha = opts.concurrency || DHT.DEFAULTS.concurrency
  applyPatches(opts)
  console.log(`dht-rpc ${require(path.join(dhtDir, 'package.json')).version}, α = ${alpha}, ` +
    `${opts.lookups} lookups, latency ${opts.latency ? opts.latency + ' ms median (σ ' + opts.sigma + ')' : 'loopback'}` +
    (opts.sortedClosest ? ', patched: sorted closest()' : '') + (opts.closestFirst ? ', patched: closest-first visits' : '') +
    (opts.knownAddress ? ', patched: known address (one-query join)' : ''))
  console.log('| n | hops to closest | rounds | messages | node tx | visits | latency (ms) | top-k recall | first found | ' +
    'table (k·log2(n/k)+k) | table min/median/max | persistent | wall (s) |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const n of opts.sizes) {
    const t0 = Date.now()
    const r = await runSize(n, opts)
    const wall = (Date.now() - t0) / 1000
    console.log(`| ${n} | ${r.hops.toFixed(2)} | ${r.rounds.toFixed(2)} | ${r.messages.toFixed(1)} | ${r.nodeTx.toFixed(1)} | ` +
      `${r.visits.toFixed(1)} | ${r.latency.toFixed(0)} | ${r.recall.toFixed(3)} | ${r.firstFound.toFixed(2)} | ` +
      `${r.table.toFixed(0)} (${r.expected.toFixed(0)}) | ${r.tableMin}/${r.tableMedian}/${r.tableMax} | ` +
      `${r.persistent}/${n}${r.timedOut ? ' (' + r.timedOut + ' join timeouts)' : ''} | ${wall.toFixed(1)} |`)
  }
  clearTimeout(guard)
}

main().then(() => process.exit(0), (err) => {
  console.error(err)
  process.exit(1)
})
