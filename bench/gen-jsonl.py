#!/usr/bin/env python3
"""Writes a JSON Lines file of realistic vote.create payloads (and some captures) of about SIZE MB.

usage: gen-jsonl.py OUT [SIZE_MB]
"""
import json, random, sys

EPOCH = 1420070400000
out, size_mb = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
rng = random.Random(42)
base = 1770598034000
target = size_mb * 1_000_000
written, n = 0, 0
with open(out, "w", encoding="utf-8") as f:
    while written < target:
        n += 1
        ms = base + n * 37
        sf = lambda: str(((ms - EPOCH) << 22) | (rng.randrange(1 << 17) << 5) | (n & 31))
        vote = {"type": "vote.create", "data": {
            "id": sf(), "weight": rng.choice([1, 1, 1, 2]),
            "created_at": "2026-02-09T00:47:14.2510149+00:00", "expires_at": "2026-02-09T12:47:14.2510149+00:00",
            "project": {"id": sf(), "type": "bot", "platform": "discord", "platform_id": sf()},
            "user": {"id": sf(), "platform_id": sf(), "name": rng.choice(["alice", "Zoë", "kenji_東京", "ren 🚀"]),
                     "avatar_url": "https://cdn.discordapp.com/avatars/%s/%032x.png" % (sf(), rng.getrandbits(128))},
            "query": {"ref": "discord"}}}
        line = json.dumps(vote, ensure_ascii=False, separators=(",", ":"))
        if n % 10 == 0:
            line = json.dumps({"method": "POST", "path": "/webhooks/1", "headers": [
                ["Content-Type", "application/json"], ["x-topgg-signature", "t=1770598034,v1=" + "%064x" % rng.getrandbits(256)],
                ["x-topgg-trace", "%032x" % rng.getrandbits(128)]], "body": line}, ensure_ascii=False, separators=(",", ":"))
        f.write(line + "\n")
        written += len(line.encode()) + 1
print(f"{out}: {n} lines, {written / 1e6:.1f} MB", file=sys.stderr)
