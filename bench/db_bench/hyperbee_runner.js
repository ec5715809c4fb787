'use strict'
// The Node reference (hyperbee 2.27.3 on hypercore 10.38.2) driven by the same workloads,
// keys and values as the C++ driver (keys.hpp, workloads.cpp): the driver runs
//   node hyperbee_runner.js --engine node-disk|node-mem --workload W --dir D --keys N
//        --value-size V --ops K --run R
// in a fresh process per measured run and reads back one line:
//   result ops=.. seconds=.. user=.. sys=.. blocks_appended=.. bytes_hashed=.. signatures=..
// Modules are resolved from the installed oracle: $BEE_ORACLE_DIR (default
// <repo>/.cache/oracle, installed by scripts/setup.sh).
//
// node-mem keeps nothing between processes, so a workload that reads or changes a filled
// database fills it first, untimed, in the same process; it has no cold workloads.

const path = require('path')

const oracle = process.env.BEE_ORACLE_DIR || path.join(__dirname, '..', '..', '.cache', 'oracle')
const req = (name) => require(path.join(oracle, 'node_modules', name))
const Hypercore = req('hypercore')
const Hyperbee = req('hyperbee')
const RAM = req('random-access-memory')
const hcrypto = req('hypercore-crypto')

const BATCH = 1000
const RANGE_LENGTH = 100

function keyHash (i) { return (i * 2654435761) % 4294967296 } // exact below 2^53
function keyOf (i) { return Buffer.from('key' + String(keyHash(i)).padStart(10, '0')) }
function valueOf (i, size) {
  const v = Buffer.allocUnsafe(size)
  for (let k = 0; k < size; k++) v[k] = 97 + (i + k) % 26
  return v
}
function pick (j, salt, n) { return keyHash(j + salt) % n }

function parseArgs (argv) {
  const out = {}
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1]
  return out
}

function popcount (n) { let c = 0; while (n > 0) { c += n % 2; n = Math.floor(n / 2) } return c }
function parents (len) { return len - popcount(len) }

async function fill (db, order, valueSize) {
  for (let i = 0; i < order.length; i += BATCH) {
    const b = db.batch()
    for (let k = i; k < Math.min(order.length, i + BATCH); k++) await b.put(keyOf(order[k]), valueOf(order[k], valueSize))
    await b.flush()
  }
}

async function drain (stream, limit) {
  let n = 0
  for await (const e of stream) { if (e.value) n++; if (n >= limit) break }
  return n
}

async function pass (db, a, order) {
  const { workload, keys, valueSize, ops, run } = a
  if (workload === 'fill_seq' || workload === 'fill_random') { await fill(db, order, valueSize); return order.length }
  if (workload === 'put_single') {
    for (let i = 0; i < ops; i++) await db.put(keyOf(i), valueOf(i, valueSize))
    return ops
  }
  if (workload.startsWith('get_random')) {
    for (let j = 0; j < ops; j++) {
      const e = await db.get(keyOf(pick(j, 1, keys)))
      if (!e || e.value.length !== valueSize) throw new Error('missing key ' + keyOf(pick(j, 1, keys)))
    }
    return ops
  }
  if (workload.startsWith('scan')) {
    const n = await drain(db.createReadStream(), Infinity)
    if (n !== keys) throw new Error('scan saw ' + n + ' entries of ' + keys)
    return n
  }
  if (workload.startsWith('range100')) {
    for (let j = 0; j < ops; j++) {
      if (await drain(db.createReadStream({ gte: keyOf(pick(j, 2, keys)), limit: RANGE_LENGTH }), RANGE_LENGTH) === 0) throw new Error('empty range')
    }
    return ops
  }
  if (workload === 'overwrite' || workload === 'delete') {
    const del = workload === 'delete'
    for (let j = 0; j < ops; j += BATCH) {
      const b = db.batch()
      for (let k = j; k < Math.min(ops, j + BATCH); k++) {
        const i = del ? run * ops + k : pick(k + run * ops, 3, keys)
        if (del) await b.del(keyOf(i))
        else await b.put(keyOf(i), valueOf(i + 1 + run, valueSize))
      }
      await b.flush()
    }
    return ops
  }
  throw new Error('unknown or unsupported workload ' + workload)
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const a = {
    engine: args.engine,
    workload: args.workload,
    keys: Number(args.keys),
    valueSize: Number(args['value-size']),
    ops: Number(args.ops),
    run: Number(args.run || 0)
  }
  const memory = a.engine === 'node-mem'
  if (memory && a.workload.endsWith('_cold')) throw new Error('node-mem has no cold workloads')
  const seed = Buffer.alloc(32, 7)
  const storage = memory ? () => new RAM() : args.dir
  const core = new Hypercore(storage, { keyPair: hcrypto.keyPair(seed) })
  await core.ready()
  const db = new Hyperbee(core, { keyEncoding: 'binary', valueEncoding: 'binary' })
  await db.ready()

  let order = []
  if (a.workload.startsWith('fill')) {
    order = Array.from({ length: a.keys }, (_, i) => i)
    if (a.workload === 'fill_seq') order.sort((x, y) => keyHash(x) - keyHash(y))
  }
  const fresh = a.workload.startsWith('fill') || a.workload.startsWith('put_single')
  if (memory && !fresh) await fill(db, Array.from({ length: a.keys }, (_, i) => i), a.valueSize)
  if (a.workload.endsWith('_warm')) await pass(db, a, order)

  let appends = 0
  let hashed = 0
  let lastLength = core.length
  let lastBytes = core.byteLength
  const startLength = core.length
  core.on('append', () => {
    const len = core.length
    appends++
    hashed += (core.byteLength - lastBytes) + 9 * (len - lastLength)
    hashed += 73 * (parents(len) - parents(lastLength)) + 1 + 48 * popcount(len)
    lastLength = len
    lastBytes = core.byteLength
  })

  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const done = await pass(db, a, order)
  const t1 = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpu0)
  const line = ['result', 'ops=' + done, 'seconds=' + (Number(t1 - t0) / 1e9).toFixed(6),
    'user=' + (cpu.user / 1e6).toFixed(6), 'sys=' + (cpu.system / 1e6).toFixed(6),
    'blocks_appended=' + (core.length - startLength), 'bytes_hashed=' + hashed, 'signatures=' + appends]
  await db.close()
  await core.close()
  process.stdout.write(line.join(' ') + '\n')
}

main().catch((err) => { process.stderr.write('hyperbee_runner: ' + (err.stack || err) + '\n'); process.exit(1) })
