#!/usr/bin/env node
'use strict'
// Node blind-relay roles for tests/net/connect/blind_relay_nat_test.cpp (hyperdht
// 6.34.0, blind-relay 1.6.1). Prints one JSON line when ready, then one per event; runs
// until SIGTERM or --seconds (default 60; exit 2 on timeout for clients). Every role takes
// --host (the address its DHT socket binds, default 127.0.0.1; 0.0.0.0 in the NAT lab).
//
//   relay   --bootstrap h:p --seed S                a blind relay wired as hyperdht's tests
//                                                    wire it: {"publicKey"}; then
//                                                    {"pair":{"isInitiator"}} per pairing
//   listen  --bootstrap h:p --seed S [--relay-through PK]
//                                                   an echo server: {"publicKey"}; then
//                                                    {"connection":{"remote"}} per connection
//                                                    {"upgraded":{"remote"}} when a relayed
//                                                    connection moved to a direct path
//   connect --bootstrap h:p --public-key P [--relay-through PK] --message HEX
//                                                   connects, writes, reads the echo:
//                                                    {"echo":HEX,"remote":"h:p"}
//           ... --wait-upgrade 1                     instead: {"open":{"remote"}}, then
//                                                    {"upgraded":{"remote"}} once the raw
//                                                    stream left the relay, then ends the
//                                                    connection a second later: {"closed":true}
const DHT = require('hyperdht')
const { Server: RelayServer } = require('blind-relay')
const b4a = require('b4a')

function arg (name, dflt = null) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? dflt : process.argv[i + 1]
}
const hex = (b) => b4a.toString(b, 'hex')
const buf = (h) => b4a.from(h, 'hex')
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const remoteOf = (s) => (s.rawStream ? `${s.rawStream.remoteHost}:${s.rawStream.remotePort}` : '')

// hyperdht moves a relayed connection's raw stream (changeRemote) when a punch gets
// through; nothing is emitted, so watch its remote address leave the first one.
function onUpgrade (socket, cb) {
  const first = remoteOf(socket)
  let done = false
  const check = () => {
    const now = remoteOf(socket)
    if (done || !now || now === first) return
    done = true
    clearInterval(timer)
    cb(now)
  }
  const timer = setInterval(check, 50)
  // A peer may close right after the move: look once more.
  socket.on('close', () => {
    check()
    clearInterval(timer)
  })
}

async function relay () {
  const node = new DHT({ bootstrap: [arg('bootstrap')], host: arg('host', '127.0.0.1') })
  await node.ready()
  const relay = new RelayServer({ createStream: (opts) => node.createRawStream({ ...opts, framed: true }) })
  const server = node.createServer((socket) => {
    socket.on('error', () => {})
    const session = relay.accept(socket, { id: socket.remotePublicKey })
    session.on('error', () => {})
    session.on('pair', (isInitiator) => print({ pair: { isInitiator } }))
  })
  const keyPair = DHT.keyPair(buf(arg('seed')))
  await server.listen(keyPair)
  print({ publicKey: hex(keyPair.publicKey) })
  return new Promise(() => {})
}

async function listen () {
  const node = new DHT({ bootstrap: [arg('bootstrap')], host: arg('host', '127.0.0.1') })
  await node.ready()
  const opts = {}
  if (arg('relay-through')) opts.relayThrough = buf(arg('relay-through'))
  const server = node.createServer(opts, (socket) => {
    socket.on('open', () => {
      print({ connection: { remote: remoteOf(socket) } })
      onUpgrade(socket, (remote) => print({ upgraded: { remote } }))
    })
    socket.on('data', (d) => socket.write(d))
    socket.on('end', () => socket.end())
    socket.on('error', () => {})
  })
  const keyPair = DHT.keyPair(buf(arg('seed')))
  await server.listen(keyPair)
  print({ publicKey: hex(keyPair.publicKey) })
  return new Promise(() => {})
}

async function connect () {
  const node = new DHT({ bootstrap: [arg('bootstrap')], host: arg('host', '127.0.0.1') })
  await node.ready()
  const opts = {}
  if (arg('relay-through')) opts.relayThrough = buf(arg('relay-through'))
  const socket = node.connect(buf(arg('public-key')), opts)
  if (arg('wait-upgrade')) {
    await new Promise((resolve, reject) => {
      socket.on('open', () => {
        print({ open: { remote: remoteOf(socket) } })
        onUpgrade(socket, (remote) => {
          print({ upgraded: { remote } })
          // A second on the new path first, so the server confirms it before the end.
          setTimeout(() => socket.end(), 1000)
        })
      })
      socket.on('data', () => {})
      socket.on('error', reject)
      socket.on('close', resolve)
    })
    print({ closed: true })
    await node.destroy()
    process.exit(0)
  }
  const message = buf(arg('message', '68656c6c6f'))
  const echo = await new Promise((resolve, reject) => {
    let got = b4a.alloc(0)
    socket.on('open', () => socket.write(message))
    socket.on('data', (d) => {
      got = b4a.concat([got, d])
      if (got.length >= message.length) resolve(got)
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('closed before the echo')))
  })
  print({ echo: hex(echo), remote: remoteOf(socket) })
  socket.destroy()
  await node.destroy()
  process.exit(0)
}

const roles = { relay, listen, connect }
const role = roles[process.argv[2]]
if (!role) {
  process.stderr.write('usage: blind_relay_peer.js relay|listen|connect ...\n')
  process.exit(64)
}
setTimeout(() => process.exit(2), Number(arg('seconds', '60')) * 1000).unref()
process.on('SIGTERM', () => process.exit(0))
role().catch((err) => {
  print({ error: err.message })
  process.exit(1)
})
