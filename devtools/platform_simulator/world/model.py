"""The World: storage, queries, ground truth, traffic planning and API writes in one object."""

from __future__ import annotations

from platform_simulator.world.api_writes import ApiWrites
from platform_simulator.world.planning import Planner


class World(Planner, ApiWrites):
    """The simulated platforms' data plus the generator that grows it.

    Built from cohesive parts, each in its own module: `store.WorldStore` (the state dict and
    its indexes), `queries.WorldQueries` (reads for the API handlers), `truth.TruthLog` (ground
    truth records), `threads.ThreadPlanner` (one citizen thread and its replies),
    `planning.Planner` (hour buckets, posts, canaries, injection, materialisation) and
    `api_writes.ApiWrites` (what the Graph / Zalo APIs write).
    """
