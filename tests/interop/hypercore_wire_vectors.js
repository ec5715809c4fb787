#!/usr/bin/env node
'use strict'

// Wire vectors of the reference for the hypercore channel messages (hypercore 10.38.2
// lib/messages.js, wire.*) and protomux 3.12.1 frames, in both directions, one process:
//  * Node's own encoders encode `count` random messages of every type (seeded) and a real
//    Protomux over a capturing stream emits open / message / reject / close / batch frames;
//    the C++ side decodes them and must re-encode the same bytes.
//  * Node decodes the messages and frames the C++ side produced and re-encodes what it
//    decoded; the C++ side compares with its own bytes.
//
// stdin:  {"seed":n,"count":n,"messages":[{"type":t,"hex":H}],"frames":[H]}
//         type = hypercore message type 0..9, or "handshake"
// stdout: {"messages":[{"type":t,"hex":H}],"frames":[H],
//          "reencoded":[H|{"error":msg}],"frames_reencoded":[H|{"error":msg}]}

const c = require('compact-encoding')
// protomux bundles its own compact-encoding (3.5.2): frames are coded with that one.
const pc = require('protomux/node_modules/compact-encoding')
const b4a = require('b4a')
const Protomux = require('protomux')
const { wire } = require('hypercore/lib/messages')

const hex = (b) => b4a.toString(b, 'hex')
const buf = (s) => b4a.from(s, 'hex')

const WIRE = [wire.sync, wire.request, wire.cancel, wire.data, wire.noData, wire.want,
  wire.unwant, wire.bitfield, wire.range, wire.extension]
const codec = (type) => (type === 'handshake' ? wire.handshake : WIRE[type])

// mulberry32: a small seeded generator, so a failure can be replayed from the seed.
function rng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const below = (n) => Math.floor(next() * n)
  const bool = () => next() < 0.5
  // Integers of every varint width, kept below 2^53 (Node holds them as doubles).
  const uint = () => {
    switch (below(5)) {
      case 0: return below(253)
      case 1: return 253 + below(65536 - 253)
      case 2: return 65536 + below(4294967296 - 65536)
      case 3: return 4294967296 + below(2 ** 20) * 2 ** 32 + below(2 ** 32)
      default: return below(8)
    }
  }
  const bytes = (n) => {
    const b = b4a.alloc(n)
    for (let i = 0; i < n; i++) b[i] = below(256)
    return b
  }
  return { next, below, bool, uint, bytes }
}

function randomNodes (r) {
  const out = []
  const n = r.below(10) === 0 ? 0 : r.below(6)
  for (let i = 0; i < n; i++) out.push({ index: r.uint(), size: r.uint(), hash: r.bytes(32) })
  return out
}

function randomManifest (r) {
  const signer = () => ({ signature: 'ed25519', namespace: r.bytes(32), publicKey: r.bytes(32) })
  if (r.below(4) === 0) {
    // version 0: the three layouts of manifestv0
    const k = r.below(3)
    if (k === 0) return { version: 0, hash: 'blake2b', allowPatch: false, quorum: 0, signers: [], prologue: { hash: r.bytes(32), length: 0 } }
    if (k === 1) return { version: 0, hash: 'blake2b', allowPatch: false, quorum: 1, signers: [signer()], prologue: null }
    const signers = []
    for (let i = r.below(4); i > 0; i--) signers.push(signer())
    return { version: 0, hash: 'blake2b', allowPatch: true, quorum: r.below(5), signers, prologue: null }
  }
  const signers = []
  for (let i = r.below(4); i > 0; i--) signers.push(signer())
  return {
    version: 1,
    hash: 'blake2b',
    allowPatch: r.bool(),
    quorum: r.below(5),
    signers,
    prologue: r.bool() ? { hash: r.bytes(32), length: r.uint() } : null
  }
}

