#!/usr/bin/env node
'use strict'
// A HyperDHT testnet (hyperdht/testnet) on a given address, for the NAT lab
// (tests/support/nat_lab.hpp): its nodes bind 0.0.0.0 and bootstrap through --host.
// Prints {"bootstrap":"host:port"} when up; stops on SIGTERM or after --seconds.
//   nat_lab_testnet.js --host 10.77.0.1 [--nodes 5] [--seconds 120]
const createTestnet = require('hyperdht/testnet')

function arg (name, dflt = null) {
  const i = process.argv.indexOf('--' + name)
  return i === -1 ? dflt : process.argv[i + 1]
}

async function main () {
  const host = arg('host', '127.0.0.1')
  const testnet = await createTestnet(Number(arg('nodes', '5')), { host })
  const b = testnet.bootstrap[0]
  process.stdout.write(JSON.stringify({ bootstrap: b.host + ':' + b.port }) + '\n')
  const stop = async () => {
    setTimeout(() => process.exit(0), 3000).unref()
    await testnet.destroy()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  setTimeout(stop, Number(arg('seconds', '120')) * 1000)
}
main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n')
  process.exit(1)
})
