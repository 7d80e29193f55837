"""The simulated world: pages, posts, comments, Messenger and Zalo threads, and ground truth.

All state lives in one JSON-native dict (``World.state``) so it can be persisted as-is.
Traffic is planned in one-hour buckets per channel with an RNG seeded by
``(seed, channel, bucket)``; planned events sit in ``pending`` until the clock passes them.
See `model.World` for the modules it is built from.
"""

from platform_simulator.world.model import World
from platform_simulator.world.planning import HOUR_WEIGHTS, POST_PROBABILITY, THREAD_SHARE
from platform_simulator.world.store import STATE_FORMAT
from platform_simulator.world.threads import REPLY_PROBABILITY, THANKS_LABEL
from platform_simulator.world.timing import (
    DAY_MS,
    HOUR_MS,
    LOCAL_TZ,
    MINUTE_MS,
    OFFICE_WINDOWS,
    floor_hour,
    in_office,
    local_hour,
    next_office_start,
    parse_time,
    reply_time,
)

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "HOUR_WEIGHTS",
    "LOCAL_TZ",
    "MINUTE_MS",
    "OFFICE_WINDOWS",
    "POST_PROBABILITY",
    "REPLY_PROBABILITY",
    "STATE_FORMAT",
    "THANKS_LABEL",
    "THREAD_SHARE",
    "World",
    "floor_hour",
    "in_office",
    "local_hour",
    "next_office_start",
    "parse_time",
    "reply_time",
]
