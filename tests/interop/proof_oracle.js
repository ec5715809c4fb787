#!/usr/bin/env node
'use strict'

// Merkle proofs by the reference (hypercore 10.38.2), for many trees and requests in one
// process: the reference produces proofs for requests (which the C++ side compares with
// its own and verifies), and verifies the C++ side's proofs (and mutations of them).
//
// stdin: {
//   "trees": [{"keySeed": HEX64, "blockSeed": n, "length": N,
//              "fork": null | {"junk": M, "at": T}}],
//   "cases": [{"tree": i,
//              "requester": {"length": S, "pre": bool, "held": [treeIndex, ...]},
//              "request": {"fork", "block": {index, nodes}|null, "hash": {index, nodes}|null,
//                          "seek": {bytes, padding}|null, "upgrade": {start, length}|null},
//              "ours": [proof, ...]}]
// }
// Block i of a tree is blockBytes(blockSeed, i). A tree with "fork" is written as: blocks
// 0..T-1, then junk blocks (blockBytes(blockSeed + 1000, i)) up to M, truncate(T) (fork 1),
// then blocks T..N-1; so its final blocks are blockBytes(blockSeed, i) for every i.
// The requester holds the nodes listed in "held" (roots included) of the final tree, or,
// with "pre", of the tree before the truncation (fork 0: a reorg).
//
// A proof (both ways) is {"fork", "block": {index, value: HEX, nodes}|null,
//   "hash": {index, nodes}|null, "seek": {bytes, nodes}|null,
//   "upgrade": {start, length, nodes, additionalNodes, signature: HEX}|null},
// each node [index, size, HEX hash].
//
// stdout: {"trees": [{"length", "fork", "byteLength", "treeHash", "signature"}],
//          "cases": [{"proof": proof|null, "error": string|null,
//                     "missing": {"block": n|null, "hash": n|null},
//                     "localSeek": [block, offset]|null|"none",
//                     "verdicts": [bool, ...]}]}
// "missing" is the requester tree's missingNodes for the request's target, "localSeek"
// the writer's own seek for the request's seek bytes, "verdicts" whether the reference
// accepts each of "ours" (the checks of core.verify / replicator reorg handling:
// fork, Merkle structure, signature).

const Hypercore = require('hypercore')
const RAM = require('random-access-memory')
const MerkleTree = require('hypercore/lib/merkle-tree')
const Verifier = require('hypercore/lib/verifier')
const hcrypto = require('hypercore-crypto')
const flat = require('flat-tree')
const b4a = require('b4a')

function hex (b) {
  return b ? b4a.toString(b, 'hex') : ''
}

function blockBytes (seed, i) {
  const len = (seed + 7 * i) % 20
  const out = b4a.alloc(len)
  for (let j = 0; j < len; j++) out[j] = (seed * 3 + i * 11 + j * 5) & 0xff
  return out
}

function blocks (seed, from, to) {
  const out = []
  for (let i = from; i < to; i++) out.push(blockBytes(seed, i))
  return out
}

function nodesOut (nodes) {
  return nodes.map(n => [n.index, n.size, hex(n.hash)])
}

function nodesIn (nodes) {
  return nodes.map(([index, size, h]) => ({ index, size, hash: b4a.from(h, 'hex') }))
}

function proofOut (p) {
  return {
    fork: p.fork,
    block: p.block && { index: p.block.index, value: hex(p.block.value), nodes: nodesOut(p.block.nodes) },
    hash: p.hash && { index: p.hash.index, nodes: nodesOut(p.hash.nodes) },
    seek: p.seek && { bytes: p.seek.bytes, nodes: nodesOut(p.seek.nodes) },
    upgrade: p.upgrade && {
      start: p.upgrade.start,
      length: p.upgrade.length,
      nodes: nodesOut(p.upgrade.nodes),
      additionalNodes: nodesOut(p.upgrade.additionalNodes),
      signature: hex(p.upgrade.signature)
    }
  }
}

function proofIn (p) {
  return {
    fork: p.fork,
    block: p.block && { index: p.block.index, value: b4a.from(p.block.value, 'hex'), nodes: nodesIn(p.block.nodes) },
    hash: p.hash && { index: p.hash.index, nodes: nodesIn(p.hash.nodes) },
    seek: p.seek && { bytes: p.seek.bytes, nodes: nodesIn(p.seek.nodes) },
    upgrade: p.upgrade && {
      start: p.upgrade.start,
      length: p.upgrade.length,
      nodes: nodesIn(p.upgrade.nodes),
      additionalNodes: nodesIn(p.upgrade.additionalNodes),
      signature: b4a.from(p.upgrade.signature, 'hex')
    },
    manifest: null
  }
}

