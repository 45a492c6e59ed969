"""Payout runs on real DuckDB warehouses: holds, schedules, minimums, FX at dated rates,
idempotency, payout status, traceability and who may do what."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from payouts_support import OP, creator, rate, sale

from warehouse.access import Actor
from warehouse.db import warehouse
from warehouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from warehouse.payouts.ledger import balances, entries
from warehouse.payouts.outlook import payout_outlook
from warehouse.payouts.overview import admin_payouts, payouts_overview
from warehouse.payouts.runs import run_payouts
from warehouse.payouts.status import mark_payout, payout_history, payout_items

FRI = date(2026, 3, 13)  # a Friday
ADA = Actor("ada@example.org", "creator", creator_id="ada")


def decision(result, creator_id):
    return next(d for d in result.decisions if d.creator_id == creator_id)


def test_sale_entries_add_up_to_net_minus_refunded_and_trace_to_their_upload():
    r = creator("ada", "NG", "paystack")
    sale(
        r,
        "ada",
        "s1",
        date(2026, 3, 2),
        "10000.00",
        "NGN",
        fees="250.00",
        net="9700.00",
        refunded="1000.00",
        upload_id="up-9",
    )
    rows = entries(OP, "ada")
    assert {e["kind"] for e in rows} == {"sale", "platform_fee", "adjustment", "refund"}
    assert all(e["sale_id"] == "s1" and e["upload_id"] == "up-9" for e in rows)
    assert sum(e["amount"] for e in rows) == D("8700.00")  # 9700 net - 1000 refunded
    assert balances(OP, "ada") == {"NGN": D("8700.00")}


def test_gumroad_holds_seven_days_and_pays_on_friday_converting_usd_at_the_dated_rate():
    r = creator("ada", "NG", "gumroad")
    rate(r, date(2026, 3, 1), "NGN", "0.00070")
    rate(r, date(2026, 3, 12), "NGN", "0.00064")  # the latest on or before the payout day
    rate(r, date(2026, 3, 14), "NGN", "0.00050")  # after the payout day: not used
    sale(r, "ada", "old", date(2026, 3, 6), "20.00", "USD", fees="3.38")  # held until 13 Mar: payable
    sale(r, "ada", "new", date(2026, 3, 7), "20.00", "USD", fees="3.38")  # held until 14 Mar -> next Friday
    res = run_payouts(OP, r, FRI)
    d = decision(res, "ada")
    assert d.decision == "scheduled"
    # 16.62 USD × 1 / 0.00064 = 25,968.75 NGN exactly
    assert d.amount == D("25968.75") and d.currency == "NGN"
    fx = {e["kind"]: e for e in entries(OP, "ada") if e["payout_id"]}
    assert fx["fx_out"]["amount"] == D("-16.62") and fx["fx_in"]["amount"] == D("25968.75")
    row = warehouse(r).one("SELECT usd_rate, usd_rate_date FROM ledger_entries WHERE kind = 'fx_in'")
    assert row == (D("0.00064"), date(2026, 3, 12))
    assert balances(OP, "ada") == {"NGN": D("0"), "USD": D("16.62")}  # the held sale stays in USD
    assert [i["sale_id"] for i in payout_items(OP, d.payout_id)] == ["old"]


def test_not_a_payout_day_pays_nothing_and_names_the_next_one():
    r = creator("ada", "NG", "gumroad")
    sale(r, "ada", "s1", date(2026, 3, 1), "900.00", "USD")
    d = decision(run_payouts(OP, r, date(2026, 3, 12)), "ada")
    assert d.decision == "not_payout_day" and d.next_payout == FRI


def test_below_minimum_carries_over_until_it_is_reached():
    r = creator("ada", "NG", "gumroad")
    rate(r, date(2026, 1, 1), "NGN", "0.001")  # 1,000 NGN per USD: minimum $10 = 10,000 NGN
    sale(r, "ada", "s1", date(2026, 3, 1), "6000.00", "NGN")
    d = decision(run_payouts(OP, r, FRI), "ada")
    assert d.decision == "below_minimum" and d.minimum == D("10000.00") and "carries over" in d.reason
    sale(r, "ada", "s2", date(2026, 3, 9), "5000.00", "NGN")
    d = decision(run_payouts(OP, r, date(2026, 3, 20)), "ada")
    assert d.decision == "scheduled" and d.amount == D("11000.00")
    ids = {i["sale_id"] for i in payout_items(OP, d.payout_id)}
    assert ids == {"s1", "s2"}


def test_running_twice_for_the_same_date_pays_nothing_twice():
    r = creator("ada", "NG", "paystack")
    sale(r, "ada", "s1", date(2026, 3, 11), "5000.00", "NGN", fees="175.00")
    first = run_payouts(OP, r, FRI)
    second = run_payouts(OP, r, FRI)
    assert decision(first, "ada").decision == "scheduled"
    assert decision(second, "ada").decision == "already_paid"
    assert warehouse(r).one("SELECT count(*), sum(amount) FROM payouts") == (1, D("4825.00"))
    assert first.run_id != second.run_id
    # an earlier date after a later one: nothing is due again either
    assert decision(run_payouts(OP, r, date(2026, 3, 12)), "ada").decision == "nothing_due"
    assert balances(OP, "ada") == {"NGN": D("0")}


def test_paystack_pays_the_next_working_day():
    r = creator("ada", "NG", "paystack")
    sale(r, "ada", "fri", date(2026, 3, 13), "1000.00", "NGN")  # Friday sale -> Monday
    assert decision(run_payouts(OP, r, date(2026, 3, 14)), "ada").decision == "not_payout_day"
    d = decision(run_payouts(OP, r, date(2026, 3, 16)), "ada")
    assert d.decision == "scheduled" and d.amount == D("1000.00")


def test_selar_holds_each_currency_for_its_own_days():
    r = creator("ada", "GH", "selar")
    rate(r, date(2026, 1, 1), "GHS", "0.0625")  # 16 GHS per USD
    sale(r, "ada", "g", date(2026, 3, 10), "100.00", "GHS")  # 4 days -> 14 Mar
    sale(r, "ada", "u", date(2026, 3, 10), "10.00", "USD")  # 10 days -> 20 Mar
    d = decision(run_payouts(OP, r, date(2026, 3, 14)), "ada")
    assert d.decision == "scheduled" and (d.amount, d.currency) == (D("100.00"), "GHS")
    d = decision(run_payouts(OP, r, date(2026, 3, 20)), "ada")
    assert (d.amount, d.currency) == (D("160.00"), "GHS")


def test_lemon_squeezy_payout_fee_is_recorded_and_parts_add_up():
    r = creator("ada", "KE", "lemonsqueezy")
    sale(r, "ada", "s1", date(2026, 2, 20), "100.00", "USD", fees="6.50")
    d = decision(run_payouts(OP, r, date(2026, 3, 14)), "ada")
    # due 93.50; Stripe 2.5% = 2.3375 -> 2.34, + 2.50 = 4.84; sent 88.66
    assert d.decision == "scheduled" and d.amount == D("88.66")
    p = payout_history(OP, "ada")[0]
    assert (p["due"], p["rail_fee"], p["amount"]) == (D("93.50"), D("4.84"), D("88.66"))
    assert p["rail_fee"] + p["amount"] == p["due"]


def test_missing_fx_rate_is_said_plainly_and_pays_nothing():
    r = creator("ada", "NG", "gumroad")
    sale(r, "ada", "s1", date(2026, 3, 1), "50.00", "USD")
    d = decision(run_payouts(OP, r, FRI), "ada")
    assert d.decision == "no_fx_rate"
    assert "No USD rate for NGN on or before 2026-03-13" in d.reason
    assert warehouse(r).one("SELECT count(*) FROM payouts") == (0,)


def test_creator_without_rail_or_with_a_rail_that_cannot_pay_their_country():
    r = creator("ada", "NG", None)
    creator("cy", "NG", "mpesa")  # M-Pesa pays into KE only
    sale(r, "ada", "s1", date(2026, 3, 1), "5000.00", "NGN")
    res = run_payouts(OP, r, FRI)
    assert decision(res, "ada").decision == "no_rail"
    assert decision(res, "cy").decision == "rail_unavailable"


def test_failed_payout_returns_money_and_fee_reversed_keeps_the_fee():
    r = creator("ada", "BD", "bkash")
    sale(r, "ada", "s1", date(2026, 3, 12), "1000.00", "BDT")
    d = decision(run_payouts(OP, r, FRI), "ada")
    assert (d.amount, balances(OP, "ada")["BDT"]) == (D("981.50"), D("0"))  # cash-out 1.85% = 18.50
    mark_payout(OP, d.payout_id, "failed", on=FRI)
    assert balances(OP, "ada")["BDT"] == D("1000.00")
    assert payout_items(OP, d.payout_id)  # still recorded, but the sale is unsettled again
    d2 = decision(run_payouts(OP, r, date(2026, 3, 14)), "ada")
    assert d2.decision == "scheduled" and [i["sale_id"] for i in payout_items(OP, d2.payout_id)] == ["s1"]
    mark_payout(OP, d2.payout_id, "paid", "BK-77")
    mark_payout(OP, d2.payout_id, "reversed", on=date(2026, 3, 15))
    assert balances(OP, "ada")["BDT"] == D("981.50")  # the 18.50 fee stays spent


def test_status_moves_are_checked_and_repeats_are_harmless():
    r = creator("ada", "NG", "paystack")
    sale(r, "ada", "s1", date(2026, 3, 11), "5000.00", "NGN")
    pid = decision(run_payouts(OP, r, FRI), "ada").payout_id
    with pytest.raises(InvalidInput, match="reference"):
        mark_payout(OP, pid, "paid")
    with pytest.raises(Conflict):
        mark_payout(OP, pid, "reversed")
    assert mark_payout(OP, pid, "paid", "PSK-1")["status"] == "paid"
    assert mark_payout(OP, pid, "paid", "PSK-1")["reference"] == "PSK-1"  # retried: no-op
    with pytest.raises(Conflict):
        mark_payout(OP, pid, "failed")
    with pytest.raises(NotFound):
        mark_payout(OP, "PO-20260313-nobody", "paid", "X")
    events = warehouse(r).rows("SELECT status FROM payout_events WHERE payout_id = ? ORDER BY changed_at", [pid])
    assert [e[0] for e in events] == ["scheduled", "paid"]


def test_creators_see_only_their_own_payouts_and_only_admins_run_or_mark():
    r = creator("ada", "NG", "paystack")
    creator("bob", "NG", "paystack")
    sale(r, "bob", "b1", date(2026, 3, 11), "5000.00", "NGN")
    manager = Actor("m@example.org", "manager")
    reviewer = Actor("r@example.org", "reviewer", regions=frozenset({r}))
    with pytest.raises(PermissionDenied):
        run_payouts(ADA, r, FRI)
    with pytest.raises(PermissionDenied):
        run_payouts(manager, r, FRI)
    pid = decision(run_payouts(OP, r, FRI), "bob").payout_id
    for call in (
        lambda: balances(ADA, "bob"),
        lambda: payout_history(ADA, "bob"),
        lambda: payout_items(ADA, pid),
        lambda: payout_outlook(ADA, "bob"),
        lambda: balances(manager, "bob"),
        lambda: balances(reviewer, "bob"),
        lambda: admin_payouts(manager, r),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        mark_payout(ADA, pid, "paid", "X")
    with pytest.raises(PermissionDenied):
        payouts_overview(ADA)
    assert payout_history(ADA, "ada") == []


def test_outlook_explains_hold_minimum_and_schedule():
    r = creator("ada", "NG", "gumroad")
    rate(r, date(2026, 1, 1), "NGN", "0.001")
    sale(r, "ada", "s1", date(2026, 3, 10), "4000.00", "NGN")
    o = payout_outlook(ADA, "ada", today=date(2026, 3, 11))
    # nothing by Friday 13th; the sale's hold ends on the 17th, so the 20th is looked at: below $10
    assert (o.next_date, o.next_amount, o.status) == (date(2026, 3, 20), None, "below_minimum")
    assert o.reasons[0].startswith("Minimum: 4,000.00 NGN will be payable on 2026-03-20")
    assert "every Friday" in " ".join(o.reasons)
    sale(r, "ada", "s2", date(2026, 3, 1), "12000.00", "NGN")
    o = payout_outlook(ADA, "ada", today=date(2026, 3, 11))
    assert (o.next_date, o.next_amount) == (FRI, D("12000.00"))
    assert "Hold: 4,000.00 NGN from recent sales becomes payable on 2026-03-20" in " ".join(o.reasons)
    o = payout_outlook(ADA, "ada", today=date(2026, 3, 21))
    assert o.next_amount == D("16000.00") and o.balances == {"NGN": D("16000.00")}
    sale(r, "ada", "s3", date(2026, 3, 16), "1000.00", "NGN")
    run_payouts(OP, r, date(2026, 3, 20))  # pays 16,000; 1,000 left, held until 23 Mar
    o = payout_outlook(ADA, "ada", today=date(2026, 3, 24))
    assert o.next_amount is None and any(r.startswith("Minimum:") for r in o.reasons)


def test_manager_overview_counts_payouts_fees_and_creators_waiting_on_a_minimum():
    r = creator("ada", "KE", "lemonsqueezy")
    creator("bob", "NG", "gumroad")
    rate("west-africa", date(2026, 1, 1), "NGN", "0.001")
    sale(r, "ada", "a1", date(2026, 2, 20), "100.00", "USD", fees="6.50")
    sale("west-africa", "bob", "b1", date(2026, 3, 1), "2000.00", "NGN")
    ov = payouts_overview(Actor("m@example.org", "manager"))
    assert ov.by_month == []
    run_payouts(OP, "east-africa", date(2026, 3, 14))
    run_payouts(OP, "west-africa", FRI)
    ov = payouts_overview(Actor("m@example.org", "manager"))
    assert [(m["region"], m["month"], m["payouts"], m["amount"]) for m in ov.by_month] == [
        ("east-africa", "2026-03", 1, D("88.66"))
    ]
    fees = {(f["rail"], f["currency"]): f for f in ov.fees_by_rail}
    ls = fees[("lemonsqueezy", "USD")]
    assert (ls["payouts"], ls["rail_fees"], ls["sales"], ls["sale_fees"]) == (1, D("4.84"), 1, D("6.50"))
    assert (fees[("gumroad", "NGN")]["payouts"], fees[("gumroad", "NGN")]["sales"]) == (0, 1)
    assert [(w["region"], w["creators"], w["waiting"]) for w in ov.waiting] == [("west-africa", 1, D("2000.00"))]
    assert "bob" not in repr(ov) and "ada" not in repr(ov)  # aggregates only
