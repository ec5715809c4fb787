#!/usr/bin/env node
'use strict'

// Reference values of the hyperdht 6.34.0 connect layer for tests/net/connect/, computed
// by the real modules (hyperdht/lib/noise-wrap.js, messages.js, secure-payload.js).
//
// usage: node connect_vectors.js vectors
//          prints "name hex" lines: the Noise IK vector of ../shared/spec/dht.md §3.3 and
//          encodings of handshake, holepunch, noise payload and holepunch payload values
//        node connect_vectors.js respond <msg1-hex>
//          a responder (static seed 32x02, random ephemeral) reads msg1 and prints
//          payload, msg2, hash, tx, rx, remotePublicKey
//        node connect_vectors.js initiate <responder-pk-hex> [msg2-hex]
//          an initiator (static seed 32x01, ephemeral seed 32x05) prints msg1; with msg2,
//          reads it and prints payload, hash, tx, rx

const c = require('compact-encoding')
const b4a = require('b4a')
const curve = require('noise-curve-ed')
const NoiseWrap = require('hyperdht/lib/noise-wrap')
const SecurePayload = require('hyperdht/lib/secure-payload')
const m = require('hyperdht/lib/messages')
const NoiseSecretStream = require('@hyperswarm/secret-stream')

const seed = (n) => b4a.alloc(32, n)
const hex = (b) => b4a.toString(b, 'hex')
const keyPair = (n) => curve.generateKeyPair(seed(n))
const out = (name, buf) => process.stdout.write(name + ' ' + hex(buf) + '\n')
const payloadOf = (id) => ({ version: 1, error: 0, firewall: 0, udx: { reusableSocket: false, id, seq: 0 }, secretStream: {} })
const json = (p) => JSON.stringify(p, (k, v) => (v && v.type === 'Buffer' ? b4a.toString(b4a.from(v.data), 'hex') : v))

const cmd = process.argv[2]