function randomMessage (r, type) {
  const maybe = (f) => (r.bool() ? f() : null)
  switch (type) {
    case 'handshake': return { seeks: r.bool(), capability: r.bytes(32) }
    case 0: return { fork: r.uint(), length: r.uint(), remoteLength: r.uint(), canUpgrade: r.bool(), uploading: r.bool(), downloading: r.bool(), hasManifest: r.bool() }
    case 1: return {
      id: r.uint(),
      fork: r.uint(),
      block: maybe(() => ({ index: r.uint(), nodes: r.uint() })),
      hash: maybe(() => ({ index: r.uint(), nodes: r.uint() })),
      seek: maybe(() => ({ bytes: r.uint(), padding: r.uint() })),
      upgrade: maybe(() => ({ start: r.uint(), length: r.uint() })),
      manifest: r.bool(),
      priority: r.bool() ? 0 : r.uint()
    }
    case 2: return { request: r.uint() }
    case 3: return {
      request: r.uint(),
      fork: r.uint(),
      block: maybe(() => ({ index: r.uint(), value: r.bytes(r.below(3) === 0 ? 0 : r.below(300)), nodes: randomNodes(r) })),
      hash: maybe(() => ({ index: r.uint(), nodes: randomNodes(r) })),
      seek: maybe(() => ({ bytes: r.uint(), nodes: randomNodes(r) })),
      upgrade: maybe(() => ({
        start: r.uint(),
        length: r.uint(),
        nodes: randomNodes(r),
        additionalNodes: randomNodes(r),
        signature: r.bytes([0, 64, 64, 100][r.below(4)])
      })),
      manifest: maybe(() => randomManifest(r))
    }
    case 4: return { request: r.uint() }
    case 5: return { start: r.uint(), length: r.uint() }
    case 6: return { start: r.uint(), length: r.uint() }
    case 7: {
      const words = new Uint32Array(r.below(4) === 0 ? 1024 : r.below(40))
      for (let i = 0; i < words.length; i++) words[i] = r.below(4) === 0 ? 0 : Math.floor(r.next() * 4294967296)
      return { start: r.uint() * 32, bitfield: words }
    }
    case 8: return { drop: r.bool(), start: r.uint(), length: r.bool() ? 1 : r.uint() }
    case 9: {
      const names = ['', 'my-ext', 'hypercore/alpha/ext', 'ünï']
      return { name: names[r.below(names.length)], message: r.bytes(r.below(40)) }
    }
  }
}

// ---- protomux, decoded the way Protomux._ondata/_onbatch/_onopensession read, and
// re-encoded the way Channel.open/close, _rejectSession and _sendBatch write --------------

function reencodeFrame (frame) {
  const state = { buffer: frame, start: 0, end: frame.byteLength }
  const channel = pc.uint.decode(state)
  const type = pc.uint.decode(state)
  if (channel !== 0 || type > 3) {
    return b4a.concat([pc.encode(pc.uint, channel), pc.encode(pc.uint, type), frame.subarray(state.start)])
  }
  if (type === 1) {
    const localId = pc.uint.decode(state)
    const protocol = pc.string.decode(state)
    const id = pc.optionalBuffer.decode(state)
    const handshake = frame.subarray(state.start)
    return b4a.concat([b4a.from([0, 1]), pc.encode(pc.uint, localId), pc.encode(pc.string, protocol),
      pc.encode(pc.optionalBuffer, id), handshake])
  }
  if (type === 2 || type === 3) return b4a.concat([b4a.from([0, type]), pc.encode(pc.uint, pc.uint.decode(state))])
  // batch: collect (localId, item) like _onbatch, then lay out like _sendBatch
  const end = state.end
  let remoteId = pc.uint.decode(state)
  const batch = []
  while (state.end > state.start) {
    const len = pc.uint.decode(state)
    if (len === 0) {
      remoteId = pc.uint.decode(state)
      continue
    }
    state.end = Math.min(state.start + len, end)
    batch.push({ localId: remoteId, buffer: frame.subarray(state.start, state.end) })
    state.start = state.end
    state.end = end
  }
  const parts = [b4a.from([0, 0]), pc.encode(pc.uint, batch[0].localId)]
  let prev = batch[0].localId
  for (const b of batch) {
    if (b.localId !== prev) parts.push(b4a.from([0]), pc.encode(pc.uint, (prev = b.localId)))
    parts.push(pc.encode(pc.buffer, b.buffer))
  }
  return b4a.concat(parts)
}

