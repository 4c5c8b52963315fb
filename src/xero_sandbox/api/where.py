"""Xero's `where` and `order` query language: a tokenizer, a parser and an evaluator.

Grammar (Xero's documented filters, e.g. developer.xero.com "Retrieving data" and the spec's
`where` parameter examples):

    expr       := and_expr (("||" | "OR") and_expr)*
    and_expr   := unary (("&&" | "AND") unary)*
    unary      := ("!" | "NOT") unary | "(" expr ")" | comparison
    comparison := operand [("==" | "=" | "!=" | "<>" | "<" | ">" | "<=" | ">=") operand]
    operand    := literal | path
    path       := Name ("." Name | "." Method "(" [operand ("," operand)*] ")")*
    literal    := "text" | number | true | false | null | Guid("...")
                | DateTime(y, m, d[, h, mi, s])

Keywords and method names are matched in any case (`StartsWith`, `startswith`); field names too.
Whitespace around operators is optional (`A==1&&B==2`). Anything else is a WhereError naming the
position (1-based) where reading stopped, so the caller answers 400 instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

Record = dict[str, Any]
Node = Callable[[Record], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<>|<=|>=|&&|\|\||[=<>!(),.])
      | (?P<name>[A-Za-z_]\w*)
    )""",
    re.VERBOSE,
)
_METHODS = {"tolower", "toupper", "startswith", "endswith", "contains", "trim", "hasvalue"}
_COMPARE = {"==", "=", "!=", "<>", "<", ">", "<=", ">="}


class WhereError(ValueError):
    pass


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str, int]] = []  # (kind, text, 1-based position)
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.lastgroup is None:
                start = pos + len(text[pos:]) - len(text[pos:].lstrip())
                raise WhereError(f"cannot read the where clause at position {start + 1}")
            kind = match.lastgroup
            self.items.append((kind, match.group(kind), match.start(kind) + 1))
            pos = match.end()
        self.end = len(text) + 1
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        at = self.index + offset
        return self.items[at] if at < len(self.items) else ("end", "", self.end)

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        self.index += 1
        return token

    def accept(self, *texts: str) -> bool:
        kind, text, _ = self.peek()
        if kind in ("op", "name") and text.upper() in texts:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            self.fail(f"expected {text!r}")

    def fail(self, why: str) -> None:
        _, text, pos = self.peek()
        found = f"{text!r}" if text else "the end"
        raise WhereError(f"cannot read the where clause at position {pos}: {why}, found {found}")


def parse(where: str) -> Node:
    """Compile a `where` string into a predicate on records; WhereError if it cannot be read."""
    tokens = _Tokens(where)
    if not tokens.items:
        raise WhereError("cannot read the where clause at position 1: it is empty")
    node = _or(tokens)
    if tokens.peek()[0] != "end":
        tokens.fail("expected && or || between conditions")
    return node


def matches(record: Record, where: str) -> bool:
    return bool(parse(where)(record))


def _or(tokens: _Tokens) -> Node:
    parts = [_and(tokens)]
    while tokens.accept("||", "OR"):
        parts.append(_and(tokens))
    if len(parts) == 1:
        return parts[0]
    return lambda r: any(_truth(p(r)) for p in parts)


def _and(tokens: _Tokens) -> Node:
    parts = [_unary(tokens)]
    while tokens.accept("&&", "AND"):
        parts.append(_unary(tokens))
    if len(parts) == 1:
        return parts[0]
    return lambda r: all(_truth(p(r)) for p in parts)


def _unary(tokens: _Tokens) -> Node:
    if tokens.accept("!", "NOT"):
        inner = _unary(tokens)
        return lambda r: not _truth(inner(r))
    if tokens.peek()[1] == "(":
        tokens.take()
        inner = _or(tokens)
        tokens.expect(")")
        return inner
    return _comparison(tokens)


def _comparison(tokens: _Tokens) -> Node:
    left = _operand(tokens)
    kind, op, _ = tokens.peek()
    if kind != "op" or op not in _COMPARE:
        return left
    tokens.take()
    right = _operand(tokens)
    return lambda r: _compare(left(r), op, right(r))


def _operand(tokens: _Tokens) -> Node:
    kind, text, _ = tokens.peek()
    if kind == "string":
        tokens.take()
        value = re.sub(r"\\(.)", r"\1", text[1:-1])
        return lambda r: value
    if kind == "number":
        tokens.take()
        number = Decimal(text)
        return lambda r: number
    if kind != "name":
        tokens.fail("expected a field or a value")
    word = text.lower()
    if word in ("true", "false"):
        tokens.take()
        flag = word == "true"
        return lambda r: flag
    if word == "null":
        tokens.take()
        return lambda r: None
    if word == "guid" and tokens.peek(1)[1] == "(":
        tokens.take()
        tokens.take()
        kind, text, _ = tokens.peek()
        if kind != "string":
            tokens.fail("expected a quoted GUID")
        tokens.take()
        tokens.expect(")")
        guid = normal_guid(text[1:-1])
        if guid is None:
            raise WhereError(f"cannot read the where clause: {text} is not a GUID")
        return lambda r: guid
    if word == "datetime" and tokens.peek(1)[1] == "(":
        return _datetime(tokens)
    return _path(tokens)