if (cmd === 'vectors') {
  const i = new NoiseWrap(keyPair(1), keyPair(2).publicKey)
  const r = new NoiseWrap(keyPair(2), null)
  i.handshake.e = keyPair(3)
  r.handshake.e = keyPair(4)
  // copies: noise-handshake zeroes re at the end, a view into the received message
  const msg1 = b4a.from(i.send(payloadOf(1)))
  r.recv(b4a.from(msg1))
  const msg2 = b4a.from(r.send(payloadOf(2)))
  i.recv(b4a.from(msg2))
  const fi = i.final()
  const fr = r.final()
  out('ik.payload1', c.encode(m.noisePayload, payloadOf(1)))
  out('ik.payload2', c.encode(m.noisePayload, payloadOf(2)))
  out('ik.msg1', msg1)
  out('ik.msg2', msg2)
  out('ik.hash', fi.hash)
  out('ik.i.tx', fi.tx)
  out('ik.i.rx', fi.rx)
  out('ik.r.tx', fr.tx)
  out('ik.r.rx', fr.rx)
  out('ik.holepunchSecret', fi.holepunchSecret)
  out('ik.streamId.initiator', NoiseSecretStream.id(fi.hash, true))
  out('ik.streamId.responder', NoiseSecretStream.id(fi.hash, false))

  const a = (host, port) => ({ host, port })
  const handshakes = [
    { mode: 0, noise: b4a.from('aabbcc', 'hex'), peerAddress: null, relayAddress: null },
    { mode: 2, noise: b4a.alloc(100, 7), peerAddress: a('10.0.0.1', 1234), relayAddress: null },
    { mode: 3, noise: b4a.alloc(3, 9), peerAddress: a('192.168.1.2', 65535), relayAddress: a('127.0.0.1', 49737) },
    { mode: 4, noise: b4a.alloc(300, 1), peerAddress: null, relayAddress: a('1.2.3.4', 5) }
  ]
  handshakes.forEach((h, k) => out('handshake.' + k, c.encode(m.handshake, h)))
  const holepunches = [
    { mode: 0, id: 0, payload: b4a.from('0102', 'hex'), peerAddress: null },
    { mode: 1, id: 70000, payload: b4a.alloc(64, 3), peerAddress: a('8.8.4.4', 53) },
    { mode: 4, id: 5000000000, payload: b4a.alloc(1, 0xff), peerAddress: a('127.0.0.1', 1) }
  ]
  holepunches.forEach((h, k) => out('holepunch.' + k, c.encode(m.holepunch, h)))
  const payloads = [
    { version: 1, error: 0, firewall: 0, addresses4: [a('127.0.0.1', 40673)], udx: { reusableSocket: false, id: 0x11223344, seq: 0 }, secretStream: {} },
    { version: 1, error: 3, firewall: 2, holepunch: { id: 7, relays: [{ relayAddress: a('1.1.1.1', 1), peerAddress: a('2.2.2.2', 2) }, { relayAddress: a('3.3.3.3', 3), peerAddress: a('4.4.4.4', 4) }] }, addresses4: [], addresses6: [a('::1', 9), a('fe80::1:2', 65000)], udx: { reusableSocket: true, id: 300, seq: 0 }, relayAddresses: [] },
    { version: 1, error: 0, firewall: 1, addresses4: [a('10.1.2.3', 80), a('127.0.0.1', 8080)], relayThrough: { publicKey: b4a.alloc(32, 0xab), token: b4a.alloc(32, 0xcd) }, relayAddresses: [a('5.6.7.8', 9)] },
    { version: 1, error: 1, firewall: 0 }
  ]
  payloads.forEach((p, k) => out('payload.' + k, c.encode(m.noisePayload, p)))
  const hpPayloads = [
    { error: 0, firewall: 2, round: 0, connected: false, punching: false, addresses: [a('1.2.3.4', 1000)], remoteAddress: null, token: null, remoteToken: null },
    { error: 3, firewall: 3, round: 30, connected: true, punching: true, addresses: [], remoteAddress: a('9.9.9.9', 999), token: b4a.alloc(32, 1), remoteToken: b4a.alloc(32, 2) },
    { error: 0, firewall: 0, round: 1, connected: false, punching: true, addresses: null, remoteAddress: null, token: b4a.alloc(32, 5), remoteToken: null }
  ]
  // (round stays below 253: holepunchPayload's preencode counts it as one byte)
  hpPayloads.forEach((p, k) => out('hppayload.' + k, c.encode(m.holepunchPayload, p)))
  const sp = new SecurePayload(fi.holepunchSecret)
  sp._localSecret = b4a.alloc(32, 0x42)
  out('secure.0', sp.encrypt(hpPayloads[1]))
  out('secure.token', sp.token(a('127.0.0.1', 1)))
} else if (cmd === 'respond') {
  const r = new NoiseWrap(keyPair(2), null)
  const p = r.recv(b4a.from(process.argv[3], 'hex'))
  process.stdout.write('payload ' + json(p) + '\n')
  out('msg2', b4a.from(r.send(payloadOf(2))))
  const f = r.final()
  out('hash', f.hash)
  out('tx', f.tx)
  out('rx', f.rx)
  out('remotePublicKey', f.remotePublicKey)
} else if (cmd === 'initiate') {
  const i = new NoiseWrap(keyPair(1), b4a.from(process.argv[3], 'hex'))
  i.handshake.e = keyPair(5)
  out('msg1', b4a.from(i.send(payloadOf(1))))
  if (process.argv[4]) {
    const p = i.recv(b4a.from(process.argv[4], 'hex'))
    process.stdout.write('payload ' + json(p) + '\n')
    const f = i.final()
    out('hash', f.hash)
    out('tx', f.tx)
    out('rx', f.rx)
  }
} else {
  process.stderr.write('usage: connect_vectors.js vectors|respond <msg1>|initiate <pk> [msg2]\n')
  process.exit(1)
}
