"""What a creator sees first: the balance now, the next payout (date and amount) and why.

The forecast uses only what is already in the ledger: money whose hold ends by the next
payout day, converted at the latest rates known today, less the rail's payout fee. It says
plainly when the minimum, a hold or the schedule is what stands between the creator and
their money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from warehouse import locales
from warehouse.access import Actor
from warehouse.db import warehouse
from warehouse.i18n import N_, _, translate_text

from .fx import FxRateMissing
from .ledger import Held, balances_of, payee
from .runs import SCHEDULE_WORDS, plan_payout
from .runs import money as plain_money

#: one sentence per payout schedule of rails.toml (the rail's name filled in)
SCHEDULE_SENTENCES = {
    "friday": N_("Schedule: %(rail)s pays every Friday."),
    "14th-28th": N_("Schedule: %(rail)s pays on the 14th and the 28th of each month."),
    "working-days": N_("Schedule: %(rail)s pays on working days (Monday to Friday; public holidays not counted)."),
    "daily": N_("Schedule: %(rail)s pays every day."),
    "instant": N_("Schedule: %(rail)s pays as soon as a sale clears."),
}


@dataclass
class Outlook:
    creator_id: str
    rail: str | None  # rail name
    rail_code: str | None
    custodial: bool | None
    payout_currency: str
    balances: dict[str, Decimal]
    next_date: date | None = None
    next_amount: Decimal | None = None  # what would be sent on next_date, after the rail fee
    next_fee: Decimal | None = None
    minimum: Decimal | None = None
    held: list[Held] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # in words (the reader's language), most important first
    #: due | nothing_due | below_minimum | no_rail | rail_unavailable | no_fx_rate
    status: str = "no_rail"


def today_in(time_zone: str) -> date:
    """Today's calendar date in ``time_zone`` (a region's)."""
    return datetime.now(ZoneInfo(time_zone)).date()


def payout_outlook(actor: Actor, creator_id: str, today: date | None = None, locale: str | None = None) -> Outlook:
    """Balance, next payout and the reasons for it, for ``creator_id`` (own data or admin). With
    ``locale`` (a page's reader), the reasons write days and amounts in that locale (``7 déc.
    2026``, ``4 000,00 NGN``); without it (the command line) as ISO dates and plain amounts."""

    def on(value: date) -> str:
        return locales.day(value, locale) if locale else value.isoformat()

    def money(amount: Decimal, currency: str) -> str:
        return locales.money(amount, currency, locale) if locale else plain_money(amount, currency)

    p = payee(actor, creator_id)
    day = today or today_in(p.region.time_zone)
    wh = warehouse(p.region)
    with wh.cursor() as cur:
        out = Outlook(
            creator_id,
            p.rail.name if p.rail else None,
            p.rail_code,
            p.rail.custodial if p.rail else None,
            p.payout_currency,
            balances_of(cur, creator_id),
        )
        rail = p.rail
        if rail is None:
            out.reasons.append(
                _("Your payout rail %(rail)s is not one Kasuwa knows; ask the programme administrator to choose "
                  "another.", rail=repr(p.rail_code))
                if p.rail_code
                else _("No payout rail is set for you yet; the programme administrator sets it.")
            )
            return out
        if not p.rail_serves_country:
            out.status = "rail_unavailable"
            out.reasons.append(_("%(rail)s cannot pay into %(country)s; ask the administrator to change your rail.",
                                 rail=translate_text(rail.name), country=p.country))
            return out
        paid_today = cur.execute(
            "SELECT 1 FROM payouts WHERE creator_id = ? AND as_of = ?", [creator_id, day]
        ).fetchone()
        nxt = rail.next_payout_day(day + timedelta(days=1) if paid_today else day)
        try:
            plan = plan_payout(cur, p, rail, nxt)
            releases = [h.release for h in plan.held if h.amount > 0]
            if plan.due <= 0 and releases:  # nothing yet: the payout day when held money frees up
                nxt = min(releases)
                plan = plan_payout(cur, p, rail, nxt)
        except FxRateMissing as exc:
            out.status = "no_fx_rate"
            out.reasons.append(str(exc))
            return out
        out.next_date = nxt
    out.held = list(plan.held)
    out.minimum = plan.minimum
    cur_ = plan.currency
    name = translate_text(rail.name)
    if plan.due <= 0:
        out.status = "nothing_due"
        out.reasons.append(_("Nothing is due by %(day)s.", day=on(nxt)))
    elif plan.minimum is not None and plan.due < plan.minimum:
        out.status = "below_minimum"
        out.reasons.append(
            _("Minimum: %(due)s will be payable on %(day)s, below the minimum payout of %(rail)s, %(minimum)s. It "
              "is not lost: it carries over until the balance reaches the minimum.", due=money(plan.due, cur_),
              day=on(nxt), rail=name, minimum=money(plan.minimum, cur_))
        )
    elif plan.fee.total >= plan.due:
        out.status = "below_minimum"
        out.reasons.append(_("Fee: the payout fee of %(rail)s would take all of %(due)s; it carries over.", rail=name,
                             due=money(plan.due, cur_)))
    else:
        out.status = "due"
        out.next_amount, out.next_fee = plan.amount, plan.fee.total
        if plan.fee.total:
            out.reasons.append(_("%(amount)s on %(day)s: %(due)s due less %(fee)s payout fee of %(rail)s.",
                                 amount=money(plan.amount, cur_), day=on(nxt), due=money(plan.due, cur_),
                                 fee=money(plan.fee.total, cur_), rail=name))
        else:
            out.reasons.append(_("%(amount)s on %(day)s: %(due)s due.", amount=money(plan.amount, cur_), day=on(nxt),
                                 due=money(plan.due, cur_)))
    if rail.schedule in SCHEDULE_SENTENCES:
        out.reasons.append(_(SCHEDULE_SENTENCES[rail.schedule], rail=name))
    else:
        out.reasons.append(_("Schedule: %(rail)s pays %(schedule)s.", rail=name,
                             schedule=SCHEDULE_WORDS.get(rail.schedule, rail.schedule)))
    for h in (h for h in plan.held if h.amount > 0):
        out.reasons.append(
            _("Hold: %(amount)s from recent sales becomes payable on %(day)s (%(rail)s holds sales in %(currency)s "
              "for %(days)s days).", amount=money(h.amount, h.currency), day=on(h.release), rail=name,
              currency=h.currency, days=locales.native_digits(str(rail.hold_for(h.currency)), locale))
        )
    if plan.conversions:
        out.reasons.append(
            _("Conversion: %(conversions)s at the latest rates in the warehouse (the rate of the payout day is used "
              "when it is paid).", conversions="; ".join(
                  f"{money(c.amount_from, c.currency_from)} → {money(c.amount_to, c.currency_to)}"
                  for c in plan.conversions))
        )
    return out
