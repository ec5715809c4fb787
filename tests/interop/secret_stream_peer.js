#!/usr/bin/env node
'use strict'

// A live @hyperswarm/secret-stream 6.9.2 peer over stdin/stdout, for
// tests/net/secret_stream_interop_test.cpp.
//
// usage: node secret_stream_peer.js initiator|responder [static-seed-hex]
//        node secret_stream_peer.js initiator|responder --handshake tx:rx:hash:publicKey:remotePublicKey
//   (hex; the second form skips Noise XX, as hyperdht does after its Noise IK: secret-stream's
//   `handshake` option, so only the id + header frames and encrypted frames flow)
//
// stdin/stdout carry the raw (framed, encrypted) byte stream. After the handshake the peer
// sends one message: the JSON {publicKey, remotePublicKey, handshakeHash} (hex), so the
// test can compare both ends. Then it answers every message it receives with the same
// bytes XOR 0xff (same length, so the largest message still fits one frame); an empty
// message is answered with an empty one. Diagnostics go to stderr; it exits when stdin
// ends or on any stream error (exit 2).

const NoiseSecretStream = require('@hyperswarm/secret-stream')
const { Duplex } = require('streamx')
const b4a = require('b4a')

const role = process.argv[2]
if (role !== 'initiator' && role !== 'responder') {
  process.stderr.write('usage: secret_stream_peer.js initiator|responder [seed-hex]\n')
  process.exit(1)
}
const keyed = process.argv[3] === '--handshake'
const seed = process.argv[3] && !keyed ? b4a.from(process.argv[3], 'hex') : null
let handshake = null
if (keyed) {
  const [tx, rx, hash, publicKey, remotePublicKey] = (process.argv[4] || '').split(':').map((h) => b4a.from(h, 'hex'))
  handshake = { tx, rx, hash, publicKey, remotePublicKey }
}

const raw = new Duplex({
  write (data, cb) {
    process.stdout.write(data, cb)
  },
  final (cb) {
    cb(null)
  }
})
process.stdin.on('data', (data) => raw.push(data))
process.stdin.on('end', () => raw.push(null))

const keyPair = seed ? NoiseSecretStream.keyPair(seed) : undefined
const stream = new NoiseSecretStream(role === 'initiator', raw, handshake ? { handshake } : { keyPair })

stream.on('connect', () => {
  const info = {
    publicKey: b4a.toString(stream.publicKey, 'hex'),
    remotePublicKey: b4a.toString(stream.remotePublicKey, 'hex'),
    handshakeHash: b4a.toString(stream.handshakeHash, 'hex')
  }
  process.stderr.write('connected ' + JSON.stringify(info) + '\n')
  stream.write(b4a.from(JSON.stringify(info)))
})

stream.on('data', (data) => {
  const reply = b4a.allocUnsafe(data.byteLength)
  for (let i = 0; i < data.byteLength; i++) reply[i] = data[i] ^ 0xff
  stream.write(reply)
})

stream.on('error', (err) => {
  process.stderr.write('error: ' + err.message + '\n')
  process.exit(2)
})
stream.on('end', () => stream.end())
stream.on('close', () => process.exit(0))
