#!/usr/bin/env node
'use strict'

// Vectors of hypercore 11.39.5 (tests/oracle11): manifests of versions 1-3 with the
// linked and userData fields (encoding, hash, decode), and multisig signature fields with
// patches (lib/multisig.js assemble, lib/verifier.js verify on a real MerkleTreeBatch).
// Run with NODE_PATH=<oracle11>/node_modules. No input; stdout: one JSON document
// {"manifests":[...],"multisig":[...]}.

const c = require('compact-encoding')
const b4a = require('b4a')
const crypto = require('hypercore-crypto')
const flat = require('flat-tree')
const m = require('hypercore/lib/messages')
const caps = require('hypercore/lib/caps')
const multisig = require('hypercore/lib/multisig')
const Verifier = require('hypercore/lib/verifier')
const { MerkleTreeBatch } = require('hypercore/lib/merkle-tree')

const hex = (b) => b4a.toString(b, 'hex')
const seedKey = (n) => crypto.keyPair(b4a.alloc(32, n))
const fill = (n, len = 32) => b4a.alloc(len, n)

function manifestJson (man) {
  return {
    version: man.version,
    allowPatch: man.allowPatch,
    quorum: man.quorum,
    signers: man.signers.map((s) => ({ namespace: hex(s.namespace), publicKey: hex(s.publicKey) })),
    prologue: man.prologue ? { hash: hex(man.prologue.hash), length: man.prologue.length } : null,
    linked: man.linked ? man.linked.map(hex) : null,
    userData: man.userData ? hex(man.userData) : null
  }
}

function manifests () {
  const a = seedKey(1).publicKey
  const b = seedKey(2).publicKey
  const inputs = [
    { signers: [{ publicKey: a }] },
    { version: 2, signers: [{ publicKey: a }] },
    { signers: [{ publicKey: a }], userData: b4a.from('hello user data') },
    { signers: [{ publicKey: a }], linked: [fill(7), fill(8)] },
    { version: 3, signers: [{ publicKey: a }, { publicKey: b, namespace: fill(9) }], quorum: 2, allowPatch: true, linked: [fill(3)], userData: b4a.from('x') },
    { version: 3, signers: [{ publicKey: a }], prologue: { hash: fill(5), length: 4 }, userData: b4a.alloc(0) },
    { version: 2, signers: [{ publicKey: a }], linked: [] },
    { version: 2, signers: [], prologue: { hash: fill(6), length: 1 }, userData: b4a.alloc(300, 1) }
  ]
  return inputs.map((inp) => {
    const man = Verifier.createManifest(inp)
    const encoding = c.encode(m.manifest, man)
    return {
      encoding: hex(encoding),
      hash: hex(Verifier.manifestHash(man)),
      decoded: manifestJson(c.decode(m.manifest, encoding))
    }
  })
}

function batchOf (length) {
  const session = { fork: 0, roots: [], length: 0, signature: null, byteLength: 0, prologue: null, storage: null }
  const batch = new MerkleTreeBatch(session)
  for (let i = 0; i < length; i++) batch.append(blockValue(i))
  return batch
}

function blockValue (i) {
  return b4a.from('block ' + i)
}

// The upgrade nodes from `from` to `to` blocks, as the reference's proof({ upgrade }) lists them.
function upgradeNodes (full, from, to) {
  const nodes = new Map()
  for (const n of full.nodes) nodes.set(n.index, n)
  const out = []
  const target = 2 * from - 2
  for (const root of flat.fullRoots(2 * to)) {
    if (from > 0 && flat.rightSpan(root) <= target) continue
    if (from > 0 && flat.leftSpan(root) <= target) {
      const ite = flat.iterator(target)
      while (ite.index !== root) {
        ite.sibling()
        if (ite.index > target) out.push(nodes.get(ite.index))
        ite.parent()
      }
      continue
    }
    out.push(nodes.get(root))
  }
  return out
}

// A two-signer core; signer 0 signed `length`, signer 1 signed `longer` (patch longer - length).
function multisigCase (length, longer, { allowPatch = true, quorum = 2, version = 1, tamper = null } = {}) {
  const keys = [seedKey(11), seedKey(12)]
  const man = Verifier.createManifest({ version, allowPatch, quorum, signers: keys.map((k) => ({ publicKey: k.publicKey })) })
  const manifestHash = Verifier.manifestHash(man)
  const verifier = new Verifier(manifestHash, man)

  const batch = batchOf(length)
  const full = batchOf(longer)
  const sig0 = crypto.sign(batch.signable(manifestHash), keys[0].secretKey)
  const sig1 = crypto.sign(full.signable(manifestHash), keys[1].secretKey)
  const nodes = longer > length ? upgradeNodes(full, length, longer) : null
  if (tamper === 'node' && nodes) nodes[0] = { ...nodes[0], hash: b4a.from(nodes[0].hash).fill(0, 0, 1) }
  if (tamper === 'drop' && nodes) nodes.pop()
  const inputs = [
    { signer: 0, signature: sig0, patch: 0, nodes: null },
    { signer: 1, signature: sig1, patch: longer - length, nodes }
  ]
  if (tamper === 'swap') inputs.reverse()
  const field = multisig.assemble(inputs)
  let ok
  try {
    ok = !!verifier.verify(batch, field)
  } catch {
    ok = false
  }
  return {
    manifest: hex(c.encode(m.manifest, man)),
    length,
    longer,
    tamper,
    blocks: Array.from({ length }, (_, i) => hex(blockValue(i))),
    treeHash: hex(batch.hash()),
    signature: hex(field),
    verified: ok
  }
}

function main () {
  const cases = []
  for (const [a, b] of [[1, 2], [3, 4], [4, 5], [5, 8], [7, 8], [8, 13], [10, 32], [13, 40], [6, 6], [1, 100]]) {
    cases.push(multisigCase(a, b))
  }
  cases.push(multisigCase(5, 9, { version: 2 }))
  cases.push(multisigCase(5, 9, { tamper: 'node' }))
  cases.push(multisigCase(5, 9, { tamper: 'drop' }))
  cases.push(multisigCase(5, 9, { tamper: 'swap' }))
  cases.push(multisigCase(5, 9, { allowPatch: false }))
  cases.push(multisigCase(3, 12, { quorum: 1, tamper: 'swap' }))
  process.stdout.write(JSON.stringify({ manifests: manifests(), multisig: cases, namespace: hex(caps.DEFAULT_NAMESPACE) }) + '\n')
}

main()
