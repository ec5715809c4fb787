#!/usr/bin/env node
'use strict'

// What the json encoding stores: JSON.stringify(JSON.parse(text)) as UTF-8, for many texts
// in one process (hyperbee's json codec is exactly this; checked below on the first case).
//
// stdin: one case per line, the UTF-8 bytes of a JSON text in hex (an empty line is the
// empty text).
// stdout: one line per case: the hex of the stored bytes, or "!" and the error message
// when JSON.parse refuses the text.

const codecs = require('codecs')

const json = codecs('json')
const input = require('fs').readFileSync(0, 'utf8')
const lines = input.split('\n')
if (lines.length && lines[lines.length - 1] === '') lines.pop()

const out = []
for (const line of lines) {
  const text = Buffer.from(line, 'hex').toString('utf8')
  let value
  try {
    value = JSON.parse(text)
  } catch (err) {
    out.push('!' + err.message.replace(/\n/g, ' '))
    continue
  }
  const stored = Buffer.from(JSON.stringify(value), 'utf8')
  // The codec hyperbee uses must agree with the plain computation.
  if (!json.encode(value).equals(stored)) throw new Error('codecs json differs for ' + line)
  out.push(stored.toString('hex'))
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