// Frames written by a real Protomux over a stream that only records what it is given.
function protomuxFrames (r) {
  const out = []
  const stream = {
    userData: null,
    destroyed: false,
    on () {},
    emit () {},
    write (b) { out.push(hex(b)); return true },
    destroy () {},
    pause () {},
    resume () {},
    end () {}
  }
  const mux = new Protomux(stream)
  const messages = []
  for (let i = 0; i < 12; i++) messages.push({ encoding: pc.raw })
  const protocols = ['hypercore/alpha', 'hypercore', 'x', '']
  const channels = []
  let remoteIds = 0

  for (let round = 0; round < 60; round++) {
    const op = r.below(6)
    if (op === 0 || channels.length === 0) {
      const ch = mux.createChannel({
        protocol: protocols[r.below(protocols.length)] + round,
        id: r.bool() ? r.bytes(r.below(3) === 0 ? 32 : r.below(5) + 1) : null,
        handshake: r.bool() ? pc.raw : null,
        messages
      })
      ch.open(r.bytes(r.below(40)))
      channels.push(ch)
    } else if (op === 1) {
      const ch = channels[r.below(channels.length)]
      ch.messages[r.below(12)].send(r.bytes(r.below(300)))
    } else if (op === 2) {
      // several messages, a control message among them, in one batch
      mux.cork()
      for (let i = r.below(5) + 1; i > 0; i--) {
        const ch = channels[r.below(channels.length)]
        if (r.below(6) === 0) {
          const extra = mux.createChannel({ protocol: 'batched' + round + '-' + i, handshake: pc.raw, messages })
          extra.open(r.bytes(r.below(8)))
          channels.push(extra)
        } else {
          ch.messages[r.below(12)].send(r.bytes(r.below(300)))
        }
      }
      mux.uncork()
    } else if (op === 3) {
      const i = r.below(channels.length)
      channels[i].close()
      channels.splice(i, 1)
    } else if (op === 4) {
      // an open from the peer for a protocol nobody handles: Protomux rejects it
      remoteIds++
      const open = b4a.concat([b4a.from([0, 1]), pc.encode(pc.uint, remoteIds), pc.encode(pc.string, 'unknown'),
        pc.encode(pc.optionalBuffer, null)])
      mux._ondata(open)
    } else {
      const ch = channels[r.below(channels.length)]
      ch.messages[r.below(12)].send(b4a.alloc(0))
    }
  }
  return out
}

async function main () {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const input = JSON.parse(b4a.toString(b4a.concat(chunks)))
  const r = rng(input.seed)

  const messages = []
  const types = ['handshake', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  for (let i = 0; i < input.count; i++) {
    for (const type of types) messages.push({ type, hex: hex(c.encode(codec(type), randomMessage(r, type))) })
  }

  const reencoded = input.messages.map(({ type, hex: h }) => {
    try {
      const enc = codec(type)
      return hex(c.encode(enc, c.decode(enc, buf(h))))
    } catch (err) {
      return { error: err.message }
    }
  })

  const framesReencoded = input.frames.map((h) => {
    try {
      return hex(reencodeFrame(buf(h)))
    } catch (err) {
      return { error: err.message }
    }
  })

  process.stdout.write(JSON.stringify({
    messages,
    frames: protomuxFrames(r),
    reencoded,
    frames_reencoded: framesReencoded
  }))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
