"""Collection of citizen messages from every fanpage and Zalo OA (DAG `collect_citizen_messages`).

Modules: `messenger`, `comments`, `zalo` read one source each into a `SourceBatch` (pure paging
logic over a client); `store` writes a batch exactly once and `cases` derives cases, turns and tips
from the stored messages (`channels`: the channel reference and the SQL both share); `tokens` keeps
the rotating Zalo token pair; `run` collects one channel end to end, `failures` alerts the admins
when it cannot; `batches` groups channels into the DAG's mapped tasks; `tasks` are the DAG's task
bodies; `summary` renders the report.

This module stays import-light: the DAG's retry policy names `PermanentFailure` by dotted path,
so importing it must not pull in SQLAlchemy or requests at parse time. `RateLimited` likewise.
"""

from __future__ import annotations

from citizen_desk.errors import CitizenDeskError, PlatformError


class PermanentFailure(CitizenDeskError):
    """A channel cannot be collected until a human acts (token, permission, configuration).

    The DAG's retry policy fails the task at once on it; admins were already notified.
    """

    already_reported = True  # TaskFailureNotifier stays quiet: no Slack message per run


class RateLimited(PlatformError):
    """Rate-limited for longer than a task should sleep: the DAG retries the task much later."""
