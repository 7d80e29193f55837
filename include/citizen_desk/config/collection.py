"""The registry's `collection:` section: how many channels are read at once, and in what batches.

Each platform's budget is the slot count of its Airflow pool (`facebook_api`, `zalo_api`): at
most that many mapped collection tasks of the platform run at once, across all runs. `batch_size`
is the number of channels per mapped task (``CITIZEN_DESK_COLLECT_BATCH_SIZE`` overrides it when
set, see `citizen_desk.collect.batches`); `facebook_batch_size` / `zalo_batch_size`, when set,
replace it for one platform (a Zalo OA costs more per task than a page: see
`citizen_desk.collect.batches`). The defaults are the behaviour from before the section
existed: 4 Graph API and 2 Zalo OA tasks at once, one channel per task.

`pools_for` is pure: whoever creates the pools (the setup DAG's `sync_pools` task, `citizen-desk
pools --apply`, `make demo`, the e2e harness) asks it what they should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

DEFAULT_FACEBOOK_CONCURRENCY = 4
DEFAULT_ZALO_CONCURRENCY = 2
DEFAULT_BATCH_SIZE = 1
POOL_DESCRIPTIONS = {
    "facebook": "Concurrent Graph API collections",
    "zalo": "Concurrent Zalo OA collections",
}


@dataclass(frozen=True)
class CollectionPolicy:
    """Validated `collection:` (`citizen_desk.config.registry_schema.CollectionModel`)."""

    facebook_concurrency: int = DEFAULT_FACEBOOK_CONCURRENCY
    zalo_concurrency: int = DEFAULT_ZALO_CONCURRENCY
    batch_size: int = DEFAULT_BATCH_SIZE
    facebook_batch_size: int | None = None  # None: `batch_size`
    zalo_batch_size: int | None = None

    def concurrency(self, platform: str) -> int:
        """The platform's budget: its pool's slots."""
        return {"facebook": self.facebook_concurrency, "zalo": self.zalo_concurrency}[platform]

    def batch_size_for(self, platform: str) -> int:
        """Channels per mapped task of the platform: its own size if set, else `batch_size`."""
        own = {"facebook": self.facebook_batch_size, "zalo": self.zalo_batch_size}[platform]
        return own if own is not None else self.batch_size


class HasCollection(Protocol):
    @property
    def collection(self) -> CollectionPolicy: ...


def pool_name(platform: str) -> str:
    """The Airflow pool a platform's collection tasks run in (the DAG sets `pool=` to it)."""
    return f"{platform}_api"


def pools_for(registry: HasCollection) -> dict[str, tuple[int, str]]:
    """Airflow pool name -> (slots, description) the registry asks for, one per platform."""
    policy = registry.collection
    return {
        pool_name(platform): (policy.concurrency(platform), description)
        for platform, description in POOL_DESCRIPTIONS.items()
    }


def describe_pools(pools: Mapping[str, tuple[int, str]]) -> str:
    """`facebook_api (4), zalo_api (2)`: one line for logs and progress output."""
    return ", ".join(f"{name} ({slots})" for name, (slots, _) in pools.items())
