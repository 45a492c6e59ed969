"""Creators: registered in the control plane's directory (creator -> region,
``control/directory.py``) and, with their name and payout rail, in their region's warehouse.
``creator_region`` and ``creator_country`` are the directory's, re-exported for the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from control import directory
from control.directory import creator_country, creator_region

from .access import Actor, can_read_creator, require_admin, require_creator
from .db import warehouse
from .errors import InvalidInput, NotFound
from .i18n import _
from .regions import get_region, region_for_country

__all__ = ["Creator", "add_creator", "creator_country", "creator_region", "get_creator", "list_creators"]

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
    existing = directory.registered_region(creator_id)
    if existing and existing != region.code:
        raise InvalidInput(
            _("Creator %(creator_id)s already belongs to %(value)s; moving creators between regions is not "
              "supported.", creator_id=creator_id, value=existing)
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
    directory.register(creator_id, region.code, cc)
    return Creator(creator_id, name or creator_id, cc, region.code, joined_at, rail)


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
    rows = directory.all_creators()
    out = []
    for cid, reg in rows:
        if region and reg != region:
            continue
        if can_read_creator(actor, cid, reg):
            get_region(reg)
            out.append(cid)
    return [get_creator(actor, cid) for cid in out]
