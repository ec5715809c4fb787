// A udx-native (1.21.3, libudx) peer for the UDX interop tests and bench
// (tests/net/udx/udx_interop_test.cpp, bench/udx_bench.cpp), driven by JSON lines on stdin,
// reporting JSON lines on stdout. One UDX socket bound on --host (default 127.0.0.1), any
// port; its first line is {"event":"ready","port":P}.
//
// Commands:
//   {"cmd":"stream","id":I,"remoteId":R,"port":P,"host":H,
//    "send":BYTES,"seed":S,"end":true,"destroyAfter":BYTES}
//       a stream I connected to R at H:P; writes BYTES of the pattern from seed S (with
//       back-pressure), then end() when "end"; destroy() once "destroyAfter" bytes arrived.
//   {"cmd":"end","id":I}        end() the stream (half-close)
//   {"cmd":"send","id":I,"bytes":N,"seed":S,"end":bool}   write more of a new pattern
//   {"cmd":"destroy","id":I}    destroy() it
//   {"cmd":"datagram","port":P,"host":H,"hex":"..."}   a plain datagram from the socket
//   {"cmd":"exit"}
// Events: {"event":"connected","id"} (the stream exists: packets for it are no longer
// dropped as unknown), {"event":"end","id","bytes","sha256","ms"} (the peer's END, all data before it
// read), {"event":"finish","id"} (our END sent, everything flushed), {"event":"close","id",
// "bytes","sha256","error"} (error: null or its code, e.g. "ECONNRESET"), {"event":"message",
// "from":port,"hex"} for datagrams no stream took (they are echoed back with a 0xEE prefix
// byte so the C++ side sees the socket answer), {"event":"bytes","id","bytes"} progress.
//
// The pattern: byte i is byte (i % 4), little endian, of the (i / 4 + 1)-th xorshift32 state
// from the seed — the same bytes tests/net/udx/udx_socket_util.hpp makes.
//
// --bench BYTES: no stdin; two sockets in this process, one stream pair, BYTES one way;
// prints {"event":"bench","bytes","ms","mbps"} and exits.
'use strict'
const UDX = require('udx-native')
const crypto = require('crypto')
const readline = require('readline')

function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : fallback
}

