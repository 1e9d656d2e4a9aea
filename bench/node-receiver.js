// A minimal Top.gg webhook receiver with Node's http and crypto modules, for bench/serve: the
// baseline topgg-int serve is compared against. It verifies x-topgg-signature the way
// protocol.md §3 says (HMAC-SHA256 over "<t>." + raw body, constant-time compare), refuses bodies
// over 2 MiB, parses the JSON and answers 204, like the reference receiver's webhook path.
//
// Usage: WEBHOOK_SECRET=whs_… TOLERANCE=0 node bench/node-receiver.js [port]
// Prints {"event":"ready","port":N} once listening.
'use strict';
const http = require('http');
const crypto = require('crypto');

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('set WEBHOOK_SECRET');
  process.exit(2);
}
const tolerance = Number(process.env.TOLERANCE ?? 30);
const MAX_BODY = 2 * 1024 * 1024;

function answer(res, status) {
  res.writeHead(status);
  res.end();
}

function parseSignature(header) {
  let t;
  let v1;
  for (const pair of header.split(',')) {
    const i = pair.indexOf('=');
    if (i < 0) continue;
    const key = pair.slice(0, i);
    if (key === 't') t = pair.slice(i + 1);
    else if (key === 'v1') v1 = pair.slice(i + 1);
  }
  if (t === undefined || !/^[+-]?\d+$/.test(t) || v1 === undefined || !/^[0-9a-fA-F]{64}$/.test(v1)) return null;
  return { t, v1 };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  let refused = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      if (!refused) answer(res, 413);
      refused = true;
      req.destroy();
    } else {
      chunks.push(c);
    }
  });
  req.on('end', () => {
    if (refused) return;
    if (!req.url.startsWith('/webhooks/')) return answer(res, 404);
    if (req.method !== 'POST') return answer(res, 405);
    const header = req.headers['x-topgg-signature'];
    if (header === undefined || req.headers['x-topgg-trace'] === undefined) return answer(res, 401);
    const sig = parseSignature(header);
    if (sig === null) return answer(res, 400);
    if (tolerance > 0 && Math.abs(Date.now() / 1000 - Number(sig.t)) > tolerance) return answer(res, 403);
    const body = Buffer.concat(chunks);
    const mac = crypto.createHmac('sha256', secret).update(sig.t + '.').update(body).digest();
    if (!crypto.timingSafeEqual(mac, Buffer.from(sig.v1, 'hex'))) return answer(res, 401);
    try {
      JSON.parse(body.toString('utf8'));
    } catch (_) {
      // Verified but unparseable: acknowledged so Top.gg does not retry, as protocol.md §7 says.
    }
    answer(res, 204);
  });
});
server.requestTimeout = 5000;
server.keepAliveTimeout = 5000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', port: server.address().port }));
});
