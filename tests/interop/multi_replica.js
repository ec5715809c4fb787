#!/usr/bin/env node
'use strict'

// Node's side of tests/multi/multi_interop_test.cpp: connects to our C++ PeerSession on
// loopback (TCP -> @hyperswarm/secret-stream -> hypercore 10.38.2 replication), clones one
// core of a group and checks it against what the test says it holds.
//
//   multi_replica.js log  --key HEX --port P --expect FILE [--timeout MS]
//     a writer log. FILE: {"blocks": [hex, ...]}. Downloads every block, then checks that
//     the replica has each one (core.has) and that its bytes are the expected ones, and
//     decodes each with multi_model.js's decoder.
//     prints {"length", "treeHash", "missing": [i], "mismatched": [i], "ops": [description]}
//   multi_replica.js view --key HEX --port P --expect FILE [--timeout MS]
//     a view's bee. FILE: {"kv": [[keyHex, recordHex], ...]} (the sub's keys, prefix
//     stripped). Opens it with hyperbee 2.27.3 (binary keys and values) and reads every
//     entry and bee.sub('kv') (its range, and get() of the keys "" and 00, which a sub's
//     range skips), decoding each record.
//     prints {"length", "version", "entries": [[keyHex, valueHex|null]],
//             "kv": [{"key", "record", "values": [{"writer", "seq", "hlc", "tombstone", "value"}]}],
//             "kvMismatch": bool, "onlyByGet": [keyHex]}

const fs = require('fs')
const net = require('net')
const path = require('path')
const b4a = require('b4a')
const Hypercore = require('hypercore')
const Hyperbee = require('hyperbee')
const RAM = require('random-access-memory')
const SecretStream = require('@hyperswarm/secret-stream')
const { describeOp, decodeRecord } = require(path.join(__dirname, 'multi_model.js'))

const hex = (b) => (b === null || b === undefined ? null : b4a.toString(b, 'hex'))

function args (argv) {
  const out = { mode: argv[0] }
  for (let i = 1; i + 1 < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1]
  return out
}

async function collect (stream) {
  const out = []
  for await (const e of stream) out.push(e)
  return out
}

async function checkLog (core, expect) {
  const length = core.length
  await core.download({ start: 0, end: length }).done()
  const missing = []
  const mismatched = []
  const ops = []
  for (let i = 0; i < length; i++) {
    if (!(await core.has(i))) {
      missing.push(i)
      continue
    }
    const block = await core.get(i, { wait: false })
    if (i >= expect.blocks.length || hex(block) !== expect.blocks[i]) mismatched.push(i)
    ops.push(describeOp(block))
  }
  return { length, treeHash: hex(await core.treeHash()), missing, mismatched, ops }
}

async function checkView (core, expect) {
  const bee = new Hyperbee(core, { keyEncoding: 'binary', valueEncoding: 'binary', extension: false })
  await bee.ready()
  const entries = (await collect(bee.createReadStream())).map((e) => [hex(e.key), hex(e.value)])
  const sub = bee.sub('kv')
  const listed = await collect(sub.createReadStream())
  // A sub's unbounded range starts after prefix ‖ 00 (encRange: gt = the sub's encoding
  // of a 00 byte), so it never lists the keys "" and 00: only get() finds those.
  const onlyByGet = []
  for (const key of [b4a.alloc(0), b4a.alloc(1)]) {
    const e = await sub.get(key)
    if (e === null || listed.some((l) => b4a.equals(l.key, key))) continue
    onlyByGet.push(hex(key))
    listed.push(e)
  }
  listed.sort((x, y) => b4a.compare(x.key, y.key))
  const kv = listed.map((e) => ({
    key: hex(e.key),
    record: hex(e.value),
    values: decodeRecord(e.value).map((v) => ({
      writer: v.writer, seq: Number(v.seq), hlc: v.hlc.toString(), tombstone: v.tombstone, value: hex(v.value)
    }))
  }))
  const want = JSON.stringify(expect.kv)
  const kvMismatch = JSON.stringify(kv.map((e) => [e.key, e.record])) !== want
  const out = { length: core.length, version: bee.version, entries, kv, kvMismatch, onlyByGet }
  await bee.close()
  return out
}

async function main () {
  const a = args(process.argv.slice(2))
  if (a.mode !== 'log' && a.mode !== 'view') throw new Error('usage: multi_replica.js log|view --key HEX --port P --expect FILE')
  const expect = JSON.parse(fs.readFileSync(a.expect, 'utf-8'))
  const timer = setTimeout(() => {
    process.stderr.write('error: timed out\n')
    process.exit(2)
  }, Number(a.timeout || 20000))

  const core = new Hypercore(RAM, b4a.from(a.key, 'hex'))
  await core.ready()
  const socket = net.connect({ host: '127.0.0.1', port: Number(a.port) })
  const stream = new SecretStream(true, socket)
  stream.on('error', () => {})
  const done = core.findingPeers()
  core.replicate(stream)
  await new Promise((resolve) => core.once('peer-add', resolve))
  done()
  await core.update({ wait: true })

  const out = a.mode === 'log' ? await checkLog(core, expect) : await checkView(core, expect)
  clearTimeout(timer)
  process.stdout.write(JSON.stringify(out) + '\n')
  stream.destroy()
  socket.destroy()
  await core.close().catch(() => {})
  process.exit(0)
}

main().catch((err) => {
  process.stderr.write('error: ' + (err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
