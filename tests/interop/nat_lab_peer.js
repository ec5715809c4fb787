#!/usr/bin/env node
'use strict'
// A stock Node HyperDHT client for the NAT lab tests (tests/net/connect/dht_peer_nat_test.cpp):
// connects to a public key and reports when the encrypted stream opened, without writing
// (our server runs a replication session, not an echo).
//   dht-open --bootstrap h:p --public-key HEX [--seconds S]
//     {"open":{"remote":"h:p","ms":N}} and exit 0, or {"error":"..."} and exit 1
const DHT = require('hyperdht')
const b4a = require('b4a')

function arg (name, dflt = null) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? dflt : process.argv[i + 1]
}
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')

async function main () {
  const node = new DHT({ bootstrap: [arg('bootstrap')], host: '0.0.0.0' })
  await node.ready()
  const started = Date.now()
  const socket = node.connect(b4a.from(arg('public-key'), 'hex'))
  await new Promise((resolve, reject) => {
    socket.on('open', () => {
      const raw = socket.rawStream
      print({ open: { remote: raw ? raw.remoteHost + ':' + raw.remotePort : '', ms: Date.now() - started } })
      resolve()
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('closed before open')))
  })
  socket.destroy()
  await node.destroy()
}

setTimeout(() => { print({ error: 'timeout' }); process.exit(2) }, 1000 * Number(arg('seconds', '60'))).unref()
main().then(() => process.exit(0), (e) => { print({ error: String(e && e.message || e) }); process.exit(1) })
