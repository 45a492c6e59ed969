"""Who holds each sale's money, per source, as data: ``[custody.<source>]`` of ``rails.toml``.

A sale is money somewhere (DESIGN.md invariant 10):

- ``own_account``: already in the creator's own account (PayPal, M-Pesa, bKash, Stripe …): *received*;
- ``platform``: a platform holds it and pays the creator on its own hold and schedule (Gumroad,
  Lemon Squeezy, Etsy …): *on its way* until its payout day has passed and a later export from
  that platform covers that day, then *received*;
- ``programme``: the programme's own store or collection account: *owed by the programme*, the
  only money a payout run pays.

A source with no ``[custody.*]`` table (``generic``, a Shopify orders export whose gateway is not
known) is ``unknown``: never held by the programme. The ``[guard]`` table holds the thresholds of
the guard rails on uploads (``warehouse/payouts/guard.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .rails import Rail, _Reader

HOLDERS = ("own_account", "platform", "programme")
UNKNOWN = "unknown"
PROGRAMME_SOURCE = "programme-store"  # the demo's and the default programme store's source name
_CUSTODY_KEYS = {"name", "holds", "basis", "rail", "hold_days", "schedule", "note"}
_GUARD_KEYS = {"times_usual", "history_months", "stale_days"}


@dataclass(frozen=True)
class Custody:
    """Where the money of one source's sales is, and when a platform pays it on."""

    source: str
    name: str
    holds: str  # own_account | platform | programme | unknown
    basis: str = ""
    rail: Rail | None = None  # hold, schedule, minimum and published sale fees
    hold_days: int | None = None  # overrides the rail's
    schedule: str | None = None  # overrides the rail's
    note: str = ""

    def hold_for(self, currency: str) -> int:
        if self.hold_days is not None:
            return self.hold_days
        return self.rail.hold_for(currency) if self.rail else 0

    def is_payout_day(self, day: date) -> bool:
        from .rails import is_schedule_day

        schedule = self.schedule or (self.rail.schedule if self.rail else "instant")
        return is_schedule_day(schedule, day)

    def expected_on(self, sold_on: date, currency: str) -> date:
        """The day the platform pays a sale made on ``sold_on``: the first payout day of its
        schedule on or after its hold ends (public holidays and minimums are not modelled)."""
        day = sold_on + timedelta(days=self.hold_for(currency))
        while not self.is_payout_day(day):
            day += timedelta(days=1)
        return day


@dataclass(frozen=True)
class GuardRules:
    times_usual: Decimal = Decimal(5)
    history_months: int = 6
    stale_days: int = 60


def unknown(source: str) -> Custody:
    """The custody of a source ``rails.toml`` does not declare: not held by the programme."""
    return Custody(source, source, UNKNOWN)


def parse_custody(reader: _Reader, doc: dict[str, Any], rails: dict[str, Rail]) -> dict[str, Custody]:
    """``[custody.<source>]`` tables of ``doc`` validated (unknown keys, holders, rails, schedules)."""
    from .rails import SCHEDULES

    out = {}
    for source, c in doc.get("custody", {}).items():
        where, after = f"custody {source}", f"[custody.{source}]"
        if not isinstance(c, dict):
            raise reader.fail(where, "must be a table")
        reader.check_keys(c, _CUSTODY_KEYS, where, after)
        for key in ("name", "holds", "basis"):
            if not str(c.get(key, "")).strip():
                raise reader.fail(where, f"missing {key}")
        if c["holds"] not in HOLDERS:
            raise reader.fail(where, f"holds must be one of {', '.join(HOLDERS)}", "holds", after)
        rail = None
        if "rail" in c:
            rail = rails.get(str(c["rail"]))
            if rail is None:
                raise reader.fail(where, f"rail {c['rail']!r} is not a [rail.*] of this file", "rail", after)
        hold = c.get("hold_days")
        if hold is not None and (isinstance(hold, bool) or not isinstance(hold, int) or hold < 0):
            raise reader.fail(where, "hold_days must be a whole number of days", "hold_days", after)
        schedule = c.get("schedule")
        if schedule is not None and schedule not in SCHEDULES:
            raise reader.fail(where, f"schedule must be one of {', '.join(SCHEDULES)}", "schedule", after)
        if c["holds"] == "platform" and rail is None and (hold is None or schedule is None):
            raise reader.fail(where, "a platform needs a rail, or hold_days and schedule")
        out[source] = Custody(source, str(c["name"]), c["holds"], str(c["basis"]), rail, hold, schedule,
                              str(c.get("note", "")))
    return out


def parse_guard(reader: _Reader, doc: dict[str, Any]) -> GuardRules:
    g = doc.get("guard", {})
    if not isinstance(g, dict):
        raise reader.fail("guard", "must be a table")
    reader.check_keys(g, _GUARD_KEYS, "guard", "[guard]")
    for key in ("history_months", "stale_days"):
        v = g.get(key, 1)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise reader.fail("guard", f"{key} must be a whole number above zero", key, "[guard]")
    return GuardRules(
        times_usual=reader.decimal(g.get("times_usual", "5"), "guard", "times_usual", "[guard]"),
        history_months=int(g.get("history_months", 6)),
        stale_days=int(g.get("stale_days", 60)),
    )


def custody_of(source: str) -> Custody:
    """The custody of ``source`` in the rails in force (``unknown`` when not declared)."""
    from .rails import rail_book

    return rail_book().custody.get(source) or unknown(source)


def custody_rows() -> list[tuple[str, str]]:
    """(source, holds) of every declared source: what a region's ``source_custody`` table holds."""
    from .rails import rail_book

    return sorted((c.source, c.holds) for c in rail_book().custody.values())
