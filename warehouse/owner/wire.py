"""What crosses the wire between a region's owner and other Kasuwa processes.

Values (bound parameters, job arguments and results) travel as tagged JSON: every type Kasuwa
binds or returns — Decimal, dates and times, bytes, sets, our own result dataclasses — comes
back as the same type, never as a float or a string. Query results travel as Arrow IPC (exact
DECIMAL) and are turned back into the Python values DuckDB's own ``fetchall`` gives.
Nothing is unpickled: only dataclasses listed in ``TYPES`` are rebuilt.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import struct
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

#: dataclasses that may travel, by the name they travel under ("module:Class")
TYPES = (
    "warehouse.access:Actor",
    "warehouse.ingest.result:IngestResult",
    "warehouse.ingest.result:ExpectationOutcome",
    "warehouse.ingest:RowCheck",
    "warehouse.payouts.runs:RunResult",
    "warehouse.payouts.runs:Decision",
    "warehouse.payouts.runs:InterruptedRun",
)


def _type(name: str) -> type:
    if name not in TYPES:
        raise ValueError(f"{name} may not cross the wire")
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def encode(v: Any) -> Any:
    """``v`` as JSON-ready data (see ``decode``)."""
    if isinstance(v, str) and type(v) is not str:  # a mapping's Constant: a value, not a header
        return {"$": "const", "v": str(v)}
    if v is None or isinstance(v, bool | int | float | str):
        return v
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
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        name = f"{type(v).__module__}:{type(v).__qualname__}"
        if name not in TYPES:
            raise TypeError(f"{name} may not cross the wire")
        return {"$": "dc", "n": name, "v": {f.name: encode(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    if type(v).__module__.split(".")[0] in ("numpy", "pandas") and hasattr(v, "item"):
        return encode(v.item())  # a value read from a DataFrame (numpy scalar, pandas Timestamp)
    raise TypeError(f"a {type(v).__name__} cannot be sent to a region's owner")


def _hashable(v: Any) -> Any:
    return tuple(_hashable(x) for x in v) if isinstance(v, list) else v


def _constant(d: dict[str, Any]) -> str:
    from ..ingest.mappings import Constant

    return Constant(d["v"])


_TAGS = {
    "const": _constant,
    "dec": lambda d: Decimal(d["v"]),
    "dt": lambda d: datetime.fromisoformat(d["v"]),
    "d": lambda d: date.fromisoformat(d["v"]),
    "t": lambda d: time.fromisoformat(d["v"]),
    "td": lambda d: timedelta(days=d["v"][0], seconds=d["v"][1], microseconds=d["v"][2]),
    "b": lambda d: base64.b64decode(d["v"]),
    "uuid": lambda d: uuid.UUID(d["v"]),
    "set": lambda d: frozenset(_hashable(decode(x)) for x in d["v"]),
    "map": lambda d: {_hashable(decode(k)): decode(x) for k, x in d["v"]},
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
    if tag == "dc":
        cls = _type(v["n"])
        values = {k: decode(x) for k, x in v["v"].items()}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        obj = cls(**{k: x for k, x in values.items() if fields[k].init})
        for k, x in values.items():
            if not fields[k].init:
                object.__setattr__(obj, k, x)
        return obj
    return _TAGS[tag](v)


def pack(header: dict[str, Any], body: bytes = b"") -> bytes:
    """One message: a length-prefixed JSON header, then an optional binary body (Arrow IPC)."""
    head = json.dumps(header).encode()
    return struct.pack(">I", len(head)) + head + body


def unpack(data: bytes) -> tuple[dict[str, Any], bytes]:
    (n,) = struct.unpack(">I", data[:4])
    return json.loads(data[4:4 + n]), data[4 + n:]


def to_ipc(table: Any) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(body: bytes) -> Any:
    import pyarrow as pa

    return pa.ipc.open_stream(body).read_all()


def _interval(v: Any) -> timedelta | None:
    if v is None:
        return None
    # DuckDB's own conversion counts a month as 30 days
    return timedelta(days=v.months * 30 + v.days, microseconds=v.nanoseconds // 1000)


_FIX = {
    "HUGEINT": lambda v: None if v is None else int(v),
    "UHUGEINT": lambda v: None if v is None else int(v),
    "UUID": lambda v: None if v is None else uuid.UUID(str(v)),
    "INTERVAL": _interval,
}


def _timestamps_tz(col: Any) -> list[datetime | None]:
    """Aware timestamps without pyarrow's own conversion, which imports pandas (0.4 s a process)."""
    from zoneinfo import ZoneInfo

    import pyarrow as pa

    zone = ZoneInfo(col.type.tz)
    naive = col.cast(pa.timestamp(col.type.unit)).to_pylist()  # the UTC wall-clock values
    return [None if v is None else v.replace(tzinfo=UTC).astimezone(zone) for v in naive]


def rows(table: Any, types: list[str]) -> list[tuple[Any, ...]]:
    """The rows of an Arrow ``table`` as DuckDB's ``fetchall`` would give them (HUGEINT as
    int, UUID as uuid.UUID, INTERVAL as timedelta, MAP as dict)."""
    columns = []
    for col, kind in zip(table.columns, types, strict=True):
        values = _timestamps_tz(col) if getattr(col.type, "tz", None) else col.to_pylist()
        fix = _FIX.get(kind)
        if fix is None and kind.startswith("MAP("):
            def fix(v: Any) -> Any:
                return None if v is None else dict(v)
        columns.append([fix(v) for v in values] if fix else values)
    return list(zip(*columns, strict=True)) if columns else []
