"""Xero's `where` and `order` query language, for the common filters clients send."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_CLAUSE = re.compile(
    r"^\s*(?P<field>[A-Za-z_][\w.]*?)(?P<lower>\.ToLower\(\))?\s*"
    r"(?:(?P<op>==|!=|>=|<=|>|<)\s*(?P<value>.+?)"
    r"|\.(?P<fn>Contains|StartsWith|EndsWith)\((?P<arg>.+)\))\s*$"
)
_SPLIT = re.compile(r"\s+(AND|OR|&&|\|\|)\s+", re.IGNORECASE)


class WhereError(ValueError):
    pass


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    match = re.match(r'^Guid\("([^"]+)"\)$', text, re.IGNORECASE)
    if match:
        return match.group(1).lower()
    match = re.match(r"^DateTime\((\d+)\s*,\s*(\d+)\s*,\s*(\d+)\)$", text, re.IGNORECASE)
    if match:
        return dt.date(*(int(g) for g in match.groups()))
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise WhereError(f"cannot read {text!r}") from exc


def _get(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(match) if match else None
    return value


def _normal(value: Any, like: Any) -> Any:
    """Bring a stored value to the type of the literal it is compared with."""
    if isinstance(like, dt.date):
        if isinstance(value, int):  # UpdatedDateUTC in ms
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).date()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                return None
        return None
    if isinstance(like, Decimal) and value is not None and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(like, str) and isinstance(value, str):
        return value.lower() if _is_guid(like) else value
    return value


def _is_guid(text: str) -> bool:
    return bool(re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", text))


def _clause(record: dict[str, Any], text: str) -> bool:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    match = _CLAUSE.match(text)
    if not match:
        raise WhereError(f"cannot read where clause {text!r}")
    raw = _get(record, match.group("field"))
    if match.group("fn"):
        arg = str(_literal(match.group("arg")))
        hay = "" if raw is None else str(raw)
        if match.group("lower"):
            hay = hay.lower()
        fn = match.group("fn")
        if fn == "Contains":
            return arg in hay
        return hay.startswith(arg) if fn == "StartsWith" else hay.endswith(arg)
    want = _literal(match.group("value"))
    have = _normal(raw, want)
    if match.group("lower") and isinstance(have, str):
        have = have.lower()
    op = match.group("op")
    if op == "==":
        return bool(have == want)
    if op == "!=":
        return bool(have != want)
    if have is None or want is None:
        return False
    try:
        return bool(
            {">": have > want, "<": have < want, ">=": have >= want, "<=": have <= want}[op]
        )
    except TypeError:
        return False


def matches(record: dict[str, Any], where: str) -> bool:
    """Evaluate `where` (clauses joined by AND/OR, left to right, AND binding tighter)."""
    parts = _SPLIT.split(where)
    groups: list[list[str]] = [[parts[0]]]
    for joiner, clause in zip(parts[1::2], parts[2::2], strict=True):
        if joiner.upper() in ("OR", "||"):
            groups.append([clause])
        else:
            groups[-1].append(clause)
    return any(all(_clause(record, c) for c in group) for group in groups)


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
            return _key(_get(record, field))

        result.sort(key=sort_key, reverse=desc)
    return result
