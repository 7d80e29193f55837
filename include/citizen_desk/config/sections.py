"""Validation helpers shared by the registry and its section parsers (calendar, SLA, escalation).

Pydantic models check the shape (types, required and unknown keys); `Problems` turns their errors
and the cross-field checks into `(key.path, problem)` pairs, so one run reports every problem.
List items are named by their `code` or `key` when they have one (`units[TH-NS].parent`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, NoReturn, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from citizen_desk.config.durations import parse_duration
from citizen_desk.errors import ConfigError, RegistryErrors

M = TypeVar("M", bound=BaseModel)
SLACK_ID = re.compile(r"^[CGDUW][A-Z0-9]{6,}$")


class Section(BaseModel):
    """A mapping of the registry: unknown keys refused, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    # Problem texts for absent required keys, when "required" is not the clearest.
    MISSING: ClassVar[Mapping[str, str]] = {}


def fail(problem: str) -> NoReturn:
    """Reject a value inside a validator with exactly this problem text."""
    raise PydanticCustomError("config", "{problem}", {"problem": problem})


def _text(value: object) -> str:
    if value is None or value == "":
        fail("required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        fail(f"expected text, got {type(value).__name__}")
    return str(value)


def _slack_id(value: object) -> str:
    if not isinstance(value, str) or not SLACK_ID.match(value):
        fail(f"malformed Slack id {value!r} (expected e.g. C0123ABCD)")
    return value


def _duration(value: object) -> timedelta:
    try:
        return parse_duration(value, path="", key="")
    except ConfigError as exc:
        fail(exc.problem)


def _positive_duration(value: object) -> timedelta:
    duration = _duration(value)
    if duration <= timedelta(0):
        fail("must be longer than zero")
    return duration


Text = Annotated[str, BeforeValidator(_text)]
SlackId = Annotated[str, BeforeValidator(_slack_id)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
PositiveDuration = Annotated[timedelta, BeforeValidator(_positive_duration)]


def one_of(values: Iterable[str], problem: str) -> BeforeValidator:
    """Validator of a text among `values`, used as `Annotated[str, one_of(...)]`.

    `problem` may use {value!r} and {allowed} (comma separated).
    """
    allowed = tuple(values)

    def check(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            fail(problem.format(value=value, allowed=", ".join(allowed)))
        return value

    return BeforeValidator(check)


def stable_hash(normalised: object) -> str:
    """Short, order-independent fingerprint of a normalised section (its policy version)."""
    text = json.dumps(normalised, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def item_label(item: object, index: int) -> str:
    """How a list item is named in key paths: its `code` or `key`, else its index."""
    if isinstance(item, Mapping):
        for name in ("code", "key"):
            if isinstance(item.get(name), str | int) and not isinstance(item.get(name), bool):
                return str(item[name])
    return str(index)


class Problems:
    """Collects `(key.path, problem)` pairs of one file; `raise_if_any` raises them all at once."""

    def __init__(self, path: object) -> None:
        self.path = path
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, problem: str) -> None:
        if (key, problem) not in self.items:
            self.items.append((key, problem))

    def absorb(self, error: ConfigError) -> None:
        """Take over the problems of a section parser's error."""
        pairs = [(error.key, error.problem)]
        if isinstance(error, RegistryErrors):
            pairs = error.problems
        for key, problem in pairs:
            self.add(key, problem)

    def raise_if_any(self) -> None:
        if self.items:
            raise RegistryErrors(self.path, self.items)

    def validate(
        self, model: type[M], raw: object, key: str = "", context: object = None
    ) -> M | None:
        """The validated model, or None after recording every problem under `key`."""
        try:
            return model.model_validate(raw, context=context)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(part for part in error["loc"] if part != "[key]")
                self.add(_key_path(key, loc, raw), _problem(error, _model_at(model, loc)))
            return None


def _key_path(key: str, loc: tuple[str | int, ...], raw: object) -> str:
    path, node = key, raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            node = node[part] if part < len(node) else None
            path += f"[{item_label(node, part)}]"
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
            path = f"{path}.{part}" if path else str(part)
    return path


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class holding the last element of `loc` (for its allowed keys)."""
    hint: Any = model
    for part in loc[:-1]:
        hint = _unwrap(hint)
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            field = hint.model_fields.get(str(part))
            hint = field.annotation if field else None
        elif get_origin(hint) in (list, tuple, dict):
            hint = get_args(hint)[-1]
        else:
            return None
    hint = _unwrap(hint)
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


def _unwrap(hint: Any) -> Any:
    while get_origin(hint) in (Annotated, Union, UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not NoneType)
    return hint


def _problem(error: Any, model: type[BaseModel] | None) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    name = str(error["loc"][-1]) if error["loc"] else ""
    if kind == "config":
        return str(ctx["problem"])
    if kind == "missing":
        missing = getattr(model, "MISSING", {})
        return missing.get(name, "required")
    if kind == "extra_forbidden":
        allowed = ", ".join(sorted(model.model_fields)) if model else ""
        return f"unknown key (allowed: {allowed})" if allowed else "unknown key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {type(value).__name__}"
    if kind == "list_type":
        return f"expected a list, got {type(value).__name__}"
    if kind == "too_short":
        return "expected a non-empty list"
    if kind.startswith("int_"):
        return f"expected an integer, got {value!r}"
    if kind.startswith("float_"):
        return f"expected a number, got {value!r}"
    if kind.startswith("bool_"):
        return f"expected true or false, got {value!r}"
    if kind.startswith("string_"):
        return f"expected text, got {type(value).__name__}"
    return str(error["msg"])
