"""The creator directory: which region keeps each creator's data (and the creator's country,
which sets their locale). The creator's own record (name, rail, joined) lives in that region's
warehouse (``warehouse/creators.py``); this is the one look-up every process shares.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from warehouse.errors import NotFound
from warehouse.i18n import N_

from .db import control


def _missing(creator_id: str) -> NotFound:
    return NotFound(N_("No creator %(creator_id)s. Register it first: kasuwa creator add %(creator_id2)s --country CC",
                       creator_id=repr(creator_id), creator_id2=creator_id))


def registered_region(creator_id: str) -> str | None:
    """The region ``creator_id`` is registered in, or None when it is not registered."""
    row = control().one("SELECT region FROM creator_directory WHERE creator_id = ?", [creator_id])
    return str(row[0]) if row else None


def creator_region(creator_id: str) -> str:
    """The region keeping ``creator_id``'s data; NotFound (saying how to register) otherwise."""
    region = registered_region(creator_id)
    if region is None:
        raise _missing(creator_id)
    return region


def creator_country(creator_id: str) -> str:
    """The creator's country (ISO alpha-2), from the directory: it sets their locale."""
    row = control().one("SELECT country FROM creator_directory WHERE creator_id = ?", [creator_id])
    if not row:
        raise _missing(creator_id)
    return str(row[0])


def register(creator_id: str, region: str, country: str) -> None:
    """Record ``creator_id`` in ``region``; a registered creator keeps its region and takes
    the new ``country``."""
    control().execute(
        "INSERT INTO creator_directory (creator_id, region, country, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (creator_id) DO UPDATE SET country = excluded.country",
        [creator_id, region, country, time.time()],
    )


def register_many(rows: Iterable[tuple[str, str, str]]) -> None:
    """Record many (creator_id, region, country) at once; creators already there are left as they are."""
    now = time.time()
    values = [(cid, region, country, now) for cid, region, country in rows]
    with control().transaction() as cur:
        cur.executemany(
            "INSERT INTO creator_directory (creator_id, region, country, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (creator_id) DO NOTHING",
            values,
        )


def all_creators() -> list[tuple[str, str]]:
    """Every registered (creator_id, region), by creator id."""
    return [(str(c), str(r)) for c, r in control().rows(
        "SELECT creator_id, region FROM creator_directory ORDER BY creator_id")]
