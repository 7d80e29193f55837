"""Real time: the platforms' webhooks (Messenger / page feed, Zalo OA) into a durable inbox.

`signatures` checks each platform's own signature (pure); `events` splits a verified body into
inbox events with the platform's natural key; `inbox` stores them exactly once before the
receiver answers 200. The daily collection stays the reconciliation: the same natural keys, so a
message that came by webhook and by polling is stored once.
"""
