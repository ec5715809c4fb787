#!/usr/bin/env node
'use strict'
// A stock hyperdht server and client on a local testnet, for
// tests/net/connect/relay_interop_test.cpp: the server (key from --seed) listens and so
// self-announces to the closest nodes of H(pk), our node among them; the client connects
// with our node as its only relay hint, sends "hello" and waits for the echo. Prints one
// JSON line {"ok":true,"publicKey":..} or {"ok":false,"error":..}.
// usage: connect_relay_peer.js --bootstrap h:p --relay h:p --seed hex
const DHT = require('hyperdht')
const b4a = require('b4a')

function arg (name) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? null : process.argv[i + 1]
}
const addr = (s) => { const [host, port] = s.split(':'); return { host, port: Number(port) } }

async function main () {
  const bootstrap = [arg('bootstrap')]
  const a = new DHT({ bootstrap, host: '127.0.0.1' })
  const b = new DHT({ bootstrap, host: '127.0.0.1' })
  await a.ready()
  await b.ready()
  const keyPair = DHT.keyPair(b4a.from(arg('seed'), 'hex'))
  const server = a.createServer((socket) => {
    socket.on('data', (d) => socket.write(d))
    socket.on('error', () => {})
  })
  await server.listen(keyPair)
  process.stdout.write(JSON.stringify({ listening: true }) + '\n')
  const socket = b.connect(keyPair.publicKey, { relayAddresses: [addr(arg('relay'))] })
  socket.on('error', (e) => { throw e })
  socket.write(b4a.from('hello'))
  const echo = await new Promise((resolve, reject) => {
    socket.once('data', resolve)
    socket.once('error', reject)
  })
  const out = { ok: b4a.toString(echo) === 'hello', publicKey: b4a.toString(socket.remotePublicKey, 'hex') }
  socket.destroy()
  await server.close()
  await a.destroy()
  await b.destroy()
  process.stdout.write(JSON.stringify(out) + '\n')
}

const watchdog = setTimeout(() => { process.stdout.write('{"ok":false,"error":"timeout"}\n'); process.exit(2) }, 50000)
main().then(() => { clearTimeout(watchdog); process.exit(0) },
  (e) => { process.stdout.write(JSON.stringify({ ok: false, error: String(e.message || e) }) + '\n'); process.exit(1) })