class Pattern {
  constructor(seed) {
    this.x = seed >>> 0 || 1
    this.pos = 0
  }
  next(n) {
    const out = Buffer.allocUnsafe(n)
    let i = 0
    let x = this.x
    // Bytes left of the current word.
    while (i < n && this.pos % 4 !== 0) {
      out[i++] = (x >>> (8 * (this.pos % 4))) & 0xff
      this.pos++
    }
    // Whole words.
    while (n - i >= 4) {
      x ^= x << 13
      x >>>= 0
      x ^= x >>> 17
      x ^= x << 5
      x >>>= 0
      out.writeUInt32LE(x, i)
      i += 4
      this.pos += 4
    }
    while (i < n) {
      if (this.pos % 4 === 0) {
        x ^= x << 13
        x >>>= 0
        x ^= x >>> 17
        x ^= x << 5
        x >>>= 0
      }
      out[i++] = (x >>> (8 * (this.pos % 4))) & 0xff
      this.pos++
    }
    this.x = x
    return out
  }
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

async function writePattern(stream, bytes, seed) {
  const p = new Pattern(seed)
  let sent = 0
  while (sent < bytes) {
    if (stream.destroyed || stream.destroying) return false
    const n = Math.min(65536, bytes - sent)
    const ok = stream.write(p.next(n))
    sent += n
    if (!ok) {
      const drained = await new Promise((resolve) => {
        const ondrain = () => { stream.off('close', onclose); resolve(true) }
        const onclose = () => { stream.off('drain', ondrain); resolve(false) }
        stream.once('drain', ondrain)
        stream.once('close', onclose)
      })
      if (!drained) return false
    }
  }
  return true
}

function startStream(udx, socket, streams, c) {
  const s = udx.createStream(c.id)
  const st = { s, bytes: 0, hash: crypto.createHash('sha256'), sha: null, started: 0, lastReport: 0 }
  streams.set(c.id, st)
  s.on('data', (d) => {
    if (st.bytes === 0) st.started = Date.now()
    st.bytes += d.length
    st.hash.update(d)
    if (c.destroyAfter && st.bytes >= c.destroyAfter && !s.destroying) s.destroy()
    if (st.bytes - st.lastReport >= 4 * 1024 * 1024) {
      st.lastReport = st.bytes
      print({ event: 'bytes', id: c.id, bytes: st.bytes })
    }
  })
  s.on('end', () => {
    st.sha = st.hash.digest('hex')
    print({ event: 'end', id: c.id, bytes: st.bytes, sha256: st.sha, ms: Date.now() - st.started })
  })
  // The sender's recovery counters, for the benchmark to report beside ours.
  s.on('finish', () => print({ event: 'finish', id: c.id, retransmits: s.retransmits, rtos: s.rtoCount, recoveries: s.fastRecoveries, cwnd: s.cwnd, rtt: s.rtt, mtu: s.mtu }))
  s.on('error', (err) => { st.error = err.code || err.message })
  s.on('close', () => {
    if (st.sha === null) st.sha = st.hash.digest('hex')
    print({ event: 'close', id: c.id, bytes: st.bytes, sha256: st.sha, error: st.error || null })
  })
  s.connect(socket, c.remoteId, c.port, c.host || '127.0.0.1')
  print({ event: 'connected', id: c.id })
  if (c.send || c.end) sendThenEnd(s, c.send || 0, c.seed || 1, c.end)
}

async function sendThenEnd(s, bytes, seed, end) {
  const ok = bytes > 0 ? await writePattern(s, bytes, seed) : true
  if (ok && end && !s.destroying) s.end()
}

async function bench(bytes) {
  const udx = new UDX()
  const a = udx.createSocket()
  const b = udx.createSocket()
  a.bind(0, '127.0.0.1')
  b.bind(0, '127.0.0.1')
  const sa = udx.createStream(1)
  const sb = udx.createStream(2)
  sa.connect(a, 2, b.address().port, '127.0.0.1')
  sb.connect(b, 1, a.address().port, '127.0.0.1')
  let got = 0
  const start = Date.now()
  sb.on('data', (d) => { got += d.length })
  const done = new Promise((resolve) => sb.on('end', resolve))
  sb.resume()
  await writePattern(sa, bytes, 7)
  sa.end()
  await done
  const ms = Date.now() - start
  print({ event: 'bench', bytes: got, ms, mbps: got / 1e6 / (ms / 1000) })
  sb.end()
  await new Promise((resolve) => sa.on('close', resolve))
  await a.close()
  await b.close()
}

function main() {
  if (arg('--bench')) return bench(Number(arg('--bench')))
  const udx = new UDX()
  const socket = udx.createSocket()
  socket.bind(0, arg('--host', '127.0.0.1'))
  const streams = new Map()
  socket.on('message', (buf, rinfo) => {
    print({ event: 'message', from: rinfo.port, hex: buf.toString('hex') })
    socket.trySend(Buffer.concat([Buffer.from([0xee]), buf]), rinfo.port, rinfo.host)
  })
  print({ event: 'ready', port: socket.address().port })
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', (line) => {
    if (!line.trim()) return
    const c = JSON.parse(line)
    const st = streams.get(c.id)
    switch (c.cmd) {
      case 'stream': startStream(udx, socket, streams, c); break
      case 'end': if (st) st.s.end(); break
      case 'send': if (st) sendThenEnd(st.s, c.bytes, c.seed, c.end); break
      case 'destroy': if (st) st.s.destroy(); break
      case 'datagram': socket.trySend(Buffer.from(c.hex, 'hex'), c.port, c.host || '127.0.0.1'); break
      case 'exit': process.exit(0)
    }
  })
  rl.on('close', () => process.exit(0))
}

main()
