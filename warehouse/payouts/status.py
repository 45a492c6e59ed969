"""A payout's life after a run: marked paid (with the rail's reference), failed or reversed.

Allowed moves: scheduled → paid | failed, paid → reversed. Marking a payout with the status
and reference it already has is a no-op (so a retried command is safe); any other move is a
``Conflict``. A failed payout never left: its amount and rail fee return to the balance. A
reversed payout came back after it was paid: its amount returns, the rail fee stays spent.
Either way the sales it settled become unsettled again and are settled by the next payout.
Every change is appended to ``payout_events``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from control.directory import creator_region
from warehouse.access import Actor, require_admin
from warehouse.db import warehouse
from warehouse.errors import Conflict, InvalidInput, NotFound
from warehouse.i18n import _

from .ledger import payee

STATUSES = ("scheduled", "paid", "failed", "reversed")
_MOVES = {("scheduled", "paid"), ("scheduled", "failed"), ("paid", "reversed")}
_ID = re.compile(r"^PO-(\d{8})-(.+)$")
_PAYOUT_COLUMNS = "payout_id, creator_id, rail, currency, due, rail_fee, amount, as_of, status, reference, run_id"


def _locate(payout_id: str) -> tuple[str, str]:
    m = _ID.match(payout_id.strip())
    if not m:
        raise NotFound(_("%(payout_id)s is not a payout id (they look like PO-20260306-creator).",
                         payout_id=repr(payout_id)))
    creator_id = m.group(2)
    return creator_id, creator_region(creator_id)


def mark_payout(
    actor: Actor, payout_id: str, status: str, reference: str | None = None, on: date | None = None
) -> dict[str, Any]:
    """Set ``payout_id``'s status (admin only) and return the payout as it now stands.

    ``paid`` needs the rail's transfer ``reference``. ``on`` dates the return entries of a
    failed or reversed payout (default: today in the region's time zone).
    """
    require_admin(actor)
    if status not in ("paid", "failed", "reversed"):
        raise InvalidInput(_("Status must be paid, failed or reversed, not %(status)s.", status=repr(status)))
    reference = (reference or "").strip() or None
    if status == "paid" and not reference:
        raise InvalidInput(_("Marking a payout paid needs the rail's transfer reference (--reference)."))
    if reference and len(reference) > 200:
        raise InvalidInput(_("A reference is at most 200 characters."))
    creator_id, region = _locate(payout_id)
    wh = warehouse(region)
    day = on or datetime.now(ZoneInfo(wh.region.time_zone)).date()
    with wh.transaction() as cur:
        row = cur.execute(
            "SELECT status, reference, amount, rail_fee, currency FROM payouts WHERE payout_id = ?",
            [payout_id],
        ).fetchone()
        if not row:
            raise NotFound(_("No payout %(payout_id)s in the %(region)s warehouse.",
                             payout_id=payout_id, region=region))
        current, current_ref, amount, fee, currency = row
        if current == status and (reference is None or reference == current_ref):
            return _payout(cur, payout_id)
        if (current, status) not in _MOVES:
            raise Conflict(
                f"Payout {payout_id} is {current}"
                + (f" (reference {current_ref})" if current_ref else "")
                + f"; it cannot become {status}."
            )
        cur.execute(
            "UPDATE payouts SET status = ?, reference = coalesce(?, reference) WHERE payout_id = ?",
            [status, reference, payout_id],
        )
        cur.execute(
            "INSERT INTO payout_events (payout_id, status, reference, changed_by, changed_at)"
            " VALUES (?, ?, ?, ?, current_timestamp)",
            [payout_id, status, reference, actor.user_id],
        )
        if status in ("failed", "reversed"):
            returns = [("payout_return", amount, f"payout {status}")]
            if status == "failed" and fee:
                returns.append(("rail_fee_return", fee, "rail fee of a failed payout"))
            cur.executemany(
                "INSERT INTO ledger_entries (entry_id, creator_id, currency, kind, amount, value_date,"
                " payout_id, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
                [
                    (f"{payout_id}:{kind}", creator_id, currency, kind, amt, day, payout_id, note)
                    for kind, amt, note in returns
                ],
            )
        return _payout(cur, payout_id)


def _payout(cur: Any, payout_id: str) -> dict[str, Any]:
    res = cur.execute(f"SELECT {_PAYOUT_COLUMNS} FROM payouts WHERE payout_id = ?", [payout_id])
    names = [d[0] for d in res.description]
    return dict(zip(names, res.fetchone(), strict=True))


def payout_history(actor: Actor, creator_id: str) -> list[dict[str, Any]]:
    """The creator's payouts, newest first, with status and reference (own data or admin)."""
    p = payee(actor, creator_id)
    return warehouse(p.region).dicts(
        f"SELECT {_PAYOUT_COLUMNS} FROM payouts WHERE creator_id = ? ORDER BY as_of DESC, payout_id DESC",
        [creator_id],
    )


def payout_items(actor: Actor, payout_id: str) -> list[dict[str, Any]]:
    """The sales a payout settled (sale_id, upload_id, currency, amount): its audit trail."""
    creator_id, _region = _locate(payout_id)
    p = payee(actor, creator_id)
    return warehouse(p.region).dicts(
        "SELECT sale_id, upload_id, currency, amount FROM payout_items WHERE payout_id = ? ORDER BY sale_id",
        [payout_id],
    )
