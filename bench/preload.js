// Loaded with `node -r ./preload.js` in front of Portkey's gateway (bench/run.sh):
// 1. pins every listen() to 127.0.0.1 (the gateway binds all interfaces by default);
// 2. re-wraps each fetch() Response with a mutable copy of its headers, working around
//    `TypeError: immutable` on streams under Node 20 (Portkey issues #1389 / #1550).
'use strict';
const net = require('net');

const origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args.length > 0 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0])) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  } else if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    // listen(port[, host][, backlog][, cb]): drop any host given, insert ours.
    const port = args[0];
    const rest = args.slice(1).filter((a, i) => !(i === 0 && typeof a === 'string'));
    args = [port, '127.0.0.1', ...rest];
  }
  return origListen.apply(this, args);
};

const origFetch = globalThis.fetch;
globalThis.fetch = async function (...args) {
  const r = await origFetch.apply(this, args);
  return new Response(r.body, { status: r.status, statusText: r.statusText, headers: new Headers(r.headers) });
};
