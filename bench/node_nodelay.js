'use strict'

// Preloaded (`node --require`) into the Node reference's processes by replication_bench:
// sets TCP_NODELAY on every TCP socket, as our transports do. Node leaves Nagle's algorithm
// on by default (peer.js does not turn it off), and on loopback a request/response exchange
// then stalls ~40 ms on delayed ACKs, which would measure the socket option, not the
// replication stack. replication_bench --node-nagle runs Node without this.
const net = require('net')

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  this.setNoDelay(true)
  return connect.apply(this, args)
}

const createServer = net.createServer
net.createServer = function (...args) {
  const server = createServer.apply(this, args)
  server.on('connection', (socket) => socket.setNoDelay(true))
  return server
}
