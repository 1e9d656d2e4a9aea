#!/usr/bin/env python3
"""Writes N signed vote.create captures (raw HTTP/1.1 .http files) into DIR, signed with SECRET.

usage: gen-captures.py DIR N SECRET
"""
import hashlib, hmac, json, os, random, sys

out, n, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
rng = random.Random(1)
t = 1770598034
for i in range(n):
    sf = lambda: str(((1770598034000 + i - 1420070400000) << 22) | rng.getrandbits(22))
    body = json.dumps({"type": "vote.create", "data": {
        "id": sf(), "weight": 1, "created_at": "2026-02-09T00:47:14.2510149+00:00",
        "expires_at": "2026-02-09T12:47:14.2510149+00:00",
        "project": {"id": sf(), "type": "bot", "platform": "discord", "platform_id": sf()},
        "user": {"id": sf(), "platform_id": sf(), "name": "alice", "avatar_url": "https://cdn.discordapp.com/avatars/1/a.png"}}},
        separators=(",", ":")).encode()
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    head = (f"POST /webhooks/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nx-topgg-signature: t={t},v1={sig}\r\nx-topgg-trace: {i:032x}\r\n\r\n")
    with open(os.path.join(out, f"{i:06d}-vote.create.http"), "wb") as f:
        f.write(head.encode() + body)
