#!/usr/bin/env node
'use strict'

// Read-path vectors from the real hyperbee 2.27.3: builds many bees from deterministic
// random (or given) ops, then runs random queries (get, range, peek, history, diff,
// getBySeq, version, each optionally on a checkout) and prints, one JSON line per case,
// every block (hex), the versions that fall inside a batch ("midBatch") and every query
// with the reference's result or error.
//
// stdin: {"cases":[{"name", "seed": int, "encoding": "binary"|"utf-8",
//                   "ops": [...] | "gen": {count, keys, delRatio, batchRatio, maxBatch,
//                                          nullRatio, sameRatio, subRatio, casRatio,
//                                          emptyRatio, valueSize},
//                   "queries": n, "extraQueries": [query, ...],
//                   "limitRatio": how often range/history/diff get a limit}]}
// Queries are run through a second bee over the same core with binary encodings, so
// every key in a query and a result is hex. Results are compact:
//   entry   [seq, keyHex, valueHex|null]        (getBySeq: [keyHex, valueHex|null])
//   history ["put"|"del", seq, keyHex, valueHex|null]
//   diff    [entry|null, entry|null]

const path = require('path')
const fs = require('fs')
const oracleDir = process.env.BEE_ORACLE_DIR || path.join(__dirname, '../../.cache/oracle')
const L = require(path.join(oracleDir, 'lib.js'))
const Hyperbee = require('hyperbee')
const b4a = require('b4a')
const { Node } = require('hyperbee/lib/messages')

// sfc32 seeded through splitmix32 (the same generator as vectors.js random-ops).
function prng (seed) {
  let s = seed >>> 0
  let t = Math.floor(seed / 4294967296) >>> 0
  function splitmix () {
    s = (s + 0x9e3779b9) >>> 0
    let z = s ^ t
    t = (t + 0x632be5ab) >>> 0
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  function next () {
    const r = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + r) >>> 0
    return r
  }
  for (let i = 0; i < 12; i++) next()
  const float = () => next() / 4294967296
  return {
    float,
    int: (n) => Math.floor(float() * n),
    pick: (arr) => arr[Math.floor(float() * arr.length)],
    chance: (p) => float() < p
  }
}

const WORDS = ['a', 'b', 'z', 'key', 'K', 'k', 'ä', 'é', '中', '😀', '~', ' ', '-', '/', '0', '9', 'ab']

function randomWord (r, parts) {
  let s = ''
  const n = 1 + r.int(parts)
  for (let i = 0; i < n; i++) s += r.pick(WORDS)
  return s
}

function randomBytesHex (r, maxLen, minLen = 0) {
  const len = minLen + r.int(maxLen - minLen + 1)
  const out = []
  for (let i = 0; i < len; i++) {
    const x = r.float()
    out.push(x < 0.15 ? 0 : x < 0.3 ? 255 : r.int(256))
  }
  return b4a.toString(b4a.from(out), 'hex')
}

function genOps (r, enc, g) {
  const keys = []
  const seen = new Set()
  while (keys.length < g.keys) {
    const k = enc === 'binary' ? randomBytesHex(r, 6, 1) : (r.chance(0.5) ? 'k' + r.int(g.keys * 4) : randomWord(r, 4))
    if (seen.has(k)) continue
    seen.add(k)
    keys.push(k)
  }
  const current = new Map()
  function value () {
    if (r.chance(g.emptyRatio || 0)) return ''
    return enc === 'binary' ? randomBytesHex(r, g.valueSize || 12) : randomWord(r, 3)
  }
  function one () {
    const key = r.pick(keys)
    let op
    if (r.chance(g.delRatio || 0)) {
      op = { op: 'del', key }
      current.delete(key)
    } else {
      op = { op: 'put', key }
      let v
      if (current.has(key) && r.chance(g.sameRatio || 0)) v = current.get(key)
      else if (r.chance(g.nullRatio || 0)) v = null
      else v = value()
      if (v !== null) op.value = v
      current.set(key, v)
    }
    if (r.chance(g.casRatio || 0)) op.cas = op.op === 'put' ? r.pick(['diff', 'never', 'always']) : r.pick(['never', 'always'])
    return op
  }
  function subOf (op) {
    if (!r.chance(g.subRatio || 0)) return op
    op.sub = r.chance(0.7) ? ['s1'] : ['s1', 'n2']
    if (r.chance(0.3)) op.sep = '3a'
    return op
  }
  const ops = []
  let n = 0
  while (n < g.count) {
    if (r.chance(g.batchRatio || 0)) {
      const size = Math.min(g.count - n, 1 + r.int(g.maxBatch || 8))
      const batch = { op: 'batch', ops: [] }
      for (let i = 0; i < size; i++) batch.ops.push(one())
      subOf(batch)
      if (r.chance(0.03)) batch.flush = false
      ops.push(batch)
      n += size
    } else {
      ops.push(subOf(one()))
      n++
    }
  }
  return ops
}

// The reference's history bounds (iterators/history.js), to keep away from queries that
// would read past the version (the reference waits for such blocks forever).
function historyEnd (o, v) {
  if (o.lte === 0 || o.lt === 0) return 0
  if (o.lte) return (o.lte < 0 ? o.lte + v : o.lte) + 1
  const lt = o.lt || v
  return lt < 0 ? lt + v : lt
}

