#!/usr/bin/env node
'use strict'

// What the real hyperbee 2.27.3 answers to the `hyperbee` replication extension: for
// bees built from deterministic random puts, deletes and batches, the seqs its extension
// responder (hyperbee/lib/extension.js onget / oniterator) reports through `onseq` for
// random gets and range scans, and the exact bytes of its Extension messages. Each query
// runs on a fresh Hyperbee over the same core so its key cache is empty (the responder's
// answer depends on that cache otherwise).
//
// argv: seed count   (stdout: one JSON object)
//   {"blocks": [hex], "messages": [{"msg": {...}, "hex": ...}],
//    "gets": [{"version", "key", "seqs"}],
//    "iterators": [{"version", "gte"|"gt"|"lte"|"lt": hex, "limit", "reverse",
//                   "checkpoint": [..], "seqs": [..]}]}

const path = require('path')
const oracleDir = process.env.BEE_ORACLE_DIR || path.join(__dirname, '../../.cache/oracle')
const L = require(path.join(oracleDir, 'lib.js'))
const Hypercore = require('hypercore')
const Hyperbee = require('hyperbee')
const RAM = require('random-access-memory')
const b4a = require('b4a')
const { Extension, Node } = require('hyperbee/lib/messages')

function prng (seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function main () {
  const seed = Number(process.argv[2] || 1)
  const count = Number(process.argv[3] || 600)
  const rnd = prng(seed)
  const int = (n) => Math.floor(rnd() * n)
  const key = (i) => b4a.from('k' + String(i).padStart(5, '0'))

  const core = new Hypercore(RAM)
  await core.ready()
  const db = new Hyperbee(core, { extension: false })
  await db.ready()
  const space = count * 2
  for (let n = 0; n < count;) {
    if (rnd() < 0.2) {
      const b = db.batch()
      const size = 1 + int(20)
      for (let j = 0; j < size; j++) await b.put(key(int(space)), b4a.from('v' + n + '.' + j))
      await b.flush()
      n += size
    } else if (rnd() < 0.15) {
      await db.del(key(int(space)))
      n++
    } else {
      await db.put(key(int(space)), b4a.from('v' + n))
      n++
    }
  }

  const blocks = []
  for (let i = 0; i < core.length; i++) blocks.push(L.hex(await core.get(i)))

  const fresh = async (version) => {
    const bee = new Hyperbee(core.session(), { extension: false })
    await bee.ready()
    return { bee, snap: bee.checkout(version) }
  }
  const someKey = () => rnd() < 0.1 ? b4a.from('k' + int(space) + 'x') : key(int(space))
  // Versions whose last block carries a tree (not one inside a batch: checking one of
  // those out fails in the reference too).
  const rooted = []
  for (let v = 2; v <= core.length; v++) {
    const node = Node.decode(await core.get(v - 1))
    if (node.index && node.index.length) rooted.push(v)
  }
  const someVersion = () => rnd() < 0.7 ? core.length : rooted[int(rooted.length)]

  const gets = []
  for (let q = 0; q < 120; q++) {
    const version = someVersion()
    const k = someKey()
    const { bee, snap } = await fresh(version)
    const seqs = []
    await snap.get(k, { extension: false, wait: false, update: false, onseq: (s) => seqs.push(s) }).catch(() => {})
    await snap.close()
    await bee.close()
    gets.push({ version, key: L.hex(k), seqs })
  }

  const iterators = []
  for (let q = 0; q < 120; q++) {
    const version = someVersion()
    const msg = { version, gte: null, gt: null, lte: null, lt: null, limit: rnd() < 0.3 ? 0 : 1 + int(60), reverse: rnd() < 0.4, checkpoint: [] }
    const lo = int(space)
    const hi = lo + int(space / 3)
    if (rnd() < 0.8) msg[rnd() < 0.5 ? 'gte' : 'gt'] = key(lo)
    if (rnd() < 0.8) msg[rnd() < 0.5 ? 'lte' : 'lt'] = key(hi)
    // A checkpoint as the asker's iterator reports it after a few entries.
    if (rnd() < 0.3) {
      const { bee, snap } = await fresh(version)
      const ite = snap.createRangeIterator({ ...msg, limit: msg.limit === 0 ? -1 : msg.limit, extension: false })
      await ite.open()
      const steps = int(10)
      for (let i = 0; i < steps; i++) if (!(await ite.next())) break
      const s = ite.snapshot(version)
      msg.checkpoint = s.checkpoint
      await ite.close()
      await snap.close()
      await bee.close()
    }
    // As extension.js oniterator, without its skip of the first checkpoint.length reads
    // (checked separately by the test) and without its cap (the bees are small).
    const { bee, snap } = await fresh(version)
    const seqs = []
    const seen = new Set()
    const ite = snap.createRangeIterator({
      ...msg, wait: false, extension: false, update: false,
      limit: msg.limit === 0 ? -1 : msg.limit,
      onseq (seq) { if (!seen.has(seq)) { seen.add(seq); seqs.push(seq) } }
    })
    try {
      await ite.open()
      while (await ite.next()) {}
    } catch (_) {}
    await ite.close().catch(() => {})
    await snap.close()
    await bee.close()
    const out = { ...msg, seqs }
    for (const f of ['gte', 'gt', 'lte', 'lt']) out[f] = msg[f] === null ? null : L.hex(msg[f])
    iterators.push(out)
  }

  // Encodings of each message kind, as the reference's protobuf encoder writes them.
  const messages = []
  const add = (m) => messages.push({ msg: m, hex: L.hex(Extension.encode(m)) })
  add({ get: { version: 12, key: b4a.from('k00042') } })
  add({ cache: { start: 3, end: 300, blocks: [3, 299, 17, 128] } })
  add({ iterator: { version: 5, gte: b4a.from('a'), gt: null, lte: null, lt: b4a.from('z'), limit: 0, reverse: false, checkpoint: [] } })
  add({ iterator: { version: 70000, gte: null, gt: b4a.from('b'), lte: b4a.from('y'), lt: null, limit: 25, reverse: true, checkpoint: [9, 0, 3, 300, 2, 1] } })
  for (const m of messages) {
    for (const k of ['get', 'cache', 'iterator']) {
      if (!m.msg[k]) continue
      for (const f of ['key', 'gte', 'gt', 'lte', 'lt']) if (m.msg[k][f]) m.msg[k][f] = L.hex(m.msg[k][f])
    }
  }

  process.stdout.write(JSON.stringify({ blocks, messages, gets, iterators }) + '\n')
  await db.close()
}

main().catch((err) => { console.error(err); process.exit(1) })
