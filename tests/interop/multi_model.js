#!/usr/bin/env node
'use strict'

// An independent JavaScript reading of the group formats and rules: the op decoder
// (docs/format/multiwriter.md), membership (docs/multiwriter.md, "Membership"; the layered
// depth algorithm of multi/membership.hpp) and both key/value folds (last-writer-wins and
// multi-value). It shares no code with the C++ (multi/op.cpp, multi/membership.cpp,
// multi/kv_view.cpp): uints are decoded here by hand, as BigInts, so no 64-bit value loses
// precision.
//
// stdin:  {"root": hex, "logs": {writerHex: [blockHex, ...]},
//          "maxWriters"?: n (1024), "announced"?: [hex] (open mode; default: every log's writer),
//          "describe"?: true (also print how every block decodes)}
//         or {"cases": [such objects]}: one output line per case.
// stdout: {"conflict": "lww"|"multi_value", "membership": "invited"|"open",
//          "keys": [{"key": hex, "values": [{"writer": hex, "seq": n, "hlc": "decimal",
//                                            "value": hex|null}]}],   (byte order; values in
//                                                                     (hlc, writer, seq) order)
//          "members": [{"writer": hex, "depth": n, "cutoff": "decimal"|null}], "refused": n,
//          "ignoredLogs": [hex], "badOps": {writerHex: n},
//          "decoded"?: {writerHex: [description, ...]}}
// As a module: decodeOp, describeOp, decodeRecord, computeMembership, model.

const fs = require('fs')
const b4a = require('b4a')

const PROTOCOL = b4a.from('bee-multi/1')
const TYPES = ['header', 'put', 'del', 'add_writer', 'remove_writer']

class DecodeError extends Error {
  constructor (message, unsupported = false) {
    super(message)
    this.unsupported = unsupported
  }
}

// Compact encoding, read by hand: uint is one byte below 0xfd, else 0xfd/0xfe/0xff and
// 2/4/8 little-endian bytes.
class Reader {
  constructor (buf) {
    this.buf = buf
    this.pos = 0
  }

  left () { return this.buf.length - this.pos }

  need (n, what) {
    if (this.left() < n) throw new DecodeError('truncated ' + what + ' at byte ' + this.pos)
  }

  le (width, what) {
    this.need(width, what)
    let v = 0n
    for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.buf[this.pos + i])
    this.pos += width
    return v
  }

  uint (what) {
    this.need(1, what)
    const first = this.buf[this.pos++]
    if (first < 0xfd) return BigInt(first)
    return this.le(first === 0xfd ? 2 : first === 0xfe ? 4 : 8, what)
  }

  bytes (n, what) {
    this.need(n, what)
    const out = b4a.from(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    return out
  }

  buffer (what) {
    const n = this.uint(what + ' length')
    if (n > BigInt(this.left())) throw new DecodeError(what + ' length ' + n + ' exceeds the input')
    return this.bytes(Number(n), what)
  }

  // An array count: refused when the bytes left could not hold that many items.
  count (minItem, what) {
    const n = this.uint(what)
    if (n * BigInt(minItem) > BigInt(this.left())) throw new DecodeError(what + ' ' + n + ' exceeds the input')
    return Number(n)
  }

  end () {
    if (this.left() !== 0) throw new DecodeError(this.left() + ' trailing bytes')
  }
}

