#!/usr/bin/env node
'use strict'

// Manifest encodings, hashes and signature verdicts of the reference (hypercore 10.38.2
// lib/messages.js and lib/verifier.js), for many cases in one process.
//
// stdin: {"manifests":[{"version":0|1,"allowPatch":bool,"quorum":n|null,
//           "signers":[{"namespace":HEX|null,"publicKey":HEX}],"prologue":{"hash":HEX,"length":n}|null}],
//         "verifications":[{"manifest":i,"treeHash":HEX,"length":n,"fork":n,"signature":HEX}]}
// (quorum/namespace null = the reference's default)
// stdout: {"manifests":[{"encoding":HEX,"hash":HEX,"decoded":{...}}],"verifications":[bool]}

const c = require('compact-encoding')
const b4a = require('b4a')
const caps = require('hypercore/lib/caps')
const m = require('hypercore/lib/messages')
const Verifier = require('hypercore/lib/verifier')

const hex = (b) => b4a.toString(b, 'hex')
const buf = (s) => b4a.from(s, 'hex')

function createManifest (spec) {
  const inp = {
    version: spec.version,
    allowPatch: spec.allowPatch,
    signers: spec.signers.map((s) => ({
      publicKey: buf(s.publicKey),
      ...(s.namespace ? { namespace: buf(s.namespace) } : {})
    })),
    prologue: spec.prologue ? { hash: buf(spec.prologue.hash), length: spec.prologue.length } : null
  }
  if (spec.quorum !== null) inp.quorum = spec.quorum
  return Verifier.createManifest(inp)
}

function manifestJson (man) {
  return {
    version: man.version,
    allowPatch: man.allowPatch,
    quorum: man.quorum,
    signers: man.signers.map((s) => ({ namespace: hex(s.namespace), publicKey: hex(s.publicKey) })),
    prologue: man.prologue ? { hash: hex(man.prologue.hash), length: man.prologue.length } : null
  }
}

function fakeBatch (treeHash, length, fork) {
  return {
    length,
    fork,
    hash: () => treeHash,
    signable: (ctx) => caps.treeSignable(ctx, treeHash, length, fork),
    signableCompat: (noHeader) => caps.treeSignableCompat(treeHash, length, fork, noHeader)
  }
}

async function main () {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const input = JSON.parse(b4a.toString(b4a.concat(chunks)))

  const manifests = input.manifests.map(createManifest)
  const out = { manifests: [], verifications: [] }
  for (const man of manifests) {
    const encoding = c.encode(m.manifest, man)
    const decoded = c.decode(m.manifest, encoding)
    out.manifests.push({ encoding: hex(encoding), hash: hex(Verifier.manifestHash(man)), decoded: manifestJson(decoded) })
  }
  for (const v of input.verifications) {
    const man = manifests[v.manifest]
    const verifier = new Verifier(Verifier.manifestHash(man), man)
    let ok
    try {
      ok = !!verifier.verify(fakeBatch(buf(v.treeHash), v.length, v.fork), buf(v.signature))
    } catch {
      ok = false // a field that does not decode
    }
    out.verifications.push(ok)
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
