#!/usr/bin/env node
'use strict'
// Asks a HyperDHT testnet (../shared/oracle/dht-testnet.js) about a C++ node, for
// tests/net/dht_interop_test.cpp. Prints one JSON line:
//   tables:  for each testnet node, the closerNodes it answers to FIND_NODE(ourId) sent
//            straight to it (its own routing table's view: with < 20 nodes, its whole table)
//   findOurs / findTarget: closestReplies of a fresh dht-rpc client's findNode
// usage: dht_probe.js --bootstrap h:p --nodes h:p,h:p --our h:p --target <hex>
const DHT = require('dht-rpc')
const dgram = require('dgram')
const b4a = require('b4a')
const sodium = require('sodium-universal')

function arg (name) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? null : process.argv[i + 1]
}
function parse (s) { const [host, port] = s.split(':'); return { host, port: Number(port) } }
function idOf ({ host, port }) {
  const buf = b4a.alloc(6)
  host.split('.').forEach((x, i) => { buf[i] = Number(x) })
  buf.writeUInt16LE(port, 4)
  const out = b4a.alloc(32)
  sodium.crypto_generichash(out, buf)
  return out
}

// One raw FIND_NODE request to one node; resolves with its closerNodes as "h:p".
function rawFindNode (sock, to, target, tid) {
  return new Promise((resolve) => {
    const req = b4a.alloc(11 + 32)
    req[0] = 0x03; req[1] = 0x0c; req.writeUInt16LE(tid, 2)
    to.host.split('.').forEach((x, i) => { req[4 + i] = Number(x) })
    req.writeUInt16LE(to.port, 8); req[10] = 2
    target.copy(req, 11)
    const timer = setTimeout(() => { sock.removeListener('message', onmsg); resolve(null) }, 3000)
    function onmsg (buf) {
      if (buf[0] !== 0x13 || buf.readUInt16LE(2) !== tid) return
      clearTimeout(timer); sock.removeListener('message', onmsg)
      const flags = buf[1]; let o = 10
      if (flags & 1) o += 32
      if (flags & 2) o += 32
      const nodes = []
      if (flags & 4) {
        const n = buf[o++]
        for (let i = 0; i < n; i++, o += 6) nodes.push(`${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}:${buf.readUInt16LE(o + 4)}`)
      }
      resolve(nodes)
    }
    sock.on('message', onmsg)
    sock.send(req, to.port, to.host)
  })
}

async function main () {
  const bootstrap = arg('bootstrap')
  const nodes = arg('nodes').split(',').map(parse)
  const our = parse(arg('our'))
  const target = b4a.from(arg('target'), 'hex')
  const ourId = idOf(our)

  const sock = dgram.createSocket('udp4')
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve))
  const tables = []
  let tid = 1
  for (const n of nodes) {
    const closer = await rawFindNode(sock, n, ourId, tid++)
    tables.push({ node: `${n.host}:${n.port}`, closer })
  }
  sock.close()

  const dht = new DHT({ bootstrap: [bootstrap], ephemeral: true, host: '127.0.0.1' })
  await dht.ready()
  const collect = async (t) => {
    const q = dht.findNode(t)
    await q.finished()
    return q.closestReplies.map((r) => `${r.from.host}:${r.from.port}`)
  }
  const findOurs = await collect(ourId)
  const findTarget = await collect(target)
  let ping = null
  try { const r = await dht.ping(our); ping = r.from.id ? b4a.toString(r.from.id, 'hex') : 'no-id' } catch (e) { ping = 'error: ' + e.message }
  await dht.destroy()
  process.stdout.write(JSON.stringify({ tables, findOurs, findTarget, ping }) + '\n')
}

const watchdog = setTimeout(() => { process.stderr.write('dht_probe: timeout\n'); process.exit(2) }, 40000)
main().then(() => { clearTimeout(watchdog); process.exit(0) }, (e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1) })
