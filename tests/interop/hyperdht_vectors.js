#!/usr/bin/env node
'use strict'
// The hyperdht reference's own encodings and signatures for given inputs, for
// tests/net/hyperdht_codec_test.cpp (byte-identical comparison). Reads one JSON object on
// stdin: { seed, target, nodeId, token, relays: ["h:p"], refresh?, bump?, seq, value (hex) }
// and prints one JSON line with every derived value as hex. Uses hyperdht's exported
// Persistent.sign*, messages and constants, so it is the library's bytes, not a re-derivation.
const c = require('compact-encoding')
const b4a = require('b4a')
const DHT = require('hyperdht')
const m = require('hyperdht/lib/messages')
const Persistent = require('hyperdht/lib/persistent')
const { NS } = require('hyperdht/lib/constants')

const hex = (b) => b4a.toString(b, 'hex')
const buf = (h) => b4a.from(h, 'hex')
const addr = (s) => { const [host, port] = s.split(':'); return { host, port: Number(port) } }

let input = ''
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', () => {
  const i = JSON.parse(input)
  const keyPair = DHT.keyPair(buf(i.seed))
  const target = buf(i.target)
  const nodeId = buf(i.nodeId)
  const token = buf(i.token)
  const peer = { publicKey: keyPair.publicKey, relayAddresses: i.relays.map(addr) }
  const ann = { peer, refresh: i.refresh ? buf(i.refresh) : null, signature: null, bump: i.bump || 0 }
  ann.signature = Persistent.signAnnounce(target, token, nodeId, ann, keyPair)
  const unann = { peer: { publicKey: keyPair.publicKey, relayAddresses: [] }, refresh: null, signature: null, bump: 0 }
  unann.signature = Persistent.signUnannounce(target, token, nodeId, unann, keyPair)
  const value = buf(i.value)
  const mutSig = Persistent.signMutable(i.seq, value, keyPair)
  const record = c.encode(m.peer, peer)
  const out = {
    publicKey: hex(keyPair.publicKey),
    targetOfKey: hex(DHT.hash(keyPair.publicKey)),
    immutableTarget: hex(DHT.hash(value)),
    ns: {
      peerHandshake: hex(NS.PEER_HANDSHAKE),
      peerHolepunch: hex(NS.PEER_HOLEPUNCH),
      announce: hex(NS.ANNOUNCE),
      unannounce: hex(NS.UNANNOUNCE),
      mutablePut: hex(NS.MUTABLE_PUT)
    },
    peerRecord: hex(record),
    announce: hex(c.encode(m.announce, ann)),
    unannounce: hex(c.encode(m.announce, unann)),
    lookupReply: hex(c.encode(m.lookupRawReply, { peers: [record, record], bump: i.bump || 0 })),
    mutableSignature: hex(mutSig),
    mutablePut: hex(c.encode(m.mutablePutRequest, { publicKey: keyPair.publicKey, seq: i.seq, value, signature: mutSig })),
    mutableGetResponse: hex(c.encode(m.mutableGetResponse, { seq: i.seq, value, signature: mutSig })),
    seq: hex(c.encode(c.uint, i.seq))
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
