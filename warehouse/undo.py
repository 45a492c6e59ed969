"""Undo a whole upload (issue 21): its sales, flagged and skipped rows go, in ONE transaction.

Who: the creator who made the upload, within ``KASUWA_UNDO_WINDOW_DAYS`` of it; a reviewer of the
region; an administrator (:func:`warehouse.access.require_undo_upload`).

What stays: the upload's record (status ``undone``, with who, when and why), its landing file
(byte for byte, DESIGN invariant 1), the reviewers' audit of its rows, and a row in
``upload_undos`` saying what was removed. Duplicate detection looks at loaded uploads only, so
the same file can be uploaded again and loads.

Money already paid out is never removed in silence. When a live payout (scheduled or paid)
settled some of the upload's sales, the undo is refused, naming the payouts in words; an
administrator may instead ask for a reversal (``reverse_paid``): each settled sale keeps its
place in the ledger as an ``undone_paid`` entry on the day it was sold (so past statements and
the payout they backed stay exactly as they were), and an ``undo_reversal`` entry today takes
the same amount back out of the balance (what was paid for sales that are now undone is owed
back, and the next payout nets it). The balance is then exactly the sum of what remains.

Inside a region's owner (or with none running) the work is done here; otherwise it is the
owner's job ``undo_upload``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from . import locales
from .access import Actor, require_undo_upload
from .db import owner_client, warehouse
from .errors import Conflict, InvalidInput, KasuwaError, NotFound, RegionUnavailable, WarehouseBusy
from .i18n import N_, _, current_language, ngettext
from .regions import all_regions, get_region
from .settings import settings


class UndoRefused(KasuwaError):
    """The upload's sales were already settled in a payout: undoing would change money paid."""

    title = N_("Cannot undo this upload")


#: a payout's status inside a sentence
PAYOUT_STATUS_WORDS = {"scheduled": N_("scheduled"), "paid": N_("paid")}
_LIVE = ["scheduled", "paid"]

#: called with the name of each step inside the undo's transaction (tests stop a process there)
step_hook: Callable[[str], None] | None = None


@dataclass
class UndoResult:
    """What one undo removed. ``amounts``: currency -> gross of the sales removed (exact);
    ``reversed``: per payout and currency, the amount taken back (``payout`` is in words)."""

    upload_id: str
    region: str
    file_name: str
    received_at: datetime
    sales_removed: int
    flagged_removed: int
    skipped_removed: int
    amounts: dict[str, Decimal] = field(default_factory=dict)
    reversed: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> str:
        """One sentence for the person who undid it (in the run's language)."""
        day = locales.day(self.received_at.astimezone(ZoneInfo(get_region(self.region).time_zone)).date(),
                          current_language())
        text = _("%(file)s (uploaded %(day)s) was undone: %(sales)s, %(flagged)s and %(skipped)s removed. The "
                 "file itself is kept; you can upload it again.", file=self.file_name, day=day,
                 sales=ngettext("%(count)s sale", "%(count)s sales", self.sales_removed, count=self.sales_removed),
                 flagged=ngettext("%(count)s row waiting for review", "%(count)s rows waiting for review",
                                  self.flagged_removed, count=self.flagged_removed),
                 skipped=ngettext("%(count)s row that was not a sale", "%(count)s rows that were not sales",
                                  self.skipped_removed, count=self.skipped_removed))
        if self.reversed:
            paid = "; ".join(_("%(amount)s from %(payout)s", amount=_money(r["amount"], r["currency"]),
                               payout=r["payout"]) for r in self.reversed)
            text += " " + _("Already paid out and now owed back (a reversing entry in the ledger): %(paid)s.",
                            paid=paid)
        return text

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> UndoResult:
        """The result ``plain()`` described (``warehouse.plain`` carried it from the owner)."""
        return cls(**data)

    def plain(self) -> dict[str, Any]:
        """This result in standard types only."""
        return asdict(self)


def _money(amount: Decimal, currency: str) -> str:
    """Exact, with the currency's own decimals, in the language the words are written in."""
    return locales.money(Decimal(amount), currency, current_language())


def _payout_words(as_of: Any, status: str, currency: str, amount: Decimal) -> str:
    return _("the payout of %(amount)s on %(day)s (%(status)s)", amount=_money(amount, currency),
             day=locales.day(as_of, current_language()), status=_(PAYOUT_STATUS_WORDS.get(status, status)))


def find_upload_region(actor: Actor, upload_id: str) -> str:
    """The region whose warehouse holds ``upload_id`` (for the CLI, which takes only the id).
    Regions that cannot be reached are passed over; NotFound when none has it."""
    for reg in all_regions():
        try:
            if warehouse(reg.code).one("SELECT 1 FROM uploads WHERE upload_id = ?", [upload_id]):
                return reg.code
        except (RegionUnavailable, WarehouseBusy):
            continue
    raise NotFound(_("No upload %(upload)s in any region that could be reached.", upload=upload_id))


