"""Guard rails on money: an upload that would change what the programme owes a creator by an
unusual amount is held for a reviewer before any payout includes it (issue 16).

Called once, at the end of a load (``warehouse/ingest/pipeline.py``), on the load's cursor. Only
money the programme holds can change what it owes (``custody.py``): uploads of other sources are
never held. An upload of the programme's money is held when

- **unusual amount**: in some currency it adds more than ``times_usual`` × the creator's largest
  calendar month of programme-held sales over the ``history_months`` months before it; or
- **old sales**: it holds sales sold more than ``stale_days`` days after their hold ended
  (money that old should have been paid long ago: a wrong file, or a wrong date style).

The thresholds are ``rails.toml``'s ``[guard]``. A held upload's sales stay out of the ledger
(``programme_sales``) until a reviewer of the region releases it (then they count as any other)
or refuses it (they never do). The upload report says why, in words. Every checked upload of
programme money gets a decision row (``clear`` when nothing is unusual); the check runs after the
load commits, so a payout run first decides any upload left without one (``check_undecided``):
no money is paid unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from warehouse.access import Actor, require_review
from warehouse.db import warehouse
from warehouse.errors import Conflict, InvalidInput, NotFound
from warehouse.i18n import N_, _

from .custody import custody_of
from .fees import round_money
from .rails import rail_book

ZERO = Decimal(0)


@dataclass(frozen=True)
class HeldUpload:
    upload_id: str
    creator_id: str
    file_name: str
    reasons: list[str]  # in English, made with N_: translate_text where shown
    currency: str | None
    amount: Decimal | None
    status: str  # held | released | refused
    held_at: datetime


def _money(amount: Decimal, currency: str) -> str:
    from .runs import money

    return money(amount, currency)


def unusual_reasons(cur: Any, upload_id: str) -> tuple[list[str], str | None, Decimal | None]:
    """Why the upload ``upload_id`` should wait for a reviewer (no reasons: it need not), with the
    currency and amount it adds to what the programme owes (the largest, when several)."""
    up = cur.execute("SELECT creator_id, source, received_at FROM uploads WHERE upload_id = ?",
                     [upload_id]).fetchone()
    if not up:
        return [], None, None
    creator_id, source, received_at = up
    custody = custody_of(source or "")
    if custody.holds != "programme":
        return [], None, None
    rules = rail_book().guard
    received_on = received_at.date() if isinstance(received_at, datetime) else date.today()
    reasons: list[str] = []
    adds = cur.execute(
        "SELECT currency, sum(coalesce(net, gross) - refunded), count(*), min(CAST(sold_at AS DATE))"
        " FROM sales WHERE upload_id = ? GROUP BY currency ORDER BY 2 DESC",
        [upload_id],
    ).fetchall()
    if not adds:
        return [], None, None
    biggest = (adds[0][0], Decimal(adds[0][1]))
    since = received_on - timedelta(days=31 * rules.history_months)
    for currency, added, _n, _oldest in adds:
        amount = Decimal(added)
        usual_row = cur.execute(
            "SELECT max(m) FROM (SELECT sum(coalesce(net, gross) - refunded) AS m FROM programme_sales"
            " WHERE creator_id = ? AND currency = ? AND upload_id <> ? AND CAST(sold_at AS DATE) >= ?"
            " GROUP BY date_trunc('month', sold_at))",
            [creator_id, currency, upload_id, since],
        ).fetchone()
        usual = Decimal(usual_row[0]) if usual_row and usual_row[0] is not None else None
        if usual and usual > 0 and amount > rules.times_usual * usual:
            reasons.append(N_(
                "Unusual amount: this file adds %(amount)s to what the programme owes, more than %(times)s times "
                "the largest month of your sales through the programme in the last %(months)s months (%(usual)s).",
                amount=_money(round_money(amount, currency), currency), times=rules.times_usual,
                months=rules.history_months, usual=_money(round_money(usual, currency), currency)))
    stale = []
    for currency, _amount, _n, _oldest in adds:
        limit = received_on - timedelta(days=custody.hold_for(currency) + rules.stale_days)
        row = cur.execute(
            "SELECT count(*), min(CAST(sold_at AS DATE)) FROM sales WHERE upload_id = ? AND currency = ?"
            " AND CAST(sold_at AS DATE) < ?", [upload_id, currency, limit]).fetchone()
        if row and row[0]:
            stale.append((int(row[0]), row[1]))
    if stale:
        reasons.append(N_(
            "Old sales: %(count)s sale(s) in this file are older than the payout hold by more than %(days)s days "
            "(the oldest from %(day)s); money this old should have been paid already.",
            count=sum(n for n, _d in stale), days=rules.stale_days, day=min(d for _n, d in stale)))
    return reasons, biggest[0], biggest[1]


def where_sentence(cur: Any, upload_id: str) -> str | None:
    """For the upload report: where the money of an upload's sales is, when the programme does
    not hold it (None when it does)."""
    row = cur.execute("SELECT source FROM uploads WHERE upload_id = ?", [upload_id]).fetchone()
    custody = custody_of((row[0] if row else None) or "")
    if custody.holds == "own_account":
        return N_("The money of these sales is in your own %(platform)s account: My payouts shows it as received, "
                  "and the programme does not pay it.", platform=custody.name)
    if custody.holds == "platform":
        return N_("%(platform)s holds the money of these sales and pays you on its own schedule: My payouts shows "
                  "it as on its way, and the programme does not pay it.", platform=custody.name)
    if custody.holds == "programme":
        return None
    return N_("Kasuwa cannot tell who holds the money of these sales, so the programme does not pay it.")


def decide_upload(cur: Any, upload_id: str) -> list[str]:
    """Record the guard rails' decision on an upload of programme-held money — ``held`` (its
    reasons returned) or ``clear`` — once; other uploads get none (they cannot change what the
    programme owes)."""
    row = cur.execute("SELECT source FROM uploads WHERE upload_id = ?", [upload_id]).fetchone()
    if not row or custody_of(row[0] or "").holds != "programme":
        return []
    if cur.execute("SELECT 1 FROM payout_holds WHERE upload_id = ?", [upload_id]).fetchone():
        return []
    reasons, currency, amount = unusual_reasons(cur, upload_id)
    cur.execute(
        "INSERT INTO payout_holds (upload_id, creator_id, reasons, currency, amount, status, held_at)"
        " SELECT upload_id, creator_id, ?, ?, ?, ?, ? FROM uploads WHERE upload_id = ?",
        [reasons, currency, amount, "held" if reasons else "clear", datetime.now(UTC), upload_id],
    )
    return reasons


def check_undecided(cur: Any) -> int:
    """Decide every loaded upload of programme-held money that has no decision yet (a process
    stopped between a load and its check): called by each payout run before it pays. Returns how
    many were held."""
    rows = cur.execute(
        "SELECT u.upload_id FROM uploads u JOIN source_custody c ON c.source = u.source AND c.holds = 'programme'"
        " WHERE u.status = 'loaded' AND u.upload_id NOT IN (SELECT upload_id FROM payout_holds)"
        " ORDER BY u.received_at"
    ).fetchall()
    return sum(1 for (upload_id,) in rows if decide_upload(cur, upload_id))


def hold_if_unusual(cur: Any, res: Any) -> None:
    """After a load: say in the upload report where its money is when the programme does not hold
    it; hold the upload of ``res`` (an IngestResult) for a reviewer when its money is unusual, and
    say why (its message and first next steps)."""
    if getattr(res, "status", None) != "loaded" or not getattr(res, "rows_loaded", 0) or not res.upload_id:
        return
    said_where = where_sentence(cur, res.upload_id)
    if said_where:
        res.next_steps = [*res.next_steps, said_where]
    reasons = decide_upload(cur, res.upload_id)
    if not reasons:
        return
    said = N_("Held for a reviewer: no payout includes the money of this file until a reviewer releases it.")
    res.message = f"{res.message} {said}".strip()
    res.next_steps = [said, *reasons, *res.next_steps]


def held_uploads(actor: Actor, region: str, status: str | None = "held") -> list[HeldUpload]:
    """Uploads the guard rails held in ``region`` (a reviewer of it, or an administrator)."""
    require_review(actor, region)
    rows = warehouse(region).rows(
        "SELECT h.upload_id, h.creator_id, u.file_name, h.reasons, h.currency, h.amount, h.status, h.held_at"
        " FROM payout_holds h JOIN uploads u USING (upload_id)"
        " WHERE h.status <> 'clear' AND (? IS NULL OR h.status = ?)"
        " ORDER BY h.held_at, h.upload_id",
        [status, status],
    )
    return [HeldUpload(r[0], r[1], r[2], list(r[3]), r[4], None if r[5] is None else Decimal(r[5]), r[6], r[7])
            for r in rows]


def decide_hold(actor: Actor, region: str, upload_id: str, release: bool, note: str = "") -> HeldUpload:
    """Release (its money counts from now on) or refuse (it never does) a held upload."""
    require_review(actor, region)
    note = (note or "").strip()
    if len(note) > 500:
        raise InvalidInput(_("A note is at most 500 characters."))
    status = "released" if release else "refused"
    wh = warehouse(region)
    with wh.transaction() as cur:
        row = cur.execute("SELECT status FROM payout_holds WHERE upload_id = ?", [upload_id]).fetchone()
        if not row:
            raise NotFound(_("No upload %(upload)s is held in this region.", upload=upload_id))
        if row[0] == status:
            pass  # a repeated decision is harmless
        elif row[0] != "held":
            raise Conflict(_("Upload %(upload)s was already %(status)s.", upload=upload_id, status=row[0]))
        else:
            cur.execute(
                "UPDATE payout_holds SET status = ?, reviewed_by = ?, reviewed_at = ?, note = ? WHERE upload_id = ?",
                [status, actor.user_id, datetime.now(UTC), note or None, upload_id],
            )
    return next(h for h in held_uploads(actor, region, None) if h.upload_id == upload_id)


def release_demo_holds() -> int:
    """For ``kasuwa demo``: the reviewer checked the history the demo loads (six months at once
    are "old sales") and released it. Returns how many uploads were released."""
    from warehouse.errors import RegionUnavailable, WarehouseBusy
    from warehouse.regions import all_regions

    op = Actor.operator()
    done = 0
    for reg in all_regions():
        try:
            for h in held_uploads(op, reg.code):
                decide_hold(op, reg.code, h.upload_id, release=True, note="history checked by the reviewer")
                done += 1
        except (RegionUnavailable, WarehouseBusy):
            continue
    return done
