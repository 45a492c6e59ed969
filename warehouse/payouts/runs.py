"""Payout runs: what is due to each creator on a day under their rail, and the payouts made.

``run_payouts(actor, region, as_of)`` looks at every creator of the region. A creator is paid
on ``as_of`` only if it is a payout day of their rail (schedule), for the money whose hold has
ended by then, when that reaches the rail's minimum (smaller balances carry over) and the
rail's payout fee does not take all of it. Other currencies the creator holds are converted
into the payout currency at the latest rate on or before ``as_of``. Each creator is settled in
its own transaction together with the decision recorded for them, so a run interrupted half
way leaves whole payouts only, and running it again finishes it.

Idempotent: at most one payout per creator and date (a UNIQUE key), and what is due is always
the balance after every earlier payout — running twice for the same date pays nothing twice.

A run's record says how it ended (``payout_runs.status``): ``running``, ``finished``, or
``interrupted`` — marked by the run itself when it is stopped (Ctrl-C, SIGTERM, an error) and by
the next run of the region when the process died; that next run says so
(``RunResult.interrupted``), once per interruption.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from warehouse.access import Actor, require_admin
from warehouse.db import owner_client, warehouse
from warehouse.regions import get_region

from .fees import ZERO, Fee, choose_tariff, fee_for, no_fee
from .fx import Conversion, FxRateMissing, RateBook
from .ledger import Held, Payee, eligible_amounts, make_payee, unsettled_sales
from .rails import Rail, rail_book

SCHEDULE_WORDS = {
    "friday": "every Friday",
    "14th-28th": "on the 14th and the 28th of each month",
    "working-days": "on working days (Monday to Friday; public holidays not counted)",
    "daily": "every day",
    "instant": "as soon as a sale clears",
}


@dataclass(frozen=True)
class Plan:
    """What paying ``payee`` on ``on`` would look like (nothing written)."""

    currency: str
    eligible: dict[str, Decimal]
    held: list[Held]
    conversions: list[Conversion]
    due: Decimal  # in ``currency``, after conversions
    fee: Fee
    minimum: Decimal | None  # the rail's minimum in ``currency``

    @property
    def amount(self) -> Decimal:
        return self.due - self.fee.total


@dataclass
class Decision:
    creator_id: str
    rail: str | None
    decision: str
    reason: str
    currency: str | None = None
    amount: Decimal | None = None
    minimum: Decimal | None = None
    next_payout: date | None = None
    payout_id: str | None = None


@dataclass(frozen=True)
class InterruptedRun:
    """An earlier run that stopped before deciding for every creator."""

    run_id: str
    as_of: date
    started_at: datetime
    decided: int  # creators it had decided for
    payouts_made: int  # payouts it made (each whole; they stand)

    def sentence(self, region: str) -> str:
        return (f"Run {self.run_id} (as of {self.as_of}, started {self.started_at:%Y-%m-%d %H:%M} UTC) was "
                f"interrupted after deciding for {self.decided} creator(s); its {self.payouts_made} payout(s) "
                f"stand and nothing is paid twice. Run `kasuwa payouts run --region {region} --as-of "
                f"{self.as_of}` to settle the rest.")


@dataclass
class RunResult:
    run_id: str
    region: str
    as_of: date
    decisions: list[Decision] = field(default_factory=list)
    interrupted: list[InterruptedRun] = field(default_factory=list)  # earlier runs found stopped midway

    @property
    def payouts(self) -> list[Decision]:
        return [d for d in self.decisions if d.decision == "scheduled"]

    def plain(self) -> dict[str, Any]:
        """This result in standard types only (``warehouse.plain`` carries it to the process that
        asked for the job)."""
        return asdict(self)

    @staticmethod
    def from_plain(d: dict[str, Any]) -> RunResult:
        """The result ``plain()`` described."""
        v = d
        return RunResult(v["run_id"], v["region"], v["as_of"], [Decision(**x) for x in v.get("decisions") or []],
                         [InterruptedRun(**x) for x in v.get("interrupted") or []])


def payout_id_for(creator_id: str, on: date) -> str:
    """``PO-<yyyymmdd>-<creator_id>``: one id per creator and payout date (see the UNIQUE key)."""
    return f"PO-{on:%Y%m%d}-{creator_id}"


def money(amount: Decimal, currency: str) -> str:
    """Plain text for reasons and the CLI (pages format money with app.format)."""
    from warehouse.money import quantum

    return f"{amount.quantize(quantum(currency)):,} {currency}"


def payout_fee(rail: Rail, due: Decimal, currency: str, rates: RateBook, on: date) -> Fee:
    """The rail's charge for paying ``due`` of ``currency``, in ``currency``.

    A payout tariff in another currency prices the converted amount and its fee is converted
    back (each conversion rounded half-up), reported as one percent part.
    """
    if not rail.payout_fee or due <= 0:
        return no_fee(currency, max(due, ZERO))
    tariff = choose_tariff(rail.payout_fee, currency, True, None)
    if tariff is not None:
        return fee_for(tariff, due, currency)
    tariff = rail.payout_fee[0]
    there = rates.convert(due, currency, tariff.currency, on).amount_to
    fee_there = fee_for(tariff, there, tariff.currency).total
    return Fee(currency, due, rates.convert(fee_there, tariff.currency, currency, on).amount_to)


def plan_payout(cur: Any, p: Payee, rail: Rail, on: date, rates: RateBook | None = None) -> Plan:
    """What would be due to ``p`` on ``on``; raises FxRateMissing when a needed rate is absent."""
    eligible, held = eligible_amounts(cur, p, rail, on)
    target = p.payout_currency
    needed = set(eligible) | {target} | ({rail.minimum.currency} if rail.minimum else set())
    needed |= {t.currency for t in rail.payout_fee if t.currency != "*"}
    rates = rates or RateBook.load(cur, needed)
    due = eligible.get(target, ZERO)
    conversions = []
    for currency, amount in sorted(eligible.items()):
        if currency != target and amount > 0:
            conv = rates.convert(amount, currency, target, on)
            conversions.append(conv)
            due += conv.amount_to
    minimum = None
    if rail.minimum is not None:
        minimum = rates.convert(rail.minimum.amount, rail.minimum.currency, target, on).amount_to
    return Plan(target, eligible, held, conversions, due, payout_fee(rail, due, target, rates, on), minimum)


def _decide(cur: Any, p: Payee, on: date) -> tuple[Decision, Plan | None]:
    rail = p.rail
    if rail is None:
        why = f"no payout rail {p.rail_code!r} in rails.toml" if p.rail_code else "no payout rail chosen"
        return Decision(p.creator_id, p.rail_code, "no_rail", f"Not paid: {why}. An administrator sets it."), None
    base = Decision(p.creator_id, rail.code, "", "", currency=p.payout_currency)
    if not p.rail_serves_country:
        base.decision = "rail_unavailable"
        base.reason = f"{rail.name} cannot pay into {p.country}; choose another rail."
        return base, None
    base.next_payout = rail.next_payout_day(on + timedelta(days=1))
    existing = cur.execute(
        "SELECT payout_id, status FROM payouts WHERE creator_id = ? AND as_of = ?", [p.creator_id, on]
    ).fetchone()
    if existing:
        base.decision, base.payout_id = "already_paid", existing[0]
        base.reason = f"Payout {existing[0]} for {on} already exists ({existing[1]}); nothing paid twice."
        return base, None
    if not rail.is_payout_day(on):
        base.decision, base.next_payout = "not_payout_day", rail.next_payout_day(on)
        base.reason = f"{rail.name} pays {SCHEDULE_WORDS[rail.schedule]}; next payout day {base.next_payout}."
        return base, None
    plan = plan_payout(cur, p, rail, on)
    base.amount, base.minimum = plan.due, plan.minimum
    if plan.due <= 0:
        base.decision = "nothing_due"
        held = sum((h.amount for h in plan.held if h.currency == plan.currency), ZERO)
        base.reason = "Nothing is due today" + (f"; {money(held, plan.currency)} is still on hold." if held else ".")
    elif plan.minimum is not None and plan.due < plan.minimum:
        base.decision = "below_minimum"
        base.reason = (
            f"{money(plan.due, plan.currency)} is below {rail.name}'s minimum payout of "
            f"{money(plan.minimum, plan.currency)}; it carries over to the next payout."
        )
    elif plan.fee.total >= plan.due:
        base.decision = "below_minimum"
        base.reason = (
            f"{rail.name}'s payout fee ({money(plan.fee.total, plan.currency)}) would take all of "
            f"{money(plan.due, plan.currency)}; it carries over to the next payout."
        )
    else:
        base.decision = "scheduled"
        base.payout_id = payout_id_for(p.creator_id, on)
        base.amount = plan.amount
        base.reason = (
            f"{money(plan.amount, plan.currency)} via {rail.name} "
            f"({money(plan.due, plan.currency)} due − {money(plan.fee.total, plan.currency)} rail fee)."
        )
        return base, plan
    return base, None


def _write_payout(cur: Any, run_id: str, p: Payee, rail: Rail, *, on: date, plan: Plan, by: str) -> str:
    pid = payout_id_for(p.creator_id, on)
    rows: list[tuple[Any, ...]] = []
    for conv in plan.conversions:
        rows.append(
            (
                f"{pid}:fx_out:{conv.currency_from}",
                conv.currency_from,
                "fx_out",
                -conv.amount_from,
                conv.rate_from.usd_rate,
                conv.rate_from.rate_date,
                conv.currency_to,
                f"converted into {conv.currency_to}",
            )
        )
        rows.append(
            (
                f"{pid}:fx_in:{conv.currency_from}",
                conv.currency_to,
                "fx_in",
                conv.amount_to,
                conv.rate_to.usd_rate,
                conv.rate_to.rate_date,
                conv.currency_from,
                f"converted from {money(conv.amount_from, conv.currency_from)}",
            )
        )
    rows.append((f"{pid}:payout", plan.currency, "payout", -plan.amount, None, None, None, f"paid via {rail.name}"))
    if plan.fee.total:
        rows.append(
            (
                f"{pid}:rail_fee",
                plan.currency,
                "rail_fee",
                -plan.fee.total,
                None,
                None,
                None,
                f"{rail.name} payout fee",
            )
        )
    cur.executemany(
        "INSERT INTO ledger_entries (entry_id, creator_id, currency, kind, amount, value_date, payout_id,"
        " usd_rate, usd_rate_date, counter_currency, note, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [(e, p.creator_id, c, k, a, on, pid, r, rd, cc, n) for e, c, k, a, r, rd, cc, n in rows],
    )
    cur.execute(
        "INSERT INTO payouts (payout_id, run_id, creator_id, rail, currency, due, rail_fee, amount, as_of,"
        " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', current_timestamp)",
        [pid, run_id, p.creator_id, rail.code, plan.currency, plan.due, plan.fee.total, plan.amount, on],
    )
    cur.execute(
        "INSERT INTO payout_events (payout_id, status, changed_by, changed_at)"
        " VALUES (?, 'scheduled', ?, current_timestamp)",
        [pid, by],
    )
    items = unsettled_sales(cur, p, rail, on)
    if items:
        cur.executemany(
            "INSERT INTO payout_items (payout_id, sale_id, upload_id, currency, amount) VALUES (?, ?, ?, ?, ?)",
            [(pid, *item) for item in items],
        )
    return pid


def _record(cur: Any, run_id: str, d: Decision) -> None:
    cur.execute(
        "INSERT INTO payout_decisions (run_id, creator_id, rail, decision, currency, amount, minimum,"
        " next_payout, reason, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [run_id, d.creator_id, d.rail, d.decision, d.currency, d.amount, d.minimum, d.next_payout, d.reason],
    )


#: runs working in this process: a ``running`` record not among them belongs to a process that
#: died (one process writes a local warehouse at a time)
_ACTIVE: set[str] = set()
_ACTIVE_GUARD = threading.Lock()


def _notice_interrupted(cur: Any, run_id: str) -> list[InterruptedRun]:
    """Mark runs that stopped midway as interrupted and note that ``run_id`` reported them."""
    rows = cur.execute(
        "SELECT r.run_id, r.as_of, r.started_at,"
        " (SELECT count(*) FROM payout_decisions d WHERE d.run_id = r.run_id),"
        " (SELECT count(*) FROM payouts p WHERE p.run_id = r.run_id)"
        " FROM payout_runs r WHERE r.noticed_by IS NULL AND r.status IN ('running', 'interrupted')"
        " ORDER BY r.started_at",
    ).fetchall()
    found = []
    for rid, on, started, decided, made in rows:
        if rid in _ACTIVE:
            continue
        cur.execute(
            "UPDATE payout_runs SET status = 'interrupted', payouts_made = ?, noticed_by = ?,"
            " ended_at = coalesce(ended_at, current_timestamp) WHERE run_id = ?",
            [made, run_id, rid],
        )
        found.append(InterruptedRun(rid, on, started, int(decided), int(made)))
    return found


def _end_run(wh: Any, run_id: str, status: str) -> None:
    wh.execute(
        "UPDATE payout_runs SET status = ?, ended_at = current_timestamp,"
        " payouts_made = (SELECT count(*) FROM payouts WHERE run_id = ?) WHERE run_id = ?",
        [status, run_id, run_id],
    )


def run_payouts(actor: Actor, region: str, as_of: date) -> RunResult:
    """Pay every creator of ``region`` what is due on ``as_of`` (admin only); see the module doc."""
    require_admin(actor)
    owner = owner_client(region)
    if owner is not None and owner.address.local:  # one run at a time per region: in its owner
        return RunResult.from_plain(owner.job("payouts_run", actor.plain(), region, as_of))
    reg = get_region(region)
    wh = warehouse(reg)
    book = rail_book()
    from .guard import check_undecided

    with wh.transaction() as cur:  # an upload a stopped process loaded but never checked: checked now
        check_undecided(cur)
    with _ACTIVE_GUARD, wh.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM payout_runs WHERE as_of = ?", [as_of]).fetchone()
        run_id = f"{reg.code}:{as_of.isoformat()}:{int(n[0] if n else 0) + 1}"
        interrupted = _notice_interrupted(cur, run_id)
        cur.execute(
            "INSERT INTO payout_runs (run_id, as_of, run_by, started_at, status)"
            " VALUES (?, ?, ?, current_timestamp, 'running')",
            [run_id, as_of, actor.user_id],
        )
        _ACTIVE.add(run_id)
    result = RunResult(run_id, reg.code, as_of, interrupted=interrupted)
    try:
        _settle_all(wh, reg, book, actor, as_of, result)
    except BaseException:  # stopped midway (Ctrl-C, SIGTERM, an error): never recorded as finished
        with suppress(Exception):
            _end_run(wh, run_id, "interrupted")
        raise
    finally:
        with _ACTIVE_GUARD:
            _ACTIVE.discard(run_id)
    _end_run(wh, run_id, "finished")
    return result


def _settle_all(wh: Any, reg: Any, book: Any, actor: Actor, as_of: date, result: RunResult) -> None:
    """Decide for every creator of the region, each in its own transaction."""
    run_id = result.run_id
    creators = wh.rows("SELECT creator_id, name, country, rail FROM creators ORDER BY creator_id")
    for row in creators:
        p = make_payee(reg, row, book)
        try:
            with wh.transaction() as cur:
                decision, plan = _decide(cur, p, as_of)
                if plan is not None and p.rail is not None:
                    _write_payout(cur, run_id, p, p.rail, on=as_of, plan=plan, by=actor.user_id)
                _record(cur, run_id, decision)
        except FxRateMissing as exc:
            decision = Decision(p.creator_id, p.rail_code, "no_fx_rate", f"Not paid: {exc}", p.payout_currency)
            with wh.transaction() as cur:
                _record(cur, run_id, decision)
        except duckdb.ConstraintException:  # another run paid this creator for this date first
            decision = Decision(
                p.creator_id,
                p.rail_code,
                "already_paid",
                f"A payout for {as_of} was made by another run; nothing paid twice.",
            )
            with wh.transaction() as cur:
                _record(cur, run_id, decision)
        result.decisions.append(decision)


def run_demo_payouts(days: int = 42) -> int:
    """For ``kasuwa demo``: a payout run for each of the last ``days`` days in every region
    (yesterday included), as the operator; payouts older than three days are then marked paid
    with a ``DEMO-`` reference. Returns the number of payouts made. A region that cannot be
    opened is skipped (the demo reports it elsewhere).

    "Today" is the demo's own, the UTC day its sales end before (``demo.write_demo_exports``),
    not the region's: once a region east of UTC has reached tomorrow, a run for its yesterday
    would pay the demo's last day of sales and leave nothing due on its pages.
    """
    from ..errors import RegionUnavailable, WarehouseBusy
    from ..regions import all_regions
    from .status import mark_payout

    op = Actor.operator()
    made = 0
    for reg in all_regions():
        today = datetime.now(UTC).date()
        try:
            for back in range(days, 0, -1):
                made += len(run_payouts(op, reg.code, today - timedelta(days=back)).payouts)
            old = warehouse(reg).rows(
                "SELECT payout_id FROM payouts WHERE status = 'scheduled' AND as_of <= ? ORDER BY payout_id",
                [today - timedelta(days=3)],
            )
        except (RegionUnavailable, WarehouseBusy):
            continue
        for (pid,) in old:
            mark_payout(op, pid, "paid", f"DEMO-{pid[3:11]}", on=today)
    return made
