"""Exceptions shared across the package.

Messages must never carry an informant's identity (name, platform id, phone, profile): they end up
in task logs and Slack. Refer to cases and channels by their internal references instead.
"""

from __future__ import annotations

from collections.abc import Sequence


class CitizenDeskError(Exception):
    """Base class for every error raised on purpose by Citizen Desk."""


class ConfigError(CitizenDeskError):
    """Bad configuration: the message names the file, the key path and the problem."""

    def __init__(self, path: object, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key or '<root>'}: {problem}")


class RegistryErrors(ConfigError):
    """Every problem found in one configuration file, one `file: key.path: problem` per line.

    `key` and `problem` are those of the first problem; `problems` lists them all.
    """

    def __init__(self, path: object, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__(path, *self.problems[0])
        lines = (f"{self.path}: {key or '<root>'}: {problem}" for key, problem in self.problems)
        self.args = ("\n".join(lines),)

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.path, self.problems)


class PlatformError(CitizenDeskError):
    """A platform API refused a call. `retryable` tells whether waiting can help."""

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.platform = platform
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)


class TokenError(PlatformError):
    """The channel's token is invalid or expired: a human must act, retrying will not help."""


class PiiDetectedError(CitizenDeskError):
    """Outbound text failed the PII gate. Carries finding kinds only, never the matched text."""

    def __init__(self, kinds: list[str], where: str) -> None:
        self.kinds = kinds
        self.where = where
        super().__init__(f"PII gate blocked {where}: found {', '.join(sorted(set(kinds)))}")


class WorkflowError(CitizenDeskError):
    """An illegal action, e.g. verifying a tip that was already forwarded."""


class NotFoundError(CitizenDeskError):
    """An unknown id (tip, case, channel, unit)."""