def undoable_uploads(actor: Actor, region: str, creator_id: str | None = None,
                     limit: int = 200) -> list[dict[str, Any]]:
    """The loaded uploads of ``region`` that ``actor`` may undo now, newest first (``creator_id``:
    only that creator's): upload id (for the call, never shown), creator name, file name, when it
    was received (UTC) and how many sales it loaded. A creator gets their own uploads within the
    window; a reviewer of the region and an administrator every one."""
    from .access import can_undo_upload, own_creator_id, require_creator, require_review

    creator_id = own_creator_id(actor) or creator_id
    if creator_id:
        require_creator(actor, creator_id, region)
    else:
        require_review(actor, region)
    window = settings().undo_window_days
    rows = warehouse(region).dicts(
        "SELECT u.upload_id, u.creator_id, coalesce(c.name, u.creator_id) AS creator_name, u.file_name,"
        " u.received_at, u.rows_loaded, u.rows_flagged, u.uploaded_by,"
        " epoch(current_timestamp) - epoch(u.received_at) AS age_s"
        " FROM uploads u LEFT JOIN creators c USING (creator_id)"
        " WHERE u.status = 'loaded' AND ($cid IS NULL OR u.creator_id = $cid)"
        " ORDER BY u.received_at DESC LIMIT $limit",
        {"cid": creator_id, "limit": max(1, int(limit))},
    )
    return [r for r in rows if can_undo_upload(actor, str(r["creator_id"]), region, r["uploaded_by"],
                                               float(r["age_s"]) / 86400, window)]


def undo_upload(actor: Actor, region: str, upload_id: str, reason: str = "", *,
                reverse_paid: bool = False) -> UndoResult:
    """Undo ``upload_id`` of ``region`` (see the module doc). Raises NotFound, PermissionDenied,
    Conflict (already undone, or changed meanwhile), InvalidInput (nothing was loaded from it),
    :class:`UndoRefused` (sales already settled in a payout, unless an administrator reverses)."""
    owner = owner_client(region)
    if owner is not None and owner.address.local:  # a write to the region: in its owner
        return UndoResult.from_plain(owner.job("undo_upload", actor.plain(), region, upload_id, reason,
                                                    reverse_paid))
    return undo_here(actor, region, upload_id, reason, reverse_paid=reverse_paid)


def undo_job(actor: Actor, region: str, upload_id: str, reason: str = "", reverse_paid: bool = False) -> Any:
    """The owner's job: the result as plain values (they cross the wire as such)."""
    return undo_here(actor, region, upload_id, reason, reverse_paid=reverse_paid).plain()


def _step(name: str) -> None:
    if step_hook is not None:
        step_hook(name)