// One block -> an op, or throws DecodeError (unsupported = a later version).
function decodeOp (block) {
  const r = new Reader(block)
  const version = r.uint('version')
  if (version !== 1n) throw new DecodeError('op version ' + version, true)
  const type = r.uint('type')
  if (type > 4n) throw new DecodeError('unknown op type ' + type)
  const op = { type: TYPES[Number(type)], hlc: r.le(8, 'hlc'), key: r.buffer('key') }
  const links = () => {
    const n = r.count(33, 'link count')
    const out = []
    for (let i = 0; i < n; i++) out.push({ writer: b4a.toString(r.bytes(32, 'link writer'), 'hex'), seq: r.uint('link seq') })
    return out
  }
  const writerKey = () => {
    if (op.key.length !== 32) throw new DecodeError(op.type + ': the key is not 32 bytes')
  }
  if (op.type === 'header') {
    if (!b4a.equals(r.buffer('protocol'), PROTOCOL)) throw new DecodeError('header: not bee-multi/1')
    const conflict = r.uint('conflict')
    const membership = r.uint('membership')
    if (conflict > 1n || membership > 1n) throw new DecodeError('header: unknown rule')
    writerKey()
    op.conflict = conflict === 1n ? 'multi_value' : 'lww'
    op.membership = membership === 1n ? 'open' : 'invited'
  } else if (op.type === 'put') {
    const flags = r.uint('flags')
    if (flags > 1n) throw new DecodeError('put: unknown flags ' + flags)
    op.value = flags === 1n ? r.buffer('value') : null
    op.links = links()
  } else if (op.type === 'del') {
    op.links = links()
  } else {
    writerKey()
    if (op.type === 'remove_writer') op.from = r.uint('from')
  }
  r.end()
  return op
}

function tryDecode (block) {
  try {
    return { op: decodeOp(block) }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    return { error: err }
  }
}

// One line per block, the same text multi_interop_test.cpp prints for decode_op.
function describeOp (block) {
  const { op, error } = tryDecode(block)
  if (error) return error.unsupported ? 'unsupported' : 'corrupt'
  const hex = (b) => b4a.toString(b, 'hex')
  let s = op.type + ' hlc=' + op.hlc + ' key=' + hex(op.key)
  if (op.type === 'header') s += ' conflict=' + op.conflict + ' membership=' + op.membership
  if (op.type === 'put') s += ' value=' + (op.value ? hex(op.value) : '-')
  if (op.links) s += ' links=[' + op.links.map((l) => l.writer + ':' + l.seq).join(',') + ']'
  if (op.type === 'remove_writer') s += ' from=' + op.from
  return s
}

// A key/value view record: uint count ‖ count × (fixed32 writer ‖ uint seq ‖ u64le hlc ‖
// uint flags ‖ [buffer value if flags & 2]); flags bit 0 tombstone.
function decodeRecord (buf) {
  const r = new Reader(buf)
  const n = r.count(42, 'record count')
  const values = []
  for (let i = 0; i < n; i++) {
    const writer = b4a.toString(r.bytes(32, 'writer'), 'hex')
    const seq = r.uint('seq')
    const hlc = r.le(8, 'hlc')
    const flags = r.uint('flags')
    if (flags > 3n) throw new DecodeError('record: unknown flags ' + flags)
    const value = flags & 2n ? r.buffer('value') : null
    values.push({ writer, seq, hlc, tombstone: (flags & 1n) === 1n, value })
  }
  r.end()
  return values
}

