#!/usr/bin/env node
'use strict'

// Random op sequences run through the REAL reference (hyperbee 2.27.3 on hypercore 10),
// all in one process, for bee_write_interop_test.cpp to replay and compare block by block.
//
//   node bee_ops_vectors.js [--seed N] [--count N] [--long N]
//   -> {"cases":[{ "id", "keyEncoding", "valueEncoding", "alwaysDuplicate", "metadata",
//                  "ops": [...vectors.js op format...], "lengths": [core length after op i],
//                  "blocks": [hex...] }]}
//
// The generator is our own (deterministic, portable PRNG) so that it can mix what
// `vectors.js random-ops` does not: subs, {expect} cas, unflushed batches, empty values,
// keys and values up to 4 KiB, metadata headers and alwaysDuplicate:false.

const path = require('path')
const oracleDir = process.env.BEE_ORACLE_DIR || path.join(__dirname, '../../.cache/oracle')
const L = require(path.join(oracleDir, 'lib.js'))

function arg (name, def) {
  const i = process.argv.indexOf('--' + name)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}

// mulberry32: tiny and identical everywhere.
function prng (seed) {
  let a = seed >>> 0
  const u32 = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  const float = () => u32() / 4294967296
  return {
    float,
    int: (n) => Math.floor(float() * n),
    pick: (arr) => arr[Math.floor(float() * arr.length)]
  }
}

const WORDS = ['a', 'b', 'z', 'key', 'K', 'k', 'ä', 'é', '中', '😀', '~', ' ', '-', '/', '0', '9', 'ab', '\u0000']
const SUBS = [['a'], ['users'], ['a', 'b'], ['ä'], ['x', 'yy']]

function genString (r, len) {
  let s = ''
  while (Buffer.byteLength(s) < len) s += r.pick(WORDS)
  return s
}

function genBytesHex (r, len) {
  const b = Buffer.alloc(len)
  for (let i = 0; i < len; i++) {
    const x = r.float()
    b[i] = x < 0.15 ? 0 : x < 0.3 ? 255 : r.int(256)
  }
  return b.toString('hex')
}

function sizeOf (r, big) {
  const x = r.float()
  if (x < big) return 256 + r.int(4096 - 256 + 1) // large, up to 4 KiB
  if (x < 0.03) return 0
  return 1 + r.int(12)
}

function genCase (id, r, nOps) {
  const keyEncoding = r.float() < 0.5 ? 'binary' : 'utf-8'
  const valueEncoding = r.float() < 0.5 ? 'binary' : 'utf-8'
  const gen = (enc, len) => (enc === 'binary' ? genBytesHex(r, len) : genString(r, len))
  const bigRatio = r.float() < 0.3 ? 0.05 : 0.005
  const keyCount = r.pick([3, 8, 20, 60, 200, 600])
  const keys = []
  const seen = new Set()
  for (let guard = 0; keys.length < keyCount && guard < keyCount * 20; guard++) {
    const k = gen(keyEncoding, sizeOf(r, bigRatio))
    if (seen.has(k)) continue
    seen.add(k)
    keys.push(k)
  }
  const delRatio = r.pick([0.1, 0.25, 0.45])
  const batchRatio = r.pick([0, 0.05, 0.2, 0.5])
  const maxBatch = r.pick([3, 10, 40])
  const casRatio = r.pick([0, 0.1, 0.3])
  const nullRatio = r.pick([0, 0.05, 0.2])
  const sameRatio = r.pick([0.05, 0.3])
  const subRatio = r.pick([0, 0, 0.2, 0.6])
  const alwaysDuplicate = r.float() >= 0.2
  let metadata = null
  const m = r.float()
  if (m < 0.05) metadata = {}
  else if (m < 0.1) metadata = { contentFeed: genBytesHex(r, 32) }
  else if (m < 0.15) metadata = { contentFeed: genBytesHex(r, 32), userData: genBytesHex(r, r.int(20)) }
  else if (m < 0.18) metadata = { userData: genBytesHex(r, r.int(5)) }

  const current = new Map()
  function one () {
    const key = r.pick(keys)
    let op
    if (r.float() < delRatio) {
      op = { op: 'del', key }
      current.delete(key)
    } else {
      op = { op: 'put', key }
      let value
      if (current.has(key) && r.float() < sameRatio) value = current.get(key)
      else if (r.float() < nullRatio) value = null
      else value = gen(valueEncoding, sizeOf(r, bigRatio))
      if (value !== null) op.value = value
      current.set(key, value)
    }
    if (r.float() < casRatio) {
      const x = r.float()
      if (x < 0.2) op.cas = 'always'
      else if (x < 0.4) op.cas = 'never'
      else if (x < 0.6 && op.op === 'put') op.cas = 'diff'
      else if (x < 0.85 && current.has(key)) op.cas = { expect: current.get(key) }
      else op.cas = { expect: r.float() < 0.3 ? null : gen(valueEncoding, 1 + r.int(4)) }
    }
    return op
  }
  function withSub (op) {
    if (subRatio > 0 && r.float() < subRatio) {
      op.sub = r.pick(SUBS)
      if (r.float() < 0.3) op.sep = r.pick(['3a', '2f2f', 'ff'])
    }
    return op
  }

  const ops = []
  let n = 0
  while (n < nOps) {
    if (batchRatio > 0 && r.float() < batchRatio) {
      const size = Math.min(nOps - n, 1 + r.int(maxBatch))
      const inner = []
      for (let i = 0; i < size; i++) inner.push(one())
      const b = withSub({ op: 'batch', ops: inner })
      if (r.float() < 0.15) b.flush = false
      ops.push(b)
      n += size
    } else {
      ops.push(withSub(one()))
      n++
    }
  }
  return { id, keyEncoding, valueEncoding, alwaysDuplicate, metadata, ops }
}

L.run(async () => {
  const seed = arg('seed', 1)
  const count = arg('count', 300)
  const longEvery = arg('long-every', 100)
  const r = prng(seed)
  const beeSeed = Buffer.alloc(32, 1)
  const cases = []
  for (let id = 0; id < count; id++) {
    const x = r.float()
    const nOps = id % longEvery === longEvery - 1 ? 3000 : x < 0.8 ? 1 + r.int(150) : 150 + r.int(700)
    const c = genCase(id, r, nOps)
    const { core, results } = await L.buildBee({
      seed: beeSeed,
      ops: c.ops,
      keyEncoding: c.keyEncoding,
      valueEncoding: c.valueEncoding,
      metadata: L.parseMetadata(c.metadata === null ? undefined : c.metadata),
      alwaysDuplicate: c.alwaysDuplicate,
      extension: false
    })
    c.lengths = results.map((x) => (x.seqs.length ? x.seqs[x.seqs.length - 1] + 1 : null))
    let len = 0
    for (let i = 0; i < c.lengths.length; i++) {
      if (c.lengths[i] === null) c.lengths[i] = len
      len = c.lengths[i]
    }
    c.blocks = []
    for (let i = 0; i < core.length; i++) c.blocks.push((await core.get(i)).toString('hex'))
    await core.close()
    cases.push(c)
  }
  process.stdout.write(JSON.stringify({ cases }) + '\n')
}, 'usage: bee_ops_vectors.js [--seed N] [--count N] [--long-every N]')
