#!/usr/bin/env node
'use strict'

// A hypercore 11.39.5 / hyperbee 2.27.3 peer over plain TCP on loopback (tests/oracle11,
// NODE_PATH=<oracle11>/node_modules), for tests/net/hypercore11_replication_test.cpp.
//   peer11.js serve DIR ENTRIES SECONDS   a bee of ENTRIES puts on a core with a version 3
//       manifest (linked + userData); prints {port, key, manifest, length, treeHash,
//       signature, blocks} and serves until SECONDS pass
//   peer11.js clone DIR KEYHEX PORT LENGTH  replicates a core from 127.0.0.1:PORT until it
//       holds LENGTH blocks; prints {length, treeHash, blocks}
// Storage lives in DIR (hypercore 11 has no in-memory storage); the caller removes it.

const net = require('net')
const b4a = require('b4a')
const crypto = require('hypercore-crypto')
const c = require('compact-encoding')
const Hypercore = require('hypercore')
const Hyperbee = require('hyperbee')
const m = require('hypercore/lib/messages')
const SecretStream = require('@hyperswarm/secret-stream')

const hex = (b) => b4a.toString(b, 'hex')
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')

async function blocksOf (core) {
  const out = []
  for (let i = 0; i < core.length; i++) out.push(hex(await core.get(i)))
  return out
}

async function serve (dir, entries, seconds) {
  const keyPair = crypto.keyPair(b4a.alloc(32, 0x61))
  const manifest = {
    version: 3,
    signers: [{ publicKey: keyPair.publicKey }],
    linked: [b4a.alloc(32, 0x4c)],
    userData: b4a.from('made by peer11.js')
  }
  const core = new Hypercore(dir, { keyPair, manifest })
  await core.ready()
  const bee = new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
  await bee.ready()
  const batch = bee.batch()
  for (let i = 0; i < entries; i++) await batch.put('key-' + String(i).padStart(4, '0'), 'value ' + i)
  await batch.flush()

  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    const stream = new SecretStream(false, socket)
    stream.on('error', () => {})
    core.replicate(stream)
  })
  server.listen(0, '127.0.0.1', async () => {
    print({
      port: server.address().port,
      key: hex(core.key),
      manifest: hex(c.encode(m.manifest, core.manifest)),
      length: core.length,
      treeHash: hex(await core.treeHash()),
      signature: hex(core.core.state.signature),
      blocks: await blocksOf(core)
    })
  })
  setTimeout(async () => {
    server.close()
    await bee.close().catch(() => {})
    process.exit(0)
  }, seconds * 1000)
}

async function clone (dir, keyHex, port, length) {
  const core = new Hypercore(dir, b4a.from(keyHex, 'hex'))
  await core.ready()
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.on('error', (err) => {
    print({ error: err.message })
    process.exit(1)
  })
  const stream = new SecretStream(true, socket)
  stream.on('error', () => {})
  core.replicate(stream)
  while (core.length < length) await new Promise((resolve) => core.once('append', resolve))
  await core.download({ start: 0, end: length }).done()
  print({ length: core.length, treeHash: hex(await core.treeHash()), blocks: await blocksOf(core) })
  socket.destroy()
  await core.close().catch(() => {})
  process.exit(0)
}

const [cmd, ...args] = process.argv.slice(2)
const run = cmd === 'serve' ? serve(args[0], Number(args[1]), Number(args[2]))
  : cmd === 'clone' ? clone(args[0], args[1], Number(args[2]), Number(args[3]))
    : Promise.reject(new Error('usage: peer11.js serve DIR ENTRIES SECONDS | clone DIR KEYHEX PORT LENGTH'))
run.catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n')
  process.exit(1)
})