def undo_here(actor: Actor, region: str, upload_id: str, reason: str = "", *,
              reverse_paid: bool = False) -> UndoResult:
    from .access import is_admin
    from .ingest.pipeline import region_lock

    wh = warehouse(region)
    rows = wh.dicts(
        "SELECT upload_id, creator_id, file_name, status, uploaded_by, received_at, undone_by, undone_at,"
        " epoch(current_timestamp) - epoch(received_at) AS age_s FROM uploads WHERE upload_id = ?",
        [upload_id],
    )
    if not rows:
        raise NotFound(_("No upload %(upload)s in this region.", upload=upload_id))
    up = rows[0]
    window = settings().undo_window_days
    require_undo_upload(actor, str(up["creator_id"]), region, up["uploaded_by"], float(up["age_s"]) / 86400, window)
    if up["status"] == "undone":
        day = locales.day(up["undone_at"].date(), current_language())  # set with the status, always
        raise Conflict(_("%(file)s was already undone by %(who)s on %(day)s.", file=up["file_name"],
                         who=up["undone_by"] or _("someone"), day=day))
    if up["status"] != "loaded":
        raise InvalidInput(_("Nothing was loaded from %(file)s, so there is nothing to undo.", file=up["file_name"]))
    reason = (reason or "").strip()[:500]
    tz = get_region(region).time_zone
    today = datetime.now(ZoneInfo(tz)).date()

    with region_lock(region), wh.transaction() as cur:
        changed = cur.execute(
            "UPDATE uploads SET status = 'undone', undone_by = ?, undone_at = current_timestamp, undone_reason = ?"
            " WHERE upload_id = ? AND status = 'loaded'",
            [actor.user_id, reason, upload_id],
        ).fetchone()
        if not changed or int(changed[0]) != 1:
            raise Conflict(_("%(file)s was changed by someone else meanwhile; look at it again.",
                             file=up["file_name"]))
        _step("marked")
        settled = cur.execute(
            "SELECT o.payout_id, o.as_of, o.status, i.currency, sum(i.amount) FROM payout_items i"
            " JOIN payouts o ON o.payout_id = i.payout_id"
            " WHERE i.upload_id = ? AND list_contains(?, o.status) GROUP BY ALL ORDER BY o.as_of, o.payout_id",
            [upload_id, _LIVE],
        ).fetchall()
        reversed_: list[dict[str, Any]] = []
        if settled:
            words = [_payout_words(day, status, cur_, Decimal(amount)) for _p, day, status, cur_, amount in settled]
            if not (reverse_paid and is_admin(actor)):
                more = (_("An administrator can undo it with a reversing entry in the ledger.") if not is_admin(actor)
                        else _("To undo it anyway, ask for a reversing entry in the ledger."))
                raise UndoRefused(_("Sales of %(file)s were already settled in %(payouts)s; undoing it would remove "
                                    "money already paid out. Nothing was undone. %(more)s", file=up["file_name"],
                                    payouts="; ".join(words), more=more))
            cur.execute(
                "INSERT INTO ledger_entries (entry_id, creator_id, currency, kind, amount, value_date, payout_id,"
                " note, recorded_at)"
                " SELECT i.sale_id || ':undone_paid', s.creator_id, i.currency, 'undone_paid', i.amount,"
                "  CAST(timezone(?, s.sold_at) AS DATE), i.payout_id, 'sale of ' || ? || ', paid, then undone',"
                "  current_timestamp"
                " FROM payout_items i JOIN payouts o ON o.payout_id = i.payout_id JOIN sales s ON s.sale_id = i.sale_id"
                " WHERE i.upload_id = ? AND list_contains(?, o.status)",
                [tz, up["file_name"], upload_id, _LIVE],
            )
            for (pid, _day, _status, currency, amount), said in zip(settled, words, strict=True):
                cur.execute(
                    "INSERT INTO ledger_entries (entry_id, creator_id, currency, kind, amount, value_date,"
                    " payout_id, note, recorded_at) VALUES (?, ?, ?, 'undo_reversal', ?, ?, ?, ?, current_timestamp)",
                    [f"{pid}:undo_reversal:{upload_id}:{currency}", up["creator_id"], currency, -Decimal(amount),
                     today, pid, f"paid for sales of {up['file_name']}, since undone: owed back"],
                )
                reversed_.append({"payout": said, "currency": currency, "amount": Decimal(amount)})
            _step("reversed")
        amounts = {str(c): Decimal(a) for c, a in cur.execute(
            "SELECT currency, sum(gross) FROM sales WHERE upload_id = ? GROUP BY currency ORDER BY currency",
            [upload_id]).fetchall()}
        sales_n = _count(cur.execute("DELETE FROM sales WHERE upload_id = ?", [upload_id]))
        _step("sales")
        flagged_n = _count(cur.execute("DELETE FROM flagged_rows WHERE upload_id = ?", [upload_id]))
        _step("flagged")
        skipped_n = _count(cur.execute("DELETE FROM skipped_rows WHERE upload_id = ?", [upload_id]))
        _step("skipped")
        # money the guard rails held for a reviewer: nothing is left to release
        cur.execute(
            "UPDATE payout_holds SET status = 'refused', reviewed_by = ?, reviewed_at = current_timestamp,"
            " note = 'the upload was undone' WHERE upload_id = ? AND status = 'held'",
            [actor.user_id, upload_id],
        )
        cur.execute(
            "INSERT INTO upload_undos (upload_id, creator_id, file_name, undone_by, undone_at, reason, sales_removed,"
            " flagged_removed, skipped_removed, amounts, reversed_payouts)"
            " VALUES (?, ?, ?, ?, current_timestamp, ?, ?, ?, ?, ?, ?)",
            [upload_id, up["creator_id"], up["file_name"], actor.user_id, reason, sales_n, flagged_n, skipped_n,
             json.dumps({c: _exact(a, c) for c, a in amounts.items()}), sorted({str(s[0]) for s in settled})],
        )
        _step("audit")
    _refresh_rollups(region)
    received = up["received_at"]
    if isinstance(received, datetime) and received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return UndoResult(upload_id, region, str(up["file_name"]), received, sales_n, flagged_n, skipped_n, amounts,
                      reversed_)


def _exact(amount: Decimal, currency: str) -> str:
    """``amount`` with its currency's own decimals when that loses nothing (else as it is)."""
    from .money import is_currency, quantum

    if not is_currency(currency):
        return str(amount)
    q = amount.quantize(quantum(currency))
    return str(q) if q == amount else str(amount)


def _count(res: Any) -> int:
    row = res.fetchone()
    return int(row[0]) if row else 0


def _refresh_rollups(region: str) -> None:
    """The managers' rollups follow (re-aggregated for the upload whose sales are gone); the
    undo is committed already and metrics re-check the rollups, so a failure only delays them."""
    from .queries.rollups import refresh_rollups

    with suppress(KasuwaError, duckdb.Error):
        refresh_rollups(region)