async function buildTree (spec) {
  const keyPair = hcrypto.keyPair(b4a.from(spec.keySeed, 'hex'))
  const core = new Hypercore(RAM, { keyPair })
  await core.ready()
  let pre = null
  if (spec.fork) {
    const { junk, at } = spec.fork
    const before = blocks(spec.blockSeed, 0, at).concat(blocks(spec.blockSeed + 1000, at, junk))
    await core.append(before)
    await core.truncate(at)
    if (spec.length > at) await core.append(blocks(spec.blockSeed, at, spec.length))
    // The same history up to the truncation, as a reader at fork 0 saw it.
    pre = new Hypercore(RAM, { keyPair })
    await pre.ready()
    await pre.append(before)
  } else {
    await core.append(blocks(spec.blockSeed, 0, spec.length))
  }
  return { spec, core, pre, key: core.key }
}

async function requesterTree (src, state, fork) {
  const roots = []
  for (const i of flat.fullRoots(2 * state.length)) roots.push(await src.get(i))
  const tree = new MerkleTree(new RAM(), roots, fork, null, null)
  tree.addNodes(roots)
  for (const i of state.held) tree.addNodes([await src.get(i)])
  return tree
}

async function produce (t, req) {
  const tree = t.core.core.tree
  if (req.fork !== tree.fork) throw new Error('request for another fork')
  const proof = await tree.proof({
    block: req.block ? { ...req.block } : null,
    hash: req.hash ? { ...req.hash } : null,
    seek: req.seek ? { ...req.seek } : null,
    upgrade: req.upgrade ? { ...req.upgrade } : null
  })
  if (proof.block) {
    // The replicator only answers for blocks it has (bitfield check in _getProof).
    if (proof.block.index >= tree.length) throw new Error('block not available')
    proof.block.value = blockBytes(t.spec.blockSeed, proof.block.index)
  }
  return proof
}

// What Hypercore's core.verify (same fork) or the replicator's reorg path (larger fork)
// decides about a proof, without committing anything.
async function verdict (tree, key, proof) {
  try {
    let batch
    if (proof.fork > tree.fork) {
      batch = await tree.reorg(proof)
    } else {
      if (proof.fork !== tree.fork) return false
      batch = await tree.verify(proof)
      if (!batch.commitable()) return false
      if (!proof.upgrade) return true
    }
    const verifier = new Verifier(key, Verifier.defaultSignerManifest(key), {})
    return verifier.verify(batch, batch.signature)
  } catch {
    return false
  }
}

async function main () {
  let input = ''
  for await (const chunk of process.stdin) input += chunk
  const { trees, cases } = JSON.parse(input)

  const built = []
  for (const spec of trees) built.push(await buildTree(spec))

  const out = { trees: [], cases: [] }
  for (const t of built) {
    const tree = t.core.core.tree
    out.trees.push({
      length: tree.length,
      fork: tree.fork,
      byteLength: tree.byteLength,
      treeHash: hex(tree.hash()),
      signature: hex(tree.signature)
    })
  }

  for (const c of cases) {
    const t = built[c.tree]
    const req = c.request
    const res = { proof: null, error: null, missing: { block: null, hash: null }, localSeek: 'none', verdicts: [] }

    try {
      res.proof = proofOut(await produce(t, req))
    } catch (err) {
      res.error = err.message || String(err)
    }

    const pre = c.requester.pre
    const src = pre ? t.pre.core.tree : t.core.core.tree
    const reqTree = await requesterTree(src, c.requester, pre ? 0 : t.core.core.tree.fork)
    if (req.block) res.missing.block = await reqTree.missingNodes(2 * req.block.index)
    if (req.hash) res.missing.hash = await reqTree.missingNodes(req.hash.index)

    if (req.seek) {
      const seeker = t.core.core.tree.seek(req.seek.bytes, req.seek.padding)
      res.localSeek = await seeker.update()
    }

    for (const p of c.ours) res.verdicts.push(await verdict(reqTree, t.key, proofIn(p)))
    out.cases.push(res)
  }

  for (const t of built) {
    await t.core.close()
    if (t.pre) await t.pre.close()
  }
  process.stdout.write(JSON.stringify(out))
}

main().catch(err => {
  console.error(err)
  process.exit(1)
})
