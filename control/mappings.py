"""Storage of the column mappings people save on the upload page (table ``saved_mappings``).

Only rows in and out: what a mapping means, whether it still makes sense and who may save or
share one is decided in ``warehouse/ingest/mappings.py``. Lists and objects are kept as JSON
text exactly as given; ``saved_at`` is Unix seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from warehouse.errors import InvalidInput
from warehouse.i18n import N_

from .db import DuplicateKey, control


@dataclass(frozen=True)
class MappingRow:
    """One stored mapping, its JSON fields still text (the reader checks them)."""

    creator_id: str
    name: str
    base: str
    layout: str
    columns: str
    constants: str
    saved_by: str | None
    saved_at: datetime | None
    shared_as: str | None


_SELECT = ("SELECT creator_id, name, base, layout, columns, constants, saved_by, saved_at, shared_as"
           " FROM saved_mappings")


def _row(r: tuple[object, ...]) -> MappingRow:
    saved = None if r[7] is None else datetime.fromtimestamp(float(r[7]), UTC)  # type: ignore[arg-type]
    return MappingRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                      None if r[6] is None else str(r[6]), saved, None if r[8] is None else str(r[8]))


def stored(creator_id: str | None = None, name: str | None = None) -> list[MappingRow]:
    """The stored mappings, all or one creator's (or one by name), by creator, newest first."""
    where, params = [], []
    if creator_id is not None:
        where.append("creator_id = ?")
        params.append(creator_id)
    if name is not None:
        where.append("name = ?")
        params.append(name)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return [_row(r) for r in control().rows(f"{_SELECT}{clause} ORDER BY creator_id, saved_at DESC, name", params)]


def names(creator_id: str) -> set[str]:
    """The names ``creator_id``'s mappings already use."""
    return {str(r[0]) for r in control().rows("SELECT name FROM saved_mappings WHERE creator_id = ?", [creator_id])}


def insert(creator_id: str, name: str, base: str, layout: str, columns: str, constants: str,
           saved_by: str | None) -> None:
    """Store a new mapping; InvalidInput when ``creator_id`` already has one called ``name``."""
    try:
        control().execute(
            "INSERT INTO saved_mappings (creator_id, name, base, layout, columns, constants, saved_by, saved_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [creator_id, name, base, layout, columns, constants, saved_by, time.time()],
        )
    except DuplicateKey:
        raise InvalidInput(N_("The name ‘%(name)s’ is taken; choose another.", name=name)) from None


def mark_shared(creator_id: str, name: str, shared_as: str) -> None:
    """Remember that the mapping was shared as the profile ``shared_as``."""
    control().execute("UPDATE saved_mappings SET shared_as = ? WHERE creator_id = ? AND name = ?",
                      [shared_as, creator_id, name])
