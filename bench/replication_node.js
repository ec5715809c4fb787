#!/usr/bin/env node
'use strict'

// The Node reference's side of bench/replication_bench.cpp: the same replication workloads
// run between Node peers with the oracle's hypercore 10 / hyperbee 2, over a raw TCP
// socket with the framing `peer.js` uses (TCP -> @hyperswarm/secret-stream -> hypercore
// replication). Needs NODE_PATH=<oracle>/node_modules (the driver sets it).
//
//   serve-core --bytes N --block-size B --seed HEX64 [--port 0]
//       a core of N bytes in blocks of B (pseudo-random bytes), in memory, served to every
//       connection; prints {port, key, length, byteLength, buildSeconds} once listening
//   clone-core --key HEX64 --port P
//       a full clone into memory; prints {blocks, bytes, seconds, cpuSeconds} (seconds:
//       connect to last block; cpuSeconds: this process's, start-up included)
//   gets --key HEX64 --port P --keys FILE [--no-extension]
//       for each key of FILE (JSON lines of strings): a fresh in-memory replica on a fresh
//       connection, the remote's length, then one timed bee.get(); prints
//       {ms: [...], localBlocks: [...], found}
//   concurrent --key HEX64 --port P --keys FILE [--no-extension]
//       one replica, every get of FILE in flight at once (Promise.all); prints
//       {ms, gets, localBlocks, found}
// Servers run until SIGTERM or SIGINT. Loopback only.

const net = require('net')
const fs = require('fs')
const Hypercore = require('hypercore')
const Hyperbee = require('hyperbee')
const RAM = require('random-access-memory')
const SecretStream = require('@hyperswarm/secret-stream')
const hcrypto = require('hypercore-crypto')

function parseArgs (argv) {
  const out = { _: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) {
      out._.push(a)
    } else if (a.startsWith('--no-')) {
      out[a.slice(5)] = false
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      out[a.slice(2)] = argv[++i]
    } else {
      out[a.slice(2)] = true
    }
  }
  return out
}

function need (args, name) {
  if (args[name] === undefined || args[name] === true) throw new Error('missing --' + name)
  return args[name]
}

function print (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

// Connects to 127.0.0.1:port and replicates `core` over it (Noise initiator).
function connect (core, port) {
  const socket = net.connect({ host: '127.0.0.1', port })
  const stream = new SecretStream(true, socket)
  stream.on('error', () => {})
  socket.on('error', () => {})
  core.replicate(stream)
  return { socket, stream }
}

// The remote's length: the first peer, then an update.
async function remoteLength (core) {
  const done = core.findingPeers()
  await new Promise((resolve) => core.once('peer-add', resolve))
  done()
  await core.update({ wait: true })
  return core.length
}

async function localBlocks (core) {
  let n = 0
  for (let i = 0; i < core.length; i++) if (await core.has(i)) n++
  return n
}

async function serveCore (args) {
  const bytes = Number(need(args, 'bytes'))
  const blockSize = Number(args['block-size'] || 65536)
  const seed = Buffer.from(need(args, 'seed'), 'hex')
  const started = process.hrtime.bigint()
  const core = new Hypercore(RAM, { keyPair: hcrypto.keyPair(seed) })
  await core.ready()
  // xorshift32 bytes: cheap, incompressible enough, the same on every run.
  let x = 0x9e3779b9
  const blocks = Math.ceil(bytes / blockSize)
  const perAppend = Math.max(1, Math.floor((4 << 20) / blockSize))
  for (let i = 0; i < blocks; i += perAppend) {
    const batch = []
    for (let b = i; b < Math.min(blocks, i + perAppend); b++) {
      const size = Math.min(blockSize, bytes - b * blockSize)
      const block = Buffer.allocUnsafe(size)
      for (let k = 0; k + 4 <= size; k += 4) {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        block.writeUInt32LE(x >>> 0, k)
      }
      batch.push(block)
    }
    await core.append(batch)
  }
  const buildSeconds = Number(process.hrtime.bigint() - started) / 1e9
  listen(core, args, { length: core.length, byteLength: core.byteLength, buildSeconds })
}

function listen (core, args, info) {
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const stream = new SecretStream(false, socket)
    stream.on('error', () => {})
    core.replicate(stream)
  })
  const stop = () => {
    server.close()
    for (const s of sockets) s.destroy()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  server.listen(Number(args.port || 0), '127.0.0.1', () => {
    print({ port: server.address().port, key: core.key.toString('hex'), ...info })
  })
}

async function cloneCore (args) {
  const key = Buffer.from(need(args, 'key'), 'hex')
  const port = Number(need(args, 'port'))
  const core = new Hypercore(RAM, key)
  await core.ready()
  const started = process.hrtime.bigint()
  const { socket } = connect(core, port)
  const length = await remoteLength(core)
  await core.download({ start: 0, end: length }).done()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage()
  print({ blocks: length, bytes: core.byteLength, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })
  socket.destroy()
  process.exit(0)
}

function readKeys (file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
}

async function gets (args) {
  const key = Buffer.from(need(args, 'key'), 'hex')
  const port = Number(need(args, 'port'))
  const keys = readKeys(need(args, 'keys'))
  const ms = []
  const blocks = []
  let found = 0
  for (const k of keys) {
    const core = new Hypercore(RAM, key)
    await core.ready()
    const { socket } = connect(core, port)
    await remoteLength(core)
    const bee = new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'utf-8', extension: args.extension !== false })
    await bee.ready()
    const t0 = process.hrtime.bigint()
    const entry = await bee.get(k)
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (entry) found++
    blocks.push(await localBlocks(core))
    await bee.close()
    socket.destroy()
  }
  print({ ms, localBlocks: blocks, found })
  process.exit(0)
}

async function concurrent (args) {
  const key = Buffer.from(need(args, 'key'), 'hex')
  const port = Number(need(args, 'port'))
  const keys = readKeys(need(args, 'keys'))
  const core = new Hypercore(RAM, key)
  await core.ready()
  const { socket } = connect(core, port)
  await remoteLength(core)
  const bee = new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'utf-8', extension: args.extension !== false })
  await bee.ready()
  const t0 = process.hrtime.bigint()
  const entries = await Promise.all(keys.map((k) => bee.get(k)))
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  print({ ms, gets: keys.length, localBlocks: await localBlocks(core), found: entries.filter(Boolean).length })
  socket.destroy()
  process.exit(0)
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const commands = { 'serve-core': serveCore, 'clone-core': cloneCore, gets, concurrent }
  const command = commands[args._[0]]
  if (!command) throw new Error('usage: replication_node.js serve-core|clone-core|gets|concurrent ...')
  await command(args)
}

main().catch((err) => {
  process.stderr.write('replication_node.js: ' + (err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
