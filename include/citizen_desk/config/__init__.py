"""Configuration: the registry (units, channels, contacts, policies), durations and settings.

`registry` loads and validates `registry.yaml`; `sync` upserts it into the domain DB; `settings`
says where files live; `durations` parses `30m`/`8h`/`1d12h`; `sections` holds the pydantic base
and the problem collector that the registry and its policy-section parsers share. May import:
`domain`, `errors`, the pure policy parsers of `sla` and `tips` (for their registry sections), and
`db` (sync only).
"""
