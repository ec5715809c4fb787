#!/usr/bin/env node
'use strict'
// Stock Node HyperDHT / Hyperswarm peers for the connect tests (tests/net/connect/): the
// other side of every connection our connect layer makes or accepts. Prints one JSON line
// when ready (servers) or when done (clients); servers run until SIGTERM or --seconds.
//
//   dht-listen  --bootstrap h:p --seed S           echo server on key pair seed S:
//                                                    {"publicKey":...}; then one line per
//                                                    connection {"connection":{...}}
//               [--firewalled 1]                    always answers as a firewalled server
//                                                    (on loopback dht-rpc soon finds itself
//                                                    reachable and answers OPEN)
//   dht-connect --bootstrap h:p --public-key P --message HEX [--relay-through PK]
//                                                   connects, writes, reads the echo:
//                                                    {"echo":HEX,"ms":...,"remote":"h:p"}
//   swarm-serve --bootstrap h:p --entries N        a Hyperbee of N entries (key%06d ->
//                                                    value%06d) served on Hyperswarm:
//                                                    {"key","discoveryKey","length"};
//                                                    stdin "put K V" appends live
//   swarm-get   --bootstrap h:p --key K --get k1,k2 [--min-length N]
//                                                   joins as a client, reads the keys:
//                                                    {"values":{k:v|null},"length":...}
//   swarm-first-block --bootstrap h:p --key K       a fresh client: {"ms"} from creating its
//                                                    swarm to block 0 verified (bench/connect_bench)
// Every wait is bounded by --seconds (default 60): the process exits 2 on timeout.
const DHT = require('hyperdht')
const b4a = require('b4a')

function arg (name, dflt = null) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? dflt : process.argv[i + 1]
}
const hex = (b) => b4a.toString(b, 'hex')
const buf = (h) => b4a.from(h, 'hex')
const hp = (a) => a ? `${a.host}:${a.port}` : ''
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const bootstrap = () => [arg('bootstrap')]

async function dhtListen () {
  const node = new DHT({ bootstrap: bootstrap(), host: arg('host', '127.0.0.1') })
  await node.ready()
  // server.js answers OPEN with node.remoteAddress(), which is null while firewalled.
  if (arg('firewalled')) node.remoteAddress = () => null
  const server = node.createServer((socket) => {
    print({ connection: { remotePublicKey: hex(socket.remotePublicKey), remote: hp(socket.rawStream && socket.rawStream.remoteHost ? { host: socket.rawStream.remoteHost, port: socket.rawStream.remotePort } : null) } })
    socket.on('data', (d) => socket.write(d))
    socket.on('end', () => socket.end())
    socket.on('error', () => {})
  })
  const keyPair = DHT.keyPair(buf(arg('seed')))
  await server.listen(keyPair)
  print({ publicKey: hex(keyPair.publicKey), address: hp(server.address()) })
  return new Promise(() => {})
}

async function dhtConnect () {
  const node = new DHT({ bootstrap: bootstrap(), host: arg('host', '127.0.0.1') })
  await node.ready()
  const started = Date.now()
  const opts = {}
  if (arg('relay-through')) opts.relayThrough = buf(arg('relay-through'))
  const socket = node.connect(buf(arg('public-key')), opts)
  const message = buf(arg('message', '68656c6c6f'))
  const echo = await new Promise((resolve, reject) => {
    let got = b4a.alloc(0)
    socket.on('open', () => socket.write(message))
    socket.on('data', (d) => {
      got = b4a.concat([got, d])
      if (got.length >= message.length) resolve(got)
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('closed before the echo')))
  })
  print({ echo: hex(echo), ms: Date.now() - started, remote: socket.rawStream ? `${socket.rawStream.remoteHost}:${socket.rawStream.remotePort}` : '' })
  socket.destroy()
  await node.destroy()
}

