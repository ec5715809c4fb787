#!/usr/bin/env node
'use strict'
// A HyperDHT client on a local testnet (../shared/oracle/dht-testnet.js) running a list of
// operations for tests/net/hyperdht_interop_test.cpp, then printing one JSON line:
//   {"results":[...one entry per op...]}
// usage: hyperdht_peer.js --bootstrap h:p --ops '<json array>'
// ops (all binary values hex):
//   {"op":"lookup","topic":T}                   -> {"peers":[{"publicKey","relays":["h:p"]}],"from":["h:p"]}
//   {"op":"announce","topic":T,"seed":S,"relays":["h:p"]}   -> {"closest":["h:p"]}
//   {"op":"unannounce","topic":T,"seed":S}      -> {}
//   {"op":"mutablePut","seed":S,"seq":n,"value":V} -> {"publicKey","signature","closest":[...]}
//   {"op":"mutableGet","publicKey":P,"seq":n}   -> {"seq","value","signature"} or {"missing":true}
//   {"op":"immutablePut","value":V}             -> {"hash","closest":[...]}
//   {"op":"immutableGet","hash":H}              -> {"value"} or {"missing":true}
const DHT = require('hyperdht')
const b4a = require('b4a')

function arg (name) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? null : process.argv[i + 1]
}
const hex = (b) => b4a.toString(b, 'hex')
const buf = (h) => b4a.from(h, 'hex')
const hp = (a) => `${a.host}:${a.port}`
const addr = (s) => { const [host, port] = s.split(':'); return { host, port: Number(port) } }

async function run (dht, o) {
  switch (o.op) {
    case 'lookup': {
      const peers = new Map()
      const from = []
      for await (const data of dht.lookup(buf(o.topic))) {
        from.push(hp(data.from))
        for (const p of data.peers) peers.set(hex(p.publicKey), p.relayAddresses.map(hp))
      }
      return { peers: [...peers].map(([publicKey, relays]) => ({ publicKey, relays })), from }
    }
    case 'announce': {
      const q = dht.announce(buf(o.topic), DHT.keyPair(buf(o.seed)), (o.relays || []).map(addr))
      await q.finished()
      return { closest: q.closestReplies.map((r) => hp(r.from)) }
    }
    case 'unannounce':
      await dht.unannounce(buf(o.topic), DHT.keyPair(buf(o.seed)))
      return {}
    case 'mutablePut': {
      const r = await dht.mutablePut(DHT.keyPair(buf(o.seed)), buf(o.value), { seq: o.seq })
      return { publicKey: hex(r.publicKey), signature: hex(r.signature), closest: r.closestNodes.map(hp) }
    }
    case 'mutableGet': {
      const r = await dht.mutableGet(buf(o.publicKey), { seq: o.seq || 0 })
      return r ? { seq: r.seq, value: hex(r.value), signature: hex(r.signature), from: hp(r.from) } : { missing: true }
    }
    case 'immutablePut': {
      const r = await dht.immutablePut(buf(o.value))
      return { hash: hex(r.hash), closest: r.closestNodes.map(hp) }
    }
    case 'immutableGet': {
      const r = await dht.immutableGet(buf(o.hash))
      return r ? { value: hex(r.value), from: hp(r.from) } : { missing: true }
    }
  }
  throw new Error('unknown op ' + o.op)
}

async function main () {
  const dht = new DHT({ bootstrap: [arg('bootstrap')], host: '127.0.0.1' })
  await dht.ready()
  const results = []
  for (const o of JSON.parse(arg('ops'))) {
    try { results.push(await run(dht, o)) } catch (e) { results.push({ error: String(e.message || e) }) }
  }
  await dht.destroy()
  process.stdout.write(JSON.stringify({ results }) + '\n')
}

const watchdog = setTimeout(() => { process.stderr.write('hyperdht_peer: timeout\n'); process.exit(2) }, 60000)
main().then(() => { clearTimeout(watchdog); process.exit(0) }, (e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1) })