// Who may write. `memberOps`: writer -> its add_writer/remove_writer ops in seq order.
// Depth by depth from the root: settle a level (its cutoffs come from removals by
// shallower writers, found while the levels above were read), then read its ops: an add
// names a writer for the next level, a removal counts only for a writer not settled yet,
// i.e. a deeper one. The cap admits a level in key order until the table is full.
function computeMembership (root, mode, memberOps, announced, maxWriters) {
  const members = new Map() // writer -> { depth, cutoff: BigInt | null (no removal) }
  const cuts = new Map()
  let refused = 0
  let level = [root]
  for (let depth = 0; level.length > 0; depth++) {
    level.sort()
    const settled = []
    for (const w of level) {
      if (members.size >= maxWriters) {
        refused++
        continue
      }
      members.set(w, { depth, cutoff: depth > 0 && cuts.has(w) ? cuts.get(w) : null })
      settled.push(w)
    }
    const next = new Set()
    for (const w of settled) {
      const { cutoff } = members.get(w)
      for (const m of memberOps.get(w) || []) {
        if (cutoff !== null && m.seq >= cutoff) break
        if (members.has(m.target)) continue // settled: not deeper than the author
        if (m.type === 'add_writer') {
          next.add(m.target)
        } else if (m.target !== root) {
          const before = cuts.get(m.target)
          cuts.set(m.target, before === undefined || m.from < before ? m.from : before)
        }
      }
    }
    if (depth === 0 && mode === 'open') for (const a of announced) if (!members.has(a)) next.add(a)
    level = [...next]
  }
  return { members, refused }
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
const rank = (a, b) => cmp(a.hlc, b.hlc) || cmp(a.writer, b.writer) || cmp(a.seq, b.seq)

function model (input) {
  const root = input.root.toLowerCase()
  const rootKey = b4a.from(root, 'hex')
  const maxWriters = input.maxWriters === undefined ? 1024 : input.maxWriters
  let rules = { conflict: 'lww', membership: 'invited' }
  const writes = [] // every decoded put/del of a log whose header names the group
  const memberOps = new Map()
  const ignoredLogs = []
  const badOps = {}
  const decoded = {}
  for (const [w, hexBlocks] of Object.entries(input.logs)) {
    const writer = w.toLowerCase()
    const blocks = hexBlocks.map((h) => b4a.from(h, 'hex'))
    if (input.describe) decoded[writer] = blocks.map(describeOp)
    const header = blocks.length ? tryDecode(blocks[0]).op : null
    if (!header || header.type !== 'header' || !b4a.equals(header.key, rootKey)) {
      ignoredLogs.push(writer)
      continue
    }
    if (writer === root) rules = header
    const mine = []
    badOps[writer] = 0
    for (let seq = 1; seq < blocks.length; seq++) {
      const { op } = tryDecode(blocks[seq])
      if (!op || op.type === 'header') {
        badOps[writer]++
      } else if (op.type === 'add_writer' || op.type === 'remove_writer') {
        mine.push({ seq: BigInt(seq), type: op.type, target: b4a.toString(op.key, 'hex'), from: op.from })
      } else {
        writes.push({ writer, seq: BigInt(seq), op })
      }
    }
    memberOps.set(writer, mine)
  }
  const announced = (input.announced || Object.keys(input.logs)).map((k) => k.toLowerCase())
  const { members, refused } = computeMembership(root, rules.membership, memberOps, announced, maxWriters)

  const valid = writes.filter((o) => {
    const m = members.get(o.writer)
    return m !== undefined && (m.cutoff === null || o.seq < m.cutoff)
  })
  valid.forEach((o) => { o.hlc = o.op.hlc })
  valid.sort(rank)
  const byKey = new Map()
  for (const o of valid) {
    const k = b4a.toString(o.op.key, 'hex')
    if (!byKey.has(k)) byKey.set(k, [])
    byKey.get(k).push(o) // in (hlc, writer, seq) order
  }
  const keys = []
  for (const k of [...byKey.keys()].sort()) {
    const ops = byKey.get(k)
    let shown
    if (rules.conflict === 'lww') {
      shown = [ops[ops.length - 1]] // the largest (hlc, writer, seq); a del is a tombstone
    } else {
      const linked = new Set()
      for (const o of ops) for (const l of o.op.links) linked.add(l.writer + ':' + l.seq)
      shown = ops.filter((o) => !linked.has(o.writer + ':' + o.seq))
    }
    const values = shown.filter((o) => o.op.type === 'put').map((o) => ({
      writer: o.writer,
      seq: Number(o.seq),
      hlc: o.hlc.toString(),
      value: o.op.value ? b4a.toString(o.op.value, 'hex') : null
    }))
    if (values.length) keys.push({ key: k, values })
  }
  const out = {
    conflict: rules.conflict,
    membership: rules.membership,
    keys,
    members: [...members.keys()].sort().map((w) => {
      const m = members.get(w)
      return { writer: w, depth: m.depth, cutoff: m.cutoff === null ? null : m.cutoff.toString() }
    }),
    refused,
    ignoredLogs: ignoredLogs.sort(),
    badOps
  }
  if (input.describe) out.decoded = decoded
  return out
}

module.exports = { DecodeError, decodeOp, describeOp, decodeRecord, computeMembership, model }

if (require.main === module) {
  try {
    const input = JSON.parse(fs.readFileSync(0, 'utf-8'))
    const cases = input.cases || [input]
    for (const c of cases) process.stdout.write(JSON.stringify(model(c)) + '\n')
  } catch (err) {
    process.stderr.write('error: ' + (err && err.stack ? err.stack : err) + '\n')
    process.exit(1)
  }
}