def _datetime(tokens: _Tokens) -> Node:
    tokens.take()
    tokens.take()
    parts: list[int] = []
    while True:
        kind, text, _ = tokens.peek()
        if kind != "number" or "." in text:
            tokens.fail("expected a whole number in DateTime(...)")
        tokens.take()
        parts.append(int(text))
        if not tokens.accept(","):
            break
    tokens.expect(")")
    if len(parts) not in (3, 6):
        raise WhereError("cannot read the where clause: DateTime takes 3 or 6 numbers")
    try:
        year, month, day, *clock = parts
        hour, minute, second = clock or [0, 0, 0]
        stamp = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError as exc:
        raise WhereError(f"cannot read the where clause: {exc}") from exc
    return lambda r: stamp


def _path(tokens: _Tokens) -> Node:
    steps: list[tuple[str, str, list[Node]]] = [("field", tokens.take()[1], [])]
    while tokens.peek()[1] == ".":
        tokens.take()
        kind, name, _ = tokens.peek()
        if kind != "name":
            tokens.fail("expected a name after '.'")
        if tokens.peek(1)[1] == "(" and name.lower() not in _METHODS:
            tokens.fail(f"unknown method {name}")
        tokens.take()
        if tokens.peek()[1] == "(":
            tokens.take()
            args: list[Node] = []
            if not tokens.accept(")"):
                args.append(_operand(tokens))
                while tokens.accept(","):
                    args.append(_operand(tokens))
                tokens.expect(")")
            steps.append(("method", name.lower(), args))
        elif name.lower() == "hasvalue":
            steps.append(("method", "hasvalue", []))
        else:
            steps.append(("field", name, []))

    def evaluate(record: Record) -> Any:
        value: Any = record
        for kind, name, args in steps:
            if kind == "field":
                value = _field(value, name)
            else:
                value = _method(value, name, [a(record) for a in args])
        return value

    return evaluate


def _field(value: Any, name: str) -> Any:
    if not isinstance(value, dict):
        return None
    key = next((k for k in value if k.lower() == name.lower()), None)
    return value.get(key) if key else None


def _method(value: Any, name: str, args: list[Any]) -> Any:
    if name == "hasvalue":
        return value is not None
    text = "" if value is None else str(value)
    if name == "tolower":
        return text.lower()
    if name == "toupper":
        return text.upper()
    if name == "trim":
        return text.strip()
    if len(args) != 1:
        raise WhereError(f"{name} takes one value")
    arg = "" if args[0] is None else str(args[0])
    if name == "contains":
        return arg in text
    return text.startswith(arg) if name == "startswith" else text.endswith(arg)


def normal_guid(text: str) -> str | None:
    """A GUID in Xero's usual form (lowercase, hyphenated), from any case, with or without
    hyphens or braces; None if it is not a GUID."""
    bare = text.strip().strip("{}").replace("-", "").lower()
    if not re.fullmatch(r"[0-9a-f]{32}", bare):
        return None
    return f"{bare[:8]}-{bare[8:12]}-{bare[12:16]}-{bare[16:20]}-{bare[20:]}"


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):  # UpdatedDateUTC in ms
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return None


def _coerce(have: Any, want: Any) -> tuple[Any, Any]:
    """Bring a stored value and a literal to one comparable type."""
    if isinstance(want, dt.datetime) or isinstance(have, dt.datetime):
        return _as_datetime(have), _as_datetime(want)
    if isinstance(want, Decimal) or isinstance(have, Decimal):
        return _as_decimal(have), _as_decimal(want)
    if isinstance(have, str) and isinstance(want, str) and normal_guid(want) and normal_guid(have):
        return normal_guid(have), normal_guid(want)
    return have, want


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _compare(have: Any, op: str, want: Any) -> bool:
    if want is None or have is None:
        equal = have is None and want is None
        return equal if op in ("==", "=") else (not equal if op in ("!=", "<>") else False)
    left, right = _coerce(have, want)
    if op in ("==", "="):
        return bool(left == right)
    if op in ("!=", "<>"):
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool(
            {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[op]
        )
    except TypeError:
        return False


def _truth(value: Any) -> bool:
    return value is True


def _key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | Decimal | float):
        return (1, Decimal(str(value)))
    return (2, str(value).lower())


def order(records: list[dict[str, Any]], spec: str) -> list[dict[str, Any]]:
    """Sort by `Field [ASC|DESC], Field2 ...` (stable, last key first)."""
    result = list(records)
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        bits = part.split()
        desc = len(bits) > 1 and bits[1].upper() == "DESC"
        field = bits[0]

        def sort_key(record: dict[str, Any], field: str = field) -> tuple[int, Any]:
            value: Any = record
            for name in field.split("."):
                value = _field(value, name)
            return _key(value)

        result.sort(key=sort_key, reverse=desc)
    return result
