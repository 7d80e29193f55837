"""Platform-shaped ids drawn from a seeded RNG (same seed, same ids)."""

from __future__ import annotations

import base64
import hashlib
import random


def digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(10 ** (n - 1), 10**n - 1))


def fb_message_id(rng: random.Random) -> str:
    return "m_" + base64.urlsafe_b64encode(rng.getrandbits(384).to_bytes(48, "big")).decode()


def zalo_message_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(80):020x}"


def hotline(key: str) -> str:
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return f"0237.3{digest % 100:02d}.{digest // 100 % 1000:03d}"
