"""Graph API ``fields=`` parsing with nested expansion.

Grammar: ``field ("," field)*`` where a field is ``name(.modifier(arg))*({fields})?``, e.g.
``id,messages.limit(25){id,message,from},comments.limit(5).summary(true){id,parent{id}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class FieldSyntaxError(ValueError):
    """The fields parameter could not be parsed."""


@dataclass
class FieldSpec:
    name: str
    params: dict[str, str] = field(default_factory=dict)
    children: list[FieldSpec] | None = None

    def child_names(self) -> list[str]:
        return [c.name for c in self.children or []]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, ch: str) -> None:
        if self.peek() != ch:
            raise FieldSyntaxError(f"expected {ch!r} at {self.pos} in {self.text!r}")
        self.pos += 1

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\n", "\t") and self.peek():
            self.pos += 1

    def name(self) -> str:
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() in "_-:"):
            self.pos += 1
        if start == self.pos:
            raise FieldSyntaxError(f"expected a field name at {self.pos} in {self.text!r}")
        return self.text[start : self.pos]

    def arg(self) -> str:
        start = self.pos
        depth = 0
        while self.peek() and not (self.peek() == ")" and depth == 0):
            depth += {"(": 1, ")": -1}.get(self.peek(), 0)
            self.pos += 1
        return self.text[start : self.pos].strip()

    def fields(self, closing: str = "") -> list[FieldSpec]:
        out: list[FieldSpec] = []
        while True:
            self.skip_ws()
            if self.peek() == closing or not self.peek():
                break
            out.append(self.field())
            self.skip_ws()
            if self.peek() == ",":
                self.pos += 1
                continue
            break
        return out

    def field(self) -> FieldSpec:
        spec = FieldSpec(self.name())
        while True:
            if self.peek() == ".":
                self.pos += 1
                mod = self.name()
                self.take("(")
                spec.params[mod] = self.arg()
                self.take(")")
            elif self.peek() == "{":
                self.pos += 1
                spec.children = self.fields("}")
                self.take("}")
            else:
                return spec


def parse_fields(text: str | None) -> list[FieldSpec] | None:
    """Parse a ``fields`` value; ``None``/empty means "default fields"."""
    if text is None or not text.strip():
        return None
    parser = _Parser(text)
    specs = parser.fields()
    parser.skip_ws()
    if parser.pos != len(text):
        raise FieldSyntaxError(f"unexpected {parser.peek()!r} at {parser.pos} in {text!r}")
    return specs


def fields_to_string(specs: list[FieldSpec]) -> str:
    parts = []
    for spec in specs:
        text = spec.name
        for key, value in spec.params.items():
            text += f".{key}({value})"
        if spec.children is not None:
            text += "{" + fields_to_string(spec.children) + "}"
        parts.append(text)
    return ",".join(parts)