async function swarmServe () {
  const Hyperswarm = require('hyperswarm')
  const Hypercore = require('hypercore')
  const Hyperbee = require('hyperbee')
  const RAM = require('random-access-memory')
  const core = new Hypercore(RAM)
  const bee = new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
  await bee.ready()
  const n = Number(arg('entries', '100'))
  const batch = bee.batch()
  for (let i = 0; i < n; i++) await batch.put('key' + String(i).padStart(6, '0'), 'value' + String(i).padStart(6, '0'))
  await batch.flush()
  const swarm = new Hyperswarm({ bootstrap: bootstrap() })
  swarm.on('connection', (c) => { core.replicate(c); c.on('error', () => {}) })
  swarm.join(core.discoveryKey, { server: true, client: false })
  await swarm.flush()
  print({ key: hex(core.key), discoveryKey: hex(core.discoveryKey), length: core.length })
  let pending = ''
  process.stdin.on('data', async (d) => {
    pending += d
    let i
    while ((i = pending.indexOf('\n')) !== -1) {
      const [cmd, k, v] = pending.slice(0, i).split(' ')
      pending = pending.slice(i + 1)
      if (cmd === 'put') {
        await bee.put(k, v)
        print({ length: core.length })
      }
    }
  })
  return new Promise(() => {})
}

async function swarmGet () {
  const Hyperswarm = require('hyperswarm')
  const Hypercore = require('hypercore')
  const Hyperbee = require('hyperbee')
  const RAM = require('random-access-memory')
  const core = new Hypercore(RAM, buf(arg('key')))
  const bee = new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
  await bee.ready()
  const swarm = new Hyperswarm({ bootstrap: bootstrap() })
  swarm.on('connection', (c) => { core.replicate(c); c.on('error', () => {}) })
  swarm.join(core.discoveryKey, { server: false, client: true })
  const done = core.findingPeers()
  await swarm.flush()
  done()
  const minLength = Number(arg('min-length', '1'))
  while (core.length < minLength) {
    await core.update({ wait: true })
    if (core.length < minLength) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const values = {}
  for (const k of arg('get', '').split(',').filter(Boolean)) {
    const node = await bee.get(k)
    values[k] = node ? node.value : null
  }
  print({ values, length: core.length })
  await swarm.destroy()
}

async function swarmFirstBlock () {
  const Hyperswarm = require('hyperswarm')
  const Hypercore = require('hypercore')
  const RAM = require('random-access-memory')
  const core = new Hypercore(RAM, buf(arg('key')))
  await core.ready()
  const started = process.hrtime.bigint()
  const swarm = new Hyperswarm({ bootstrap: bootstrap() })
  let connectedMs = null
  const since = () => Number(process.hrtime.bigint() - started) / 1e6
  swarm.on('connection', (c) => { if (connectedMs === null) connectedMs = since(); core.replicate(c); c.on('error', () => {}) })
  swarm.join(core.discoveryKey, { server: false, client: true })
  // As a Node app reads a core it has just joined: wait for a peer's length, then the block
  // (a bare get(0) on an empty core waits ~15 s more for hypercore's own length discovery).
  const done = core.findingPeers()
  swarm.flush().then(done, done)
  await core.update({ wait: true })
  await core.get(0)
  print({ ms: since(), connectedMs })
  await swarm.destroy()
}

const roles = { 'dht-listen': dhtListen, 'dht-connect': dhtConnect, 'swarm-serve': swarmServe, 'swarm-get': swarmGet, 'swarm-first-block': swarmFirstBlock }
const role = roles[process.argv[2]]
if (!role) {
  process.stderr.write('usage: hyperswarm_peer.js dht-listen|dht-connect|swarm-serve|swarm-get --bootstrap h:p ...\n')
  process.exit(64)
}
const watchdog = setTimeout(() => { process.stderr.write('hyperswarm_peer: timeout\n'); process.exit(2) }, 1000 * Number(arg('seconds', '60')))
role().then(() => { clearTimeout(watchdog); process.exit(0) }, (e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1) })
