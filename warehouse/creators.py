"""Creators: registered in the control directory (creator -> region) and in their region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .access import Actor, can_read_creator, require_admin, require_creator
from .db import control, warehouse
from .errors import InvalidInput, NotFound
from .i18n import _
from .regions import get_region, region_for_country

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Creator:
    creator_id: str
    name: str
    country: str
    region: str
    joined_at: datetime | None = None
    rail: str | None = None


def add_creator(
    actor: Actor, creator_id: str, country: str, name: str | None = None,
    joined_at: datetime | None = None, rail: str | None = None,
) -> Creator:
    """Register a creator (or update name/country of an existing one). Region follows country."""
    require_admin(actor)
    if not _ID.match(creator_id):
        raise InvalidInput(
            _("Creator id %(creator_id)s: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
              "digit.", creator_id=repr(creator_id))
        )
    region = region_for_country(country)
    cc = country.strip().upper()
    existing = control().one("SELECT region FROM creator_directory WHERE creator_id = ?", [creator_id])
    if existing and existing[0] != region.code:
        raise InvalidInput(
            _("Creator %(creator_id)s already belongs to %(value)s; moving creators between regions is not "
              "supported.", creator_id=creator_id, value=existing[0])
        )
    with warehouse(region).transaction() as cur:
        # no ON CONFLICT, and a new creator is a plain INSERT: a region served over Quack takes
        # inserts but neither upserts nor updates
        found = cur.execute("SELECT 1 FROM creators WHERE creator_id = ?", [creator_id]).fetchone()
        if found:
            cur.execute(
                "UPDATE creators SET name = ?, country = ?, rail = coalesce(?, rail) WHERE creator_id = ?",
                [name or creator_id, cc, rail, creator_id],
            )
        else:
            cur.execute(
                "INSERT INTO creators (creator_id, name, country, joined_at, rail)"
                " VALUES (?, ?, ?, coalesce(?, current_timestamp), ?)",
                [creator_id, name or creator_id, cc, joined_at, rail],
            )
    control().execute(
        "INSERT INTO creator_directory (creator_id, region, country) VALUES (?, ?, ?)"
        " ON CONFLICT (creator_id) DO UPDATE SET country = excluded.country",
        [creator_id, region.code, cc],
    )
    return Creator(creator_id, name or creator_id, cc, region.code, joined_at, rail)


def creator_region(creator_id: str) -> str:
    row = control().one("SELECT region FROM creator_directory WHERE creator_id = ?", [creator_id])
    if not row:
        raise NotFound(_("No creator %(creator_id)s. Register it first: kasuwa creator add %(creator_id2)s "
                         "--country CC", creator_id=repr(creator_id), creator_id2=creator_id))
    return str(row[0])


def creator_country(creator_id: str) -> str:
    """The creator's country (ISO alpha-2), from the control directory: it sets their locale."""
    row = control().one("SELECT country FROM creator_directory WHERE creator_id = ?", [creator_id])
    if not row:
        raise NotFound(_("No creator %(creator_id)s. Register it first: kasuwa creator add %(creator_id2)s "
                         "--country CC", creator_id=repr(creator_id), creator_id2=creator_id))
    return str(row[0])


def get_creator(actor: Actor, creator_id: str) -> Creator:
    region = creator_region(creator_id)
    require_creator(actor, creator_id, region)
    row = warehouse(region).one(
        "SELECT name, country, joined_at, rail FROM creators WHERE creator_id = ?", [creator_id]
    )
    if not row:
        raise NotFound(_("Creator %(creator_id)s is missing from the %(region)s warehouse; run kasuwa init.",
                         creator_id=creator_id, region=region))
    return Creator(creator_id, row[0], row[1], region, row[2], row[3])


def list_creators(actor: Actor, region: str | None = None) -> list[Creator]:
    """Creators ``actor`` may see: own record for a creator, a reviewer's regions, all for admin."""
    rows = control().rows("SELECT creator_id, region FROM creator_directory ORDER BY creator_id")
    out = []
    for cid, reg in rows:
        if region and reg != region:
            continue
        if can_read_creator(actor, cid, reg):
            get_region(reg)
            out.append(cid)
    return [get_creator(actor, cid) for cid in out]