function genQueries (r, count, length, keyPool, limitRatio) {
  const live = Math.max(1, length)
  const queries = []
  const someKey = () => {
    const x = r.float()
    if (keyPool.length && x < 0.6) return r.pick(keyPool)
    if (keyPool.length && x < 0.75) return r.pick(keyPool) + r.pick(['00', 'ff', '61'])
    if (keyPool.length && x < 0.85) { const k = r.pick(keyPool); return k.slice(0, Math.max(0, k.length - 2)) }
    return randomBytesHex(r, 5)
  }
  const bounds = (q, p) => {
    for (const b of ['gt', 'gte', 'lt', 'lte']) if (r.chance(p)) q[b] = someKey()
  }
  const limit = (q, p, values) => { if (r.chance(limitRatio === undefined ? p : limitRatio)) q.limit = r.pick(values) }
  const seqNumber = (v) => {
    const x = r.float()
    if (x < 0.15) return 0
    if (x < 0.55) return 1 + r.int(Math.max(1, v - 1))
    if (x < 0.9) return -(1 + r.int(v))
    return -(v + 1 + r.int(3))
  }
  while (queries.length < count) {
    const q = {}
    const x = r.float()
    if (r.chance(0.45)) {
      const y = r.float()
      // Never past the length: the reference would wait for those blocks.
      q.version = y < 0.05 || length === 0 ? 0 : y < 0.1 ? 1 : y < 0.2 ? length : 1 + r.int(length)
    }
    const v = q.version === undefined ? live : Math.max(1, q.version)
    if (x < 0.22) {
      q.q = 'get'
      q.key = someKey()
    } else if (x < 0.45) {
      q.q = 'range'
      bounds(q, 0.3)
      if (r.chance(0.5)) q.reverse = true
      limit(q, 0.5, [-1, 0, -2, 1, 2, 5, 20, 100])
    } else if (x < 0.52) {
      q.q = 'peek'
      bounds(q, 0.35)
      if (r.chance(0.5)) q.reverse = true
    } else if (x < 0.7) {
      q.q = 'history'
      for (const b of ['gt', 'gte', 'lt', 'lte']) if (r.chance(0.3)) q[b] = seqNumber(v)
      if (q.lt !== undefined && q.lt > v) q.lt = v
      if (q.lte !== undefined && q.lte > v - 1) q.lte = v - 1
      if (historyEnd(q, v) > v) continue
      if (r.chance(0.5)) q.reverse = true
      limit(q, length > 300 ? 0.9 : 0.5, [-1, 0, -3, 1, 2, 7, 40])
    } else if (x < 0.87) {
      q.q = 'diff'
      const y = r.float()
      q.right = y < 0.1 ? 0 : y < 0.2 ? live : y < 0.5 ? Math.max(1, v - 1 - r.int(5)) : 1 + r.int(live)
      bounds(q, 0.25)
      limit(q, 0.5, [-1, 0, -4, 1, 3, 30])
    } else if (x < 0.93) {
      q.q = 'getBySeq'
      q.seq = r.chance(0.05) || v < 2 ? 0 : 1 + r.int(v - 1)
    } else {
      q.q = 'version'
    }
    queries.push(q)
  }
  return queries
}

const entry = (e) => e && [e.seq, e.keyHex, e.valueHex]

function compact (q, res) {
  if ('error' in res) return { ...q, err: String(res.error) }
  const v = res.result
  switch (q.q) {
    case 'get': case 'peek': return { ...q, r: entry(v) }
    case 'range': return { ...q, r: v.map(entry) }
    case 'history': return { ...q, r: v.map((e) => [e.type, e.seq, e.keyHex, e.valueHex]) }
    case 'diff': return { ...q, r: v.map((d) => [entry(d.left), entry(d.right)]) }
    case 'getBySeq': return { ...q, r: [v.keyHex, v.valueHex] }
    default: return { ...q, r: v }
  }
}

async function runCase (c) {
  const r = prng(c.seed)
  const enc = c.encoding || 'binary'
  const ops = c.ops || genOps(r, enc, c.gen)
  L.validateOps(ops)
  const seed = b4a.alloc(32)
  seed.writeUInt32LE(c.seed >>> 0, 0)
  const { core, bee, results } = await L.buildBee({ seed, ops, keyEncoding: enc, valueEncoding: enc, extension: false })
  // Versions whose root is a block inside a batch other than its last: their trees may
  // point at later blocks of the same batch.
  const midBatch = []
  results.forEach((res, i) => {
    if (ops[i].op !== 'batch') return
    const seqs = res.seqs.filter((s) => s > 0)
    for (const s of seqs.slice(0, -1)) midBatch.push(s + 1)
  })
  const blocks = []
  for (let i = 0; i < core.length; i++) blocks.push(await core.get(i))

  const keys = new Set()
  for (let i = 1; i < blocks.length; i++) {
    try { keys.add(L.hex(Node.decode(blocks[i]).key)) } catch (_) {}
  }
  const view = new Hyperbee(core, { keyEncoding: 'binary', valueEncoding: 'binary', extension: false })
  await view.ready()
  const queries = []
  for (const q of [...(c.extraQueries || []), ...genQueries(r, c.queries || 0, core.length, [...keys].sort(), c.limitRatio)]) {
    queries.push(compact(q, await L.runQuery(view, q, 'binary', 'binary')))
  }
  const out = { name: c.name, seed: L.hex(seed), length: core.length, midBatch, blocks: blocks.map(L.hex), queries }
  await view.close()
  await bee.close()
  return out
}

async function main () {
  const input = JSON.parse(fs.readFileSync(0, 'utf-8'))
  for (const c of input.cases) {
    process.stdout.write(JSON.stringify(await runCase(c)) + '\n')
  }
}

main().catch((err) => {
  process.stderr.write('error: ' + (err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
