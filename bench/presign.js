// Helpers for bench/serve, signing the way protocol.md §3 says:
//   node bench/presign.js create <config_url> <integration_secret> <connection_id> <webhook_secret>
//     performs the integration.create handshake and prints the status and answer;
//   node bench/presign.js lua <webhook_secret> <connection_id> <count>
//     prints a wrk Lua script cycling through <count> pre-signed vote.create deliveries
//     (run the receivers with the replay window disabled, as the signatures age during the run).
'use strict';
const crypto = require('crypto');
const http = require('http');

function sign(secret, body) {
  const t = String(Math.floor(Date.now() / 1000));
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(t + '.').update(body).digest('hex')}`;
}

const snow = (n) => String(1300000000000000000n + BigInt(n));
const project = { id: snow(1), type: 'bot', platform: 'discord', platform_id: snow(2) };
const user = { id: snow(3), platform_id: snow(4), name: 'bench', avatar_url: 'https://cdn.discordapp.com/avatars/1/a.png' };
const [mode, ...args] = process.argv.slice(2);

if (mode === 'create') {
  const [url, integrationSecret, id, webhookSecret] = args;
  const body = JSON.stringify({
    type: 'integration.create',
    data: { connection_id: id, webhook_secret: webhookSecret, project, user },
  });
  const req = http.request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-topgg-signature': sign(integrationSecret, body),
      'x-topgg-trace': crypto.randomBytes(16).toString('hex'),
    },
  }, (res) => {
    let out = '';
    res.on('data', (c) => (out += c));
    res.on('end', () => {
      console.log(res.statusCode, out.trim());
      process.exit(res.statusCode === 200 ? 0 : 1);
    });
  });
  req.on('error', (e) => {
    console.error(e.message);
    process.exit(3);
  });
  req.end(body);
} else if (mode === 'lua') {
  const [secret, id, count] = args;
  const lines = ['local reqs = {}', 'local raw = {'];
  for (let i = 0; i < Number(count); i++) {
    const body = JSON.stringify({
      type: 'vote.create',
      data: {
        id: snow(1000 + i), weight: 1,
        created_at: '2026-02-09T00:47:14.2510149+00:00', expires_at: '2026-02-09T12:47:14.2510149+00:00',
        project, user,
      },
    });
    const trace = crypto.randomBytes(16).toString('hex');
    lines.push(`  {${JSON.stringify(sign(secret, body))}, ${JSON.stringify(trace)}, ${JSON.stringify(body)}},`);
  }
  lines.push('}');
  // Formatted in init, once wrk knows the Host header (Node answers 400 without one).
  lines.push(`init = function(args)
  for i, r in ipairs(raw) do
    reqs[i] = wrk.format("POST", "/webhooks/${id}", {
      ["Content-Type"] = "application/json", ["x-topgg-signature"] = r[1], ["x-topgg-trace"] = r[2] }, r[3])
  end
end
local n = 0
request = function()
  n = n % #reqs + 1
  return reqs[n]
end`);
  console.log(lines.join('\n'));
} else {
  console.error('usage: presign.js create URL INTEGRATION_SECRET ID WEBHOOK_SECRET | lua WEBHOOK_SECRET ID COUNT');
  process.exit(2);
}
