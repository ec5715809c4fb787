#!/usr/bin/env node
'use strict'

// Golden vectors of the Hypercore log for many random sequences in one process.
//
// stdin: {"sequences":[{"keySeed":HEX64,"dataSeed":HEX64,"mode":"compat"|"v1"|"v0",
//          "actions":[{"append":[size,...]}|{"truncate":n},...]},...]}
// Block bytes are not shipped: the g-th block appended by a sequence (g counts every
// block ever appended, truncated ones too) is the concatenation of
// BLAKE2b-256(dataSeed ‖ u64le(g) ‖ u64le(counter)), counter = 0,1,..., cut to its size.
//
// stdout: {"sequences":[{"key","discoveryKey","id","steps":[{"length","byteLength","fork",
//          "roots":[[index,size,hash],...],"treeHash","signature","leaves":[hash,...]}]}]}
// one step per action, `leaves` = leaf hashes of the blocks that action appended.
// Every value comes from the real hypercore (random-access-memory storage) and is
// cross-checked against an independent Merkle computation and signature.

const Hypercore = require('hypercore')
const RAM = require('random-access-memory')
const hcrypto = require('hypercore-crypto')
const sodium = require('sodium-universal')
const flat = require('flat-tree')
const c = require('compact-encoding')
const b4a = require('b4a')
const caps = require('hypercore/lib/caps')

function hex (b) {
  return b ? b4a.toString(b, 'hex') : ''
}

function u64le (n) {
  return c.encode(c.uint64, n)
}

function blockBytes (dataSeed, g, size) {
  const out = b4a.alloc(size)
  const chunk = b4a.alloc(32)
  for (let counter = 0, pos = 0; pos < size; counter++, pos += 32) {
    sodium.crypto_generichash_batch(chunk, [dataSeed, u64le(g), u64le(counter)])
    chunk.copy(out, pos, 0, Math.min(32, size - pos))
  }
  return out
}

// Independent Merkle tree (nodes by flat-tree index), with truncation.
class Tree {
  constructor () {
    this.nodes = new Map()
    this.length = 0
  }

  append (data) {
    const leaf = { index: 2 * this.length, size: data.byteLength, hash: hcrypto.data(data) }
    this.nodes.set(leaf.index, leaf)
    this.length++
    let node = leaf
    for (;;) {
      const sib = flat.sibling(node.index)
      const s = this.nodes.get(sib)
      if (!s || sib > node.index) break
      const parent = { index: flat.parent(node.index), size: s.size + node.size, hash: hcrypto.parent(s, node) }
      this.nodes.set(parent.index, parent)
      node = parent
    }
    return leaf
  }

  truncate (length) {
    for (const index of [...this.nodes.keys()]) {
      if (flat.rightSpan(index) > 2 * length - 2 || length === 0) this.nodes.delete(index)
    }
    this.length = length
  }

  roots () {
    return flat.fullRoots(2 * this.length).map((i) => this.nodes.get(i))
  }
}

function expectedSignature (mode, keyPair, key, treeHash, length, fork) {
  if (length === 0) return null
  if (mode === 'compat') {
    return hcrypto.sign(caps.treeSignableCompat(treeHash, length, fork, false), keyPair.secretKey)
  }
  if (mode === 'v0') {
    return hcrypto.sign(caps.treeSignable(caps.DEFAULT_NAMESPACE, treeHash, length, fork), keyPair.secretKey)
  }
  const sig = hcrypto.sign(caps.treeSignable(key, treeHash, length, fork), keyPair.secretKey)
  return b4a.concat([b4a.from([1, 0]), sig, b4a.from([0, 0])])
}

function openCore (mode, keyPair) {
  if (mode === 'compat') return new Hypercore(RAM, { keyPair })
  if (mode === 'v1') return new Hypercore(RAM, { keyPair, compat: false })
  if (mode === 'v0') return new Hypercore(RAM, { keyPair, manifest: { version: 0, signers: [{ publicKey: keyPair.publicKey }] } })
  throw new Error('unknown mode ' + mode)
}

async function runSequence (seq, n) {
  const mode = seq.mode || 'compat'
  const keyPair = hcrypto.keyPair(b4a.from(seq.keySeed, 'hex'))
  const dataSeed = b4a.from(seq.dataSeed, 'hex')
  const core = openCore(mode, keyPair)
  await core.ready()

  const tree = new Tree()
  const out = { key: hex(core.key), discoveryKey: hex(core.discoveryKey), id: core.id, steps: [] }
  let generated = 0

  for (const [a, action] of seq.actions.entries()) {
    const where = 'sequence ' + n + ' action ' + a + ': '
    const leaves = []
    if (action.append) {
      const blocks = action.append.map((size) => blockBytes(dataSeed, generated++, size))
      await core.append(blocks)
      for (const b of blocks) leaves.push(hex(tree.append(b).hash))
    } else if (action.truncate !== undefined) {
      await core.truncate(action.truncate)
      tree.truncate(action.truncate)
    } else {
      throw new Error(where + 'unknown action')
    }

    const roots = tree.roots()
    const treeHash = hcrypto.tree(roots)
    const coreTree = core.core.tree
    const signature = coreTree.signature
    const expected = expectedSignature(mode, keyPair, core.key, treeHash, tree.length, core.fork)

    if (coreTree.length !== tree.length) throw new Error(where + 'length ' + coreTree.length + ' != ' + tree.length)
    if (!b4a.equals(await core.treeHash(), treeHash)) throw new Error(where + 'tree hash mismatch')
    if (coreTree.roots.length !== roots.length) throw new Error(where + 'root count mismatch')
    for (let i = 0; i < roots.length; i++) {
      const r = coreTree.roots[i]
      if (r.index !== roots[i].index || r.size !== roots[i].size || !b4a.equals(r.hash, roots[i].hash)) {
        throw new Error(where + 'root ' + i + ' mismatch')
      }
    }
    if (expected === null ? signature !== null : !(signature && b4a.equals(signature, expected))) {
      throw new Error(where + 'signature mismatch')
    }
    if (core.length !== tree.length) throw new Error(where + 'core.length mismatch')

    out.steps.push({
      length: tree.length,
      byteLength: core.byteLength,
      fork: core.fork,
      roots: roots.map((r) => [r.index, r.size, hex(r.hash)]),
      treeHash: hex(treeHash),
      signature: hex(signature),
      leaves
    })
  }

  await core.close()
  return out
}

async function main () {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const input = JSON.parse(b4a.toString(b4a.concat(chunks)))
  const sequences = []
  for (const [n, seq] of input.sequences.entries()) sequences.push(await runSequence(seq, n))
  process.stdout.write(JSON.stringify({ sequences }) + '\n')
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
