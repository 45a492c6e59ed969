"""Plain values: what a job's arguments and results (a Flight action's JSON body) and an outbox
record on disk are made of. JSON, plus the standard scalar types Kasuwa's values use — Decimal,
dates and times, bytes, UUIDs, sets — tagged so that they come back as the same type, never as a
float or a string. No domain type is known here (STYLE 17): ``Actor``, ``IngestResult``,
``RunResult``… turn themselves into plain values (``plain()``/``from_plain()`` beside them), and
so does a mapping's ``Constant`` (``ingest.mappings.mapping_plain``).
"""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any


def encode(v: Any) -> Any:
    """``v`` as JSON-ready data (see ``decode``)."""
    if v is None or isinstance(v, bool | int | float | str):
        return v if type(v) in (bool, int, float, str) or v is None else _base(v)
    if isinstance(v, Decimal):
        return {"$": "dec", "v": str(v)}
    if isinstance(v, datetime):
        return {"$": "dt", "v": v.isoformat()}
    if isinstance(v, date):
        return {"$": "d", "v": v.isoformat()}
    if isinstance(v, time):
        return {"$": "t", "v": v.isoformat()}
    if isinstance(v, timedelta):
        return {"$": "td", "v": [v.days, v.seconds, v.microseconds]}
    if isinstance(v, bytes | bytearray | memoryview):
        return {"$": "b", "v": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, uuid.UUID):
        return {"$": "uuid", "v": str(v)}
    if isinstance(v, PurePath):
        return str(v)
    if isinstance(v, list | tuple):
        return [encode(x) for x in v]
    if isinstance(v, set | frozenset):
        return {"$": "set", "v": [encode(x) for x in v]}
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v) and "$" not in v:
            return {k: encode(x) for k, x in v.items()}
        return {"$": "map", "v": [[encode(k), encode(x)] for k, x in v.items()]}
    if type(v).__module__.split(".")[0] in ("numpy", "pandas") and hasattr(v, "item"):
        return encode(v.item())  # a value read from a DataFrame (numpy scalar, pandas Timestamp)
    raise TypeError(f"a {type(v).__name__} is not a plain value: give its plain() form")


def _base(v: Any) -> Any:
    """A subclass of a JSON scalar is sent as the scalar: its meaning is the caller's to send."""
    for kind in (bool, int, float, str):
        if isinstance(v, kind):
            return kind(v)
    return v


def _hashable(v: Any) -> Any:
    return tuple(_hashable(x) for x in v) if isinstance(v, list) else v


_TAGS = {
    "dec": lambda d: Decimal(d["v"]),
    "dt": lambda d: datetime.fromisoformat(d["v"]),
    "d": lambda d: date.fromisoformat(d["v"]),
    "t": lambda d: time.fromisoformat(d["v"]),
    "td": lambda d: timedelta(days=d["v"][0], seconds=d["v"][1], microseconds=d["v"][2]),
    "b": lambda d: base64.b64decode(d["v"]),
    "uuid": lambda d: uuid.UUID(d["v"]),
    "set": lambda d: frozenset(_hashable(decode(x)) for x in d["v"]),
    "map": lambda d: {_hashable(decode(k)): decode(x) for k, x in d["v"]},
    # an outbox record written before plain values: its fields, for the type's own from_plain
    "dc": lambda d: {k: decode(x) for k, x in d["v"].items()},
    "const": lambda d: {"constant": d["v"]},
}


def decode(v: Any) -> Any:
    """The value ``encode`` was given (lists stay lists; sets come back as frozensets)."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    tag = v.get("$")
    if tag is None:
        return {k: decode(x) for k, x in v.items()}
    return _TAGS[tag](v)
